"""Emulated vendor devices: one real SSH server per platform, answering with real outputs.

No Cisco, Juniper, Palo Alto or Fortinet box runs here, so each platform gets a FakeNOS
(dmulyalin/fakenos, by the author of TTP) SSH server on 127.0.0.1: a paramiko SSH server with
a NOS definition (prompts, the commands valid at each prompt, what each prints, the prompt a
command moves to) run by FakeNOS's ``CMDShell``. Netmiko's own driver for the platform logs
in to it exactly as it would to the device, so the whole path collect -> capture -> parse ->
check runs over real SSH.

What each device answers (never invented text):

- every command of the platform's facts (``load_platform(p).commands()``) with one real
  recorded sample from ``tests/parsers/<platform>/<key>/*.txt`` (the folder's command as
  ``tests/parsers/test_golden.py`` derives it); where several samples exist the choice is
  made in :data:`CHOSEN`, so one device's outputs fit together where the samples allow;
  a command with no sample prints nothing (:data:`NO_SAMPLE` says which, and why);
- every command Netmiko's driver sends at login (the platform's ``login_commands``), with
  what the device prints for it: nothing for the session settings that print nothing, the
  messages Netmiko's Junos driver waits for (``Screen width set to 511``...), and for
  FortiOS's ``get system status | grep ...`` the lines of the recorded ``get system status``
  that the filter keeps.

How each device behaves like the real one (:func:`_nos`, :func:`_persona`): its prompt is
the recorded hostname (``Device-Hostname#``, ``asa1>``, ``netops@lab>``, ``admin@pa1>``,
``fw1 #``); the ASA lands at ``asa1>`` (privilege 1) where only ``show curpriv``,
``terminal pager 0``, ``login`` and ``exit`` work, and ``login`` asks ``Username:`` and
``Password:`` (typed without echo) before ``asa1#``, where the show commands run; the IOS
account is a privilege-15 one (the platform docs require it: no ``enable`` secret is ever
given), so it lands at ``#``; the recorded SRX is a chassis cluster, so ``{primary:node0}``
stands above every Junos prompt after a blank line; FortiOS pages its output with
`` --More-- `` after every ``page_lines`` lines until a key is pressed (the platform has no
``disable_paging``: the collector answers the pager) and erases the pager prompt with
``\r`` + blanks + ``\r``; PAN-OS logs in with keyboard-interactive, which Netmiko's PAN-OS
driver uses. Like a device's CLI, the line discipline echoes what is typed, hands the shell
one line at a time and echoes keys typed ahead only once the shell has answered.

What FakeNOS 1.2.1 does not do and this module adds by extending its plugins
(:class:`_SshServer`, :func:`_shell_class`): recording what the server receives (per SSH
session, every line and every pager key); keyboard-interactive logins (FakeNOS checks
passwords only); a pager that waits for one key and no echo at a password prompt (FakeNOS's
channel taps hand the shell whole lines and echo everything); output in order with the echo
(its taps run in two threads that do not wait for each other); a host key of our own
(FakeNOS ships one fixed RSA key); and no group-exchange key exchange, which paramiko's
server advertises without moduli to run it with (Netmiko's FortiOS driver prefers it).
Everything else is FakeNOS's: the inventory, the host lifecycle, the TCP listener, the NOS
model of commands and prompts, and the command shell.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import queue
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
from fakenos import FakeNOS  # type: ignore[import-untyped]
from fakenos.core.nos import Nos  # type: ignore[import-untyped]
from fakenos.plugins.servers.ssh_server_paramiko import (  # type: ignore[import-untyped]
    ParamikoSshServer,
)
from fakenos.plugins.shell.cmd_shell import CMDShell  # type: ignore[import-untyped]
from parsers.test_golden import case_command, discover

from ipsec_tui.collectors.capture_io import write_capture_index, write_peer
from ipsec_tui.collectors.inventory import PeerConfig
from ipsec_tui.collectors.ssh import collect_peer, host_key_of, server_host_key, tool_version
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.platforms import load_platform

# Server-side SSH and FakeNOS messages (a probe's reset, a closed session) stay in logging:
# pytest shows them with a failure; a script does not print them unasked.
logging.getLogger(__name__).addHandler(logging.NullHandler())
logging.getLogger("fakenos").addHandler(logging.NullHandler())

VENDOR_PLATFORMS = ("cisco_ios", "cisco_asa", "juniper_junos", "paloalto_panos", "fortinet")
SAMPLES = Path(__file__).resolve().parents[1] / "parsers"

# Per-peer overrides the emulated device needs: the only recorded Junos log is of a
# `kmd-logs` file, the very file the platform's docs tell sites to add for kmd's messages.
OVERRIDES: Mapping[str, Mapping[str, str]] = {"juniper_junos": {"log_file": "kmd-logs"}}

# Which sample answers a command when its folder holds several (file stem in
# tests/parsers/<platform>/<key>/). Chosen so one device's outputs fit together: the same
# source wherever it covers several commands, and for IOS the CSR samples that
# tests/vendors/test_cross_vendor.py uses too.
CHOSEN: Mapping[str, Mapping[str, str]] = {
    "cisco_ios": {
        "show clock": "ntc-unsynchronised",
        "show crypto ikev2 sa detailed": "genie-golden-output6",
        "show crypto isakmp sa": "genie-isakmp",
        "show crypto isakmp sa detail": "genie-isakmp",
        "show crypto ipsec sa detail": "genie-golden-output-3",
        "show crypto session detail": "genie-iosxe-golden-output",
        "show crypto ikev2 proposal": "genie-golden-output-1",
        "show crypto isakmp policy": "lab-notes-default-suite",
        "show crypto ipsec profile": "genie-golden-output-1",
        "show crypto map": "genie-golden-output-1",
        "show crypto pki certificates": "ntc-1",
        "show ip route": "ntc-local-routes",
        "show logging": "lab-notes-crypto-lines",
    },
    "cisco_asa": {
        "show vpn-sessiondb detail l2l": "ntc-1",
        "show crypto ipsec sa": "ntc",
        "show running-config crypto": "forum-ikev2-l2l",
        "show running-config tunnel-group": "forum-ikev2-l2l",
        "show logging": "ikev2-failure-lines",
    },
    "juniper_junos": {
        "show security ipsec security-associations detail": "blog-azure-cluster",
        "show route": "az-pattern-srx1",
    },
    "paloalto_panos": {
        "show vpn ike-sa": "zscaler-docs-ikev2",
        "show vpn ipsec-sa": "zscaler-docs",
        "show routing route": "ntc-templates",
    },
    "fortinet": {
        "diagnose vpn ike gateway list": "handbook-asa-ikev1",
        "diagnose vpn tunnel list": "handbook-asa-ikev1",
        "show vpn ipsec phase1-interface": "handbook-asa-ikev1",
        "show vpn ipsec phase2-interface": "handbook-asa-ikev1",
        "get router info routing-table all": "handbook-asa-ikev1",
    },
}

# Facts commands with no recorded sample; the device prints nothing for them (no source
# shows what the real one prints when it has something, nor a "no entries" form for these).
NO_SAMPLE: Mapping[str, Mapping[str, str]] = {
    "cisco_asa": {
        "show clock": "no public ASA `show clock` output was found",
        "show crypto ikev2 sa detail": (
            "no public capture of its detail layout exists (docs/platforms/cisco_asa.md, "
            "Limits); the only IKEv2 sample is of `show crypto ikev2 sa`, another command"
        ),
    },
}

# What the device prints for the commands Netmiko's driver sends at login, where it prints
# anything at all (IOS `terminal width/length`, ASA `terminal pager 0` and PAN-OS
# `set cli ...` print nothing). Junos confirms each CLI setting; Netmiko's Junos driver
# waits for these very words (netmiko/juniper/juniper.py: "Screen width set to",
# "Disabling complete-on-space", "Screen length set to").
SESSION_OUTPUTS: Mapping[str, Mapping[str, str]] = {
    "juniper_junos": {
        "set cli screen-width 511": "Screen width set to 511",
        "set cli complete-on-space off": "Disabling complete-on-space",
        "set cli screen-length 0": "Screen length set to 0",
    },
}

# FortiOS pauses a long output after a screenful of lines (console `set output more`, the
# default). A 24-line page, as on a classic terminal: the pty height Netmiko asks for
# (1000 lines) would never page the samples, and whether FortiOS honours it is not known
# here; what matters is that the pager is met on a real SSH session.
FORTIOS_PAGE_LINES = 24
FORTIOS_PAGER = " --More-- "
FORTIOS_PAGER_ERASE = "\r          \r"


@dataclass(frozen=True)
class Sample:
    """One recorded output and where it was copied from."""

    command: str
    path: Path | None  # None: no sample, the device prints nothing
    text: str


def samples(platform: str) -> dict[str, Sample]:
    """Facts command -> the recorded sample that answers it (see :data:`CHOSEN`)."""
    spec = load_platform(platform)
    found: dict[str, list[Path]] = {}
    for case in discover(SAMPLES):
        if case.platform != platform:
            continue
        parsed_as, command = case_command(case)
        if parsed_as == platform:
            found.setdefault(command, []).append(case.raw)
    chosen = CHOSEN.get(platform, {})
    missing = NO_SAMPLE.get(platform, {})
    answers: dict[str, Sample] = {}
    for command in spec.commands(OVERRIDES.get(platform)):
        paths = sorted(found.get(command, []))
        if command in chosen:
            picked = [path for path in paths if path.stem == chosen[command]]
            if len(picked) != 1:
                raise AssertionError(f"{platform}: no sample {chosen[command]!r} of {command!r}")
            paths = picked
        if not paths:
            if command not in missing:
                raise AssertionError(f"{platform}: no sample for {command!r}; add one or say why")
            answers[command] = Sample(command, None, "")
            continue
        if len(paths) > 1:
            names = ", ".join(path.stem for path in paths)
            raise AssertionError(f"{platform}: choose a sample of {command!r} in CHOSEN ({names})")
        answers[command] = Sample(command, paths[0], paths[0].read_text(encoding="utf-8"))
    return answers


def _grep(text: str, word: str) -> str:
    """What FortiOS's `| grep WORD` keeps of an output: the lines holding WORD."""
    return "\n".join(line for line in text.splitlines() if word in line)


