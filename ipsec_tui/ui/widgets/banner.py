"""The diagnosis banner: the cause, the side to fix and the next action, in three lines."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ipsec_tui.domain.causes import DIAGNOSIS_CAUSES
from ipsec_tui.domain.model import Diagnosis


@dataclass(frozen=True)
class BannerState:
    """What the banner says: a diagnosis, or what is going on before there is one."""

    diagnosis: Diagnosis | None = None
    waiting: str = ""  # e.g. "collecting siteB…" while a partial result is shown
    error: str = ""


class DiagnosisBanner(Static):
    """Renders a `BannerState`; its classes (healthy/problem/error) drive the colours."""

    state: reactive[BannerState] = reactive(BannerState, always_update=True)

    def watch_state(self, state: BannerState) -> None:
        diagnosis = state.diagnosis
        self.set_class(bool(diagnosis and diagnosis.cause == "healthy"), "healthy")
        self.set_class(bool(diagnosis and diagnosis.cause != "healthy"), "problem")
        self.set_class(bool(state.error), "error")
        self.update(self._text(state))

    def _text(self, state: BannerState) -> Text:
        # one line each (cause, summary, next action), cut to the width: `d` shows it all
        text = Text(no_wrap=True, overflow="ellipsis")
        diagnosis = state.diagnosis
        if state.error:
            text.append("✘ ", style="bold")
            text.append(state.error)
            return text
        if diagnosis is None:
            text.append(state.waiting or "analysing…", style="italic")
            return text
        healthy = diagnosis.cause == "healthy"
        text.append("✔ " if healthy else "✘ ", style="bold")
        text.append(diagnosis.cause, style="bold reverse" if not healthy else "bold")
        if diagnosis.side:
            text.append("  fix on ")
            text.append(diagnosis.side, style="bold underline")
        meaning = DIAGNOSIS_CAUSES.get(diagnosis.cause)
        if meaning and meaning.lower() not in diagnosis.summary.lower():
            text.append(f"  ({meaning})", style="italic")
        if state.waiting:
            text.append(f"  [{state.waiting}]", style="italic")
        else:
            text.append("   (d: details)", style="dim")
        text.append("\n")
        text.append(diagnosis.summary)
        if diagnosis.next_action:
            text.append("\n→ next: ", style="bold")
            text.append(diagnosis.next_action)
        return text
