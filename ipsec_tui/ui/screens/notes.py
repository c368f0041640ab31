"""The operator's notes: typed in the cockpit, kept with the session, written into the
evidence bundle as notes.md (redacted like everything else), shown again when it is opened."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from ipsec_tui.ui.screens.dialogs import FormDialog

ABOUT = (
    "What was seen, tried and decided. Exported into the bundle (b) as notes.md, redacted "
    "like everything else; a password or key typed here makes the export refuse."
)


class NotesScreen(FormDialog[str | None]):
    """Edits the notes; dismisses with the new text (ctrl+s), or None (Escape)."""

    NAME = "notes"
    TITLE = "Operator's notes"
    FOCUS = "#notes-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Save", tooltip="Keep these notes", id="notes.save"),
        Binding("escape", "cancel", "Cancel", tooltip="Drop the changes", id="notes.cancel"),
    ]

    def __init__(self, notes: str, origin: str = "") -> None:
        super().__init__()
        self.notes = notes
        self.origin = origin  # where the notes came from, e.g. "from bundle x.zip"

    def compose(self) -> ComposeResult:
        with Vertical(id="notes-dialog", classes="dialog"):
            yield Static(ABOUT, id="notes-about", classes="note")
            yield TextArea(
                self.notes,
                id="notes-text",
                soft_wrap=True,
                tab_behavior="focus",
                placeholder="e.g. 14:05 partner confirms they changed the PSK yesterday",
            )
            yield from self.buttons("Save  ctrl+s", "Cancel  esc")

    def on_mount(self) -> None:  # FormDialog's own on_mount runs first (Textual walks the MRO)
        if self.origin:
            self.query_one("#notes-dialog").border_subtitle = self.origin
        area = self.query_one("#notes-text", TextArea)
        area.move_cursor(area.document.end)

    def action_submit(self) -> None:
        self.dismiss(self.query_one("#notes-text", TextArea).text)
