"""Small dialogs: a capture, bundle or file to open, a bundle to write, a quick connection."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.widgets.select import NoSelection

from ipsec_tui.collectors.inventory import AUTH_METHODS, Tunnel, parse_inventory
from ipsec_tui.errors import UserError

T = TypeVar("T")


class FormDialog(ModalScreen[T]):
    """A modal form whose widgets' ids start with `NAME`: `#NAME-dialog` (titled on mount),
    its OK button `#NAME-ok` (runs `action_submit`), Cancel or Escape (dismiss with None) and
    `#NAME-error` for what is wrong with the answer."""

    NAME: ClassVar[str]
    TITLE: ClassVar[str] = ""
    FOCUS: ClassVar[str] = ""  # the widget (a CSS selector) the cursor starts in

    def buttons(self, ok: str, cancel: str = "Cancel") -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(ok, id=f"{self.NAME}-ok", variant="primary", compact=True)
            yield Button(cancel, id=f"{self.NAME}-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#{self.NAME}-dialog").border_title = self.title_text()
        self.query_one(self.FOCUS).focus()

    def title_text(self) -> str:
        return self.TITLE

    def problem(self, text: str) -> None:
        """Say what is wrong with the answer; the dialog stays open."""
        self.query_one(f"#{self.NAME}-error", Static).update(text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == f"{self.NAME}-ok":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_submit(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} reads no answer")

    def action_cancel(self) -> None:
        self.dismiss(None)


def path_problem(path: Path, want: str) -> str | None:
    """Why `path` does not fit `want`, or None. `want`: "dir" (a capture folder), "file" (an
    inventory), "capture" (a capture folder or a bundle), "new" (a bundle to write)."""
    from ipsec_tui.collectors.bundles import is_bundle_path

    if want == "dir" and not path.is_dir():
        return f"{path}: not a folder"
    if want == "file" and not path.is_file():
        return f"{path}: not a file"
    if want == "capture" and not (path.is_dir() or (path.is_file() and is_bundle_path(path))):
        return f"{path}: neither a capture folder nor a bundle (.zip)"
    if want == "new":
        if path.is_dir():
            return f"{path}: is a folder; give the bundle's file name (…/ticket.zip)"
        if path.exists():
            return f"{path}: already exists; choose another name"
        if not path.parent.is_dir():
            return f"{path.parent}: no such folder"
        if path.suffix.lower() != ".zip":
            return f"{path}: a bundle's name ends in .zip"
    return None


class PathScreen(FormDialog[Path | None]):
    """Asks for a path; `want` says what it must be (see `path_problem`)."""

    NAME = "path"
    FOCUS = "#path-input"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="path.cancel"),
    ]

    def __init__(
        self, title: str, prompt: str, want: str, value: str = "", *, ok_label: str = "Open"
    ) -> None:
        super().__init__()
        self._title, self._prompt, self._want, self._value = title, prompt, want, value
        self._ok_label = ok_label

    def compose(self) -> ComposeResult:
        with Vertical(id="path-dialog", classes="dialog"):
            yield Label(self._prompt)
            yield Input(self._value, placeholder="path", id="path-input")
            yield Static("", id="path-error", classes="error-text")
            yield from self.buttons(self._ok_label)

    def title_text(self) -> str:
        return self._title

    def action_submit(self) -> None:
        text = self.query_one("#path-input", Input).value.strip()
        path = Path(text).expanduser()
        problem = "type a path" if not text else path_problem(path, self._want)
        if problem:
            self.problem(problem)
            return
        self.dismiss(path)

    def on_input_submitted(self) -> None:
        self.action_submit()


def _peer_name(host: str, fallback: str) -> str:
    """A peer (and capture folder) name from its host: letters, digits, '.', '_', '-'."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", host).strip("-._")
    return name or fallback


