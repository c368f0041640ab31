"""What the cockpit shows, as one frozen snapshot, and the Textual-free calls that make it.

A `Session` keeps the `Analysis` next to the `PeerCapture`s it came from, because the
evidence pane shows the raw text behind a finding (`PeerCapture.outputs[file]`). Workers call
the functions here (load, analyse, export a bundle, paste the other side); widgets only
render a `Session`. Nothing in this module imports textual.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ipsec_tui.analysis import Analysis, analyse_models, load_captures
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.demo import DemoScenario, demo_scenarios
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import PeerModel
from ipsec_tui.errors import UserError
from ipsec_tui.ui import offload
from ipsec_tui.ui.timeline import TimelineEvent, merge_logs
from ipsec_tui.yamlfile import load_yaml_text

if TYPE_CHECKING:
    from ipsec_tui.collectors.run import CollectionResult
    from ipsec_tui.evidence.bundle import WrittenBundle

SourceKind = Literal["demo", "capture", "live", "bundle"]


@dataclass(frozen=True)
class Source:
    """Where a session's captures come from: a demo scenario, a folder, or a live tunnel."""

    kind: SourceKind
    label: str  # one line for the title bar, e.g. "demo strongswan-psk"
    path: Path | None = None  # the capture folder or bundle (live: the base of collections)
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
    capture: Path | None = None  # open this capture folder (or bundle, .zip) at once
    scenario: str | None = None  # open this demo scenario at once
    out_dir: Path | None = None  # where live collections are written


@dataclass(frozen=True)
class CaptureInfo:
    """What a capture says about itself beside its peers: for the title line and exports."""

    tunnel: str | None = None  # capture.yml's tunnel name (live: the inventory's)
    description: str | None = None
    notes: str = ""  # the operator's notes a bundle carried (notes.md)
    origin: str = ""  # a bundle's "made <when> by <tool>"


@dataclass(frozen=True)
class Session:
    """One analysed capture of a tunnel: captures (A, B), the analysis and the merged log."""

    source: Source
    captures: tuple[PeerCapture | None, PeerCapture | None]
    analysis: Analysis
    timeline: tuple[TimelineEvent, ...] = ()
    partial: bool = False  # a collection still running: more peers to come
    info: CaptureInfo = field(default_factory=CaptureInfo)

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

    def paste_side(self) -> int | None:
        """The side (0 A, 1 B) the other peer's transcript can fill: the one with no output
        (missing, or failed before printing anything) while the other has some."""
        printed = [capture is not None and bool(capture.outputs) for capture in self.captures]
        if printed == [True, False]:
            return 1
        if printed == [False, True]:
            return 0
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
    info: CaptureInfo | None = None,
) -> Session:
    """A session for these captures (A, B); big ones are analysed off this process."""
    a = captures[0] if captures else None
    b = captures[1] if len(captures) > 1 else None
    big = offload.capture_size((a, b)) > offload.OFFLOAD_BYTES
    analysis, timeline = offload.run(analyse_pair, a, b, offload=big, cancel=cancel)
    if info is None and source.tunnel is not None:
        info = CaptureInfo(source.tunnel.name, source.tunnel.description or None)
    return Session(source, (a, b), analysis, timeline, partial, info or CaptureInfo())


def folder_source(path: Path) -> Source:
    return Source("capture", f"capture {path}", path=path)


def bundle_source(path: Path) -> Source:
    return Source("bundle", f"bundle {path}", path=path)


def capture_source(path: Path) -> Source:
    """A capture folder, or an evidence bundle when the path names a .zip (or any zip)."""
    from ipsec_tui.evidence.bundle import is_bundle_path

    return bundle_source(path) if is_bundle_path(path) else folder_source(path)


def scenario_source(scenario: DemoScenario) -> Source:
    return Source("demo", f"demo {scenario.name}", path=scenario.path, summary=scenario.summary)


def demo_source(name: str) -> Source:
    """The source for an embedded demo scenario (UserError if there is none by that name)."""
    return scenario_source(demo_scenario(name))


def live_source(tunnel: Tunnel, out_base: Path | None, inventory: Path | None = None) -> Source:
    where = f" ({inventory.name})" if inventory else ""
    return Source("live", f"live {tunnel.name}{where}", path=out_base, tunnel=tunnel)


def load(source: Source, cancel: threading.Event | None = None) -> Session:
    """Read and analyse the captures of a demo scenario, a capture folder or a bundle (which
    is verified against its manifest first: a damaged or changed one is a UserError)."""
    if source.path is None or source.live:
        raise UserError(f"{source.label}: nothing on disk to open")
    if source.kind == "bundle":
        from ipsec_tui.evidence.bundle import open_bundle

        captures, notes, manifest = open_bundle(source.path)
        tunnel, description = _bundle_index(source.path)
        origin = f"made {manifest.created_at} by {manifest.tool}"
        info = CaptureInfo(tunnel, description, notes, origin)
        return analyse(source, captures, cancel=cancel, info=info)
    return analyse(source, load_captures([source.path]), cancel=cancel, info=_folder_info(source))


def _folder_info(source: Source) -> CaptureInfo:
    from ipsec_tui.collectors.capture_io import read_capture_index

    if source.path is None or not source.path.is_dir():
        return CaptureInfo()
    try:
        index = read_capture_index(source.path)
    except UserError:
        index = None  # the captures were read without it: only the name is lost
    return CaptureInfo(index.tunnel, index.description) if index else CaptureInfo()


