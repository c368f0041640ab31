"""Command in, text out: SSH via Netmiko, capture folders and bundles on disk (read and
verified), terminal transcripts imported as a peer, inventory, credentials."""
