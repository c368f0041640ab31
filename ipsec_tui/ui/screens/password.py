"""The SSH password dialog: never echoed, kept in memory, saved to the keyring only when
asked and only when a keyring backend exists (on a headless box it explains why not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Label, Static

from ipsec_tui.ui.live import Login
from ipsec_tui.ui.screens.dialogs import FormDialog


@dataclass(frozen=True)
class PasswordAnswer:
    """What was typed, and whether to keep it in the keyring."""

    password: str
    save: bool = False

    def __repr__(self) -> str:  # a password never reaches a log or a traceback
        return f"PasswordAnswer(password='***', save={self.save})"


ALTERNATIVES = (
    "Alternatives: an SSH key (auth: key, key_file: ...) or your SSH agent (auth: agent) in "
    "the inventory; or type the password each time (kept in memory only, never on disk)."
)


class PasswordScreen(FormDialog[PasswordAnswer | None]):
    """Asks for one login's password; dismisses with the answer, or None when cancelled."""

    NAME = "password"
    TITLE = "Password needed"
    FOCUS = "#password-input"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Do not collect", id="password.cancel"),
    ]

    def __init__(
        self, login: Login, notes: tuple[str, ...] = (), keyring_problem: str | None = None
    ) -> None:
        super().__init__()
        self.login = login
        self.notes = notes
        self.keyring_problem = keyring_problem

    def compose(self) -> ComposeResult:
        with Vertical(id="password-dialog", classes="dialog"):
            yield Label(f"SSH password for [b]{self.login.account}[/b]", id="password-prompt")
            yield Input(
                password=True,
                placeholder="password (not shown)",
                id="password-input",
            )
            yield Checkbox(
                "save it in the keyring",
                id="password-save",
                disabled=self.keyring_problem is not None,
                compact=True,
            )
            if self.keyring_problem is not None:
                yield Static(
                    f"The keyring cannot be used here: {self.keyring_problem}.\n{ALTERNATIVES}",
                    id="password-keyring-note",
                    classes="note",
                )
            else:
                yield Static(
                    f"No keyring entry for {self.login.account} (service ipsec-tui).",
                    id="password-keyring-note",
                    classes="note",
                )
            yield Static("", id="password-error", classes="error-text")
            yield from self.buttons("Connect")

    def action_submit(self) -> None:
        password = self.query_one("#password-input", Input).value
        if not password:
            self.problem("type the password, or Escape")
            return
        save = self.query_one("#password-save", Checkbox).value and self.keyring_problem is None
        self.dismiss(PasswordAnswer(password, save))

    def on_input_submitted(self) -> None:
        self.action_submit()
