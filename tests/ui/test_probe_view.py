"""The cockpit's path test view: on a probed capture folder (a probe recorded on the lab,
tests/data/probes/) `P` judges the recorded probe again and shows the counters side by side,
the packets on each WAN and the verdict, usable at 80x24; reachable from the palette; and on
a capture without a probe it says how to get one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import DataTable, Static

from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.screens.probe import ProbeScreen
from ipsec_tui.ui.session import StartRequest

from .driving import from_palette, on_top, session_shown, wait_for

PROBES = Path(__file__).resolve().parents[1] / "data" / "probes"
SnapCompare = Callable[..., bool]


def _verdict(screen: ProbeScreen) -> str:
    return str(screen.query_one("#probe-verdict", Static).render())


async def test_a_probed_folder_shows_where_the_packets_vanish_at_80x24() -> None:
    app = CockpitApp(StartRequest(capture=PROBES / "esp-blocked"))
    async with app.run_test(size=(80, 24)) as pilot:
        await session_shown(pilot)
        await pilot.press("P")
        screen = await on_top(pilot, ProbeScreen)
        table = screen.query_one("#probe-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2, what="both directions")
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0].startswith("siteA → siteB") and first[1] == "0/3"
        assert first[2:4] == ["3", "0"]  # A encrypted 3, B decrypted none
        shown = _verdict(screen)
        assert "probe: esp-blocked" in shown and "(fix on siteB)" in shown
        assert "packets on the WAN" in shown
        assert screen.query_one("#probe-verdict-scroll").size.width <= 80
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_the_palette_reaches_the_probe_and_a_capture_without_one_says_so() -> None:
    app = CockpitApp(StartRequest(scenario="strongswan-psk"))
    async with app.run_test(size=(100, 32)) as pilot:
        await session_shown(pilot)
        await from_palette(pilot, "Probe")
        screen = await on_top(pilot, ProbeScreen)
        await wait_for(pilot, lambda: "No probe here" in _verdict(screen))
        assert "ipsec-tui probe" in _verdict(screen)


def test_probe_view_snapshot(snap_compare: SnapCompare) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await session_shown(pilot)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ProbeScreen))
        table = pilot.app.screen.query_one("#probe-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        # the table sizes its columns and itself on the next refreshes: wait until it shows
        # the header and both rows at their full width, then let the screen settle
        await wait_for(pilot, lambda: table.size.height >= 3 and table.virtual_size.width > 40)
        # then until its geometry and the verdict pane's stop changing (a busy machine spreads
        # the refreshes out; the pane's scrollbar follows the verdict's wrapped height)
        pane = pilot.app.screen.query_one("#probe-verdict-scroll")
        verdict = pilot.app.screen.query_one("#probe-verdict", Static)
        seen: list[object] = []

        def settled() -> bool:
            seen.append(
                (
                    table.size,
                    table.virtual_size,
                    table.region,
                    table.has_focus,
                    pane.region,
                    pane.virtual_size,
                    pane.scroll_offset,
                    verdict.size,
                    str(verdict.render())[:40],
                )
            )
            return len(seen) >= 4 and len(set(seen[-4:])) == 1 and "probe:" in str(seen[-1])

        await wait_for(pilot, settled, what="the probe table's size to settle")

    app = CockpitApp(StartRequest(capture=PROBES / "nat-exempt"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
