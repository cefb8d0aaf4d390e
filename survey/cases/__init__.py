"""The closed loop: follow-up case workflow, rules and settings, reports, recontact, comment themes."""
