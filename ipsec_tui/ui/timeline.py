"""Both peers' IKE logs on one time line, and the filter the log view applies to it.

Times stay as printed. Where a time parses, events sort by it; an event whose time does not
parse keeps its place after the previous event of its own peer, so each peer's own order is
never changed. Year-less syslog stamps (``Nov 26 20:48:31``) and full ISO stamps mix by
month/day/time. Standard library only.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ipsec_tui.checks.pair import Pair
from ipsec_tui.domain.model import LogEvent

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_SYSLOG = re.compile(
    r"^\W*(?P<month>[A-Za-z]{3})\s+(?P<day>\d{1,2})\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d\d):(?P<s>\d\d)(?:[.,](?P<frac>\d{1,6}))?"
)
_CLOCK = re.compile(r"^\W*(?P<h>\d{1,2}):(?P<m>\d\d):(?P<s>\d\d)(?:[.,](?P<frac>\d{1,6}))?$")
_LEAP_YEAR = 2000  # year-less stamps: a leap year, so Feb 29 parses


@dataclass(frozen=True)
class TimelineEvent:
    """One log line of one peer, placed on the merged time line."""

    peer: str
    side: str  # "a" or "b"
    file: str | None  # the log's capture file, for the evidence pane
    event: LogEvent

    @property
    def has_causes(self) -> bool:
        return bool(self.event.causes)

    def text(self) -> str:
        """Everything the filter looks in, lowercased."""
        e = self.event
        parts = [self.peer, e.time or "", e.level or "", e.subsystem or "", e.sa_name or ""]
        parts += [e.message, *e.causes, e.direction or ""]
        return " ".join(parts).lower()


def parse_time(text: str | None) -> tuple[datetime, bool] | None:
    """(time, has a year) for a stamp as devices print it, or None if it does not parse."""
    if not text:
        return None
    stamp = text.strip()
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed, True
    match = _SYSLOG.match(stamp)
    if match and match["month"].lower() in _MONTHS:
        try:
            parsed = datetime(
                _LEAP_YEAR,
                _MONTHS[match["month"].lower()],
                int(match["day"]),
                int(match["h"]),
                int(match["m"]),
                int(match["s"]),
                int((match["frac"] or "0").ljust(6, "0")),
            )
        except ValueError:
            return None
        return parsed, False
    match = _CLOCK.match(stamp)
    if match:
        try:
            parsed = datetime(
                _LEAP_YEAR,
                1,
                1,
                int(match["h"]),
                int(match["m"]),
                int(match["s"]),
                int((match["frac"] or "0").ljust(6, "0")),
            )
        except ValueError:
            return None
        return parsed, False
    return None


def _keys(times: list[tuple[datetime, bool] | None], drop_year: bool) -> list[datetime]:
    """One sort key per event, never decreasing, so merging keeps the peer's own order."""
    parsed = [
        None if t is None else (t[0].replace(year=_LEAP_YEAR) if drop_year else t[0]) for t in times
    ]
    first = next((t for t in parsed if t is not None), datetime.max)
    keys: list[datetime] = []
    last = first  # lines before the first stamp go with it
    for t in parsed:
        if t is not None and t > last:
            last = t
        keys.append(last)
    return keys


def merge_logs(pair: Pair) -> tuple[TimelineEvent, ...]:
    """Both peers' log events on one time line (see the module docstring)."""
    sides = [(side, peer) for side, peer in (("a", pair.a), ("b", pair.b)) if peer is not None]
    stamps = {side: [parse_time(e.time) for e in peer.log] for side, peer in sides}
    drop_year = any(t is not None and not t[1] for times in stamps.values() for t in times) and any(
        t is not None and t[1] for times in stamps.values() for t in times
    )
    streams: list[Iterator[tuple[datetime, int, TimelineEvent]]] = []
    for order, (side, peer) in enumerate(sides):
        keys = _keys(stamps[side], drop_year)
        events = [TimelineEvent(peer.name, side, peer.log_file, e) for e in peer.log]
        streams.append(iter([(key, order, ev) for key, ev in zip(keys, events, strict=True)]))
    # (key, peer order): on equal times peer A's line comes first; each stream is sorted
    return tuple(item[2] for item in heapq.merge(*streams, key=lambda item: item[:2]))


def filter_timeline(
    events: Iterable[TimelineEvent], query: str = "", *, causes_only: bool = False
) -> list[TimelineEvent]:
    """Events holding every word of `query` (any case), optionally only cause-carrying ones."""
    words = query.lower().split()
    return [
        e
        for e in events
        if (not causes_only or e.has_causes) and all(word in e.text() for word in words)
    ]
