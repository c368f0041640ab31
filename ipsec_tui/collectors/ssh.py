"""Collect one peer over SSH with Netmiko: the only module that imports netmiko and paramiko.

Host keys are always verified against the peer's ``known_hosts`` file (Netmiko
``ssh_strict=True, system_host_keys=False, alt_host_keys=True, alt_key_file=...``): an
unknown key is refused with its type and SHA256 fingerprint and how to accept it, a changed
key is refused loudly. A jump host is reached with a paramiko client verified the same way,
and the peer through a ``direct-tcpip`` channel passed as Netmiko's ``sock``.

Every command goes through :meth:`PlatformSpec.check_allowed` before anything connects and
again right before it is sent. Each command is time-stamped (UTC, milliseconds) and bounded
by the peer's ``command_timeout`` over the whole read, and by ``MAX_OUTPUT_CHARS``: a command
that floods output is cut at either bound, what arrived is kept as its partial output with
the reason as its error, the device is interrupted (Ctrl-C) and the collection goes on.
Paramiko's and Netmiko's loggers are kept off the operator's terminal (a silent port makes
paramiko log a traceback from its transport thread): each failure is one line per peer.
Netmiko's session log is kept in memory only (Netmiko masks the login password in it); it
reaches a disk only inside a bundle, redacted like every output.

On a platform with ``compound`` (Linux peers) the whole command set goes out as one shell
line built by :mod:`ipsec_tui.collectors.compound` and is split back by its markers (one
round trip); network CLIs get one command at a time, each read up to the prompt the driver
found at login (Netmiko otherwise asks the device for its prompt again before every command).

The platform's ``clock`` fact (``date -u ...`` on Linux) measures the device's clock against
this host: offset = device time - midpoint of the command's local send and receive times.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import inspect
import io
import logging
import re
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import netmiko
import paramiko
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)
from netmiko.ssh_dispatcher import CLASS_MAPPER

from ipsec_tui import __version__
from ipsec_tui.collectors import compound
from ipsec_tui.collectors.capture_io import output_file_name
from ipsec_tui.collectors.inventory import PeerConfig
from ipsec_tui.collectors.progress import ProgressCallback, ProgressEvent, utc_now
from ipsec_tui.domain.capture import ClockReading, CommandRecord, PeerCapture, clock_reading
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, load_platform

_CTRL_C = "\x03"
# Most characters one command may print: a flood (`yes`, a runaway log) is cut here so memory
# stays bounded; a real IPsec log or configuration is far smaller.
MAX_OUTPUT_CHARS = 64 * 1024 * 1024
# Most characters one read takes from the channel: Netmiko's read loop checks its clock
# between reads, and its own read drains the channel until it is empty, which a flood never is.
_READ_CHUNK = 1024 * 1024
# Longest wait for the prompt after interrupting a command that was cut.
_RESYNC_SECONDS = 10.0
# A pattern a running command prints when it is ready, and the event set when it does.
Heard = tuple[re.Pattern[str], threading.Event]

# Paramiko logs failed handshakes (a port that accepts and never speaks) with a traceback
# through `logging`; with no handler configured, Python prints it on stderr. The reason
# reaches the operator as one line per peer (PeerConnectError), so these loggers keep quiet
# unless an application configures them on purpose.
for _name in ("paramiko", "netmiko"):
    _logger = logging.getLogger(_name)
    if not _logger.handlers:
        _logger.addHandler(logging.NullHandler())
        _logger.propagate = False
# Private keys tried, in this order, for `auth: key` without a key_file (as OpenSSH does).
_DEFAULT_KEY_FILES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")


class PeerConnectError(UserError):
    """The peer could not be reached or logged into; ``kind`` says which way it failed."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message, exit_code=1)
        self.kind = kind  # unreachable | auth | host-key-unknown | host-key-changed | ssh | ...


@dataclass(frozen=True)
class HostKey:
    """A server's public host key, as shown to an operator."""

    key_type: str
    fingerprint: str  # "SHA256:..." like ssh-keygen -l

    def __str__(self) -> str:
        return f"{self.key_type} {self.fingerprint}"


def tool_version() -> str:
    """What collected a capture, for peer.yml."""
    return f"ipsec-tui {__version__} (netmiko {netmiko.__version__})"


def host_key_of(key: paramiko.PKey) -> HostKey:
    """Type and SHA256 fingerprint (as ``ssh-keygen -l`` prints it) of a host key."""
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return HostKey(key.get_name(), f"SHA256:{digest}")


def known_hosts_name(host: str, port: int) -> str:
    """How known_hosts names a server: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def server_host_key(
    host: str, port: int = 22, *, timeout: float = 10.0, sock: Any = None
) -> HostKey:
    """Ask a server for its host key without logging in (like ``ssh-keyscan``)."""
    transport_sock = sock if sock is not None else socket.create_connection((host, port), timeout)
    transport = paramiko.Transport(transport_sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return host_key_of(transport.get_remote_server_key())
    finally:
        transport.close()
        _reap(transport)


def _reap(transport: paramiko.Transport | None) -> None:
    """Wait for a closed transport's ProxyCommand process (paramiko only kills it)."""
    if transport is None or not isinstance(transport.sock, paramiko.ProxyCommand):
        return
    sock = transport.sock
    with contextlib.suppress(Exception):
        # The transport's thread closes (kills) the proxy last thing: let it, then reap.
        if transport.is_alive():
            transport.join(timeout=5)
        sock.process.wait(timeout=5)
        for stream in (sock.process.stdin, sock.process.stdout, sock.process.stderr):
            if stream is not None:
                stream.close()


@dataclass(frozen=True)
class _Route:
    """Where Netmiko really connects: ssh_config_file may rename the host and add a proxy."""

    host: str
    port: int
    proxy_command: str | None = None


def _route(peer: PeerConfig) -> _Route:
    if peer.ssh_config_file is None or not peer.ssh_config_file.is_file():
        return _Route(peer.host, peer.port)
    # Mirrors netmiko BaseConnection._use_ssh_config, so the host key we look up and the
    # fingerprint we fetch are the ones Netmiko checked.
    config = paramiko.SSHConfig.from_path(str(peer.ssh_config_file))
    source = config.lookup(peer.host)
    port = int(source.get("port", peer.port)) if peer.port == 22 else peer.port
    host = str(source.get("hostname", peer.host))
    proxy: str | None = None
    if "proxycommand" in source:
        proxy = str(source["proxycommand"])
    elif "proxyjump" in source:
        hops = str(source["proxyjump"]).split(",")
        proxy = f"ssh -F {peer.ssh_config_file} -W {host}:{port} {hops[-1]}"
    return _Route(host, port, proxy)


