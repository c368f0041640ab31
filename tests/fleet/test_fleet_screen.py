"""The fleet screen's rows on a fleet triaged from the lab's recorded captures (sorted,
filtered, grouped by cause), and `t` on the start screen collecting an inventory as a fleet.
The screen driven by keys, and its snapshots, are in tests/ui/test_fleet_view.py."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.widgets import DataTable

from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.fleet import KEYS, FleetScreen, FleetView, visible_rows
from ipsec_tui.ui.session import StartRequest
from tests.fleet.recorded import HUB_SPOKES, recorded_fleet
from tests.ui.conftest import wait_for
from tests.vendors.emulated import free_port


def test_visible_rows_sort_filter_group() -> None:
    result = recorded_fleet()
    view = FleetView(result=result, sort="cause")
    assert [key for key, _ in visible_rows(view)] == [
        "branch-ams", *HUB_SPOKES, "branch-lis", "branch-osl", "branch-rix"]  # fmt: skip
    by_name = FleetView(result=result, sort="tunnel", reverse=True)
    assert [key for key, _ in visible_rows(by_name)][:2] == ["dc-east-04", "dc-east-03"]
    assert [key for key, _ in visible_rows(FleetView(result=result, filter="SELECTOR"))] == [
        "branch-lis"]  # fmt: skip
    assert [key for key, _ in visible_rows(FleetView(result=result, filter="hub-1"))] == list(
        HUB_SPOKES
    )
    grouped = visible_rows(FleetView(result=result, grouped=True, filter="branch"))
    assert [key for key, _ in grouped] == [
        "cause:peer-unreachable", "branch-ams", "cause:selector-mismatch", "branch-lis",
        "cause:healthy", "branch-osl", "branch-rix"]  # fmt: skip
    assert grouped[-3][1][:2] == ("▸ healthy", "2 tunnels")
    by_age = visible_rows(FleetView(result=result, sort="age"))
    assert {cells[KEYS.index("age")] for _, cells in by_age} == {"3m"}


async def test_start_screen_t_collects_the_inventory_as_a_fleet(tmp_path: Path) -> None:
    """`t` after an inventory is loaded: the devices are collected on Nornir in a worker
    (here none answers: every port is closed), and every tunnel still gets its row."""
    (tmp_path / "known_hosts").write_text("")
    peer = {"host": "127.0.0.1", "platform": "cisco_ios", "username": "ops",
            "known_hosts": "./known_hosts", "timeout": 3}  # fmt: skip
    hub = {**peer, "port": free_port()}
    tunnels = {
        f"spoke-{n}": {"peers": {"hub-1": hub, f"spoke-{n}": {**peer, "port": free_port()}}}
        for n in (1, 2)
    }
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"tunnels": tunnels}, sort_keys=False))
    app = CockpitApp(StartRequest(inventory=inventory, out_dir=tmp_path / "out"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FleetScreen))
        screen = app.screen
        assert isinstance(screen, FleetScreen)
        await wait_for(pilot, lambda: screen.view.result is not None, what="the fleet triaged")
        result = screen.view.result
        assert result is not None
        assert [row.tunnel for row in result.rows] == ["spoke-1", "spoke-2"]
        assert set(result.summary.device_errors) == {"hub-1", "spoke-1", "spoke-2"}
        assert not result.healthy
        assert screen.query_one("#fleet-table", DataTable).row_count == 2
