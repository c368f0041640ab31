"""The merged log as a table (time | peer | cause mark | message) drawn line by line: a Line
API view with its own row cursor, so opening the log view draws only the lines on screen,
however long the log (a DataTable renders and caches every cell it shows through Rich)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ipsec_tui.timeline import TimelineEvent
from ipsec_tui.ui.widgets.text_lines import clean_line

PAD = 1  # blank cells on each side of a column, as a table's cell padding
HEADINGS = ("time", "peer", "", "message")

# the cells' own colours (each peer its own, causes red and yellow) stay what the log view
# always showed; the widget's look (header, cursor, background) comes from its CSS
_TIME = Style.parse("dim")
_PEER = (Style.parse("cyan"), Style.parse("magenta"))  # peer A, peer B
_MARK = Style.parse("bold red")
_CAUSE_LINE = Style.parse("bold red")
_CAUSES = Style.parse("bold yellow")


@dataclass(frozen=True)
class LogView:
    """What the table shows: the lines the filter kept, and peer A's name (its lines cyan)."""

    lines: tuple[TimelineEvent, ...]
    a_name: str


def causes_suffix(item: TimelineEvent) -> str:
    """What follows a cause-carrying line's message: the causes it carries."""
    return f"  [{', '.join(item.event.causes)}]" if item.has_causes else ""


def _cells(text: str) -> int:
    """How many cells `text` takes once drawn (only the rare line with a tab, a control or a
    wide character is cleaned and measured cell by cell)."""
    if text.isascii() and text.isprintable():
        return len(text)
    return cell_len(clean_line(text))


def _widths(view: LogView) -> tuple[int, int, int, int]:
    """Each column's width: its widest cell or heading (the message with its causes)."""
    lines = view.lines
    time = max([len(HEADINGS[0]), *(_cells(item.event.time or "") for item in lines)])
    peer = max([len(HEADINGS[1]), *(_cells(item.peer) for item in lines)])
    message = max(
        [len(HEADINGS[3]), *(_cells(item.event.message + causes_suffix(item)) for item in lines)]
    )
    return time, peer, 1, message


class LogLines(ScrollView, can_focus=True):
    """The log lines the filter kept; posts which line is under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("ctrl+home", "edge(0)", "First line", show=False),
        Binding("ctrl+end", "edge(1)", "Last line", show=False),
        # left, right: the container's own horizontal scroll; home and end scroll across
        # only, as a table's do (the cursor stays on its line)
        Binding("home", "across(0)", "Line start", show=False),
        Binding("end", "across(1)", "Line end", show=False),
        Binding("enter", "select", "Details", tooltip="The whole line, field by field", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"log-lines--header", "log-lines--cursor"}

    DEFAULT_CSS = """
    LogLines {
        background: $surface;
        color: $foreground;
        & > .log-lines--header { text-style: bold; background: $panel; color: $foreground; }
        & > .log-lines--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .log-lines--header { background-tint: $foreground 5%; }
            & > .log-lines--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    cursor: reactive[int] = reactive(0)

    @dataclass
    class LineHighlighted(Message):
        """The cursor moved onto line `index` of the view's lines."""

        table: LogLines
        index: int

        @property
        def control(self) -> LogLines:
            """The table, for `@on(..., "#selector")`."""
            return self.table

    @dataclass
    class LineSelected(Message):
        """Enter (or a click on the cursor's line) on line `index`."""

        table: LogLines
        index: int

        @property
        def control(self) -> LogLines:
            """The table, for `@on(..., "#selector")`."""
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._view = LogView((), "")
        self._widths = _widths(self._view)

    # --- state ---------------------------------------------------------------------------

    @property
    def view(self) -> LogView:
        return self._view

    @property
    def row_count(self) -> int:
        return len(self._view.lines)

    def show(self, view: LogView) -> None:
        """Show other lines (the filter changed): from the first, scrolled to the top. No
        message: the screen that gives the lines knows the first is under the cursor."""
        self._view = view
        self._widths = _widths(view)
        self._size_to_content()
        self.set_reactive(LogLines.cursor, 0)
        self.scroll_to(x=0, y=0, animate=False, immediate=True)
        self.refresh()

    def _size_to_content(self) -> None:
        width = sum(self._widths) + 2 * PAD * len(self._widths)
        self.virtual_size = Size(width, self.row_count + 1)  # the header line too

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, self.row_count - 1)) if self.row_count else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_visible()
        self.refresh()
        if self.row_count:
            self.post_message(self.LineHighlighted(self, new))

    def _scroll_cursor_visible(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)  # the header line stays
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            top = self.cursor
        elif self.cursor >= top + visible:
            top = self.cursor - visible + 1
        self.scroll_to(y=top, animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        self._size_to_content()
        self._scroll_cursor_visible()

    # --- actions -------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_edge(self, end: int) -> None:
        self.cursor = self.row_count - 1 if end else 0

    def action_across(self, end: int) -> None:
        self.scroll_to(x=self.max_scroll_x if end else 0, animate=False)

    def action_select(self) -> None:
        if self.row_count:
            self.post_message(self.LineSelected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        index = offset.y - 1 + round(self.scroll_offset.y)
        if 0 <= index < self.row_count:
            already = index == self.cursor
            self.cursor = index
            if already or event.chain > 1:
                self.action_select()

    # --- rendering -----------------------------------------------------------------------

    def _row(self, texts: list[list[Segment]], base: Style) -> list[Segment]:
        """One table line: each column's segments padded to its width."""
        pad = Segment(" " * PAD, base)
        line: list[Segment] = []
        for width, segments in zip(self._widths, texts, strict=True):
            used = Segment.get_line_length(segments)
            line += [pad, *segments, Segment(" " * (width - used) + " " * PAD, base)]
        return line

    def _header(self, base: Style) -> list[Segment]:
        return self._row([[Segment(heading, base)] for heading in HEADINGS], base)

    def _line(self, item: TimelineEvent, base: Style) -> list[Segment]:
        event = item.event
        peer = _PEER[0] if item.peer == self._view.a_name else _PEER[1]
        message: list[Segment]
        if item.has_causes:
            message = [
                Segment(clean_line(event.message), base + _CAUSE_LINE),
                Segment(causes_suffix(item), base + _CAUSES),
            ]
        else:
            message = [Segment(clean_line(event.message), base)]
        return self._row(
            [
                [Segment(event.time or "", base + _TIME)],
                [Segment(item.peer, base + peer)],
                [Segment("!", base + _MARK) if item.has_causes else Segment(" ", base)],
                message,
            ],
            base,
        )

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_offset.x)
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("log-lines--header")
            strip = Strip(self._header(header)).extend_cell_length(scroll_x + width, header)
            return strip.crop_extend(scroll_x, scroll_x + width, header)
        index = y - 1 + round(self.scroll_offset.y)
        if index >= self.row_count:
            return Strip.blank(width, base)
        strip = Strip(self._line(self._view.lines[index], base))
        strip = strip.extend_cell_length(scroll_x + width, base)
        if index == self.cursor:  # over the cells' own styles, so the cursor line always shows
            cursor = self.get_component_rich_style("log-lines--cursor")
            strip = Strip(Segment.apply_style(strip, post_style=cursor))
        return strip.crop_extend(scroll_x, scroll_x + width, base)
