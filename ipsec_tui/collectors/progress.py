"""What a collection reports while it runs, and its clock.

These live apart from :mod:`ipsec_tui.collectors.ssh` so that code which only names them
(the cockpit, the command line, reading a capture) does not load Netmiko and paramiko.
Importing those two takes about a quarter of a second, and the cockpit on a capture folder
or bundle never opens a session. The modules that collect import ``ssh`` when they connect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum


class ProgressEvent(StrEnum):
    """What just happened to a peer; passed to progress callbacks."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    COMMAND_STARTED = "command-started"
    COMMAND_OK = "command-ok"
    COMMAND_FAILED = "command-failed"
    PEER_FAILED = "peer-failed"
    PEER_DONE = "peer-done"
    PEER_WRITTEN = "peer-written"


# (peer name, command index from 1 (0 for peer events), commands in total, command, event).
# Called from the collecting thread: keep it quick and thread-safe.
ProgressCallback = Callable[[str, int, int, str, ProgressEvent], None]


def utc_now() -> str:
    """Now as ISO 8601 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
