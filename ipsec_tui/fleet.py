"""Fleet triage: every tunnel of an inventory at once, each device collected and parsed once.

tunnels -> a plan of devices (a hub serving forty tunnels is one device) -> one capture per
device (collected on Nornir, see ``collectors/nornir_run.py``, or read from disk) -> one
parse per device -> each tunnel's two models through the same checks and diagnosis as
``ipsec-tui check`` -> one row per tunnel and a summary that groups tunnels by cause and names
a device shared by many tunnels of one cause as the likely common root.

Nothing here logs in or prints: the command line (``fleet_cli.py``) and the cockpit's fleet
screen drive it.
"""

from __future__ import annotations

import csv
import dataclasses
import fnmatch
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipsec_tui.analysis import Analysis, analyse_models
from ipsec_tui.collectors.inventory import Inventory, PeerConfig, Tunnel
from ipsec_tui.domain.capture import PeerCapture, parse_utc
from ipsec_tui.domain.model import PeerModel, Status
from ipsec_tui.errors import UserError
from ipsec_tui.playbooks import Playbook

if TYPE_CHECKING:
    import threading

    from ipsec_tui.collectors.nornir_run import DeviceProgress
    from ipsec_tui.collectors.progress import ProgressCallback

# A device is a "likely common root" of a cause when at least this many of the cause's
# tunnels run through it (a hub with two broken spokes is worth a look, one is not).
COMMON_ROOT_MIN = 2
HEALTHY = "healthy"


# --- the plan: which devices serve which tunnels --------------------------------------------


@dataclass(frozen=True)
class Device:
    """One box to log in to, and the tunnels it serves (as peer A or B)."""

    name: str  # unique in the plan: the peer name, or name@host:port where names collide
    peer: PeerConfig  # how to reach it (as the first tunnel that names it says)
    tunnels: tuple[str, ...]


@dataclass(frozen=True)
class FleetPlan:
    """The tunnels to check and the devices to collect for them, each device once."""

    tunnels: tuple[Tunnel, ...]
    devices: tuple[Device, ...]
    sides: Mapping[tuple[str, int], str]  # (tunnel, 0 for A / 1 for B) -> device name

    def peers(self) -> dict[str, PeerConfig]:
        """Device name -> how to reach it: what the collector takes."""
        return {device.name: device.peer for device in self.devices}

    def devices_of(self, tunnel: str) -> tuple[str, str]:
        return self.sides[(tunnel, 0)], self.sides[(tunnel, 1)]


def device_key(peer: PeerConfig) -> tuple[object, ...]:
    """What makes two peers of an inventory one device: where the login goes, as whom, over
    which route, and what runs there (a different platform or log path is another job); a
    cloud peer, read from files rather than logged in to, by its documents and commands."""
    return (
        peer.host.lower(), peer.port, peer.username, peer.platform,
        str(peer.jump_host) if peer.jump_host else None, peer.ssh_config_file,
        tuple(sorted(peer.overrides.items())), peer.documents, peer.local_commands,
    )  # fmt: skip


def select_tunnels(inventory: Inventory, patterns: Sequence[str] = ()) -> list[Tunnel]:
    """The inventory's tunnels (in its order) whose names match any of the glob ``patterns``
    (all without patterns). A pattern that matches nothing is bad input (UserError)."""
    tunnels = list(inventory.tunnels.values())
    if not patterns:
        return tunnels
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(tunnel.name, pattern) for tunnel in tunnels):
            raise UserError(f"{inventory.path}: no tunnel matches {pattern!r}")
    return [t for t in tunnels if any(fnmatch.fnmatchcase(t.name, p) for p in patterns)]


def plan_fleet(tunnels: Iterable[Tunnel]) -> FleetPlan:
    """Each distinct device once (see :func:`device_key`), with the tunnels it serves."""
    chosen = tuple(tunnels)
    if not chosen:
        raise UserError("no tunnel to check")
    names: dict[tuple[object, ...], str] = {}
    first: dict[str, PeerConfig] = {}
    served: dict[str, list[str]] = {}
    sides: dict[tuple[str, int], str] = {}
    for tunnel in chosen:
        for index, peer in enumerate(tunnel.peers):
            key = device_key(peer)
            name = names.get(key)
            if name is None:
                name = peer.name
                if name in first:  # another device already goes by this peer name
                    name = f"{peer.name}@{peer.host}:{peer.port}"
                    suffix = 2
                    while name in first:
                        name, suffix = f"{peer.name}@{peer.host}:{peer.port}#{suffix}", suffix + 1
                names[key] = name
                first[name] = peer
                served[name] = []
            if tunnel.name not in served[name]:
                served[name].append(tunnel.name)
            sides[(tunnel.name, index)] = name
    devices = tuple(Device(name, first[name], tuple(served[name])) for name in first)
    return FleetPlan(chosen, devices, sides)


