"""What was collected from one peer: the commands sent, when, and where their output lives.

This is the interchange format's model (see README, "The capture format"); reading and
writing folders lives in ``ipsec_tui.collectors.capture_io``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

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
    # Set when the command ran only because another did not answer (a platform fallback,
    # e.g. `ipsec statusall` for `swanctl --list-conns`): that command, and how it failed to
    # answer (a `when` condition of the platform's fallback: missing, empty).
    fallback_for: str | None = None
    fallback_when: str | None = None
    # `block` when it ran inside one compound line with others (one round trip): then
    # started_at is when the line was sent and finished_at when this command's end marker
    # arrived, bounds rather than its own times. None: its own send and receive times.
    timing: str | None = None
    exit_status: int | None = None  # the shell's $? where known (compound lines)
    note: str | None = None  # for people: e.g. why it was sent alone after all

    @property
    def ok(self) -> bool:
        return self.error is None and self.file is not None


# What a device's clock command prints: ISO 8601 with the device's UTC offset
# (``date +%Y-%m-%dT%H:%M:%S.%N%z``; any fraction; a date without %N support prints the
# letters, which are skipped), or date's default output in the C locale in UTC
# (``date -u``: ``Thu Nov 26 20:47:51 UTC 2026``).
_ISO_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(?:\.?%?N)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_DATE_DEFAULT = re.compile(
    r"[A-Z][a-z]{2} +([A-Z][a-z]{2}) +(\d{1,2}) +(\d{2}:\d{2}:\d{2}) +(?:UTC|GMT) +(\d{4})"
)


def parse_device_time(text: str) -> datetime | None:
    """The time a clock command printed, aware (in the device's zone when it said so; UTC
    when it printed no zone), or None when it printed something else."""
    iso = _ISO_TIME.search(text)
    if iso:
        day, clock, fraction, zone = iso.groups()
        micro = (fraction or "0")[:6].ljust(6, "0")
        zone = "+00:00" if zone in (None, "Z") else zone
        if len(zone) == 5:  # %z prints +0100
            zone = f"{zone[:3]}:{zone[3:]}"
        try:
            return datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}")
        except ValueError:
            return None
    default = _DATE_DEFAULT.search(text)
    if default:
        month, day_of_month, clock, year = default.groups()
        try:
            moment = datetime.strptime(
                f"{year} {month} {day_of_month} {clock}", "%Y %b %d %H:%M:%S"
            )
        except ValueError:
            return None
        # date prints whole seconds and truncates: the true time lies up to 1 s later
        return moment.replace(tzinfo=UTC, microsecond=500_000)
    return None


def parse_utc(stamp: str) -> datetime | None:
    """A capture's own time stamp (``2024-05-01T12:00:00.123Z``) as an aware datetime."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ClockReading:
    """A device's clock against the collecting host's, read once during the collection.

    ``device_time`` is what the device said, as ISO 8601 with its own UTC offset (the zone
    its logs are written in). ``offset_s`` is device time minus the midpoint of the local
    send and receive times of the clock command: positive when the device runs ahead.
    Subtract it from a device's times to put them on the collecting host's clock.
    """

    device_time: str
    offset_s: float

    @property
    def zone(self) -> timezone | None:
        """The device's UTC offset when it read its clock (None if unreadable)."""
        moment = parse_utc(self.device_time)
        if moment is None or moment.utcoffset() is None:
            return None
        return timezone(moment.utcoffset() or timedelta(0))


def clock_reading(output: str, started_at: str, finished_at: str) -> ClockReading | None:
    """The offset measured by one clock command, or None if its output or times do not read."""
    device = parse_device_time(output)
    sent, received = parse_utc(started_at), parse_utc(finished_at)
    if device is None or sent is None or received is None:
        return None
    midpoint = sent + (received - sent) / 2
    offset = round((device - midpoint).total_seconds(), 3)
    return ClockReading(device_time=device.isoformat(timespec="microseconds"), offset_s=offset)


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
    clock: ClockReading | None = None  # measured at collection, where the platform can
    # The device's own connection for this tunnel, as the inventory names it (strongSwan /
    # Libreswan conn, Cisco crypto map entry or profile...): the checks read only that
    # connection's SAs and log lines. None: the tunnel is told apart by its remote peer.
    connection: str | None = None
    # Netmiko's session log of the collection: memory only, never written to the capture
    # folder; a bundle made right after the collection carries it, redacted.
    session_log: str | None = field(default=None, compare=False, repr=False)

    def output_of(self, record: CommandRecord) -> str | None:
        """The text a command printed, or None when it produced no file."""
        return self.outputs.get(record.file) if record.file else None
