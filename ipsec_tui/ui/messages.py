"""What workers tell the screens: small frozen facts, named as things that happened.

Workers run in threads and post these to the screen that started them; the screen turns
them into reactive snapshots the widgets render. High-rate progress replaces older progress
of the same peer (toolong's `can_replace`), since each carries the whole snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from ipsec_tui.collectors.run import CollectionResult
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.ui.live import PeerProgress
from ipsec_tui.ui.session import Session, Transcript


def describe(error: BaseException) -> str:
    """What a `...Failed` message tells the operator: a UserError as it is, anything else
    as an internal error (never a traceback on the screen)."""
    if isinstance(error, UserError):
        return str(error)
    return f"internal error: {type(error).__name__}: {error}"


@dataclass
class SessionAnalysed(Message, bubble=False):
    """Captures were parsed and checked: a new session to show."""

    session: Session
    generation: int  # which load or collection it belongs to; stale ones are dropped


@dataclass
class Failed(Message, bubble=False):
    """Work that went wrong; `error` is the sentence for the operator (see `describe`)."""

    error: str


@dataclass
class FailedRun(Failed, bubble=False):
    """A numbered load or collection went wrong; an older `generation` is stale."""

    generation: int


class AnalysisFailed(FailedRun, bubble=False):
    """Loading or analysing captures failed."""


@dataclass
class PasswordSaved(Message, bubble=False):
    """A typed password went to the keyring, or did not (`problem` says why)."""

    account: str
    problem: str | None


@dataclass
class CollectionStarted(Message, bubble=False):
    """A live collection began writing into `out_dir`; `progress` is each peer's start."""

    out_dir: Path
    progress: tuple[PeerProgress, PeerProgress]
    generation: int


@dataclass
class PeerProgressed(Message, bubble=False):
    """A peer's collection moved on (the whole snapshot, not a delta)."""

    progress: PeerProgress
    generation: int

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, PeerProgressed)
            and message.progress.name == self.progress.name
            and message.generation == self.generation
        )


@dataclass
class PeerCollected(Message, bubble=False):
    """A peer's capture is on disk (read back, redacted): show it before the other ends."""

    capture: PeerCapture
    generation: int


@dataclass
class CollectionFinished(Message, bubble=False):
    """Both peers are done (or cancelled); `result` says how each went."""

    result: CollectionResult
    generation: int


class CollectionFailed(FailedRun, bubble=False):
    """The collection could not start (no password, no folder) or crashed; nothing more will
    come."""


@dataclass
class BundleExported(Message, bubble=False):
    """The evidence bundle was written."""

    path: Path
    files: int
    diagnosis: str  # e.g. "psk-mismatch on siteB"


class ExportFailed(Failed, bubble=False):
    """The bundle was not written (the writer refused, or the disk did); nothing is left."""


@dataclass
class OtherSidePasted(Message, bubble=False):
    """A pasted transcript became the missing peer, written beside the other in `folder`."""

    session: Session
    folder: Path
    peer: str
    warnings: tuple[str, ...]
    generation: int


@dataclass
class PasteFailed(Message, bubble=False):
    """A pasted transcript could not be imported; `transcript` lets the dialog reopen with it."""

    error: str
    transcript: Transcript
    generation: int