# --- triage: one row per tunnel -------------------------------------------------------------


@dataclass(frozen=True)
class TunnelTriage:
    """One tunnel's result: the same analysis ``ipsec-tui check`` gives on its capture."""

    tunnel: str
    peers: tuple[str, str]
    devices: tuple[str, str]
    captures: tuple[PeerCapture, PeerCapture]
    analysis: Analysis
    collected_at: str | None  # the older of the two peers' collection times

    @property
    def cause(self) -> str:
        return self.analysis.diagnosis.cause

    @property
    def side(self) -> str | None:
        return self.analysis.diagnosis.side

    @property
    def healthy(self) -> bool:
        return self.analysis.healthy

    @property
    def side_device(self) -> str | None:
        """The device to fix, where the diagnosis names a side."""
        for peer, device in zip(self.peers, self.devices, strict=True):
            if peer == self.side:
                return device
        return None

    @property
    def failing_step(self) -> str:
        """The title of the first step that failed (else the first that warned), or ''."""
        for wanted in (Status.FAIL, Status.WARN):
            for step in self.analysis.steps:
                if step.status == wanted:
                    return step.title
        return ""

    def age_s(self, now: datetime) -> float | None:
        """Seconds since the older peer was collected."""
        when = parse_utc(self.collected_at) if self.collected_at else None
        return None if when is None else max(0.0, (now - when).total_seconds())

    def to_dict(self, now: datetime) -> dict[str, Any]:
        diagnosis = self.analysis.diagnosis
        return {
            "tunnel": self.tunnel,
            "peers": list(self.peers),
            "devices": list(self.devices),
            "diagnosis": {
                "cause": diagnosis.cause,
                "side": diagnosis.side,
                "summary": diagnosis.summary,
                "next_action": diagnosis.next_action,
                "failing_step": self.failing_step or None,
            },
            "collected_at": self.collected_at,
            "age_s": _rounded(self.age_s(now)),
        }


@dataclass(frozen=True)
class CommonRoot:
    """A cause that many tunnels through one device share."""

    cause: str
    device: str
    tunnels: tuple[str, ...]
    serves: int  # tunnels of the fleet through this device
    to_fix: int  # of `tunnels`, how many name this device as the side to fix

    def line(self) -> str:
        fix = f", fix on it in {self.to_fix}" if self.to_fix else ""
        return (
            f"likely common root: {self.cause} on {self.device} "
            f"({len(self.tunnels)} of its {self.serves} tunnels{fix})"
        )


@dataclass(frozen=True)
class FleetSummary:
    """Tunnels by cause, and the devices many tunnels of one cause share."""

    tunnels: int
    healthy: int
    by_cause: Mapping[str, tuple[str, ...]]  # cause -> its tunnels, most tunnels first
    common_roots: tuple[CommonRoot, ...]
    device_errors: Mapping[str, str]

    def line(self) -> str:
        """``31 psk-mismatch on hub-1; 2 peer-unreachable; 7 healthy``."""
        roots = {root.cause: root for root in self.common_roots}
        parts = []
        for cause, tunnels in self.by_cause.items():
            root = roots.get(cause)
            where = f" on {root.device}" if root and len(root.tunnels) == len(tunnels) else ""
            parts.append(f"{len(tunnels)} {cause}{where}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tunnels": self.tunnels,
            "healthy": self.healthy,
            "line": self.line(),
            "by_cause": {cause: list(names) for cause, names in self.by_cause.items()},
            "common_roots": [dataclasses.asdict(root) for root in self.common_roots],
            "device_errors": dict(self.device_errors),
        }


