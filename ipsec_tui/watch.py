"""Watching a tunnel over time (`ipsec-tui watch`): samples of both peers in, a time line out.

A snapshot cannot show what happens at the first rekey, or a tunnel that goes down every
hour. A watch reads both peers' SA state, counters and new log lines every interval (over
SSH sessions kept open, see watch_cli.py) and this module turns the sequence of samples into:

- a time line of events: IKE and child SAs up and down, rekeys (SPIs changed), rekeys that
  failed with the notify that ended them, retransmits and DPD from the new log lines,
  counters that move one way only or stop;
- per child SA and peer, bytes per second each way between consecutive samples;
- a verdict on what only time shows: a PFS mismatch (the first child SA worked, its rekey's
  CREATE_CHILD_SA was refused with NO_PROPOSAL_CHOSEN or INVALID_KE_PAYLOAD), lifetime churn
  (one peer rekeys far more often), a flapping path (SAs down and up again), DPD, SAs lost on
  one side only, and traffic that goes one way.

Pure: no device, no terminal. :class:`Watch` takes samples one at a time (the cockpit shows
the result after each) and keeps only what it needs from the previous one; :func:`run_watch`
paces the samples; only :func:`collect_over` (the live sampler the command line and the
cockpit share) reaches devices, through the collectors.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ipsec_tui.checks.scope import tunnel_view
from ipsec_tui.domain.capture import PeerCapture, parse_utc
from ipsec_tui.domain.model import ChildSa, IkeSa, LogEvent, PeerModel
from ipsec_tui.domain.watch import (
    ChildSeries,
    PeerSample,
    RatePoint,
    WatchEvent,
    WatchResult,
    WatchSample,
    WatchVerdict,
)
from ipsec_tui.errors import UserError
from ipsec_tui.parsers.base import parse_peer
from ipsec_tui.platforms import CommandRefused, PlatformSpec, load_platform

if TYPE_CHECKING:
    from ipsec_tui.collectors.inventory import Tunnel
    from ipsec_tui.collectors.ssh import PeerSession

# The facts a sample reads: the clock (log times), the SAs with their counters, the log.
SAMPLE_FACTS = ("clock", "ike_sas", "child_sas", "log")
# One peer rekeys "far more often" when it started this many times the other's rekeys (and
# at least two), or when its child SAs are scheduled to rekey this many times as often.
CHURN_RATIO = 3.0
# Counters that stood still this many intervals in a row after traffic moved have stalled.
STALL_INTERVALS = 3
# Notifies that end a rekey whose proposals (the DH group of PFS) do not match.
_PFS_NOTIFIES = ("NO_PROPOSAL_CHOSEN", "INVALID_KE_PAYLOAD")
_UP_STATES = {"ESTABLISHED", "INSTALLED", "REKEYED", "REKEYING", "UP", "ACTIVE"}
# a log line that starts a CREATE_CHILD_SA exchange (IKEv2 rekey or new child): charon
# "generating CREATE_CHILD_SA request 2 [ N(REKEY_SA) ...]"
_CREATE_CHILD_REQUEST = re.compile(r"\b(generating|sending) CREATE_CHILD_SA request\b")
# After its first sample a watch reads a Linux peer's log (`cat {log_file}`) from a line on,
# `tail -n +N FILE` (allowlisted in exactly that form), N counted here: this many lines
# before the end of the previous read, so that an exchange logged across two samples parses
# as in a whole read; only the lines after those already read are new.
LOG_OVERLAP_LINES = 20
WHOLE_LOG = "cat {log_file}"
_FROM_LINE = re.compile(r"^tail -n \+(?P<first>[1-9][0-9]{0,8}) \S+$")


def sample_commands(spec: PlatformSpec, overrides: Mapping[str, str] | None = None) -> list[str]:
    """The commands of one sample on a platform: its clock, SA and counter commands and its
    log, each once, in the platform's order (all allowlisted, as every fact's command is)."""
    variables = spec.resolve_variables(overrides)
    wanted: list[str] = []
    for fact in SAMPLE_FACTS:
        for pattern in spec.facts.get(fact, ()):
            command = pattern.canonical(variables)
            if command not in wanted:
                wanted.append(command)
    return wanted


def log_from_command(
    spec: PlatformSpec, overrides: Mapping[str, str] | None, first: int
) -> str | None:
    """`tail -n +FIRST LOG_FILE`: the peer's log from line ``first`` on, where the platform
    reads its log whole with `cat {log_file}` and its allowlist admits this form; None where
    it does not (the log is read whole)."""
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first < 10**9:
        raise ValueError(f"a log line number is a positive integer, not {first!r}")
    if not any(pattern.text == WHOLE_LOG for pattern in spec.facts.get("log", ())):
        return None
    command = f"tail -n +{first} {spec.resolve_variables(overrides)['log_file']}"
    try:
        spec.check_allowed(command, overrides)
    except CommandRefused:
        return None
    return command


def _log_first_line(spec: PlatformSpec, command: str) -> int | None:
    """The log file line a command's output starts at: N for `tail -n +N FILE`, 1 for the
    platform's whole log; None for any other command."""
    found = _FROM_LINE.match(command)
    if found:
        return int(found["first"])
    return 1 if spec.pattern_of(command) == WHOLE_LOG else None


