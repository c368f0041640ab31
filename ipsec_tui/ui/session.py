"""What the cockpit shows, as one frozen snapshot, and the Textual-free calls that make it.

A `Session` keeps the `Analysis` next to the `PeerCapture`s it came from, because the
evidence pane shows the raw text behind a finding (`PeerCapture.outputs[file]`). Workers call
the functions here; widgets only render a `Session`. Nothing in this module imports textual.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ipsec_tui.analysis import Analysis, analyse_models, load_captures
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.demo import DemoScenario, demo_scenarios
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import PeerModel
from ipsec_tui.errors import UserError
from ipsec_tui.ui import offload
from ipsec_tui.ui.timeline import TimelineEvent, merge_logs

SourceKind = Literal["demo", "capture", "live"]


@dataclass(frozen=True)
class Source:
    """Where a session's captures come from: a demo scenario, a folder, or a live tunnel."""

    kind: SourceKind
    label: str  # one line for the title bar, e.g. "demo strongswan-psk"
    path: Path | None = None  # the capture folder (for live: the base folder of collections)
    tunnel: Tunnel | None = None  # live only: what to collect (again)
    summary: str = ""  # a demo scenario's one-line story

    @property
    def live(self) -> bool:
        return self.kind == "live"


@dataclass(frozen=True)
class StartRequest:
    """What the command line asked the cockpit to open first."""

    inventory: Path | None = None
    tunnel: str | None = None  # with an inventory: collect this tunnel at once
    capture: Path | None = None  # open this capture folder at once
    scenario: str | None = None  # open this demo scenario at once
    out_dir: Path | None = None  # where live collections are written


@dataclass(frozen=True)
class Session:
    """One analysed capture of a tunnel: captures (A, B), the analysis and the merged log."""

    source: Source
    captures: tuple[PeerCapture | None, PeerCapture | None]
    analysis: Analysis
    timeline: tuple[TimelineEvent, ...] = ()
    partial: bool = False  # a collection still running: more peers to come

    @property
    def peers(self) -> tuple[PeerModel | None, PeerModel | None]:
        return self.analysis.pair.a, self.analysis.pair.b

    def peer_names(self) -> tuple[str, str]:
        pair = self.analysis.pair
        return pair.name("a"), pair.name("b")

    def capture_of(self, peer: str) -> PeerCapture | None:
        for capture in self.captures:
            if capture is not None and capture.name == peer:
                return capture
        return None


def analyse_pair(
    a: PeerCapture | None, b: PeerCapture | None
) -> tuple[Analysis, tuple[TimelineEvent, ...]]:
    """Parse both peers (either may be missing), run the checks, merge the logs.

    Module level and picklable both ways: big captures run it in a child process.
    """
    from ipsec_tui.parsers.base import parse_peer

    analysis = analyse_models(parse_peer(a) if a else None, parse_peer(b) if b else None)
    return analysis, merge_logs(analysis.pair)


def analyse(
    source: Source,
    captures: Sequence[PeerCapture | None],
    *,
    partial: bool = False,
    cancel: threading.Event | None = None,
) -> Session:
    """A session for these captures (A, B); big ones are analysed off this process."""
    a = captures[0] if captures else None
    b = captures[1] if len(captures) > 1 else None
    big = offload.capture_size((a, b)) > offload.OFFLOAD_BYTES
    analysis, timeline = offload.run(analyse_pair, a, b, offload=big, cancel=cancel)
    return Session(source, (a, b), analysis, timeline, partial)


def folder_source(path: Path) -> Source:
    return Source("capture", f"capture {path}", path=path)


def scenario_source(scenario: DemoScenario) -> Source:
    return Source("demo", f"demo {scenario.name}", path=scenario.path, summary=scenario.summary)


def demo_source(name: str) -> Source:
    """The source for an embedded demo scenario (UserError if there is none by that name)."""
    return scenario_source(demo_scenario(name))


def live_source(tunnel: Tunnel, out_base: Path | None, inventory: Path | None = None) -> Source:
    where = f" ({inventory.name})" if inventory else ""
    return Source("live", f"live {tunnel.name}{where}", path=out_base, tunnel=tunnel)


def load(source: Source, cancel: threading.Event | None = None) -> Session:
    """Read and analyse the captures of a demo scenario or a capture folder."""
    if source.path is None or source.live:
        raise UserError(f"{source.label}: nothing on disk to open")
    return analyse(source, load_captures([source.path]), cancel=cancel)


def demo_scenario(name: str) -> DemoScenario:
    """An embedded demo scenario by folder name (UserError if unknown)."""
    scenarios = demo_scenarios()
    for scenario in scenarios:
        if scenario.name == name:
            return scenario
    known = ", ".join(s.name for s in scenarios)
    raise UserError(f"no demo scenario {name!r} (known: {known})")
