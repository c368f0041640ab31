"""Collect both peers of a tunnel at once and write the capture folder.

One thread per peer, so the pair takes about as long as the slower peer. A failing peer
(unreachable, authentication or host key refused, timeouts) never stops the other: its
error goes into its peer.yml, whatever was collected is kept, and the result says what
failed. Passwords are looked up (keyring or prompt) before the threads start, so nothing
prompts from a worker thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ipsec_tui.collectors.capture_io import write_capture_index, write_peer
from ipsec_tui.collectors.credentials import get_password
from ipsec_tui.collectors.inventory import PeerConfig, Tunnel
from ipsec_tui.collectors.progress import ProgressCallback, ProgressEvent, utc_now
from ipsec_tui.domain.capture import CommandRecord, PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, load_platform

if TYPE_CHECKING:
    from ipsec_tui.collectors.ssh import PeerSession

__all__ = [
    "CollectionResult",
    "PeerResult",
    "ProgressCallback",
    "ProgressEvent",
    "collect_tunnel",
    "open_sessions",
    "resolve_passwords",
    "summary_lines",
]

PasswordLookup = Callable[[str, str], str]  # (username, host) -> password


@dataclass(frozen=True)
class PeerResult:
    """How collecting one peer went, and where its capture was written."""

    name: str
    capture: PeerCapture
    path: Path | None  # the peer folder; None if writing it failed
    started_at: str  # wall clock, UTC, around the whole peer (connect included)
    finished_at: str
    elapsed: float  # seconds
    write_error: str | None = None

    @property
    def commands_ok(self) -> int:
        return sum(1 for record in self.capture.commands if record.ok)

    @property
    def commands_failed(self) -> int:
        return len(self.capture.commands) - self.commands_ok

    @property
    def failed_commands(self) -> tuple[CommandRecord, ...]:
        return tuple(record for record in self.capture.commands if not record.ok)

    @property
    def ok(self) -> bool:
        """Fully collected and written: no peer error, every command ok."""
        return (
            self.capture.error is None
            and self.write_error is None
            and self.path is not None
            and self.commands_failed == 0
        )

    @property
    def problem(self) -> str | None:
        """One line saying what failed, or None."""
        if self.write_error:
            return self.write_error
        if self.capture.error:
            return self.capture.error
        if self.commands_failed:
            first = self.failed_commands[0]
            more = f" (+{self.commands_failed - 1} more)" if self.commands_failed > 1 else ""
            return f"{first.command!r}: {first.error}{more}"
        return None


@dataclass(frozen=True)
class CollectionResult:
    """The outcome of collecting a tunnel: per peer, in inventory order."""

    tunnel: str
    out_dir: Path
    peers: tuple[PeerResult, ...] = field(default_factory=tuple)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.peers) and all(peer.ok for peer in self.peers) and not self.cancelled

    @property
    def failures(self) -> tuple[str, ...]:
        """``peer: what failed`` for each peer that did not fully succeed."""
        return tuple(f"{peer.name}: {peer.problem}" for peer in self.peers if peer.problem)


def resolve_passwords(
    tunnel: Tunnel, lookup: PasswordLookup | None = None
) -> dict[tuple[str, str], str]:
    """Passwords for every ``auth: password`` login of the tunnel (peers and jump hosts),
    keyed by (username, host); asked once each, before any thread starts."""
    lookup = lookup or (lambda username, host: get_password(username, host))
    passwords: dict[tuple[str, str], str] = {}
    for peer in tunnel.peers:
        if peer.auth != "password":
            continue
        logins = [(peer.username, peer.host)]
        if peer.jump_host is not None:
            logins.insert(0, (peer.jump_username, peer.jump_host.host))
        for login in logins:
            if login not in passwords:
                passwords[login] = lookup(*login)
    return passwords


def collect_tunnel(
    tunnel: Tunnel,
    out_dir: str | Path,
    *,
    specs: Mapping[str, PlatformSpec] | None = None,
    commands: Mapping[str, list[str]] | None = None,
    passwords: Mapping[tuple[str, str], str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    sessions: Mapping[str, PeerSession] | None = None,
) -> CollectionResult:
    """Collect both peers concurrently into ``out_dir``/<peer>/, then write capture.yml.

    ``specs`` and ``commands`` are keyed by peer name (default: the peer's shipped platform
    and all its facts' commands, followed where one does not answer by the platform's
    fallback for it, e.g. `ipsec statusall` where `swanctl` is missing). Every command of
    both peers, fallbacks included, is checked against its allowlist before anything
    connects (CommandRefused otherwise). If the calling thread is
    interrupted (Ctrl-C), the peers are cancelled between commands, what was collected is
    written, and KeyboardInterrupt propagates. ``sessions`` (by peer name) are open sessions
    to collect over and leave open (the probe, a watch); other peers get their own.
    """
    # Netmiko and paramiko load when something is collected, not with this module
    from ipsec_tui.collectors.ssh import collect_peer, tool_version

    folder = Path(out_dir)
    cancel = cancel or threading.Event()
    chosen: dict[str, PlatformSpec] = {}
    for peer in tunnel.peers:
        spec = (specs or {}).get(peer.name) or load_platform(peer.platform)
        chosen[peer.name] = spec
        wanted = (commands or {}).get(peer.name)
        for command in wanted if wanted is not None else spec.commands(peer.overrides):
            spec.check_allowed(command, peer.overrides)  # fail before anything connects
            # and what may run instead where it does not answer (the platform's fallbacks)
            for instead in spec.fallback_commands(command, peer.overrides):
                spec.check_allowed(instead, peer.overrides)
    if passwords is None:
        passwords = resolve_passwords(tunnel)
    # Secrets never reach disk: passwords are redacted verbatim wherever they appear, and one
    # salt per run (memory only) makes the PSK fingerprints of both peers comparable.
    known_secrets = tuple(passwords.values())
    salt = os.urandom(16)
    folder.mkdir(parents=True, exist_ok=True)

    results: dict[str, PeerResult] = {}

    def work(peer: PeerConfig) -> None:
        started_at, started = utc_now(), time.monotonic()
        password = passwords.get((peer.username, peer.host))
        jump_password = (
            passwords.get((peer.jump_username, peer.jump_host.host)) if peer.jump_host else None
        )
        try:
            if chosen[peer.name].transport == "files":  # a cloud: read here, never sent
                from ipsec_tui.collectors.cloud import read_cloud_peer

                capture = read_cloud_peer(peer, chosen[peer.name])
            else:
                capture = collect_peer(
                    peer,
                    chosen[peer.name],
                    commands=(commands or {}).get(peer.name),
                    password=password,
                    jump_password=jump_password,
                    cancel=cancel,
                    progress=progress,
                    session=(sessions or {}).get(peer.name),
                )
        except Exception as exc:  # a bug must not lose the other peer: record it
            capture = PeerCapture(
                name=peer.name,
                platform=chosen[peer.name].name,
                host=peer.host,
                collected_at=started_at,
                error=f"collection crashed: {type(exc).__name__}: {exc}",
                login_commands=chosen[peer.name].login_commands,
            )
        capture = replace(capture, connection=peer.connection)  # what the checks scope to
        path: Path | None = None
        write_error: str | None = None
        try:
            path = write_peer(
                folder / peer.name,
                capture,
                port=peer.port,
                tool_version=tool_version(),
                salt=salt,
                known_secrets=known_secrets,
            ).parent
        except OSError as exc:
            write_error = f"could not write {folder / peer.name}: {exc}"
        except UserError as exc:  # redaction refused to write a secret
            write_error = str(exc)
        results[peer.name] = PeerResult(
            name=peer.name,
            capture=capture,
            path=path,
            started_at=started_at,
            finished_at=utc_now(),
            elapsed=time.monotonic() - started,
            write_error=write_error,
        )
        if progress is not None and path is not None:
            total = len(capture.commands)
            progress(peer.name, 0, total, "", ProgressEvent.PEER_WRITTEN)

    threads = [
        threading.Thread(target=work, args=(peer,), name=f"collect-{peer.name}", daemon=True)
        for peer in tunnel.peers
    ]
    for thread in threads:
        thread.start()
    interrupted = False
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.2)
    except KeyboardInterrupt:
        interrupted = True
        cancel.set()
        for thread in threads:
            thread.join()
    finished = [results[peer.name] for peer in tunnel.peers if peer.name in results]
    written = [peer.name for peer in finished if peer.path is not None]
    write_capture_index(folder, tunnel.name, written, tunnel.description or None)
    result = CollectionResult(
        tunnel=tunnel.name,
        out_dir=folder,
        peers=tuple(finished),
        cancelled=cancel.is_set(),
    )
    if interrupted:
        raise KeyboardInterrupt
    return result


def summary_lines(result: CollectionResult) -> list[str]:
    """One line per peer (status, commands ok/failed, elapsed, path), then the problems."""
    lines = [f"tunnel {result.tunnel}: capture in {result.out_dir}"]
    width = max((len(peer.name) for peer in result.peers), default=0)
    for peer in result.peers:
        status = "ok" if peer.ok else "FAILED"
        where = str(peer.path) if peer.path else "(not written)"
        lines.append(
            f"  {peer.name:<{width}}  {status:<6}  {peer.commands_ok} ok, "
            f"{peer.commands_failed} failed  {peer.elapsed:.1f}s  {where}"
        )
    lines.extend(f"  ! {failure}" for failure in result.failures)
    if result.cancelled:
        lines.append("  ! cancelled")
    return lines


def open_sessions(
    tunnel: Tunnel,
    passwords: Mapping[tuple[str, str], str],
    specs: Mapping[str, PlatformSpec] | None = None,
) -> tuple[dict[str, PeerSession], dict[str, str]]:
    """Log in to every peer of the tunnel at once; (open sessions, login errors) by peer name.
    The caller closes the sessions (PeerSession.close) when done with them."""
    from ipsec_tui.collectors.ssh import PeerSession  # Netmiko loads when a session opens

    sessions: dict[str, PeerSession] = {}
    errors: dict[str, str] = {}

    def login(peer: PeerConfig) -> None:
        password = passwords.get((peer.username, peer.host))
        jump_password = (
            passwords.get((peer.jump_username, peer.jump_host.host)) if peer.jump_host else None
        )
        try:
            sessions[peer.name] = PeerSession(
                peer,
                (specs or {}).get(peer.name),
                password=password,
                jump_password=jump_password,
            )
        except UserError as exc:
            errors[peer.name] = str(exc)
        except Exception as exc:  # a bug must not hide the other peer's login
            errors[peer.name] = f"login crashed: {type(exc).__name__}: {exc}"

    threads = [
        threading.Thread(target=login, args=(peer,), name=f"login-{peer.name}", daemon=True)
        for peer in tunnel.peers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sessions, errors
