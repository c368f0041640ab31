"""Exporting the evidence bundle from the cockpit: where to write it (a dialog), what goes in
(from the screen's state), and the writer in a thread. The screen that asked hears
BundleExported or ExportFailed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from textual.screen import Screen

from ipsec_tui.ui.messages import BundleExported, ExportFailed, describe
from ipsec_tui.ui.session import ExportRequest, Session, default_bundle_path, export_bundle
from ipsec_tui.ui.state import CockpitState


def ask_bundle_path(
    screen: Screen[Any], tunnel: str | None, chosen: Callable[[Path], None]
) -> None:
    """The path dialog, proposing ./ipsec-tui-<tunnel>-<time>.zip; `chosen` gets the answer."""
    from ipsec_tui.ui.screens.dialogs import PathScreen

    def answered(path: Path | None) -> None:
        if path is not None:
            chosen(path)

    dialog = PathScreen(
        "Export the evidence bundle",
        "Write the bundle (capture, analysis, report, notes) to:",
        "new",
        f"./{default_bundle_path(tunnel)}",
        ok_label="Export",
    )
    screen.app.push_screen(dialog, answered)


def export_request(
    state: CockpitState, session: Session, out: Path, passwords: tuple[str, ...] = ()
) -> ExportRequest:
    """The peers on screen, the notes, the passwords typed (to refuse) and, for a live
    tunnel, the collection behind the screen."""
    return ExportRequest(
        out=out,
        captures=tuple(c for c in session.captures if c is not None),
        info=session.info,
        notes=state.notes,
        passwords=passwords,
        collection=state.collection if state.source.live else None,
        as_collected=state.as_collected(),
    )


def start_export(screen: Screen[Any], request: ExportRequest) -> None:
    """Write the bundle in a thread; `screen` hears BundleExported or ExportFailed."""
    screen.run_worker(
        partial(_write, screen, request),
        group="export",
        exclusive=True,
        thread=True,
        exit_on_error=False,
    )


def _write(screen: Screen[Any], request: ExportRequest) -> None:
    try:
        written = export_bundle(request)
    except Exception as exc:  # the writer's refusal, a full disk: a message, no traceback
        screen.post_message(ExportFailed(describe(exc)))
    else:
        diagnosis = written.analysis.diagnosis
        cause = diagnosis.cause + (f" on {diagnosis.side}" if diagnosis.side else "")
        screen.post_message(BundleExported(written.path, len(written.manifest.files), cause))
