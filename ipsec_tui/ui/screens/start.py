"""Where to start: a demo scenario, a tunnel of an inventory, a capture folder or evidence
bundle, or a quick connection to two hosts. One list, keyboard first; the highlighted entry is
described below."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ipsec_tui.collectors.inventory import Inventory, Tunnel, load_inventory
from ipsec_tui.demo import DemoScenario
from ipsec_tui.platforms import available_platforms, load_platform
from ipsec_tui.ui.messages import Failed
from ipsec_tui.ui.palette import PaletteCommand
from ipsec_tui.ui.session import Source, capture_source, live_source, scenario_source
from ipsec_tui.ui.widgets.footer import CockpitFooter


@dataclass
class InventoryLoaded(Message, bubble=False):
    """An inventory file was read and validated."""

    inventory: Inventory


class InventoryFailed(Failed, bubble=False):
    """An inventory file could not be used."""


class StartScreen(Screen[None]):
    """Pick what to look at; the app opens the cockpit on it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "f",
            "open_folder",
            "Folder",
            tooltip="Open a capture folder or an evidence bundle (.zip) from disk",
            id="start.folder",
        ),
        Binding(
            "i",
            "load_inventory",
            "Inventory",
            tooltip="Load an inventory file",
            id="start.inventory",
        ),
        Binding(
            "k",
            "quick_connect",
            "Quick connect",
            tooltip="Collect two hosts without an inventory",
            id="start.quick",
        ),
        Binding(
            "t",
            "fleet",
            "Fleet",
            tooltip="Triage every tunnel of the loaded inventory at once (each device once)",
            id="start.fleet",
        ),
    ]

    def __init__(
        self,
        scenarios: list[DemoScenario],
        inventory: Inventory | None = None,
        *,
        out_dir: Path | None = None,
        error: str = "",
    ) -> None:
        super().__init__()
        self.scenarios = scenarios
        self.inventory = inventory
        self.out_dir = out_dir
        self._error = error

    def compose(self) -> ComposeResult:
        yield Static(
            "[b]ipsec-tui[/b]  troubleshoot an IPsec tunnel from both peers at once",
            id="title-bar",
        )
        yield OptionList(*self._options(), id="sources")
        yield Static("", id="source-about")
        yield CockpitFooter()

    def on_mount(self) -> None:
        sources = self.query_one("#sources", OptionList)
        sources.border_title = "Open"
        sources.focus()
        first = next((i for i, option in enumerate(sources.options) if not option.disabled), None)
        sources.highlighted = first
        if self._error:
            self.notify(self._error, severity="error", timeout=10)

    def _options(self) -> Iterator[Option]:
        if self.inventory is not None:
            yield Option(Text(f"Inventory {self.inventory.path}", style="bold"), disabled=True)
            for tunnel in self.inventory.tunnels.values():
                a, b = tunnel.peers
                yield Option(
                    Text.assemble(
                        "  ⇄ ",
                        (tunnel.name, "bold"),
                        f"  {a.name} ({a.host}) ⇄ {b.name} ({b.host})",
                    ),
                    id=f"tunnel:{tunnel.name}",
                )
        if self.scenarios:
            yield Option(
                Text("Demo scenarios: captures recorded from the lab", style="bold"),
                disabled=True,
            )
            for scenario in self.scenarios:
                mark = "✔" if scenario.expected_cause == "healthy" else "✘"
                yield Option(
                    Text.assemble(f"  {mark} ", (scenario.name, "bold"), f"  {scenario.summary}"),
                    id=f"demo:{scenario.name}",
                )
        yield Option(Text("More", style="bold"), disabled=True)
        yield Option("  Open a capture folder or bundle…  (f)", id="action:folder")
        yield Option("  Load an inventory file…  (i)", id="action:inventory")
        yield Option("  Quick connect to two hosts…  (k)", id="action:quick")

    def _refresh_options(self) -> None:
        sources = self.query_one("#sources", OptionList)
        sources.set_options(self._options())
        sources.highlighted = next(
            (i for i, option in enumerate(sources.options) if not option.disabled), None
        )

    @on(OptionList.OptionHighlighted, "#sources")
    def _describe(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one("#source-about", Static).update(self._about(event.option.id or ""))

    def _about(self, option_id: str) -> Text:
        kind, _, name = option_id.partition(":")
        text = Text()
        if kind == "demo":
            scenario = next(s for s in self.scenarios if s.name == name)
            text.append(f"{scenario.name}: ", style="bold")
            text.append(scenario.summary)
            text.append(f"\nexpected diagnosis: {scenario.expected_cause}", style="dim")
            text.append("\nrecorded from the real lab; no root, network or inventory needed")
        elif kind == "tunnel" and self.inventory is not None:
            tunnel = self.inventory.tunnels[name]
            text.append(f"{tunnel.name}: ", style="bold")
            text.append(tunnel.description or "collect both peers over SSH, read-only")
            for peer in tunnel.peers:
                text.append(
                    f"\n  {peer.name}: {peer.username}@{peer.host}:{peer.port} "
                    f"({peer.platform}, auth {peer.auth})",
                    style="dim",
                )
        elif option_id == "action:folder":
            text.append("A capture folder written by `ipsec-tui collect` (or by hand), or an ")
            text.append("evidence bundle (.zip, verified first): its notes come with it.")
        elif option_id == "action:inventory":
            text.append("An inventory YAML: tunnels and how to reach their two peers.")
        elif option_id == "action:quick":
            text.append("Two hosts, their platforms and one login: collected like a tunnel.")
        return text

    @on(OptionList.OptionSelected, "#sources")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        kind, _, name = option_id.partition(":")
        if kind == "demo":
            scenario = next(s for s in self.scenarios if s.name == name)
            self._open(scenario_source(scenario))
        elif kind == "tunnel" and self.inventory is not None:
            self._collect(self.inventory.tunnels[name], self.inventory.path)
        elif option_id == "action:folder":
            self.action_open_folder()
        elif option_id == "action:inventory":
            self.action_load_inventory()
        elif option_id == "action:quick":
            self.action_quick_connect()

    def _open(self, source: Source) -> None:
        from ipsec_tui.ui.app import CockpitApp

        if isinstance(self.app, CockpitApp):
            self.app.open_source(source)

    def _collect(self, tunnel: Tunnel, inventory: Path | None) -> None:
        self._open(live_source(tunnel, self.out_dir, inventory))

    # --- dialogs -------------------------------------------------------------------------

    def action_open_folder(self) -> None:
        from ipsec_tui.ui.screens.dialogs import PathScreen

        def opened(path: Path | None) -> None:
            if path is not None:
                self._open(capture_source(path))

        self.app.push_screen(
            PathScreen(
                "Open a capture",
                "Capture folder, one peer's folder, or an evidence bundle (.zip):",
                "capture",
            ),
            opened,
        )

    def action_load_inventory(self) -> None:
        from ipsec_tui.ui.screens.dialogs import PathScreen

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._read_inventory(path)

        self.app.push_screen(PathScreen("Load an inventory", "Inventory file:", "file"), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inventory")
    def _read_inventory(self, path: Path) -> None:
        try:
            inventory = load_inventory(path)
        except Exception as exc:  # UserError names the file and field; anything else too
            self.post_message(InventoryFailed(str(exc)))
        else:
            self.post_message(InventoryLoaded(inventory))

    def on_inventory_loaded(self, message: InventoryLoaded) -> None:
        self.inventory = message.inventory
        self._refresh_options()
        self.notify(f"{len(message.inventory.tunnels)} tunnel(s) in {message.inventory.path}")

    def on_inventory_failed(self, message: InventoryFailed) -> None:
        self.notify(message.error, title="inventory not loaded", severity="error", timeout=10)

    def action_quick_connect(self) -> None:
        from ipsec_tui.ui.screens.dialogs import QuickConnectScreen

        def connected(tunnel: Tunnel | None) -> None:
            if tunnel is not None:
                self._collect(tunnel, None)

        # only what one logs in to: a cloud gateway's files are pasted (t) or imported
        loggable = tuple(
            name for name in available_platforms() if load_platform(name).transport == "ssh"
        )
        self.app.push_screen(QuickConnectScreen(loggable), connected)

    def action_fleet(self) -> None:
        from ipsec_tui.fleet import plan_fleet
        from ipsec_tui.ui.screens.fleet import FleetScreen

        if self.inventory is None:
            self.notify("Load an inventory first (i)", severity="warning")
            return
        plan = plan_fleet(self.inventory.tunnels.values())
        self.app.push_screen(FleetScreen(plan, out_dir=self.out_dir))

    def palette_commands(self) -> Iterator[PaletteCommand]:
        for scenario in self.scenarios:

            def open_it(scenario: DemoScenario = scenario) -> None:
                self._open(scenario_source(scenario))

            yield PaletteCommand(f"Open demo: {scenario.name}", scenario.summary, open_it)
