"""Text in, model out: the TTP wrapper, the parser registry and one peer's model.

Templates live in `templates/<platform>/<key>.ttp` as package data, where <key> is the slug
of the platform's command pattern (`swanctl --list-sas` -> `swanctl-list-sas`, a per-peer
file like `cat {log_file}` -> `cat-log-file`). Commands shared by Linux platforms use
`templates/linux/`. A parser never fails silently: each command yields a `ParseResult`
(ok / empty / failed with a reason, and the raw text when not ok).
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ipsec_tui.domain.capture import PeerCapture, slug
from ipsec_tui.domain.model import (
    ChildSa,
    Connection,
    FirewallRule,
    IkeSa,
    LogEvent,
    NatRule,
    ParseResult,
    ParseStatus,
    PeerModel,
    Route,
    SourceRef,
    XfrmPolicy,
    XfrmState,
)

if TYPE_CHECKING:  # only the ping and tcpdump parsers make these: most analyses never load them
    from ipsec_tui.domain.probe import Packet, PingResult


class ParseError(Exception):
    """The output is not what the template expects; the message says why."""


@dataclass(frozen=True)
class Unplaced:
    """A line of an understood output that has no place in the model, and why."""

    line: int | None
    text: str
    reason: str


def unplaced_summary(unplaced: list[Unplaced]) -> tuple[str, str]:
    """(reason, raw lines) of a PARTIAL result: the distinct reasons, then each line kept."""
    reasons = list(dict.fromkeys(u.reason for u in unplaced))
    reason = f"{len(unplaced)} line(s) not understood: " + "; ".join(reasons[:5])
    if len(reasons) > 5:
        reason += f"; and {len(reasons) - 5} more reason(s)"
    raw = "\n".join(f"{u.line if u.line is not None else '?'}: {u.text}" for u in unplaced)
    return reason, raw


@dataclass
class Fragment:
    """What one command's output contributes to a peer's model."""

    ike_sas: list[IkeSa] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    firewall: list[FirewallRule] = field(default_factory=list)
    nat_rules: list[NatRule] = field(default_factory=list)
    forwarding: bool | None = None
    daemon_uptime_s: int | None = None
    xfrm_states: list[XfrmState] = field(default_factory=list)
    xfrm_policies: list[XfrmPolicy] = field(default_factory=list)
    log: list[LogEvent] = field(default_factory=list)
    software: str | None = None
    notes: list[str] = field(default_factory=list)
    # The output was recognised, but what it says has no place in the model yet (daemon
    # statistics, policy-routing rules): kept as notes, and the result is OK, not EMPTY.
    understood: bool = False
    # Lines of a recognised output that the parser could not place, each with why: the
    # result is PARTIAL and these lines are kept as its raw text (nothing silently dropped).
    unplaced: list[Unplaced] = field(default_factory=list)
    # What a ping of the path test got back (`ipsec-tui probe`).
    pings: list[PingResult] = field(default_factory=list)
    # IKE and ESP packets a capture on the gateway's WAN printed (`ipsec-tui probe`).
    packets: list[Packet] = field(default_factory=list)

    def leave_unplaced(self, line: int | None, text: str, reason: str) -> None:
        """Record a line (1-based number in the output, when known) the parser could not use."""
        self.unplaced.append(Unplaced(line, text, reason))

    def is_empty(self) -> bool:
        return not any(
            (
                self.ike_sas,
                self.connections,
                self.routes,
                self.addresses,
                self.firewall,
                self.nat_rules,
                self.xfrm_states,
                self.xfrm_policies,
                self.log,
                self.pings,
                self.packets,
                self.software,
                self.forwarding is not None,
                self.daemon_uptime_s is not None,
                self.understood,
            )
        )


# A parser gets the raw text, the peer's name and the capture file name (for SourceRef),
# and returns a Fragment, or raises ParseError.
Parser = Callable[[str, "ParseContext"], Fragment]


@dataclass(frozen=True)
class ParseContext:
    peer: str
    file: str
    command: str


_REGISTRY: dict[tuple[str, str], Parser] = {}


def parser(platform: str, key: str) -> Callable[[Parser], Parser]:
    """Register a parser for `platform` ('linux' for every Linux platform) and template key."""

    def register(fn: Parser) -> Parser:
        _REGISTRY[(platform, key)] = fn
        return fn

    return register


LINUX_PLATFORMS = ("strongswan", "libreswan")

# After all of a peer's outputs are merged, a platform may join facts that only make sense
# together (Cisco: global IKE proposals into the profiles and maps that use them).
Finisher = Callable[[PeerModel], PeerModel]
_FINISHERS: dict[str, Finisher] = {}


def finisher(*platforms: str) -> Callable[[Finisher], Finisher]:
    """Register a pure function run on a platform's merged model by `parse_peer`."""

    def register(fn: Finisher) -> Finisher:
        for platform in platforms:
            _FINISHERS[platform] = fn
        return fn

    return register


