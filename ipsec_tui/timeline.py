"""Both peers' log lines on one time line: the cockpit's log view and the bundle's report.

Each line's printed time is read (ISO 8601, with or without a zone; syslog's ``Nov 26
20:48:31.49``, with or without a year; a bare ``20:48:31``), placed in the device's zone
(from its clock reading, else UTC) and moved onto the collecting host's clock by subtracting
the device's measured offset, so two devices whose clocks differ still merge in the order
things happened. A year-less time takes the year of the collection (a line later than the
collection by more than a day is from last year).

Each peer's own order is never changed: a log is written in order, so a line whose time does
not read, or reads earlier than the line before it, keeps its place after that line. The
peers merge by those times; on equal times peer A's line comes first. A peer whose lines
never read a time comes after the other.

Then cause before effect: each IKE message one peer's log records sending is paired with the
line of the other peer's log that records receiving it (`LogEvent.packet`: exchange, request
or response, message ID and size agree where both lines say them, the notifies and addresses
preferably too, NAT may change addresses; received no earlier than a second before it left,
no later than half a minute after), and a received
line never comes before the line of its sending, so one-second stamps still read in the
order things happened. Standard library only.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone

from ipsec_tui.domain.capture import ClockReading, PeerCapture, parse_utc
from ipsec_tui.domain.model import IkeMessage, LogEvent, PeerModel

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_FRACTION = r"(?:[.,](?P<frac>\d{1,9}))?"
_ISO = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})[T ](?P<clock>\d{2}:\d{2}:\d{2})" + _FRACTION
    + r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)  # fmt: skip
# syslog, Libreswan, Cisco: "Nov 26 20:48:38.900453", "*Mar  1 2024 00:00:01.123"
_MONTH_FORM = re.compile(
    r"(?P<month>[A-Za-z]{3})\s+(?P<mday>\d{1,2})(?:\s+(?P<year>\d{4}))?\s+"
    r"(?P<clock>\d{1,2}:\d{2}:\d{2})" + _FRACTION
)
_BARE_CLOCK = re.compile(r"^\W*(?P<clock>\d{1,2}:\d{2}:\d{2})" + _FRACTION + r"$")
_UNKNOWN_YEAR = 2000  # nothing says the year: a leap year, so Feb 29 reads


@dataclass(frozen=True)
class TimelineEvent:
    """One log line of one peer, placed on the merged time line."""

    peer: str
    side: str  # "a" or "b"
    file: str | None  # the log's capture file, for the evidence pane
    event: LogEvent
    host_time: datetime | None = None  # UTC on the collecting host's clock; None: unread
    # the other end of the IKE message this line records: (side, line) of the other peer's
    # line that sent or received it; None when the other log does not show it
    pair: tuple[str, int] | None = None

    @property
    def key(self) -> tuple[str, int]:
        """(side, line): which line of which peer's log this is."""
        return self.side, self.event.line

    @property
    def has_causes(self) -> bool:
        return bool(self.event.causes)

    def text(self) -> str:
        """Everything the filter looks in, lowercased."""
        e = self.event
        parts = [self.peer, e.time or "", e.level or "", e.subsystem or "", e.sa_name or ""]
        parts += [e.message, *e.causes, e.direction or ""]
        return " ".join(parts).lower()


def _micro(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))


def _clock(day: date, clock: str, fraction: str | None) -> datetime | None:
    hour, minute, second = (int(part) for part in clock.split(":"))
    try:
        return datetime(day.year, day.month, day.day, hour, minute, second, _micro(fraction))
    except ValueError:
        return None


def device_log_time(
    printed: str | None,
    *,
    zone: timezone | None,
    year_hint: int | None,
    day_hint: date | None = None,
) -> datetime | None:
    """A log line's printed time as an aware datetime: in the zone it names, else ``zone``
    (the device's), else UTC. A year-less time takes ``year_hint``; a bare time of day
    ``day_hint`` (the day of the collection). None when it does not read as a time."""
    if not printed:
        return None
    if len(printed) >= 19 and printed[10:11] in ("T", " ") and printed[:1].isdigit():
        # the common ISO form, without a regex
        try:
            parsed = datetime.fromisoformat(printed)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone or UTC)
    year = year_hint or _UNKNOWN_YEAR
    moment: datetime | None = None
    if iso := _ISO.search(printed):
        try:
            day = date.fromisoformat(iso["day"])
        except ValueError:
            return None
        moment = _clock(day, iso["clock"], iso["frac"])
        if moment is not None and iso["zone"]:
            return _in_zone(moment, iso["zone"])
    elif (month_form := _MONTH_FORM.search(printed)) and month_form["month"].lower() in _MONTHS:
        try:
            day = date(
                int(month_form["year"] or year),
                _MONTHS[month_form["month"].lower()],
                int(month_form["mday"]),
            )
        except ValueError:
            return None
        moment = _clock(day, month_form["clock"], month_form["frac"])
    elif bare := _BARE_CLOCK.match(printed):
        moment = _clock(day_hint or date(year, 1, 1), bare["clock"], bare["frac"])
    return moment.replace(tzinfo=zone or UTC) if moment else None


