"""The log view's table (drawn line by line), the detail dialog built once and shown again,
and screens opened over the cockpit without laying the cockpit out again."""

from __future__ import annotations

from pytest import MonkeyPatch
from textual.screen import Screen
from textual.widgets import Static

from ipsec_tui.ui.screens.explain import DetailScreen
from ipsec_tui.ui.screens.log import LogScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.widgets.log_lines import LogLines

from .driving import detail_opened, on_top, psk_cockpit, wait_for


def _drawn(table: LogLines) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_the_log_table_draws_its_columns_and_moves_its_cursor() -> None:
    async with psk_cockpit() as (_app, pilot, screen):
        session = screen.session
        assert session is not None
        await pilot.press("l")
        log = await on_top(pilot, LogScreen)
        table = log.query_one("#log-table", LogLines)
        await wait_for(pilot, lambda: table.size.height > 2)
        drawn = _drawn(table)
        assert drawn[0].split() == ["time", "peer", "message"]
        # one line per log line in view, time and peer first; a cause-carrying one marked !
        first = session.timeline[0]
        assert drawn[1].split()[:2] == [first.event.time, first.peer]
        carrying = next(i for i, e in enumerate(session.timeline) if e.has_causes)
        await pilot.press(*["down"] * carrying)
        assert table.cursor == carrying
        item = session.timeline[carrying]
        row = _drawn(table)[1 + carrying - round(table.scroll_offset.y)]
        assert row.split()[:3] == [item.event.time, item.peer, "!"]
        assert item.event.message[:30] in row
        shown = str(log.query_one("#log-line", Static).render())
        assert shown.startswith(item.peer)
        assert f"[{item.event.causes[0]}" in shown
        # the last line, then the first again
        await pilot.press("ctrl+end")
        assert table.cursor == table.row_count - 1 == len(session.timeline) - 1
        last = session.timeline[-1]
        assert any(last.event.message[:30] in text for text in _drawn(table))
        await pilot.press("ctrl+home")
        assert table.cursor == 0 and round(table.scroll_offset.y) == 0
        # a page down moves the cursor by the lines in view, the view follows
        await pilot.press("pagedown")
        assert 0 < table.cursor < table.row_count
        assert round(table.scroll_offset.y) <= table.cursor


async def test_the_log_table_scrolls_across_a_long_line() -> None:
    async with psk_cockpit(size=(80, 24)) as (_app, pilot, _screen):
        await pilot.press("l")
        log = await on_top(pilot, LogScreen)
        table = log.query_one("#log-table", LogLines)
        await wait_for(pilot, lambda: table.size.height > 2)
        assert table.virtual_size.width > table.size.width  # lines longer than the pane
        await pilot.press("end")
        assert table.scroll_offset.x == table.max_scroll_x > 0
        assert table.cursor == 0  # across only: the cursor stays on its line
        await pilot.press("home")
        assert table.scroll_offset.x == 0


async def test_the_detail_dialog_is_built_once_and_shows_each_text() -> None:
    async with psk_cockpit() as (app, pilot, screen):
        session = screen.session
        assert session is not None
        diagnosis = await detail_opened(pilot, "d")
        first = await on_top(pilot, DetailScreen)
        assert session.analysis.diagnosis.cause in diagnosis
        assert first.query_one("#detail-dialog").border_title == "Diagnosis"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        explained = await detail_opened(pilot, "x")
        again = await on_top(pilot, DetailScreen)
        assert again is first  # the same dialog, with the new text and title
        selection = screen.state.selection
        assert selection.finding is not None and selection.finding.title in explained
        assert explained != diagnosis
        assert again.query_one("#detail-dialog").border_title == "Explain"
        assert again.focused is again.query_one("#detail-close")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_screens_opened_over_the_cockpit_leave_its_layout_alone(
    monkeypatch: MonkeyPatch,
) -> None:
    """Opening the log view or a dialog lays out the screen opened, never the cockpit under
    it again at the size it already has (the whole cockpit's layout, for nothing)."""
    laid_out: list[str] = []
    layout = Screen._refresh_layout

    def counted(self: Screen[object], *args: object, **kwargs: object) -> None:
        laid_out.append(type(self).__name__)
        layout(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    async with psk_cockpit() as (app, pilot, screen):
        for key, kind in (("l", LogScreen), ("d", DetailScreen), ("x", DetailScreen)):
            await pilot.pause()
            laid_out.clear()
            await pilot.press(key)
            await on_top(pilot, kind)
            await pilot.pause()
            assert kind.__name__ in laid_out
            assert MainScreen.__name__ not in laid_out, key
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
