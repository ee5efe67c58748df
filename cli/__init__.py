"""The `ontosides` command line."""
