"""Text shown on demand in a dialog: a comparison row explained (what it compares, its
finding, the next action, where the evidence is), or the whole diagnosis with the causes it
weighed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Static

from ipsec_tui.domain.causes import DIAGNOSIS_CAUSES
from ipsec_tui.domain.model import Diagnosis, Finding, Row
from ipsec_tui.ui.evidence import explain_row
from ipsec_tui.ui.screens.steady import SteadyModal, show_reused
from ipsec_tui.ui.widgets.marks import STATUS_MARK, STATUS_STYLE, STATUS_WORD


def explanation(finding: Finding, row: Row | None, names: tuple[str, str]) -> Text:
    text = Text()
    mark = f"{STATUS_MARK[finding.status]} {STATUS_WORD[finding.status]}  "
    text.append(mark, style=STATUS_STYLE[finding.status])
    text.append(finding.title, style="bold")
    text.append(f"\ncheck {finding.check_id}, step {finding.step}\n", style="dim")
    if row is not None:
        verdict = {True: "= same", False: "≠ differ", None: "not compared"}[row.match]
        text.append("\nRow: ", style="bold")
        text.append(row.field)
        text.append(f"\n  {names[0]}: ", style="bold")
        text.append(row.a if row.a is not None else "-")
        text.append(f"\n  {names[1]}: ", style="bold")
        text.append(row.b if row.b is not None else "-")
        text.append(f"\n  {verdict}\n", style="bold")
        text.append("\nWhy it matters: ", style="bold")
        text.append(explain_row(row, names))
        text.append("\n")
    elif finding.rows:
        text.append(f"\n{len(finding.rows)} comparison row(s); ")
        differ = sum(1 for r in finding.rows if r.match is False)
        text.append(f"{differ} differ.\n")
    if finding.next_action:
        text.append("\nNext: ", style="bold")
        text.append(finding.next_action)
        text.append("\n")
    if finding.causes:
        text.append("\nPoints at: ", style="bold")
        text.append(
            ", ".join(
                vote.cause + (f" on {vote.side}" if vote.side else "") + f" ({vote.weight:g})"
                for vote in finding.causes
            )
        )
        text.append("\n")
    if finding.evidence:
        text.append("\nEvidence:\n", style="bold")
        for evidence in finding.evidence[:8]:
            where = evidence.file or "quoted"
            if evidence.line_start:
                where += f":{evidence.line_start}"
                if evidence.line_end and evidence.line_end != evidence.line_start:
                    where += f"-{evidence.line_end}"
            text.append(f"  {evidence.peer} {where}\n", style="dim")
            first = evidence.text.splitlines()[0] if evidence.text else ""
            if first:
                text.append(f"    {first[:200]}\n")
    else:
        text.append("\nNo evidence lines recorded for this finding.\n", style="dim")
    return text


def diagnosis_details(diagnosis: Diagnosis) -> Text:
    text = Text()
    healthy = diagnosis.cause == "healthy"
    text.append("✔ " if healthy else "✘ ", style="bold")
    text.append(diagnosis.cause, style="bold")
    if diagnosis.side:
        text.append("   fix on ")
        text.append(diagnosis.side, style="bold underline")
    meaning = DIAGNOSIS_CAUSES.get(diagnosis.cause)
    if meaning:
        text.append(f"\n{meaning}", style="italic")
    text.append("\n\n")
    text.append(diagnosis.summary)
    if diagnosis.next_action:
        text.append("\n\nNext: ", style="bold")
        text.append(diagnosis.next_action)
    if diagnosis.causes:
        text.append("\n\nCauses weighed (score, side, why):\n", style="bold")
        for ranked in diagnosis.causes[:10]:
            side = f" on {ranked.side}" if ranked.side else ""
            text.append(f"  {ranked.score:>5g}  ", style="dim")
            text.append(f"{ranked.cause}{side}", style="bold")
            if ranked.reason:
                text.append(f": {ranked.reason}")
            text.append("\n")
    return text


class DetailScreen(SteadyModal[None]):
    """A titled text in a dialog; any closing key returns. Built once per app and shown again
    with the next text (`show_detail`): building the dialog was most of opening it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,x,d,q", "close", "Close", tooltip="Back to the cockpit", id="detail.close"),
    ]

    def __init__(self, title: str, text: Text) -> None:
        super().__init__()
        self._title = title
        self._text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-dialog", classes="dialog"):
            with VerticalScroll(id="detail-body"):
                yield Static(self._text, id="detail-text")
            yield Button("Close", id="detail-close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-dialog").border_title = self._title
        self.query_one("#detail-close").focus()

    def show(self, title: str, text: Text) -> None:
        """Another title and text, from the top (before the dialog is pushed again)."""
        self._title, self._text = title, text
        if self.is_mounted:
            self.query_one("#detail-dialog").border_title = title
            self.query_one("#detail-text", Static).update(text)
            self.query_one("#detail-body").scroll_home(animate=False, immediate=True)
            self.query_one("#detail-close").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


_DETAIL = "detail"  # the name the app's one detail dialog is installed under


def show_detail(app: App[object], title: str, text: Text) -> None:
    """`text` in the app's detail dialog (one per app, see `show_reused`)."""
    show_reused(
        app, _DETAIL, DetailScreen, lambda: DetailScreen(title, text), lambda d: d.show(title, text)
    )