def _in_zone(moment: datetime, named: str) -> datetime | None:
    """``moment`` in the zone a stamp names ("Z", "+01:00", "+0100"); None if it is none."""
    named = "+00:00" if named == "Z" else named
    if len(named) == 5:
        named = f"{named[:3]}:{named[3:]}"
    try:
        return moment.replace(tzinfo=datetime.fromisoformat(f"2000-01-01T00:00{named}").tzinfo)
    except ValueError:
        return None


def _printed_year(printed: str | None) -> bool:
    if not printed:
        return False
    month_form = _MONTH_FORM.search(printed)
    return bool(_ISO.search(printed) or (month_form and month_form["year"]))


def _host_times(
    model: PeerModel,
    events: Sequence[LogEvent],
    clock: ClockReading | None,
    fallback_year: int | None,
) -> list[datetime | None]:
    """Each line's time on the collecting host's clock (UTC), None where it does not read."""
    collected = parse_utc(model.collected_at) if model.collected_at else None
    zone = clock.zone if clock else None
    local_collected = _shifted(collected, timedelta(0), zone or UTC)
    year_hint = local_collected.year if local_collected else fallback_year
    day_hint = local_collected.date() if local_collected else None
    latest = _shifted(collected, timedelta(days=1), UTC)  # later than that: last year's line
    offset = timedelta(seconds=clock.offset_s if clock else 0.0)
    times: list[datetime | None] = []
    for event in events:
        moment = device_log_time(event.time, zone=zone, year_hint=year_hint, day_hint=day_hint)
        if moment is None:
            times.append(None)
            continue
        if latest is not None and moment > latest and not _printed_year(event.time):
            moment = _last_year(moment)  # a year-less line of last December
        times.append(_shifted(moment, -offset, UTC))
    return times


def _shifted(moment: datetime | None, by: timedelta, zone: timezone) -> datetime | None:
    """``moment + by`` in ``zone``; None at the edges of the calendar (or a wild offset)."""
    if moment is None:
        return None
    try:
        return (moment + by).astimezone(zone)
    except OverflowError:
        return None


def _last_year(moment: datetime) -> datetime:
    if moment.year == 1:
        return moment
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # Feb 29
        return moment.replace(year=moment.year - 1, day=28)


def _fallback_year(models: Sequence[PeerModel]) -> int | None:
    """The year for year-less lines of a peer whose collection time is unknown: the other
    peer's collection year, else the latest year its log prints."""
    for model in models:
        collected = parse_utc(model.collected_at) if model.collected_at else None
        if collected is not None:
            return collected.year
    years = [
        int(match["day"][:4])
        for model in models
        for event in model.log
        if event.time and (match := _ISO.search(event.time))
    ]
    return max(years, default=None)


def _keys(times: list[datetime | None]) -> list[datetime]:
    """One sort key per line, never decreasing, so merging keeps the peer's own order."""
    never = datetime.max.replace(tzinfo=UTC)
    last = next((t for t in times if t is not None), never)  # lines before the first time
    keys: list[datetime] = []
    for moment in times:
        if moment is not None and moment > last:
            last = moment
        keys.append(last)
    return keys


def merge_logs(
    peers: Sequence[PeerModel | None],
    captures: Iterable[PeerCapture | None] = (),
    *,
    last: int | None = None,
) -> tuple[TimelineEvent, ...]:
    """Both peers' log lines (``peers``: A, B; either may be None) on one time line, each
    device's times corrected by the clock offset its capture measured (see the module
    docstring). With ``last``, only each peer's last ``last`` lines are placed (a log is
    written in time order, so the merged tail is among them)."""
    clocks = {capture.name: capture.clock for capture in captures if capture is not None}
    sides = [(side, model) for side, model in zip("ab", peers, strict=False) if model is not None]
    fallback = _fallback_year([model for _, model in sides])
    streams: list[Iterator[tuple[datetime, int, TimelineEvent]]] = []
    for order, (side, model) in enumerate(sides):
        events = model.log if last is None else model.log[max(len(model.log) - last, 0) :]
        times = _host_times(model, events, clocks.get(model.name), fallback)
        keyed = [
            (key, order, TimelineEvent(model.name, side, model.log_file, event, moment))
            for key, moment, event in zip(_keys(times), times, events, strict=True)
        ]
        streams.append(iter(keyed))
    # (key, peer order): on equal times peer A's line comes first; each stream is sorted
    merged = [item[2] for item in heapq.merge(*streams, key=lambda item: item[:2])]
    return _causal(pair_messages(merged))