@dataclass
class LogCursor:
    """How far a live watch has read one peer's log file: its lines so far and the last
    few of them (the next read must start with them, else the file was replaced)."""

    lines: int = 0
    last: tuple[str, ...] = ()

    def command(self, spec: PlatformSpec, overrides: Mapping[str, str] | None) -> str | None:
        """The next sample's log command from a line on; None: read the log whole."""
        if not self.last:
            return None
        return log_from_command(spec, overrides, self.lines - len(self.last) + 1)

    def advance(self, first: int, text: str | None) -> None:
        """After a read of the log from line ``first`` (1: whole) that printed ``text``
        (None: it failed): the next read continues, or starts again whole."""
        lines = text.splitlines() if text is not None else []
        if first > 1:
            known = self.last
            same = (
                len(lines) >= len(known)
                and lines[: len(known) - 1] == list(known[:-1])
                and lines[len(known) - 1].startswith(known[-1])
            )
            if not known or not same:  # rotated, truncated or unreadable: read it whole
                self.lines, self.last = 0, ()
                return
        self.lines = first - 1 + len(lines)
        self.last = tuple(lines[-LOG_OVERLAP_LINES:])


def _log_lines(capture: PeerCapture) -> tuple[int, int] | None:
    """The log file's lines a capture read: (first, last)."""
    try:
        spec = load_platform(capture.platform)
    except Exception:  # an unknown platform: no log lines counted
        return None
    for record in capture.commands:
        first = _log_first_line(spec, record.command)
        if first is None:
            continue
        text = capture.output_of(record)
        if not record.ok or text is None:
            return None
        return first, first - 1 + len(text.splitlines())
    return None


def _read_at(capture: PeerCapture) -> str | None:
    """When the peer's SAs were read: the start of its first child SA command that ran."""
    try:
        spec = load_platform(capture.platform)
    except Exception:  # an unknown platform still has its collection time
        return capture.collected_at
    for record in capture.commands:
        if record.ok and record.started_at and "child_sas" in spec.facts_of(record.command):
            return record.started_at
    return capture.collected_at


def sample_of(
    index: int, captures: Sequence[PeerCapture], taken_at: str, folder: str | None = None
) -> WatchSample:
    """One sample from both peers' captures (parsed here); a peer that failed keeps its error.

    Each peer is read as the tunnel's part of the device, as the checks read it
    (checks/scope.py): on a hub, or on one of several tunnels between the same two devices
    (the inventory's ``connection``), another tunnel's SAs, rekeys and log lines would
    otherwise make this tunnel's events and verdict."""
    models = [
        parse_peer(capture) if any(record.ok for record in capture.commands) else None
        for capture in captures
    ]
    others = models[::-1] if len(models) == 2 else [None] * len(models)
    models = [tunnel_view(model, other) for model, other in zip(models, others, strict=True)]
    peers = [
        PeerSample(capture.name, model, _read_at(capture), capture.error, _log_lines(capture))
        for capture, model in zip(captures, models, strict=True)
    ]
    return WatchSample(index, taken_at, tuple(peers), folder)


def _seconds(stamp: str | None) -> float | None:
    moment = parse_utc(stamp) if stamp else None
    return moment.timestamp() if moment else None


def _up(state: str | None) -> bool:
    return state is None or state.upper() in _UP_STATES


@dataclass(frozen=True)
class _Child:
    """A child SA as one sample saw it (the newest installed one of its name)."""

    key: str  # "ike/child"
    spi_in: str | None
    spi_out: str | None
    bytes_in: int | None
    bytes_out: int | None
    period_s: int | None  # installed + rekey in: how often this peer rekeys it


@dataclass(frozen=True)
class _PeerState:
    """What the next sample is compared with, for one peer."""

    at: float | None
    ikes: dict[str, tuple[str | None, str | None]]  # IKE SA name -> its SPIs
    children: dict[str, _Child]
    log_tail: tuple[int, str] | None  # the last log line seen: (line number, message)
    log_end: int | None = None  # the last line of the log file read so far


def _ike_name(sa: IkeSa) -> str:
    """The IKE SA's connection name; unnamed (Cisco, Junos), its two addresses, which stay
    the same across rekeys where a serial number would not."""
    if sa.name:
        return sa.name
    if sa.local_addr and sa.remote_addr:
        return f"{sa.local_addr}-{sa.remote_addr}"
    return sa.unique_id or "?"


def _child_name(sa: IkeSa, child: ChildSa) -> str:
    local = ",".join(child.local_ts) or "?"
    remote = ",".join(child.remote_ts) or "?"
    return f"{_ike_name(sa)}/{child.name or f'{local}=={remote}'}"