# Aliases: a command whose output has another command's shape, read by that command's parser.
# A watch reads a Linux peer's log whole once, then from a line on (`tail -n +N FILE`): the
# log parser reads that, each line numbered as in the file.
_FROM_LINE_ALIASES = {"tail-n": "cat-log-file"}
_FROM_LINE = re.compile(r"^tail -n \+(?P<first>[1-9][0-9]*) ")


def from_line(parse: Parser) -> Parser:
    """``parse`` for its output read from line N on (`tail -n +N FILE`): the events keep
    their line number in the file, as a whole read numbers them."""

    def parse_from_line(text: str, ctx: ParseContext) -> Fragment:
        fragment = parse(text, ctx)
        found = _FROM_LINE.match(ctx.command)
        if found and fragment.log:
            shift = int(found["first"]) - 1
            fragment.log = [replace(event, line=event.line + shift) for event in fragment.log]
        return fragment

    return parse_from_line


def find_parser(platform: str, key: str) -> Parser | None:
    if key in _FROM_LINE_ALIASES:
        whole = find_parser(platform, _FROM_LINE_ALIASES[key])
        return from_line(whole) if whole is not None else None
    _load_platform_parsers(platform)
    found = _lookup(platform, key)
    if found is None:  # a parser registered by a module not named after its platform
        load_parsers()
        found = _lookup(platform, key)
    return found


def _lookup(platform: str, key: str) -> Parser | None:
    found = _REGISTRY.get((platform, key))
    if found is None and platform in LINUX_PLATFORMS:
        found = _REGISTRY.get(("linux", key))
    return found


@cache
def _load_platform_parsers(platform: str) -> None:
    """Import the parser module named after a platform (and `linux` for a Linux platform):
    a check of one platform's capture need not load every vendor's parsers."""
    import importlib
    import importlib.util

    for name in (platform, "linux") if platform in LINUX_PLATFORMS else (platform,):
        module = f"ipsec_tui.parsers.{name}"
        if name != "base" and importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


@cache
def load_parsers() -> None:
    """Import every parser module of this package once: importing registers its parsers
    (one module per platform family; a new platform is a new module, nothing to edit here)."""
    import importlib
    import pkgutil

    import ipsec_tui.parsers as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"ipsec_tui.parsers.{info.name}")


# --- TTP ------------------------------------------------------------------------------------


@cache
def template_text(platform: str, key: str) -> str:
    """A template's text from package data (never a path TTP has to guess about)."""
    return (resources.files("ipsec_tui.parsers") / "templates" / platform / f"{key}.ttp").read_text(
        encoding="utf-8"
    )


def _ttp_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "ipsec-tui" / "ttp")


# One compiled TTP engine per template, built on first use and kept for the process: building
# one reads and compiles the template, which costs more than parsing a small output. An
# engine holds its input and results while it parses, so one parse runs at a time; parsing
# is pure Python under the GIL, so the cockpit's worker threads lose nothing by the lock.
_TTP_LOCK = threading.Lock()
_TTP_ENGINES: dict[tuple[str, str], Any] = {}
# TTP binds its function table into the globals of its plugin modules when it first calls
# one: engines with tables of their own would leave those globals pointing at whichever
# engine loaded a plugin last. Every engine here shares the first one's table.
_TTP_SHARED: dict[str, Any] = {}


