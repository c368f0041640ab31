"""A step's findings as one comparison table: a heading per finding (spanning the width, so
the title is never cut to a column), then its rows: field | peer A | peer B, differences
marked. A Line API view with its own row cursor, fast with thousands of rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ipsec_tui.domain.model import Finding, Row, Status, StepResult
from ipsec_tui.ui.widgets.marks import STATUS_MARK, STATUS_WORD


@dataclass(frozen=True)
class FindingsView:
    """What the table shows: one step's findings and the two peers' names."""

    step: StepResult | None
    names: tuple[str, str]


@dataclass(frozen=True)
class _Line:
    finding: int
    row: int | None  # None: the finding's heading


def _fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells (cut with an ellipsis)."""
    if width <= 0:
        return ""
    text = " ".join(text.split())
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.ljust(width)


class FindingsTable(ScrollView, can_focus=True):
    """The comparison rows of one step; posts which finding/row is under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First row", show=False),
        Binding("end", "edge(1)", "Last row", show=False),
        Binding("enter", "select", "Evidence", tooltip="Show this row's evidence", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "findings--header",
        "findings--heading",
        "findings--cursor",
        "findings--diff",
        "findings--same",
        "findings--unknown",
        "findings--fail",
        "findings--warn",
        "findings--pass",
        "findings--unknown-status",
        "findings--muted",
    }

    DEFAULT_CSS = """
    FindingsTable {
        overflow-x: hidden;
        & > .findings--header { text-style: bold; color: $text-muted; }
        & > .findings--heading { text-style: bold; }
        & > .findings--cursor { background: $block-cursor-blurred-background; }
        & > .findings--diff { color: $error; text-style: bold; }
        & > .findings--same { color: $success; }
        & > .findings--unknown { color: $text-muted; }
        & > .findings--fail { color: $error; text-style: bold; }
        & > .findings--warn { color: $warning; text-style: bold; }
        & > .findings--pass { color: $success; }
        & > .findings--unknown-status { color: $text-muted; }
        & > .findings--muted { color: $text-muted; }
    }
    FindingsTable:focus > .findings--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    """

    view: reactive[FindingsView | None] = reactive(None, always_update=True)
    cursor: reactive[int] = reactive(0)

    @dataclass
    class RowHighlighted(Message):
        """The cursor is on a finding's heading (row None) or one of its rows."""

        table: FindingsTable
        finding: Finding | None
        row: Row | None

    @dataclass
    class RowSelected(Message):
        """Enter (or a click) on a heading or row: the screen shows its evidence."""

        table: FindingsTable
        finding: Finding | None
        row: Row | None

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[_Line] = []

    # --- state ---------------------------------------------------------------------------

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.view.step.findings if self.view and self.view.step else ()

    def current(self) -> tuple[Finding | None, Row | None]:
        if not self._lines:
            return None, None
        line = self._lines[min(self.cursor, len(self._lines) - 1)]
        finding = self.findings[line.finding]
        return finding, (finding.rows[line.row] if line.row is not None else None)

    @property
    def row_count(self) -> int:
        return len(self._lines)

    def watch_view(self, view: FindingsView | None) -> None:
        lines: list[_Line] = []
        for f_index, finding in enumerate(self.findings):
            lines.append(_Line(f_index, None))
            lines.extend(_Line(f_index, r_index) for r_index in range(len(finding.rows)))
        self._lines = lines
        self.virtual_size = self._virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        first = self._first_problem()
        self.set_reactive(FindingsTable.cursor, first)
        self._scroll_cursor_visible()
        self.refresh()
        self._post_highlight()

    def _first_problem(self) -> int:
        """Open a step on its first finding that is not a pass (its heading)."""
        for index, line in enumerate(self._lines):
            if line.row is None and self.findings[line.finding].status != Status.PASS:
                return index
        return 0

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self._lines) - 1)) if self._lines else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_visible()
        self.refresh()
        self._post_highlight()

    def _post_highlight(self) -> None:
        finding, row = self.current()
        self.post_message(self.RowHighlighted(self, finding, row))

    def _scroll_cursor_visible(self) -> None:
        visible = max(1, self.size.height - 1)  # the header line stays
        top = round(self.scroll_offset.y)
        end = self.cursor
        if self._lines and self._lines[self.cursor].row is None:
            # on a heading, bring its rows into view too (as many as fit)
            finding = self._lines[self.cursor].finding
            end = self.cursor + len(self.findings[finding].rows)
        if self.cursor < top:
            top = self.cursor
        elif end >= top + visible:
            top = min(self.cursor, end - visible + 1)
        self.scroll_to(y=top, animate=False, immediate=True)

    def _virtual_size(self) -> Size:
        """The lines and the header; no width, as the table never scrolls sideways (lines are
        cut to the region). A width taken from the region while a new step's scrollbar came or
        went was stale a moment later: one more layout pass, and frame, per step move."""
        return Size(0, len(self._lines) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_cursor_visible()

    # --- actions -------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height - 2)

    def action_edge(self, end: int) -> None:
        self.cursor = len(self._lines) - 1 if end else 0

    def action_select(self) -> None:
        finding, row = self.current()
        if finding is not None:
            self.post_message(self.RowSelected(self, finding, row))

    def move_to(self, finding_index: int, row_index: int | None = None) -> None:
        """Put the cursor on a finding's heading, or one of its rows."""
        for index, line in enumerate(self._lines):
            if line.finding == finding_index and line.row == row_index:
                self.cursor = index
                return

    def next_problem(self, direction: int = 1) -> bool:
        """Move to the next (or previous) heading of a finding that is not a pass."""
        count = len(self._lines)
        for step in range(1, count + 1):
            index = self.cursor + direction * step
            if not 0 <= index < count:
                return False
            line = self._lines[index]
            if line.row is None and self.findings[line.finding].status != Status.PASS:
                self.cursor = index
                return True
        return False

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        index = offset.y - 1 + round(self.scroll_offset.y)
        if 0 <= index < len(self._lines):
            already = index == self.cursor
            self.cursor = index
            if already or event.chain > 1:
                self.action_select()

    # --- rendering -----------------------------------------------------------------------

    def _widths(self) -> tuple[int, int, int]:
        width = self.scrollable_content_region.width
        fields = [row.field for f in self.findings for row in f.rows]
        field_width = max([len("field"), *map(len, fields)]) if fields else 8
        field_width = max(8, min(field_width, 34, width * 2 // 5))
        rest = max(2, width - 3 - field_width - 2)
        return field_width, rest // 2, rest - rest // 2

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        field_w, a_w, b_w = self._widths()
        if y == 0:
            a_name, b_name = self.view.names if self.view else ("peer A", "peer B")
            text = f"   {_fit('field', field_w)} {_fit(a_name, a_w)} {_fit(b_name, b_w)}"
            return Strip(
                [Segment(text, base + self._style("findings--header"))]
            ).adjust_cell_length(width, base)
        index = y - 1 + round(self.scroll_offset.y)
        if index >= len(self._lines):
            if not self._lines and index == 0:
                text = "  no findings for this step" if self.view else "  loading…"
                return Strip(
                    [Segment(text, base + self._style("findings--muted"))]
                ).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        line = self._lines[index]
        finding = self.findings[line.finding]
        cursor = index == self.cursor
        if line.row is None:
            segments = self._heading(finding, width, base)
        else:
            segments = self._row(finding.rows[line.row], (field_w, a_w, b_w), base)
        strip = Strip(segments).adjust_cell_length(width, base)
        if cursor:  # over the cells' own styles, so the cursor row always shows
            strip = Strip(Segment.apply_style(strip, post_style=self._style("findings--cursor")))
        return strip

    def _heading(self, finding: Finding, width: int, base: Style) -> list[Segment]:
        status = {
            Status.FAIL: "findings--fail",
            Status.WARN: "findings--warn",
            Status.PASS: "findings--pass",
            Status.UNKNOWN: "findings--unknown-status",
        }[finding.status]
        mark = f"{STATUS_MARK[finding.status]} {STATUS_WORD[finding.status]:<4} "
        tail = f"  {finding.check_id}"
        title_width = max(4, width - len(mark) - len(tail))
        title = " ".join(finding.title.split())
        if len(title) > title_width:
            title = title[: title_width - 1] + "…"
        return [
            Segment(mark, base + self._style(status)),
            Segment(title, base + self._style("findings--heading")),
            Segment(tail, base + self._style("findings--muted")),
        ]

    def _row(self, row: Row, widths: tuple[int, int, int], base: Style) -> list[Segment]:
        field_w, a_w, b_w = widths
        if row.match is False:
            mark, style = " ≠ ", base + self._style("findings--diff")
        elif row.match is True:
            mark, style = " = ", base
        else:
            mark, style = " · ", base + self._style("findings--unknown")  # shown, not compared
        values = [
            Segment(_fit(row.a if row.a is not None else "-", a_w) + " ", style),
            Segment(_fit(row.b if row.b is not None else "-", b_w), style),
        ]
        mark_style = style if row.match is not True else base + self._style("findings--same")
        return [
            Segment(mark, mark_style),
            Segment(_fit(row.field, field_w) + " ", base + self._style("findings--muted")),
            *values,
        ]
