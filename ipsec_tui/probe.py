"""The path test (`ipsec-tui probe`): prove where a tunnel's packets vanish.

A snapshot shows SAs and counters; it cannot show where packets go. The probe reads both
peers' counters of the child SA that carries the test, sends a small bounded ping from each
gateway (its own address in the near LAN as source) to the far LAN, reads the counters again,
and puts the deltas side by side per direction:

    A -> B:  A encrypted n | B decrypted n | B encrypted (replies) m | A decrypted m

The first place where the count drops to zero names the cause and the side. On Linux
gateways a bounded capture of IKE and ESP on each one's WAN interface runs meanwhile, over a
second session per peer: it shows whether the ESP that one side encrypted left its WAN and
reached the other's, which tells "lost between them" from "dropped by the receiver itself".
Commands go out through a `Runner` (the collectors give an SSH one, tests a recorded one),
and every command is built by the tool from validated values and allowlisted.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Protocol

from ipsec_tui.checks.scope import connection_view
from ipsec_tui.collectors.capture_io import output_file_name
from ipsec_tui.domain.capture import CommandRecord, PeerCapture, parse_utc
from ipsec_tui.domain.model import ChildSa, PeerModel
from ipsec_tui.domain.probe import (
    CounterDelta,
    Counters,
    Direction,
    Packet,
    PacketSummary,
    PingResult,
    ProbeResult,
    ProbeVerdict,
)
from ipsec_tui.errors import UserError
from ipsec_tui.parsers.base import parse_peer, parse_text
from ipsec_tui.parsers.tcpdump import wan_interface
from ipsec_tui.platforms import CommandRefused, PlatformSpec, load_platform

# The packet capture during the probe: IKE and ESP on the WAN interface, text mode, bounded
# by time and count; allowlisted in exactly this form (platforms/data/strongswan.yml...).
CAPTURE_SECONDS = 8
CAPTURE_COMMAND = (
    f"timeout {CAPTURE_SECONDS} tcpdump -nn -tt -l -c 400 -i {{interface}} "
    "udp port 500 or udp port 4500 or esp"
)
# The longest wait for every capture to say it listens (tcpdump's "listening on IF" line)
# before the first counter reading; a capture that fails or ends is not waited for.
CAPTURE_SETTLE_S = 5.0
CAPTURE_LISTENING = re.compile(r"listening on \S+")
# The capture ends this long after the last ping returned (a late answer, a retransmit),
# never later than CAPTURE_SECONDS after it started; its record's error then says so.
CAPTURE_GRACE_S = 1.0
CAPTURE_ENDED = f"ended {CAPTURE_GRACE_S:g} s after the probe's last ping"
_INTERFACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,14}$")
# packets count for a direction from just before its ping was sent to just after it ended,
# never past the middle of the gap between two directions' pings (the counter readings): a
# clock offset measured a little off, or a fast machine, must not hand one direction's
# packets to the other
_WINDOW_MARGIN_S = 0.1


@dataclass(frozen=True)
class Ran:
    """What one command gave: its output, or why there is none; with its UTC times."""

    text: str | None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


# (peer name, command) -> what it printed. The runner checks the allowlist again itself.
Runner = Callable[[str, str], Ran]


class CaptureRunner(Protocol):
    """Runs a packet capture for a peer and sets ``listening`` once the capture says it
    listens (CAPTURE_LISTENING in its output while it runs), then returns what it printed."""

    def __call__(self, peer: str, command: str, listening: threading.Event) -> Ran: ...


# peer name -> end its packet capture CAPTURE_GRACE_S from now (its output so far kept)
Ender = Callable[[str], None]


@dataclass(frozen=True)
class ProbeSide:
    """One gateway's part: where its test packets come from and go to."""

    name: str
    platform: str
    source_addr: str  # the gateway's own address inside its local selector
    target: str  # a host of the far LAN
    local_ts: tuple[str, ...]
    remote_ts: tuple[str, ...]
    source_if: str | None = None  # for platforms that ping from an interface name (ASA)
    # the packet capture: the interface holding the gateway's IKE address, that address and
    # the peer's as this gateway sees it, and the gateway's clock against the collector's
    wan_if: str | None = None
    wan_addr: str | None = None
    far_addr: str | None = None
    clock_offset_s: float = 0.0


@dataclass(frozen=True)
class ProbePlan:
    tunnel: str
    a: ProbeSide
    b: ProbeSide
    count: int

    def sides(self) -> tuple[ProbeSide, ProbeSide]:
        return self.a, self.b