def _ttp_engine(platform: str, key: str) -> Any:
    """The compiled engine of a template (the caller holds _TTP_LOCK)."""
    engine = _TTP_ENGINES.get((platform, key))
    if engine is not None:
        return engine
    # ttp writes a cache next to itself unless told otherwise: keep site-packages clean
    cache = os.environ.setdefault("TTPCACHEFOLDER", _ttp_cache_dir())
    Path(cache).mkdir(parents=True, exist_ok=True)  # a missing folder silently disables it
    from ttp import ttp

    engine = ttp(log_level="CRITICAL")
    if _TTP_SHARED:
        engine._ttp_ = _TTP_SHARED["functions"]
    else:
        _TTP_SHARED["functions"] = engine._ttp_
    engine.add_template(template_text(platform, key))
    _TTP_ENGINES[(platform, key)] = engine
    return engine


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused, then put back as it was, even on an error. TTP
    builds its results as trees of small dicts and lists without cycles: on a large output
    the collector has nothing to free in them but walks them again each time they grow (a
    quarter to two fifths of the parse time of a 2,000-peer Cisco listing). Pauses may nest
    and overlap across threads: only a pause that found the collector running restarts it,
    so it always ends running (at worst one parse loses the rest of its pause)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def warm_platform(platform: str, stop: Callable[[], bool] = lambda: False) -> None:
    """Load a platform's parsers and compile its templates ahead of its first parse (and
    Linux's for a Linux platform), until ``stop()`` says to stop: what a first analysis
    otherwise pays for on its way to the screen. Unknown platforms warm nothing."""
    folder = resources.files("ipsec_tui.parsers") / "templates"
    for name in (platform, "linux") if platform in LINUX_PLATFORMS else (platform,):
        if not (folder / name).is_dir() or stop():
            continue
        _load_platform_parsers(name)
        for entry in sorted(folder.joinpath(name).iterdir(), key=lambda e: e.name):
            if stop():
                return
            if entry.name.endswith(".ttp"):
                with _TTP_LOCK:
                    _ttp_engine(name, entry.name.removesuffix(".ttp"))


def run_ttp(platform: str, key: str, text: str) -> list[dict[str, Any]]:
    """Run a template on text: the list of result dicts of its first input (may be [])."""
    with _TTP_LOCK, _collector_paused():
        engine = _ttp_engine(platform, key)
        engine._ttp_["ttp_object"] = engine
        try:
            for template in engine._templates:
                # handed over as text: ttp's own add_input would first try the text as a path
                template.inputs = {}
                template.update_input(data=[("text_data", text)])
            engine.parse(one=True)
            result = engine.result(structure="flat_list")
        finally:  # neither the output nor its results stay with the engine
            engine.clear_input()
            engine.clear_result()
    return [r for r in result if isinstance(r, dict) and r]


def ttp_records(platform: str, key: str, text: str) -> list[dict[str, Any]]:
    """Run a template; the text always ends with a newline, since TTP only matches lines that
    end with one and captures often lack the last one."""
    return run_ttp(platform, key, text if text.endswith("\n") else text + "\n")


def group_items(results: Iterable[Mapping[str, Any]], name: str) -> list[dict[str, Any]]:
    """The items of a TTP group across results: TTP gives a dict for one match, a list for
    several (unless the group name ends in `*`)."""
    items: list[dict[str, Any]] = []
    for result in results:
        value = result.get(name)
        if isinstance(value, dict):
            items.append(value)
        elif isinstance(value, list):
            items.extend(item for item in value if isinstance(item, dict))
    return items


def numbered(text: str) -> str:
    """Every line prefixed with its 1-based number and a TAB: TTP does not report where a
    match was, and some facts (log events, config sections) must point at their line."""
    return "".join(f"{number}\t{line}\n" for number, line in enumerate(text.splitlines(), 1))


