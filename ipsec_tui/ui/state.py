"""The cockpit's main screen as one frozen snapshot: what it shows and where its work stands.

The screen keeps a `CockpitState` in a reactive and replaces it (`dataclasses.replace`) when
a key is pressed or a worker reports; a `watch_` method then updates the widgets in place.
Everything here is a pure function of the snapshot, so it is tested without a terminal.
Nothing in this module imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from ipsec_tui.collectors.run import CollectionResult
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Finding, Row
from ipsec_tui.ui.live import PeerProgress
from ipsec_tui.ui.session import Session, Source

T = TypeVar("T")
ProgressPair = tuple[PeerProgress | None, PeerProgress | None]
Captures = tuple[PeerCapture | None, PeerCapture | None]


def _put(pair: tuple[T | None, T | None], side: int, item: T) -> tuple[T | None, T | None]:
    """`pair` with `item` on `side` (0: A, 1: B)."""
    return (item, pair[1]) if side == 0 else (pair[0], item)


@dataclass(frozen=True, eq=False)  # compared field by field, by identity: see `same_*`
class Selection:
    """The finding (and row) under the table's cursor, and which evidence each peer shows."""

    finding: Finding | None = None
    row: Row | None = None
    choices: tuple[int, int] = (0, 0)  # the n-th piece of evidence (or output), peer A, B
    highlighted: bool = False  # the table has put its cursor somewhere (maybe on nothing)

    def moved_to(self, finding: Finding | None, row: Row | None) -> Selection:
        """The cursor on another row: a new finding starts at its first evidence again."""
        choices = self.choices if finding is self.finding else (0, 0)
        return Selection(finding, row, choices, highlighted=True)

    def paged(self, side: int, delta: int) -> Selection:
        """`delta` pieces of evidence further on `side` (0: A, 1: B)."""
        choices = list(self.choices)
        choices[side] += delta
        return replace(self, choices=(choices[0], choices[1]))

    def same_row(self, other: Selection) -> bool:
        """The cursor is where it was (the line under the table stays)."""
        return (
            self.finding is other.finding
            and self.row is other.row
            and self.highlighted == other.highlighted
        )

    def same_evidence(self, other: Selection) -> bool:
        """Both show the same pieces of evidence (the evidence pane keeps its scroll)."""
        return (
            self.finding is other.finding
            and self.choices == other.choices
            and self.highlighted == other.highlighted
        )


@dataclass(frozen=True, eq=False)  # never compared whole: a session is big
class CockpitState:
    """One tunnel's cockpit at one moment. Generations number the loads, collections and
    pastes: a worker's report that carries an older one is stale and dropped."""

    source: Source
    session: Session | None = None
    analysis_id: int = 0
    collection_id: int = 0
    paste_id: int = 0
    # a live collection: running, being cancelled, each peer's progress and capture so far
    collecting: bool = False
    cancelling: bool = False
    progress: ProgressPair = (None, None)
    captures: Captures = (None, None)
    out_dir: Path | None = None  # the capture folder on screen (live: written by it)
    collection: CollectionResult | None = None  # the last live collection, raw, in memory
    pasted: Path | None = None  # the capture folder written by the last paste
    # the banner before (or beside) a diagnosis: what is going on, or what went wrong
    note: str = ""
    error: str = ""
    notes: str = ""  # the operator's notes: survive re-analyses, go into the bundle
    notes_adopted: bool = False  # a bundle's notes were taken over once
    paste_hinted: bool = False  # "t pastes the other side" was said once
    selection: Selection = Selection()

    # --- transitions --------------------------------------------------------------------

    def showing(self, session: Session) -> CockpitState:
        """A new session on screen; the banner goes back to its diagnosis."""
        return replace(self, session=session, note="", error="")

    def failed(self, error: str) -> CockpitState:
        """Something went wrong: the banner says it (over the last diagnosis, if any)."""
        return replace(self, error=error, note="")

    def waiting(self, note: str) -> CockpitState:
        """Work under way (or nothing, with ""): the banner says so beside the diagnosis."""
        return replace(self, note=note, error="")

    def collection_started(self, out_dir: Path, progress: ProgressPair) -> CockpitState:
        """Both peers are being collected into `out_dir` (c cancels)."""
        return replace(
            self,
            collecting=True,
            cancelling=False,
            out_dir=out_dir,
            progress=progress,
            note="collecting both peers…  (c cancels)",
            error="",
        )

    def collection_ended(self) -> CockpitState:
        """The collection is over (or could not start); the banner shows the diagnosis."""
        return replace(self, collecting=False, cancelling=False, note="", error="")

    def side_of(self, peer: str) -> int | None:
        """0 or 1: which side of the live tunnel `peer` is on (None: not a live peer)."""
        tunnel = self.source.tunnel
        names = [p.name for p in tunnel.peers] if tunnel is not None else []
        return names.index(peer) if peer in names else None

    def progressed(self, progress: PeerProgress) -> CockpitState:
        """A peer's new progress snapshot, on its side."""
        side = self.side_of(progress.name)
        return self if side is None else replace(self, progress=_put(self.progress, side, progress))

    def collected(self, capture: PeerCapture) -> CockpitState:
        """A peer's capture, read back from disk, on its side (the other may still come)."""
        side = self.side_of(capture.name)
        return self if side is None else replace(self, captures=_put(self.captures, side, capture))

    def adopting_notes(self, session: Session) -> CockpitState:
        """A bundle's notes become the screen's notes, once (unless some were typed)."""
        carried = session.info.notes
        if self.notes_adopted or not carried.strip():
            return self
        notes = self.notes if self.notes.strip() else carried
        return replace(self, notes_adopted=True, notes=notes)

    def hinting_paste(self) -> CockpitState:
        """The paste hint is said once per screen: when one peer only is here, for good."""
        session = self.session
        if self.paste_hinted or session is None or session.partial or self.collecting:
            return self
        if session.paste_side() is None:
            return self
        return replace(self, paste_hinted=True)

    # --- what the screen derives from it -------------------------------------------------

    @property
    def paste_side(self) -> int | None:
        """The side a pasted transcript can fill, once nothing more is being collected."""
        if self.collecting or self.session is None:
            return None
        return self.session.paste_side()

    def banner_waiting(self) -> str:
        """The banner's line about what is going on (beside or instead of a diagnosis)."""
        if self.collecting and self.cancelling:
            return "cancelling: waiting for the running command to end…"
        if self.note or not self.collecting:
            return self.note
        pending = [p.name for p in self.progress if p is not None and not p.captured]
        return f"collecting {', '.join(pending)}…" if pending else "collecting…"

    def as_collected(self) -> bool:
        """The screen still shows the last live collection's folder, as it was collected."""
        collection = self.collection
        return collection is not None and self.pasted is None and self.out_dir == collection.out_dir
