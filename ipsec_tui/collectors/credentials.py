"""Passwords for ``auth: password`` peers: from the keyring, else typed at a prompt.

The keyring entry is service ``ipsec-tui``, username ``user@host`` (store one with
``keyring set ipsec-tui user@host``). A password is only ever held in memory: never written
to disk, a capture, a log or an error message. The keyring package is imported when a
password is looked up or stored, not with the cockpit (it takes tens of milliseconds).
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from ipsec_tui.errors import UserError

SERVICE = "ipsec-tui"

Notify = Callable[[str], None]
Prompt = Callable[[str], str]


def keyring_username(username: str, host: str) -> str:
    """The keyring's username for a login: ``user@host``."""
    return f"{username}@{host}"


def keyring_problem() -> str | None:
    """Why the keyring cannot be used here (headless box, no backend), or None if it can."""
    import keyring
    import keyring.backends.chainer
    import keyring.backends.fail

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend config must not stop a collection
        return f"the keyring could not be opened ({type(exc).__name__}: {exc})"
    if isinstance(backend, keyring.backends.fail.Keyring) or (
        isinstance(backend, keyring.backends.chainer.ChainerBackend) and not backend.backends
    ):
        return (
            "no keyring backend is available on this machine (common on headless servers: "
            "no Secret Service or KWallet); install and configure one to store passwords"
        )
    return None


def store_password(username: str, host: str, password: str) -> str | None:
    """Save a password in the keyring, only when asked; None when stored, else why not
    (no backend, locked keyring...). Never raises: the password stays usable in memory."""
    import keyring

    problem = keyring_problem()
    if problem is not None:
        return problem
    try:
        keyring.set_password(SERVICE, keyring_username(username, host), password)
    except Exception as exc:  # locked keyring, D-Bus trouble: say so, keep the password
        return f"the keyring refused it ({type(exc).__name__}: {exc})"
    return None


def _stderr(message: str) -> None:
    print(f"ipsec-tui: {message}", file=sys.stderr)


def get_password(
    username: str,
    host: str,
    *,
    interactive: bool | None = None,
    notify: Notify = _stderr,
    prompt: Prompt = getpass.getpass,
) -> str:
    """The password for ``username@host``: keyring first, then a prompt on a terminal.

    ``interactive`` defaults to whether stdin is a terminal; without one and without a
    keyring entry this is a UserError saying how to store the password.
    """
    import keyring

    account = keyring_username(username, host)
    problem = keyring_problem()
    if problem is None:
        try:
            password = keyring.get_password(SERVICE, account)
        except Exception as exc:  # locked keyring, D-Bus trouble...: explain, then prompt
            problem = f"the keyring failed ({type(exc).__name__}: {exc})"
        else:
            if password:
                return password
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if problem is not None:
        notify(f"{problem}; asking for the password of {account} instead")
    if not interactive:
        where = (
            f"no usable keyring: {problem}"
            if problem
            else f"no entry in the keyring (service {SERVICE!r}, username {account!r})"
        )
        raise UserError(
            f"need the SSH password of {account} but there is {where}, and no terminal to "
            f"ask on. Store it with `keyring set {SERVICE} {account}`, or run interactively."
        )
    password = prompt(f"SSH password for {account}: ")
    if not password:
        raise UserError(f"no password given for {account}")
    return password