def numbered_items(
    platform: str,
    key: str,
    text: str,
    group: str = "lines",
    numbering: Callable[[str], str] = numbered,
) -> list[dict[str, Any]]:
    """The items of a template's group run over the text as `numbering` numbers it, in output
    order, each with its `line` as an int: the shape of a template whose every line pattern
    starts with `{{ line | DIGIT }}<TAB>`."""
    items = group_items(ttp_records(platform, key, numbering(text)), group)
    for item in items:
        item["line"] = to_int(item.get("line")) or 0
    items.sort(key=lambda item: int(item["line"]))
    return items


def source_ref(ctx: ParseContext, line_start: int, line_end: int | None = None) -> SourceRef:
    """Where a fact was read: the peer, the capture file and the line range (1-based)."""
    return SourceRef(ctx.peer, ctx.file, line_start, line_end if line_end else line_start)


def to_int(value: Any) -> int | None:
    """A whole number read from a template value, thousands commas allowed (Cisco counters
    print `1,234`); None when it is not one."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.isascii() and text.isdigit():
            return int(text)
    return None


# --- CLI errors -----------------------------------------------------------------------------

# Lines that carry no words of their own around a CLI error: the caret under the refused
# word, rules, and Junos cluster headers (`node0:`, `{primary:node0}`).
_NO_WORDS = re.compile(r"^(?:[\s^]*|-+|node\d+:|\{\w+:node\d+\})$")


def cli_failure(
    text: str, indicators: Iterable[str], command: str = "", ignore: re.Pattern[str] | None = None
) -> str | None:
    """The device's error line when the output is a CLI error: every line that says anything
    (the echoed command aside, and lines `ignore` matches, such as a tool's start-up
    warnings) carries one of the platform's failure indicators (a marker found anywhere in
    the line, or at its start when written with a leading `^`; letter case aside, since
    releases differ: PAN-OS `Invalid syntax.` / `Invalid Syntax.`). Reading stops at the
    first line that is not refused, so a long listing costs a line or two."""
    markers = tuple(marker.casefold() for marker in indicators)
    if not markers:
        return None

    def refused(line: str) -> bool:
        folded = line.casefold()
        return any(
            folded.startswith(marker[1:]) if marker.startswith("^") else marker in folded
            for marker in markers
        )

    first: str | None = None
    for raw in _iter_lines(text):
        line = raw.strip()
        if not line or _NO_WORDS.match(line) or (ignore is not None and ignore.match(raw)):
            continue
        if first is None and command and line.endswith(command.strip()):
            command = ""  # the command as the device echoed it, with its prompt
            continue
        command = ""
        if not refused(line):
            return None
        first = first or line
    return first


def _iter_lines(text: str) -> Iterator[str]:
    """The lines of a text one by one, without splitting all of it first."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        yield text[start:end]
        start = end + 1


# --- one peer -------------------------------------------------------------------------------


def template_key(command_pattern: str) -> str:
    """`cat {log_file}` -> `cat-log-file`, `swanctl --list-sas` -> `swanctl-list-sas`."""
    return slug(command_pattern.replace("{", " ").replace("}", " "))


