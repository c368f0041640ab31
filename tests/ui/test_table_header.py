"""The tables filled after their columns are shown (path test, watch, fleet, ladder) draw
their header at the columns' final widths. Textual's DataTable widens a column for new rows
when it next goes idle, and a header line drawn before that moment used to stay on screen at
the old widths: `direction` over a wider column, the next headings shifted left of their
cells (seen in the path test's snapshot on a fast machine)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from ipsec_tui.ui.widgets.table import Table

COLUMNS = ("direction", "ping", "encrypted")
ROW = ("siteA → siteB", "0/3", "17")


class _OneTable(App[None]):
    CSS = "DataTable { width: 100%; height: auto; }"

    def __init__(self, table: DataTable[object]) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.table.add_column(column, key=column)


def _line(table: DataTable[object], y: int) -> str:
    return Text.assemble(*((s.text, s.style) for s in table.render_line(y))).plain


async def _header_and_row(table: DataTable[object]) -> tuple[str, str]:
    """The order the path test's screen met on a fast machine: a row added, the header drawn
    before the table goes idle, the table's idle handler widening the column, and the next
    frame drawn before the table handles the resize that followed (the resize would redraw)."""
    app = _OneTable(table)
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        table.add_row(*ROW)
        _line(table, 0)
        await table._on_idle(events.Idle())
        drawn = _line(table, 0), _line(table, 1)
        await pilot.pause()
        # once everything is handled, both tables draw it right
        settled = _line(table, 0), _line(table, 1)
        assert _aligned(*settled), settled
        return drawn


def _aligned(header: str, row: str) -> bool:
    """Every heading starts where its cell starts."""
    return all(
        header.index(f" {heading}") == row.index(f" {cell}")
        for heading, cell in zip(COLUMNS[1:], ROW[1:], strict=True)
    )


async def test_the_header_follows_the_widths_of_rows_added_later() -> None:
    header, row = await _header_and_row(Table())
    assert _aligned(header, row), (header, row)


async def test_textuals_own_table_shows_why() -> None:
    """The same steps on the plain DataTable keep the stale header: if this starts to fail,
    Textual mends it itself and `Table` can go."""
    header, row = await _header_and_row(DataTable())
    assert not _aligned(header, row), (header, row)
