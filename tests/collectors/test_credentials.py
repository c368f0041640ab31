"""Passwords: keyring first, a prompt only on a terminal, a clear error otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import pytest

from ipsec_tui.collectors.credentials import SERVICE, get_password, keyring_problem
from ipsec_tui.collectors.inventory import PeerConfig, Tunnel
from ipsec_tui.collectors.run import resolve_passwords
from ipsec_tui.errors import UserError


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in a dict (what a test box can run)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the keyring is locked")


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def never(prompt: str) -> str:
    raise AssertionError("must not prompt")


def test_keyring_entry_is_used(restore_keyring: None) -> None:
    memory = MemoryKeyring()
    memory.set_password(SERVICE, "root@198.51.100.11", "s3cret")
    keyring.set_keyring(memory)
    assert keyring_problem() is None
    assert get_password("root", "198.51.100.11", interactive=False, prompt=never) == "s3cret"


def test_no_entry_prompts_on_a_terminal(restore_keyring: None) -> None:
    keyring.set_keyring(MemoryKeyring())
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    assert get_password("root", "h", interactive=True, prompt=prompt) == "typed"
    assert asked == ["SSH password for root@h: "]


def test_no_entry_and_no_terminal_says_how_to_store_it(restore_keyring: None) -> None:
    keyring.set_keyring(MemoryKeyring())
    with pytest.raises(UserError, match=r"keyring set ipsec-tui root@h") as error:
        get_password("root", "h", interactive=False, prompt=never)
    assert "no entry in the keyring" in str(error.value)


class EmptyChainer(keyring.backends.chainer.ChainerBackend):
    """What keyring's chainer is on a headless box: no backend to chain."""

    backends: list[keyring.backend.KeyringBackend] = []  # noqa: RUF012


@pytest.mark.parametrize("backend_class", [keyring.backends.fail.Keyring, EmptyChainer])
def test_headless_keyring_explains_and_falls_back(
    restore_keyring: None, backend_class: type[keyring.backend.KeyringBackend]
) -> None:
    keyring.set_keyring(backend_class())
    assert keyring_problem() is not None
    notes: list[str] = []
    assert get_password("u", "h", interactive=True, notify=notes.append, prompt=lambda _: "pw")
    assert len(notes) == 1 and "no keyring backend" in notes[0]
    with pytest.raises(UserError, match="no usable keyring"):
        get_password("u", "h", interactive=False, notify=notes.append, prompt=never)


def test_a_failing_keyring_does_not_traceback(restore_keyring: None) -> None:
    keyring.set_keyring(BrokenKeyring())
    notes: list[str] = []
    assert get_password("u", "h", interactive=True, notify=notes.append, prompt=lambda _: "pw")
    assert "locked" in notes[0]


def test_empty_typed_password_is_refused(restore_keyring: None) -> None:
    keyring.set_keyring(MemoryKeyring())
    with pytest.raises(UserError, match="no password given"):
        get_password("u", "h", interactive=True, prompt=lambda _: "")


def test_resolve_passwords_asks_once_per_login_before_collecting() -> None:
    from ipsec_tui.collectors.inventory import JumpHost

    a = PeerConfig(name="a", host="h1", platform="strongswan", username="u", auth="password")
    b = PeerConfig(
        name="b",
        host="h2",
        platform="strongswan",
        username="u",
        auth="password",
        jump_host=JumpHost("bastion", 22, "j"),
    )
    c = PeerConfig(name="c", host="h1", platform="strongswan", username="u", auth="key")
    asked: list[tuple[str, str]] = []

    def lookup(username: str, host: str) -> str:
        asked.append((username, host))
        return f"pw-{username}@{host}"

    assert resolve_passwords(Tunnel("t", (a, b)), lookup) == {
        ("u", "h1"): "pw-u@h1",
        ("j", "bastion"): "pw-j@bastion",
        ("u", "h2"): "pw-u@h2",
    }
    assert resolve_passwords(Tunnel("t", (c, c)), lookup) == {}
    assert len(asked) == 3
