"""The path test end to end, for the command line and the cockpit alike: log in to both
gateways once, collect the snapshot over those sessions, plan, probe (with the packet
capture's own sessions on Linux peers), write everything; and the same probe judged again
offline from what it recorded (``OUT/probe/``).

Layout of a probed capture folder: ``OUT/`` is the snapshot (an ordinary capture),
``OUT/probe/`` a capture of every command the probe ran, in order, with its times, and
``OUT/probe/probe.json`` the result as ``--json`` prints it (the plan's sources and targets
are read back from it when the probe is replayed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipsec_tui.analysis import Analysis, analyse_captures
from ipsec_tui.collectors.capture_io import read_capture, read_capture_index, write_capture
from ipsec_tui.domain.probe import ProbeResult
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import load_platform
from ipsec_tui.probe import (
    CAPTURE_ENDED,
    CAPTURE_GRACE_S,
    CAPTURE_LISTENING,
    Ran,
    can_capture,
    plan_probe,
    replay,
    run_probe,
)
from ipsec_tui.probe import to_dict as probe_to_dict
from ipsec_tui.yamlfile import read_regular_text

if TYPE_CHECKING:
    from ipsec_tui.collectors.inventory import Tunnel
    from ipsec_tui.collectors.run import CollectionResult
    from ipsec_tui.collectors.ssh import PeerSession

PROBE_DIR = "probe"
PROBE_JSON = "probe.json"


class ProbeNotRun(UserError):
    """A gateway could not be logged in to: nothing was sent (exit 1, not bad input)."""

    exit_code = 1


@dataclass(frozen=True)
class ProbeOptions:
    count: int = 3
    sources: Mapping[str, str] = field(default_factory=dict)
    targets: Mapping[str, str] = field(default_factory=dict)
    source_ifs: Mapping[str, str] = field(default_factory=dict)
    capture: bool = True  # the WAN packet capture on Linux gateways


@dataclass(frozen=True)
class ProbeRun:
    """A probe and what it was planned from."""

    folder: Path
    result: ProbeResult
    analysis: Analysis  # the snapshot's
    collected: CollectionResult | None = None  # None: replayed from disk

    def to_dict(self) -> dict[str, Any]:
        data = probe_to_dict(self.result)
        data["snapshot"] = {
            "cause": self.analysis.diagnosis.cause,
            "side": self.analysis.diagnosis.side,
        }
        return data


def check_probeable(tunnel: Tunnel) -> None:
    """UserError (before anything connects) for a peer whose platform cannot send a test."""
    for peer in tunnel.peers:
        if load_platform(peer.platform).probe is None:
            raise UserError(
                f"{peer.name}: platform {peer.platform} has no read-only way to send a test "
                "packet; probe from the other side by hand"
            )


def probe_tunnel(
    tunnel: Tunnel,
    folder: Path,
    passwords: Mapping[tuple[str, str], str],
    options: ProbeOptions | None = None,
) -> ProbeRun:
    """Log in, collect the snapshot into ``folder``, probe, write ``folder/probe/``.

    ProbeNotRun when a gateway cannot be logged in to (nothing is sent then); UserError when
    the probe cannot be planned from what was collected (the snapshot is written anyway)."""
    from ipsec_tui.collectors.run import collect_tunnel, open_sessions

    options = options or ProbeOptions()
    check_probeable(tunnel)
    sessions, errors = open_sessions(tunnel, passwords)
    # the packet capture's own sessions, logged in while the snapshot is collected
    capturing = options.capture and any(can_capture(peer.platform) for peer in tunnel.peers)
    second: dict[str, tuple[dict[str, PeerSession], dict[str, str]]] = {}
    login: threading.Thread | None = None
    if capturing and not errors:
        login = threading.Thread(
            target=lambda: second.setdefault("sessions", open_sessions(tunnel, passwords)),
            name="capture-login",
            daemon=True,
        )
        login.start()
    try:
        if errors:
            failed = "; ".join(f"{name}: {error}" for name, error in errors.items())
            raise ProbeNotRun(f"{failed}; the probe needs both gateways, nothing was sent")
        collected = collect_tunnel(tunnel, folder, passwords=passwords, sessions=sessions)
        captures = [peer.capture for peer in collected.peers]
        analysis = analyse_captures(captures)
        a, b = analysis.pair.a, analysis.pair.b
        if a is None or b is None:
            raise UserError("the probe needs both peers' collections")
        plan = plan_probe(
            tunnel.name,
            a,
            b,
            count=options.count,
            sources=dict(options.sources),
            targets=dict(options.targets),
            source_ifs=dict(options.source_ifs),
            captures=captures,
        )
        if login is not None:
            login.join()
        capture_sessions, capture_errors = second.get("sessions", ({}, {}))

        def run(peer: str, command: str) -> Ran:
            sent = sessions[peer].send(command)
            return Ran(sent.text, sent.error, sent.started_at, sent.finished_at)

        def capture(peer: str, command: str, listening: threading.Event) -> Ran:
            if peer not in capture_sessions:
                error = capture_errors.get(peer, "no session")
                return Ran(None, f"{peer}: no session for the capture: {error}")
            sent = capture_sessions[peer].send(command, heard=(CAPTURE_LISTENING, listening))
            return Ran(sent.text, sent.error, sent.started_at, sent.finished_at)

        hints = [(ranked.cause, ranked.side) for ranked in analysis.diagnosis.causes]

        def end(peer: str) -> None:  # the capture has seen the pings: it ends soon
            if peer in capture_sessions:
                capture_sessions[peer].end_soon(CAPTURE_GRACE_S, CAPTURE_ENDED)

        result, probe_captures = run_probe(
            plan,
            run,
            hints,
            # a platform without the capture is said once in the result
            capture=capture if options.capture else None,
            end=end,
        )
    finally:
        if login is not None:
            login.join()
        opened_second = second.get("sessions", ({}, {}))[0]
        for session in [*sessions.values(), *opened_second.values()]:
            session.close()
    probe = ProbeRun(folder, result, analysis, collected)
    probe_dir = folder / PROBE_DIR
    write_capture(probe_dir, probe_captures, tunnel=tunnel.name, description="ipsec-tui probe")
    (probe_dir / PROBE_JSON).write_text(
        json.dumps(probe.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    return probe


def has_probe(folder: Path) -> bool:
    """The capture folder holds a recorded probe."""
    return (folder / PROBE_DIR / PROBE_JSON).is_file()


def replay_probe(folder: Path) -> ProbeRun:
    """The probe recorded in ``folder/probe/`` judged again from its raw outputs, with the
    sources, targets and count it ran with (from its probe.json): what an escalation engineer
    gets offline is what the operator saw live, from the same evidence."""
    probe_dir = folder / PROBE_DIR
    if not has_probe(folder):
        raise UserError(f"{folder}: no recorded probe ({PROBE_DIR}/{PROBE_JSON} is missing)")
    try:
        recorded = json.loads(read_regular_text(probe_dir / PROBE_JSON))
        rows = recorded["directions"]
        sources = {str(row["from"]): str(row["source"]) for row in rows if row.get("source")}
        targets = {str(row["from"]): str(row["target"]) for row in rows}
        counts = {int(row["sent"]) for row in rows if row.get("sent")}
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{probe_dir / PROBE_JSON}: not a probe result: {exc}") from None
    snapshot = read_capture(folder)
    analysis = analyse_captures(snapshot)
    a, b = analysis.pair.a, analysis.pair.b
    if a is None or b is None:
        raise UserError(f"{folder}: the probe needs both peers' snapshots")
    index = read_capture_index(folder)
    plan = plan_probe(
        (index.tunnel if index else None) or "tunnel",
        a,
        b,
        count=max(counts) if counts else 3,
        sources=sources,
        targets=targets,
        captures=snapshot,
    )
    run = replay(read_capture(probe_dir))
    hints = [(ranked.cause, ranked.side) for ranked in analysis.diagnosis.causes]
    result, _ = run_probe(plan, run, hints, capture=run)
    return ProbeRun(folder, result, analysis)
