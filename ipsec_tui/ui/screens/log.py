"""Both peers' IKE logs on one time line, filterable, cause-carrying lines highlighted."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import Input, Static

from ipsec_tui.timeline import TimelineEvent, filter_timeline
from ipsec_tui.ui.screens.steady import SteadyScreen
from ipsec_tui.ui.session import Session
from ipsec_tui.ui.widgets.footer import CockpitFooter
from ipsec_tui.ui.widgets.log_lines import LogLines, LogView


class LogScreen(SteadyScreen[None]):
    """The merged log of a session; the filter keeps lines holding every word typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="Back to the cockpit (l opens this view again as it is: filter kept)",
            id="log.back",
        ),
        Binding("slash", "focus_filter", "Filter", tooltip="Type words to keep", id="log.filter"),
        Binding(
            "c",
            "toggle_causes",
            "Causes only",
            tooltip="Show only lines that carry a cause (notify errors, mismatches...)",
            id="log.causes",
        ),
    ]

    # the table has the focus from the start (not the filter first: while the filter has
    # it, printable keys are its own, so the footer's line would change and be rebuilt)
    AUTO_FOCUS = "#log-table"

    causes_only: reactive[bool] = reactive(False, init=False)
    query_text: reactive[str] = reactive("", init=False)

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._shown: list[TimelineEvent] = []

    def compose(self) -> ComposeResult:
        a, b = self.session.peer_names()
        yield Static(f"[b]IKE log[/b]  {a} and {b} on one time line", id="log-title")
        yield Input(placeholder="filter: words to keep (peer, cause, text)…", id="log-filter")
        yield LogLines(id="log-table")
        yield Static("", id="log-line")  # the highlighted line whole, wrapped
        yield Static("", id="log-status")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self._fill()

    def watch_causes_only(self) -> None:
        self._fill()

    def watch_query_text(self) -> None:
        self._fill()

    @on(Input.Changed, "#log-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value

    @on(Input.Submitted, "#log-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#log-table").focus()

    def _fill(self) -> None:
        events = self.session.timeline
        shown = filter_timeline(events, self.query_text, causes_only=self.causes_only)
        self._shown = shown
        a_name = self.session.peer_names()[0]
        self.query_one("#log-table", LogLines).show(LogView(tuple(shown), a_name))
        self._show_line(0)
        total = len(events)
        with_causes = sum(1 for e in events if e.has_causes)
        status = f"{len(shown)} of {total} lines"
        if self.query_text:
            status += f" matching {self.query_text!r}"
        status += f"; {with_causes} carry a cause (marked !)"
        if self.causes_only:
            status += "; showing only those"
        if not total:
            status = "no log lines were collected or parsed for either peer"
        self.query_one("#log-status", Static).update(status, layout=False)  # one line

    @on(LogLines.LineHighlighted, "#log-table")
    def _line_highlighted(self, event: LogLines.LineHighlighted) -> None:
        self._show_line(event.index)

    def _show_line(self, index: int) -> None:
        """The highlighted line in full under the table: a long line's end (where charon and
        pluto put the reason) is never cut at the pane's edge."""
        text = Text()
        if index < len(self._shown):
            item = self._shown[index]
            text.append(f"{item.peer} {item.file or 'log'}:{item.event.line} ", style="bold")
            if item.has_causes:
                text.append(f"[{', '.join(item.event.causes)}] ", style="bold yellow")
            text.append(item.event.message)
        self.query_one("#log-line", Static).update(text, layout=False)  # 3 lines, fixed

    @on(LogLines.LineSelected, "#log-table")
    def _line_selected(self, event: LogLines.LineSelected) -> None:
        from ipsec_tui.ui.screens.explain import show_detail

        item = self._shown[event.index]
        line = item.event
        text = Text()
        text.append(f"{item.peer}", style="bold")
        text.append(f"  {item.file or 'log'}:{line.line}\n", style="dim")
        for label, value in (
            ("time", line.time),
            ("level", line.level),
            ("subsystem", line.subsystem),
            ("SA", line.sa_name),
            ("direction", line.direction),
            ("causes", ", ".join(line.causes)),
        ):
            if value:
                text.append(f"{label}: ", style="bold")
                text.append(f"{value}\n")
        text.append("\n")
        text.append(line.message)
        show_detail(self.app, "Log line", text)

    @property
    def shown(self) -> list[TimelineEvent]:
        return list(self._shown)

    def action_back(self) -> None:
        if self.focused is self.query_one("#log-filter") and self.query_text:
            self.query_one("#log-filter", Input).value = ""
            return
        self.dismiss(None)

    def action_focus_filter(self) -> None:
        self.query_one("#log-filter").focus()

    def action_toggle_causes(self) -> None:
        self.causes_only = not self.causes_only
