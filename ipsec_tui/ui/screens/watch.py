"""The cockpit's live mode: the tunnel watched over time. A strip chart per child SA (bytes/s
each way per side), the time line of events (SAs up and down, rekeys, failed rekeys, DPD,
one-way or stalled counters) and the verdict on what only time shows, updated after every
sample; `c` stops the watch and keeps what was collected.

The samples come from a :class:`WatchPlan`: a live tunnel (both peers logged in to once, in
the worker, each sample written as a capture folder like `ipsec-tui watch` writes them) or
recorded samples replayed (a capture folder and the watch samples beside it, a demo
scenario). The worker runs :func:`ipsec_tui.watch.run_watch`; the screen keeps one frozen
:class:`WatchState` and renders it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.watch import MAX_SAMPLES, WatchEvent, WatchResult, WatchSample
from ipsec_tui.ui.messages import describe
from ipsec_tui.ui.screens.ladder import back_key, lines_key
from ipsec_tui.ui.session import Session
from ipsec_tui.ui.widgets.stripchart import StripChart
from ipsec_tui.ui.widgets.table import Table
from ipsec_tui.watch import (
    SAMPLE_DIR,
    Collect,
    Watch,
    WatchRun,
    collect_over,
    event_line,
    run_watch,
    sample_folders,
)

# (in the worker's thread) log in or load, then: how to take sample N, and how to let go
Opener = Callable[[threading.Event], tuple[Collect, Callable[[], None]]]

STOP_TIP = "Stop the watch after the running sample; keep what was collected"
LIVE_INTERVAL_S = 10.0
LIVE_SAMPLES = 360  # an hour every 10 s; `ipsec-tui watch` takes other bounds


@dataclass(frozen=True)
class WatchPlan:
    """What to watch and where the samples come from: the tunnel and its peers, how often
    and how many samples, how the worker opens the source, and a line that says where."""

    tunnel: str
    peers: tuple[str, ...]
    interval: float
    samples: int
    opener: Opener
    origin: str  # one line for the title: "live, samples in DIR", "recorded: DIR"


@dataclass(frozen=True)
class WatchState:
    """What the screen shows: the watch so far and whether it still runs."""

    result: WatchResult | None = None
    running: bool = True
    stopping: bool = False
    error: str | None = None
    lost: tuple[str, ...] = ()


@dataclass
class WatchSampled(Message, bubble=False):
    """One more sample went into the time line."""

    result: WatchResult


@dataclass
class WatchEnded(Message, bubble=False):
    """The watch ended (done, stopped, or failed with ``error``)."""

    run: WatchRun | None
    error: str | None = None


def live_plan(
    tunnel: Tunnel,
    passwords: dict[tuple[str, str], str],
    base: Path | None,
    *,
    interval: float = LIVE_INTERVAL_S,
    samples: int = LIVE_SAMPLES,
) -> WatchPlan:
    """Watch a live tunnel: one login per peer for every sample, samples in a new folder."""
    from ipsec_tui.collectors.capture_io import new_capture_dir

    folder = new_capture_dir(base, tunnel.name, "watch")

    def opener(stop: threading.Event) -> tuple[Collect, Callable[[], None]]:
        from ipsec_tui.collectors.run import open_sessions
        from ipsec_tui.errors import UserError

        sessions, errors = open_sessions(tunnel, passwords)
        if errors:
            for session in sessions.values():
                session.close()
            problems = "; ".join(f"{name}: {error}" for name, error in errors.items())
            raise UserError(f"the watch needs both peers: {problems}")

        def close() -> None:
            for session in sessions.values():
                session.close()

        return collect_over(tunnel, folder, sessions, passwords, stop), close

    names = tuple(peer.name for peer in tunnel.peers)
    return WatchPlan(tunnel.name, names, interval, samples, opener, f"live, samples in {folder}")


def replay_plan(
    tunnel: str,
    peers: Sequence[str],
    load: Callable[[], Sequence[tuple[Sequence[PeerCapture], str | None]]],
    origin: str,
    *,
    interval: float = 0.0,
) -> WatchPlan:
    """Replay recorded samples (``load`` reads them, in the worker) as a watch."""
    loaded: list[tuple[Sequence[PeerCapture], str | None]] = []

    def opener(stop: threading.Event) -> tuple[Collect, Callable[[], None]]:
        loaded[:] = load()

        def collect(index: int) -> tuple[Sequence[PeerCapture], str | None]:
            return loaded[index - 1] if index <= len(loaded) else ((), None)

        return collect, lambda: None

    # the number of samples is known once loaded: run_watch ends at the first empty one
    return WatchPlan(tunnel, tuple(peers), interval, MAX_SAMPLES, opener, origin)


def sibling_samples(folder: Path) -> list[Path]:
    """A watch's sample folders next to ``folder`` (OUT/sample-0003 -> OUT/sample-*), or the
    folder alone when it is not one of them."""
    found = sample_folders(folder.parent) if SAMPLE_DIR.match(folder.name) else []
    return found or [folder]


def cockpit_plan(session: Session, logins: dict[tuple[str, str], str]) -> WatchPlan:
    """What `w` watches from the cockpit: a live tunnel sampled anew; a capture folder that is
    a watch's sample with its sibling samples replayed; anything else (a demo scenario, a
    bundle, one capture) as the one sample it is."""
    source = session.source
    if source.live and source.tunnel is not None:
        return live_plan(source.tunnel, logins, source.path)
    names = session.peer_names()
    tunnel = session.info.tunnel or (source.tunnel.name if source.tunnel else "tunnel")
    if source.kind == "capture" and source.path is not None and source.path.is_dir():
        folder = source.path

        def load_folders() -> list[tuple[Sequence[PeerCapture], str | None]]:
            from ipsec_tui.collectors.capture_io import read_capture

            return [(read_capture(path), str(path)) for path in sibling_samples(folder)]

        return replay_plan(tunnel, names, load_folders, f"recorded: {folder}")
    captures = [capture for capture in session.captures if capture is not None]
    return replay_plan(
        tunnel,
        names,
        lambda: [(captures, None)],
        f"{source.label}: one snapshot; a live tunnel is sampled every {LIVE_INTERVAL_S:g} s",
    )


def _verdict_text(state: WatchState, plan: WatchPlan) -> Text:
    if state.error:
        return Text.assemble(("watch failed: ", "bold red"), state.error)
    if state.result is None:
        return Text("waiting for the first sample…", style="dim")
    text = Text()
    verdict = state.result.verdict
    style = "bold green" if verdict.cause == "healthy" else "bold red"
    if verdict.cause == "unknown":
        style = "bold yellow"
    text.append(f" {verdict.cause} ", style=f"reverse {style}")
    if verdict.side:
        text.append(f"  fix on {verdict.side}", style="bold")
    text.append(f"\n{verdict.summary}")
    for peer in state.lost:
        text.append(f"\n{peer}: session lost", style="bold red")
    return text


def _title(state: WatchState, plan: WatchPlan) -> str:
    result = state.result
    count = result.samples if result else 0
    elapsed = f"{result.elapsed_s:.0f} s" if result else "0 s"
    status = "stopping…" if state.stopping else "running (c stops)" if state.running else "stopped"
    every = f" every {plan.interval:g} s" if plan.interval else ""
    samples = f"{count} sample{'' if count == 1 else 's'}"
    return f"[b]Watch {plan.tunnel}[/b]  {samples}{every}, {elapsed}  {status}"


class WatchScreen(Screen[None]):
    """A tunnel over time: strip chart, event list and verdict, sample after sample."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "stop", "Stop", tooltip=STOP_TIP, id="watch.stop"),
        lines_key("watch", "open_event", "The log lines and readings behind the highlighted event"),
        back_key("watch"),
    ]

    state: reactive[WatchState] = reactive(WatchState(), always_update=True, init=False)

    def __init__(self, plan: WatchPlan) -> None:
        super().__init__()
        self.plan = plan
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(_title(self.state, self.plan), id="watch-title", markup=True)
        yield Static(_verdict_text(self.state, self.plan), id="watch-verdict")
        yield StripChart(id="watch-chart")
        yield Table(id="watch-events", cursor_type="row", zebra_stripes=False)
        yield Static(Text(self.plan.origin, style="dim"), id="watch-origin")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#watch-events", DataTable)
        for key, label in (("when", "when"), ("peer", "peer"), ("kind", "event")):
            table.add_column(label, key=key)
        table.add_column("what", key="what")
        table.focus()
        self._watch()

    # --- the worker -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="watch")
    def _watch(self) -> None:
        try:
            collect, close = self.plan.opener(self._stop)
        except Exception as exc:  # no login, unreadable samples: say it, no traceback
            self.post_message(WatchEnded(None, describe(exc)))
            return

        def sampled(sample: WatchSample, events: list[WatchEvent], watch: Watch) -> None:
            self.post_message(WatchSampled(watch.result()))

        try:
            run = run_watch(
                self.plan.tunnel,
                self.plan.peers,
                collect,
                interval=self.plan.interval,
                samples=self.plan.samples,
                stop=self._stop,
                on_sample=sampled,
            )
        except Exception as exc:
            self.post_message(WatchEnded(None, describe(exc)))
        else:
            self.post_message(WatchEnded(run))
        finally:
            close()

    @on(WatchSampled)
    def _sampled(self, message: WatchSampled) -> None:
        self.state = replace(self.state, result=message.result)

    @on(WatchEnded)
    def _ended(self, message: WatchEnded) -> None:
        run = message.run
        result = run.result if run is not None and run.result.samples else self.state.result
        lost = run.lost if run is not None else ()
        self.state = replace(
            self.state,
            result=result,
            running=False,
            stopping=False,
            error=message.error,
            lost=lost,
        )

    def watch_state(self, state: WatchState) -> None:
        self.query_one("#watch-title", Static).update(_title(state, self.plan))
        self.query_one("#watch-verdict", Static).update(_verdict_text(state, self.plan))
        result = state.result
        if result is None:
            return
        self.query_one("#watch-chart", StripChart).series = result.series
        table = self.query_one("#watch-events", DataTable)
        for index in range(table.row_count, len(result.events)):
            event = result.events[index]
            minutes, seconds = divmod(int(event.elapsed_s), 60)
            bad = event.kind in ("rekey-failed", "dpd", "ike-down", "child-down", "one-way")
            table.add_row(
                Text(f"+{minutes:02d}:{seconds:02d}", style="dim"),
                Text(event.peer, style="bold"),
                Text(event.kind, style="bold red" if bad else ""),
                f"{event.subject}: {event.detail}",
                key=str(index),
            )

    # --- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.state.running and not self.state.stopping
        return True

    def action_stop(self) -> None:
        if not self.state.running:
            return
        self._stop.set()
        self.state = replace(self.state, stopping=True)
        self.notify("stopping: the running sample ends first; what was collected is kept")

    @property
    def highlighted(self) -> WatchEvent | None:
        result = self.state.result
        table = self.query_one("#watch-events", DataTable)
        if result is None or not table.row_count or table.cursor_row < 0:
            return None
        return result.events[min(table.cursor_row, len(result.events) - 1)]

    @on(DataTable.RowSelected, "#watch-events")
    def _row_selected(self) -> None:
        self.action_open_event()

    def action_open_event(self) -> None:
        from ipsec_tui.ui.screens.explain import DetailScreen

        event = self.highlighted
        if event is None:
            return
        text = Text(event_line(event), style="bold")
        text.append("\n")
        for line in event.evidence or ("(no log line: seen in the SA listings)",):
            text.append(f"\n{line}")
        self.app.push_screen(DetailScreen(f"{event.kind} on {event.peer}", text))

    def action_back(self) -> None:
        self._stop.set()  # leaving stops the watch; the samples written stay
        self.dismiss(None)
