"""Demo data for `make serve`: a fictional province; nothing here describes real people."""
