"""The cockpit on a capture whose peers each carry 2,000 child SAs: time to the first full
screen, and how long the common keys take to be answered, while the analysis runs and after,
at 100x32 and at 80x24.

A key's time runs from the press to the last frame it caused (tests/ui/driving.PaintLog), so
Pilot's own wait for an idle app is not counted. Numbers go to benchmark.extra_info and are
printed (each the median of RUNS runs); nothing here asserts a time (the machine decides
those).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.scale import scaled_capture
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.log import LogScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.session import StartRequest
from ipsec_tui.ui.widgets.steps import StepList
from tests.ui.driving import PaintLog

CHILDREN = 2000
RUNS = 3
# what an engineer does once the screen is up, each key named by what it does: through the
# steps, into the table, open a row's evidence, switch sides, page evidence, the log and back
# (twice: the second time it is the same analysis's log view again)
WALK = [
    ("step move", "down"),
    ("step move", "down"),
    ("step move", "up"),
    ("into the table", "tab"),
    ("row move", "down"),
    ("row move", "down"),
    ("next problem", "n"),
    ("evidence open", "enter"),
    ("side switch", "tab"),
    ("side switch", "shift+tab"),
    ("evidence page", "pagedown"),
    ("next evidence", "right_square_bracket"),
    ("back to table", "escape"),
    ("log l", "l"),
    ("log back", "escape"),
    ("log again", "l"),
    ("log back", "escape"),
    ("diagnosis d", "d"),
    ("dialog back", "escape"),
    ("explain x", "x"),
    ("dialog back", "escape"),
]


async def _measure(folder: Path, size: tuple[int, int]) -> dict[str, Any]:
    started = time.perf_counter()  # the app's own start is part of the wait
    app = CockpitApp(StartRequest(capture=folder))
    # no smooth scrolling: a press is measured until it is handled and painted, not until
    # a scroll animation ends (what a person sees first)
    app.animation_level = "none"
    paints = PaintLog(app)
    while_loading: list[float] = []
    walked: dict[str, list[float]] = {}
    async with app.run_test(size=size) as pilot:
        while not isinstance(app.screen, MainScreen):
            await pilot.pause(0.01)
        screen = app.screen
        # keys while the analysis runs off the screen's thread
        for key in ["down", "question_mark", "escape"] * 200:
            if screen.session is not None:
                break
            while_loading.append(await paints.press(pilot, key))
        while screen.session is None:
            await pilot.pause(0.01)
        await pilot.pause()  # the first full screen is painted
        first_screen = paints.frames[-1][0] - started
        while app.screen is not screen:  # the help a key opened while loading
            await pilot.press("escape")
        screen.query_one(StepList).focus()
        await pilot.pause()
        log_opened = False
        cpu_from = len(paints.cpu)
        for name, key in WALK:
            walked.setdefault(name, []).append(await paints.press(pilot, key))
            log_opened = log_opened or isinstance(app.screen, LogScreen)
        session = screen.session
        assert session is not None
        children = [len(sa.child_sas) for peer in session.peers if peer for sa in peer.ike_sas]
    return {
        "child_sas_per_peer": children,
        "first_full_screen_s": first_screen,
        "keys_while_loading": len(while_loading),
        "slowest_key_while_loading_ms": max(while_loading, default=0.0) * 1000,
        "key_ms": {name: max(times) * 1000 for name, times in walked.items()},
        "key_cpu_ms": sum(paints.cpu[cpu_from:]) * 1000 / len(WALK),
        "log_view_opened": log_opened,
    }


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs (a shared machine makes single runs noisy)."""

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    names = runs[0]["key_ms"]
    per_key = {name: median([run["key_ms"][name] for run in runs]) for name in names}
    slowest = max(per_key, key=lambda name: per_key[name])
    return {
        "runs": len(runs),
        "child_sas_per_peer": runs[0]["child_sas_per_peer"],
        "first_full_screen_s": median([run["first_full_screen_s"] for run in runs]),
        "keys_while_loading": sum(run["keys_while_loading"] for run in runs),
        "slowest_key_while_loading_ms": median(
            [run["slowest_key_while_loading_ms"] for run in runs]
        ),
        "key_ms": per_key,
        "mean_key_cpu_ms": median([run["key_cpu_ms"] for run in runs]),
        "slowest_key": slowest,
        "slowest_key_ms": per_key[slowest],
        "log_view_opened": all(run["log_view_opened"] for run in runs),
    }


@pytest.mark.parametrize("size", [(100, 32), (80, 24)], ids=["100x32", "80x24"])
def test_cockpit_with_2000_child_sas_per_peer(
    benchmark: BenchmarkFixture, tmp_path: Path, size: tuple[int, int]
) -> None:
    folder = scaled_capture(tmp_path / "big", CHILDREN)
    runs: list[dict[str, Any]] = []

    def run() -> None:
        runs.append(asyncio.run(_measure(folder, size)))

    benchmark.pedantic(run, rounds=RUNS, iterations=1)  # type: ignore[no-untyped-call]
    numbers = {"size": f"{size[0]}x{size[1]}", **_median_of(runs)}
    assert numbers["child_sas_per_peer"] == [CHILDREN, CHILDREN]
    assert numbers["log_view_opened"]
    benchmark.extra_info.update(numbers)
    keys = ", ".join(f"{name} {ms:.0f}" for name, ms in numbers["key_ms"].items())
    print(
        f"\ncockpit {numbers['size']}, {CHILDREN} child SAs per peer, median of {RUNS} runs: "
        f"first full screen "
        f"{numbers['first_full_screen_s']:.2f}s; {numbers['keys_while_loading']} keys answered "
        f"while loading (slowest {numbers['slowest_key_while_loading_ms']:.0f} ms); keys after "
        f"(ms, slowest of each): {keys}; CPU of the screen's thread per key "
        f"{numbers['mean_key_cpu_ms']:.0f} ms"
    )