@dataclass
class Session:
    """What the server received over one SSH connection, in order."""

    lines: list[str] = field(default_factory=list)  # each line typed, without its line end
    pager_keys: list[str] = field(default_factory=list)  # keys that answered `--More--`
    pager_prompts: int = 0  # how often the device paused at its pager


@dataclass
class EmulatedDevice:
    """A running emulated device: where it listens, who may log in, what it answers."""

    platform: str
    hostname: str
    host: str
    port: int
    username: str
    password: str
    known_hosts: Path
    host_key: paramiko.PKey
    outputs: Mapping[str, Sample]  # facts command -> its recorded answer
    prompt: str  # the prompt the facts run at
    context: str | None = None  # Junos cluster role line printed above every prompt
    page_lines: int | None = None  # FortiOS pager page length, None: no pager
    sessions: list[Session] = field(default_factory=list)

    def collected(self, command: str) -> str:
        """What the collector should record for ``command`` (see :func:`as_collected`)."""
        return as_collected(self.platform, self.outputs[command].text, self.context)

    @property
    def overrides(self) -> Mapping[str, str]:
        return OVERRIDES.get(self.platform, {})

    def peer(self, name: str = "vendor", **changes: Any) -> PeerConfig:
        """An inventory peer that reaches this device (password auth, host key pinned)."""
        values: dict[str, Any] = {
            "name": name,
            "host": self.host,
            "platform": self.platform,
            "username": self.username,
            "port": self.port,
            "auth": "password",
            "known_hosts": self.known_hosts,
            "timeout": 20.0,
            "command_timeout": 30.0,
            "overrides": dict(self.overrides),
        }
        values.update(changes)
        return PeerConfig(**values)

    @property
    def passwords(self) -> dict[tuple[str, str], str]:
        """The ``passwords`` argument of ``collect_tunnel`` for this device."""
        return {(self.username, self.host): self.password}