def parse_text(
    platform: str,
    command: str,
    text: str,
    peer: str = "peer",
    file: str = "-",
    overrides: dict[str, str] | None = None,
) -> tuple[ParseResult, Fragment]:
    """Parse one command's output; the result says ok, empty or failed (never raises)."""
    from ipsec_tui.platforms import load_platform

    spec = load_platform(platform)
    pattern = spec.pattern_of(command)
    if pattern is None:
        return ParseResult(
            command,
            file,
            ParseStatus.FAILED,
            None,
            f"{platform} has no command like {command!r}",
            text,
        ), Fragment()
    key = template_key(pattern)
    fn = find_parser(platform, key)
    parser_id = f"{platform}/{key}"
    refused = cli_failure(text, spec.failure_indicators, command)
    if refused is not None:
        # the device refused the command: its words are the reason, no parser runs
        return ParseResult(
            command, file, ParseStatus.FAILED, parser_id, f"`{command}` failed: {refused}", text
        ), Fragment()
    if fn is None:
        return ParseResult(
            command,
            file,
            ParseStatus.FAILED,
            parser_id,
            f"no parser for {platform} `{pattern}` yet",
            text,
        ), Fragment()
    if not text.strip():
        return ParseResult(
            command, file, ParseStatus.EMPTY, parser_id, "the command printed nothing", text
        ), Fragment()
    try:
        fragment = fn(text, ParseContext(peer, file, command))
    except ParseError as exc:
        return ParseResult(command, file, ParseStatus.FAILED, parser_id, str(exc), text), Fragment()
    except Exception as exc:  # a template bug must not lose the output: keep it, say so
        return ParseResult(
            command,
            file,
            ParseStatus.FAILED,
            parser_id,
            f"parser error: {type(exc).__name__}: {exc}",
            text,
        ), Fragment()
    if fragment.log:  # the exchange each line is about, from signatures/<platform>.yml
        from ipsec_tui.parsers.log_signatures import with_exchanges

        fragment.log = with_exchanges(platform, fragment.log)
    if fragment.is_empty():
        return ParseResult(
            command,
            file,
            ParseStatus.EMPTY,
            parser_id,
            "nothing in the output matched the template",
            text,
        ), fragment
    if fragment.unplaced:
        reason, raw = unplaced_summary(fragment.unplaced)
        return ParseResult(command, file, ParseStatus.PARTIAL, parser_id, reason, raw), fragment
    return ParseResult(command, file, ParseStatus.OK, parser_id), fragment


def _is_log(platform: str, command: str) -> bool:
    """Does the platform list this command (by its pattern) under its `log` fact?"""
    from ipsec_tui.platforms import load_platform

    spec = load_platform(platform)
    pattern = spec.pattern_of(command)
    if pattern is None:
        return False
    return any(
        p.canonical({name: f"{{{name}}}" for name in p.variables}) == pattern
        for p in spec.facts.get("log", ())
    )


def parse_peer(capture: PeerCapture) -> PeerModel:
    """Every collected output of one peer through its parser, merged into one model. The
    collector is paused meanwhile: a hub's parse builds hundreds of thousands of small dicts,
    tuples and records, none in a cycle, and the collector walked them all again and again
    as they grew (a third of the parse of 10,000 child SAs)."""
    with _collector_paused():
        return _parse_peer(capture)


def _parse_peer(capture: PeerCapture) -> PeerModel:
    results: list[ParseResult] = []
    merged = Fragment()
    log_file = None
    for record in capture.commands:
        text = capture.output_of(record)
        if text is None:
            continue
        result, fragment = parse_text(
            capture.platform, record.command, text, capture.name, record.file or "-"
        )
        results.append(result)
        # the IKE log was collected even when it is empty: a silent log is evidence too
        if fragment.log or (
            log_file is None
            and _is_log(capture.platform, record.command)
            and result.status != ParseStatus.FAILED
        ):
            log_file = record.file
        _merge(merged, fragment)
    model = PeerModel(
        name=capture.name,
        platform=capture.platform,
        host=capture.host,
        collected_at=capture.collected_at,
        software=merged.software,
        ike_sas=tuple(merged.ike_sas),
        connections=tuple(merge_connections(merged.connections)),
        routes=tuple(merged.routes),
        addresses=tuple(merged.addresses),
        firewall=tuple(merged.firewall),
        nat_rules=tuple(merged.nat_rules),
        forwarding=merged.forwarding,
        daemon_uptime_s=merged.daemon_uptime_s,
        xfrm_states=tuple(merged.xfrm_states),
        xfrm_policies=tuple(merged.xfrm_policies),
        log=tuple(merged.log),
        log_file=log_file,
        parse_results=tuple(results),
        collection_error=capture.error,
        notes=tuple(merged.notes),
        connection=capture.connection,
    )
    _load_platform_parsers(capture.platform)
    finish = _FINISHERS.get(capture.platform)
    return finish(model) if finish else model


