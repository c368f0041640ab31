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
  ran on; the rest is skipped with a warning.

Each command is mapped to the platform's canonical command (abbreviations such as
``ip r s table all`` via the platform spec). A command the platform does not know is kept as
typed, with its output, and a warning: nothing is dropped silently. Session commands
(``exit``, ``terminal length 0``...) are skipped with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ipsec_tui import __version__
from ipsec_tui.collectors.capture_io import output_file_name
from ipsec_tui.domain.capture import CommandRecord, PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, load_platform

# --- terminal clean-up ---------------------------------------------------------------------

_PAGER = re.compile(
    r"(?: ?--More-- ?|<--- More --->|---\(more(?: \d+%)?\)---|-- More --|--\(more\)--)"
    # the erase that follows: backspaces/blanks/backspaces, CR/blanks/CR, or ANSI erase (a
    # CR of the line's own CRLF is no erase: blanks before it are the line's content)
    r"(?:\x08+ +\x08+|\r +\r(?!\n)|\x08+|\x1b\[\d*D\x1b\[K|\x1b\[\d*D|\x1b\[K|\r(?!\n))?"
)
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")  # window titles
_CSI = re.compile(r"\x1b\[([0-9;?]*)([ -/]*)([@-~])")
_OTHER_ESCAPE = re.compile(r"\x1b(?:[()][A-Za-z0-9]|[=>78DEHMc])")
_NEEDS_RENDERING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _render(line: str) -> str:
    """One line as a terminal shows it: overwrites, backspaces and cursor moves applied."""
    cells: list[str] = []
    cursor = 0
    position = 0
    while position < len(line):
        char = line[position]
        if char == "\x1b":
            csi = _CSI.match(line, position)
            if csi:
                argument, final = csi.group(1), csi.group(3)
                count = int(argument) if argument.isdigit() else 1
                if final == "K":  # erase to the end of the line (the only form we need)
                    del cells[cursor:]
                elif final == "D":
                    cursor = max(0, cursor - count)
                elif final == "C":
                    cursor += count
                elif final == "G":
                    cursor = max(0, count - 1)
                elif final == "P":  # delete characters
                    del cells[cursor : cursor + count]
                position = csi.end()
                continue
            position += 1
            continue
        if char == "\r":
            cursor = 0
        elif char == "\b":
            cursor = max(0, cursor - 1)
        elif char == "\t" or char >= " ":
            while len(cells) < cursor:
                cells.append(" ")
            if cursor < len(cells):
                cells[cursor] = char
            else:
                cells.append(char)
            cursor += 1
        # other control characters (bell, NUL...) print nothing
        position += 1
    return "".join(cells)


def clean_terminal_text(text: str) -> list[str]:
    """The transcript's lines as the terminal showed them (pager prompts and escapes gone)."""
    text = _PAGER.sub("", text)
    text = _OSC.sub("", text)
    text = _OTHER_ESCAPE.sub("", text)
    text = re.sub(r"\r+\n", "\n", text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start another
    rendered = []
    for line in lines:
        if _NEEDS_RENDERING.search(line):
            line = _render(line)
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
_PEER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # also a folder name
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
    result = []
    for number, text_prompt, host, command, output in blocks:
        if output and command and output[0].strip() == command:
            output = output[1:]  # the device's echo of what was typed
        if output and not output[0].strip():
            # the echo's line end, as Netmiko's session log shows it: the collector drops it
            # too (ssh.py), so a transcript and a collection of one output read the same
            output = output[1:]
        result.append(TranscriptBlock(number, text_prompt, host, command, "\n".join(output)))
    return result, preamble


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


def split_transcript(text: str, platform: str, peer_name: str | None = None) -> TranscriptImport:
    """Read a terminal transcript of ``platform`` as a peer's capture (named ``peer_name``,
    else after the host its prompts show). UserError if it holds no command at all."""
    if peer_name is not None and not _PEER_NAME.match(peer_name):
        raise UserError(f"peer name {peer_name!r}: use letters, digits, '.', '_' and '-' only")
    spec = load_platform(platform)
    blocks, preamble = split_blocks(text, spec)
    warnings: list[str] = []
    if preamble and any(line.strip() for line in clean_terminal_text(text)[:preamble]):
        warnings.append(f"lines 1-{preamble}: before the first prompt (banner?): not imported")
    hosts = [block.host for block in blocks if block.command]
    host = max(dict.fromkeys(hosts), key=hosts.count) if hosts else None
    chosen: dict[str, tuple[TranscriptBlock, str]] = {}  # command -> (block, as typed)
    for block in blocks:
        if block.host != host:  # a jump host, or the operator's own machine
            if block.command:
                warnings.append(
                    f"line {block.line}: {block.command!r} was run on {block.host}, not on "
                    f"{host}: not imported"
                )
            continue
        if not block.command:
            if block.output.strip():
                warnings.append(
                    f"line {block.line}: output after a prompt with no command: not imported"
                )
            continue
        if _SESSION_COMMANDS.match(block.command):
            warnings.append(f"line {block.line}: session command {block.command!r} skipped")
            continue
        canonical = _known(spec, block.command)
        if canonical is None:
            canonical = " ".join(block.command.split())
            warnings.append(
                f"line {block.line}: {block.command!r} is not a {platform} command ipsec-tui "
                "knows: kept as typed, its output is shown raw"
            )
        if canonical in chosen:
            earlier = chosen.pop(canonical)[0].line
            warnings.append(
                f"line {block.line}: {canonical!r} was run again (first at line {earlier}): "
                "the later output is kept"
            )
        chosen[canonical] = (block, block.command)
    if not chosen:
        raise UserError(
            "no command found in the transcript: it needs the prompts as the terminal showed "
            "them (e.g. 'root@siteB:~# swanctl --list-sas' followed by the output)"
        )
    records: list[CommandRecord] = []
    outputs: dict[str, str] = {}
    for canonical, (block, _) in chosen.items():
        file_name = output_file_name(canonical, outputs)
        outputs[file_name] = block.output
        records.append(CommandRecord(command=canonical, file=file_name))
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


def import_transcript(text: str, platform: str, peer_name: str) -> PeerCapture:
    """The cockpit's "paste the other side": a transcript as the capture of ``peer_name``.
    :func:`split_transcript` also says what was skipped or kept raw."""
    return split_transcript(text, platform, peer_name).capture
