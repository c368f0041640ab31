"""The cockpit's watch: reached by key and from the command palette, usable at 80x24, its
strip chart and event list filled sample after sample from real recorded readings (the
lab's probe readings, tests/watch/recorded.py), and `c` stops it keeping what it has."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.watch import (
    LIVE_INTERVAL_S,
    WatchScreen,
    live_plan,
)
from ipsec_tui.ui.session import StartRequest, capture_source
from ipsec_tui.ui.widgets.stripchart import StripChart, chart_lines
from tests.vendors.emulated import emulate, free_port
from tests.watch.recorded import DATA

from .driving import (
    from_palette,
    probe_plan,
    session_shown,
    wait_for,
    watch_pressed,
    watching,
)

SnapCompare = Callable[..., bool]


def _text(screen: WatchScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_w_watches_what_the_cockpit_shows_and_names_pfs_at_80x24() -> None:
    # the demo's pfs scenario is one snapshot: its log holds the first child SA established
    # and then the rekey refused with NO_PROPOSAL_CHOSEN
    app = CockpitApp(StartRequest(scenario="strongswan-pfs"))
    async with app.run_test(size=(80, 24)) as pilot:
        main = await session_shown(pilot)
        screen = await watch_pressed(pilot)
        result = screen.state.result
        assert result is not None and result.samples == 1
        assert (result.verdict.cause, result.verdict.side) == ("pfs-mismatch", "siteB")
        verdict = _text(screen, "#watch-verdict")
        assert "pfs-mismatch" in verdict and "fix on siteB" in verdict
        table = screen.query_one("#watch-events", DataTable)
        assert table.row_count == len(result.events)
        kinds = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert "rekey-failed" in kinds
        # Enter on the failed rekey: the log lines behind it
        table.move_cursor(row=kinds.index("rekey-failed"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)


async def test_the_palette_offers_the_watch() -> None:
    app = CockpitApp(StartRequest(scenario="strongswan-baseline"))
    async with app.run_test(size=(80, 24)) as pilot:
        await session_shown(pilot)
        await from_palette(pilot, "watch", "Watch")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))


async def test_samples_fill_the_chart_and_the_time_line() -> None:
    app = CockpitApp(StartRequest(scenario="strongswan-no-return-route"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await watching(pilot, probe_plan("no-return-route"))
        result = screen.state.result
        assert result is not None and result.samples == 4
        assert (result.verdict.cause, result.verdict.side) == ("no-return-path", "siteB")
        chart = screen.query_one(StripChart)
        assert chart.series == result.series
        rows = [str(line) for line in chart_lines(chart.series, chart.size.width)]
        # siteB after A's ping: decrypted 252 bytes, encrypted none back
        b_in = next(row for row in rows if row.startswith("siteB lab/lan in"))
        b_out = next(row for row in rows if row.startswith("siteB lab/lan out"))
        assert "▁▁" in b_out and any(bar in b_in for bar in "▂▃▄▅▆▇█")
        assert all(len(row) <= chart.size.width for row in rows)
        table = screen.query_one("#watch-events", DataTable)
        details = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert "lab/lan: decrypted 252 B, encrypted nothing back" in details
        assert "stopped" in _text(screen, "#watch-title")


async def test_c_stops_the_watch_and_keeps_what_was_collected() -> None:
    app = CockpitApp(StartRequest(scenario="strongswan-baseline"))
    async with app.run_test(size=(80, 24)) as pilot:
        await session_shown(pilot)
        screen = WatchScreen(probe_plan("baseline", interval=30.0))
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.state.result is not None)
        assert screen.state.running
        await pilot.press("c")
        await wait_for(pilot, lambda: not screen.state.running, timeout=10)
        result = screen.state.result
        assert result is not None and result.samples == 1  # the next was 30 s away
        assert result.verdict.cause == "unknown"
        assert "stopped" in _text(screen, "#watch-title")


def test_watch_screen(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await watching(pilot, probe_plan("no-return-route"))

    app = CockpitApp(StartRequest(scenario="strongswan-no-return-route"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_the_live_plan_samples_over_one_login_per_peer(tmp_path: Path) -> None:
    # two emulated IOS routers (FakeNOS over real SSH): two samples, one login each
    with (
        emulate("cisco_ios", tmp_path / "a", password="pw-watch") as device_a,
        emulate("cisco_ios", tmp_path / "b", password="pw-watch") as device_b,
    ):
        tunnel = Tunnel("emulated", (device_a.peer("siteA"), device_b.peer("siteB")))
        plan = live_plan(tunnel, {**device_a.passwords, **device_b.passwords}, tmp_path)
        assert plan.interval == LIVE_INTERVAL_S and plan.origin.startswith("live, samples in")
        collect, close = plan.opener(threading.Event())
        try:
            taken = [collect(index) for index in (1, 2)]
        finally:
            close()
        assert len(device_a.sessions) == 1 and len(device_b.sessions) == 1
    for index, (captures, folder) in enumerate(taken, 1):
        assert Path(folder).name == f"sample-{index:04d}"
        assert [c.name for c in captures] == ["siteA", "siteB"]
        assert [c.name for c in read_capture(folder)] == ["siteA", "siteB"]


async def test_a_peer_that_cannot_be_reached_fails_the_watch_with_its_reason(
    tmp_path: Path,
) -> None:
    with emulate("cisco_ios", tmp_path / "a", password="pw-watch") as device_a:
        # siteB: a port on 127.0.0.1 where nothing listens
        peers = (device_a.peer("siteA"), device_a.peer("siteB", port=free_port()))
        plan = live_plan(Tunnel("emulated", peers), device_a.passwords, tmp_path)
        app = CockpitApp(StartRequest(scenario="strongswan-baseline"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await watching(pilot, plan)
            assert screen.state.error is not None and "siteB" in screen.state.error
            shown = _text(screen, "#watch-verdict")
            assert shown.startswith("watch failed: the watch needs both peers")
        assert len(device_a.sessions) == 1  # siteA's login was closed again


async def test_w_on_a_watch_sample_replays_the_whole_watch(tmp_path: Path) -> None:
    # a watch's folder as `ipsec-tui watch --out` writes it, made of two lab captures taken
    # 14 s apart: the baseline, then the pfs fault after its forced rekey
    watch = tmp_path / "watch"
    for index, scenario in enumerate(("baseline", "pfs"), 1):
        shutil.copytree(DATA / "captures" / "strongswan" / scenario, watch / f"sample-{index:04d}")
    app = CockpitApp(capture_source(watch / "sample-0001"))
    async with app.run_test(size=(80, 24)) as pilot:
        await session_shown(pilot)
        screen = await watch_pressed(pilot)
        result = screen.state.result
        assert result is not None and result.samples == 2
        assert [Path(folder).name for folder in result.folders] == ["sample-0001", "sample-0002"]
        assert (result.verdict.cause, result.verdict.side) == ("pfs-mismatch", "siteB")
        assert "14 s" in _text(screen, "#watch-title")