def quick_tunnel(fields: dict[str, str], base: Path | None = None) -> Tunnel:
    """A one-tunnel inventory built from the quick-connect form, validated as any inventory."""

    def peer(side: str) -> dict[str, object]:
        host = fields[f"host_{side}"].strip()
        data: dict[str, object] = {"platform": fields[f"platform_{side}"]}
        if host.count(":") == 1:  # host:port (an IPv6 address has more colons)
            host, port = host.split(":")
            data["port"] = port
        data["host"] = host
        return data

    defaults: dict[str, object] = {"auth": fields["auth"]}
    for key in ("username", "key_file", "known_hosts"):
        if fields.get(key, "").strip():
            defaults[key] = fields[key].strip()
    a, b = peer("a"), peer("b")
    names = [_peer_name(str(a["host"]), "peerA"), _peer_name(str(b["host"]), "peerB")]
    if names[0] == names[1]:
        names = ["peerA", "peerB"]
    data = {
        "defaults": defaults,
        "tunnels": {"quick": {"peers": {names[0]: a, names[1]: b}}},
    }
    where = (base or Path.cwd()) / "quick-connect"
    return parse_inventory(data, where).tunnel("quick")


class QuickConnectScreen(FormDialog[Tunnel | None]):
    """Two hosts, their platforms, one login: a tunnel to collect without an inventory."""

    NAME = "quick"
    TITLE = "Quick connect"
    FOCUS = "#quick-host-a"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="quick.cancel"),
    ]

    def __init__(self, platforms: tuple[str, ...]) -> None:
        super().__init__()
        self._platforms = platforms

    def compose(self) -> ComposeResult:
        choices = [(name, name) for name in self._platforms]
        first: str | NoSelection = Select.NULL
        if self._platforms:
            first = "strongswan" if "strongswan" in self._platforms else self._platforms[0]
        with Vertical(id="quick-dialog", classes="dialog"):
            with Grid(id="quick-form"):
                yield Label("peer A host[:port]")
                yield Input(placeholder="198.51.100.11", id="quick-host-a", compact=True)
                yield Label("peer A platform")
                yield Select(
                    choices, value=first, allow_blank=False, id="quick-platform-a", compact=True
                )
                yield Label("peer B host[:port]")
                yield Input(placeholder="198.51.100.12", id="quick-host-b", compact=True)
                yield Label("peer B platform")
                yield Select(
                    choices, value=first, allow_blank=False, id="quick-platform-b", compact=True
                )
                yield Label("username")
                yield Input(placeholder="ops", id="quick-username", compact=True)
                yield Label("authentication")
                yield Select(
                    [(m, m) for m in AUTH_METHODS],
                    value="key",
                    allow_blank=False,
                    id="quick-auth",
                    compact=True,
                )
                yield Label("key file (auth key)")
                yield Input(placeholder="~/.ssh/id_ed25519", id="quick-key-file", compact=True)
                yield Label("known_hosts")
                yield Input(placeholder="~/.ssh/known_hosts", id="quick-known-hosts", compact=True)
            yield Static("", id="quick-error", classes="error-text")
            yield from self.buttons("Collect")

    def _value(self, selector: str) -> str:
        widget = self.query_one(selector)
        if isinstance(widget, Select):
            value = widget.value
            return "" if value is Select.NULL else str(value)
        assert isinstance(widget, Input)
        return widget.value

    def action_submit(self) -> None:
        fields = {
            "host_a": self._value("#quick-host-a"),
            "platform_a": self._value("#quick-platform-a"),
            "host_b": self._value("#quick-host-b"),
            "platform_b": self._value("#quick-platform-b"),
            "username": self._value("#quick-username"),
            "auth": self._value("#quick-auth"),
            "key_file": self._value("#quick-key-file"),
            "known_hosts": self._value("#quick-known-hosts"),
        }
        if fields["auth"] != "key":
            fields["key_file"] = ""
        try:
            tunnel = quick_tunnel(fields)
        except UserError as exc:
            self.problem(str(exc).split(": ", 1)[-1])  # without the made-up file name
            return
        self.dismiss(tunnel)

    def on_input_submitted(self) -> None:
        self.action_submit()
