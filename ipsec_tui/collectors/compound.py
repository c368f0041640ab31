"""One round trip for a Linux peer's whole command set: one compound shell line, split back.

The line is built here from fixed text and commands that each passed
:meth:`PlatformSpec.check_allowed` (no user text, no shell metacharacter from anywhere else)::

    printf '\\n%s-%s\\n' ITUI<nonce> S1; timeout 30 swanctl --list-sas;
    printf '\\n%s-%s %s\\n' ITUI<nonce> E1 $?; printf ... S2; ...  (one line)

Each command sits between a start line ``ITUI<nonce>-S<i>`` and an end line
``ITUI<nonce>-E<i> <exit status>``. The nonce is random per line (96 bits), so no output
can know it in advance, and the shell's echo of the line never holds a marker as printed
(the echo has a space where printf prints ``-``). The split accepts the markers only in
their one possible order (S1, E1, S2, E2...): a marker line repeated or out of place refuses
the whole split, and the caller sends the commands one by one instead. Each output is the
text between its markers, with the same last line end removed as the one-by-one path
(where the prompt's line takes it). :func:`read_line` reads a line back into its block (the
echo in a session log, for ``ipsec-tui import``), in the same one order.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ipsec_tui.platforms import PlatformSpec

# A tty in canonical mode takes at most 4095 characters per line (Linux N_TTY): a longer set
# of commands goes out as several lines, each well below that.
MAX_LINE_CHARS = 3000
# `timeout`'s exit status when it stopped the command (GNU coreutils and busybox).
TIMED_OUT = 124
_NONCE = re.compile(r"^[0-9a-f]{16,64}$")


def new_nonce() -> str:
    """A fresh random nonce for one compound line."""
    return secrets.token_hex(12)


@dataclass(frozen=True)
class Block:
    """One compound line: its commands (canonical, each allowlisted) and its text."""

    nonce: str
    commands: tuple[str, ...]
    wrapped: tuple[bool, ...]  # which commands run under `timeout`
    timeout_s: int
    text: str

    @property
    def end_marker(self) -> re.Pattern[str]:
        """An end line as it arrives (index, exit status), also before line ends settle."""
        return re.compile(rf"ITUI{self.nonce}-E(\d+) (\d+)")

    @property
    def last_line(self) -> str:
        """What ends the block's output: the last command's end line (a regex)."""
        return rf"ITUI{self.nonce}-E{len(self.commands)} \d+"


def build(
    spec: PlatformSpec,
    commands: Sequence[str],
    timeout_s: float,
    overrides: Mapping[str, str] | None = None,
    *,
    nonce: str | None = None,
) -> Block:
    """The compound line for ``commands`` (CommandRefused if any one is not allowed)."""
    if spec.compound is None or not spec.shell:
        raise ValueError(f"platform {spec.name} does not take compound lines")
    nonce = new_nonce() if nonce is None else nonce
    if not _NONCE.match(nonce):
        raise ValueError("a nonce is 16-64 lowercase hex digits")
    canonical = tuple(spec.check_allowed(command, overrides) for command in commands)
    seconds = max(1, math.ceil(timeout_s))
    wrapped = tuple(
        spec.compound.may_hang(command) and command.split()[0] != "timeout" for command in canonical
    )
    parts = []
    for index, (command, wrap) in enumerate(zip(canonical, wrapped, strict=True), start=1):
        run = f"timeout {seconds} {command}" if wrap else command
        parts.append(
            f"printf '\\n%s-%s\\n' ITUI{nonce} S{index}; {run}; "
            f"printf '\\n%s-%s %s\\n' ITUI{nonce} E{index} $?"
        )
    return Block(nonce, canonical, wrapped, seconds, "; ".join(parts))


_LINE_PART = re.compile(
    r"printf '\\n%s-%s\\n' ITUI(?P<nonce>[0-9a-f]{16,64}) S(?P<start>\d+); (?P<run>[^;]+); "
    r"printf '\\n%s-%s %s\\n' ITUI(?P=nonce) E(?P<end>\d+) \$\?(?:; (?=printf )|\Z)"
)
_TIMEOUT = re.compile(r"timeout (?P<seconds>\d{1,6}) (?P<command>.+)")


def read_line(spec: PlatformSpec, line: str) -> Block | None:
    """The block a compound line (as :func:`build` writes it, e.g. echoed in a session log)
    stands for, or None when ``line`` is not one, whole and in order. Its commands are as
    written in the line (``timeout`` taken off where the platform puts it): not yet checked
    against the allowlist, which is the caller's to do."""
    if spec.compound is None or not line.startswith("printf "):
        return None
    commands: list[str] = []
    wrapped: list[bool] = []
    nonce: str | None = None
    seconds: int | None = None
    at = 0
    while at < len(line):
        part = _LINE_PART.match(line, at)
        index = len(commands) + 1
        if part is None or int(part["start"]) != index or int(part["end"]) != index:
            return None
        if nonce not in (None, part["nonce"]):
            return None
        nonce, at = part["nonce"], part.end()
        run = part["run"]
        limited = _TIMEOUT.fullmatch(run)
        wrap = limited is not None and spec.compound.may_hang(limited["command"])
        if limited is not None and wrap:
            if seconds not in (None, int(limited["seconds"])):
                return None
            seconds, run = int(limited["seconds"]), limited["command"]
        commands.append(run)
        wrapped.append(wrap)
    if nonce is None:
        return None
    return Block(nonce, tuple(commands), tuple(wrapped), seconds or 0, line)


