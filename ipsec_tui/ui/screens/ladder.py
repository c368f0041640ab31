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

from ipsec_tui.ladder import Ladder, LadderRow, build_ladder
from ipsec_tui.ui.session import Session

ARROW_WIDTH = (30, 64)  # the arrow column's width: the screen's width less the rest, within


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


class LadderScreen(Screen[None]):
    """The session's IKE exchange ladder (`ipsec_tui.ladder`), from its merged time line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the cockpit", id="ladder.back"),
        Binding(
            "enter",
            "open_row",
            "Lines",
            tooltip="Both peers' log lines of the highlighted message",
            id="ladder.open",
        ),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.ladder = build_ladder(session.timeline, session.peer_names())

    def compose(self) -> ComposeResult:
        a, b = self.ladder.name("a"), self.ladder.name("b")
        rows = len(self.ladder.rows)
        yield Static(f"[b]IKE exchange ladder[/b]  {a} ⇄ {b}: {rows} message(s)", id="ladder-title")
        yield DataTable(id="ladder-table", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="ladder-evidence-scroll"):
            yield Static("", id="ladder-evidence")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#ladder-table", DataTable)
        table.add_column("time", key="time")
        table.add_column(self.ladder.name("a"), key="a")
        table.add_column("message", key="message")
        table.add_column(self.ladder.name("b"), key="b")
        low, high = ARROW_WIDTH
        width = max(low, min(high, self.app.size.width - 32))
        for index, row in enumerate(self.ladder.rows):
            table.add_row(
                Text(row.time.strftime("%H:%M:%S") if row.time else "?", style="dim"),
                _end_cell(self.ladder, row, "a"),
                _message_cell(self.ladder, row, width),
                _end_cell(self.ladder, row, "b"),
                key=str(index),
                height=None,
            )
        if not self.ladder.rows:
            self.query_one("#ladder-evidence", Static).update(
                "Neither log shows an IKE message being sent or received."
            )
        if self.ladder.telling is not None:
            table.move_cursor(row=self.ladder.telling)
        table.focus()

    @property
    def highlighted(self) -> LadderRow | None:
        table = self.query_one("#ladder-table", DataTable)
        if not self.ladder.rows or table.cursor_row < 0:
            return None
        return self.ladder.rows[min(table.cursor_row, len(self.ladder.rows) - 1)]

    @on(DataTable.RowHighlighted, "#ladder-table")
    def _row_highlighted(self) -> None:
        row = self.highlighted
        if row is not None:
            self.query_one("#ladder-evidence", Static).update(evidence_text(self.ladder, row))

    @on(DataTable.RowSelected, "#ladder-table")
    def _row_selected(self) -> None:
        self.action_open_row()

    def action_open_row(self) -> None:
        from ipsec_tui.ui.screens.explain import DetailScreen

        row = self.highlighted
        if row is not None:
            self.app.push_screen(DetailScreen("IKE message", evidence_text(self.ladder, row)))

    def action_back(self) -> None:
        self.dismiss(None)
