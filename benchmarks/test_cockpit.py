"""The cockpit on a capture whose peers each carry 2,000 child SAs: time to the first full
screen, and how long key presses take to be answered while it loads and renders.

Numbers go to benchmark.extra_info and are printed; nothing here asserts a time (the machine
decides those). Keys are pressed through Textual's Pilot, which returns once the app has
handled the key and repainted, so a press's duration is the wait a person would see.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.scale import scaled_capture
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.log import LogScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.session import StartRequest
from ipsec_tui.ui.widgets.steps import StepList

CHILDREN = 2000
# keys an engineer would press once the screen is up: through the steps, into the big table,
# page through it, open its evidence, the log view and back
BROWSE = [
    "tab",
    "down",
    "down",
    "tab",
    "pagedown",
    "pagedown",
    "end",
    "home",
    "n",
    "enter",
    "pagedown",
    "right_square_bracket",
    "escape",
    "l",
    "escape",
    "d",
    "escape",
]


async def _measure(folder: Path) -> dict[str, Any]:
    app = CockpitApp(StartRequest(capture=folder))
    # no smooth scrolling: a press is measured until it is handled and painted, not until
    # a scroll animation ends (what a person sees first)
    app.animation_level = "none"
    started = time.perf_counter()
    while_loading: list[float] = []
    while_browsing: list[tuple[str, float]] = []
    async with app.run_test(size=(100, 32)) as pilot:
        while not isinstance(app.screen, MainScreen):
            await pilot.pause(0.01)
        screen = app.screen
        # keys while the analysis runs in its worker thread
        for key in ["down", "question_mark", "escape"] * 200:
            if screen.session is not None:
                break
            pressed = time.perf_counter()
            await pilot.press(key)
            while_loading.append(time.perf_counter() - pressed)
        while screen.session is None:
            await pilot.pause(0.01)
        await pilot.pause()  # the first full screen is painted
        first_screen = time.perf_counter() - started
        steps = screen.query_one(StepList)
        steps.focus()
        log_opened = False
        for key in BROWSE:
            pressed = time.perf_counter()
            await pilot.press(key)
            while_browsing.append((key, time.perf_counter() - pressed))
            log_opened = log_opened or isinstance(app.screen, LogScreen)
        session = screen.session
        assert session is not None
        children = [len(sa.child_sas) for peer in session.peers if peer for sa in peer.ike_sas]
    slowest_key, slowest = max(while_browsing, key=lambda item: item[1])
    return {
        "child_sas_per_peer": children,
        "first_full_screen_s": round(first_screen, 3),
        "keys_while_loading": len(while_loading),
        "slowest_key_while_loading_ms": round(max(while_loading, default=0.0) * 1000, 1),
        "slowest_key_browsing_ms": round(slowest * 1000, 1),
        "slowest_key_browsing": slowest_key,
        "median_key_browsing_ms": round(
            sorted(t for _, t in while_browsing)[len(while_browsing) // 2] * 1000, 1
        ),
        "log_view_opened": log_opened,
    }


def test_cockpit_with_2000_child_sas_per_peer(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    folder = scaled_capture(tmp_path / "big", CHILDREN)
    numbers: dict[str, Any] = {}

    def run() -> None:
        numbers.update(asyncio.run(_measure(folder)))

    benchmark.pedantic(run, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    assert numbers["child_sas_per_peer"] == [CHILDREN, CHILDREN]
    benchmark.extra_info.update(numbers)
    print(
        f"\ncockpit, {CHILDREN} child SAs per peer: first full screen "
        f"{numbers['first_full_screen_s']:.2f}s; {numbers['keys_while_loading']} keys answered "
        f"while loading (slowest {numbers['slowest_key_while_loading_ms']:.0f} ms); slowest "
        f"key after ({numbers['slowest_key_browsing']}) "
        f"{numbers['slowest_key_browsing_ms']:.0f} ms, median "
        f"{numbers['median_key_browsing_ms']:.0f} ms"
    )