# --- the NOS definitions -------------------------------------------------------------------


@dataclass(frozen=True)
class _Persona:
    hostname: str
    username: str
    login_prompt: str  # where a login lands
    prompt: str  # where the show commands run
    context: str | None = None  # Junos cluster: `{primary:node0}` on the line above prompts


_JUNOS_CONTEXT = re.compile(r"\n\n(\{(?:primary|secondary):node\d+\})\n?$")


def _junos_context(text: str) -> str | None:
    """The cluster role line a Junos sample ends with (captured with the prompt), if any."""
    match = _JUNOS_CONTEXT.search(text)
    return match.group(1) if match else None


def printed(platform: str, text: str) -> str:
    """What the device prints for a sample: all of it, but a Junos cluster's role line
    that was captured with the next prompt (the device prints that with every prompt)."""
    if platform == "juniper_junos" and _junos_context(text):
        return _JUNOS_CONTEXT.sub("", text)
    return text


def as_collected(platform: str, text: str, context: str | None = None) -> str:
    """What the collector records of a sample the device printed: its lines as Netmiko
    hands them over (line ends as LF, the echoed command and the prompt line stripped, and
    with the prompt line the last output line's end). Of a Junos cluster's prompt Netmiko
    also strips the role line (``strip_context_items``), not the blank line above it."""
    lines = printed(platform, text).splitlines()
    joined = "\n".join(lines)
    return joined + "\n" if context is not None and lines else joined


