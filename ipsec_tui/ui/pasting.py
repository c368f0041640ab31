"""Pasting the other side in the cockpit: the dialog (empty, or again with what was pasted and
why it did not import), then the import and the analysis in a thread. The screen that asked
hears OtherSidePasted or PasteFailed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.screen import Screen
from textual.worker import get_current_worker

from ipsec_tui.ui.messages import OtherSidePasted, PasteFailed, describe
from ipsec_tui.ui.offload import Cancelled
from ipsec_tui.ui.session import (
    PasteRequest,
    Session,
    Source,
    Transcript,
    analyse,
    paste_other_side,
    pasted_source,
)


def blank_transcript(source: Source, session: Session, side: int) -> Transcript:
    """What the dialog starts with: the missing peer's platform and name, where known."""
    tunnel = source.tunnel
    if tunnel is not None:
        peer = tunnel.peers[side]
        return Transcript("", peer.platform, peer.name)
    missing = session.captures[side]
    if missing is not None:  # failed before printing anything: its name and platform
        return Transcript("", missing.platform, missing.name)
    kept = session.captures[1 - side]
    return Transcript("", kept.platform if kept is not None else "", "")


def ask_transcript(
    screen: Screen[Any],
    side: int,
    transcript: Transcript,
    error: str,
    answered: Callable[[Transcript], None],
) -> None:
    """The paste dialog for peer A (`side` 0) or B (1); `answered` gets what was pasted."""
    from ipsec_tui.platforms import available_platforms
    from ipsec_tui.ui.screens.paste import PasteScreen

    def dismissed(answer: Transcript | None) -> None:
        if answer is not None:
            answered(answer)

    dialog = PasteScreen(available_platforms(), side="AB"[side], transcript=transcript, error=error)
    screen.app.push_screen(dialog, dismissed)


def start_paste(
    screen: Screen[Any], request: PasteRequest, source: Source, paste_id: int, analysis_id: int
) -> None:
    """Import the transcript beside the kept peer and analyse both, in a thread."""
    screen.run_worker(
        partial(_import, screen, request, source, paste_id, analysis_id),
        group="paste",
        exclusive=True,
        thread=True,
        exit_on_error=False,
    )


def _import(
    screen: Screen[Any], request: PasteRequest, source: Source, paste_id: int, analysis_id: int
) -> None:
    try:
        pasted = paste_other_side(request)
        # live: r still collects both peers; else the new folder is what the screen shows
        shown = source if source.live else pasted_source(pasted.folder, pasted.peer)
        cancel = get_current_worker().cancelled_event
        session = analyse(shown, pasted.captures, cancel=cancel, info=request.info)
    except Cancelled:
        return
    except Exception as exc:  # no command found, a name clash, a secret left: say it
        screen.post_message(PasteFailed(describe(exc), request.transcript, paste_id))
    else:
        screen.post_message(
            OtherSidePasted(session, pasted.folder, pasted.peer, pasted.warnings, analysis_id)
        )