def _key_file(peer: PeerConfig) -> Path:
    if peer.key_file is not None:
        if not peer.key_file.is_file():
            raise PeerConnectError(
                f"{peer.name}: key_file {peer.key_file} does not exist", kind="auth"
            )
        return peer.key_file
    for candidate in _DEFAULT_KEY_FILES:
        path = Path(candidate).expanduser()
        if path.is_file():
            return path
    raise PeerConnectError(
        f"{peer.name}: auth is 'key' but no key_file is set and none of "
        f"{', '.join(_DEFAULT_KEY_FILES)} exists",
        kind="auth",
    )


def _keyscan(host: str, port: int, known_hosts: Path) -> str:
    port_option = f"-p {port} " if port != 22 else ""
    return f"ssh-keyscan {port_option}{host} >> {known_hosts}"


_COMPARE = (
    "compare the fingerprint with the one the device's owner reads on the device "
    "(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)"
)


def _host_key_error(
    exc: BaseException,
    *,
    who: str,
    route: _Route,
    known_hosts: Path,
    fetch: Callable[[], HostKey],
) -> PeerConnectError | None:
    """A clear refusal if ``exc`` (or what it wraps) is a host-key rejection, else None."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, paramiko.BadHostKeyException):
            got = host_key_of(cause.key)
            expected = host_key_of(cause.expected_key)
            name = known_hosts_name(route.host, route.port)
            return PeerConnectError(
                f"{who}: HOST KEY CHANGED for {name}! {known_hosts} expects {expected} but "
                f"the server now presents {got}. Someone may be intercepting this connection "
                "(man in the middle), or the device was reinstalled or its keys replaced. "
                f"Nothing was sent. To accept the new key, {_COMPARE}; only if they match, "
                f"remove the old one with: ssh-keygen -R '{name}' -f {known_hosts} and add the "
                f"new one with: {_keyscan(route.host, route.port, known_hosts)}",
                kind="host-key-changed",
            )
        if isinstance(cause, paramiko.SSHException) and "not found in known_hosts" in str(cause):
            name = known_hosts_name(route.host, route.port)
            try:
                offered = f"it presents {fetch()}"
            except Exception as fetch_error:  # the refusal stands; say why we lack the key
                offered = f"its key could not be fetched to show it ({fetch_error})"
            missing = "" if known_hosts.is_file() else " (that file does not exist yet)"
            return PeerConnectError(
                f"{who}: unknown host key for {name}: not in {known_hosts}{missing}; "
                f"{offered}. Nothing was sent. To accept it, {_COMPARE}; only if they match, "
                f"run: {_keyscan(route.host, route.port, known_hosts)}",
                kind="host-key-unknown",
            )
        cause = cause.__cause__ or cause.__context__
    return None


# What paramiko says when a port accepts a TCP connection and never speaks SSH.
_NO_HANDSHAKE = ("No existing session", "Error reading SSH protocol banner")


def _connect_error(
    exc: BaseException,
    *,
    who: str,
    route: _Route,
    known_hosts: Path,
    fetch: Callable[[], HostKey],
    username: str,
) -> PeerConnectError:
    """Turn a Netmiko/paramiko/socket failure into one clear sentence with its kind."""
    host_key = _host_key_error(exc, who=who, route=route, known_hosts=known_hosts, fetch=fetch)
    if host_key is not None:
        return host_key
    target = f"{route.host}:{route.port}"
    if isinstance(exc, PeerConnectError):
        return exc
    if isinstance(exc, NetmikoAuthenticationException | paramiko.AuthenticationException):
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return PeerConnectError(
            f"{who}: authentication refused for {username}@{target} ({detail})", kind="auth"
        )
    # before the OSError test: a banner that never comes ends in a TimeoutError too
    chain: list[str] = []
    cause: BaseException | None = exc
    while cause is not None:
        chain.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    if any(mark in text for text in chain for mark in _NO_HANDSHAKE):
        return PeerConnectError(
            f"{who}: SSH to {target} failed: the port accepted the connection but no SSH "
            "handshake followed (no SSH server there, or it did not answer in time)",
            kind="ssh",
        )
    cause = exc
    while cause is not None:
        if isinstance(cause, OSError):
            reason = cause.strerror or str(cause) or type(cause).__name__
            if isinstance(cause, TimeoutError) and reason == "TimeoutError":
                reason = "timed out"
            return PeerConnectError(f"{who}: cannot reach {target}: {reason}", kind="unreachable")
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, NetmikoTimeoutException):
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = " ".join(lines[-2:]) if lines else "timed out"
        return PeerConnectError(f"{who}: SSH to {target} failed: {detail}", kind="ssh")
    return PeerConnectError(
        f"{who}: logged in to {target} but the session failed: {type(exc).__name__}: {exc}",
        kind="session",
    )


class _JumpTunnel:
    """A verified SSH client to the jump host and channels through it."""

    def __init__(self, peer: PeerConfig, password: str | None) -> None:
        assert peer.jump_host is not None
        self.peer = peer
        self.jump = peer.jump_host
        self.client = paramiko.SSHClient()
        if peer.known_hosts.is_file():
            self.client.load_host_keys(str(peer.known_hosts))
        self.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        route = _Route(self.jump.host, self.jump.port)
        who = f"{peer.name}: jump host {self.jump}"
        try:
            self.client.connect(
                hostname=self.jump.host,
                port=self.jump.port,
                username=peer.jump_username,
                password=password if peer.auth == "password" else None,
                key_filename=str(_key_file(peer)) if peer.auth == "key" else None,
                allow_agent=peer.auth == "agent",
                look_for_keys=False,
                timeout=peer.timeout,
                banner_timeout=peer.timeout,
                auth_timeout=peer.timeout,
            )
        except Exception as exc:
            self.client.close()
            raise _connect_error(
                exc,
                who=who,
                route=route,
                known_hosts=peer.known_hosts,
                fetch=lambda: server_host_key(self.jump.host, self.jump.port, timeout=peer.timeout),
                username=peer.jump_username,
            ) from exc

    def channel(self, host: str, port: int) -> paramiko.Channel:
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise PeerConnectError(
                f"{self.peer.name}: jump host {self.jump} closed the session", kind="unreachable"
            )
        try:
            return transport.open_channel(
                "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=self.peer.timeout
            )
        except (paramiko.SSHException, OSError) as exc:
            raise PeerConnectError(
                f"{self.peer.name}: jump host {self.jump} cannot reach {host}:{port}: {exc}",
                kind="unreachable",
            ) from exc

    def close(self) -> None:
        self.client.close()


def driver_class(spec: PlatformSpec, *, netmiko_waits: bool = False) -> type[Any]:
    """Netmiko's driver class for the platform, with the methods the platform marks as not
    read-only (``driver_skips``) replaced by no-ops that send nothing, and the prompt the
    driver found at login kept as ``found_prompt`` (every command then waits for it instead
    of Netmiko asking the device for its prompt again before each one).

    Its waits are event-driven (:func:`_event_driven`): the same bytes go out at login and
    for every command, but each wait ends when what it waits for arrives instead of after a
    fixed sleep. ``netmiko_waits`` keeps Netmiko's own sleeps and polls (the benchmarks
    measure against them)."""
    base: type[Any] = CLASS_MAPPER[spec.device_type]
    for method in spec.driver_skips:
        if not callable(getattr(base, method, None)):
            raise ValueError(
                f"{spec.name}: driver_skips names {method!r}, which {base.__name__} does not have"
            )

    def skipped(self: Any, *args: Any, **kwargs: Any) -> str:
        return ""

    def find_prompt(self: Any, *args: Any, **kwargs: Any) -> str:
        prompt = str(base.find_prompt(self, *args, **kwargs))
        self.found_prompt = prompt
        return prompt

    methods: dict[str, Any] = {} if netmiko_waits else _event_driven(base)
    methods.update({method: skipped for method in spec.driver_skips})
    methods["find_prompt"] = find_prompt
    name = f"ReadOnly{base.__name__}" if spec.driver_skips else f"Prompted{base.__name__}"
    return type(name, (base,), methods)


# --- waits: for what is awaited, never a fixed sleep ------------------------------------------

# Longest one read waits for data that has not come: Netmiko's shortest poll
# (read_until_pattern's loop delay), so no caller that loops on reads waits longer than with
# Netmiko's own polls; data that arrives ends the wait at once.
_READ_WAIT = 0.01
# Netmiko's send_command searches the whole output up to this size, then only its last reads.
_WHOLE_SEARCH_CHARS = 2_000_000
_RECENT_READS = 20


def _wait_readable(channel: Any, timeout: float) -> bool:
    """Wait until the paramiko channel has data to read, at most ``timeout`` seconds; True if
    it has. A closed channel (or one at its end) is never readable: the wait then lasts the
    whole ``timeout``, as Netmiko's polls would, instead of spinning."""
    if timeout <= 0:
        return False
    if channel is None or channel.closed or channel.eof_received:
        time.sleep(timeout)
        return False
    try:
        readable, _, _ = select.select([channel], [], [], timeout)
    except (OSError, ValueError):  # closed under us: as above
        time.sleep(timeout)
        return False
    return bool(readable)


