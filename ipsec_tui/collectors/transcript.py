"""A terminal transcript in, a peer's capture out: the partner's side, pasted.

When the other peer belongs to someone else, they can run the commands themselves and send
what their terminal showed. This module cleans that text the way a terminal would have shown
it and splits it at the prompts into commands and outputs, so the pasted side stands in as a
peer of the capture. Pure: text in, :class:`PeerCapture` out; writing goes through
``capture_io`` (which redacts secrets).

What it copes with:
- prompts of Linux shells (``root@siteA:~# ``, ``user@host:~$ ``, ``[root@host ~]# ``,
  ``host:~# ``), Cisco IOS/ASA (``router#``, ``router>``, ``router(config)#``,
  ``asa/pri/act# ``), Junos (``user@srx> ``, with ``{master:0}`` lines above), PAN-OS
  (``admin@PA-VM> ``, ``admin@PA-VM(active)> ``) and FortiOS (``FGT # ``, ``FGT (vdom) # ``).
  A prompt that is only a word and ``#``/``>`` is taken as one when its host shows in two
  prompt-like lines or more, when it is the first prompt, or when the platform knows its
  command, so a lone output line such as ``Total#`` does not split an output;
- paging (``--More--``, `` --More-- ``, ``<--- More --->``, ``---(more 45%)---``,
  ``-- More --``) with the backspaces, blanks and erase sequences that wipe it;
- ANSI escapes (colours, window titles, cursor moves), carriage returns (CRLF and
  overwrites), backspaces (typing corrections), bells;
- echoed commands: a first output line repeating the command is the device's echo, and a
  blank first line is the echo's line end (as in Netmiko's session log; the collector
  drops it too);
- other hosts' prompts (a jump host before ``ssh``): the device is the host most commands
  ran on; the rest is skipped with a warning;
- a Linux peer's compound line (``ipsec_tui.collectors.compound``, as a bundle's session
  log shows it, its echo wrapped or not): read back into its commands, each with the text
  between its nonce's markers and its exit status; each command still passes the allowlist.

Each command is mapped to the platform's canonical command (abbreviations such as
``ip r s table all`` via the platform spec). Only what the platform's read-only allowlist
admits is imported: a configuration command (``configure terminal``, ``crypto isakmp key
...``, ``set ...``, ``config vpn ...``), a key typed at the prompt or anything else off the
allowlist is dropped with its output and a warning, nothing silently. Session commands
(``exit``, ``terminal length 0``...) are skipped with a warning. Commands are redacted
before they are recorded or name a file, and a warning never quotes more of a command than
the words the platform knows.

Hostile input stays cheap: every escape sequence's effect is bounded (a cursor never moves
past a terminal's widest line, and blanks a cursor move adds are paid from the input's own
length), so memory stays proportional to the input; a host name that cannot name a folder
(``capture.yml``, ``peer.yml``...) is refused before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ipsec_tui import __version__
from ipsec_tui.collectors import compound
from ipsec_tui.collectors.capture_io import (
    CAPTURE_FILE,
    PEER_FILE,
    check_peer_folder_name,
    output_file_name,
    read_capture,
    read_capture_index,
    write_capture_index,
    write_peer,
)
from ipsec_tui.collectors.inventory import name_problem
from ipsec_tui.domain.capture import CommandRecord, PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import (
    DENY_WORDS,
    SHELL_WORDS,
    PlatformSpec,
    load_platform,
)
from ipsec_tui.redact import redact, repeatable_secrets

# --- terminal clean-up ---------------------------------------------------------------------

_PAGER = re.compile(
    r"(?: ?--More-- ?|<--- More --->|---\(more(?: \d+%)?\)---|-- More --|--\(more\)--)"
    # the erase that follows: backspaces/blanks/backspaces, CR/blanks/CR, or ANSI erase (a
    # CR of the line's own CRLF is no erase: blanks before it are the line's content)
    r"(?:\x08+ +\x08+|\r +\r(?!\n)|\x08+|\x1b\[\d*D\x1b\[K|\x1b\[\d*D|\x1b\[K|\r(?!\n))?"
)
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")  # window titles
_OTHER_ESCAPE = re.compile(r"\x1b(?:[()][A-Za-z0-9]|[=>78DEHMc])")
_NEEDS_RENDERING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What _render reads: a CSI sequence, a lone ESC, one control character, or a run of text.
_RENDER_TOKEN = re.compile(
    r"\x1b\[(?P<argument>[0-9;?]*)[ -/]*(?P<final>[@-~])|\x1b|[\x00-\x08\x0b-\x1f\x7f]|"
    r"(?P<text>[^\x00-\x08\x0b-\x1f\x7f]+)"
)
# No terminal is wider: a cursor sent further stops at its last column, as on a real one.
MAX_COLUMNS = 4096


class _Blanks:
    """The blanks cursor moves may still add to a transcript: at most one per input
    character, so what is rendered never exceeds twice the input, whatever the escapes."""

    def __init__(self, allowance: int) -> None:
        self.left = allowance

    def take(self, wanted: int) -> int:
        granted = min(wanted, self.left)
        self.left -= granted
        return granted


def _count(argument: str) -> int:
    """A CSI sequence's count: 1 when absent or 0, at most MAX_COLUMNS (and never
    int() of a million digits)."""
    digits = argument.split(";")[0]
    if not digits.isdigit():
        return 1
    if len(digits) > len(str(MAX_COLUMNS)):
        return MAX_COLUMNS
    return min(max(int(digits), 1), MAX_COLUMNS)


def _render(line: str, blanks: _Blanks | None = None) -> str:
    """One line as a terminal shows it: overwrites, backspaces and cursor moves applied;
    cursor moves are clamped to MAX_COLUMNS and the blanks they open paid from ``blanks``."""
    blanks = blanks if blanks is not None else _Blanks(len(line))
    cells: list[str] = []
    cursor = 0
    for token in _RENDER_TOKEN.finditer(line):
        text = token.group(0)
        final = token.group("final")
        if final is not None:
            count = _count(token.group("argument"))
            if final == "K":  # erase in line: to the end (0), from the start (1), all (2)
                mode = token.group("argument")
                if mode == "1":
                    cells[: cursor + 1] = [" "] * min(cursor + 1, len(cells))
                elif mode == "2":
                    cells.clear()
                else:
                    del cells[cursor:]
            elif final == "D":
                cursor = max(0, cursor - count)
            elif final == "C":
                cursor = min(cursor + count, MAX_COLUMNS)
            elif final == "G":
                cursor = count - 1
            elif final == "P":  # delete characters
                del cells[cursor : cursor + count]
            # other sequences (colours, insert, repeat, scrolling...) print nothing
            continue
        if text == "\r":
            cursor = 0
        elif text == "\b":
            cursor = max(0, cursor - 1)
        elif token.group("text") is not None:
            if cursor > len(cells):
                cursor = len(cells) + blanks.take(cursor - len(cells))
                cells.extend(" " * (cursor - len(cells)))
            cells[cursor : cursor + len(text)] = text
            cursor += len(text)
        # other control characters (bell, NUL, a lone ESC...) print nothing
    return "".join(cells)


def clean_terminal_text(text: str) -> list[str]:
    """The transcript's lines as the terminal showed them (pager prompts and escapes gone)."""
    text = _PAGER.sub("", text)
    text = _OSC.sub("", text)
    text = _OTHER_ESCAPE.sub("", text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start another
    blanks = _Blanks(len(text))
    rendered = []
    for line in lines:
        # CRs before the line end end the line (CRLF, CRCRLF); rstrip, not a regex: `\r+\n`
        # backtracks quadratically over a long run of CRs with no line feed after it
        line = line.rstrip("\r")
        if _NEEDS_RENDERING.search(line):
            line = _render(line, blanks)
        rendered.append(line)
    return rendered


# --- prompts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PromptForm:
    pattern: re.Pattern[str]
    strong: bool  # unmistakable (user@host...): always a prompt


_HOST = r"[A-Za-z0-9][\w.-]*"
_PROMPT_FORMS = (
    # Linux (Debian/Ubuntu bash): user@host:path# or $
    _PromptForm(
        re.compile(rf"^(?P<prompt>[A-Za-z_][\w.-]*@(?P<host>{_HOST}):[^\s#$]*[#$])(?: |$)"), True
    ),
    # Linux (RHEL): [user@host path]#
    _PromptForm(
        re.compile(rf"^(?P<prompt>\[[\w.-]+@(?P<host>{_HOST})(?: [^\]]*)?\][#$])(?: |$)"), True
    ),
    # Junos, PAN-OS: user@host> / user@host# / admin@PA-VM(active)>
    _PromptForm(
        re.compile(rf"^(?P<prompt>[A-Za-z_][\w.-]*@(?P<host>{_HOST})(?:\([\w-]+\))?[>#])(?: |$)"),
        True,
    ),
    # FortiOS: FGT # / FGT (vdom) #
    _PromptForm(re.compile(rf"^(?P<prompt>(?P<host>{_HOST})(?: \([\w.-]+\))? [#$])(?: |$)"), False),
    # Cisco IOS/ASA: router# / router> / router(config)# / asa/pri/act#
    _PromptForm(
        re.compile(rf"^(?P<prompt>(?P<host>{_HOST})(?:/[\w.-]+)*(?:\([\w./-]+\))?[#>]) ?"),
        False,
    ),
    # busybox/Alpine: host:~#
    _PromptForm(re.compile(rf"^(?P<prompt>(?P<host>{_HOST}):[~/][^\s#$]*[#$])(?: |$)"), False),
)
_JUNOS_BANNER = re.compile(r"^\{[\w:-]+\}$")  # {master:0}, {primary:node0} above a prompt

_SESSION_COMMANDS = re.compile(
    r"^(?:exit|logout|quit|end|clear|terminal (?:length|pager|width)\b.*|"
    r"set cli (?:screen-length|screen-width|pager)\b.*|screen-length\b.*)$"
)


@dataclass(frozen=True)
class TranscriptBlock:
    """One prompt, the command typed after it, and what was printed until the next prompt."""

    line: int  # 1-based line of the prompt in the cleaned transcript
    prompt: str
    host: str
    command: str  # as typed (after the terminal's clean-up)
    output: str
    exit_status: int | None = None  # the shell's $? where the transcript shows it


def split_blocks(text: str, spec: PlatformSpec | None = None) -> tuple[list[TranscriptBlock], int]:
    """The transcript's prompts with their commands and outputs, and how many lines came
    before the first prompt (banner, login messages). ``spec`` helps tell a bare
    ``host#`` prompt from an output line: a known command after it makes it a prompt."""
    lines = clean_terminal_text(text)
    hosts = _recurring_hosts(lines)
    blocks: list[tuple[int, str, str, str, list[str]]] = []
    preamble = 0
    for number, line in enumerate(lines, start=1):
        prompt = _prompt(line, hosts, first=not blocks, spec=spec)
        if prompt is None:
            if blocks:
                blocks[-1][4].append(line)
            else:
                preamble += 1
            continue
        text_prompt, host, command = prompt
        hosts.add(host)
        if blocks and blocks[-1][4] and _JUNOS_BANNER.match(blocks[-1][4][-1]):
            blocks[-1][4].pop()
        blocks.append((number, text_prompt, host, command, []))
    result: list[TranscriptBlock] = []
    for number, text_prompt, host, command, output in blocks:
        within = _compound_blocks(spec, lines[number - 1], (number, text_prompt, host), output)
        if within is not None:
            result.extend(within)
            continue
        if output and command and output[0].strip() == command:
            output = output[1:]  # the device's echo of what was typed
        if output and not output[0].strip():
            # the echo's line end, as Netmiko's session log shows it: the collector drops it
            # too (ssh.py), so a transcript and a collection of one output read the same
            output = output[1:]
        result.append(TranscriptBlock(number, text_prompt, host, command, "\n".join(output)))
    return result, preamble


_COMPOUND_START = re.compile(r"printf '\\n%s-%s\\n' ITUI(?P<nonce>[0-9a-f]{16,64}) S1; ")


def _compound_blocks(
    spec: PlatformSpec | None, line: str, where: tuple[int, str, str], output: list[str]
) -> list[TranscriptBlock] | None:
    """The commands of a compound line (``ipsec_tui.collectors.compound``: a Linux peer's
    commands sent as one line, as a session log shows it), one block each with the text
    between its markers and its exit status; None when the line after the prompt is no
    compound line that reads back (then it stays one block, and no allowlist admits it).
    A line wider than the terminal comes back wrapped: its echo goes on over the lines
    before the first start marker (Netmiko's log repeats each row's last character at the
    start of the next)."""
    start = _COMPOUND_START.search(line)
    if spec is None or spec.compound is None or start is None:
        return None
    first = f"ITUI{start['nonce']}-S1"
    if first not in output:
        return None
    at = output.index(first)
    if at == 0 or output[at - 1] != "":  # printf's line end before each start marker
        return None
    rows = output[: at - 1]
    typed = line[start.start() :]
    joined = [typed + "".join(row[1:] if row else row for row in rows), typed + "".join(rows)]
    for candidate in joined if rows else [typed.rstrip()]:
        block = compound.read_line(spec, candidate.rstrip())
        if block is not None:
            break
    else:
        return None
    try:  # a line cut short (a timeout): the commands whose end marker arrived
        parts = compound.split(block, "\n".join(output[at - 1 :]), complete=False)
    except compound.SplitError:
        return None
    number, prompt, host = where
    return [
        TranscriptBlock(number, prompt, host, part.command, part.text, part.exit_status)
        for part in parts
    ]


def _recurring_hosts(lines: list[str]) -> set[str]:
    """Hosts of bare ``host#``-like prompts that appear on two lines or more: a prompt comes
    back after every command, an output line rarely repeats one."""
    seen: dict[str, int] = {}
    for line in lines:
        for form in _PROMPT_FORMS:
            match = form.pattern.match(line)
            if match:
                host = match.group("host")
                seen[host] = seen.get(host, 0) + 1
                break
    return {host for host, count in seen.items() if count >= 2}


def _prompt(
    line: str, hosts: set[str], *, first: bool, spec: PlatformSpec | None
) -> tuple[str, str, str] | None:
    for form in _PROMPT_FORMS:
        match = form.pattern.match(line)
        if not match:
            continue
        command = line[match.end() :].strip()
        host = match.group("host")
        if form.strong or first or host in hosts or (spec is not None and _known(spec, command)):
            return match.group("prompt"), host, command
    return None


def _known(spec: PlatformSpec, command: str) -> str | None:
    """The canonical command for what was typed, or None if the platform does not know it."""
    if not command:
        return None
    try:
        canonical = spec.match(command)
    except UserError:
        canonical = None
    if canonical is not None:
        return canonical
    # commands with a per-peer variable (`cat {log_file}`): any path reads as that command
    if spec.pattern_of(command) is not None:
        return " ".join(command.split())
    return None


# --- transcript -> capture -----------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptImport:
    """A transcript read as one peer's capture, and what the operator should know about it."""

    capture: PeerCapture
    warnings: tuple[str, ...]
    host: str | None  # the host name its prompts showed


def split_transcript(
    text: str, platform: str, peer_name: str | None = None, *, salt: bytes | None = None
) -> TranscriptImport:
    """Read a terminal transcript of ``platform`` as a peer's capture (named ``peer_name``,
    else after the host its prompts show). Commands are redacted (with the run's ``salt``,
    as the outputs will be) before they are recorded or name a file. UserError if it holds
    no importable command, or if the name cannot name a peer folder."""
    if peer_name is not None:
        _check_peer_name(peer_name, f"peer name {_cut(peer_name)!r}")
    spec = load_platform(platform)
    blocks, preamble = split_blocks(text, spec)
    warnings: list[str] = []
    if preamble and any(line.strip() for line in clean_terminal_text(text)[:preamble]):
        warnings.append(f"lines 1-{preamble}: before the first prompt (banner?): not imported")
    hosts = [block.host for block in blocks if block.command]
    host = max(dict.fromkeys(hosts), key=hosts.count) if hosts else None
    if peer_name is None and host is not None:
        _check_peer_name(
            host, f"the transcript's prompts name the host {_cut(host)!r}, which", "--peer NAME"
        )
    vocabulary = _vocabulary(spec)
    chosen: dict[str, TranscriptBlock] = {}  # canonical command, not yet redacted -> block
    for block in blocks:
        shown = _shown(block.command, vocabulary)
        if block.host != host:  # a jump host, or the operator's own machine
            if block.command:
                warnings.append(
                    f"line {block.line}: {shown} was run on {block.host}, not on {host}: "
                    "not imported"
                )
            continue
        if not block.command:
            if block.output.strip():
                warnings.append(
                    f"line {block.line}: output after a prompt with no command: not imported"
                )
            continue
        if _SESSION_COMMANDS.match(block.command):
            warnings.append(f"line {block.line}: session command {shown} skipped")
            continue
        canonical = _allowed(spec, block.command)
        if canonical is None:
            warnings.append(
                f"line {block.line}: {shown} is not on the {spec.name} read-only allowlist "
                "(configuration, a typed secret or a command ipsec-tui does not run): dropped "
                "with its output"
            )
            continue
        if canonical in chosen:
            earlier = chosen.pop(canonical).line
            warnings.append(
                f"line {block.line}: {_shown(canonical, vocabulary)} was run again (first at "
                f"line {earlier}): the later output is kept"
            )
        chosen[canonical] = block
    if not chosen:
        raise UserError(
            "no command found in the transcript: it needs the prompts as the terminal showed "
            "them (e.g. 'root@siteB:~# swanctl --list-sas' followed by the output), and "
            f"commands on the {spec.name} read-only allowlist"
        )
    # a secret a rule finds in an output (a PSK in a configuration) is also hidden where no
    # rule would recognise it, e.g. as the argument of an output filter
    seen = repeatable_secrets(block.output for block in chosen.values())
    records: list[CommandRecord] = []
    outputs: dict[str, str] = {}
    for canonical, block in chosen.items():
        command = redact(canonical, salt, seen).text
        file_name = output_file_name(command, outputs)
        outputs[file_name] = block.output
        records.append(
            CommandRecord(command=command, file=file_name, exit_status=block.exit_status)
        )
    capture = PeerCapture(
        name=peer_name or host or "peer",
        platform=spec.name,
        host=None,
        collected_at=None,
        commands=tuple(records),
        outputs=outputs,
        tool_version=f"ipsec-tui {__version__} (imported from a terminal transcript)",
    )
    return TranscriptImport(capture, tuple(warnings), host)


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _check_peer_name(name: str, subject: str, remedy: str = "another name") -> None:
    """UserError unless ``name`` can name a peer's folder in a capture."""
    problem = name_problem(name)
    if problem is not None:
        raise UserError(f"{subject} cannot name a peer: it {problem}; use {remedy}")


def _allowed(spec: PlatformSpec, command: str) -> str | None:
    """The canonical command if the platform's read-only allowlist admits ``command`` as
    typed, else None. A file reader's path (``cat /var/log/syslog``) is admitted when the
    platform would accept it as an override of the variable it stands for."""
    try:
        return spec.check_allowed(command)
    except UserError:  # CommandRefused, or a variable's value refused
        pass
    pattern = spec.pattern_of(command)
    if pattern is None:
        return None
    values = {
        word[1:-1]: token
        for word, token in zip(pattern.split(), command.split(), strict=False)
        if word.startswith("{") and word.endswith("}")
    }
    if not values:
        return None
    try:
        return spec.check_allowed(command, values)
    except UserError:
        return None


# Words a warning may quote besides the platform's own: what people type to reach a device
# or enter its configuration. A value (a key, a password) is never one of them.
_COMMON_WORDS = frozenset(
    {"ssh", "telnet", "enable", "config", "configure", "terminal", "edit", "next", "end",
     "exit", "crypto", "isakmp", "ikev1", "ikev2", "key", "keyring", "pre-shared-key",
     "psksecret", "username", "password", "secret", "security", "ike", "ipsec", "vpn",
     "phase1-interface", "phase2-interface", "tunnel-group", "ipsec-attributes"}
)  # fmt: skip


def _vocabulary(spec: PlatformSpec) -> tuple[tuple[str, str], ...]:
    """(required, full) spellings of every word the platform's allowlist is made of."""
    words: dict[tuple[str, str], None] = {}
    for pattern in spec.allowlist:
        for required, optional in pattern.words:
            if not required.startswith("{"):
                words.setdefault((required.lower(), (required + optional).lower()), None)
    for word in (*DENY_WORDS, *SHELL_WORDS, *_COMMON_WORDS):
        words.setdefault((word, word), None)
    return tuple(words)


def _shown(command: str, vocabulary: tuple[tuple[str, str], ...]) -> str:
    """What a warning may quote of a typed command: its leading words the platform knows,
    then '...'; never a value, so a key typed at the prompt is not echoed either."""
    tokens = command.split()
    known: list[str] = []
    for token in tokens:
        word = token.lower()
        if not any(word.startswith(req) and full.startswith(word) for req, full in vocabulary):
            break
        known.append(token)
    if not known:
        return f"a command of {len(tokens)} word{'s' if len(tokens) != 1 else ''}"
    return repr(" ".join(known) + (" ..." if len(known) < len(tokens) else ""))


# --- transcript -> capture folder -----------------------------------------------------------


@dataclass(frozen=True)
class ImportedPeer:
    """A transcript written as a peer of a capture folder, and the capture read back."""

    folder: Path
    peer: str  # the imported peer's name
    captures: tuple[PeerCapture, ...]  # every peer of the folder, in capture.yml's order
    commands: int  # how many commands the transcript gave
    warnings: tuple[str, ...]


def import_transcript(
    text: str,
    platform: str,
    out: Path,
    *,
    peer_name: str | None = None,
    first: bool = False,
) -> ImportedPeer:
    """A terminal transcript of ``platform`` as a peer of the capture folder ``out``: new
    (or empty), or a capture that holds one peer. The peer is named ``peer_name``, else after
    the host its prompts show, and goes last in capture.yml (``first``: first, as peer A).
    Written through capture_io (redacted, refused if a secret remains), then read back:
    what is shown is what was saved. ``ipsec-tui import`` and the cockpit's paste both call
    this. UserError on bad input, before anything is written."""

    if load_platform(platform).transport == "files":  # UserError: an unknown platform
        # a cloud's document pasted or given as one file: no prompts, its content says what
        pasted = [("the pasted text", text)]
        return import_documents(pasted, platform, out, peer_name=peer_name, first=first)
    imported = split_transcript(text, platform, peer_name)
    return _write_imported(imported, out, peer_name=peer_name, first=first)


def _write_imported(
    imported: TranscriptImport, out: Path, *, peer_name: str | None, first: bool
) -> ImportedPeer:
    """Write an imported peer into the capture folder ``out`` (see :func:`import_transcript`)."""
    capture = imported.capture
    check_peer_folder_name(capture.name, "the peer name" if peer_name else "the prompts' host name")
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    index = read_capture_index(out) if out.is_dir() else None
    if (out / capture.name).exists():
        raise UserError(
            f"{out / capture.name}: already exists: the capture has a peer named "
            f"{capture.name!r}; import under another peer name, or remove that folder first"
        )
    if index is None and out.is_dir() and any(out.iterdir()):
        if (out / PEER_FILE).is_file():
            raise UserError(f"{out}: is a peer folder; give the capture folder above it")
        raise UserError(f"{out}: not empty and not a capture (no {CAPTURE_FILE})")
    if index is not None and len(index.peers) >= 2:
        raise UserError(f"{out}: already holds two peers ({', '.join(index.peers)})")
    write_peer(out / capture.name, capture)
    others = list(index.peers) if index else []
    peers = [capture.name, *others] if first else [*others, capture.name]
    write_capture_index(
        out, index.tunnel if index else None, peers, index.description if index else None
    )
    return ImportedPeer(
        out, capture.name, tuple(read_capture(out)), len(capture.commands), imported.warnings
    )


# --- documents of a platform without a shell (a cloud's VPN) -----------------------------


def split_documents(
    documents: Sequence[tuple[str, str]], platform: str, peer_name: str | None = None
) -> TranscriptImport:
    """Documents of a ``transport: files`` platform (cloud CLI outputs, downloaded
    configuration files, exported logs), each ``(label, text)``, as one peer's capture. What
    each is comes from its content (the platform's ``detect`` patterns), never from its file
    name; the peer is named ``peer_name``, else after the platform. UserError for a document
    the platform does not recognise, naming it and what the platform reads."""
    spec = load_platform(platform)
    if spec.transport != "files":
        raise UserError(f"platform {spec.name!r} is read from terminal transcripts, not documents")
    name = peer_name or spec.name
    _check_peer_name(name, f"peer name {_cut(name)!r}")
    if not documents:
        raise UserError(f"no document given for platform {spec.name!r}")
    records: list[CommandRecord] = []
    outputs: dict[str, str] = {}
    for label, text in documents:
        command = spec.detect_command(text)
        if command is None:
            known = "; ".join(spec.detect)
            raise UserError(
                f"{label}: not a document {spec.name} reads (it reads the output of: {known}); "
                "give the file as the command printed it or as downloaded"
            )
        file_name = output_file_name(command, outputs)
        outputs[file_name] = text
        records.append(CommandRecord(command=command, file=file_name))
    capture = PeerCapture(
        name=name,
        platform=spec.name,
        commands=tuple(records),
        outputs=outputs,
        tool_version=f"ipsec-tui {__version__} (imported from {spec.description or spec.name})",
    )
    return TranscriptImport(capture, (), None)


def import_documents(
    documents: Sequence[tuple[str, str]],
    platform: str,
    out: Path,
    *,
    peer_name: str | None = None,
    first: bool = False,
) -> ImportedPeer:
    """Documents of a cloud platform (see :func:`split_documents`) as a peer of the capture
    folder ``out``, written and read back as :func:`import_transcript` does (redacted, refused
    if a secret remains). UserError on bad input, before anything is written."""
    imported = split_documents(documents, platform, peer_name)
    return _write_imported(imported, out, peer_name=peer_name, first=first)
