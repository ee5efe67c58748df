"""Use cases and pure rules, between the API/CLI and the store."""
