"""What the cockpit shows, as one frozen snapshot, and the Textual-free calls that make it.

A `Session` keeps the `Analysis` next to the `PeerCapture`s it came from, because the
evidence pane shows the raw text behind a finding (`PeerCapture.outputs[file]`). Workers call
the functions here (load, analyse, export a bundle, paste the other side); widgets only
render a `Session`. Nothing in this module imports textual.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from ipsec_tui.analysis import Analysis
from ipsec_tui.collectors.bundles import load_captures
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.demo import DemoScenario, demo_scenarios
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import PeerModel
from ipsec_tui.errors import UserError
from ipsec_tui.timeline import TimelineEvent
from ipsec_tui.ui import offload
from ipsec_tui.ui.analysing import analyse_pair

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
    from ipsec_tui.collectors.bundles import is_bundle_path

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
        from ipsec_tui.collectors.bundles import bundle_index, open_bundle

        captures, notes, manifest = open_bundle(source.path)
        index = bundle_index(source.path)
        origin = f"made {manifest.created_at} by {manifest.tool}"
        tunnel, description = (index.tunnel, index.description) if index else (None, None)
        info = CaptureInfo(tunnel, description, notes, origin)
        return analyse(source, captures, cancel=cancel, info=info)
    return analyse(source, load_captures([source.path]), cancel=cancel, info=_folder_info(source))


def warm_up(start: StartRequest | Source) -> None:
    """When what opens first is a big capture folder or bundle, start loading and analysing it
    now, while the screen comes up (the cockpit's import and start): the process that will
    analyse it starts and loads the parsers, and a thread reads the captures and hands them
    over; the cockpit takes the result (:func:`take_prefetched`) instead of loading again."""
    if isinstance(start, StartRequest):
        path = start.capture
        source = capture_source(path) if path is not None else None
    else:
        path = start.path if start.kind in ("capture", "bundle") else None
        source = start
    if path is None or source is None or _Prefetch.waiting(source):  # (the CLI, then the app)
        return
    if offload.prestart_for(path):  # (a child the command line started is kept)
        _Prefetch.start(source)


class _Prefetch:
    """A session being loaded ahead, in a thread of its own (the screen's worker takes it)."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _waiting: ClassVar[dict[tuple[str, Path | None], _Prefetch]] = {}

    def __init__(self, source: Source) -> None:
        self.source = source
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.session: Session | None = None
        self.error: BaseException | None = None
        threading.Thread(target=self._run, name="prefetch", daemon=True).start()

    @classmethod
    def start(cls, source: Source) -> None:
        with cls._lock:
            if (source.kind, source.path) not in cls._waiting:
                cls._waiting[(source.kind, source.path)] = cls(source)

    @classmethod
    def waiting(cls, source: Source) -> bool:
        with cls._lock:
            return (source.kind, source.path) in cls._waiting

    @classmethod
    def take(cls, source: Source) -> _Prefetch | None:
        with cls._lock:
            return cls._waiting.pop((source.kind, source.path), None)

    def _run(self) -> None:
        try:
            self.session = load(self.source, self.cancel)
        except BaseException as exc:  # raised again in the worker that takes it
            self.error = exc
        finally:
            self.done.set()


def take_prefetched(source: Source, cancel: threading.Event) -> Session | None:
    """The session :func:`warm_up` started loading for this source, once loaded (None if it
    did not start one; taken once). Raises what loading raised, and offload.Cancelled when
    ``cancel`` is set meanwhile (the load is then cancelled too)."""
    job = _Prefetch.take(source)
    if job is None:
        return None
    while not job.done.wait(0.05):
        if cancel.is_set():
            job.cancel.set()
            raise offload.Cancelled()
    if job.error is not None:
        raise job.error
    return job.session


def _folder_info(source: Source) -> CaptureInfo:
    from ipsec_tui.collectors.capture_io import read_capture_index

    if source.path is None or not source.path.is_dir():
        return CaptureInfo()
    try:
        index = read_capture_index(source.path)
    except UserError:
        index = None  # the captures were read without it: only the name is lost
    return CaptureInfo(index.tunnel, index.description) if index else CaptureInfo()


# --- evidence bundles ------------------------------------------------------------------------


def default_bundle_path(tunnel: str | None, now: dt.datetime | None = None) -> Path:
    """./ipsec-tui-<tunnel>-<UTC time>.zip, relative to where the cockpit was started."""
    from ipsec_tui.collectors.capture_io import file_stem

    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"ipsec-tui-{file_stem(tunnel)}-{stamp}.zip")


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
    from ipsec_tui.evidence.bundle import bundle_captures, bundle_collection, bundle_content

    collection = request.collection
    if collection is not None and request.as_collected:
        return bundle_collection(
            collection, request.out, notes=request.notes, passwords=request.passwords
        )
    known = request.passwords
    if collection is not None:  # the collected peer is still on screen beside a pasted one
        from ipsec_tui.redact import repeatable_secrets

        printed = [t for peer in collection.peers for t in peer.capture.outputs.values()]
        known = (*known, *repeatable_secrets(printed))
    content = bundle_content(
        list(request.captures),
        tunnel=request.info.tunnel,
        description=request.info.description,
        notes=request.notes,
        known_secrets=known,
        where=request.out,
    )
    return bundle_captures(request.out, content)


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
    """Write a new capture folder holding the peer on screen and import the transcript into
    it beside that peer, exactly as `ipsec-tui import` does (redacted, refused if a secret
    remains, read back: what is shown is what was saved).

    The folder the operator opened is never changed: a demo, a bundle and a peer folder
    cannot take another peer, and a capture folder stays as collected.
    """
    from ipsec_tui.collectors.capture_io import new_capture_dir, write_capture_index, write_peer
    from ipsec_tui.collectors.transcript import import_transcript

    transcript, kept, info = request.transcript, request.kept, request.info
    if transcript.peer_name == kept.name:
        raise UserError(
            f"the pasted side is named {kept.name!r}, like the peer on screen: give it "
            "another peer name"
        )
    folder = new_capture_dir(request.base, info.tunnel, "pasted")
    try:
        write_peer(folder / kept.name, kept)
        write_capture_index(folder, info.tunnel, [kept.name], info.description)
        imported = import_transcript(
            transcript.text,
            transcript.platform,
            folder,
            peer_name=transcript.peer_name or None,
            first=request.side == 0,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half written stays behind
        raise
    a, b = imported.captures
    return PastedSide(folder, (a, b), imported.peer, imported.warnings)


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
