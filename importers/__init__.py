"""One module per source format; each parses, then calls the services the API uses."""