def _read_until(connection: Any, pattern: str, seconds: float) -> str:
    """What the device prints within ``seconds``, returned as soon as ``pattern`` shows."""
    output = ""
    deadline = time.monotonic() + seconds
    while not re.search(pattern, output) and time.monotonic() < deadline:
        output += str(connection.read_channel())  # waits for data, at most _READ_WAIT
    return output


def _event_driven(base: type[Any]) -> dict[str, Any]:
    """Methods of Netmiko's driver whose fixed sleeps are replaced by waits for what they
    wait for (the device's answer, its prompt); what they send is Netmiko's, byte for byte
    (tests/vendors/test_emulated_e2e.py compares both drivers' logins on every platform).

    The channel's reader (:class:`_BoundedReader`, put in from the login on) waits for data
    instead of returning empty at once, so Netmiko's own pattern loops (read_until_pattern,
    its 10 ms sleeps) see the answer when it comes; what is left are the sleeps no read can
    cut short, replaced here:

    - ``_try_session_preparation`` sleeps 0.1 s after its first Enter "so there is data"
      (FortiOS's driver writes none, and keeps that default here): it now waits for the
      device's first output (at most those 0.1 s). Every platform's
      session_preparation then waits for a pattern anyway (the prompt on Linux, Junos,
      PAN-OS and FortiOS; the echo of the first command it writes on IOS and the ASA).
    - ``clear_buffer`` (around find_prompt's Enter) sleeps before each read and doubles the
      sleep while data comes: it drains what is there and returns once the channel stayed
      quiet for one read's wait, the same "nothing more in flight" it sleeps for.
    - ``send_command`` sleeps 25 ms before every read of the output, after the echo too:
      the same loop (echo read, first-line repaint, pattern search, Netmiko's output
      cleaning) reads as the data comes.
    - ``check_config_mode`` without a pattern (PAN-OS's, from its logout) writes an Enter
      and reads until the channel was quiet for 2 s, in case the prompt changed (a renamed
      router): a read-only session never renames it, so it reads up to the prompt found at
      login, which config mode's ``[edit]`` line comes before.
    - the ASA's ``asa_login`` sleeps 0.5 x delay factor (50 ms) before each read of the
      `login` dialogue: it now reads until Username:, Password: or the # prompt shows, within
      the same step, and answers exactly as Netmiko does.
    """

    def establish_connection(self: Any, *args: Any, **kwargs: Any) -> None:
        base.establish_connection(self, *args, **kwargs)
        _bounded_reader(self)  # from the login on: reads wait for data

    # the driver's own default: FortiOS's driver writes no first Enter
    writes_first = inspect.signature(base._try_session_preparation).parameters["force_data"]

    def _try_session_preparation(self: Any, force_data: bool = writes_first.default) -> None:
        try:
            if force_data:
                self.write_channel(self.RETURN)
                _wait_readable(self.remote_conn, 0.1)
            self.session_preparation()
        except Exception:
            self.disconnect()
            raise

    def clear_buffer(
        self: Any,
        backoff: bool = True,
        backoff_max: float = 3.0,
        delay_factor: float | None = None,
    ) -> str:
        output = ""
        for _ in range(10):  # Netmiko's bound on the reads
            data = str(self.read_channel())
            if not data:
                break
            output += str(self.strip_ansi_escape_codes(data))
        return output

    def send_command(
        self: Any,
        command_string: str,
        expect_string: str | None = None,
        read_timeout: float = 10.0,
        auto_find_prompt: bool = True,
        strip_prompt: bool = True,
        strip_command: bool = True,
        normalize: bool = True,
        cmd_verify: bool = True,
        **others: Any,
    ) -> Any:
        if any(value for value in others.values()):  # parsing, delay factors: Netmiko's own
            return base.send_command(
                self,
                command_string,
                expect_string=expect_string,
                read_timeout=read_timeout,
                auto_find_prompt=auto_find_prompt,
                strip_prompt=strip_prompt,
                strip_command=strip_command,
                normalize=normalize,
                cmd_verify=cmd_verify,
                **others,
            )
        if self.read_timeout_override:
            read_timeout = self.read_timeout_override
        if self.global_cmd_verify is not None:  # Netmiko's select_cmd_verify
            cmd_verify = self.global_cmd_verify
        search = (
            expect_string if expect_string is not None else self._prompt_handler(auto_find_prompt)
        )
        if normalize:
            command_string = self.normalize_cmd(command_string)
        deadline = time.monotonic() + read_timeout
        self.write_channel(command_string)
        cmd = command_string.strip()
        new_data = self.command_echo_read(cmd=cmd, read_timeout=10) if cmd and cmd_verify else ""
        output = ""
        recent: deque[str] = deque(maxlen=_RECENT_READS)
        first_line_done = False
        while True:
            if new_data:
                output += new_data
                recent.append(new_data)
                if not first_line_done:
                    output, first_line_done = self._first_line_handler(output, search)
                    if re.search(search, output):
                        break
                elif re.search(
                    search, output if len(output) <= _WHOLE_SEARCH_CHARS else "".join(recent)
                ):
                    break
            if time.monotonic() > deadline:
                raise ReadTimeout(f"Pattern not detected: {search!r} in output.")
            new_data = str(self.read_channel())  # waits for data, at most _READ_WAIT
        return self._sanitize_output(
            output,
            strip_command=strip_command,
            command_string=command_string,
            strip_prompt=strip_prompt,
        )

    def asa_login(self: Any) -> None:
        step = 0.5 * self.select_delay_factor(0)
        self.write_channel("login" + self.RETURN)
        self.read_until_pattern(pattern=r"login")
        for _ in range(10):
            output = _read_until(self, r"sername|ssword|#", step)
            if "sername" in output:
                self.write_channel(self.username + self.RETURN)
            elif "ssword" in output:
                self.write_channel(self.password + self.RETURN)
            elif "#" in output:
                return
            else:
                self.write_channel("login" + self.RETURN)
        raise NetmikoAuthenticationException("Unable to enter enable mode!")

    # the driver's own default pattern: PAN-OS's is empty (a timing read)
    config_check = inspect.signature(base.check_config_mode).parameters["pattern"].default

    def check_config_mode(self: Any, *args: Any, **kwargs: Any) -> bool:
        if args or kwargs.get("pattern", config_check) or not self.base_prompt:
            return bool(base.check_config_mode(self, *args, **kwargs))
        kwargs["pattern"] = re.escape(self.base_prompt)
        return bool(base.check_config_mode(self, **kwargs))

    methods: dict[str, Any] = {
        "waits_for_data": True,  # its channel reader waits for data (_bounded_reader)
        "check_config_mode": check_config_mode,
        "establish_connection": establish_connection,
        "_try_session_preparation": _try_session_preparation,
        "clear_buffer": clear_buffer,
        "send_command": send_command,
    }
    if callable(getattr(base, "asa_login", None)):
        methods["asa_login"] = asa_login
    return methods


