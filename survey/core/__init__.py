"""Shared foundations: configuration, database, vocabulary, languages, audit, signing, rate limits, filters."""
