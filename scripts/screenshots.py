#!/usr/bin/env python3
"""Regenerate the SVG screenshots in screenshots/ from the app itself (never by hand).

    python3 scripts/screenshots.py [--size 100x32] [--out screenshots] [NAME ...]

With NAMEs (``fleet``, ``probe``...), only those shots are taken again.

Each shot runs the cockpit headless on an embedded demo capture (App.run_test), drives it
with keys like a person would, and saves the screen with App.save_screenshot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.app import App  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import TextArea  # noqa: E402

from ipsec_tui.collectors.capture_io import read_peer  # noqa: E402
from ipsec_tui.demo import demo_scenarios  # noqa: E402
from ipsec_tui.ui.app import CockpitApp  # noqa: E402
from ipsec_tui.ui.screens.main import MainScreen  # noqa: E402
from ipsec_tui.ui.session import Source, StartRequest  # noqa: E402
from ipsec_tui.ui.widgets.findings import FindingsTable  # noqa: E402
from ipsec_tui.ui.widgets.steps import StepList  # noqa: E402
from tests.ui.driving import (  # noqa: E402
    DialogApp,
    on_top,
    password_dialog,
    probe_plan,
    session_shown,
    wait_for,
    watch_pressed,
    watching,
)

Drive = Callable[[Pilot[Any]], Awaitable[None]]
PROBES = ROOT / "tests" / "data" / "probes"  # probes recorded on the lab


async def on_finding(pilot: Pilot[Any], step: str, check_id: str) -> MainScreen:
    screen = await session_shown(pilot)
    steps = screen.query_one(StepList)
    steps.highlighted = [o.id for o in steps.options].index(step)
    await pilot.pause()
    table = screen.query_one(FindingsTable)
    table.focus()
    table.move_to(next(i for i, f in enumerate(table.findings) if f.check_id == check_id))
    await pilot.pause()
    return screen


async def start(pilot: Pilot[Any]) -> None:
    await pilot.pause()


async def main_screen(pilot: Pilot[Any]) -> None:
    await session_shown(pilot)


async def failing_step(pilot: Pilot[Any]) -> None:
    await on_finding(pilot, "identity", "identity.psk")


async def evidence(pilot: Pilot[Any]) -> None:
    await on_finding(pilot, "identity", "identity.psk")
    await pilot.press("enter", "z")


async def explain(pilot: Pilot[Any]) -> None:
    await on_finding(pilot, "identity", "identity.psk")
    await pilot.press("down", "x")


async def diagnosis(pilot: Pilot[Any]) -> None:
    await session_shown(pilot)
    await pilot.press("d")


async def log(pilot: Pilot[Any]) -> None:
    await session_shown(pilot)
    await pilot.press("l", "slash", *"siteb auth")


async def ladder(pilot: Pilot[Any]) -> None:
    """The IKE exchange ladder: it opens on the message whose notify ended the negotiation."""
    await session_shown(pilot)
    await pilot.press("i")


async def watch(pilot: Pilot[Any]) -> None:
    """The watch on the pfs scenario: its one snapshot already holds the failed rekey."""
    await session_shown(pilot)
    await watch_pressed(pilot)


async def watch_rates(pilot: Pilot[Any]) -> None:
    """The watch replaying the lab's no-return-route probe readings: the strip chart shows
    siteB decrypting and sending nothing back while A's test runs."""
    await watching(pilot, probe_plan("no-return-route"))


