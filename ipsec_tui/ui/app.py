"""The cockpit application: one stylesheet, the app-wide keys, the command palette, and which
screen to show first. Screens do the work; see screens/ and widgets/."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from ipsec_tui.collectors.inventory import Inventory, load_inventory
from ipsec_tui.demo import DemoScenario, demo_scenarios
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec
from ipsec_tui.ui.palette import CockpitCommands
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.screens.start import StartScreen
from ipsec_tui.ui.session import (
    Source,
    StartRequest,
    capture_source,
    demo_source,
    live_source,
    warm_up,
)


class CockpitApp(App[None]):
    """ipsec-tui's terminal UI. `start` says what to open first (default: the start screen)."""

    CSS_PATH = "app.tcss"
    TITLE = "ipsec-tui"
    COMMANDS: ClassVar = App.COMMANDS | {CockpitCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "question_mark,f1",
            "help",
            "Help",
            tooltip="Keys of this screen and what the marks mean",
            id="app.help",
        ),
        Binding("q", "quit", "Quit", tooltip="Leave the cockpit", id="app.quit"),
    ]

    def __init__(
        self,
        start: StartRequest | Source | None = None,
        *,
        specs: Mapping[str, PlatformSpec] | None = None,
    ) -> None:
        super().__init__()
        self.start = start if start is not None else StartRequest()
        warm_up(self.start)
        self.specs = specs  # platforms that are not shipped (tests), by peer name
        self.inventory: Inventory | None = None

    def on_mount(self) -> None:
        self.push_screen(self._first_screen())

    def _first_screen(self) -> Screen[None]:
        start = self.start
        if isinstance(start, Source):
            return MainScreen(start, specs=self.specs)
        try:
            if start.inventory is not None:
                self.inventory = load_inventory(start.inventory)
            if start.scenario is not None:
                return MainScreen(demo_source(start.scenario), specs=self.specs)
            if start.capture is not None:
                return MainScreen(capture_source(start.capture), specs=self.specs)
            if self.inventory is not None and start.tunnel is not None:
                tunnel = self.inventory.tunnel(start.tunnel)
                source = live_source(tunnel, start.out_dir, self.inventory.path)
                return MainScreen(source, specs=self.specs)
        except UserError as exc:
            return self._start_screen(error=str(exc))
        return self._start_screen()

    def _start_screen(self, error: str = "") -> StartScreen:
        return StartScreen(
            self._scenarios(), self.inventory, out_dir=self.start_out_dir, error=error
        )

    @property
    def start_out_dir(self) -> Path | None:
        return self.start.out_dir if isinstance(self.start, StartRequest) else None

    @staticmethod
    def _scenarios() -> list[DemoScenario]:
        try:
            return demo_scenarios()
        except (OSError, ValueError):  # a broken install: the other sources still work
            return []

    # --- moving between screens ------------------------------------------------------------

    def open_source(self, source: Source) -> None:
        """Show the cockpit on `source`, over the start screen (o returns to it)."""
        warm_up(source)
        self.push_screen(MainScreen(source, specs=self.specs))

    def open_start(self) -> None:
        """Back to the start screen, or to the fleet the tunnel was opened from: the one
        underneath, or a new start screen."""
        from ipsec_tui.ui.screens.fleet import FleetScreen

        below = self.screen_stack[-2] if len(self.screen_stack) > 2 else None
        if isinstance(below, StartScreen | FleetScreen):
            self.pop_screen()
        else:
            self.switch_screen(self._start_screen())

    def action_help(self) -> None:
        from ipsec_tui.ui.screens.help import show_help

        show_help(self)
