"""Per-peer collection progress, one column each: command n of m, which one, elapsed, and a
failing peer's error in its own column."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from ipsec_tui.ui.live import PeerProgress

_STATE = {
    "waiting": ("…", "waiting"),
    "connecting": ("⇄", "connecting"),
    "running": ("▶", "running"),
    "done": ("✔", "collected"),
    "failed": ("✘", "FAILED"),
    "cancelled": ("■", "cancelled"),
}


TICK_SECONDS = 1.0  # how often a running peer's elapsed time is redrawn


class PeerProgressView(Static):
    """Renders one `PeerProgress` snapshot. Only this widget is redrawn when it changes, and
    the screen is laid out again only when its number of lines changes (a new snapshot
    rarely adds a line; the elapsed time never does)."""

    progress: reactive[PeerProgress | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._height = 0

    def watch_progress(self, progress: PeerProgress | None) -> None:
        for state in _STATE:
            self.set_class(progress is not None and progress.state == state, f"-{state}")
        self.redraw()

    @property
    def ticking(self) -> bool:
        progress = self.progress
        return progress is not None and progress.active and progress.started is not None

    def redraw(self) -> None:
        text = self._text(self.progress)
        width = self.content_size.width
        # lines as shown, long ones folded to the width (unknown before the first layout)
        height = len(text.wrap(self.app.console, width)) if width else -1
        self.update(text, layout=height != self._height or height < 0)
        self._height = height

    @staticmethod
    def _text(progress: PeerProgress | None) -> Text:
        text = Text(overflow="fold")
        if progress is None:
            return text
        mark, word = _STATE.get(progress.state, ("?", progress.state))
        text.append(f"{mark} {progress.name}", style="bold")
        text.append(f" {progress.host}  ", style="dim")
        text.append(word, style="bold")
        text.append(f"  {progress.elapsed(time.monotonic()):.1f}s\n")
        if progress.total:
            text.append(f"command {progress.index} of {progress.total}")
            text.append(f"  ({progress.ok} ok, {progress.failed} failed)\n", style="dim")
        if progress.error:
            text.append(progress.error, style="bold")
        elif progress.active and progress.command:
            text.append(f"$ {progress.command}", style="italic")
        return text


class CollectionPanel(Horizontal):
    """Both peers' progress side by side (peer A left, peer B right), with one clock for both
    elapsed times: one small redraw a tick, not one per peer."""

    def compose(self) -> ComposeResult:
        yield PeerProgressView(id="progress-a", classes="peer-progress")
        yield PeerProgressView(id="progress-b", classes="peer-progress")

    def on_mount(self) -> None:
        self._ticker = self.set_interval(TICK_SECONDS, self._tick, pause=True)

    def _views(self) -> list[PeerProgressView]:
        return list(self.query(PeerProgressView))

    def _tick(self) -> None:
        for view in self._views():
            if view.ticking:
                view.redraw()

    def show(self, side: int, progress: PeerProgress) -> None:
        view = self.query_one("#progress-a" if side == 0 else "#progress-b", PeerProgressView)
        view.progress = progress
        if any(view.ticking for view in self._views()):
            self._ticker.resume()
        else:
            self._ticker.pause()
