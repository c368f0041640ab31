"""Live collection for the cockpit's main screen: the tunnel's passwords (the keyring first,
then a dialog per missing login, kept in memory for the next re-collect), both peers
collected in a thread with their progress, and cancel. It tells the screen that owns it what
happened in messages (ui/messages.py); the screen keeps the state."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from ipsec_tui.collectors.capture_io import new_capture_dir
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.collectors.run import ProgressEvent
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.platforms import PlatformSpec
from ipsec_tui.ui.live import (
    Credentials,
    Login,
    PeerProgress,
    collect,
    look_up_credentials,
    save_password,
)
from ipsec_tui.ui.messages import (
    CollectionFailed,
    CollectionFinished,
    CollectionStarted,
    PasswordSaved,
    PeerCollected,
    PeerProgressed,
    describe,
)


class LiveCollection:
    """Collects one live tunnel for `screen`, as often as asked; one collection at a time."""

    def __init__(
        self,
        screen: Screen[Any],
        tunnel: Tunnel,
        base: Path | None,
        specs: Mapping[str, PlatformSpec] | None = None,
    ) -> None:
        self._screen = screen
        self._tunnel = tunnel
        self._base = base  # where collection folders go (None: a new temporary folder)
        self._specs = specs  # platforms not shipped (tests), by peer name
        self._passwords: dict[tuple[str, str], str] = {}  # memory only, for re-collect
        self._worker: Worker[None] | None = None

    @property
    def passwords(self) -> tuple[str, ...]:
        """The passwords given so far: a bundle that still holds one is refused."""
        return tuple(dict.fromkeys(self._passwords.values()))

    @property
    def logins(self) -> dict[tuple[str, str], str]:
        """The passwords given so far by (username, host), memory only: a watch logs in
        with them."""
        return dict(self._passwords)

    def start(self, generation: int) -> Worker[None]:
        """Credentials, then the collection: CollectionStarted, progress, each peer's capture,
        then CollectionFinished (or CollectionFailed), all tagged with `generation`."""
        return self._screen.run_worker(
            partial(self._prepare, generation), group="live", exclusive=True, exit_on_error=False
        )

    def cancel(self) -> bool:
        """Stop after the running command (what was collected is kept); False: none runs."""
        worker = self._worker
        if worker is None or worker.is_finished:
            return False
        worker.cancelled_event.set()  # collect_tunnel checks it between commands
        return True

    # --- before the threads start -------------------------------------------------------

    async def _prepare(self, generation: int) -> None:
        try:
            credentials = await asyncio.to_thread(look_up_credentials, self._tunnel)
        except Exception as exc:  # a broken keyring backend: say it, no traceback
            self._post(CollectionFailed(f"collection failed: {describe(exc)}", generation))
            return
        refused = await self._ask_passwords(credentials)
        if refused is not None:
            self._post(
                CollectionFailed(f"not collected: no password given for {refused}", generation)
            )
            return
        try:
            out_dir = new_capture_dir(self._base, self._tunnel.name)
        except OSError as exc:
            self._post(
                CollectionFailed(f"cannot create a folder for the capture: {exc}", generation)
            )
            return
        a, b = (PeerProgress(peer.name, peer.host) for peer in self._tunnel.peers)
        self._post(CollectionStarted(out_dir, (a, b), generation))
        self._worker = self._screen.run_worker(
            partial(self._collect, generation, out_dir, dict(self._passwords)),
            group="collect",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    async def _ask_passwords(self, credentials: Credentials) -> str | None:
        """Asks for each login the keyring did not know; the account refused, else None."""
        from ipsec_tui.ui.screens.password import PasswordScreen

        self._passwords.update(credentials.passwords)
        for login in credentials.missing:
            if (login.username, login.host) in self._passwords:
                continue  # asked already (a jump host shared by both peers)
            answer = await self._screen.app.push_screen_wait(
                PasswordScreen(login, credentials.notes, credentials.keyring_problem)
            )
            if answer is None:
                return login.account
            self._passwords[(login.username, login.host)] = answer.password
            if answer.save:
                self._screen.run_worker(
                    partial(self._save, login, answer.password),
                    group="keyring",
                    thread=True,
                    exit_on_error=False,
                )
        return None

    def _save(self, login: Login, password: str) -> None:
        self._post(PasswordSaved(login.account, save_password(login, password)))

    # --- in the collection's thread -----------------------------------------------------

    def _collect(
        self, generation: int, out_dir: Path, passwords: dict[tuple[str, str], str]
    ) -> None:
        cancel = get_current_worker().cancelled_event
        lock = threading.Lock()
        states = {peer.name: PeerProgress(peer.name, peer.host) for peer in self._tunnel.peers}

        def on_progress(
            peer: str, index: int, total: int, command: str, event: ProgressEvent
        ) -> None:
            with lock:
                states[peer] = states[peer].advanced(index, total, command, event, time.monotonic())
                snapshot = states[peer]
            self._post(PeerProgressed(snapshot, generation))

        def on_capture(capture: PeerCapture) -> None:
            with lock:
                states[capture.name] = states[capture.name].with_capture(capture)
                snapshot = states[capture.name]
            self._post(PeerProgressed(snapshot, generation))
            self._post(PeerCollected(capture, generation))

        try:
            result = collect(
                self._tunnel,
                out_dir,
                passwords=passwords,
                on_progress=on_progress,
                on_capture=on_capture,
                cancel=cancel,  # the cancel key sets it; so does leaving the screen
                specs=self._specs,
            )
        except Exception as exc:  # refused command, bad platform...: say it, no traceback
            self._post(CollectionFailed(f"collection failed: {describe(exc)}", generation))
        else:
            self._post(CollectionFinished(result, generation))

    def _post(self, message: Message) -> None:
        self._screen.post_message(message)
