"""Driving the cockpit like a person would, shared by its tests and scripts/screenshots.py:
wait for a state, reach a screen (through the palette, or a watch of recorded readings),
show a dialog on its own.
No pytest here, so the screenshot script can import it."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
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
