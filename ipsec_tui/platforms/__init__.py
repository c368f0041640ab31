"""Vendor knowledge as data: device types, read-only commands per fact, allowlists.

Each platform is one YAML file in ``ipsec_tui/platforms/data/`` (shipped as package data,
read with importlib.resources), loaded into a frozen :class:`PlatformSpec`. Code here only
does what data cannot say: matching command text against the allowlist and refusing
anything that could change a device.

Command notation (borrowed from ntc-templates' index): a word may be written ``sh[[ow]]``,
meaning the required part ``sh`` plus an optional completion ``ow``, so ``sh``, ``sho`` and
``show`` all match it. Words without ``[[...]]`` must match exactly. ``{name}`` words are
per-peer variables (``log_file``...), filled from the platform's defaults and the
inventory's ``overrides``. A fact's command may name a ``fallback`` and ``when`` it runs
(:class:`Fallback`: strongSwan's stroke ``ipsec statusall`` where ``swanctl`` is missing or
lists nothing); fallback commands must be on the allowlist like any other.

Read-only by construction: :meth:`PlatformSpec.check_allowed` is the only way a command
reaches a device (collectors call it for every command), and it refuses, in this order,
empty or control characters, shell metacharacters (platforms with ``shell: posix``), generic
deny words (``configure``, ``clear``, ``delete``... on every platform, even if an allowlist
entry is sloppy), anything not in the allowlist, and on shell platforms a file reader
(``cat``...) of any path but the peer's configured files.

Overrides stay inside what the platform needs: a per-peer value for a path variable must
match one of the platform's ``override_paths`` patterns for it (the daemon's log and
configuration folders) and none of the deny patterns, the generic ones here (secrets, keys,
shadow files, hidden files, pseudo file systems) and the platform's own ``deny_paths``; the
deny patterns win.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

import yaml

from ipsec_tui.errors import UserError
from ipsec_tui.yamlfile import mapping_problem

__all__ = [
    "DENY_NAMES",
    "DENY_PATHS",
    "DENY_WORDS",
    "FALLBACK_WHEN",
    "SHELL_METACHARACTERS",
    "SHELL_WORDS",
    "TRANSPORTS",
    "CommandPattern",
    "CommandRefused",
    "Compound",
    "Fallback",
    "Pager",
    "PlatformSpec",
    "Probe",
    "available_platforms",
    "load_platform",
    "path_glob",
    "path_refusal",
]


class CommandRefused(UserError):
    """A command that is not provably read-only; it is never sent to a device."""


# Characters a POSIX shell gives a meaning to (chaining, substitution, redirection,
# globbing, history expansion, quoting, comments). A read-only command never needs them.
SHELL_METACHARACTERS = frozenset(";|&$`<>(){}[]*?!~\\'\"#^\n\t\r")

# Verbs that change state somewhere. Refused as whole words (also inside ``--load-all`` style
# options, split on '-', '=' and ','), on every platform, whatever the allowlist says.
DENY_WORDS = frozenset(
    {
        "configure", "conf", "clear", "reload", "copy", "delete", "del", "debug", "undebug",
        "shutdown", "write", "wr", "erase", "reset", "restart", "kill", "reboot", "halt",
        "poweroff", "format", "terminate", "initiate", "rekey", "load", "unload", "flush",
        "set", "add", "rm", "mv", "cp", "tee", "dd", "install", "remove", "purge", "start",
        "stop", "replace", "unroute", "up", "down", "systemctl", "service",
        "sudo", "su", "passwd", "touch", "truncate", "mkfs", "modprobe", "insmod", "rmmod",
        "vi", "vim", "nano", "ed", "sed", "awk",
    }
)  # fmt: skip
# Words that start a shell or an interpreter, which could then run anything.
SHELL_WORDS = frozenset(
    {"sh", "bash", "dash", "zsh", "exec", "eval", "source", "python", "python3", "perl"}
)
# CLI verbs that network devices accept abbreviated (``conf t``, ``wr mem``, ``relo``):
# an input word of 3+ letters that is the start of one of these is refused too.
_ABBREVIABLE = ("configure", "clear", "reload", "copy", "delete", "debug", "shutdown",
                "write", "erase", "reset", "restart", "reboot", "format")  # fmt: skip
# ``sh`` is also Cisco's ``show``, ``source`` the source address keyword of network OS pings
# (IOS, Junos, PAN-OS): only refused as the first word on shell platforms.
_SHELL_ONLY = frozenset({"sh", "source"})

# Commands that print files: on shell platforms their arguments must be the peer's files.
_FILE_READERS = frozenset({"cat", "head", "tail", "less", "more", "zcat", "grep", "tac", "nl"})

# Paths no override may name, on any platform, whatever its ``override_paths`` say: a class
# of files rather than a list of names. Patterns are matched against the whole path
# (``PATH_GLOB`` notation) and, for the name patterns, against every component.
DENY_PATHS = (
    # pseudo file systems (endless or blocking reads), home folders, system key stores
    "/proc/**", "/sys/**", "/dev/**", "/run/**", "/root/**", "/home/**", "/etc/ssh/**",
    "/etc/ssl/**", "/etc/pki/**",
)  # fmt: skip
DENY_NAMES = (
    # password and secret stores
    "*shadow*", "*passw*", "*secret*", "*.secrets", "*.netrc", "*.pgpass", "*.htpasswd",
    # private keys and key containers (SSH, TLS, PKCS#8/#12, Java, Kerberos, PGP, keyrings)
    "id_*", "*_key", "*.key", "*.key.*", "*.pem", "*.der", "*.p8", "*.p12", "*.pfx", "*.jks",
    "*.keystore", "*.keytab", "*.gpg", "*.pgp", "*.asc", "*.kdbx", "*.db", "private",
    "privkey*", "*private*", "pkcs8", "pkcs12", "*.bash_history",
)  # fmt: skip
# What a path may be made of: no glob, shell or control character, no space, no `~`.
_PATH_CHARACTERS = re.compile(r"^[A-Za-z0-9._+@,=:/-]+$")
_NAME_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@,=-]*$")

_NOTATION_WORD = re.compile(r"^(?P<required>[^\[\]]+)\[\[(?P<optional>[^\[\]]+)\]\]$")
_VARIABLE_WORD = re.compile(r"^\{(?P<name>[a-z_][a-z0-9_]*)\}$")
_WORD_PARTS = re.compile(r"[-=,]+")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def path_glob(pattern: str) -> re.Pattern[str]:
    """A path pattern as a regex: ``*`` and ``?`` stay within one folder, ``**`` crosses
    folders (``/var/log/**`` is everything below /var/log, ``/etc/strongswan*`` is
    /etc/strongswan.conf but nothing below /etc/strongswan.d)."""
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    translated = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(translated.get(part, re.escape(part)) for part in parts))


_DENY_NAME_GLOBS = tuple(path_glob(pattern) for pattern in DENY_NAMES)


def path_refusal(value: str, deny: Iterable[str] = ()) -> str | None:
    """Why a path (or, without a '/', a file name) may never be read, or None."""
    if not _PATH_CHARACTERS.match(value):
        return "it holds characters a path to read never needs (glob, shell, space, control)"
    components = value.split("/")
    if value.startswith("/"):
        components = components[1:]
    if any(component in ("", ".", "..") for component in components):
        return "it is not a plain path (empty, '.' or '..' component, or a trailing '/')"
    for component in components:
        if component.startswith("."):
            return f"{component!r} is a hidden file or folder"
        for name_glob in _DENY_NAME_GLOBS:
            if name_glob.fullmatch(component.lower()):
                return f"{component!r} looks like a secret, key or password file"
    for pattern in (*DENY_PATHS, *deny):
        regex = path_glob(pattern)
        if regex.fullmatch(value) or regex.fullmatch(value + "/"):
            return f"it matches {pattern!r}, which is never read"
    return None


def _has_control_character(text: str) -> bool:
    return any(not char.isprintable() and char != " " for char in text)


@dataclass(frozen=True)
class CommandPattern:
    """One allowlist entry: words in ntc notation, then optionally arguments.

    ``args`` is a regular expression that must match the rest of the command in full (words
    joined by single spaces, "" when there is none); None means no arguments are allowed.
    """

    text: str
    args: str | None = None

    def __post_init__(self) -> None:
        if not self.text.split():
            raise ValueError("empty command pattern")
        if self.args is not None:
            re.compile(self.args)

    # computed once per pattern: every command parsed or checked walks the allowlist
    @cached_property
    def words(self) -> tuple[tuple[str, str], ...]:
        """(required, optional completion) per word; plain words have no completion."""
        parsed: list[tuple[str, str]] = []
        for word in self.text.split():
            notation = _NOTATION_WORD.match(word)
            if notation:
                parsed.append((notation["required"], notation["optional"]))
            else:
                parsed.append((word, ""))
        return tuple(parsed)

    @cached_property
    def variables(self) -> tuple[str, ...]:
        """Names of the ``{variable}`` words, in order."""
        names = (_VARIABLE_WORD.match(required) for required, _ in self.words)
        return tuple(match["name"] for match in names if match)

    def canonical(self, variables: Mapping[str, str] | None = None) -> str:
        """The command written out in full, variables filled in."""
        return " ".join(
            _fill(required + optional, variables or {}) for required, optional in self.words
        )

    def display(self, variables: Mapping[str, str] | None = None) -> str:
        """The canonical command, with ``ARGS...`` when arguments may follow."""
        try:
            text = self.canonical(variables)
        except KeyError:
            text = self.text
        return f"{text} ARGS..." if self.args is not None else text

    def match(self, command: str, variables: Mapping[str, str] | None = None) -> str | None:
        """The canonical command (with its arguments) if ``command`` is this entry, else None."""
        tokens = command.split()
        words = self.words
        if len(tokens) < len(words):
            return None
        full_words: list[str] = []
        for token, (required, optional) in zip(tokens, words, strict=False):
            required = _fill(required, variables or {})
            if optional:
                if not (token.startswith(required) and (required + optional).startswith(token)):
                    return None
            elif token != required:
                return None
            full_words.append(required + optional)
        rest = " ".join(tokens[len(words) :])
        if rest and self.args is None:
            return None
        if self.args is not None and not re.fullmatch(self.args, rest):
            return None
        return " ".join([*full_words, rest]) if rest else " ".join(full_words)


def _likeness(value: str, default: str) -> int:
    """How much a path looks like a variable's default: same file wins, then same extension,
    then the length of the common leading folders."""
    if value == default:
        return 1000
    same_suffix = 100 if PurePosixPath(value).suffix == PurePosixPath(default).suffix else 0
    common = 0
    for mine, theirs in zip(PurePosixPath(value).parts, PurePosixPath(default).parts, strict=False):
        if mine != theirs:
            break
        common += 1
    return same_suffix + common


def _fill(word: str, variables: Mapping[str, str]) -> str:
    variable = _VARIABLE_WORD.match(word)
    if not variable:
        return word
    try:
        return variables[variable["name"]]
    except KeyError:
        raise KeyError(f"no value for variable {{{variable['name']}}}") from None


def _deny_reason(tokens: list[str], *, shell: bool) -> str | None:
    """Why a command is refused whatever the allowlist says, or None."""
    for position, token in enumerate(tokens):
        lowered = token.lower()
        word = lowered.lstrip("-")
        # an option's parts are words too (`--load-all`); a plain word is one name
        # (`transform-set`, `ike-sa` are names of what is shown, not verbs)
        parts = (
            [part for part in _WORD_PARTS.split(lowered) if part] if token.startswith("-") else []
        )
        for part in [word, *parts]:
            if part in SHELL_WORDS:
                if part not in _SHELL_ONLY or (shell and position == 0):
                    return f"{part!r} starts a shell or an interpreter (refused)"
            elif part in DENY_WORDS:
                return f"{part!r} is a word that changes state (refused on every platform)"
        if len(word) >= 3 and word.isalpha():
            for verb in _ABBREVIABLE:
                if verb.startswith(word):
                    return f"{token!r} abbreviates {verb!r}, which changes state"
    return None


@dataclass(frozen=True)
class Pager:
    """A CLI pager the collector answers instead of turning it off (turning it off would
    change the device's configuration, as FortiOS `set output standard` does)."""

    prompt: str  # what the device prints when it pauses, e.g. "--More--"
    continue_with: str = " "  # what makes it print the next page

    def __post_init__(self) -> None:
        if not self.prompt.strip() or not self.continue_with or len(self.continue_with) > 1:
            raise ValueError("pager needs a non-blank prompt and a one-character continue")


# How a platform's outputs arrive (see PlatformSpec.transport).
TRANSPORTS = ("ssh", "files")

# When a fallback runs: the device has no such program (`missing`), or it printed nothing
# (`empty`: `swanctl --list-conns` on a box whose connections come from ipsec.conf).
FALLBACK_WHEN = ("missing", "empty")

# What POSIX shells print for a program they cannot find, `{program}` the program's name:
# bash `-bash: swanctl: command not found` (`bash: line 1: ...` when not interactive), dash
# `sh: 1: swanctl: not found`, busybox ash `-sh: swanctl: not found`, zsh
# `zsh: command not found: swanctl`. One command at a time, the exit status (127) never
# reaches us: Netmiko reads only what the shell prints.
# Under `timeout` (a compound block's commands that may hang), GNU coreutils says
# `timeout: failed to run command 'swanctl': No such file or directory` (curly quotes
# in a UTF-8 locale) and busybox `timeout: can't execute 'swanctl': No such file or directory`.
_NOT_FOUND = (
    r"(?m)^\S*(?:: (?:line )?\d+)?: {program}: (?:command )?not found\s*$"
    r"|^\S+: command not found: {program}\s*$"
    r"|^timeout: (?:failed to run command|can't execute) ['\u2018\"]?{program}['\u2019\"]?: "
    r"No such file or directory\s*$"
)


@dataclass(frozen=True)
class Fallback:
    """Commands that stand in for a fact's command where it does not answer (the legacy
    interface of a daemon whose new tool is absent or empty), each still allowlisted."""

    command: CommandPattern  # the command whose answer decides
    run: tuple[CommandPattern, ...]  # what runs instead, in this order
    when: tuple[str, ...] = FALLBACK_WHEN

    def __post_init__(self) -> None:
        unknown = [condition for condition in self.when if condition not in FALLBACK_WHEN]
        if unknown or not self.when:
            raise ValueError(
                f"fallback of {self.command.text!r}: `when` must list some of "
                f"{', '.join(FALLBACK_WHEN)}, not {list(self.when)!r}"
            )
        if not self.run:
            raise ValueError(f"fallback of {self.command.text!r} runs nothing")

    def condition(self, output: str) -> str | None:
        """Which of this fallback's conditions ``output`` of its command meets, or None."""
        program = re.escape(self.command.words[0][0])
        if "missing" in self.when and re.search(_NOT_FOUND.format(program=program), output):
            return "missing"
        if "empty" in self.when and not output.strip():
            return "empty"
        return None


_PROGRAM = re.compile(r"^[a-z][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Compound:
    """A shell platform whose commands go out as one compound line (one round trip; see
    ``ipsec_tui.collectors.compound``): ``timeout`` names the programs that may wait on a
    daemon's socket or a file, which run under ``timeout`` there."""

    timeout: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for program in self.timeout:
            if not _PROGRAM.match(program):
                raise ValueError(f"compound timeout names {program!r}, not a program name")

    def may_hang(self, command: str) -> bool:
        """Whether a (canonical) command runs under ``timeout`` in a block."""
        return command.split()[0] in self.timeout


# The path test's bounds: a few packets, never a flood (`ipsec-tui probe`).
PROBE_MAX_COUNT = 10
_PROBE_FIELDS = ("count", "source", "target", "source_if")
_INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9._/-]{0,63}")


@dataclass(frozen=True)
class Probe:
    """How the path test sends a bounded test from a gateway: a command template whose
    placeholders (``{count}``, ``{source}``, ``{target}``, ``{source_if}``) the tool fills
    from validated values only, so no free text ever reaches the device. The command built
    goes through the allowlist like any other."""

    ping: str
    default_count: int = 3

    def __post_init__(self) -> None:
        names = set(re.findall(r"{(\w+)}", self.ping))
        if not {"count", "target"} <= names or names - set(_PROBE_FIELDS):
            raise ValueError(
                f"probe ping {self.ping!r} must use {{count}} and {{target}}, and only "
                f"{', '.join('{' + n + '}' for n in _PROBE_FIELDS)}"
            )
        if not 1 <= self.default_count <= PROBE_MAX_COUNT:
            raise ValueError(f"probe default_count must be 1-{PROBE_MAX_COUNT}")

    def command(
        self,
        target: str,
        source: str | None = None,
        count: int | None = None,
        source_if: str | None = None,
    ) -> str:
        """The ping command for these values; UserError for any value out of bounds."""
        count = self.default_count if count is None else count
        if not 1 <= count <= PROBE_MAX_COUNT:
            raise UserError(f"probe count must be 1-{PROBE_MAX_COUNT}, not {count}")
        values = {"count": str(count), "target": _address(target, "target")}
        if "{source}" in self.ping:
            if source is None:
                raise UserError("this platform's probe needs a source address")
            values["source"] = _address(source, "source")
        if "{source_if}" in self.ping:
            if source_if is None or not _INTERFACE.fullmatch(source_if):
                raise UserError(f"probe source interface {source_if!r} is not an interface name")
            values["source_if"] = source_if
        return self.ping.format(**values)


def _address(value: str, what: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise UserError(f"probe {what} {value!r} is not an IP address") from None


@dataclass(frozen=True)
class PlatformSpec:
    """What ipsec-tui knows about one platform: how to log in and what it may run.

    ``login_commands`` is what Netmiko's driver itself writes at login before our first
    command; ``''`` stands for a bare Enter. ``variables`` are the per-peer placeholders with
    their defaults; ``readable_files`` names the variables holding paths that file readers
    (``cat``) may print. ``facts`` maps each fact to the read-only commands that show it.
    """

    name: str
    device_type: str  # "" for a platform read from files (``transport: files``)
    description: str = ""
    shell: bool = False  # commands go to a POSIX shell (Linux): refuse metacharacters
    login_commands: tuple[str, ...] = ()
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    readable_files: tuple[str, ...] = ()
    facts: Mapping[str, tuple[CommandPattern, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    allow: tuple[CommandPattern, ...] = ()
    # Netmiko driver methods replaced by no-ops because what they send is not read-only
    # (e.g. the ASA driver enters configuration mode to set the terminal width).
    driver_skips: tuple[str, ...] = ()
    # A pager to answer while reading output (None: the driver turns paging off itself).
    pager: Pager | None = None
    # Per variable, the path patterns an override may take (absolute ``/var/log/**``, or a
    # bare file name pattern such as ``*`` where the device resolves the name itself); a
    # variable without patterns takes no override. ``deny_paths`` win over them.
    override_paths: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    deny_paths: tuple[str, ...] = ()
    # What the device prints instead of an output when it refuses a command (scrapli's
    # ``failed_when_contains``): an output whose every line carries one is a CLI error. A
    # marker found anywhere in a line, or only at its start when written with a leading ``^``.
    failure_indicators: tuple[str, ...] = ()
    # Commands run instead of a fact's command that does not answer (see :class:`Fallback`).
    fallbacks: tuple[Fallback, ...] = ()
    # The path test's command (None: this platform has no read-only way to send one).
    probe: Probe | None = None
    # How the outputs arrive: "ssh" (collected from the device) or "files" (a cloud's VPN,
    # which has no shell: its commands are the cloud CLI's read-only commands and documents
    # the user runs or downloads locally; they are imported, never sent to a device).
    transport: str = "ssh"
    # Per canonical command, the patterns (regex, searched) that recognise its output among
    # files given without their command (`ipsec-tui import --platform aws_vpn FILE...`).
    detect: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # One round trip for a whole command set (shell platforms only); None: one by one.
    compound: Compound | None = None

    def __post_init__(self) -> None:
        if self.compound is not None and not self.shell:
            raise ValueError("compound needs `shell: posix`")
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}")
        if self.transport == "ssh" and not self.device_type:
            raise ValueError("an ssh platform needs a device_type")
        if self.transport == "files" and (self.device_type or self.login_commands):
            raise ValueError("a files platform has no device_type or login_commands")
        for command, patterns in self.detect.items():
            if self.match(command) != command:
                raise ValueError(f"detect names {command!r}, not a canonical allowed command")
            for regex in patterns:
                re.compile(regex)
        for indicator in self.failure_indicators:
            if not indicator.removeprefix("^").strip():
                raise ValueError(f"failure indicator {indicator!r} is empty")
        for path_variable in self.readable_files:
            if path_variable not in self.variables:
                raise ValueError(f"readable file {path_variable!r} is not a variable")
        for variable, patterns in self.override_paths.items():
            if variable not in self.variables:
                raise ValueError(f"override_paths names {variable!r}, which is not a variable")
            if not patterns:
                raise ValueError(f"override_paths of {variable!r} is empty")
            # the platform's own default must be a value it would accept from an inventory
            self.check_override(variable, self.variables[variable])
        for path in (*self.deny_paths, *(p for ps in self.override_paths.values() for p in ps)):
            if not path.strip() or " " in path:
                raise ValueError(f"path pattern {path!r} is empty or holds a space")
        for pattern in self.allowlist:
            for variable in pattern.variables:
                if variable not in self.variables:
                    raise ValueError(f"{pattern.text!r} uses unknown variable {{{variable}}}")
        # A platform whose own commands would be refused is a bug in its YAML: fail loudly
        # when it is loaded, not halfway through a collection.
        for command in self.commands():
            self.check_allowed(command)
        # a fallback goes through the allowlist like every command: it is no way around it
        for fallback in self.fallbacks:
            for pattern in fallback.run:
                self.check_allowed(pattern.canonical(self.variables))
        # so is the probe's command, with the widest values it can be given
        if self.probe is not None:
            for target, source in (("10.255.255.254", "10.0.0.1"), ("fd00::1", "fd00::2")):
                self.check_allowed(
                    self.probe.command(target, source, PROBE_MAX_COUNT, "GigabitEthernet0/0.1")
                )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<platform>") -> PlatformSpec:
        """Build a spec from the YAML shape (see ``data/strongswan.yml``)."""
        try:
            return _spec_from_dict(data)
        except (KeyError, TypeError, ValueError, re.error, UserError) as exc:
            raise UserError(f"{source}: invalid platform definition: {exc}") from exc

    @cached_property
    def allowlist(self) -> tuple[CommandPattern, ...]:
        """Every allowed command: the facts' commands first, then the extra entries."""
        seen: dict[tuple[str, str | None], CommandPattern] = {}
        for patterns in self.facts.values():
            for pattern in patterns:
                seen.setdefault((pattern.text, pattern.args), pattern)
        for pattern in self.allow:
            seen.setdefault((pattern.text, pattern.args), pattern)
        return tuple(seen.values())

    def check_override(self, name: str, value: str) -> None:
        """UserError unless ``value`` may stand for the variable ``name`` on this platform:
        it matches one of the variable's ``override_paths`` and no deny pattern."""
        allowed = self.override_paths.get(name, ())
        if not allowed:
            raise UserError(f"{name} cannot be overridden on platform {self.name!r}")
        refusal = path_refusal(value, self.deny_paths)
        if refusal is None and any(_path_matches(pattern, value) for pattern in allowed):
            return
        why = f": {refusal}" if refusal is not None else ""
        raise UserError(
            f"{name} {value!r} is not a log or configuration path of {self.name}{why} "
            f"(allowed: {', '.join(allowed)})"
        )

    def resolve_variables(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """The platform's variable defaults with a peer's overrides applied (each checked
        against the platform's ``override_paths`` and the deny patterns)."""
        values = dict(self.variables)
        for name, value in (overrides or {}).items():
            if name not in values:
                known = ", ".join(sorted(values)) or "none"
                raise UserError(
                    f"unknown override {name!r} for platform {self.name!r} (known: {known})"
                )
            if not value or any(
                char in SHELL_METACHARACTERS or char.isspace() or not char.isprintable()
                for char in value
            ):
                raise UserError(
                    f"override {name}={value!r} is empty or holds spaces, control characters "
                    "or shell metacharacters"
                )
            if value != self.variables[name]:
                self.check_override(name, value)
            values[name] = value
        return values

    def detect_command(self, text: str) -> str | None:
        """The command whose output ``text`` is, by the platform's ``detect`` patterns (the
        first command, in the YAML's order, with a pattern found in it); None if none is."""
        for command, patterns in self.detect.items():
            if any(re.search(pattern, text) for pattern in patterns):
                return command
        return None

    def commands(self, overrides: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The commands that collect every fact, in fact order, each once."""
        variables = self.resolve_variables(overrides)
        ordered: dict[str, None] = {}
        for patterns in self.facts.values():
            for pattern in patterns:
                ordered.setdefault(pattern.canonical(variables), None)
        return tuple(ordered)

    def fallback_commands(
        self, command: str, overrides: Mapping[str, str] | None = None
    ) -> tuple[str, ...]:
        """The canonical commands that may run instead of ``command`` (a canonical command)."""
        variables = self.resolve_variables(overrides)
        found: dict[str, None] = {}
        for fallback in self.fallbacks:
            if fallback.command.canonical(variables) == command:
                found.update(dict.fromkeys(p.canonical(variables) for p in fallback.run))
        return tuple(found)

    def fallback_for(
        self, command: str, output: str, overrides: Mapping[str, str] | None = None
    ) -> tuple[tuple[str, ...], str] | None:
        """What to run instead of ``command`` (canonical) after it printed ``output``, with
        the condition met (missing, empty); None when it answered."""
        variables = self.resolve_variables(overrides)
        for fallback in self.fallbacks:
            if fallback.command.canonical(variables) != command:
                continue
            condition = fallback.condition(output)
            if condition is not None:
                return tuple(p.canonical(variables) for p in fallback.run), condition
        return None

    def facts_of(self, command: str, overrides: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The facts a canonical command shows (a command may serve several facts)."""
        variables = self.resolve_variables(overrides)
        return tuple(
            fact
            for fact, patterns in self.facts.items()
            if any(pattern.canonical(variables) == command for pattern in patterns)
        )

    def match(self, command_text: str, overrides: Mapping[str, str] | None = None) -> str | None:
        """The canonical allowlisted command ``command_text`` stands for, or None.

        Abbreviations follow ntc-templates' notation: ``sh cry ikev2 sa`` matches an entry
        written ``sh[[ow]] cry[[pto]] ikev2 sa`` and returns ``show crypto ikev2 sa``.
        """
        variables = self.resolve_variables(overrides)
        for pattern in self.allowlist:
            try:
                canonical = pattern.match(command_text, variables)
            except KeyError:
                continue
            if canonical is not None:
                return canonical
        return None

    @cached_property
    def _patterns_of(self) -> dict[str, str | None]:
        return {}

    def pattern_of(self, command_text: str) -> str | None:
        """The pattern a collected command came from (remembered: every parse asks)."""
        known = self._patterns_of
        if command_text not in known:
            if len(known) >= 4096:  # bounded: commands with arguments are many
                known.clear()
            known[command_text] = self._pattern_of(command_text)
        return known[command_text]

    def _pattern_of(self, command_text: str) -> str | None:
        """The pattern a collected command came from, written out in full with its
        ``{variables}`` kept (``cat {log_file}``, ``show crypto ikev2 sa``): what chooses the
        parser. Variables match whatever the capture holds, since a reader does not know the
        peer's overrides; where two patterns differ only by a variable (``cat {log_file}``,
        ``cat {swanctl_conf}``) the one whose default value looks most like it wins."""
        tokens = command_text.split()
        best: tuple[int, str] | None = None
        for pattern in self.allowlist:
            variables = {
                match["name"]: token
                for token, (required, _) in zip(tokens, pattern.words, strict=False)
                if (match := _VARIABLE_WORD.match(required))
            }
            if pattern.variables and len(variables) != len(pattern.variables):
                continue
            try:
                found = pattern.match(command_text, variables)
            except KeyError:
                continue
            if found is None:
                continue
            text = pattern.canonical({name: f"{{{name}}}" for name in pattern.variables})
            if not variables:
                return text
            score = sum(
                _likeness(value, self.variables.get(name, "")) for name, value in variables.items()
            )
            if best is None or score > best[0]:
                best = (score, text)
        return best[1] if best else None

    def check_allowed(self, command: str, overrides: Mapping[str, str] | None = None) -> str:
        """The canonical form of ``command`` if it is allowed here; else CommandRefused."""

        def refuse(reason: str) -> CommandRefused:
            return CommandRefused(
                f"refused command {command!r} on platform {self.name!r}: {reason}"
            )

        if not command.strip():
            raise refuse("it is empty")
        if self.shell:
            bad = sorted({char for char in command if char in SHELL_METACHARACTERS})
            if bad:
                shown = " ".join(repr(char) for char in bad)
                raise refuse(f"shell metacharacters are never sent ({shown})")
        if _has_control_character(command):
            raise refuse("it contains control characters")
        tokens = command.split()
        reason = _deny_reason(tokens, shell=self.shell)
        if reason:
            raise refuse(reason)
        variables = self.resolve_variables(overrides)
        if self.shell:
            self._check_file_reader(tokens, variables, refuse)
        canonical = self.match(command, overrides)
        if canonical is None:
            allowed = dict.fromkeys(pattern.display(variables) for pattern in self.allowlist)
            raise refuse(
                f"not in the read-only allowlist of platform {self.name!r} "
                f"(allowed: {', '.join(allowed)})"
            )
        canonical_tokens = canonical.split()
        reason = _deny_reason(canonical_tokens, shell=self.shell)
        if reason:
            raise refuse(reason)
        if self.shell:
            if any(char in SHELL_METACHARACTERS for char in canonical):
                raise refuse("a variable holds shell metacharacters")
            self._check_file_reader(canonical_tokens, variables, refuse)
        return canonical

    def _check_file_reader(
        self,
        tokens: list[str],
        variables: Mapping[str, str],
        refuse: Callable[[str], CommandRefused],
    ) -> None:
        if tokens[0] not in _FILE_READERS:
            return
        allowed_files = {variables[name] for name in self.readable_files}
        arguments = tokens[1:]
        from_line = tokens[0] == "tail" and len(arguments) == 3 and arguments[0] == "-n"
        if from_line and re.fullmatch(r"\+[1-9][0-9]{0,8}", arguments[1]):
            arguments = arguments[2:]  # `tail -n +N FILE`: FILE from its line N on
        if not arguments or any(argument not in allowed_files for argument in arguments):
            shown = ", ".join(sorted(allowed_files)) or "none"
            raise refuse(f"{tokens[0]} may only print this peer's configured files ({shown})")


def _path_matches(pattern: str, value: str) -> bool:
    """An absolute pattern matches an absolute path; a pattern without '/' a bare name."""
    if pattern.startswith("/") != value.startswith("/"):
        return False
    if not pattern.startswith("/") and "/" in value:
        return False
    return path_glob(pattern).fullmatch(value) is not None


def _patterns(entries: Iterable[Any]) -> tuple[CommandPattern, ...]:
    patterns: list[CommandPattern] = []
    for entry in entries:
        if isinstance(entry, str):
            patterns.append(CommandPattern(entry))
        elif isinstance(entry, Mapping):
            problem = mapping_problem(entry, ("command", "args"))
            if problem:
                raise ValueError(f"allowlist entry: {problem}")
            args = entry.get("args")
            patterns.append(
                CommandPattern(str(entry["command"]), None if args is None else str(args))
            )
        else:
            raise TypeError(f"a command must be text or a mapping, not {entry!r}")
    return tuple(patterns)


def _spec_from_dict(data: Mapping[str, Any]) -> PlatformSpec:
    known = {"name", "description", "device_type", "shell", "login_commands", "variables",
             "readable_files", "facts", "allow", "driver_skips", "pager", "override_paths",
             "deny_paths", "failure_indicators", "probe", "transport", "detect",
             "compound"}  # fmt: skip
    problem = mapping_problem(data, known)
    if problem:
        raise ValueError(problem)
    name = str(data["name"])
    if not _NAME.match(name):
        raise ValueError(f"platform name {name!r} must be lowercase letters, digits, '-', '_'")
    shell = data.get("shell")
    if shell not in (None, "posix"):
        raise ValueError(f"shell must be 'posix' or absent, not {shell!r}")
    facts_data = data.get("facts") or {}
    if not isinstance(facts_data, Mapping):
        raise TypeError("facts must be a mapping of fact -> list of commands")
    facts: dict[str, tuple[CommandPattern, ...]] = {}
    fallbacks: list[Fallback] = []
    for fact, commands in facts_data.items():
        entries = [commands] if isinstance(commands, str) else commands
        facts[str(fact)] = _patterns(_without_fallback(entry, fallbacks) for entry in entries)
    variables = {str(key): str(value) for key, value in (data.get("variables") or {}).items()}
    return PlatformSpec(
        name=name,
        device_type=str(data.get("device_type") or ""),
        description=str(data.get("description") or ""),
        shell=shell == "posix",
        login_commands=tuple(str(command) for command in data.get("login_commands") or ()),
        variables=MappingProxyType(variables),
        readable_files=tuple(str(name) for name in data.get("readable_files") or ()),
        facts=MappingProxyType(facts),
        allow=_patterns(data.get("allow") or ()),
        driver_skips=tuple(str(method) for method in data.get("driver_skips") or ()),
        pager=_pager(data.get("pager")),
        override_paths=_text_lists(data.get("override_paths"), "override_paths", "variable"),
        deny_paths=_texts(data.get("deny_paths"), "deny_paths"),
        failure_indicators=_texts(data.get("failure_indicators"), "failure_indicators"),
        fallbacks=tuple(fallbacks),
        probe=_probe(data.get("probe")),
        transport=str(data.get("transport") or "ssh"),
        detect=_text_lists(data.get("detect"), "detect", "command"),
        compound=_compound(data.get("compound")),
    )


def _compound(data: Any) -> Compound | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) - {"timeout"}:
        raise ValueError("compound must be a mapping with `timeout` (a list of programs)")
    return Compound(_texts(data.get("timeout"), "compound timeout"))


def _without_fallback(entry: Any, fallbacks: list[Fallback]) -> Any:
    """A fact's command entry with its ``fallback``/``when`` keys taken into ``fallbacks``."""
    if not isinstance(entry, Mapping) or "fallback" not in entry:
        if isinstance(entry, Mapping) and "when" in entry:
            raise ValueError(f"{entry.get('command')!r}: `when` without a `fallback`")
        return entry
    command = {key: value for key, value in entry.items() if key not in ("fallback", "when")}
    (pattern,) = _patterns([command])
    when = entry.get("when", list(FALLBACK_WHEN))
    fallbacks.append(
        Fallback(
            command=pattern,
            run=_patterns(
                [entry["fallback"]] if isinstance(entry["fallback"], str) else entry["fallback"]
            ),
            when=tuple(str(condition) for condition in ([when] if isinstance(when, str) else when)),
        )
    )
    return command


def _texts(data: Any, what: str) -> tuple[str, ...]:
    if data is None:
        return ()
    if isinstance(data, str) or not isinstance(data, Iterable):
        raise TypeError(f"{what} must be a list of texts")
    return tuple(str(item) for item in data)


def _text_lists(data: Any, what: str, keys: str) -> MappingProxyType[str, tuple[str, ...]]:
    """A mapping of `keys` (commands, variables) to lists of patterns, read only."""
    if data is None:
        return MappingProxyType({})
    if not isinstance(data, Mapping):
        raise TypeError(f"{what} must map a {keys} to a list of patterns")
    return MappingProxyType(
        {str(key): _texts(patterns, f"{what} of {key!r}") for key, patterns in data.items()}
    )


def _probe(data: Any) -> Probe | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or "ping" not in data or set(data) - {"ping", "count"}:
        raise ValueError("probe must be a mapping with `ping` and optionally `count`")
    return Probe(str(data["ping"]), int(data.get("count", 3)))


def _pager(data: Any) -> Pager | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) - {"prompt", "continue"}:
        raise ValueError("pager must be a mapping with `prompt` and `continue`")
    return Pager(str(data["prompt"]), str(data.get("continue", " ")))


def available_platforms() -> tuple[str, ...]:
    """Names of the platforms shipped with ipsec-tui."""
    folder = resources.files(_PACKAGE).joinpath("data")
    names = (entry.name for entry in folder.iterdir() if entry.is_file())
    return tuple(sorted(name.removesuffix(".yml") for name in names if name.endswith(".yml")))


_PACKAGE = "ipsec_tui.platforms"
_CACHE: dict[str, PlatformSpec] = {}
# libyaml's safe loader where PyYAML was built with it (ten times faster on these files,
# which every command line run reads); the pure-Python one otherwise.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_platform(name: str) -> PlatformSpec:
    """The shipped platform called ``name``; UserError naming the known ones otherwise."""
    if name in _CACHE:
        return _CACHE[name]
    if name not in available_platforms():
        known = ", ".join(available_platforms())
        raise UserError(f"unknown platform {name!r} (known: {known})")
    resource = resources.files(_PACKAGE).joinpath("data", f"{name}.yml")
    source = f"ipsec_tui/platforms/data/{name}.yml"
    try:
        data = yaml.load(resource.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise UserError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise UserError(f"{source}: expected a mapping at the top")
    spec = PlatformSpec.from_dict(data, source)
    if spec.name != name:
        raise UserError(f"{source}: name {spec.name!r} does not match the file name")
    _CACHE[name] = spec
    return spec
