"""The footer, fitted to the terminal: the keys of `optional` actions are shown only when every
key fits on the line, so 80 columns keep the essential ones (help and quit) in sight. Help
(?) and the command palette list every key whatever the width."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
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
        self._composed: Hashable = None
        self._pending = False  # a rebuild is scheduled

    def _keys_shown(self) -> Hashable:
        """What `compose` puts on the line, as a value: the shown bindings and their state."""
        return tuple(
            (binding.key, binding.description, binding.action, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Recompose only when the keys on the line change: moving the focus between widgets
        that bring no keys of their own leaves the line as it is (no rebuild, no repaint).
        A screen coming up reports its bindings several times before the line is rebuilt:
        while a rebuild is pending, it will show the newest keys, so none is added."""
        ours = self.is_attached and screen is self.screen
        shown = self._pending or (ours and self._keys_shown() == self._composed)
        if ours and self._bindings_ready and shown:
            return
        super().bindings_changed(screen)
        self._pending = ours and screen.app.app_focus

    def compose(self) -> ComposeResult:
        self._pending = False
        # the screen's keys are known once the footer is in it: put them on the line now
        # rather than after the first frame (Footer waits for the screen to report them)
        self._bindings_ready = self._bindings_ready or self.is_attached
        if self._bindings_ready:
            self._composed = self._keys_shown()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                if not widget.has_class("-command-palette"):  # the one key not bound to it
                    # born in the footer's style: the key's compact watcher at mount, then the
                    # footer's value bound to it, would each restyle it (twice per key for
                    # every rebuilt line, the footer's largest cost when a session arrives)
                    widget.set_reactive(FooterKey.compact, self.compact)
                    widget.set_class(self.compact, "-compact", update=False)
                if widget.action in self.optional:
                    widget.add_class("-optional")
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def on_mount(self) -> None:  # Footer's own on_mount runs too (Textual walks the MRO)
        self._fit()

    def _fit(self) -> None:
        if not self.size.width:  # not laid out yet: its resize fits it (one restyle, not two)
            return
        keys = [key for key in self.query(FooterKey) if not key.has_class("-command-palette")]
        # each key renders as " KEY DESCRIPTION " plus one cell of margin
        needed = sum(cell_len(k.key_display) + cell_len(k.description) + 3 for k in keys)
        self.set_class(needed + PALETTE_CELLS > self.size.width, "-narrow")

    async def recompose(self) -> None:
        await super().recompose()
        self._fit()