def _state_of(sample: PeerSample, previous: _PeerState | None) -> _PeerState:
    model = sample.model
    assert model is not None
    ikes: dict[str, tuple[str | None, str | None]] = {}
    children: dict[str, _Child] = {}
    chosen: dict[str, ChildSa] = {}
    for sa in model.ike_sas:
        if not _up(sa.state):
            continue
        ikes.setdefault(_ike_name(sa), (sa.spi_i, sa.spi_r))
        for child in sa.child_sas:
            if child.state is not None and child.state.upper() not in ("INSTALLED", "UP"):
                continue
            key = _child_name(sa, child)
            have = chosen.get(key)
            # during a rekey both SAs are installed for a moment: the newer one carries traffic
            if have is None or (child.installed_s or 0) < (have.installed_s or 0):
                chosen[key] = child
    for key, child in chosen.items():
        period = (
            child.installed_s + child.rekey_in_s
            if child.installed_s is not None and child.rekey_in_s is not None
            else None
        )
        children[key] = _Child(
            key, child.spi_in, child.spi_out, child.bytes_in, child.bytes_out, period
        )
    tail = (model.log[-1].line, model.log[-1].message) if model.log else None
    if not model.log and previous is not None and model.log_file is None:
        tail = previous.log_tail  # no log this time (or no new event): keep where it was
    end = sample.log_lines[1] if sample.log_lines else None
    return _PeerState(_seconds(sample.read_at), ikes, children, tail, end)


def _new_log(
    model: PeerModel, previous: _PeerState | None, read: tuple[int, int] | None = None
) -> tuple[LogEvent, ...]:
    """The log lines written since the previous sample: those after the last line it read
    when this sample read the log from a line on; else after the line it ended on when the
    log still holds that line, else (rotated, restarted, first sample) all of them."""
    if read is not None and read[0] > 1 and previous is not None and previous.log_end:
        end = previous.log_end
        return tuple(event for event in model.log if event.line > end)
    if previous is None or previous.log_tail is None:
        return model.log
    line, message = previous.log_tail
    for index, event in enumerate(model.log):
        if event.line == line and event.message == message:
            return model.log[index + 1 :]
    return model.log


def _line(peer: str, event: LogEvent) -> str:
    return f"{peer}: {event.time or '?'} {event.message}"


def _create_child_started(events: Sequence[LogEvent]) -> int:
    """How many CREATE_CHILD_SA exchanges (rekeys) this peer started in ``events``: its sent
    requests where the log records packets (retransmits not counted again), else the lines
    that say it generates one."""
    packets = [
        e.packet for e in events if e.packet is not None and e.packet.exchange == "CREATE_CHILD_SA"
    ]
    if packets:
        return sum(
            1 for p in packets if p.direction == "sent" and p.response is False and not p.retransmit
        )
    return sum(
        1
        for e in events
        if e.exchange == "CREATE_CHILD_SA" and _CREATE_CHILD_REQUEST.search(e.message)
    )


def _notifies(event: LogEvent) -> list[str]:
    return [cause for cause in event.causes if cause.isupper()]


@dataclass
class _Failure:
    """A failed rekey in one sample's new log lines of one peer."""

    notifies: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # notifies this peer sent (it refused)
    lines: list[str] = field(default_factory=list)


def _log_failures(peer: str, events: Sequence[LogEvent]) -> _Failure | None:
    """The new lines' failed CREATE_CHILD_SA (rekey) exchanges: the notify that ended one (a
    line naming the exchange, or the nearest line before it that names it), charon's
    "rekeying failed", and what this peer refused (its configured vs received proposals)."""
    failure = _Failure()
    exchange: str | None = None
    failed = False
    for event in events:
        if event.exchange is not None:
            exchange = event.exchange
        in_rekey = (event.exchange or exchange) == "CREATE_CHILD_SA"
        notifies = _notifies(event) if in_rekey else []
        if notifies:
            failed = True
            failure.notifies += [n for n in notifies if n not in failure.notifies]
            if event.direction == "sent":
                failure.sent += [n for n in notifies if n not in failure.sent]
            failure.lines.append(_line(peer, event))
        elif "rekey_failed" in event.causes:
            failed = True
            failure.lines.append(_line(peer, event))
        elif in_rekey and {
            "child_proposal_mismatch",
            "received_proposals",
            "configured_proposals",
        } & set(event.causes):
            failure.lines.append(_line(peer, event))
    if not failed:
        return None
    return failure


@dataclass(frozen=True)
class _At:
    """Where an event is seen: the sample, seconds since the first one, the peer."""

    sample: int
    elapsed: float
    peer: str


