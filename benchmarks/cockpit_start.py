"""One cockpit started as the command line starts it, timed from the process's start to the
first full screen on a capture folder: `python -m benchmarks.cockpit_start FOLDER on|off`
prints the seconds as JSON. `off` leaves out the load ahead (the analysis process started
first thing, the capture read and analysed while the cockpit's modules load), to measure
against it in one run. Run by
benchmarks/test_cockpit.py, each time in a fresh process: the imports are part of the wait."""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402 (timed from the first line)
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from ipsec_tui.ui import offload  # noqa: E402

if sys.argv[2:3] == ["on"]:  # what ipsec_tui/ui/cli.py does first (_load_ahead)
    offload.prestart_for(Path(sys.argv[1]))

from ipsec_tui.ui.session import StartRequest, _Prefetch, warm_up  # noqa: E402


async def _first_screen(start: StartRequest) -> float:
    from ipsec_tui.ui.app import CockpitApp
    from ipsec_tui.ui.screens.main import MainScreen

    app = CockpitApp(start)
    async with app.run_test(size=(100, 32)) as pilot:
        while not isinstance(app.screen, MainScreen):
            await pilot.pause(0.01)
        screen = app.screen
        while screen.session is None:
            await pilot.pause(0.01)
        await pilot.pause()  # the session's screen is painted
        return time.perf_counter() - STARTED


def main() -> None:
    folder, mode = Path(sys.argv[1]), sys.argv[2]
    if mode == "off":
        _Prefetch.start = classmethod(lambda cls, source: None)  # type: ignore[method-assign,assignment]
    start = StartRequest(capture=folder)
    warm_up(start)  # what ipsec_tui/ui/cli.py does before it imports the cockpit
    print(json.dumps({"first_full_screen_s": asyncio.run(_first_screen(start))}))


if __name__ == "__main__":
    main()
