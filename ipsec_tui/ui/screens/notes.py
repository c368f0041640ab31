"""The operator's notes: typed in the cockpit, kept with the session, written into the
evidence bundle as notes.md (redacted like everything else), shown again when it is opened."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

ABOUT = (
    "What was seen, tried and decided. Exported into the bundle (b) as notes.md, redacted "
    "like everything else; a password or key typed here makes the export refuse."
)


class NotesScreen(ModalScreen[str | None]):
    """Edits the notes; dismisses with the new text (ctrl+s), or None (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Keep these notes", id="notes.save"),
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
            with Horizontal(classes="buttons"):
                yield Button("Save  ctrl+s", id="notes-ok", variant="primary", compact=True)
                yield Button("Cancel  esc", id="notes-cancel", compact=True)

    def on_mount(self) -> None:
        dialog = self.query_one("#notes-dialog")
        dialog.border_title = "Operator's notes"
        if self.origin:
            dialog.border_subtitle = self.origin
        area = self.query_one("#notes-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "notes-ok":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        self.dismiss(self.query_one("#notes-text", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