async def probe(pilot: Pilot[Any]) -> None:
    """The path test recorded on the lab's esp-blocked fault, judged again from its outputs."""
    from textual.widgets import DataTable

    from ipsec_tui.ui.screens.probe import ProbeScreen

    await session_shown(pilot)
    await pilot.press("P")
    screen = await on_top(pilot, ProbeScreen)
    table = screen.query_one("#probe-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == 2 and table.size.height >= 3)


async def fleet(pilot: Pilot[Any]) -> None:
    """The fleet screen grouped by cause, on eight tunnels triaged from the lab's recordings
    (a hub whose PSK changed and its four spokes, two broken pairs, two healthy ones)."""
    from ipsec_tui.ui.screens.fleet import FleetScreen
    from tests.fleet.recorded import recorded_fleet

    await pilot.pause()
    pilot.app.push_screen(FleetScreen(result=recorded_fleet()))
    screen = await on_top(pilot, FleetScreen)
    await pilot.press("g")
    await wait_for(pilot, lambda: screen.view.grouped and screen.view.result is not None)


async def help_screen(pilot: Pilot[Any]) -> None:
    await session_shown(pilot)
    await pilot.press("question_mark")


async def palette(pilot: Pilot[Any]) -> None:
    await session_shown(pilot)
    await pilot.press("ctrl+p", *"step")
    await pilot.pause(0.5)


async def password(pilot: Pilot[Any]) -> None:
    await pilot.press(*"secret")


async def notes(pilot: Pilot[Any]) -> None:
    await session_shown(pilot)
    await pilot.press("e")
    pilot.app.post_message(
        events.Paste(
            "14:05 siteA's side collected; siteB belongs to ACME (ticket 4711).\n"
            "14:20 ACME confirms they rotated siteB's PSK yesterday.\n"
            "Next: agree a new key by phone, not by mail."
        )
    )


def psk_peer(name: str) -> Path:
    scenario = next(s for s in demo_scenarios() if s.name == "strongswan-psk")
    return scenario.path / name


async def paste(pilot: Pilot[Any]) -> None:
    """Only siteA collected; siteB's terminal transcript (from the partner) pasted in."""
    await session_shown(pilot)
    await pilot.press("t")
    side_b = read_peer(psk_peer("siteB"))
    lines = []
    shown = ("swanctl --list-sas", "ip -br addr", "swanctl --list-conns")
    for record in (r for r in side_b.commands if r.command in shown):
        lines.append(f"root@siteB:~# {record.command}")
        lines.extend((side_b.output_of(record) or "").rstrip("\n").split("\n"))
    lines.append("root@siteB:~# ")
    pilot.app.post_message(events.Paste("\n".join(lines)))
    await pilot.pause()
    pilot.app.screen.query_one(TextArea).move_cursor((0, 0))  # the top of what was pasted


def psk() -> App[Any]:
    return CockpitApp(StartRequest(scenario="strongswan-psk"))


def no_return_route() -> App[Any]:
    return CockpitApp(StartRequest(scenario="strongswan-no-return-route"))


def one_peer() -> App[Any]:
    # the label stands for what the title shows on a real box: no path of this checkout
    return CockpitApp(Source("capture", "capture ./ticket-4711/siteA", path=psk_peer("siteA")))


SHOTS: list[tuple[str, Callable[[], App[Any]], Drive, tuple[int, int] | None]] = [
    ("start", lambda: CockpitApp(StartRequest()), start, None),
    ("main", psk, main_screen, None),
    ("main-80x24", psk, main_screen, (80, 24)),
    ("failing-step", psk, failing_step, None),
    ("evidence", psk, evidence, None),
    ("explain", psk, explain, None),
    ("diagnosis", psk, diagnosis, None),
    ("log", psk, log, None),
    ("ladder", psk, ladder, None),
    ("watch", lambda: CockpitApp(StartRequest(scenario="strongswan-pfs")), watch, (80, 24)),
    ("watch-rates", no_return_route, watch_rates, (80, 24)),
    ("probe", lambda: CockpitApp(StartRequest(capture=PROBES / "esp-blocked")), probe, None),
    ("fleet", lambda: CockpitApp(StartRequest()), fleet, None),
    ("help", psk, help_screen, None),
    ("palette", psk, palette, None),
    ("password", lambda: DialogApp(password_dialog()), password, (80, 24)),
    ("notes", psk, notes, None),
    ("paste", one_peer, paste, None),
]


async def shoot(out: Path, size: tuple[int, int], only: list[str]) -> list[Path]:
    written = []
    for name, make, drive, own_size in SHOTS:
        if only and name not in only:
            continue
        app = make()
        async with app.run_test(size=own_size or size) as pilot:
            await drive(pilot)
            await pilot.pause()
            path = Path(app.save_screenshot(f"{name}.svg", str(out)))
        written.append(path)
        print(f"{path}")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100x32", help="terminal size, WIDTHxHEIGHT")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these shots")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - {shot[0] for shot in SHOTS})
    if unknown:
        parser.error(f"no shot named {', '.join(unknown)}")
    width, height = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(args.out, (width, height), args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