# a message is received no earlier than this before it was sent (one-second stamps and the
# rest of a measured offset) and no later than _LATEST after
_EARLIEST = timedelta(seconds=1)
_LATEST = timedelta(seconds=30)
_SCAN = 256  # sendings looked at per received line: bounded work on a log of one busy second
_MUST_AGREE = ("exchange", "response", "message_id", "size")
_ADDRESSES = ("source", "source_port", "destination", "destination_port")


def _agree(sent: IkeMessage, received: IkeMessage, names: tuple[str, ...]) -> bool:
    """Whether the two lines say nothing different about these facts (None: not said)."""
    for name in names:
        one, other = getattr(sent, name), getattr(received, name)
        if one is not None and other is not None and one != other:
            return False
    return True


def _in_time(sent: TimelineEvent, received: TimelineEvent) -> bool:
    if sent.host_time is None or received.host_time is None:
        return True
    lag = received.host_time - sent.host_time
    return -_EARLIEST <= lag <= _LATEST


def pair_messages(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    """`events` (a merged time line) with `pair` set on each sent and received IKE message
    line whose other end the other peer's log shows (see the module docstring). A received
    line takes the earliest sending not yet paired that agrees with it, preferring one whose
    addresses agree too (NAT may change them)."""
    sent_by_side: dict[str, list[int]] = {"a": [], "b": []}
    for index, item in enumerate(events):
        packet = item.event.packet
        if packet is not None and packet.direction == "sent" and item.side in sent_by_side:
            sent_by_side[item.side].append(index)
    taken: set[int] = set()
    pairs: dict[int, int] = {}
    starts = {"a": 0, "b": 0}
    for index, item in enumerate(events):
        packet = item.event.packet
        if packet is None or packet.direction != "received" or item.side not in sent_by_side:
            continue
        other = "b" if item.side == "a" else "a"
        candidates = sent_by_side[other]
        start = starts[other]
        # sendings paired already, or too old for this line, are so for every later one too
        # (times only grow)
        while start < len(candidates) and (
            candidates[start] in taken
            or (
                item.host_time is not None
                and (sent_time := events[candidates[start]].host_time) is not None
                and item.host_time - sent_time > _LATEST
            )
        ):
            start += 1
        starts[other] = start
        chosen, best = None, -1
        for candidate in candidates[start : start + _SCAN]:
            sent = events[candidate]
            if sent.host_time and item.host_time and sent.host_time - item.host_time > _EARLIEST:
                break
            sent_packet = sent.event.packet
            if candidate in taken or sent_packet is None or not _in_time(sent, item):
                continue
            if not _agree(sent_packet, packet, _MUST_AGREE):
                continue
            # the earliest that also carries the same notifies, and then the same addresses
            score = 2 * (sent_packet.notifies == packet.notifies)
            score += _agree(sent_packet, packet, _ADDRESSES)
            if score > best:
                chosen, best = candidate, score
            if best == 3:
                break
        if chosen is not None:
            taken.add(chosen)
            pairs[index] = chosen
            pairs[chosen] = index
    return [
        replace(item, pair=events[pairs[index]].key) if index in pairs else item
        for index, item in enumerate(events)
    ]


def _causal(events: list[TimelineEvent]) -> tuple[TimelineEvent, ...]:
    """`events` with every received line after the line that sent it, each peer's own order
    kept, and otherwise the time line's order (the first line free to come, comes)."""
    by_side: dict[str, list[int]] = {}
    for index, item in enumerate(events):
        by_side.setdefault(item.side, []).append(index)
    heads = dict.fromkeys(by_side, 0)
    placed: set[tuple[str, int]] = set()
    ordered: list[TimelineEvent] = []
    while len(ordered) < len(events):
        ready: list[tuple[int, str]] = []
        waiting: list[tuple[int, str]] = []
        for side, position in heads.items():
            if position >= len(by_side[side]):
                continue
            index = by_side[side][position]
            item = events[index]
            packet = item.event.packet
            blocked = (
                packet is not None
                and packet.direction == "received"
                and item.pair is not None
                and item.pair not in placed
            )
            (waiting if blocked else ready).append((index, side))
        index, side = min(ready or waiting)  # both waiting: crossed pairs, keep time order
        ordered.append(events[index])
        placed.add(events[index].key)
        heads[side] += 1
    return tuple(ordered)


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