def recorded_outputs(platform: str) -> dict[str, str]:
    """Facts command -> what collecting it from the emulated device records."""
    answers = samples(platform)
    context = _persona(platform, answers).context
    return {command: as_collected(platform, s.text, context) for command, s in answers.items()}


# platform -> the command whose recorded output names the device, the pattern of the name in
# it, the user, and the prompts where a login lands and where the show commands run
_PERSONAS = {
    "cisco_ios": ("show version", r"^(\S+) uptime is ", "netops", "{name}#", "{name}#"),
    "cisco_asa": ("show version", r"^(\S+) up \d", "netops", "{name}> ", "{name}# "),
    # not root: Netmiko's Junos driver takes a `root@` prompt for the FreeBSD shell
    "juniper_junos": (
        "show version",
        r"^Hostname: (\S+)",
        "netops",
        "netops@{name}> ",
        "netops@{name}> ",
    ),
    "paloalto_panos": (
        "show system info",
        r"^hostname: (\S+)",
        "admin",
        "admin@{name}> ",
        "admin@{name}> ",
    ),
    "fortinet": ("get system status", r"^Hostname: (\S+)", "admin", "{name} # ", "{name} # "),
}


def _persona(platform: str, outputs: Mapping[str, Sample]) -> _Persona:
    """The device's name and prompts, taken from its own recorded version output."""
    if platform not in _PERSONAS:
        raise ValueError(f"no emulation for platform {platform!r}")
    command, pattern, user, login_prompt, prompt = _PERSONAS[platform]
    match = re.search(pattern, outputs[command].text, re.MULTILINE)
    if match is None:
        raise AssertionError(f"{platform}: no hostname in the {command!r} sample")
    name = match.group(1)
    login_prompt, prompt = login_prompt.format(name=name), prompt.format(name=name)
    # The recorded SRX is a chassis cluster (node0/node1): Junos then prints the node's role
    # above every prompt, after a blank line, as the sample's last lines show.
    context = _junos_context(outputs[command].text) if platform == "juniper_junos" else None
    if context is not None:
        login_prompt = f"\r\n{context}\r\n{login_prompt}"
        prompt = f"\r\n{context}\r\n{prompt}"
    return _Persona(name, user, login_prompt, prompt, context)