def _bundle_index(path: Path) -> tuple[str | None, str | None]:
    """The tunnel name and description in a bundle's capture/capture.yml (read after
    `open_bundle` verified the bundle); (None, None) when it has none."""
    try:
        with zipfile.ZipFile(path) as archive:
            text = archive.read("capture/capture.yml").decode("utf-8")
        data = load_yaml_text(text, f"{path}:capture/capture.yml")  # the one bounded loader
    except (KeyError, OSError, zipfile.BadZipFile, UnicodeDecodeError, UserError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    tunnel, description = data.get("tunnel"), data.get("description")
    return (
        tunnel if isinstance(tunnel, str) else None,
        description if isinstance(description, str) else None,
    )


# --- evidence bundles ------------------------------------------------------------------------


def default_bundle_path(tunnel: str | None, now: dt.datetime | None = None) -> Path:
    """./ipsec-tui-<tunnel>-<UTC time>.zip, relative to where the cockpit was started."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", tunnel or "").strip("-._") or "capture"
    return Path(f"ipsec-tui-{name}-{stamp}.zip")


@dataclass(frozen=True)
class ExportRequest:
    """What the export key writes: the peers on screen, the notes, the secrets to refuse."""

    out: Path
    captures: tuple[PeerCapture, ...]
    info: CaptureInfo
    notes: str
    # the logins' passwords of a live collection: the writer refuses if one is in any file
    passwords: tuple[str, ...] = field(default=(), repr=False)
    # the live collection behind the screen (raw, in memory: its session logs, the PSKs the
    # peers printed), and whether the screen still shows its folder unchanged
    collection: CollectionResult | None = field(default=None, repr=False)
    as_collected: bool = False


def export_bundle(request: ExportRequest) -> WrittenBundle:
    """Write the bundle (UserError when the writer refuses, e.g. a secret left somewhere)."""
    from ipsec_tui.evidence.bundle import bundle_collection, write_bundle

    collection = request.collection
    if collection is not None and request.as_collected:
        return bundle_collection(
            collection, request.out, notes=request.notes, passwords=request.passwords
        )
    known = request.passwords
    if collection is not None:  # the collected peer is still on screen beside a pasted one
        from ipsec_tui.evidence.redact import repeatable_secrets

        printed = [t for peer in collection.peers for t in peer.capture.outputs.values()]
        known = (*known, *repeatable_secrets(printed))
    return write_bundle(
        request.out,
        list(request.captures),
        tunnel=request.info.tunnel,
        description=request.info.description,
        notes=request.notes,
        known_secrets=known,
    )


# --- the other side, pasted -----------------------------------------------------------------


@dataclass(frozen=True)
class Transcript:
    """A terminal transcript of the other side, as pasted, and what it was run on."""

    text: str = field(repr=False)
    platform: str
    peer_name: str = ""  # empty: named after the host its prompts show


@dataclass(frozen=True)
class PasteRequest:
    """Where a pasted transcript goes: beside `kept` (the peer on screen), on `side`."""

    transcript: Transcript
    kept: PeerCapture
    side: int  # 0: the pasted peer becomes A, 1: B
    info: CaptureInfo
    base: Path | None = None  # folder for the new capture (None: a new temporary folder)


@dataclass(frozen=True)
class PastedSide:
    """The capture folder written with both peers, read back, and what the splitter said."""

    folder: Path
    captures: tuple[PeerCapture | None, PeerCapture | None]
    peer: str
    warnings: tuple[str, ...]


def paste_other_side(request: PasteRequest) -> PastedSide:
    """Split the transcript into a peer (as `ipsec-tui import` does) and write a new capture
    folder holding the peer on screen and the pasted one, both through capture_io (redacted,
    refused if a secret remains), then read it back: what is shown is what was saved.

    The folder the operator opened is never changed: a demo, a bundle and a peer folder
    cannot take another peer, and a capture folder stays as collected.
    """
    from ipsec_tui.collectors.capture_io import read_capture, write_capture_index, write_peer
    from ipsec_tui.collectors.transcript import split_transcript

    transcript = request.transcript
    imported = split_transcript(transcript.text, transcript.platform, transcript.peer_name or None)
    pasted = imported.capture
    kept = request.kept
    if pasted.name == kept.name:
        raise UserError(
            f"the pasted side is named {pasted.name!r}, like the peer on screen: give it "
            "another peer name"
        )
    folder = _new_capture_dir(request.base, request.info.tunnel or "capture")
    try:
        write_peer(folder / kept.name, kept)
        write_peer(folder / pasted.name, pasted)
        order = [kept.name, pasted.name] if request.side == 1 else [pasted.name, kept.name]
        write_capture_index(folder, request.info.tunnel, order, request.info.description)
        captures = read_capture(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half written stays behind
        raise
    return PastedSide(folder, (captures[0], captures[1]), pasted.name, imported.warnings)


def _new_capture_dir(base: Path | None, tunnel: str) -> Path:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", tunnel).strip("-._") or "capture"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    if base is None:
        return Path(tempfile.mkdtemp(prefix=f"ipsec-tui-{stem}-{stamp}-pasted-"))
    folder = base / f"{stem}-{stamp}-pasted"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def pasted_source(folder: Path, peer: str) -> Source:
    return Source("capture", f"capture {folder} ({peer} pasted)", path=folder)


def demo_scenario(name: str) -> DemoScenario:
    """An embedded demo scenario by folder name (UserError if unknown)."""
    scenarios = demo_scenarios()
    for scenario in scenarios:
        if scenario.name == name:
            return scenario
    known = ", ".join(s.name for s in scenarios)
    raise UserError(f"no demo scenario {name!r} (known: {known})")