class Watch:
    """The time line of one tunnel's watch, built one sample at a time."""

    def __init__(self, tunnel: str, peers: Sequence[str]) -> None:
        self.tunnel = tunnel
        self.peers = tuple(peers)
        self.samples = 0
        self.started_at: str | None = None
        self._start: float | None = None
        self._elapsed = 0.0
        self._states: dict[str, _PeerState] = {}
        self._events: list[WatchEvent] = []
        self._points: dict[tuple[str, str], list[RatePoint]] = {}
        # (peer, child) -> sample -> bytes (in, out) moved since the previous sample
        self._deltas: dict[tuple[str, str], dict[int, tuple[int, int]]] = {}
        self._quiet: dict[tuple[str, str], int] = {}  # intervals without traffic in a row
        self._flow: dict[tuple[str, str], str] = {}  # the last flow event per child
        self._rekeys: Counter[str] = Counter()
        self._failures: list[tuple[str, int, _Failure]] = []
        self._established: dict[str, int] = {}  # peer -> first sample a child was seen up
        self._downs: list[WatchEvent] = []
        self._periods: dict[str, dict[str, int]] = {}  # peer -> child -> rekey period (s)
        self._folders: list[str] = []
        self._last_children: dict[str, dict[str, _Child]] = {}

    @property
    def events(self) -> tuple[WatchEvent, ...]:
        """The time line so far."""
        return tuple(self._events)

    # --- taking samples -------------------------------------------------------------------

    def add(self, sample: WatchSample) -> None:
        """Compare one more sample with the previous one and record what changed."""
        now = _seconds(sample.taken_at)
        if self._start is None:
            self._start = now
            self.started_at = sample.taken_at
        elapsed = now - self._start if now is not None and self._start is not None else 0.0
        self._elapsed = max(self._elapsed, elapsed)
        self.samples += 1
        if sample.folder:
            self._folders.append(sample.folder)
        for peer in sample.peers:
            self._add_peer(sample.index, elapsed, peer)

    def _event(
        self, at: _At, kind: str, subject: str, detail: str, evidence: Iterable[str] = ()
    ) -> WatchEvent:
        event = WatchEvent(at.sample, at.elapsed, at.peer, kind, subject, detail, tuple(evidence))
        self._events.append(event)
        return event

    def _add_peer(self, index: int, elapsed: float, sample: PeerSample) -> None:
        name = sample.name
        at = _At(index, round(elapsed, 3), name)
        if sample.model is None:
            self._event(at, "sample-failed", name, sample.error or "no output")
            return
        previous = self._states.get(name)
        state = _state_of(sample, previous)
        self._compare_sas(at, previous, state)
        self._read_log(at, _new_log(sample.model, previous, sample.log_lines))
        self._rates(at, previous, state)
        if state.children and name not in self._established:
            self._established[name] = index
        self._periods[name] = {
            key: child.period_s for key, child in state.children.items() if child.period_s
        }
        self._states[name] = state

    def _compare_sas(self, at: _At, before: _PeerState | None, after: _PeerState) -> None:
        if before is None:
            for ike in after.ikes:
                self._event(at, "ike-up", ike, "IKE SA established")
            for key in after.children:
                self._event(at, "child-up", key, "child SA installed")
            return
        for ike, spis in after.ikes.items():
            if ike not in before.ikes:
                self._event(at, "ike-up", ike, "IKE SA established")
            elif before.ikes[ike] != spis:
                self._event(
                    at,
                    "ike-rekey",
                    ike,
                    "IKE SA replaced (rekey or a new SA): SPIs "
                    f"{_spis(before.ikes[ike])} -> {_spis(spis)}",
                )
        for ike in before.ikes:
            if ike not in after.ikes:
                self._downs.append(self._event(at, "ike-down", ike, "no established IKE SA"))
        for key, child in after.children.items():
            old = before.children.get(key)
            if old is None:
                self._event(at, "child-up", key, "child SA installed")
            elif (old.spi_in, old.spi_out) != (child.spi_in, child.spi_out):
                self._event(
                    at,
                    "child-rekey",
                    key,
                    f"SPIs in/out {old.spi_in}/{old.spi_out} -> {child.spi_in}/{child.spi_out}",
                )
        for key in before.children:
            if key not in after.children:
                self._downs.append(self._event(at, "child-down", key, "child SA gone"))

    def _read_log(self, at: _At, events: Sequence[LogEvent]) -> None:
        peer = at.peer
        retransmits = [e for e in events if "retransmit" in e.causes]
        if retransmits:
            self._event(
                at,
                "retransmit",
                retransmits[-1].sa_name or peer,
                f"{len(retransmits)} retransmits",
                [_line(peer, e) for e in retransmits[-3:]],
            )
        dead = [e for e in events if {"dpd_timeout", "giving_up"} & set(e.causes)]
        if dead:
            self._event(
                at,
                "dpd",
                dead[-1].sa_name or peer,
                "gave up on the peer",
                [_line(peer, e) for e in dead],
            )
        self._rekeys[peer] += _create_child_started(events)
        failure = _log_failures(peer, events)
        if failure is not None:
            subject = next((e.sa_name for e in events if e.exchange == "CREATE_CHILD_SA"), None)
            self._failures.append((peer, at.sample, failure))
            self._event(
                at,
                "rekey-failed",
                subject or peer,
                "rekey failed: " + (", ".join(failure.notifies) or "see the log"),
                failure.lines,
            )

    def _rates(self, at: _At, before: _PeerState | None, after: _PeerState) -> None:
        peer = at.peer
        self._last_children[peer] = after.children
        if before is None or before.at is None or after.at is None or after.at <= before.at:
            return
        span = after.at - before.at
        for key, child in after.children.items():
            old = before.children.get(key)
            rate_in = rate_out = None
            if old is not None and (old.spi_in, old.spi_out) == (child.spi_in, child.spi_out):
                moved_in = _moved(old.bytes_in, child.bytes_in)
                moved_out = _moved(old.bytes_out, child.bytes_out)
                rate_in = None if moved_in is None else moved_in / span
                rate_out = None if moved_out is None else moved_out / span
                if moved_in is not None and moved_out is not None:
                    self._deltas.setdefault((peer, key), {})[at.sample] = (moved_in, moved_out)
                    self._flow_event(at, key, moved_in, moved_out)
            self._points.setdefault((peer, key), []).append(
                RatePoint(at.sample, at.elapsed, rate_in, rate_out)
            )

    def _flow_event(self, at: _At, key: str, moved_in: int, moved_out: int) -> None:
        """A one-way episode starts, traffic stops for STALL_INTERVALS intervals after it
        moved, or it moves both ways again: each said once, when it starts."""
        peer = at.peer
        quiet = self._quiet.get((peer, key), 0) + 1 if not (moved_in or moved_out) else 0
        self._quiet[(peer, key)] = quiet
        last = self._flow.get((peer, key))
        if moved_in and moved_out:
            flow: str | None = "traffic"
        elif moved_in or moved_out:
            flow = "one-way"
        else:
            flow = "stalled" if quiet >= STALL_INTERVALS and last is not None else None
        if flow is None or flow == last:
            return
        self._flow[(peer, key)] = flow
        if flow == "traffic" and last is None:
            return  # traffic from the start: nothing to say
        if flow == "traffic":
            detail = "counters move both ways again"
        elif flow == "stalled":
            detail = f"counters stopped moving ({quiet} intervals)"
        elif moved_out:
            detail = f"encrypted {moved_out} B, decrypted nothing"
        else:
            detail = f"decrypted {moved_in} B, encrypted nothing back"
        self._event(at, flow, key, detail)

    # --- the result -----------------------------------------------------------------------

    def result(self) -> WatchResult:
        series = tuple(
            ChildSeries(peer, key, tuple(points)) for (peer, key), points in self._points.items()
        )
        return WatchResult(
            tunnel=self.tunnel,
            peers=self.peers,
            samples=self.samples,
            started_at=self.started_at,
            elapsed_s=round(self._elapsed, 3),
            events=tuple(self._events),
            series=series,
            verdict=self.verdict(),
            rekeys_initiated=tuple((peer, self._rekeys[peer]) for peer in self.peers),
            folders=tuple(self._folders),
        )

    def verdict(self) -> WatchVerdict:
        """What the time line shows, most specific first."""
        for judge in (
            self._pfs,
            self._rekey_failure,
            self._flapping,
            self._dpd,
            self._stale,
            self._churn,
            self._one_way,
            self._no_traffic,
        ):
            found = judge()
            if found is not None:
                return found
        if self.samples < 2:
            return WatchVerdict("unknown", None, "one sample only: a watch needs two or more")
        return WatchVerdict(
            "healthy",
            None,
            f"{self.samples} samples over {self._elapsed:.0f} s: nothing went down, no rekey "
            "failed, counters moved both ways or stayed still",
        )

    def _other(self, peer: str) -> str | None:
        return next((name for name in self.peers if name != peer), None)

    def _pfs(self) -> WatchVerdict | None:
        """A rekey refused for its proposals after the first child SA worked: the only
        proposal part that first shows at a rekey is the DH group of PFS (the first child
        SA is keyed in IKE_AUTH, without a key exchange)."""
        refused = [
            (peer, index, failure)
            for peer, index, failure in self._failures
            if set(failure.notifies) & set(_PFS_NOTIFIES)
        ]
        if not refused:
            return None
        peer, index, _ = refused[0]
        worked = any(self._established.get(name, index + 1) <= index for name in self.peers)
        if not worked:
            return None
        senders = [p for p, _, f in refused if set(f.sent) & set(_PFS_NOTIFIES)]
        side = senders[0] if senders else self._other(peer)
        notify = next(n for n in refused[0][2].notifies if n in _PFS_NOTIFIES)
        evidence = [line for _, _, failure in refused for line in failure.lines]
        return WatchVerdict(
            "pfs-mismatch",
            side,
            f"the child SA worked until its rekey: the rekey's CREATE_CHILD_SA was refused "
            f"with {notify} (sample {index}); {side or 'one peer'} does not accept the other's "
            "PFS group (DH group of the child SA)",
            tuple(evidence),
        )

    def _rekey_failure(self) -> WatchVerdict | None:
        if not self._failures:
            return None
        peer, index, failure = self._failures[0]
        # the peer that sent the notify refused; else the other one did
        side = peer if failure.sent else self._other(peer)
        return WatchVerdict(
            "rekey-failure",
            side if failure.notifies else None,
            f"a rekey failed at sample {index} ({', '.join(failure.notifies) or 'no notify'})",
            tuple(failure.lines),
        )

    def _down_episodes(self) -> list[WatchEvent]:
        """The downs that were followed by the SA coming back (a flap), per peer."""
        flaps = []
        for down in self._downs:
            back = any(
                event.peer == down.peer
                and event.subject == down.subject
                and event.kind in ("ike-up", "child-up")
                and event.sample > down.sample
                for event in self._events
            )
            if back:
                flaps.append(down)
        return flaps

    def _flapping(self) -> WatchVerdict | None:
        flaps = self._down_episodes()
        by_peer = Counter(event.peer for event in flaps if event.kind == "ike-down")
        by_peer = by_peer or Counter(event.peer for event in flaps)
        if not by_peer or max(by_peer.values()) < 2:
            return None
        peer, times = by_peer.most_common(1)[0]
        dpd = [e for e in self._events if e.kind in ("dpd", "retransmit")]
        evidence = [
            f"sample {e.sample} ({e.elapsed_s:.0f} s): {e.peer} {e.kind} {e.subject}" for e in flaps
        ]
        evidence += [line for e in dpd[:4] for line in e.evidence[:1]]
        return WatchVerdict(
            "flapping-path",
            None,
            f"the tunnel went down and came back {times} times on {peer}"
            + (", with DPD / retransmits: the path between the peers drops IKE" if dpd else ""),
            tuple(evidence),
        )

    def _dpd(self) -> WatchVerdict | None:
        dead = [e for e in self._events if e.kind == "dpd"]
        if not dead:
            return None
        peers = sorted({e.peer for e in dead})
        return WatchVerdict(
            "dpd-timeout",
            None,
            f"dead peer detection gave up ({', '.join(peers)}) at sample {dead[0].sample}: "
            "the peer stopped answering (path, firewall or its daemon)",
            tuple(line for e in dead for line in e.evidence),
        )

    def _stale(self) -> WatchVerdict | None:
        """In the last sample one peer holds child SAs, the other none, after both had."""
        if len(self.peers) != 2 or len(self._last_children) != 2:
            return None
        holding = [peer for peer in self.peers if self._last_children.get(peer)]
        if len(holding) != 1 or len(self._established) < 2:
            return None
        keeper = holding[0]
        lost = self._other(keeper)
        downs = [e for e in self._downs if e.peer == lost]
        if not downs:
            return None
        return WatchVerdict(
            "stale-sa",
            keeper,
            f"{lost}'s SAs went away at sample {downs[0].sample}, {keeper} still holds its "
            f"own: {keeper}'s are stale",
            tuple(f"sample {e.sample}: {e.peer} {e.kind} {e.subject}" for e in downs),
        )

    def _churn(self) -> WatchVerdict | None:
        rekeys = self._rekeys
        if len(self.peers) == 2:
            a, b = self.peers
            busy, calm = (a, b) if rekeys[a] >= rekeys[b] else (b, a)
            if rekeys[busy] >= 2 and rekeys[busy] >= CHURN_RATIO * max(rekeys[calm], 1):
                return WatchVerdict(
                    "lifetime-mismatch",
                    busy,
                    f"{busy} started {rekeys[busy]} rekeys in {self._elapsed:.0f} s, "
                    f"{calm} {rekeys[calm]}: {busy}'s lifetimes are much shorter",
                    (f"rekeys started: {busy} {rekeys[busy]}, {calm} {rekeys[calm]}",),
                )
            return self._scheduled_churn(a, b)
        return None

    def _scheduled_churn(self, a: str, b: str) -> WatchVerdict | None:
        """Each peer's child SA rekey period (installed + rekey in) in the last sample."""
        for key, period_a in self._periods.get(a, {}).items():
            period_b = _mirrored_period(key, self._periods.get(b, {}))
            if period_b is None:
                continue
            short, long_ = (a, b) if period_a < period_b else (b, a)
            low, high = sorted((period_a, period_b))
            if high >= CHURN_RATIO * low:
                return WatchVerdict(
                    "lifetime-mismatch",
                    short,
                    f"{short} rekeys {key} every ~{low} s, {long_} every ~{high} s: "
                    f"{short} churns through SAs (its lifetime is much shorter)",
                    (f"{a}: {key} rekeys every ~{period_a} s", f"{b}: every ~{period_b} s"),
                )
        return None

    def _one_way(self) -> WatchVerdict | None:
        """An interval in which one side encrypted and decrypted nothing while the other
        decrypted nothing (esp-blocked, nearest the receiver), or decrypted and encrypted
        nothing back (no-return-path on the receiver); the first such pair of readings."""
        if len(self.peers) != 2:
            return None
        found: dict[tuple[str, str], list[str]] = {}
        for sender, receiver in (self.peers, self.peers[::-1]):
            theirs = {key: moved for (peer, key), moved in self._deltas.items() if peer == receiver}
            for (peer, key), moved in self._deltas.items():
                other = _mirrored_key(key, theirs) if peer == sender else None
                if other is None:
                    continue
                for index, (s_in, s_out) in sorted(moved.items()):
                    if index not in theirs[other] or not s_out or s_in:
                        continue
                    r_in, r_out = theirs[other][index]
                    cause = "esp-blocked" if not r_in else "no-return-path" if not r_out else None
                    if cause is not None:
                        found.setdefault((cause, receiver), []).append(
                            f"sample {index}: {sender} encrypted {s_out} B, decrypted 0; "
                            f"{receiver} decrypted {r_in} B, encrypted {r_out} B ({key})"
                        )
        if not found:
            return None
        (cause, side), rows = min(found.items(), key=lambda item: item[1][0])
        intervals = f"{len(rows)} of {self.samples - 1} intervals"
        summary = (
            f"ESP that the other side encrypted never reached {side} ({intervals})"
            if cause == "esp-blocked"
            else f"{side} decrypted traffic and sent nothing back ({intervals})"
        )
        return WatchVerdict(cause, side, summary, tuple(rows))

    def _no_traffic(self) -> WatchVerdict | None:
        stalls = [e for e in self._events if e.kind == "stalled"]
        if not stalls:
            return None
        if any(e.kind == "traffic" and e.sample > stalls[-1].sample for e in self._events):
            return None
        return WatchVerdict(
            "no-traffic",
            None,
            f"counters stopped moving at sample {stalls[0].sample} and stayed still",
            tuple(f"{e.peer} {e.subject}: {e.detail}" for e in stalls),
        )


