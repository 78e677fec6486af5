"""Views: thin; they bind a schema, call a service, and render."""
