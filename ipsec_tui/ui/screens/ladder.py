"""The IKE exchange ladder: both peers' IKE messages as arrows between their columns, in the
order things happened, with the lines of both logs behind the highlighted message."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from ipsec_tui.ladder import Ladder, LadderRow, build_ladder
from ipsec_tui.ui.session import Session
from ipsec_tui.ui.widgets.table import Table

ARROW_WIDTH = (30, 64)  # the arrow column's width: the screen's width less the rest, within


# --- what the ladder, probe and watch screens share ------------------------------------------


def back_key(screen: str) -> Binding:
    """Escape: back to the cockpit (the screen's ``action_back``)."""
    return Binding("escape", "back", "Back", tooltip="Back to the cockpit", id=f"{screen}.back")


def lines_key(screen: str, action: str, tooltip: str) -> Binding:
    """Enter: the log lines behind the highlighted row, in a detail screen."""
    return Binding("enter", action, "Lines", tooltip=tooltip, id=f"{screen}.open")


def table_and_pane(screen: str, pane: str, title: str, text: str = "") -> ComposeResult:
    """A title, a table of rows (SCREEN-table), the pane that explains the highlighted row
    (SCREEN-PANE, scrolled, wrapped: its words are never cut at the edge), the footer."""
    yield Static(title, id=f"{screen}-title")
    yield Table(id=f"{screen}-table", cursor_type="row", zebra_stripes=False)
    with VerticalScroll(id=f"{screen}-{pane}-scroll"):
        yield Static(text, id=f"{screen}-{pane}")
    yield Footer()


def _end_cell(ladder: Ladder, row: LadderRow, side: str) -> Text:
    line = row.end(side)
    if line is None:
        return Text("  -", style="dim")
    if side == row.sender:
        return Text("sent", style="bold cyan" if side == "a" else "bold magenta")
    return Text("got", style="cyan" if side == "a" else "magenta")


def _message_cell(ladder: Ladder, row: LadderRow, width: int) -> Text:
    """The arrow, and under it the row's marks (no answer, retransmit, notify...)."""
    bad = row.answered is False or bool(row.message.notifies)
    text = Text(ladder.arrow(row, width), style="bold red" if bad else "")
    lines: list[str] = []
    for mark in row.marks(ladder.names):  # wrapped to the arrow's width: the column stays put
        if lines and len(lines[-1]) + 3 + len(mark) <= width - 2:
            lines[-1] += f" · {mark}"
        else:
            lines.append(mark)
    for line in lines:
        text.append("\n")
        text.append(f"  {line}", style="bold yellow")
    return text


def evidence_text(ladder: Ladder, row: LadderRow) -> Text:
    """Both ends of a message, each peer's log line in full (wrapped by the pane)."""
    text = Text()
    text.append(row.label(), style="bold")
    when = row.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if row.time else "?"
    text.append(f"  {when} UTC", style="dim")
    marks = row.marks(ladder.names)
    if marks:
        text.append("  " + ", ".join(marks), style="bold yellow")
    for side in "ab":
        line = row.end(side)
        verb = "sent" if side == row.sender else "received"
        text.append(f"\n{ladder.name(side)} ", style="bold")
        if line is None:
            text.append(f"({verb}): its log does not show this message", style="dim")
            continue
        text.append(f"{line.file or 'log'}:{line.event.line} ({verb}, {line.event.time}) ")
        text.append(line.event.message)
        for near in row.context:
            if near.side == side:
                text.append(f"\n  {near.event.line}: ", style="dim")
                text.append(near.event.message, style="bold red" if near.has_causes else "")
    return text


def ladder_of(session: Session) -> Ladder:
    """The session's ladder, from its merged time line (what the screen shows)."""
    return build_ladder(session.timeline, session.peer_names())


class LadderScreen(Screen[None]):
    """The session's IKE exchange ladder (`ipsec_tui.ladder`), from its merged time line.
    The rows are built off the UI thread (a long log pairs many messages): the screen says
    "building…" until they come."""

    BINDINGS: ClassVar[list[BindingType]] = [
        back_key("ladder"),
        lines_key("ladder", "open_row", "Both peers' log lines of the highlighted message"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.ladder: Ladder | None = None  # None until built

    def compose(self) -> ComposeResult:
        yield from table_and_pane(
            "ladder",
            "evidence",
            "[b]IKE exchange ladder[/b]  building…",
            "Building the ladder from both logs…",
        )

    def on_mount(self) -> None:
        self.run_worker(self._build, thread=True, exclusive=True, group="ladder")

    def _build(self) -> None:
        ladder = ladder_of(self.session)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, ladder)

    def _show(self, ladder: Ladder) -> None:
        if not self.is_attached:  # left before the rows came
            return
        self.ladder = ladder
        a, b = ladder.name("a"), ladder.name("b")
        title = f"[b]IKE exchange ladder[/b]  {a} ⇄ {b}: {len(ladder.rows)} message(s)"
        self.query_one("#ladder-title", Static).update(title)
        table = self.query_one("#ladder-table", DataTable)
        table.add_column("time", key="time")
        table.add_column(a, key="a")
        table.add_column("message", key="message")
        table.add_column(b, key="b")
        low, high = ARROW_WIDTH
        width = max(low, min(high, self.app.size.width - 32))
        for index, row in enumerate(ladder.rows):
            table.add_row(
                Text(row.time.strftime("%H:%M:%S") if row.time else "?", style="dim"),
                _end_cell(ladder, row, "a"),
                _message_cell(ladder, row, width),
                _end_cell(ladder, row, "b"),
                key=str(index),
                height=None,
            )
        evidence = self.query_one("#ladder-evidence", Static)
        evidence.update(
            "" if ladder.rows else "Neither log shows an IKE message being sent or received."
        )
        if ladder.telling is not None:
            table.move_cursor(row=ladder.telling)
        table.focus()

    @property
    def highlighted(self) -> LadderRow | None:
        table = self.query_one("#ladder-table", DataTable)
        if self.ladder is None or not self.ladder.rows or table.cursor_row < 0:
            return None
        return self.ladder.rows[min(table.cursor_row, len(self.ladder.rows) - 1)]

    @on(DataTable.RowHighlighted, "#ladder-table")
    def _row_highlighted(self) -> None:
        row = self.highlighted
        if row is not None and self.ladder is not None:
            self.query_one("#ladder-evidence", Static).update(evidence_text(self.ladder, row))

    @on(DataTable.RowSelected, "#ladder-table")
    def _row_selected(self) -> None:
        self.action_open_row()

    def action_open_row(self) -> None:
        from ipsec_tui.ui.screens.explain import DetailScreen

        row = self.highlighted
        if row is not None and self.ladder is not None:
            self.app.push_screen(DetailScreen("IKE message", evidence_text(self.ladder, row)))

    def action_back(self) -> None:
        self.dismiss(None)
