"""Help: the keys of the screen underneath (from its bindings, so it cannot drift) and what
the marks mean."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ipsec_tui.ui.screens.steady import SteadyModal, show_reused

GUIDE = "\n".join(
    (
        "The cockpit puts both peers of a tunnel side by side. The steps run in the order an "
        "expert works (collection, IKE negotiation, SAs, identity, proposals, selectors, path, "
        "rekey); the banner at the top names the most likely cause, the side to fix and the "
        "next action.",
        "",
        "Marks: ✔ ok   ! warning   ✘ FAIL   ? unknown (a side not collected or not parsed)",
        "Rows: ≠ the peers differ   = they agree   (blank) not comparable",
        "Evidence: ▶ marks the lines behind the selected finding in each peer's raw output",
        "Notes (e) and the evidence bundle (b) go into the ticket together; with one peer "
        "missing, t pastes the other side's terminal transcript; ✎ in the title: notes.",
        "Tab / Shift+Tab move between panes; Ctrl+P searches every action.",
        "",
    )
)


def key_rows(screen: Screen[object]) -> list[tuple[str, str]]:
    """(keys, what they do) for the screen's bindings, then the app's, one row per action."""
    keys: dict[str, list[str]] = {}
    about: dict[str, str] = {}
    for node in (screen, screen.app):
        for _key, binding in node._bindings:  # the merged bindings, one entry per key
            if not binding.description:
                continue
            name = f"{id(node)}.{binding.action}"
            keys.setdefault(name, []).append(screen.app.get_key_display(binding))
            about.setdefault(name, binding.tooltip or binding.description)
    rows = [(", ".join(dict.fromkeys(shown)), about[name]) for name, shown in keys.items()]
    generic = ("Focus Next", "Focus Previous", "Copy selected text")
    rows.sort(key=lambda row: row[1] in generic)  # the screen's own keys first
    rows.append(("ctrl+p", "command palette: search every action by name"))
    return rows


def _keys_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("action")
    for keys, about in rows:
        table.add_row(keys, about)
    return table


class KeysTable(Widget):
    """The keys table, laid out once per width: a Static would measure and render the whole
    Rich table again at every layout pass while the dialog comes up."""

    def __init__(self, table: Table, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.table = table
        self._laid_out: tuple[int, list[list[Segment]]] = (-1, [])

    def show(self, table: Table) -> None:
        """Another screen's keys: laid out afresh, at its own height."""
        self.table = table
        self._laid_out = (-1, [])
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[list[Segment]]:
        if self._laid_out[0] != width:
            console = self.app.console
            lines = console.render_lines(self.table, console.options.update_width(width))
            self._laid_out = (width, lines)
        return self._laid_out[1]

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        lines = self._lines(width)
        if y >= len(lines):
            return Strip.blank(width, base)
        return Strip(Segment.apply_style(lines[y], base)).adjust_cell_length(width, base)


class HelpScreen(SteadyModal[None]):
    """Keys and marks; Escape (or ?) closes. Built once per app and shown again over the next
    screen (`show_help`): building the dialog was most of opening it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.rows = key_rows(under)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"), VerticalScroll(id="help-body"):
            yield Static(Text(GUIDE), id="help-guide")
            yield KeysTable(_keys_table(self.rows), id="help-keys")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").border_title = "Help"
        self.query_one("#help-dialog").border_subtitle = "Escape closes"
        self.query_one("#help-body").focus()

    def show(self, under: Screen[object]) -> None:
        """The keys of `under` (before the dialog is pushed again), from the top; the table is
        laid out again only when they differ from the ones shown."""
        rows = key_rows(under)
        if rows != self.rows:
            self.rows = rows
            if self.is_mounted:
                self.query_one("#help-keys", KeysTable).show(_keys_table(rows))
        if self.is_mounted:
            self.query_one("#help-body").scroll_home(animate=False, immediate=True)
            self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)


_HELP = "help"  # the name the app's one help dialog is installed under


def show_help(app: App[Any]) -> None:
    """Help on the screen on top, in the app's help dialog (one per app, see
    `show_reused`). Nothing when the help is on top already."""
    under = app.screen
    if not isinstance(under, HelpScreen):
        show_reused(app, _HELP, HelpScreen, lambda: HelpScreen(under), lambda d: d.show(under))