@dataclass(frozen=True)
class FleetResult:
    """Every tunnel's triage and the summary, as checked at ``checked_at`` (the ages are
    counted to it); ``interrupted`` when a stop left devices not collected."""

    plan: FleetPlan
    rows: tuple[TunnelTriage, ...]
    summary: FleetSummary
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    interrupted: bool = False

    @property
    def parses(self) -> int:
        """How many peer models the rows were checked on: one per device and the name its
        tunnels give it (a hub named alike in all its tunnels, once)."""
        return len({pair for row in self.rows for pair in zip(row.devices, row.peers, strict=True)})

    @property
    def healthy(self) -> bool:
        return bool(self.rows) and all(row.healthy for row in self.rows)

    def row(self, tunnel: str) -> TunnelTriage:
        for row in self.rows:
            if row.tunnel == tunnel:
                return row
        raise KeyError(tunnel)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tunnels": [row.to_dict(self.checked_at) for row in self.rows],
            "summary": {**self.summary.to_dict(), "interrupted": self.interrupted},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


CSV_COLUMNS = (
    "tunnel", "peer_a", "peer_b", "cause", "side", "failing_step", "age_s", "collected_at",
    "summary",
)  # fmt: skip


def to_csv(result: FleetResult) -> str:
    """One line per tunnel, the columns of :data:`CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in result.rows:
        writer.writerow(
            [row.tunnel, row.peers[0], row.peers[1], row.cause, row.side or "",
             row.failing_step, _rounded(row.age_s(result.checked_at)) or "",
             row.collected_at or "", row.analysis.diagnosis.summary]
        )  # fmt: skip
    return out.getvalue()


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def age_text(seconds: float | None) -> str:
    """``42s``, ``3m``, ``2h``, ``5d`` (``-`` when unknown): the age column."""
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f}m"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def table_lines(result: FleetResult) -> list[str]:
    """The fleet table as plain text: tunnel, peers, cause, side to fix, failing step, age."""
    head = ("tunnel", "peers", "cause", "fix on", "failing step", "age")
    body = [
        (row.tunnel, f"{row.peers[0]} | {row.peers[1]}", row.cause, row.side or "-",
         row.failing_step or "-", age_text(row.age_s(result.checked_at)))
        for row in result.rows
    ]  # fmt: skip
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [head, *body]
    ]


def summary_lines(result: FleetResult) -> list[str]:
    """The summary: counts by cause, common roots, devices that failed."""
    summary = result.summary
    lines = [
        f"{summary.tunnels} tunnels, {summary.healthy} healthy: {summary.line()}",
        *(f"  {root.line()}" for root in summary.common_roots),
        *(f"  ! {device}: {error}" for device, error in summary.device_errors.items()),
    ]
    if result.interrupted:
        lines.append("  ! interrupted: devices not reached are shown as not collected")
    return lines


ParsePeer = Callable[[PeerCapture], PeerModel]


def _default_parse(capture: PeerCapture) -> PeerModel:
    from ipsec_tui.parsers.base import parse_peer

    return parse_peer(capture)


def triage(
    plan: FleetPlan,
    captures: Mapping[str, PeerCapture],
    *,
    device_errors: Mapping[str, str] | None = None,
    parse: ParsePeer | None = None,
    playbook: Playbook | None = None,
    interrupted: bool = False,
    now: datetime | None = None,
) -> FleetResult:
    """Every tunnel of ``plan`` on the devices' ``captures`` (by device name, redacted).

    Each device's capture is parsed once under the name its tunnels give it (a hub named
    alike in all its tunnels, the usual case, once in all), and each tunnel's pair goes
    through the checks and the diagnosis exactly as ``check`` runs them on that tunnel's
    capture. A device missing from ``captures`` counts as not collected.
    """
    parse = parse or _default_parse
    models: dict[tuple[str, str], PeerModel] = {}
    rows: list[TunnelTriage] = []
    for tunnel in plan.tunnels:
        devices = plan.devices_of(tunnel.name)
        pair: list[PeerCapture] = []
        for peer, device in zip(tunnel.peers, devices, strict=True):
            capture = captures.get(device)
            if capture is None:
                capture = PeerCapture(
                    name=peer.name, platform=peer.platform, host=peer.host, port=peer.port,
                    error="not collected",
                )  # fmt: skip
            # the tunnel's own connection on this device (the inventory's), for the checks
            pair.append(dataclasses.replace(capture, name=peer.name, connection=peer.connection))
            if (device, peer.name) not in models:
                models[(device, peer.name)] = parse(pair[-1])
        a, b = (
            dataclasses.replace(models[(device, peer.name)], connection=peer.connection)
            for device, peer in zip(devices, tunnel.peers, strict=True)
        )
        analysis = analyse_models(a, b, playbook)
        rows.append(
            TunnelTriage(
                tunnel=tunnel.name,
                peers=(tunnel.peers[0].name, tunnel.peers[1].name),
                devices=devices,
                captures=(pair[0], pair[1]),
                analysis=analysis,
                collected_at=_older(pair),
            )
        )
    return FleetResult(
        plan=plan,
        rows=tuple(rows),
        summary=summarise(plan, rows, device_errors or {}),
        interrupted=interrupted,
        checked_at=now or datetime.now(UTC),
    )


def _older(captures: Iterable[PeerCapture]) -> str | None:
    """The earlier of the captures' collection times (as written), None if none says."""
    stamps = [(parse_utc(c.collected_at), c.collected_at) for c in captures if c.collected_at]
    known = sorted((when, text) for when, text in stamps if when is not None)
    return known[0][1] if known else None