def _nos(platform: str, persona: _Persona, password: str, outputs: Mapping[str, Sample]) -> Nos:
    """FakeNOS's model of the device: every command with the prompts it is valid at."""
    commands: dict[str, dict[str, Any]] = {}

    def literal(prompt: str) -> str:  # FakeNOS str.format()s prompts with base_prompt
        return prompt.replace("{", "{{").replace("}", "}}")

    def answer(command: str, text: str, *prompts: str) -> None:
        commands[command] = {
            "output": text,
            "prompt": [literal(prompt) for prompt in prompts or (persona.prompt,)],
            "help": f"recorded output of {command!r}",
        }

    for command, sample in outputs.items():
        answer(command, printed(platform, sample.text))
    for command, text in SESSION_OUTPUTS.get(platform, {}).items():
        answer(command, text)
    if platform == "cisco_ios":
        for command in ("terminal width 511", "terminal length 0"):
            answer(command, "")
    elif platform == "cisco_asa":
        unprivileged, privileged = persona.login_prompt, persona.prompt
        answer("show curpriv", "", unprivileged, privileged)  # no sample: prints nothing
        answer("terminal pager 0", "", unprivileged, privileged)
        # `login` re-authenticates at Username:/Password: and reaches privilege 15
        commands["login"] = {
            "output": None,
            "prompt": literal(unprivileged),
            "new_prompt": "Username: ",
        }
        commands[persona.username] = {
            "output": None,
            "prompt": "Username: ",
            "new_prompt": "Password: ",
        }
        commands[password] = {
            "output": None,
            "prompt": "Password: ",
            "new_prompt": literal(privileged),
        }
    elif platform == "paloalto_panos":
        for command in (
            "set cli scripting-mode on",
            "set cli terminal width 500",
            "set cli pager off",
        ):
            answer(command, "")
    elif platform == "fortinet":
        status = outputs["get system status"].text
        for word in ("Virtual", "Version"):
            answer(f"get system status | grep {word}", _grep(status, word))
    nos = Nos(name=f"ipsec-tui-{platform}", initial_prompt=literal(persona.login_prompt))
    nos.from_dict({"commands": commands})
    nos.validate()
    return nos


# --- FakeNOS plugins, extended -------------------------------------------------------------


def _shell_class(device: EmulatedDevice) -> type[CMDShell]:
    """FakeNOS's CMDShell with this device's pager (FortiOS) and access to its state."""

    class EmulatedShell(CMDShell):  # type: ignore[misc]  # FakeNOS is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.keys: queue.Queue[str] = queue.Queue()
            self.paging = threading.Event()  # the tap hands the next key to the pager
            self.session: Session | None = None

        def writeline(self, value: Any) -> None:
            lines = str(value).splitlines()
            page = device.page_lines
            for index, line in enumerate(lines):
                if page and index and index % page == 0 and not self._more():
                    return
                self.stdout.write(line + self.newline)

        def _more(self) -> bool:
            """Pause at the pager until a key; False if the output is to stop (q/session)."""
            self.paging.set()
            if self.session is not None:
                self.session.pager_prompts += 1
            self.stdout.write(FORTIOS_PAGER)
            while self.is_running.is_set():
                try:
                    key = self.keys.get(timeout=0.1)
                except queue.Empty:
                    continue
                self.stdout.write(FORTIOS_PAGER_ERASE)
                return key != "q"
            return False

    return EmulatedShell


