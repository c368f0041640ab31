"""Command in, text out: SSH via Netmiko, capture folders on disk, credentials."""