def _connect(
    peer: PeerConfig,
    spec: PlatformSpec,
    password: str | None,
    jump: _JumpTunnel | None,
    session_log: io.BytesIO | None = None,
) -> Any:
    if peer.ssh_config_file is not None:
        if not peer.ssh_config_file.is_file():
            raise PeerConnectError(
                f"{peer.name}: ssh_config_file {peer.ssh_config_file} does not exist",
                kind="config",
            )
        try:
            route = _route(peer)
        except Exception as exc:  # unreadable or unparsable: say so instead of a traceback
            raise PeerConnectError(
                f"{peer.name}: cannot use ssh_config_file {peer.ssh_config_file}: {exc}",
                kind="config",
            ) from exc
    else:
        route = _route(peer)

    def fetch() -> HostKey:
        if jump is not None:
            return server_host_key(
                route.host,
                route.port,
                timeout=peer.timeout,
                sock=jump.channel(route.host, route.port),
            )
        if route.proxy_command is not None:
            return server_host_key(
                route.host,
                route.port,
                timeout=peer.timeout,
                sock=paramiko.ProxyCommand(route.proxy_command),
            )
        return server_host_key(route.host, route.port, timeout=peer.timeout)

    params: dict[str, Any] = {
        "device_type": spec.device_type,
        "host": peer.host,
        "port": peer.port,
        "username": peer.username,
        "password": password if peer.auth == "password" else None,
        "use_keys": peer.auth == "key",
        "allow_agent": peer.auth == "agent",
        # Host keys verified, only against this peer's known_hosts file.
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(peer.known_hosts),
        "conn_timeout": peer.timeout,
        "auth_timeout": peer.timeout,
        "banner_timeout": peer.timeout,
        # In memory only: it holds what the device printed, secrets included, until a
        # bundle redacts it. Netmiko masks the login password in it (its no_log).
        "session_log": session_log,
    }
    try:
        if peer.auth == "key":
            params["key_file"] = str(_key_file(peer))
        if jump is not None:
            params["sock"] = jump.channel(peer.host, peer.port)
        if peer.ssh_config_file is not None:
            params["ssh_config_file"] = str(peer.ssh_config_file)
        return driver_class(spec)(**params)
    except Exception as exc:
        raise _connect_error(
            exc,
            who=peer.name,
            route=route,
            known_hosts=peer.known_hosts,
            fetch=fetch,
            username=peer.username,
        ) from exc


class _OutputLimit(Exception):
    """A command printed more than the collector keeps."""