def _spis(spis: tuple[str | None, str | None]) -> str:
    return "/".join(spi or "?" for spi in spis)


def _moved(before: int | None, after: int | None) -> int | None:
    if before is None or after is None or after < before:
        return None
    return after - before


def _mirrored_key(key: str, others: Mapping[str, object]) -> str | None:
    """The other peer's name for the same child SA: the same name, else the same child part."""
    if key in others:
        return key
    child = key.split("/", 1)[-1]
    return next((other for other in others if other.split("/", 1)[-1] == child), None)


def _mirrored_period(key: str, periods: Mapping[str, int]) -> int | None:
    other = _mirrored_key(key, periods)
    return periods.get(other) if other is not None else None


# A watch folder: OUT/sample-0001, OUT/sample-0002... (capture folders) and OUT/watch.json.
SAMPLE_DIR = re.compile(r"^sample-(?P<index>[0-9]{4,})$")
WATCH_JSON = "watch.json"


def sample_folders(folder: Path) -> list[Path]:
    """A watch folder's sample capture folders, in the order they were taken."""
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        match = SAMPLE_DIR.match(path.name)
        if match and path.is_dir():
            found.append((int(match["index"]), path))
    return [path for _, path in sorted(found)]


def recorded_samples(folder: Path) -> list[WatchSample]:
    """A watch folder's samples read back from disk, as the live watch took them: its time
    is when the first peer's collection started."""
    from ipsec_tui.collectors.capture_io import read_capture

    samples = []
    for path in sample_folders(folder):
        match = SAMPLE_DIR.match(path.name)
        assert match is not None
        captures = read_capture(path)
        taken_at = min((c.collected_at for c in captures if c.collected_at), default="")
        samples.append(sample_of(int(match["index"]), captures, taken_at, str(path)))
    return samples