def _merge(into: Fragment, part: Fragment) -> None:
    into.ike_sas = merge_ike_sas(into.ike_sas, part.ike_sas)
    into.connections += part.connections
    into.routes += part.routes
    into.addresses += part.addresses
    into.firewall += part.firewall
    into.nat_rules += part.nat_rules
    into.xfrm_states += part.xfrm_states
    into.xfrm_policies += part.xfrm_policies
    into.log += part.log
    into.notes += part.notes
    if part.forwarding is not None:
        into.forwarding = part.forwarding
    if part.daemon_uptime_s is not None:
        into.daemon_uptime_s = part.daemon_uptime_s
    if part.software and not into.software:
        into.software = part.software


def merge_connections(connections: list[Connection]) -> list[Connection]:
    """Connections of the same name from several commands (loaded state and config file):
    the first source's values win, later sources fill what it left unknown."""
    by_name: dict[str, Connection] = {}
    for conn in connections:
        have = by_name.get(conn.name)
        if have is None:
            by_name[conn.name] = conn
            continue
        changes: dict[str, Any] = {}
        for name in conn.__dataclass_fields__:
            mine, theirs = getattr(have, name), getattr(conn, name)
            if mine in (None, (), "") and theirs not in (None, (), ""):
                changes[name] = theirs
        if have.children and conn.children:
            theirs_by_name = {c.name: c for c in conn.children}
            children = []
            for child in have.children:
                other = theirs_by_name.get(child.name)
                if other:
                    fill = {
                        n: getattr(other, n)
                        for n in child.__dataclass_fields__
                        if getattr(child, n) in (None, (), "")
                        and getattr(other, n) not in (None, (), "")
                    }
                    child = replace(child, **fill)
                children.append(child)
            known = {c.name for c in children}
            children += [c for c in conn.children if c.name not in known]
            changes["children"] = tuple(children)
        by_name[conn.name] = replace(have, **changes)
    return list(by_name.values())


# --- IKE SAs seen by several commands -------------------------------------------------------
# Network OSes show an IKE SA and its child SAs in different commands (Junos `show security
# ike ...` / `... ipsec ...`, PAN-OS `show vpn ike-sa` / `ipsec-sa`, FortiOS `diagnose vpn
# ike gateway list` / `tunnel list`): the checks read a child SA under its IKE SA, so SAs
# that name the same peer are joined. Within one command's output nothing is joined (two
# IKE SAs towards one peer during a rekey stay two).


_D = TypeVar("_D")


def filled(have: _D, other: _D) -> _D:
    """`have` with its unknown fields (None, (), "") taken from `other` (same dataclass)."""
    unknown = (None, (), "")
    changes = {
        f.name: getattr(other, f.name)
        for f in fields(cast(Any, have))
        if getattr(have, f.name) in unknown and getattr(other, f.name) not in unknown
    }
    return cast(_D, replace(cast(Any, have), **changes)) if changes else have


def _same_ike_sa(have: IkeSa, other: IkeSa) -> bool:
    """Same peer: the same remote address (and no conflicting name), or the same name and
    no conflicting remote address."""
    names_agree = have.name is None or other.name is None or have.name == other.name
    if have.remote_addr and other.remote_addr:
        return have.remote_addr == other.remote_addr and names_agree
    return bool(have.name and have.name == other.name)


def _merge_children(have: tuple[ChildSa, ...], more: tuple[ChildSa, ...]) -> tuple[ChildSa, ...]:
    children = list(have)
    # the first child of each SPI pair, found by the pair: a hub's SA has thousands
    first: dict[tuple[str | None, str | None], int] = {}
    for index, known in enumerate(children):
        first.setdefault((known.spi_in, known.spi_out), index)
    for child in more:
        key = (child.spi_in, child.spi_out)
        same = first.get(key) if key != (None, None) else None
        if same is None:
            first.setdefault(key, len(children))
            children.append(child)
        else:
            children[same] = filled(children[same], child)
    return tuple(children)


