"""The cockpit's IKE exchange ladder view: reached by key and from the command palette, usable
at 80x24, both peers' log lines of the highlighted message shown whole (wrapped)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.ladder import LadderScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.session import StartRequest
from ipsec_tui.ui.widgets.log_lines import LogLines

from .driving import from_palette, on_top, session_shown, wait_for

SnapCompare = Callable[..., bool]


def _scenario(name: str) -> CockpitApp:
    return CockpitApp(StartRequest(scenario=name))


async def _ladder(pilot: Pilot[Any]) -> LadderScreen:
    await session_shown(pilot)
    await pilot.press("i")
    screen = await on_top(pilot, LadderScreen)
    table = screen.query_one("#ladder-table", DataTable)
    await wait_for(pilot, lambda: screen.ladder is not None)
    assert screen.ladder is not None
    rows = screen.ladder.rows
    await wait_for(pilot, lambda: table.row_count == len(rows) > 0)
    return screen


def _evidence(screen: LadderScreen) -> str:
    return str(screen.query_one("#ladder-evidence", Static).render())


async def test_the_ladder_opens_on_the_notify_that_ended_it_at_80x24() -> None:
    app = _scenario("strongswan-psk")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _ladder(pilot)
        row = screen.highlighted
        assert row is not None and row.ended
        assert row.message.notifies == ("AUTHENTICATION_FAILED",)
        # the evidence pane holds both log lines whole, wrapped, with the words that matter
        await wait_for(pilot, lambda: "MAC mismatched" in _evidence(screen))
        shown = _evidence(screen)
        for words in (
            "received AUTHENTICATION_FAILED notify error",
            "(80 bytes)",
            "N(AUTH_FAILED)",
        ):
            assert words in shown
        scroll = screen.query_one("#ladder-evidence-scroll")
        assert scroll.size.width <= 80 and scroll.size.height >= 6
        # up one row: the evidence follows the cursor
        await pilot.press("up")
        await wait_for(pilot, lambda: "(272 bytes)" in _evidence(screen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_the_palette_reaches_the_ladder_and_it_marks_retransmits() -> None:
    app = _scenario("strongswan-udp-blocked")
    async with app.run_test(size=(100, 32)) as pilot:
        await session_shown(pilot)
        await from_palette(pilot, "Ladder")
        screen = await on_top(pilot, LadderScreen)
        await wait_for(pilot, lambda: screen.ladder is not None)
        assert screen.ladder is not None
        rows = screen.ladder.rows
        assert [row.message.retransmit for row in rows] == [0, 1, 2]
        assert all(row.answered is False and row.received is None for row in rows)
        assert screen.highlighted is rows[0]  # the first request that got no answer
        await wait_for(pilot, lambda: "its log does not show this message" in _evidence(screen))


def test_ladder_at_80x24(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ladder(pilot)

    assert snap_compare(_scenario("strongswan-psk"), terminal_size=(80, 24), run_before=run_before)


def test_ladder_wide_with_retransmits(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _ladder(pilot)
        await wait_for(pilot, lambda: "its log does not show" in _evidence(screen))

    assert snap_compare(
        _scenario("strongswan-udp-blocked"), terminal_size=(120, 32), run_before=run_before
    )


async def test_the_log_view_shows_the_highlighted_line_whole_at_80x24() -> None:
    """A long log line is cut at the table's edge; under the table it is shown whole
    (wrapped), its cause and the words at its end included."""
    from ipsec_tui.ui.screens.log import LogScreen

    app = _scenario("strongswan-psk")
    async with app.run_test(size=(80, 24)) as pilot:
        await session_shown(pilot)
        await pilot.press("l", "slash", *"auth_failed")
        screen = await on_top(pilot, LogScreen)
        await wait_for(pilot, lambda: screen.query_text == "auth_failed")
        await pilot.press("enter")  # back to the table
        table = screen.query_one("#log-table", LogLines)
        await wait_for(pilot, lambda: table.row_count == 2)
        line = screen.query_one("#log-line", Static)
        # siteB's refusal comes first (it was sent before siteA read it), cause included
        await wait_for(pilot, lambda: "N(AUTH_FAILED) ]" in str(line.render()))
        shown = str(line.render())
        assert shown.startswith("siteB cat-var-log-charon.log.txt:23 [AUTHENTICATION_FAILED]")
        assert line.size.width <= 80 and line.size.height >= 2
        await pilot.press("down")
        await wait_for(pilot, lambda: str(line.render()).startswith("siteA"))
        assert str(line.render()).endswith(":22 parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]")


async def test_the_rows_are_built_off_the_ui_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen says "building…" while the ladder is built in a worker thread; the cockpit
    answers meanwhile; then the rows come."""
    from ipsec_tui.ui.screens import ladder as ladder_screen

    release = threading.Event()
    threads: list[int] = []
    build = ladder_screen.ladder_of

    def slow_build(session: Any) -> Any:
        threads.append(threading.get_ident())
        release.wait(10)
        return build(session)

    monkeypatch.setattr(ladder_screen, "ladder_of", slow_build)
    app = _scenario("strongswan-psk")
    async with app.run_test(size=(80, 24)) as pilot:
        await session_shown(pilot)
        await pilot.press("i")
        screen = await on_top(pilot, LadderScreen)
        await wait_for(pilot, lambda: bool(threads))
        title = screen.query_one("#ladder-title", Static)
        table = screen.query_one("#ladder-table", DataTable)
        assert "building…" in str(title.render()) and table.row_count == 0
        assert screen.ladder is None and screen.highlighted is None
        await pilot.press("enter")  # nothing to open yet; the screen still answers
        assert app.screen is screen
        release.set()
        await wait_for(pilot, lambda: screen.ladder is not None and table.row_count > 0)
        assert "building" not in str(title.render()) and "message(s)" in str(title.render())
    assert threads and threads[0] != threading.main_thread().ident
