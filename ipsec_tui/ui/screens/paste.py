"""Paste the other side: the partner (or cloud provider) ran the commands on their peer and
sent what their terminal showed; it becomes the missing peer, beside the one collected."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Select, Static, TextArea

from ipsec_tui.ui.screens.dialogs import FormDialog
from ipsec_tui.ui.session import Transcript

_PEER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # as the inventory's peer names
PLACEHOLDER = "root@siteB:~# swanctl --list-sas\n…its output…\nroot@siteB:~# ip xfrm state\n…"


class PasteScreen(FormDialog[Transcript | None]):
    """A platform, a peer name and the transcript; dismisses with a `Transcript` (ctrl+s)."""

    NAME = "paste"
    FOCUS = "#paste-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Import", tooltip="Import the pasted side", id="paste.ok"),
        Binding("escape", "cancel", "Cancel", tooltip="Back without importing", id="paste.cancel"),
    ]

    def __init__(
        self,
        platforms: tuple[str, ...],
        *,
        side: str,
        transcript: Transcript,
        error: str = "",
    ) -> None:
        super().__init__()
        self.platforms = platforms
        self.side = side  # "A" or "B": where the pasted peer goes
        self.transcript = transcript  # the defaults, or what was pasted before a failure
        self.error = error

    def compose(self) -> ComposeResult:
        platform = self.transcript.platform
        if platform not in self.platforms and self.platforms:
            platform = self.platforms[0]
        with Vertical(id="paste-dialog", classes="dialog"):
            yield Static(
                f"What the other side's terminal showed (prompts, commands, outputs) becomes "
                f"peer {self.side}. Paging, colours and echoes are cleaned up; secrets are "
                "redacted before anything is written.",
                id="paste-about",
                classes="note",
            )
            with Grid(id="paste-form"):
                yield Label("platform")
                yield Select(
                    [(name, name) for name in self.platforms],
                    value=platform,
                    allow_blank=False,
                    id="paste-platform",
                    compact=True,
                )
                yield Label("peer name")
                yield Input(
                    self.transcript.peer_name,
                    placeholder="blank: the host in the prompts",
                    id="paste-peer",
                    compact=True,
                )
            yield TextArea(
                self.transcript.text,
                id="paste-text",
                soft_wrap=False,
                tab_behavior="focus",
                placeholder=PLACEHOLDER,
            )
            yield Static(self.error, id="paste-error", classes="error-text")
            yield from self.buttons("Import  ctrl+s", "Cancel  esc")

    def title_text(self) -> str:
        return f"Paste the other side (peer {self.side})"

    def on_input_submitted(self) -> None:
        self.query_one("#paste-text").focus()

    def action_submit(self) -> None:
        text = self.query_one("#paste-text", TextArea).text
        name = self.query_one("#paste-peer", Input).value.strip()
        platform = self.query_one("#paste-platform", Select).value
        if not isinstance(platform, str):
            problem = "pick the platform the commands ran on"
        elif not text.strip():
            problem = "paste the transcript first (your terminal's paste, e.g. ctrl+shift+v)"
        elif name and not _PEER_NAME.match(name):
            problem = f"peer name {name!r}: use letters, digits, '.', '_' and '-' only"
        else:
            self.dismiss(Transcript(text, platform, name))
            return
        self.problem(problem)
