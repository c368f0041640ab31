"""Raw device output with line numbers, some lines marked: a Line API view, so a 20,000-line
`swanctl --list-sas` scrolls as fast as a 20-line log."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from rich.segment import Segment
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ipsec_tui.ui.evidence import EvidenceDoc

_CONTROL = {c: None for c in range(32) if c != 9}  # keep tabs (expanded), drop \r and the like


def clean_line(line: str) -> str:
    """A line as drawn: tabs expanded, control characters dropped."""
    return line.expandtabs(8).translate(_CONTROL)


@lru_cache(maxsize=16)
def _widest(lines: tuple[str, ...]) -> int:
    """The widest line of a file once drawn (only lines with a tab or a control character
    are cleaned to measure them)."""
    width = max(map(len, lines), default=0)
    odd = [line for line in lines if not line.isprintable()]
    return max([width, *(len(clean_line(line)) for line in odd)])


class TextLines(ScrollView, can_focus=True):
    """Shows an `EvidenceDoc`: numbered lines, marked lines highlighted, scrolled to focus."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "text-lines--gutter",
        "text-lines--marked",
        "text-lines--marker",
        "text-lines--note",
    }

    DEFAULT_CSS = """
    TextLines {
        background: $surface;
        & > .text-lines--gutter { color: $text-muted; }
        & > .text-lines--marked { background: $warning 30%; text-style: bold; }
        & > .text-lines--marker { color: $warning; text-style: bold; }
        & > .text-lines--note { color: $text-muted; text-style: italic; }
    }
    """

    doc: reactive[EvidenceDoc | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._gutter = 0

    def watch_doc(self, doc: EvidenceDoc | None) -> None:
        # nothing here walks the whole file: a line is cleaned when it is drawn, and the
        # widest line of a file is measured once (the files behind evidence are cached)
        self._gutter = len(str(len(doc.lines))) + 2 if doc and doc.lines else 2
        note = 1 if doc and doc.note else 0
        width = _widest(doc.lines) if doc else 0
        if doc and doc.note:
            width = max(width, len(clean_line(doc.note)))
        self.virtual_size = Size(width + self._gutter + 1, len(doc.lines) + note if doc else 0)
        target = doc.focus + note if doc else 0
        # a little context above the first marked line
        self.scroll_to(x=0, y=max(0, target - 2), animate=False, immediate=True)
        self.refresh()

    @property
    def first_visible_line(self) -> int:
        """0-based number of the first document line on screen (the note is not counted)."""
        offset = 1 if self.doc and self.doc.note else 0
        return max(0, round(self.scroll_offset.y) - offset)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        doc = self.doc
        base = self.rich_style
        has_note = bool(doc and doc.note)
        number = index - (1 if has_note else 0)
        if doc is None or number >= len(doc.lines):
            return Strip.blank(width, base)
        if number < 0:
            note = self.get_component_rich_style("text-lines--note")
            segments = [Segment(clean_line(doc.note), base + note)]
            return Strip(segments).crop_extend(scroll_x, scroll_x + width, base)
        marked = number in doc.marked
        gutter_style = base + self.get_component_rich_style("text-lines--gutter")
        line_style = base + self.get_component_rich_style("text-lines--marked") if marked else base
        marker = (
            Segment("▶", base + self.get_component_rich_style("text-lines--marker"))
            if marked
            else Segment(" ", base)
        )
        segments = [
            Segment(f"{number + 1:>{self._gutter - 2}}", gutter_style),
            marker,
            Segment(" ", base),
            Segment(clean_line(doc.lines[number]), line_style),
        ]
        strip = Strip(segments)
        if marked:  # the highlight runs to the edge, so a marked blank line still shows
            strip = strip.extend_cell_length(scroll_x + width, line_style)
        return strip.crop_extend(scroll_x, scroll_x + width, base)