def replay_watch(folder: Path) -> WatchResult:
    """The time line of a recorded watch (a watch folder, or one unpacked from a bundle),
    built again offline from its samples' raw outputs."""
    from ipsec_tui.collectors.capture_io import read_capture_index

    samples = recorded_samples(folder)
    if not samples:
        raise UserError(f"{folder}: holds no watch samples (sample-0001...)")
    index = read_capture_index(Path(samples[0].folder or folder))
    return build_watch(index.tunnel if index and index.tunnel else folder.name, samples)


def build_watch(tunnel: str, samples: Sequence[WatchSample]) -> WatchResult:
    """The time line of a whole sequence of samples (see :class:`Watch`)."""
    names = list(dict.fromkeys(peer.name for sample in samples for peer in sample.peers))
    watch = Watch(tunnel, names)
    for sample in samples:
        watch.add(sample)
    return watch.result()


def to_dict(result: WatchResult) -> dict[str, object]:
    """The watch as plain data for --json: the verdict first, then events and rates."""
    verdict = result.verdict
    return {
        "tunnel": result.tunnel,
        "diagnosis": {
            "cause": verdict.cause,
            "side": verdict.side,
            "summary": verdict.summary,
            "evidence": list(verdict.evidence),
        },
        "samples": result.samples,
        "started_at": result.started_at,
        "elapsed_s": result.elapsed_s,
        "rekeys_initiated": dict(result.rekeys_initiated),
        "events": [
            {
                "sample": e.sample,
                "elapsed_s": e.elapsed_s,
                "peer": e.peer,
                "kind": e.kind,
                "subject": e.subject,
                "detail": e.detail,
                "evidence": list(e.evidence),
            }
            for e in result.events
        ],
        "rates": [
            {
                "peer": s.peer,
                "child": s.child,
                "points": [
                    {
                        "sample": p.sample,
                        "elapsed_s": p.elapsed_s,
                        "in_Bps": p.in_bps,
                        "out_Bps": p.out_bps,
                    }
                    for p in s.points
                ],
            }
            for s in result.series
        ],
        "folders": list(result.folders),
    }


