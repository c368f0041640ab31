"""Screens that are laid out again on a resize only when the size changed.

A screen shown for the first time is laid out, and that layout sends the screen itself a
Resize of the size it was just laid out at; Textual answers it by laying the screen out
again, and every screen under it too (the cockpit under a dialog or the log view: the whole
cockpit, a second time, for a size it already has). Opening the log view or a dialog paid
those passes and their frames. A layout that a widget asked for meanwhile is not lost: it is
pending, and runs on the screen's next update (at once for the screen on top, on resuming
for a screen under it)."""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.screen import ModalScreen, Screen, ScreenResultType


def _laid_out_at(screen: Screen[Any], size: Size) -> bool:
    return screen.is_attached and screen._compositor.size == size


class SteadyScreen(Screen[ScreenResultType]):
    """A screen laid out again only for a new size (see the module)."""

    def _screen_resized(self, size: Size) -> None:
        if not _laid_out_at(self, size):
            super()._screen_resized(size)


class SteadyModal(ModalScreen[ScreenResultType]):
    """A modal dialog laid out again only for a new size (see the module)."""

    def _screen_resized(self, size: Size) -> None:
        if not _laid_out_at(self, size):
            super()._screen_resized(size)
