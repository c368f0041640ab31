"""Vendor knowledge as data: device types, read-only commands per fact, allowlists."""
