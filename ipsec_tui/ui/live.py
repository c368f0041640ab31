"""Live collection for the cockpit, with no Textual in it: credentials looked up before the
threads start, per-peer progress as frozen snapshots, each peer's capture read back from disk
(redacted, as written) the moment it is written, so results show as they arrive."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ipsec_tui.collectors.capture_io import read_peer
from ipsec_tui.collectors.credentials import (
    get_password,
    keyring_problem,
    keyring_username,
    store_password,
)
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.collectors.run import CollectionResult, ProgressEvent, collect_tunnel
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, available_platforms


@dataclass(frozen=True)
class Login:
    """An SSH login that needs a password (a peer's, or its jump host's)."""

    username: str
    host: str

    @property
    def account(self) -> str:
        return keyring_username(self.username, self.host)


@dataclass(frozen=True)
class Credentials:
    """What the keyring gave, what is still missing, and why (notes)."""

    passwords: Mapping[tuple[str, str], str]
    missing: tuple[Login, ...]
    notes: tuple[str, ...]
    keyring_problem: str | None


def password_logins(tunnel: Tunnel) -> list[Login]:
    """Every login of the tunnel that uses `auth: password`, jump hosts first, once each."""
    logins: list[Login] = []
    for peer in tunnel.peers:
        if peer.auth != "password":
            continue
        wanted = [Login(peer.username, peer.host)]
        if peer.jump_host is not None:
            wanted.insert(0, Login(peer.jump_username, peer.jump_host.host))
        logins += [login for login in wanted if login not in logins]
    return logins


def look_up_credentials(tunnel: Tunnel) -> Credentials:
    """The keyring's passwords for the tunnel's password logins; the rest are `missing`.

    Never prompts: the cockpit asks for the missing ones in a dialog.
    """
    problem = keyring_problem()
    notes: list[str] = []
    passwords: dict[tuple[str, str], str] = {}
    missing: list[Login] = []
    for login in password_logins(tunnel):
        try:
            passwords[(login.username, login.host)] = get_password(
                login.username, login.host, interactive=False, notify=notes.append
            )
        except UserError:
            missing.append(login)
    return Credentials(passwords, tuple(missing), tuple(dict.fromkeys(notes)), problem)


def save_password(login: Login, password: str) -> str | None:
    """Store a password in the keyring; None when stored, else why not (never raises)."""
    return store_password(login.username, login.host, password)


# --- progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerProgress:
    """How far one peer's collection is: a snapshot, replaced at every event."""

    name: str
    host: str
    state: str = "waiting"  # waiting connecting running done failed cancelled
    index: int = 0  # the command running (1-based), or the last one
    total: int = 0
    command: str = ""
    ok: int = 0
    failed: int = 0
    started: float | None = None  # time.monotonic()
    finished: float | None = None
    error: str | None = None
    captured: bool = False  # its capture was written and read back

    def elapsed(self, now: float | None = None) -> float:
        if self.started is None:
            return 0.0
        end = self.finished if self.finished is not None else (now or time.monotonic())
        return max(0.0, end - self.started)

    @property
    def active(self) -> bool:
        return self.state in ("waiting", "connecting", "running")

    def advanced(
        self, index: int, total: int, command: str, event: ProgressEvent, now: float
    ) -> PeerProgress:
        """The snapshot after one progress event."""
        started = self.started if self.started is not None else now
        if event is ProgressEvent.CONNECTING:
            return replace(self, state="connecting", total=total, started=started)
        if event is ProgressEvent.CONNECTED:
            return replace(self, state="running", total=total, started=started)
        if event is ProgressEvent.COMMAND_STARTED:
            return replace(self, state="running", index=index, total=total, command=command)
        if event is ProgressEvent.COMMAND_OK:
            return replace(self, index=index, total=total, command=command, ok=self.ok + 1)
        if event is ProgressEvent.COMMAND_FAILED:
            return replace(self, index=index, total=total, command=command, failed=self.failed + 1)
        if event is ProgressEvent.PEER_FAILED:
            return replace(self, state="failed", finished=now, started=started)
        if event is ProgressEvent.PEER_DONE:
            return replace(self, state="done", finished=now, started=started)
        return self  # PEER_WRITTEN: see `with_capture`

    def with_capture(self, capture: PeerCapture) -> PeerProgress:
        """The snapshot once the peer's capture is on disk: its error, if any, is final."""
        state = self.state
        if capture.error == "cancelled":
            state = "cancelled"
        elif capture.error:
            state = "failed"
        elif state in ("waiting", "connecting", "running"):
            state = "done"
        return replace(self, state=state, error=capture.error, captured=True)


ProgressSink = Callable[[str, int, int, str, ProgressEvent], None]
CaptureSink = Callable[[PeerCapture], None]


def collect(
    tunnel: Tunnel,
    out_dir: Path,
    *,
    passwords: Mapping[tuple[str, str], str],
    on_progress: ProgressSink,
    on_capture: CaptureSink,
    cancel: threading.Event,
    specs: Mapping[str, PlatformSpec] | None = None,
) -> CollectionResult:
    """Collect both peers into `out_dir`; each peer's capture goes to `on_capture` as soon
    as it is written (read back from disk: what the screen shows is what was saved)."""
    platforms = set(available_platforms()) | {spec.name for spec in (specs or {}).values()}
    delivered: set[str] = set()
    lock = threading.Lock()

    def progress(peer: str, index: int, total: int, command: str, event: ProgressEvent) -> None:
        on_progress(peer, index, total, command, event)
        if event is ProgressEvent.PEER_WRITTEN:
            try:
                capture = read_peer(out_dir / peer, platforms=platforms)
            except (UserError, OSError):
                return  # reported below, once collect_tunnel returns
            with lock:
                delivered.add(peer)
            on_capture(capture)

    result = collect_tunnel(
        tunnel, out_dir, specs=specs, passwords=passwords, progress=progress, cancel=cancel
    )
    for peer in result.peers:
        if peer.name in delivered:
            continue
        # not written (disk full, redaction refused): show the failure, never the unredacted text
        on_capture(
            PeerCapture(
                name=peer.name,
                platform=peer.capture.platform,
                host=peer.capture.host,
                collected_at=peer.capture.collected_at,
                error=peer.problem or "its capture could not be read back",
            )
        )
    return result