def batches(
    spec: PlatformSpec,
    commands: Sequence[str],
    timeout_s: float,
    overrides: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """``commands`` in order, as the fewest lines of at most MAX_LINE_CHARS each."""
    lines: list[list[str]] = []
    current: list[str] = []
    for command in commands:
        trial = build(spec, [*current, command], timeout_s, overrides, nonce="0" * 24)
        if current and len(trial.text) > MAX_LINE_CHARS:
            lines.append(current)
            current = [command]
        else:
            current.append(command)
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Part:
    """One command's share of a block's output."""

    command: str
    text: str
    exit_status: int


class SplitError(Exception):
    """The block's output does not hold its markers in their one possible order."""


def split(block: Block, output: str, *, complete: bool = True) -> list[Part]:
    """The commands' outputs in order. With ``complete`` every command must be there;
    without (a block cut short) the commands whose end line arrived. SplitError when a
    marker is missing, repeated or out of place."""
    marker = re.compile(rf"^ITUI{block.nonce}-(?:S(\d+)|E(\d+) (\d+))$", re.MULTILINE)
    parts: list[Part] = []
    start: re.Match[str] | None = None
    for found in marker.finditer(output):
        expected = len(parts) + 1
        if expected > len(block.commands):
            raise SplitError(f"marker {found[0]!r} after the last command")
        if start is None:
            if found[1] is None or int(found[1]) != expected:
                raise SplitError(f"marker {found[0]!r} where start {expected} belongs")
            start = found
            continue
        if found[2] is None or int(found[2]) != expected:
            raise SplitError(f"marker {found[0]!r} where end {expected} belongs")
        # the start line's end, up to the line end printf writes before the end line
        text = output[start.end() + 1 : found.start() - 1]
        parts.append(Part(block.commands[expected - 1], text.removesuffix("\n"), int(found[3])))
        start = None
    if complete and len(parts) != len(block.commands):
        raise SplitError(f"{len(parts)} of {len(block.commands)} end markers arrived")
    return parts


# What a POSIX shell says when `timeout` itself is missing (bash, dash, busybox ash, zsh).
_NO_TIMEOUT = re.compile(
    r"(?m)^\S*(?:: (?:line )?\d+)?: timeout: (?:command )?not found\s*$"
    r"|^\S+: command not found: timeout\s*$"
)


def timeout_missing(part: Part) -> bool:
    """Whether a command run under `timeout` did not run because the device lacks it."""
    return part.exit_status == 127 and _NO_TIMEOUT.search(part.text) is not None