class _BoundedReader:
    """Stands in for a connection's ``channel.read_channel``: at most ``_READ_CHUNK`` per
    call, and while a command runs, a real bound on the whole read (its deadline, its
    character budget) plus a copy of what arrived, the partial output if it is cut.

    With ``wait`` (the event-driven driver), a call that finds nothing waits up to ``wait``
    seconds for data to arrive instead of returning empty at once, unless Netmiko still holds
    read data of its own (``pending``): a read loop then sees the answer when it comes."""

    def __init__(
        self, channel: Any, wait: float = 0.0, pending: Callable[[], bool] | None = None
    ) -> None:
        self.read_buffer = channel.read_buffer
        self.channel = channel.remote_conn  # the paramiko channel
        self.wait = wait
        self.pending = pending or (lambda: False)
        self.limit: int | None = None
        self.deadline = 0.0
        self.received: list[str] = []
        self.size = 0
        # a compound line's end markers: when each arrived (index -> UTC time)
        self.marker: re.Pattern[str] | None = None
        self.arrived: dict[int, str] = {}
        self._tail = ""
        # what the running command is expected to say when it is ready (see PeerSession.send)
        self.heard: Heard | None = None
        self._heard_tail = ""

    def start(
        self,
        limit: int,
        timeout: float,
        marker: re.Pattern[str] | None = None,
        heard: Heard | None = None,
    ) -> None:
        self.limit, self.deadline = limit, time.monotonic() + timeout
        self.received, self.size = [], 0
        self.marker, self.arrived, self._tail = marker, {}, ""
        self.heard, self._heard_tail = heard, ""

    def stop(self) -> None:
        self.limit = None
        self.received, self.size = [], 0
        self.marker, self._tail = None, ""
        self.heard, self._heard_tail = None, ""

    def _note_heard(self, output: str) -> None:
        assert self.heard is not None
        pattern, event = self.heard
        window = self._heard_tail + output
        if pattern.search(window):
            event.set()
            self.heard = None
        else:
            self._heard_tail = window[-256:]  # a line cut between two reads

    def _note_markers(self, output: str) -> None:
        assert self.marker is not None
        window = self._tail + output
        for found in self.marker.finditer(window):
            self.arrived.setdefault(int(found[1]), utc_now())
        self._tail = window[-128:]  # a marker cut between two reads

    def _drain(self) -> str:
        pieces: list[str] = []
        taken = 0
        while taken < _READ_CHUNK:
            piece = self.read_buffer()
            if not piece:
                break
            pieces.append(piece)
            taken += len(piece)
        return "".join(pieces)

    def __call__(self) -> str:
        output = self._drain()
        if not output and self.wait > 0 and not self.pending():
            wait = self.wait
            if self.limit is not None:  # never past the command's deadline
                wait = min(wait, max(self.deadline - time.monotonic(), 0.0))
            if _wait_readable(self.channel, wait):
                output = self._drain()
        if self.limit is None:
            return output
        if self.size + len(output) > self.limit:
            self.received.append(output[: self.limit - self.size])
            self.size = self.limit
            raise _OutputLimit
        self.received.append(output)
        self.size += len(output)
        if self.marker is not None and output:
            self._note_markers(output)
        if self.heard is not None and output:
            self._note_heard(output)
        # Netmiko reads the command's echo with a fixed 10 s timeout of its own: the deadline
        # here bounds every read the command makes
        if time.monotonic() > self.deadline:
            raise ReadTimeout("command timeout reached while reading")
        return output

    def partial(self, connection: Any, command: str) -> str:
        """What arrived before the command was cut, cleaned as Netmiko cleans an output:
        line ends normalised, escapes stripped where the driver strips them, and what came
        up to the command's echo (Netmiko's prompt search before it) removed."""
        text = str(connection.normalize_linefeeds("".join(self.received)))
        if getattr(connection, "ansi_escape_codes", False):
            text = str(connection.strip_ansi_escape_codes(text))
        echo = text.find(f"{command}\n", 0, 4096 + len(command))
        return text[echo + len(command) + 1 :] if echo >= 0 else text


def _bounded_reader(connection: Any) -> _BoundedReader:
    """Put a bounded reader in place of the connection channel's own (once)."""
    channel = connection.channel
    reader = getattr(channel, "read_channel", None)
    if isinstance(reader, _BoundedReader):
        return reader
    waits = bool(getattr(connection, "waits_for_data", False))
    bounded = _BoundedReader(
        channel, _READ_WAIT if waits else 0.0, lambda: bool(connection._read_buffer)
    )
    channel.read_channel = bounded
    return bounded


def _resync(connection: Any, timeout: float = _RESYNC_SECONDS) -> bool:
    """After a cut command: interrupt it and read (and drop) what is still in flight until
    the prompt comes back and the channel falls quiet; False if it does not within
    ``timeout``. Reads the channel directly: a flood's tail goes into no log."""
    try:
        connection.write_channel(_CTRL_C)
        prompt = str(connection.base_prompt)
        channel = connection.channel
        deadline = time.monotonic() + timeout
        tail = ""
        prompt_seen_at: float | None = None
        while time.monotonic() < deadline:
            piece = channel.read_buffer()
            if piece:
                tail = (tail + piece)[-4096:]
                last_line = tail.replace("\r", "\n").rsplit("\n", 1)[-1]
                prompt_seen_at = time.monotonic() if prompt in last_line else None
                continue
            if prompt_seen_at is not None and time.monotonic() - prompt_seen_at >= 0.3:
                return True
            time.sleep(0.05)
        return False
    except Exception:
        return False


def _alive(connection: Any) -> bool:
    # Not netmiko's is_alive(): that writes a NUL byte to the device's shell.
    channel = getattr(connection, "remote_conn", None)
    transport = getattr(channel, "transport", None)
    return bool(channel is not None and not channel.closed and transport and transport.is_active())


# --- pager: answered read-only (platforms whose driver would change config to disable it) ---

# What a pager leaves behind: its prompt, then the carriage returns and blanks (or
# backspaces) that erase it once the key was pressed. The last carriage return goes too;
# the indentation of the line after it stays. Netmiko's read_channel turns every lone
# carriage return into a line feed, so FortiOS's erase `\r` + blanks + `\r` reaches us as
# `\n` + blanks + `\n` (seen over SSH against tests/vendors/emulated.py's FortiGate).
_PAGER_DEBRIS = "[ \\b]*{prompt}[ \\b]*(?:\\n[ \\b]+\\n|(?:\\r[ \\b]*(?=\\r))*\\r?)"