def _candidates(
    sa: IkeSa,
    earlier: list[IkeSa],
    by_addr: dict[str, list[int]],
    by_name: dict[str, list[int]],
) -> list[int]:
    """The indexes of `earlier` that may be the same IKE SA as `sa` (by `_same_ike_sa`),
    looked up by remote address and name instead of compared with every SA."""
    found = [i for i in by_addr.get(sa.remote_addr or "", ()) if _same_ike_sa(earlier[i], sa)]
    if sa.name:
        found += [i for i in by_name.get(sa.name, ()) if _same_ike_sa(earlier[i], sa)]
    return sorted(set(found))


def merge_ike_sas(earlier: list[IkeSa], later: list[IkeSa]) -> list[IkeSa]:
    """`later` (one command's IKE SAs) folded into `earlier` (the commands before): an SA
    naming the same peer as an earlier one fills what the earlier left unknown and adds its
    child SAs (a child with the same SPI pair is filled, not repeated); the rest is added."""
    merged = list(earlier)
    taken: set[int] = set()
    by_addr: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for i, have in enumerate(earlier):
        if have.remote_addr:
            by_addr.setdefault(have.remote_addr, []).append(i)
        if have.name:
            by_name.setdefault(have.name, []).append(i)
    for sa in later:
        index = next(
            (i for i in _candidates(sa, earlier, by_addr, by_name) if i not in taken), None
        )
        if index is None:
            merged.append(sa)
            continue
        taken.add(index)
        have = merged[index]
        merged[index] = replace(
            filled(have, sa), child_sas=_merge_children(have.child_sas, sa.child_sas)
        )
    return merged


# --- shared parser plumbing: lines nobody read, children under their parents --------------

_P = TypeVar("_P")
_C = TypeVar("_C")


def leave_unmatched(
    fragment: Fragment, text: str, items: Iterable[Mapping[str, Any]], reason: str
) -> None:
    """Every non-blank line of `text` whose number no item carries becomes unplaced: for
    templates that match every line they understand (with a `known` pattern for lines that
    carry nothing, such as column headers), whatever is left is a line not understood."""
    read = {item.get("line") for item in items}
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and number not in read:
            fragment.leave_unplaced(number, line, reason)


def attach(
    parents: Sequence[_P],
    children: Iterable[_C],
    parent_keys: Callable[[_P], Iterable[Hashable]],
    child_keys: Callable[[_C], Iterable[Hashable]],
) -> tuple[list[list[_C]], list[_C]]:
    """Children under their parents, in one pass: a child goes to the first parent holding
    the first of its keys (most specific first) that any parent holds. Returns the children
    of each parent, in the parents' order, and the children no parent holds a key of."""
    owner: dict[Hashable, int] = {}
    for index, parent in enumerate(parents):
        for key in parent_keys(parent):
            owner.setdefault(key, index)
    placed: list[list[_C]] = [[] for _ in parents]
    orphans: list[_C] = []
    for child in children:
        found = next((owner[key] for key in child_keys(child) if key in owner), None)
        if found is None:
            orphans.append(child)
        else:
            placed[found].append(child)
    return placed, orphans


def first_of(values: Sequence[_P]) -> _P | None:
    """The first of a tuple of values (addresses, selectors) read from one output; None when
    there are none."""
    return values[0] if values else None


# --- line templates at hub scale -------------------------------------------------------------
# TTP's results machinery costs several microseconds per matched line, which a hub's listing
# (12,000 lines for 2,000 child SAs) cannot afford. A template made of plain line patterns
# (variables with a pattern and no functions; groups opened by their `_start_` lines) is
# compiled by TTP as usual; `line_items` runs the compiled line regexes over the text and
# puts the matches together itself, in one pass, knowing the line of every match.


@dataclass(frozen=True)
class _LineRule:
    regex: re.Pattern[str]
    depth: int  # 0 for the top group
    group: str  # the group's name in its parent item
    start: bool
    renamed: tuple[tuple[str, str], ...]  # (regex group, variable) where TTP renamed one
    variables: frozenset[str]


