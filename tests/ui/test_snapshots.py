"""Snapshots of the cockpit's main screens (pytest-textual-snapshot, Textual pinned).

Regenerate with `pytest tests/ui/test_snapshots.py --snapshot-update` and review the SVGs
under tests/ui/__snapshots__/ by eye before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.log import LogScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.screens.notes import NotesScreen
from ipsec_tui.ui.screens.paste import PasteScreen
from ipsec_tui.ui.session import StartRequest, Transcript
from ipsec_tui.ui.widgets.findings import FindingsTable
from ipsec_tui.ui.widgets.log_lines import LogLines
from ipsec_tui.ui.widgets.steps import StepList

from .driving import DialogApp, on_top, password_dialog, wait_for

SnapCompare = Callable[..., bool]
STEPS = ["collection", "negotiation", "sas", "identity", "proposals", "selectors", "path", "rekey"]


async def _loaded(pilot: Pilot[Any]) -> MainScreen:
    """The main screen once its session is shown, the table's cursor on a finding."""
    screen = await on_top(pilot, MainScreen)
    await wait_for(pilot, lambda: screen.state.selection.finding is not None)
    return screen


def _step_shown(table: FindingsTable) -> str | None:
    return table.view.step.id if table.view is not None and table.view.step is not None else None


async def _on_finding(pilot: Pilot[Any], step: str, check_id: str) -> MainScreen:
    screen = await _loaded(pilot)
    screen.query_one(StepList).highlighted = STEPS.index(step)
    table = screen.query_one(FindingsTable)
    await wait_for(pilot, lambda: _step_shown(table) == step)
    table.focus()
    index = next(i for i, f in enumerate(table.findings) if f.check_id == check_id)
    table.move_to(index, None)
    finding = table.findings[index]
    await wait_for(pilot, lambda: screen.state.selection.finding is finding)
    return screen


def psk() -> CockpitApp:
    return CockpitApp(StartRequest(scenario="strongswan-psk"))


def test_main_screen(snap_compare: SnapCompare) -> None:
    assert snap_compare(psk(), terminal_size=(100, 32), run_before=_loaded)


def test_failing_step(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _on_finding(pilot, "identity", "identity.psk")

    assert snap_compare(psk(), terminal_size=(100, 32), run_before=run_before)


def test_evidence_pane(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _on_finding(pilot, "identity", "identity.psk")
        await pilot.press("enter", "z")
        await wait_for(pilot, lambda: screen.maximized is not None)

    assert snap_compare(psk(), terminal_size=(100, 32), run_before=run_before)


def test_main_screen_at_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(psk(), terminal_size=(80, 24), run_before=_loaded)


def test_log_view_filtered(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("l", "slash", *"auth")
        log = pilot.app.screen
        assert isinstance(log, LogScreen)
        table = log.query_one("#log-table", LogLines)
        await wait_for(pilot, lambda: log.query_text == "auth")
        await wait_for(pilot, lambda: 0 < table.row_count == len(log.shown))

    assert snap_compare(psk(), terminal_size=(100, 32), run_before=run_before)


def test_password_modal(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press(*"secret")
        field = pilot.app.screen.query_one("#password-input", Input)
        await wait_for(pilot, lambda: field.value == "secret")

    run: Callable[[Pilot[Any]], Awaitable[None]] = run_before
    assert snap_compare(DialogApp(password_dialog()), terminal_size=(80, 24), run_before=run)


NOTES = (
    "14:05 partner (ACME NOC, ticket 4711) confirms siteB's PSK was rotated yesterday.\n"
    "siteA unchanged since March.\n"
)
TRANSCRIPT = (
    "root@siteB:~# swanctl --list-sas\n"
    "root@siteB:~# ip -br addr\n"
    "lo               UNKNOWN        127.0.0.1/8 ::1/128\n"
    "eth0             UP             203.0.113.2/24\n"
    "eth1             UP             10.2.0.1/24\n"
    "root@siteB:~# "
)


def test_notes_dialog(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press(*"asked them to send theirs")
        editor = pilot.app.screen.query_one(TextArea)
        await wait_for(pilot, lambda: "asked them to send theirs" in editor.text)

    app = DialogApp(NotesScreen(NOTES, "from the bundle (made 2026-11-26T20:50:02Z by ipsec-tui)"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_paste_dialog(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen.focused, TextArea))

    platforms = ("cisco_iosxe", "libreswan", "strongswan")
    dialog = PasteScreen(
        platforms, side="B", transcript=Transcript(TRANSCRIPT, "strongswan", "siteB")
    )
    assert snap_compare(DialogApp(dialog), terminal_size=(80, 24), run_before=run_before)