class _Interface(paramiko.ServerInterface):  # type: ignore[misc]  # paramiko is untyped
    """Password and keyboard-interactive logins for one account; a shell on a pty."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self._asked: str | None = None

    def get_allowed_auths(self, username: str) -> str:
        return "password,keyboard-interactive"

    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == self.username and password == self.password
        return int(paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED)

    def check_auth_interactive(self, username: str, submethods: str) -> Any:
        self._asked = username
        query = paramiko.InteractiveQuery("", "")
        query.add_prompt("Password: ", False)
        return query

    def check_auth_interactive_response(self, responses: list[str]) -> int:
        ok = self._asked == self.username and list(responses) == [self.password]
        return int(paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED)

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return int(paramiko.OPEN_SUCCEEDED)
        return int(paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED)

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        return True


class _ShellInput:
    """The shell's stdin: the lines the line discipline hands over, and how many it took."""

    def __init__(self, run: threading.Event) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._run = run
        self.waiting = threading.Event()  # the shell waits for its next line
        self.taken = 0  # lines the shell has read so far

    def write(self, text: str) -> None:
        self._lines.put(text)

    def readline(self) -> str:
        self.waiting.set()
        try:
            while self._run.is_set():
                with contextlib.suppress(queue.Empty):
                    text = self._lines.get(timeout=0.05)
                    self.taken += 1
                    return text
            return "exit\r\n"  # the session is gone: let the shell end
        finally:
            self.waiting.clear()

    def flush(self) -> None:
        pass


