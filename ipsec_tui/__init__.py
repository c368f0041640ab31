"""ipsec-tui: bring a broken IPsec tunnel back by looking at both peers side by side."""

__version__ = "0.1.0"
