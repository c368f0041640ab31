"""Screens that are laid out again on a resize only when the size changed.

A screen shown for the first time is laid out, and that layout sends the screen itself a
Resize of the size it was just laid out at; Textual answers it by laying the screen out
again, and every screen under it too (the cockpit under a dialog or the log view: the whole
cockpit, a second time, for a size it already has). Opening the log view or a dialog paid
those passes and their frames. A layout that a widget asked for meanwhile is not lost: it is
pending, and runs on the screen's next update (at once for the screen on top, on resuming
for a screen under it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.geometry import Size
from textual.screen import ModalScreen, Screen, ScreenResultType

D = TypeVar("D", bound=Screen[Any])


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


def show_reused(
    app: App[Any], name: str, kind: type[D], make: Callable[[], D], refresh: Callable[[D], None]
) -> None:
    """Show the app's one dialog installed as `name`: built (`make`) the first time and kept
    installed, then refreshed (`refresh`) and shown again, since building it was most of
    opening it. A new one is built only while it is open (opened again from itself)."""
    if app.is_screen_installed(name):
        dialog = app.get_screen(name, kind)
        if dialog in app.screen_stack:
            app.push_screen(make())
            return
        refresh(dialog)
    else:
        dialog = make()
        app.install_screen(dialog, name)
    app.push_screen(dialog)
