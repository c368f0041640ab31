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


class PeerProgressView(Static):
    """Renders one `PeerProgress` snapshot; ticks its elapsed time while it runs."""

    progress: reactive[PeerProgress | None] = reactive(None, always_update=True)

    def on_mount(self) -> None:
        self._ticker = self.set_interval(0.5, self._tick, pause=True)

    def _tick(self) -> None:
        self.update(self._text(self.progress))

    def watch_progress(self, progress: PeerProgress | None) -> None:
        for state in _STATE:
            self.set_class(progress is not None and progress.state == state, f"-{state}")
        if progress is not None and progress.active and progress.started is not None:
            self._ticker.resume()
        else:
            self._ticker.pause()
        self.update(self._text(progress))

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
    """Both peers' progress side by side (peer A left, peer B right)."""

    def compose(self) -> ComposeResult:
        yield PeerProgressView(id="progress-a", classes="peer-progress")
        yield PeerProgressView(id="progress-b", classes="peer-progress")

    def show(self, side: int, progress: PeerProgress) -> None:
        view = self.query_one("#progress-a" if side == 0 else "#progress-b", PeerProgressView)
        view.progress = progress