class _ShellOutput:
    """The shell's stdout: what it writes, until the writer has put it on the channel."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0

    def write(self, text: str) -> None:
        with self._lock:
            self._pending += 1
        self.chunks.put(text)

    def written(self) -> None:
        with self._lock:
            self._pending -= 1

    @property
    def drained(self) -> bool:
        with self._lock:
            return self._pending == 0

    def flush(self) -> None:
        pass


def _shell_to_channel(channel_file: Any, output: _ShellOutput, run: threading.Event) -> None:
    """What the shell writes, onto the channel, lines ended with CRLF as devices send them."""
    while run.is_set():
        try:
            text = output.chunks.get(timeout=0.05)
        except queue.Empty:
            continue
        if "\r\n" not in text and "\n" in text:
            text = text.replace("\n", "\r\n")
        try:
            channel_file.write(text.encode("utf-8"))
        except (OSError, EOFError):
            break
        finally:
            output.written()


def _wait_until_answered(shell: Any, delivered: int, run: threading.Event) -> None:
    """Until the shell has answered the line just handed over: it has read it, printed all
    it had to, and waits for the next line or at its pager (as a device's CLI, which echoes
    typed-ahead keys only once the prompt is out)."""
    deadline = time.monotonic() + 60
    while run.is_set() and time.monotonic() < deadline:
        answered = shell.stdin.taken >= delivered and shell.stdin.waiting.is_set()
        if (answered or shell.paging.is_set()) and shell.stdout.drained:
            return
        time.sleep(0.002)


def _channel_to_shell(
    channel_file: Any, shell: Any, session: Session, run: threading.Event
) -> None:
    """Bytes from the client to the shell, as a device's line discipline treats them:
    echoed and gathered into lines (not echoed at a password prompt), one line at a time
    (the next byte waits until the shell has answered), and at the pager a single key goes
    straight to it. Records every line and pager key in ``session``."""
    line = io.BytesIO()
    last = b""
    delivered = 0
    while run.is_set():
        try:
            byte = channel_file.read(1)
        except (OSError, EOFError):
            break
        if not byte:
            break
        if shell.paging.is_set():
            shell.paging.clear()
            key = byte.decode("utf-8", errors="replace")
            session.pager_keys.append(key)
            shell.keys.put(key)
            continue
        hidden = shell.prompt.rstrip().lower().endswith("password:")
        try:
            if byte in (b"\r", b"\n"):
                if byte == b"\n" and last == b"\r":  # \r\n is one line end
                    last = byte
                    continue
                last = byte
                shell.stdout.write("\r\n")  # the echo, in order with what the shell prints
                text = line.getvalue().decode("utf-8", errors="replace")
                line = io.BytesIO()
                session.lines.append(text)
                shell.stdin.write(text + "\r\n")
                delivered += 1
                _wait_until_answered(shell, delivered, run)
                continue
            last = byte
            if not hidden:
                shell.stdout.write(byte.decode("utf-8", errors="replace"))
            line.write(byte)
        except (OSError, EOFError):
            break


_GEX = ["diffie-hellman-group-exchange-sha1", "diffie-hellman-group-exchange-sha256"]


class _SshServer(ParamikoSshServer):  # type: ignore[misc]  # FakeNOS is untyped
    """FakeNOS's paramiko server with our host key, logins, line discipline and records."""

    device: EmulatedDevice  # set on a subclass per device (FakeNOS builds the instance)

    def __init__(self, *args: Any, host_key: paramiko.PKey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ssh_server_key = host_key

    def connection_function(self, client: socket.socket, is_running: threading.Event) -> None:
        run = threading.Event()
        run.set()
        helpers: list[threading.Thread] = []
        # paramiko's server advertises group-exchange kex even when it has no moduli to
        # run it with (Transport._send_kex_init filters after building the list), and
        # Netmiko's FortiOS driver prefers it: offer only what this server can do.
        transport = paramiko.Transport(client, disabled_algorithms={"kex": _GEX})
        transport.set_log_channel(f"{__name__}.ssh")
        with self._active_sessions_lock:
            self._active_sessions.add(transport)
        try:
            transport.add_server_key(self._ssh_server_key)
            transport.start_server(server=_Interface(self.username, self.password))
            channel = None
            deadline = time.monotonic() + 30
            while channel is None and transport.is_active() and is_running.is_set():
                if time.monotonic() > deadline:
                    return
                channel = transport.accept(timeout=0.2)
            if channel is None:  # no login (refused host key, wrong password...)
                return
            channel_file = channel.makefile("rw")
            shell_stdout = _ShellOutput()
            shell = self.shell(
                stdin=_ShellInput(run),
                stdout=shell_stdout,
                nos=self.nos,
                nos_inventory_config=self.nos_inventory_config,
                is_running=is_running,
                **self.shell_configuration,
            )
            session = Session()
            shell.session = session
            self.device.sessions.append(session)
            helpers = [
                threading.Thread(
                    target=_channel_to_shell, args=(channel_file, shell, session, run)
                ),
                threading.Thread(target=_shell_to_channel, args=(channel_file, shell_stdout, run)),
                threading.Thread(target=self.watchdog, args=(is_running, run, transport, shell)),
            ]
            for helper in helpers:
                helper.daemon = True
                helper.start()
            shell.start()  # until `exit` or the watchdog stops it
        except (paramiko.SSHException, EOFError, OSError):
            return  # a client that gave up (a host-key refusal, a scan): nothing to serve
        finally:
            run.clear()
            try:
                transport.close()
            finally:
                with self._active_sessions_lock:
                    self._active_sessions.discard(transport)
                self._join_connection_helper_threads(helpers)


# --- starting and stopping -----------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(port: int, host_key: paramiko.PKey) -> None:
    """Until the server answers an SSH key exchange with our host key (FakeNOS listens from
    a thread of its own, a moment after start())."""
    expected = host_key_of(host_key)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            offered = server_host_key("127.0.0.1", port, timeout=2)
        except (OSError, paramiko.SSHException, EOFError):
            time.sleep(0.05)
            continue
        if offered != expected:
            raise AssertionError(f"port {port} offers {offered}, not our {expected}")
        return
    raise AssertionError(f"the emulated device did not answer SSH on port {port}")


@contextlib.contextmanager
def emulate(
    platform: str,
    folder: Path,
    *,
    page_lines: int | None = FORTIOS_PAGE_LINES,
    password: str | None = None,
) -> Iterator[EmulatedDevice]:
    """Run an emulated ``platform`` device on 127.0.0.1 until the block ends.

    ``folder`` receives a known_hosts file naming its host key; ``page_lines`` is the
    FortiOS pager's page (other platforms have none: their drivers turn paging off);
    ``password`` is the account's (default: a new random one). Two devices of one platform
    share a host and a username, so a tunnel of both needs one password: ``collect_tunnel``
    looks passwords up by (username, host).
    """
    outputs = samples(platform)
    persona = _persona(platform, outputs)
    password = password or f"pw{secrets.token_hex(8)}"  # typed by Netmiko, never recorded
    host_key = paramiko.RSAKey.generate(2048)  # IOS, ASA, Junos, PAN-OS, FortiOS all use RSA
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    device = EmulatedDevice(
        platform=platform,
        hostname=persona.hostname,
        host="127.0.0.1",
        port=port,
        username=persona.username,
        password=password,
        known_hosts=known_hosts,
        host_key=host_key,
        outputs=outputs,
        prompt=persona.prompt,
        context=persona.context,
        page_lines=page_lines if platform == "fortinet" else None,
    )
    nos = _nos(platform, persona, password, outputs)
    net = FakeNOS(
        inventory={
            "hosts": {
                persona.hostname: {
                    "username": persona.username,
                    "password": password,
                    "port": port,
                    "server": {
                        "plugin": "ParamikoSshServer",
                        "configuration": {"address": "127.0.0.1", "timeout": 1},
                    },
                    "shell": {"plugin": "CMDShell", "configuration": {"intro": ""}},
                    "nos": {"plugin": nos.name},
                }
            }
        },
        plugins=[nos],
    )
    # FakeNOS looks its plugins up per instance by these names (its inventory schema only
    # admits these two): ours extend them, bound to this device.
    net.servers_plugins["ParamikoSshServer"] = _server_class(device)
    net.shell_plugins["CMDShell"] = _shell_class(device)
    net.start()
    try:
        _wait_ready(port, host_key)
        yield device
    finally:
        net.stop()


# The strongSwan half of a mixed pair: siteA of the lab's healthy baseline, as recorded.
STRONGSWAN_SITE_A = SAMPLES.parent / "data" / "captures" / "strongswan" / "baseline" / "siteA"


def collect_pair(
    device: EmulatedDevice,
    folder: Path,
    *,
    tunnel: str,
    description: str,
    strongswan: Path = STRONGSWAN_SITE_A,
) -> PeerCapture:
    """A capture folder of two halves from different real networks: ``siteA``, strongSwan
    as recorded in the lab (copied), and ``siteB``, ``device`` collected over SSH now and
    written the way ``collect_tunnel`` writes a peer (redacted, secrets checked)."""
    capture = collect_peer(device.peer("siteB"), password=device.password)
    failed = [record.command for record in capture.commands if not record.ok]
    if capture.error or failed:
        raise AssertionError(f"collecting {device.platform} failed: {capture.error or failed}")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(strongswan, folder / "siteA")
    write_peer(
        folder / "siteB",
        capture,
        port=device.port,
        tool_version=tool_version(),
        salt=os.urandom(16),
        known_secrets=(device.password,),
    )
    write_capture_index(folder, tunnel, ["siteA", "siteB"], description)
    return capture


def _server_class(device: EmulatedDevice) -> Callable[..., _SshServer]:
    server_class = type("EmulatedSshServer", (_SshServer,), {"device": device})

    def build(*args: Any, **kwargs: Any) -> _SshServer:
        kwargs.pop("ssh_banner", None)
        server: _SshServer = server_class(*args, host_key=device.host_key, **kwargs)
        return server

    return build