def send_read_only(
    connection: Any, command: str, spec: PlatformSpec, timeout: float, prompt: str | None = None
) -> str:
    """Send one command and return its output; when the platform declares a pager (FortiOS
    `--More--`), answer each pause with its continue key until the prompt comes back and
    strip the pager's debris, instead of turning paging off in the configuration. With the
    ``prompt`` learnt at login the output ends where it comes back; without, Netmiko asks the
    device for its prompt first (a round trip and a fixed wait per command)."""
    if spec.pager is None:
        until = re.escape(prompt) if prompt else None
        return str(
            connection.send_command(
                command, expect_string=until, read_timeout=timeout, strip_prompt=True
            )
        )
    pager = re.escape(spec.pager.prompt)
    until = f"(?:{pager}|{re.escape(connection.base_prompt)})"
    deadline = time.monotonic() + timeout
    text = str(
        connection.send_command(
            command, expect_string=until, read_timeout=timeout, strip_prompt=False
        )
    )
    while re.search(f"{pager}[\\r\\b ]*$", text):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReadTimeout(f"no prompt after {timeout:g}s while paging {command!r}")
        connection.write_channel(spec.pager.continue_with)
        text += str(connection.read_until_pattern(pattern=until, read_timeout=remaining))
    text = re.sub(_PAGER_DEBRIS.format(prompt=pager), "", text).replace("\r\n", "\n")
    return str(connection.strip_prompt(text))


@dataclass(frozen=True)
class Sent:
    """What one command sent over an open session gave back."""

    command: str
    text: str | None  # the output, or what arrived before it was cut
    started_at: str
    finished_at: str
    error: str | None = None  # why there is no (whole) output
    session_lost: str | None = None  # the session is gone: nothing more can be sent
    exit_status: int | None = None  # the shell's $? (known in a compound line)
    timing: str | None = None  # "block": the times are bounds from a compound line


class PeerSession:
    """One open SSH session to a peer, kept for as many commands as the caller sends (a
    collection, the probe's readings and pings, a watch's samples) and closed once.

    Every command goes through the allowlist right before it is sent, is bounded by the
    peer's ``command_timeout`` and by ``max_output_chars``, and a cut command is interrupted
    and the prompt found again before the next one (or the session is declared lost).
    Raises PeerConnectError when it cannot log in."""

    def __init__(
        self,
        peer: PeerConfig,
        spec: PlatformSpec | None = None,
        *,
        password: str | None = None,
        jump_password: str | None = None,
        max_output_chars: int = MAX_OUTPUT_CHARS,
    ) -> None:
        self.peer = peer
        self.spec = spec or load_platform(peer.platform)
        self.max_output_chars = max_output_chars
        self.session_log = io.BytesIO()
        self.lost: str | None = None
        self._lock = threading.Lock()
        self._jump: _JumpTunnel | None = None
        try:
            if peer.jump_host is not None:
                self._jump = _JumpTunnel(
                    peer, jump_password if jump_password is not None else password
                )
            self._connection = _connect(peer, self.spec, password, self._jump, self.session_log)
        except BaseException:
            if self._jump is not None:
                self._jump.close()
            raise
        self._reader = _bounded_reader(self._connection)
        self._closed = False
        # the prompt Netmiko's driver found at login, which every command ends at
        found = getattr(self._connection, "found_prompt", None)
        self.prompt: str | None = (
            found.strip() if isinstance(found, str) and found.strip() else None
        )
        self._ended: str | None = None  # why the running command was ended early (end_soon)

    def __enter__(self) -> PeerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def logged(self) -> str:
        """Netmiko's session log so far (memory only; Netmiko masks the login password)."""
        return self.session_log.getvalue().decode("utf-8", errors="replace")

    def send(self, command: str, *, heard: Heard | None = None) -> Sent:
        """Send one allowlisted command and read its output (CommandRefused if not allowed).
        With ``heard`` (a pattern and an event), the event is set as soon as the pattern
        appears in what the command prints, while it still runs: a packet capture says
        it is listening long before it ends."""
        peer, spec, connection = self.peer, self.spec, self._connection
        spec.check_allowed(command, peer.overrides)  # again, right before sending
        with self._lock:
            started_at = utc_now()
            if self.lost is not None or self._closed:
                return Sent(command, None, started_at, started_at, self.lost or "session closed")
            error: str | None = None
            text: str | None = None
            self._ended = None
            self._reader.start(self.max_output_chars, peer.command_timeout, heard=heard)
            try:
                text = send_read_only(connection, command, spec, peer.command_timeout, self.prompt)
            except (ReadTimeout, _OutputLimit) as exc:
                partial = self._reader.partial(connection, command)
                if spec.shell and partial.startswith("\n"):  # the echo's line end (below)
                    partial = partial[1:]
                text = partial or None
                kept = f"{len(text)} characters kept as partial output" if text else "no output"
                reason = (
                    f"stopped after {self.max_output_chars} characters (output limit)"
                    if isinstance(exc, _OutputLimit)
                    else self._ended
                    or f"timed out after {peer.command_timeout:g} s (command_timeout)"
                )
                error = f"{reason}: {kept}; interrupted with Ctrl-C"
                if not _resync(connection, min(_RESYNC_SECONDS, max(peer.command_timeout, 2))):
                    self.lost = f"session lost: no prompt after the interrupt ({reason})"
            except Exception as exc:  # socket closed, EOF...: record it and see if we go on
                error = " ".join(f"{type(exc).__name__}: {exc}".split())
                if not _alive(connection):
                    self.lost = f"session lost: {error}"
            finally:
                self._reader.stop()
            # From a POSIX shell Netmiko strips the echoed command but leaves the echo's line
            # end behind. A network CLI's echo goes whole: a leading blank line there is the
            # device's own (IOS `show crypto isakmp policy` starts with one).
            if text is not None and spec.shell and text.startswith("\n"):
                text = text[1:]
            return Sent(command, text, started_at, utc_now(), error, self.lost)

    def end_soon(self, after: float, reason: str) -> None:
        """End the command running now (a packet capture that has seen what it was for)
        ``after`` seconds from now at the latest, as its timeout would: its output so far is
        kept, ``reason`` is its error. Called from another thread; no effect when idle."""
        self._ended = reason
        self._reader.deadline = min(self._reader.deadline, time.monotonic() + after)

    def send_block(
        self, commands: Sequence[str], *, nonce: str | None = None
    ) -> tuple[Sent | str, ...]:
        """Send allowlisted commands as one compound line (one round trip) and split what
        came back: per command its Sent, or why it must be sent alone after all (the line
        was cut, did not split, or the device has no ``timeout``). CommandRefused, before
        anything is sent, if any one command is not allowed.

        Bounds: the line is read within the sum of its commands' ``command_timeout`` (what
        one by one would allow them) and ``max_output_chars`` in all; a command that may
        hang is also stopped on the device by ``timeout`` after ``command_timeout``."""
        peer, spec, connection = self.peer, self.spec, self._connection
        block = compound.build(spec, commands, peer.command_timeout, peer.overrides, nonce=nonce)
        # each command's share, and a moment for `timeout` to stop one that hangs
        deadline = (block.timeout_s + 1.0) * len(block.commands)
        with self._lock:
            started_at = utc_now()
            if self.lost is not None or self._closed:
                return tuple(
                    Sent(c, None, started_at, started_at, self.lost or "session closed")
                    for c in block.commands
                )
            cut: str | None = None
            self._reader.start(self.max_output_chars, deadline, block.end_marker)
            try:
                # up to the prompt after the last end line, which the prompt's strip removes
                until = rf"{block.last_line}\s*\n[^\n]*{re.escape(str(connection.base_prompt))}"
                text = str(
                    connection.send_command(
                        block.text,
                        expect_string=until,
                        read_timeout=deadline,
                        cmd_verify=False,  # a long line's echo wraps at the terminal width
                        strip_prompt=True,
                    )
                )
            except (ReadTimeout, _OutputLimit) as exc:
                text = self._reader.partial(connection, block.text)
                cut = (
                    f"stopped after {self.max_output_chars} characters (output limit)"
                    if isinstance(exc, _OutputLimit)
                    else f"timed out after {deadline:g} s (command_timeout of each command)"
                )
                if not _resync(connection, min(_RESYNC_SECONDS, max(peer.command_timeout, 2))):
                    self.lost = f"session lost: no prompt after the interrupt ({cut})"
            except Exception as exc:
                failure = " ".join(f"{type(exc).__name__}: {exc}".split())
                if not _alive(connection):
                    self.lost = f"session lost: {failure}"
                text, cut = "", failure
            finally:
                arrived = dict(self._reader.arrived)
                self._reader.stop()
            finished_at = utc_now()
        try:
            parts = compound.split(block, text, complete=cut is None)
        except compound.SplitError as exc:
            return tuple(f"the compound line did not split: {exc}" for _ in block.commands)
        results: list[Sent | str] = []
        for index, command in enumerate(block.commands):
            if index >= len(parts):
                results.append(f"the compound line was cut before it ended: {cut}")
                continue
            part, wrapped = parts[index], block.wrapped[index]
            if wrapped and compound.timeout_missing(part):
                results.append("the device has no `timeout` for the compound line")
                continue
            error: str | None = None
            output: str | None = part.text
            if wrapped and part.exit_status == compound.TIMED_OUT:
                output = part.text or None
                kept = f"{len(part.text)} characters kept" if output else "no output"
                error = (
                    f"timed out after {block.timeout_s} s (command_timeout; stopped on the "
                    f"device by timeout): {kept}"
                )
            results.append(
                Sent(
                    command,
                    output,
                    started_at,
                    arrived.get(index + 1, finished_at),
                    error,
                    exit_status=part.exit_status,
                    timing="block",
                )
            )
        return tuple(results)

    def close(self) -> None:
        """Log out and free the SSH transport (and the jump host's), once."""
        if self._closed:
            return
        self._closed = True
        client = getattr(self._connection, "remote_conn_pre", None)
        transport = client.get_transport() if client is not None else None
        try:
            self._connection.disconnect()
        except Exception:  # a session already lost has nothing left to close cleanly
            pass
        finally:
            _reap(transport)
            if self._jump is not None:
                self._jump.close()


