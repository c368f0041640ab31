"""Driving the cockpit like a person would, shared by its tests and scripts/screenshots.py:
wait for a state, reach a screen (through the palette, or a watch of recorded readings),
show a dialog on its own.
No pytest here, so the screenshot script can import it."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from textual.app import App
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import OptionList

import ipsec_tui.ui.app as app_module
from ipsec_tui.ui.live import Login
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.screens.password import PasswordScreen
from ipsec_tui.ui.screens.watch import WatchPlan, WatchScreen, replay_plan
from ipsec_tui.ui.session import StartRequest
from tests.watch.recorded import probe_readings

S = TypeVar("S", bound=Screen[Any])


def _source_of(condition: Callable[[], object]) -> str:
    """The condition as written in the test (a lambda's line), for the failure message."""
    try:
        return " ".join(inspect.getsource(condition).split())
    except (OSError, TypeError):
        return repr(condition)


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 30.0, what: str = ""
) -> None:
    """Let the app run until `condition()` holds (workers are threads: poll, never sleep blind);
    after `timeout` seconds, fail saying what was awaited (`what`, else the condition's code)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"still waiting after {timeout:g}s for {what or _source_of(condition)}"
            )
        await pilot.pause(0.05)
    await pilot.pause()
    await asyncio.sleep(0)


@asynccontextmanager
async def psk_cockpit(
    size: tuple[int, int] = (100, 32),
) -> AsyncIterator[tuple[app_module.CockpitApp, Pilot[None], MainScreen]]:
    """The cockpit on the demo's PSK mismatch, once its session is shown."""
    app = app_module.CockpitApp(StartRequest(scenario="strongswan-psk"))
    async with app.run_test(size=size) as pilot:
        yield app, pilot, await session_shown(pilot)


async def on_top(pilot: Pilot[Any], kind: type[S]) -> S:
    """The screen on top, once it is a `kind`."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind), what=f"a {kind.__name__}")
    screen = pilot.app.screen
    assert isinstance(screen, kind)
    return screen


async def session_shown(pilot: Pilot[Any]) -> MainScreen:
    """The main screen, once it shows a session."""
    screen = await on_top(pilot, MainScreen)
    await wait_for(pilot, lambda: screen.session is not None)
    return screen


async def detail_opened(pilot: Pilot[Any], key: str) -> str:
    """Press `key`: the text of the detail view (explain, diagnosis, a log line) it opens."""
    from ipsec_tui.ui.screens.explain import DetailScreen

    await pilot.press(key)
    detail = await on_top(pilot, DetailScreen)
    return str(detail.query_one("#detail-text").render())


def palette_offers(app: App[Any], text: str) -> bool:
    """Whether the open command palette lists a command holding `text`."""
    lists = app.screen.query("#--results OptionList").results(OptionList)
    return any(text in str(option.prompt) for found in lists for option in found.options)


async def from_palette(pilot: Pilot[Any], typed: str, offered: str = "") -> None:
    """ctrl+p, `typed`, and Enter once the palette offers `offered` (default: `typed`)."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*typed)
    await wait_for(pilot, lambda: palette_offers(app, offered or typed))
    await pilot.press("enter")


def probe_plan(scenario: str, interval: float = 0.0) -> WatchPlan:
    """A watch replaying the lab's recorded probe readings of `scenario`."""
    readings = probe_readings(scenario)
    return replay_plan(
        "lab",
        ("siteA", "siteB"),
        lambda: [(captures, None) for captures in readings],
        f"recorded on the lab: the {scenario} probe's counter readings",
        interval=interval,
    )


async def watching(pilot: Pilot[Any], plan: WatchPlan) -> WatchScreen:
    """The watch of `plan` over the cockpit, once its samples are all in."""
    await session_shown(pilot)
    screen = WatchScreen(plan)
    await pilot.app.push_screen(screen)
    await wait_for(pilot, lambda: not screen.state.running)
    return screen


async def watch_pressed(pilot: Pilot[Any]) -> WatchScreen:
    """`w` on the cockpit: the watch screen, once its samples are all in."""
    await pilot.press("w")
    screen = await on_top(pilot, WatchScreen)
    await wait_for(pilot, lambda: not screen.state.running)
    return screen


class DialogApp(App[None]):
    """One of the cockpit's dialogs over an empty screen (no capture path in the picture)."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
    TITLE = "ipsec-tui"

    def __init__(self, dialog: Screen[Any]) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        self.push_screen(self.dialog)


def password_dialog() -> PasswordScreen:
    """The password dialog as a headless server shows it: no keyring to save into."""
    return PasswordScreen(
        Login("ops", "198.51.100.11"),
        keyring_problem="no keyring backend is available on this machine (common on "
        "headless servers: no Secret Service or KWallet)",
    )


class PaintLog:
    """What an app sent to its terminal: one entry per frame (when, whole screen or changed
    spans only, how many screen lines it touched, and optionally how many bytes it wrote).
    Headless apps render frames but write nothing, so the frames are counted here, where the
    terminal would receive them: the cost of a repaint over a slow SSH link."""

    def __init__(self, app: App[Any], *, count_bytes: bool = False) -> None:
        self.app = app
        self.count_bytes = count_bytes
        self.frames: list[tuple[float, bool, int, int]] = []  # time, full, lines, bytes
        self.cpu: list[float] = []  # per `press`: CPU seconds of the app's thread
        display = app._display

        def recording(screen: Screen[Any], renderable: object) -> None:
            self._record(renderable)
            display(screen, renderable)  # type: ignore[arg-type]

        setattr(app, "_display", recording)  # noqa: B010 (an instance attribute over the method)

    def _record(self, renderable: object) -> None:
        from textual._compositor import ChopsUpdate, LayoutUpdate

        if isinstance(renderable, LayoutUpdate):
            full, lines = True, renderable.region.height
        elif isinstance(renderable, ChopsUpdate):
            full, lines = False, len({y for y, _, _ in renderable.spans})
        else:
            return
        written = len(renderable.render_segments(self.app.console)) if self.count_bytes else 0
        self.frames.append((time.perf_counter(), full, lines, written))

    def since(self, start: float) -> list[tuple[float, bool, int, int]]:
        return [frame for frame in self.frames if frame[0] >= start]

    async def press(self, pilot: Pilot[Any], key: str) -> float:
        """Press `key` and wait until the app is idle again; the seconds from the press to the
        last frame it caused (0.0 when nothing on screen changed). Pilot's own idle wait is
        not counted: this is the wait a person sees."""
        pressed, cpu = time.perf_counter(), time.thread_time()
        await pilot.press(key)
        # the screen's thread's own work for the key (Pilot's idle polling included): what a
        # busy machine changes least
        self.cpu.append(time.thread_time() - cpu)
        painted = self.since(pressed)
        return painted[-1][0] - pressed if painted else 0.0
