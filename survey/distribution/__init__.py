"""Who is asked and how: imports, audiences, sampling, campaigns, messages, channels, sending."""
