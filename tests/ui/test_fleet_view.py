"""The cockpit's fleet screen on a fleet triaged from the lab's recorded captures
(tests/fleet/recorded.py: a hub with four spokes failing on its PSK, two broken pairs, two
healthy ones): what it shows at 80x24 and 120x40, and sort, filter, group and Enter driven
by keys as a person would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.fleet import FleetScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.session import StartRequest
from tests.fleet.recorded import HUB_SPOKES, recorded_fleet

from .driving import on_top, wait_for

SnapCompare = Callable[..., bool]
BROKEN = ["branch-ams", *HUB_SPOKES, "branch-lis"]  # by cause: peer-unreachable, psk, selector


async def fleet_shown(pilot: Pilot[Any], out_dir: Path | None = None) -> FleetScreen:
    """The fleet screen on the recorded fleet, pushed over the start screen."""
    await pilot.pause()
    pilot.app.push_screen(FleetScreen(result=recorded_fleet(), out_dir=out_dir))
    screen = await on_top(pilot, FleetScreen)
    table = screen.query_one("#fleet-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == 8, what="the eight tunnels")
    return screen


def shown_keys(screen: FleetScreen) -> list[str]:
    """The table's rows, top to bottom, by key (a tunnel, or ``cause:...`` for a heading)."""
    table = screen.query_one("#fleet-table", DataTable)
    return [str(table.coordinate_to_cell_key((row, 0)).row_key.value)
            for row in range(table.row_count)]  # fmt: skip


def test_fleet_screen_at_80x24(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await fleet_shown(pilot)

    assert snap_compare(CockpitApp(StartRequest()), terminal_size=(80, 24), run_before=run_before)


def test_fleet_screen_grouped_at_120x40(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await fleet_shown(pilot)
        await pilot.press("g")
        await wait_for(pilot, lambda: shown_keys(screen)[0] == "cause:psk-mismatch")

    assert snap_compare(CockpitApp(StartRequest()), terminal_size=(120, 40), run_before=run_before)


async def test_s_cycles_the_sort_column_and_shift_s_reverses_it() -> None:
    async with CockpitApp(StartRequest()).run_test(size=(120, 40)) as pilot:
        screen = await fleet_shown(pilot)
        # by cause first: broken causes alphabetically, healthy last
        assert shown_keys(screen) == [*BROKEN, "branch-osl", "branch-rix"]
        await pilot.press("s")  # the next column: the side to fix
        assert screen.view.sort == "side"
        assert shown_keys(screen)[:2] == ["branch-osl", "branch-rix"]  # "-" sorts first
        assert shown_keys(screen)[2:4] == ["branch-ams", "branch-lis"]
        await pilot.press("S")
        assert shown_keys(screen)[:4] == [*reversed(HUB_SPOKES)]  # hub-1 last, now first
        summary = str(screen.query_one("#fleet-summary", Static).render())
        assert "sorted by Fix on (reversed)" in summary
        await pilot.press("s", "s", "s", "s")  # failing step, age, peers, tunnel
        assert screen.view.sort == "tunnel"
        assert shown_keys(screen) == sorted(shown_keys(screen), reverse=True)


async def test_slash_filters_on_any_column_and_escape_goes_back_to_the_table() -> None:
    async with CockpitApp(StartRequest()).run_test(size=(80, 24)) as pilot:
        screen = await fleet_shown(pilot)
        await pilot.press("slash", *"hub-1")
        assert screen.query_one("#fleet-filter", Input).has_focus
        await wait_for(pilot, lambda: shown_keys(screen) == list(HUB_SPOKES))
        await pilot.press("escape")
        assert screen.query_one("#fleet-table", DataTable).has_focus
        assert isinstance(pilot.app.screen, FleetScreen)  # escape left the filter, not the fleet
        await pilot.press("slash", *(["backspace"] * 5), *"SELECTOR", "enter")
        await wait_for(pilot, lambda: shown_keys(screen) == ["branch-lis"])
        summary = str(screen.query_one("#fleet-summary", Static).render())
        assert "filter 'SELECTOR'" in summary


async def test_g_groups_by_cause_with_the_common_root_and_enter_on_a_heading_stays() -> None:
    async with CockpitApp(StartRequest()).run_test(size=(120, 40)) as pilot:
        screen = await fleet_shown(pilot)
        await pilot.press("g")
        assert shown_keys(screen) == [
            "cause:psk-mismatch", *HUB_SPOKES, "cause:peer-unreachable", "branch-ams",
            "cause:selector-mismatch", "branch-lis", "cause:healthy", "branch-osl", "branch-rix",
        ]  # fmt: skip
        table = screen.query_one("#fleet-table", DataTable)
        heading = [str(cell) for cell in table.get_row_at(0)]
        assert heading[:4] == ["▸ psk-mismatch", "4 tunnels", "", "likely root: hub-1"]
        assert [str(cell) for cell in table.get_row_at(5)][:2] == ["▸ peer-unreachable", "1 tunnel"]
        table.move_cursor(row=0)
        await pilot.press("enter")  # a heading is no tunnel: nothing opens
        await pilot.pause()
        assert pilot.app.screen is screen and screen.selected_tunnel() is None
        await pilot.press("g")
        assert not screen.view.grouped and table.row_count == 8


async def test_enter_opens_the_tunnel_in_the_cockpit_on_what_was_collected(
    tmp_path: Path,
) -> None:
    async with CockpitApp(StartRequest(out_dir=tmp_path)).run_test(size=(120, 40)) as pilot:
        screen = await fleet_shown(pilot, out_dir=tmp_path)
        result = screen.view.result
        assert result is not None
        await pilot.press("slash", *"ams", "enter")
        await wait_for(pilot, lambda: shown_keys(screen) == ["branch-ams"])
        await pilot.press("enter")
        main = await on_top(pilot, MainScreen)
        await wait_for(pilot, lambda: main.session is not None, what="the tunnel analysed")
        assert main.session is not None
        assert main.session.analysis.diagnosis == result.row("branch-ams").analysis.diagnosis
        written = tmp_path / "branch-ams"
        assert sorted(p.name for p in written.iterdir() if p.is_dir()) == [
            "branch-ams-a", "branch-ams-b"]  # fmt: skip
        await pilot.press("o")  # back to the fleet, as it was left, to pick another
        back = await on_top(pilot, FleetScreen)
        assert back is screen and screen.view.filter == "ams"
