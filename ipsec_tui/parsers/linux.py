"""linux parsers."""
