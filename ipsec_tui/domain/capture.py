"""What was collected from one peer: the commands sent, when, and where their output lives.

This is the interchange format's model (see README, "The capture format"); reading and
writing folders lives in ``ipsec_tui.collectors.capture_io``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NOT_SLUG = re.compile(r"[^a-z0-9.]+")


def slug(command: str) -> str:
    """File stem for a command: lowercase, runs of other than a-z 0-9 '.' become '-'."""
    return _NOT_SLUG.sub("-", command.lower()).strip("-")


@dataclass(frozen=True)
class CommandRecord:
    """One command sent to a peer and what became of it."""

    command: str
    file: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.file is not None


@dataclass(frozen=True)
class PeerCapture:
    """Everything collected from one peer, outputs included (text exactly as printed)."""

    name: str
    platform: str
    host: str | None = None
    port: int | None = None
    collected_at: str | None = None
    commands: tuple[CommandRecord, ...] = ()
    outputs: dict[str, str] = field(default_factory=dict)  # file name -> text
    error: str | None = None  # peer-level failure (unreachable, auth refused...)
    login_commands: tuple[str, ...] = ()  # what the SSH driver itself sent at login
    tool_version: str | None = None

    def output_of(self, record: CommandRecord) -> str | None:
        """The text a command printed, or None when it produced no file."""
        return self.outputs.get(record.file) if record.file else None