@dataclass
class LineItems:
    """A line template's items: each a dict of its variables, `_first`/`_last` (the 1-based
    range from its start line to the line before the next item of its group or of a group
    above it, trailing blank lines left out) and its nested groups' items as lists; the
    non-blank lines no pattern matched; and matched lines that had no open item to go to
    (a nested group's line before any item above it, or a line an item already had)."""

    items: list[dict[str, Any]]
    unmatched: list[int]
    orphans: list[int]
    lines: list[str]


def _line_rules(platform: str, key: str) -> tuple[_LineRule, ...]:
    with _TTP_LOCK:
        engine = _ttp_engine(platform, key)
    rules: list[_LineRule] = []

    def walk(group: Any) -> None:
        path = [str(name).rstrip("*") for name in group.path]
        if group.end_re:
            raise ValueError(f"{platform}/{key}: `_end_` lines are not supported here")
        for regexes, start in ((group.start_re, True), (group.re, False)):
            for rule in regexes:
                variables = rule["VARIABLES"]
                if (
                    rule["ACTION"] != ("start" if start else "add")
                    or any(v.functions for v in variables.values())
                    or not rule["REGEX"].pattern.startswith("\\n")
                ):
                    raise ValueError(f"{platform}/{key}: not a template of plain line patterns")
                names = {name: v.var_name_original for name, v in variables.items()}
                rules.append(
                    _LineRule(
                        rule["REGEX"],
                        len(path) - 1,
                        path[-1],
                        start,
                        tuple((name, var) for name, var in names.items() if name != var),
                        frozenset(names.values()),
                    )
                )
        for child in group.children:
            walk(child)

    for template in engine._templates:
        for group in template.groups:
            walk(group)
    return tuple(rules)


_LINE_RULES: dict[tuple[str, str], tuple[_LineRule, ...]] = {}


def line_items(platform: str, key: str, text: str) -> LineItems:
    """Run a template of plain line patterns over text in one pass (see above). Where two
    patterns match one line, the first in the template wins. A non-start line goes to the
    open item of its group; a start line closes the open items of its group and below."""
    rules = _LINE_RULES.get((platform, key))
    if rules is None:
        rules = _LINE_RULES.setdefault((platform, key), _line_rules(platform, key))
    data = "\n" + text + ("" if text.endswith("\n") else "\n")
    lines = data[1:-1].split("\n")
    # each pattern starts at the newline before its line: by that offset, one match a line
    found: dict[int, tuple[_LineRule, re.Match[str]]] = {}
    for rule in rules:  # in template order: on a line two patterns match, the first stays
        add = found.setdefault
        for match in rule.regex.finditer(data):
            add(match.start(), (rule, match))
    top: list[dict[str, Any]] = []
    open_items: list[dict[str, Any]] = []  # the open item at each depth
    orphans: list[int] = []
    matched: set[int] = set()
    count = data.count
    number, seen = 1, 0  # the line whose newline is at offset `seen`

    def close(depth: int, last: int) -> None:
        while len(open_items) > depth:
            item = open_items.pop()
            while last > item["_first"] and not lines[last - 1].strip():
                last -= 1
            item["_last"] = last

    for at in sorted(found):
        rule, match = found[at]
        number += count("\n", seen + 1, at + 1)
        seen = at
        matched.add(number)
        values = match.groupdict()
        for name, variable in rule.renamed:
            values[variable] = values.pop(name)
        if None in values.values():
            values = {name: value for name, value in values.items() if value is not None}
        depth = rule.depth
        if rule.start:
            if len(open_items) < depth:  # a nested group's start with no item above it
                orphans.append(number)
                continue
            close(depth, number - 1)
            values["_first"] = number
            if depth:
                open_items[depth - 1].setdefault(rule.group, []).append(values)
            else:
                top.append(values)
            open_items.append(values)
        elif len(open_items) > depth and rule.variables.isdisjoint(open_items[depth]):
            open_items[depth].update(values)
        else:
            orphans.append(number)
    close(0, len(lines))
    left = sorted(set(range(1, len(lines) + 1)) - matched)
    unmatched = [number for number in left if lines[number - 1].strip()]
    return LineItems(top, unmatched, orphans, lines)