# index -> both peers' captures of that sample, and the folder they were written to
Collect = Callable[[int], tuple[Sequence[PeerCapture], str | None]]


def collect_over(
    tunnel: Tunnel,
    out_dir: Path,
    sessions: Mapping[str, PeerSession],
    passwords: Mapping[tuple[str, str], str],
    stop: threading.Event,
    specs: Mapping[str, PlatformSpec] | None = None,
) -> Collect:
    """How a live watch takes sample N: the sample commands of each peer over its open
    session (left open), written as the capture folder OUT/sample-NNNN (redacted like any
    collection). A Linux peer's log is read whole by the first sample, then from where the
    previous read ended (:class:`LogCursor`). The one part of a watch that reaches devices,
    through the collectors. ``specs`` (by peer name): platforms other than the shipped ones."""
    from ipsec_tui.collectors.run import collect_tunnel

    chosen = {
        peer.name: (specs or {}).get(peer.name) or load_platform(peer.platform)
        for peer in tunnel.peers
    }
    overrides = {peer.name: peer.overrides for peer in tunnel.peers}
    base = {name: sample_commands(spec, overrides[name]) for name, spec in chosen.items()}
    cursors = {name: LogCursor() for name in chosen}

    def commands_now() -> dict[str, list[str]]:
        now = {}
        for name, commands in base.items():
            spec = chosen[name]
            later = cursors[name].command(spec, overrides[name])
            whole = [c for c in commands if _log_first_line(spec, c) == 1]
            now[name] = [later if later and c in whole else c for c in commands]
        return now

    def collect(index: int) -> tuple[list[PeerCapture], str]:
        folder = out_dir / f"sample-{index:04d}"
        collected = collect_tunnel(
            tunnel,
            folder,
            specs=chosen,
            commands=commands_now(),
            passwords=passwords,
            sessions=sessions,
            cancel=stop,
        )
        for peer in collected.peers:
            _advance(cursors[peer.capture.name], chosen[peer.capture.name], peer.capture)
        return [peer.capture for peer in collected.peers], str(folder)

    return collect


