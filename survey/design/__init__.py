"""Survey definitions: question types, templates, drafts, versions, JSON import and export."""
