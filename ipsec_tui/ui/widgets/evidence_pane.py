"""Both peers' raw output behind the selected finding, side by side, scrolled to its lines."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from ipsec_tui.ui.evidence import EvidenceDoc
from ipsec_tui.ui.widgets.text_lines import TextLines


class EvidenceColumn(Vertical):
    """One peer: a title line (file, lines, n of m) over the text."""

    def __init__(self, side: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="evidence-column")
        self.side = side

    def compose(self) -> ComposeResult:
        yield Static("", classes="evidence-title")
        yield TextLines(id=f"evidence-text-{self.side}", classes="evidence-text")

    def show(self, doc: EvidenceDoc) -> None:
        title = self.query_one(".evidence-title", Static)
        title.update(f"{doc.peer}: {doc.title}", layout=False)  # one line, fixed height
        self.query_one(TextLines).doc = doc

    @property
    def doc(self) -> EvidenceDoc | None:
        return self.query_one(TextLines).doc


class EvidencePane(Horizontal):
    """Peer A's evidence left, peer B's right."""

    ALLOW_MAXIMIZE = True

    def compose(self) -> ComposeResult:
        yield EvidenceColumn("a", id="evidence-a")
        yield EvidenceColumn("b", id="evidence-b")

    def show(self, a: EvidenceDoc, b: EvidenceDoc) -> None:
        self.query_one("#evidence-a", EvidenceColumn).show(a)
        self.query_one("#evidence-b", EvidenceColumn).show(b)
