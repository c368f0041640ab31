"""The SSH password dialog: never echoed, kept in memory, saved to the keyring only when
asked and only when a keyring backend exists (on a headless box it explains why not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from ipsec_tui.ui.live import Login


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


class PasswordScreen(ModalScreen[PasswordAnswer | None]):
    """Asks for one login's password; dismisses with the answer, or None when cancelled."""

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
            with Horizontal(classes="buttons"):
                yield Button("Connect", id="password-ok", variant="primary", compact=True)
                yield Button("Cancel", id="password-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#password-dialog").border_title = "Password needed"
        self.query_one("#password-input", Input).focus()

    def _submit(self) -> None:
        password = self.query_one("#password-input", Input).value
        if not password:
            self.query_one("#password-error", Static).update("type the password, or Escape")
            return
        save = self.query_one("#password-save", Checkbox).value and self.keyring_problem is None
        self.dismiss(PasswordAnswer(password, save))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "password-ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
