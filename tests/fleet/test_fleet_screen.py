"""The cockpit's fleet screen on a triaged fleet (the lab's recorded captures): sort, filter,
group by cause, and Enter opens one tunnel in the cockpit on the outputs already collected."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.widgets import DataTable

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import parse_inventory
from ipsec_tui.fleet import FleetResult, plan_fleet, triage
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.fleet import FleetScreen, FleetView, visible_rows
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.session import StartRequest
from tests.ui.conftest import wait_for
from tests.vendors.emulated import free_port

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures" / "strongswan"
SCENARIOS = {"east-1": "baseline", "east-2": "psk", "west-1": "udp-blocked", "west-2": "psk",
             "north": "baseline"}  # fmt: skip


def fleet_result() -> FleetResult:
    tunnels = {
        name: {"peers": {"siteA": {"host": f"198.51.100.{n + 1}"},
                         "siteB": {"host": f"203.0.113.{n + 1}"}}}
        for n, name in enumerate(SCENARIOS)
    }  # fmt: skip
    data = {"defaults": {"username": "root", "platform": "strongswan"}, "tunnels": tunnels}
    plan = plan_fleet(parse_inventory(data, Path("inv.yml")).tunnels.values())
    captures = {}
    for name, scenario in SCENARIOS.items():
        a, b = read_capture(CAPTURES / scenario)
        captures.update(zip(plan.devices_of(name), (a, b), strict=True))
    return triage(plan, captures)


def test_visible_rows_sort_filter_group() -> None:
    result = fleet_result()
    view = FleetView(result=result, sort="cause")
    assert [key for key, _ in visible_rows(view)] == ["west-1", "east-2", "west-2", "east-1",
                                                     "north"]  # fmt: skip
    by_name = FleetView(result=result, sort="tunnel", reverse=True)
    assert [key for key, _ in visible_rows(by_name)][:2] == ["west-2", "west-1"]
    assert [key for key, _ in visible_rows(FleetView(result=result, filter="PSK"))] == [
        "east-2", "west-2"]  # fmt: skip
    grouped = visible_rows(FleetView(result=result, grouped=True))
    assert [key for key, _ in grouped] == [
        "cause:psk-mismatch", "east-2", "west-2", "cause:peer-unreachable", "west-1",
        "cause:healthy", "east-1", "north"]  # fmt: skip
    assert grouped[0][1][:2] == ("▸ psk-mismatch", "2 tunnels")


async def test_fleet_screen_opens_a_tunnel_in_the_cockpit(tmp_path: Path) -> None:
    result = fleet_result()
    app = CockpitApp(StartRequest(out_dir=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = FleetScreen(result=result, out_dir=tmp_path)
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen and screen.view.result is not None)
        table = screen.query_one("#fleet-table", DataTable)
        assert table.row_count == 5
        await pilot.press("g")
        assert table.row_count == 8 and screen.view.grouped
        await pilot.press("g", "s")
        assert screen.view.sort == "side"
        await pilot.press("slash", *"west", "enter")
        assert list(screen.tunnels()) == ["west-1", "west-2"]
        await pilot.press("down", "enter")  # west-2: the psk scenario
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.session is not None, what="the tunnel analysed")
        assert main.session is not None
        assert main.session.analysis.diagnosis == result.row("west-2").analysis.diagnosis
        assert (tmp_path / "west-2" / "capture.yml").is_file()


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