def summarise(
    plan: FleetPlan, rows: Sequence[TunnelTriage], device_errors: Mapping[str, str]
) -> FleetSummary:
    """Group tunnels by cause (most first, healthy last) and find the common roots."""
    by_cause: dict[str, list[str]] = {}
    for row in rows:
        by_cause.setdefault(row.cause, []).append(row.tunnel)
    ordered = sorted(by_cause.items(), key=lambda item: (item[0] == HEALTHY, -len(item[1])))
    serves = {device.name: len(device.tunnels) for device in plan.devices}
    roots: list[CommonRoot] = []
    for cause, tunnels in ordered:
        if cause == HEALTHY or len(tunnels) < COMMON_ROOT_MIN:
            continue
        of_cause = [row for row in rows if row.cause == cause]
        through = Counter(device for row in of_cause for device in set(row.devices))
        for device, count in through.most_common():
            # shared by at least two of the cause's tunnels and by most of them
            if count < COMMON_ROOT_MIN or count * 2 < len(tunnels):
                continue
            names = tuple(row.tunnel for row in of_cause if device in row.devices)
            to_fix = sum(1 for row in of_cause if row.side_device == device)
            roots.append(CommonRoot(cause, device, names, serves.get(device, count), to_fix))
    roots.sort(key=lambda root: -len(root.tunnels))
    return FleetSummary(
        tunnels=len(rows),
        healthy=len(by_cause.get(HEALTHY, [])),
        by_cause={cause: tuple(tunnels) for cause, tunnels in ordered},
        common_roots=tuple(roots),
        device_errors=dict(device_errors),
    )


def collect_fleet(
    plan: FleetPlan,
    *,
    workers: int | None = None,
    passwords: Mapping[tuple[str, str], str] | None = None,
    progress: ProgressCallback | None = None,
    device_progress: DeviceProgress | None = None,
    cancel: threading.Event | None = None,
    playbook: Playbook | None = None,
) -> FleetResult:
    """Collect every device of the plan once on Nornir (``workers`` at a time), then triage.
    Ctrl+C in the calling thread, or ``cancel``, stops the collection; what was collected is
    triaged and the result says it was interrupted."""
    from ipsec_tui.collectors.nornir_run import DEFAULT_WORKERS, collect_devices, device_errors

    outcomes, interrupted = collect_devices(
        plan.peers(),
        workers=workers or DEFAULT_WORKERS,
        passwords=passwords,
        progress=progress,
        device_progress=device_progress,
        cancel=cancel,
    )
    return triage(
        plan,
        {name: outcome.capture for name, outcome in outcomes.items()},
        device_errors=device_errors(outcomes),
        interrupted=interrupted,
        playbook=playbook,
    )


def write_tunnel_capture(row: TunnelTriage, folder: Path) -> Path:
    """One tunnel's two peers as a capture folder (what ``check`` and the cockpit read),
    from the outputs already collected: nothing is collected again."""
    from ipsec_tui.collectors.capture_io import write_capture_index, write_peer

    for capture in row.captures:
        write_peer(folder / capture.name, capture)
    write_capture_index(folder, row.tunnel, list(row.peers))
    return folder