def collect_peer(
    peer: PeerConfig,
    spec: PlatformSpec | None = None,
    *,
    commands: Sequence[str] | None = None,
    password: str | None = None,
    jump_password: str | None = None,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
    max_output_chars: int = MAX_OUTPUT_CHARS,
    session: PeerSession | None = None,
) -> PeerCapture:
    """Log in to one peer, run its commands and return what it printed.

    ``spec`` defaults to the peer's shipped platform; ``commands`` to every fact's command;
    ``max_output_chars`` bounds what one command may print (the rest is cut). With an open
    ``session`` the commands go over it and it stays open (watch samples, the probe);
    otherwise a session is opened for this collection and closed at its end.
    A command with a platform fallback that does not answer (its program is missing, it
    printed nothing) is followed by the fallback's commands, recorded with
    ``fallback_for``/``fallback_when``; the commands in total grow by them.
    Raises CommandRefused (before connecting) if any command, or any fallback one of them
    may need, is not allowed; every other problem is recorded in the returned capture
    (``error`` for the peer, per command).
    """
    spec = session.spec if session is not None else spec or load_platform(peer.platform)
    if spec.transport != "ssh":  # a cloud's commands run on this machine, never on a device
        raise UserError(f"{peer.name}: platform {spec.name} has no shell to log in to")
    wanted = list(commands) if commands is not None else list(spec.commands(peer.overrides))
    planned = [spec.check_allowed(command, peer.overrides) for command in wanted]
    for command in list(planned):
        for instead in spec.fallback_commands(command, peer.overrides):
            spec.check_allowed(instead, peer.overrides)
    # fallback command -> (the command that did not answer, how it did not)
    fallback_of: dict[str, tuple[str, str]] = {}

    def report(index: int, command: str, event: ProgressEvent) -> None:
        if progress is not None:
            progress(peer.name, index, len(planned), command, event)

    collected_at = utc_now()
    records: list[CommandRecord] = []
    outputs: dict[str, str] = {}
    logged_before = len(session.logged) if session is not None else 0

    def capture(error: str | None, opened: PeerSession | None) -> PeerCapture:
        logged = opened.logged[logged_before:] if opened is not None else ""
        return PeerCapture(
            name=peer.name,
            platform=spec.name,
            host=peer.host,
            port=peer.port,
            collected_at=collected_at,
            commands=tuple(records),
            outputs=outputs,
            error=error,
            login_commands=spec.login_commands,
            tool_version=tool_version(),
            clock=_clock(spec, peer, records, outputs),
            session_log=logged or None,
        )

    def record(command: str, **fields: Any) -> CommandRecord:
        instead_of, condition = fallback_of.get(command, (None, None))
        return CommandRecord(
            command=command, fallback_for=instead_of, fallback_when=condition, **fields
        )

    def answered(index: int, sent: Sent, note: str | None = None) -> CommandRecord:
        """The record of a command that went out, and its fallback planned if it needs one
        (inserted right after it, as the one-by-one order runs it)."""
        command = sent.command
        file_name: str | None = None
        if sent.text is not None:
            file_name = output_file_name(command, outputs)
            outputs[file_name] = sent.text
        done = record(
            command,
            file=file_name,
            started_at=sent.started_at,
            finished_at=sent.finished_at,
            error=sent.error,
            timing=sent.timing,
            exit_status=sent.exit_status,
            note=note,
        )
        answer = sent.text if file_name is not None and sent.error is None else None
        fallback = (
            spec.fallback_for(command, answer, peer.overrides) if answer is not None else None
        )
        if fallback is not None:
            replacements, condition = fallback
            extra = [other for other in replacements if other not in planned]
            fallback_of.update(dict.fromkeys(extra, (command, condition)))
            planned[index + 1 : index + 1] = extra
        report(
            index + 1,
            command,
            ProgressEvent.COMMAND_FAILED if sent.error else ProgressEvent.COMMAND_OK,
        )
        return done

    def skip_rest(start: int, reason: str) -> None:
        for command in planned[start:]:
            records.append(record(command, error=reason))

    opened = session
    if opened is None:
        report(0, "", ProgressEvent.CONNECTING)
        try:
            opened = PeerSession(
                peer,
                spec,
                password=password,
                jump_password=jump_password,
                max_output_chars=max_output_chars,
            )
        except PeerConnectError as exc:
            skip_rest(0, f"not run: {exc.kind}")
            report(0, "", ProgressEvent.PEER_FAILED)
            return capture(str(exc), None)

    peer_error: str | None = None
    try:
        report(0, "", ProgressEvent.CONNECTED)
        if spec.compound is not None:  # one round trip per line; nothing left one by one
            peer_error = _collect_in_lines(
                opened, planned, records, record, answered, report, cancel
            )
        index = len(planned) if spec.compound is not None else -1
        while index + 1 < len(planned):  # a fallback adds commands after the current one
            index += 1
            command = planned[index]
            if cancel is not None and cancel.is_set():
                skip_rest(index, "cancelled before it was sent")
                peer_error = "cancelled"
                break
            report(index + 1, command, ProgressEvent.COMMAND_STARTED)
            sent = opened.send(command)
            records.append(answered(index, sent))
            if sent.session_lost is not None:
                skip_rest(index + 1, sent.session_lost)
                peer_error = sent.session_lost
                break
    finally:
        if session is None:
            opened.close()
    report(0, "", ProgressEvent.PEER_FAILED if peer_error else ProgressEvent.PEER_DONE)
    return capture(peer_error, opened)


