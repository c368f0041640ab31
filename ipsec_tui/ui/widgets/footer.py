"""The footer, fitted to the terminal: the keys of `optional` actions are shown only when every
key fits on the line, so 80 columns keep the essential ones (help and quit) in sight. Help
(?) and the command palette list every key whatever the width."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not re-exported; Textual is pinned

PALETTE_CELLS = 13  # "▏^p palette " docked on the right


class CockpitFooter(Footer):
    """A `Footer` that drops the keys of `optional` actions when the line is too short."""

    DEFAULT_CSS = """
    CockpitFooter.-narrow FooterKey.-optional {
        display: none;
    }
    """

    def __init__(self, optional: Iterable[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.optional = frozenset(optional)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in self.optional:
                widget.add_class("-optional")
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def on_mount(self) -> None:  # Footer's own on_mount runs too (Textual walks the MRO)
        self._fit()

    def _fit(self) -> None:
        keys = [key for key in self.query(FooterKey) if not key.has_class("-command-palette")]
        # each key renders as " KEY DESCRIPTION " plus one cell of margin
        needed = sum(cell_len(k.key_display) + cell_len(k.description) + 3 for k in keys)
        self.set_class(needed + PALETTE_CELLS > self.size.width, "-narrow")

    async def recompose(self) -> None:
        await super().recompose()
        self._fit()