def _network(selector: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The address part of a traffic selector (`10.1.0.0/24[tcp/443]` -> 10.1.0.0/24)."""
    try:
        return ipaddress.ip_network(selector.split("[", 1)[0].strip(), strict=False)
    except ValueError:
        return None


def _covers(selectors: Iterable[str], address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for selector in selectors:
        network = _network(selector)
        if network is not None and network.version == ip.version and ip in network:
            return True
    return False


def first_usable(selectors: Sequence[str]) -> str | None:
    """The first usable host address of the first selector that has one (a /32 is itself)."""
    for selector in selectors:
        network = _network(selector)
        if network is None or network.prefixlen == 0:
            continue
        if network.num_addresses <= 2:
            return str(network.network_address)
        return str(next(network.hosts()))
    return None


def _own_address_in(model: PeerModel, selectors: Sequence[str]) -> str | None:
    """The peer's own interface address inside one of its local selectors."""
    for cidr in model.addresses:
        address = cidr.split("/", 1)[0]
        if _covers(selectors, address):
            return address
    return None


def _child_selectors(model: PeerModel) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each child's (local, remote) selectors: installed child SAs first, then the config."""
    found = [
        (child.local_ts, child.remote_ts)
        for sa in model.ike_sas
        for child in sa.child_sas
        if child.local_ts and child.remote_ts
    ]
    found += [
        (child.local_ts, child.remote_ts)
        for connection in model.connections
        for child in connection.children
        if child.local_ts and child.remote_ts
    ]
    return found


def _mirrored_first(
    choices: list[tuple[tuple[str, ...], tuple[str, ...]]],
    others: list[tuple[tuple[str, ...], tuple[str, ...]]],
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The choices whose selectors mirror one of the other peer's first: on a hub, the child
    to the other peer before the children to the hub's other spokes (order kept otherwise)."""
    mirrored = {(remote, local) for local, remote in others}
    return sorted(choices, key=lambda choice: choice not in mirrored)


def _ike_addresses(
    model: PeerModel, local_ts: Sequence[str], remote_ts: Sequence[str]
) -> tuple[str | None, str | None]:
    """The gateway's own IKE address and its peer's, from the IKE SA that carries the probed
    child (else the first IKE SA, else the connection's configured addresses)."""
    chosen = None
    for sa in model.ike_sas:
        if any(
            c.local_ts == tuple(local_ts) and c.remote_ts == tuple(remote_ts) for c in sa.child_sas
        ):
            chosen = sa
            break
    chosen = chosen or (model.ike_sas[0] if model.ike_sas else None)
    if chosen is not None and chosen.local_addr and chosen.remote_addr:
        return chosen.local_addr, chosen.remote_addr
    for connection in model.connections:
        if connection.local_addrs and connection.remote_addrs:
            return connection.local_addrs[0], connection.remote_addrs[0]
    return None, None


def _capture_of(captures: Sequence[PeerCapture], name: str) -> PeerCapture | None:
    return next((capture for capture in captures if capture.name == name), None)


def _wan_of(capture: PeerCapture | None, address: str | None) -> str | None:
    """The interface that holds the gateway's IKE address, from the snapshot's `ip -br addr`."""
    if capture is None or address is None:
        return None
    for record in capture.commands:
        text = capture.output_of(record)
        if record.command.split() == ["ip", "-br", "addr"] and text:
            return wan_interface(text, address)
    return None


def plan_probe(
    tunnel: str,
    a: PeerModel,
    b: PeerModel,
    *,
    count: int = 3,
    sources: dict[str, str] | None = None,
    targets: dict[str, str] | None = None,
    source_ifs: dict[str, str] | None = None,
    captures: Sequence[PeerCapture] = (),
) -> ProbePlan:
    """Where each gateway's test comes from and goes to, from what a collection showed.

    The source is the gateway's own address in its local selector, the target the first
    usable address of the far selector; either can be given per peer (``sources``,
    ``targets``: peer name -> address). UserError when one cannot be found or given. With
    the snapshot's ``captures``, each side also gets where to capture its packets (the
    interface of its IKE address) and its clock offset."""
    sources, targets, source_ifs = sources or {}, targets or {}, source_ifs or {}
    # each peer as the tunnel's part of the device: the connection the inventory names
    # (several tunnels between the same two devices), as the checks read it
    a, b = (connection_view(m) if m.connection else m for m in (a, b))
    sides = []
    for model, other in ((a, b), (b, a)):
        spec = load_platform(model.platform)
        if spec.probe is None:
            raise UserError(
                f"{model.name}: platform {model.platform} has no read-only way to send a "
                "test packet; probe from the other side or by hand"
            )
        choices = _mirrored_first(_child_selectors(model), _child_selectors(other))
        given_source, given_target = sources.get(model.name), targets.get(model.name)
        chosen: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        for local_ts, remote_ts in choices:
            if given_target is not None and not _covers(remote_ts, given_target):
                continue
            if given_source is not None and not _covers(local_ts, given_source):
                continue
            chosen = (local_ts, remote_ts)
            break
        if chosen is None:
            what = "no child SA or child configuration"
            if given_source or given_target:
                what += f" covers {given_source or 'its LAN'} -> {given_target or 'the far LAN'}"
            raise UserError(
                f"{model.name}: {what}; collect first (`ipsec-tui check`), or give "
                f"--source {model.name}=ADDR --target {model.name}=ADDR"
            )
        local_ts, remote_ts = chosen
        source = given_source or _own_address_in(model, local_ts)
        target = given_target or first_usable(remote_ts)
        if source is None and "{source}" in spec.probe.ping:
            raise UserError(
                f"{model.name}: none of its own addresses is inside {', '.join(local_ts)}; "
                f"give --source {model.name}=ADDR (an address of the gateway in that range)"
            )
        if target is None:
            raise UserError(
                f"{model.name}: no host address in {', '.join(remote_ts)}; "
                f"give --target {model.name}=ADDR"
            )
        wan_addr, far_addr = _ike_addresses(model, local_ts, remote_ts)
        snapshot = _capture_of(captures, model.name)
        sides.append(
            ProbeSide(
                name=model.name,
                platform=model.platform,
                source_addr=source or "",
                target=target,
                local_ts=local_ts,
                remote_ts=remote_ts,
                source_if=source_ifs.get(model.name),
                wan_if=_wan_of(snapshot, wan_addr),
                wan_addr=wan_addr,
                far_addr=far_addr,
                clock_offset_s=snapshot.clock.offset_s if snapshot and snapshot.clock else 0.0,
            )
        )
    return ProbePlan(tunnel, sides[0], sides[1], count)


def probe_command(spec: PlatformSpec, side: ProbeSide, count: int) -> str:
    if spec.probe is None:
        raise UserError(f"{side.name}: platform {spec.name} has no probe")
    command = spec.probe.command(side.target, side.source_addr or None, count, side.source_if)
    return spec.check_allowed(command)


def capture_command(spec: PlatformSpec, side: ProbeSide) -> tuple[str | None, str | None]:
    """(the side's packet capture command, None) or (None, why there is none): the platform
    allows no capture (a network CLI, no tcpdump), or the WAN interface is not known."""
    if side.wan_if is None or side.wan_addr is None or side.far_addr is None:
        return None, f"{side.name}: the snapshot does not show the interface of its IKE address"
    if not _INTERFACE_NAME.match(side.wan_if):
        return None, f"{side.name}: interface name {side.wan_if!r} is not a plain name"
    try:
        return spec.check_allowed(CAPTURE_COMMAND.format(interface=side.wan_if)), None
    except CommandRefused:
        return None, f"{side.name}: platform {spec.name} has no packet capture"


def can_capture(platform: str) -> bool:
    """Whether the platform's allowlist takes the packet capture at all (Linux platforms)."""
    try:
        load_platform(platform).check_allowed(CAPTURE_COMMAND.format(interface="eth0"))
    except CommandRefused:
        return False
    return True


@dataclass
class _Log:
    """Everything one peer ran during the probe, in order, for the capture and the bundle."""

    name: str
    platform: str
    records: list[CommandRecord] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def add(self, command: str, ran: Ran, label: str) -> None:
        file_name = None
        if ran.text is not None:
            file_name = output_file_name(f"{label} {command}", self.outputs)
            self.outputs[file_name] = ran.text
        self.records.append(
            CommandRecord(
                command=command,
                file=file_name,
                started_at=ran.started_at,
                finished_at=ran.finished_at,
                error=ran.error,
            )
        )

    def capture(self) -> PeerCapture:
        return PeerCapture(
            name=self.name,
            platform=self.platform,
            commands=tuple(self.records),
            outputs=dict(self.outputs),
        )


def _read_counters(run: Runner, side: ProbeSide, log: _Log, label: str) -> Counters | None:
    """Run the peer's child SA commands and read the counters of the probed child."""
    spec = load_platform(side.platform)
    commands = [spec.check_allowed(c) for c in spec.commands() if "child_sas" in spec.facts_of(c)]
    records: list[CommandRecord] = []
    outputs: dict[str, str] = {}
    for command in commands:
        ran = run(side.name, command)
        log.add(command, ran, label)
        if ran.text is not None and ran.error is None:
            name = output_file_name(command, outputs)
            outputs[name] = ran.text
            records.append(CommandRecord(command=command, file=name))
    if not records:
        return None
    model = parse_peer(
        PeerCapture(
            name=side.name, platform=side.platform, commands=tuple(records), outputs=outputs
        )
    )
    child = _probed_child(model, side)
    if child is None:
        return Counters(peer=side.name, child=None)
    return Counters(
        peer=side.name,
        child=child.name or child.unique_id,
        packets_in=child.packets_in,
        packets_out=child.packets_out,
        bytes_in=child.bytes_in,
        bytes_out=child.bytes_out,
        spi_in=child.spi_in,
        spi_out=child.spi_out,
    )


def _probed_child(model: PeerModel, side: ProbeSide) -> ChildSa | None:
    """The installed child SA that carries side.source_addr -> side.target (the first one
    whose selectors cover both; the probe reads this one's counters)."""
    wanted_source = side.source_addr or first_usable(side.local_ts) or ""
    for sa in model.ike_sas:
        for child in sa.child_sas:
            if _covers(child.local_ts, wanted_source) and _covers(child.remote_ts, side.target):
                return child
    return None


def delta(before: Counters | None, after: Counters | None, peer: str) -> CounterDelta:
    """How the probed child SA's counters moved on one peer between two readings."""
    if before is None or after is None or before.child is None or after.child is None:
        return CounterDelta(peer=peer, encrypted=None, decrypted=None)
    rekeyed = (before.spi_in, before.spi_out) != (after.spi_in, after.spi_out)
    if rekeyed:
        return CounterDelta(peer=peer, encrypted=None, decrypted=None, rekeyed=True)
    unit = "packets"
    pairs = ((before.packets_out, after.packets_out), (before.packets_in, after.packets_in))
    if any(x is None or y is None for x, y in pairs):
        unit = "bytes"
        pairs = ((before.bytes_out, after.bytes_out), (before.bytes_in, after.bytes_in))
    moved = [None if x is None or y is None else max(0, y - x) for x, y in pairs]
    return CounterDelta(
        peer=peer,
        encrypted=moved[0],
        decrypted=moved[1],
        unit=unit,
        spi_in=after.spi_in,
        spi_out=after.spi_out,
    )


def _ping_of(side: ProbeSide, command: str, ran: Ran) -> tuple[PingResult | None, str | None]:
    if ran.text is None:
        return None, ran.error or "no output"
    result, fragment = parse_text(side.platform, command, ran.text, peer=side.name, file="ping")
    if fragment.pings:
        return fragment.pings[0], ran.error
    return None, ran.error or result.reason or f"{side.name}: the ping's output was not understood"


class _Captures:
    """The packet captures of both sides, each in a thread of its own over its own runner
    (a second session per peer: the first is busy with counters and pings)."""

    def __init__(
        self, plan: ProbePlan, run: CaptureRunner | None, end: Ender | None = None
    ) -> None:
        self.commands: dict[str, str] = {}
        self.listening: dict[str, threading.Event] = {}
        self.notes: list[str] = []
        self.missing: dict[str, str] = {}  # side -> why it has no capture
        self.ran: dict[str, Ran] = {}
        self._end = end
        self._threads: list[threading.Thread] = []
        if run is None:
            self.notes.append("no packet capture was asked for")
            return
        for side in plan.sides():
            command, why = capture_command(load_platform(side.platform), side)
            if command is None:
                self.notes.append(why or f"{side.name}: no packet capture")
                self.missing[side.name] = (why or "").removeprefix(f"{side.name}: ")
                continue
            self.commands[side.name] = command
            self.listening[side.name] = threading.Event()
            thread = threading.Thread(
                target=self._take, args=(run, side.name, command), daemon=True
            )
            thread.name = f"capture-{side.name}"
            self._threads.append(thread)

    def _take(self, run: CaptureRunner, peer: str, command: str) -> None:
        try:
            self.ran[peer] = run(peer, command, self.listening[peer])
        except Exception as exc:  # a broken session must not stop the probe
            self.ran[peer] = Ran(None, f"{type(exc).__name__}: {exc}")
        finally:
            self.listening[peer].set()  # ended: nothing left to wait for

    def start(self, settle: float) -> None:
        """Start every capture and wait, at most ``settle`` seconds in all, until each one
        listens (or has ended)."""
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + settle
        for event in self.listening.values():
            event.wait(max(0.0, deadline - time.monotonic()))

    def end_soon(self) -> None:
        """The pings are done: each capture ends CAPTURE_GRACE_S from now (not at its cap)."""
        if self._end is not None:
            for peer in self.commands:
                self._end(peer)

    def finish(self, logs: Mapping[str, _Log]) -> None:
        for thread in self._threads:
            thread.join(CAPTURE_SECONDS + 60)
        for peer, command in self.commands.items():
            ran = self.ran.get(peer) or Ran(None, "the capture did not return")
            logs[peer].add(command, ran, "capture")

    def how_long(self, peer: str) -> tuple[float | None, str | None]:
        """How long a side's capture ran (seconds) and how it ended: `after the pings`,
        `at its cap` (CAPTURE_SECONDS), `by itself` (its packet count, or it failed)."""
        ran = self.ran.get(peer)
        if ran is None:
            return None, None
        start, end = _epoch(ran.started_at), _epoch(ran.finished_at)
        seconds = round(end - start, 3) if start is not None and end is not None else None
        if (ran.error or "").startswith(CAPTURE_ENDED):
            return seconds, "after the pings"
        if seconds is not None and seconds >= CAPTURE_SECONDS - 0.5:
            return seconds, "at its cap"
        return seconds, "by itself"


def _epoch(stamp: str | None) -> float | None:
    moment = parse_utc(stamp) if stamp else None
    return moment.timestamp() if moment else None


def read_packets(side: ProbeSide, command: str, ran: Ran | None) -> tuple[list[Packet], str | None]:
    """The packets of one side's capture, or why there are none."""
    if ran is None or ran.text is None:
        return [], (ran.error if ran else None) or "the capture gave no output"
    result, fragment = parse_text(side.platform, command, ran.text, peer=side.name, file="capture")
    if str(result.status) == "failed":
        return [], result.reason or "the capture's output was not understood"
    return fragment.packets, None


def summarise(
    side: ProbeSide,
    packets: Iterable[Packet],
    window: tuple[float, float] | None = None,
    error: str | None = None,
) -> PacketSummary:
    """One side's packets to and from its peer, from its own side, within ``window`` (epoch
    seconds on the collecting host's clock; the packets' times are corrected by the side's
    measured clock offset)."""
    counts: Counter[str] = Counter()
    esp_out: Counter[str] = Counter()
    esp_in: Counter[str] = Counter()
    own, far = side.wan_addr or "", side.far_addr or ""
    for packet in packets:
        moment = packet.time - side.clock_offset_s
        if window is not None and not window[0] <= moment < window[1]:  # half-open
            continue
        if packet.kind == "keepalive":
            continue
        way = "out" if (packet.src, packet.dst) == (own, far) else ""
        way = way or ("in" if (packet.src, packet.dst) == (far, own) else "")
        if not way:
            counts["other"] += 1
        elif packet.kind == "esp":
            (esp_out if way == "out" else esp_in)[packet.spi or "?"] += 1
        else:
            counts[f"ike_{way}"] += 1
            if packet.response is not None:
                kind = "responses" if packet.response else "requests"
                counts[f"ike_{kind}_{way}"] += 1
    return PacketSummary(
        peer=side.name,
        interface=side.wan_if or "?",
        address=own,
        far_address=far,
        ike_out=counts["ike_out"],
        ike_in=counts["ike_in"],
        ike_requests_out=counts["ike_requests_out"],
        ike_responses_out=counts["ike_responses_out"],
        ike_requests_in=counts["ike_requests_in"],
        ike_responses_in=counts["ike_responses_in"],
        esp_out=tuple(esp_out.items()),
        esp_in=tuple(esp_in.items()),
        other=counts["other"],
        error=error,
    )


def run_probe(
    plan: ProbePlan,
    run: Runner,
    hints: Iterable[tuple[str, str | None]] = (),
    capture: CaptureRunner | None = None,
    settle: float = CAPTURE_SETTLE_S,
    end: Ender | None = None,
) -> tuple[ProbeResult, list[PeerCapture]]:
    """Counters, ping from A, counters, ping from B, counters; judged (with the snapshot's
    ``hints``, see :func:`judge`); with what was run. With a ``capture`` runner, each Linux
    side's WAN is captured meanwhile (the first reading waits until each capture listens, at
    most ``settle`` seconds; each ends through ``end`` CAPTURE_GRACE_S after the last ping,
    else at its cap, and is read when it ends) and the packets become evidence."""
    logs = {side.name: _Log(side.name, side.platform) for side in plan.sides()}
    captures = _Captures(plan, capture, end)
    captures.start(settle)
    readings = [
        {side.name: _read_counters(run, side, logs[side.name], "before") for side in plan.sides()}
    ]
    directions: list[Direction] = []
    windows: list[tuple[float | None, float | None]] = []
    for number, (sender, receiver) in enumerate(((plan.a, plan.b), (plan.b, plan.a)), 1):
        spec = load_platform(sender.platform)
        command = probe_command(spec, sender, plan.count)
        ran = run(sender.name, command)
        logs[sender.name].add(command, ran, f"probe {number}")
        if number == 2:
            captures.end_soon()
        ping, error = _ping_of(sender, command, ran)
        readings.append(
            {
                side.name: _read_counters(run, side, logs[side.name], f"after {number}")
                for side in plan.sides()
            }
        )
        before, after = readings[-2], readings[-1]
        windows.append((_epoch(ran.started_at), _epoch(ran.finished_at)))
        directions.append(
            Direction(
                sender=sender.name,
                receiver=receiver.name,
                source_addr=sender.source_addr,
                target=sender.target,
                command=command,
                ping=ping,
                sender_delta=delta(before[sender.name], after[sender.name], sender.name),
                receiver_delta=delta(before[receiver.name], after[receiver.name], receiver.name),
                error=error,
            )
        )
    captures.finish(logs)
    summaries: dict[str, PacketSummary] = {}
    if captures.commands:
        packets = {
            side.name: read_packets(side, captures.commands[side.name], captures.ran.get(side.name))
            if side.name in captures.commands
            else ([], captures.missing.get(side.name, "no packet capture"))
            for side in plan.sides()
        }
        by_name = {side.name: side for side in plan.sides()}
        for name, (found, error) in packets.items():
            seconds, ended = captures.how_long(name)
            summary = summarise(by_name[name], found, error=error)
            summaries[name] = replace(summary, seconds=seconds, ended=ended)
        directions = [
            _with_packets(d, by_name, packets, span)
            for d, span in zip(directions, direction_spans(windows), strict=True)
        ]
    note = None if captures.commands else "; ".join(dict.fromkeys(captures.notes))
    result = ProbeResult(
        plan.tunnel,
        tuple(directions),
        judge(directions, hints, tuple(summaries.values())),
        packets=tuple(summaries[side.name] for side in plan.sides() if side.name in summaries),
        packet_note=note,
    )
    return result, [logs[side.name].capture() for side in plan.sides()]


def direction_spans(
    windows: Sequence[tuple[float | None, float | None]], margin: float = _WINDOW_MARGIN_S
) -> list[tuple[float, float] | None]:
    """Each direction's span for its packets, from its ping's (start, end) in order: widened
    by ``margin`` on both sides but cut at the middle of the gap to the ping before and after
    it, so that no packet counts for two directions. None where a ping's times are unknown
    (its packets are then the whole capture's)."""
    spans: list[tuple[float, float] | None] = []
    for index, (start, end) in enumerate(windows):
        if start is None or end is None:
            spans.append(None)
            continue
        low, high = start - margin, end + margin
        before = windows[index - 1][1] if index > 0 else None
        after = windows[index + 1][0] if index + 1 < len(windows) else None
        if before is not None:
            low = max(low, (before + start) / 2)
        if after is not None:
            high = min(high, (end + after) / 2)
        spans.append((low, high))
    return spans


def _with_packets(
    d: Direction,
    sides: Mapping[str, ProbeSide],
    packets: Mapping[str, tuple[list[Packet], str | None]],
    span: tuple[float, float] | None,
) -> Direction:
    """The direction with both sides' packets during its ping (the whole capture when the
    ping's times are not known)."""
    sender, receiver = (
        summarise(sides[name], packets[name][0], span, packets[name][1])
        for name in (d.sender, d.receiver)
    )
    return replace(d, packets=(sender, receiver))


def _refined(
    verdict: ProbeVerdict | None, hints: tuple[tuple[str, str | None], ...]
) -> ProbeVerdict | None:
    if verdict is None:
        return None
    for cause, side in hints:
        if (verdict.cause, cause) in _REFINED and side == verdict.side:
            summary = f"{verdict.summary}; the snapshot shows why: {cause} on {side}"
            return ProbeVerdict(cause, side, summary, verdict.evidence)
    return verdict


def _moved(value: int | None) -> bool | None:
    return None if value is None else value > 0


def judge_direction(d: Direction, whole: Sequence[PacketSummary] = ()) -> ProbeVerdict | None:
    """Where one direction's packets vanished (None: they made it both ways). ``whole`` are
    both sides' captures over the whole probe: IKE retransmits are seconds apart, so whether
    IKE gets an answer is read there rather than during one ping."""
    s, r = d.sender, d.receiver
    rows = (
        f"{s} -> {d.target}: ping {d.ping.received}/{d.ping.sent} answered"
        if d.ping
        else f"{s} -> {d.target}: ping not read ({d.error})",
        f"{s} encrypted {d.sender_delta.encrypted} {d.sender_delta.unit}",
        f"{r} decrypted {d.receiver_delta.decrypted} {d.receiver_delta.unit}",
        f"{r} encrypted {d.receiver_delta.encrypted} {d.receiver_delta.unit} back",
        f"{s} decrypted {d.sender_delta.decrypted} {d.sender_delta.unit} back",
        *packet_rows(d),
    )
    if d.ping is None and not _moved(d.sender_delta.encrypted):
        return ProbeVerdict("unknown", None, f"the test from {s} did not run: {d.error}", rows)
    # a ping whose output was not understood still moved the counters: they tell the story
    answered = d.answered if d.ping is not None else None
    if d.sender_delta.rekeyed or d.receiver_delta.rekeyed:
        return ProbeVerdict(
            "unknown", None, "the SAs were rekeyed during the test: run the probe again", rows
        )
    sent_enc = _moved(d.sender_delta.encrypted)
    got_dec = _moved(d.receiver_delta.decrypted)
    back_enc = _moved(d.receiver_delta.encrypted)
    back_dec = _moved(d.sender_delta.decrypted)
    if None in (sent_enc, got_dec, back_enc, back_dec):
        missing = s if None in (sent_enc, back_dec) else r
        unanswered = _ike_path(d, whole or d.packets or (), rows)
        if unanswered is not None:
            return unanswered
        return ProbeVerdict(
            "unknown",
            None,
            f"{missing} shows no counters for the child SA that carries "
            f"{d.source_addr or s} -> {d.target}",
            rows,
        )
    if answered is not False and sent_enc and got_dec and back_enc and back_dec:
        return None
    if not sent_enc:
        summary = (
            f"{s}'s test to {d.target} was answered outside the tunnel: the child SA's "
            "counters did not move (a route or policy takes it elsewhere)"
            if answered
            else f"{s} never put the test into the child SA: no policy of {s} matches "
            f"{d.source_addr} -> {d.target}, or a NAT rule rewrites it first"
        )
        return ProbeVerdict("selector-mismatch", s, summary, rows)
    if not got_dec:
        return _esp_lost(d, s, r, d.sender_delta.spi_out, ("the test", "it"), rows)
    if back_enc and not back_dec:
        return _esp_lost(d, r, s, d.receiver_delta.spi_out, ("the answers", "them"), rows)
    side, summary = (
        (
            r,
            f"{r} decrypted the test, nothing went back into the tunnel: {d.target} does not "
            f"answer, or its answer does not route back into the tunnel on {r}",
        )
        if not back_enc
        else (s, f"{s} decrypted the answers, the ping never saw them: {s} drops them after IPsec")
    )
    return ProbeVerdict("no-return-path", side, summary, rows)


def _esp_lost(
    d: Direction,
    sender: str,
    receiver: str,
    spi: str | None,
    what: tuple[str, str],
    rows: tuple[str, ...],
) -> ProbeVerdict:
    """`sender` encrypted `what`, `receiver` never decrypted it: where the WAN captures saw
    the ESP, that; else lost between them, nearest the receiver."""
    seen = _esp_path(d, sender, receiver, spi, what[0], rows)
    return seen or ProbeVerdict(
        "esp-blocked",
        receiver,
        f"{sender} encrypted {what[0]}, {receiver} never received {what[1]}: ESP is lost "
        f"between them (nearest {receiver}: a firewall or NAT dropping ESP / UDP 4500)",
        rows,
    )


def _summaries(d: Direction, name: str) -> PacketSummary | None:
    """One side's capture during the direction's ping (None: none was taken or read)."""
    for summary in d.packets or ():
        if summary.peer == name and summary.error is None:
            return summary
    return None


def _esp_path(
    d: Direction, sender: str, receiver: str, spi: str | None, what: str, rows: tuple[str, ...]
) -> ProbeVerdict | None:
    """Where ESP that ``sender`` encrypted and ``receiver`` never decrypted was last seen,
    from both WAN captures: not on the sender's WAN (the sender drops it itself), on the
    sender's and not the receiver's (lost between them), or on both (the receiver drops it).
    None when either capture is missing."""
    out, into = _summaries(d, sender), _summaries(d, receiver)
    if out is None or into is None:
        return None
    left, arrived = out.esp_sent(spi), into.esp_received(spi)
    which = f"ESP (SPI {spi})" if spi else "ESP"
    if not left:
        return ProbeVerdict(
            "esp-blocked",
            sender,
            f"{sender} encrypted {what}, yet no {which} left its WAN interface "
            f"{out.interface}: {sender} drops it itself (an output firewall or route)",
            rows,
        )
    if not arrived:
        return ProbeVerdict(
            "esp-blocked",
            None,
            f"{which} left {sender}'s WAN interface ({left} packets) and never reached "
            f"{receiver}'s: it is lost between them (a firewall or NAT on the path)",
            rows,
        )
    return ProbeVerdict(
        "esp-blocked",
        receiver,
        f"{which} of {what} reached {receiver}'s WAN interface {into.interface} ({arrived} "
        f"packets), yet {receiver} never decrypted it: {receiver} itself drops it (its "
        "firewall, or an SA it does not have)",
        rows,
    )


def _ike_path(
    d: Direction, captured: Iterable[PacketSummary], rows: tuple[str, ...]
) -> ProbeVerdict | None:
    """Where the IKE of a tunnel without SAs goes unanswered, from both WAN captures: its
    requests never reach the other gateway (lost between them), or reach it and get no
    answer (the other gateway drops them). None when the captures do not show that."""
    sides = {p.peer: p for p in captured if p.error is None}
    if len(sides) < 2:
        return None
    for one, other in ((d.sender, d.receiver), (d.receiver, d.sender)):
        out, into = sides[one], sides[other]
        if out.ike_requests_out and not into.ike_requests_in and not into.ike_in:
            row = (
                f"IKE leaves {one} ({out.ike_requests_out} requests during the probe), "
                f"never reaches {other}"
            )
            return ProbeVerdict(
                "peer-unreachable",
                None,
                f"{one}'s IKE requests leave its WAN interface {out.interface} and never "
                f"reach {other}'s: they are lost between them (a firewall or NAT on the path "
                "dropping UDP 500/4500)",
                (*rows, row),
            )
        if into.ike_requests_in and not into.ike_responses_out:
            row = (
                f"IKE reaches {other} ({into.ike_requests_in} requests during the probe), "
                f"{other} never answers"
            )
            return ProbeVerdict(
                "peer-unreachable",
                other,
                f"{one}'s IKE requests reach {other}'s WAN interface {into.interface} and "
                f"{other} never answers: {other} drops UDP 500/4500 (its firewall) or its "
                "IKE daemon does not listen",
                (*rows, row),
            )
    return None


def packet_rows(d: Direction) -> list[str]:
    """What both WAN captures saw during one direction's ping, as evidence rows: where each
    SPI's ESP went, ESP that arrived and got nothing back, IKE that got no answer."""
    sides = [p for p in d.packets or () if p.error is None]
    if len(sides) < 2:  # a side without a capture is said once, in its summary
        return []
    rows: list[str] = []
    for one, other in (sides, sides[::-1]):
        for spi, sent in one.esp_out:
            got = other.esp_received(spi)
            reached = (
                f"never reaches {other.peer}"
                if not got
                else f"all reach {other.peer}"
                if got >= sent
                else f"{got} reach {other.peer}"
            )
            rows.append(f"ESP leaves {one.peer} (spi {spi}, {sent} packets), {reached}")
        arrived = one.esp_received()
        if arrived and not one.esp_sent():
            spis = ", ".join(spi for spi, _ in one.esp_in)
            rows.append(
                f"ESP arrives at {one.peer} (spi {spis}, {arrived} packets), nothing comes back"
            )
        if one.ike_requests_out and not other.ike_requests_in:
            rows.append(
                f"IKE leaves {one.peer} ({one.ike_requests_out} requests), "
                f"never reaches {other.peer}"
            )
        elif other.ike_requests_in and not other.ike_responses_out:
            rows.append(
                f"IKE reaches {other.peer} ({other.ike_requests_in} requests), "
                f"{other.peer} never answers"
            )
    if not any(p.esp_out or p.esp_in or p.ike_out or p.ike_in for p in sides):
        rows.append(
            f"no IKE or ESP between the gateways on either WAN during the test: nothing "
            f"left {d.sender} for {d.receiver}"
        )
    return rows


# What the snapshot can add to where the packets vanished: a NAT rule on that side that
# catches the tunnel's traffic explains both "never entered the SA" and "nothing went back".
_REFINED = {
    ("selector-mismatch", "nat-exemption-missing"),
    ("no-return-path", "nat-exemption-missing"),
}


def judge(
    directions: Sequence[Direction],
    hints: Iterable[tuple[str, str | None]] = (),
    packets: Sequence[PacketSummary] = (),
) -> ProbeVerdict:
    """The probe's conclusion: the first direction that failed, or healthy. ``hints`` are the
    snapshot's (cause, side) candidates: one that explains the failure on the same side
    names it more precisely (a NAT rule on the sender instead of "no policy matches").
    ``packets`` are both sides' captures over the whole probe."""
    verdicts = [_refined(judge_direction(d, packets), tuple(hints)) for d in directions]
    failed = [v for v in verdicts if v is not None]
    if not failed:
        return ProbeVerdict(
            "healthy",
            None,
            "the test went through the tunnel both ways, counters moved on both sides",
        )
    known = [v for v in failed if v.cause != "unknown"]
    return (known or failed)[0]


def to_dict(result: ProbeResult) -> dict[str, object]:
    """The probe as plain data for --json: diagnosis first, then the directions."""
    return {
        "tunnel": result.tunnel,
        "diagnosis": {
            "cause": result.verdict.cause,
            "side": result.verdict.side,
            "summary": result.verdict.summary,
            "evidence": list(result.verdict.evidence),
        },
        "directions": [
            {
                "from": d.sender,
                "to": d.receiver,
                "source": d.source_addr,
                "target": d.target,
                "command": d.command,
                "sent": d.ping.sent if d.ping else None,
                "answered": d.ping.received if d.ping else None,
                "unit": d.sender_delta.unit,
                f"{d.sender}_encrypted": d.sender_delta.encrypted,
                f"{d.receiver}_decrypted": d.receiver_delta.decrypted,
                f"{d.receiver}_encrypted": d.receiver_delta.encrypted,
                f"{d.sender}_decrypted": d.sender_delta.decrypted,
                "error": d.error,
                "packet_rows": packet_rows(d),
            }
            for d in result.directions
        ],
        "packets": {summary.peer: _plain(summary) for summary in result.packets},
        "packet_note": result.packet_note,
    }


def _plain(summary: PacketSummary) -> dict[str, object]:
    data = asdict(summary)
    data["esp_out"] = dict(summary.esp_out)
    data["esp_in"] = dict(summary.esp_in)
    return data


class Replayed(Protocol):
    """A runner for both the commands and the captures of a recorded probe."""

    def __call__(
        self, peer: str, command: str, listening: threading.Event | None = None
    ) -> Ran: ...


def replay(captures: Sequence[PeerCapture]) -> Replayed:
    """A runner that answers from a recorded probe (OUT/probe/): each peer's commands in the
    order they ran, so the same plan judged offline gives what it gave live. A recorded
    capture listened from the start."""
    queues = {
        capture.name: [(record, capture.output_of(record)) for record in capture.commands]
        for capture in captures
    }
    lock = threading.Lock()  # the packet capture asks from a thread of its own

    def run(peer: str, command: str, listening: threading.Event | None = None) -> Ran:
        if listening is not None:
            listening.set()
        with lock:
            queue = queues.get(peer) or []
            for index, (record, text) in enumerate(queue):
                if record.command == command:
                    # only this record: the capture is recorded when it ended, after the
                    # pings it started before
                    del queue[index]
                    return Ran(text, record.error, record.started_at, record.finished_at)
        return Ran(None, f"{peer}: `{command}` is not in the recorded probe")

    return run
