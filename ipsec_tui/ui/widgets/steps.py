"""The ordered troubleshooting steps, each with its status mark and problem count."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ipsec_tui.domain.model import Status, StepResult
from ipsec_tui.ui.widgets.marks import STATUS_MARK, STATUS_STYLE


def step_prompt(step: StepResult) -> Text:
    problems = sum(1 for f in step.findings if f.status in (Status.FAIL, Status.WARN))
    text = Text()
    text.append(f"{STATUS_MARK[step.status]} ", style=STATUS_STYLE[step.status])
    text.append(step.title)
    if problems:
        text.append(f" ({problems})", style="bold")
    return text


class StepList(OptionList):
    """One option per step (id = step id); keeps the highlighted step across updates."""

    def show_steps(self, steps: tuple[StepResult, ...]) -> None:
        current = self.highlighted_option.id if self.highlighted_option else None
        self.set_options(Option(step_prompt(step), id=step.id) for step in steps)
        ids = [step.id for step in steps]
        if current in ids:
            self.highlighted = ids.index(current)
        elif steps:
            # open on the first step that did not pass: where the diagnosis comes from
            failing = [i for i, s in enumerate(steps) if s.status == Status.FAIL]
            self.highlighted = failing[0] if failing else 0
