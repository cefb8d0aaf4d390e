"""Staff users, passwords and server-side sign-in sessions."""