def _advance(cursor: LogCursor, spec: PlatformSpec, capture: PeerCapture) -> None:
    """Move a peer's log cursor past what this capture read of its log."""
    for record in capture.commands:
        first = _log_first_line(spec, record.command)
        if first is not None:
            cursor.advance(first, capture.output_of(record) if record.ok else None)
            return


@dataclass(frozen=True)
class WatchRun:
    """How a watch ended: its result, whether it stopped before its last sample, and the
    peers whose session was lost."""

    result: WatchResult
    stopped: bool
    lost: tuple[str, ...] = ()


def run_watch(
    tunnel: str,
    peers: Sequence[str],
    collect: Collect,
    *,
    interval: float,
    samples: int,
    stop: threading.Event | None = None,
    on_sample: Callable[[WatchSample, list[WatchEvent], Watch], None] | None = None,
) -> WatchRun:
    """Take up to ``samples`` samples, one every ``interval`` seconds (``collect`` reads both
    peers; the caller's sessions stay open), and build the time line as they come. Stops
    early when ``stop`` is set, on Ctrl+C (KeyboardInterrupt: the samples taken are kept) and
    when every peer's session is lost (its capture's error says ``session lost``).
    A ``collect`` that returns no captures ends the watch (a replay of recorded samples).
    ``on_sample`` hears of each sample with the events it added and the watch so far."""
    stop = stop or threading.Event()
    watch = Watch(tunnel, peers)
    lost: dict[str, str] = {}
    stopped = False
    start = time.monotonic()
    try:
        for index in range(1, samples + 1):
            if stop.is_set():
                stopped = True
                break
            asked_at = _utc_now()
            captures, folder = collect(index)
            if not captures:  # nothing more to sample (a replay ran out)
                break
            # when the collection started on the peers, else when it was asked for
            taken_at = min((c.collected_at for c in captures if c.collected_at), default=asked_at)
            sample = sample_of(index, captures, taken_at, folder)
            seen = len(watch.events)
            watch.add(sample)
            if on_sample is not None:
                on_sample(sample, list(watch.events[seen:]), watch)
            lost.update(
                (c.name, c.error) for c in captures if c.error and "session lost" in c.error
            )
            if peers and len(lost) >= len(peers):
                stopped = index < samples
                break
            wait = max(0.0, start + index * interval - time.monotonic())
            if index < samples and stop.wait(wait):
                stopped = True
                break
    except KeyboardInterrupt:
        stopped = True
    return WatchRun(watch.result(), stopped, tuple(lost))


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_line(event: WatchEvent) -> str:
    """One event as a line of the time line: time since the start, peer, what, where."""
    minutes, seconds = divmod(int(event.elapsed_s), 60)
    return (
        f"+{minutes:02d}:{seconds:02d} #{event.sample:<3} {event.peer:<8} {event.kind:<12} "
        f"{event.subject}: {event.detail}"
    )