@dataclass
class _Slot:
    """A planned command and, once it went out (or never will), its record."""

    command: str
    record: CommandRecord | None = None


def _collect_in_lines(
    opened: PeerSession,
    planned: list[str],
    records: list[CommandRecord],
    record: Callable[..., CommandRecord],
    answered: Callable[[int, Sent, str | None], CommandRecord],
    report: Callable[[int, str, ProgressEvent], None],
    cancel: threading.Event | None,
) -> str | None:
    """Send the planned commands as compound lines (one round trip each), then the
    fallbacks they call for as another; what a line did not bring back is sent alone, with
    the reason as its note. Records go in the one-by-one order (a fallback right after its
    command). Returns the peer's error, if any."""
    slots = [_Slot(command) for command in planned]

    def settle(slot: _Slot, sent: Sent, note: str | None = None) -> None:
        index, before = slots.index(slot), len(planned)
        slot.record = answered(index, sent, note)
        added = planned[index + 1 : index + 1 + len(planned) - before]
        slots[index + 1 : index + 1] = [_Slot(command) for command in added]

    def give_up(reason: str) -> str:
        for slot in slots:
            if slot.record is None:
                slot.record = record(slot.command, error=reason)
        return reason

    peer_error: str | None = None
    while peer_error is None and (waiting := [slot for slot in slots if slot.record is None]):
        peer = opened.peer
        for line in compound.batches(
            opened.spec, [slot.command for slot in waiting], peer.command_timeout, peer.overrides
        ):
            if cancel is not None and cancel.is_set():
                give_up("cancelled before it was sent")
                peer_error = "cancelled"
                break
            batch, waiting = waiting[: len(line)], waiting[len(line) :]
            report(slots.index(batch[0]) + 1, batch[0].command, ProgressEvent.COMMAND_STARTED)
            alone: list[tuple[_Slot, str]] = []
            for slot, result in zip(batch, opened.send_block(line), strict=True):
                if isinstance(result, Sent):
                    settle(slot, result)
                else:
                    alone.append((slot, result))
            for slot, reason in alone:
                if opened.lost is not None or (cancel is not None and cancel.is_set()):
                    break
                report(slots.index(slot) + 1, slot.command, ProgressEvent.COMMAND_STARTED)
                settle(slot, opened.send(slot.command), f"sent alone: {reason}")
            if opened.lost is not None:
                peer_error = give_up(opened.lost)
                break
    records.extend(slot.record for slot in slots if slot.record is not None)
    return peer_error


def _clock(
    spec: PlatformSpec,
    peer: PeerConfig,
    records: Sequence[CommandRecord],
    outputs: dict[str, str],
) -> ClockReading | None:
    """The offset read by the first successful command of the platform's ``clock`` fact."""
    for record in records:
        if not record.ok or record.started_at is None or record.finished_at is None:
            continue
        if "clock" not in spec.facts_of(record.command, peer.overrides):
            continue
        reading = clock_reading(outputs[record.file or ""], record.started_at, record.finished_at)
        if reading is not None:
            return reading
    return None
