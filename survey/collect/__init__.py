"""Answering: rules for answers, responses, the respondent visit, phone revisits, public links."""
