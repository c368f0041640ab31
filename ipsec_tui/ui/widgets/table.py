"""Textual's DataTable with its header kept in step with its columns.

The DataTable (Textual 8.2.8, pinned) widens a column for new rows only when it next goes
idle, and that widening does not invalidate the lines it already drew: a header drawn between
`add_row` and that moment keeps the old widths, misaligned over the rows, until something
else redraws the table (a key, a resize). The path test, the watch, the fleet and the ladder
fill their tables from a worker after the columns are shown, exactly that order. Here the
widening counts as an update: everything on screen is drawn again at the new widths once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class Table(DataTable[Any]):
    """A DataTable whose header follows its columns' widths (see the module's note)."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1  # part of every render cache's key: the old lines go
        self.refresh()
