"""Text in, model out: the TTP wrapper, the parser registry and one peer's model.

Templates live in `templates/<platform>/<key>.ttp` as package data, where <key> is the slug
of the platform's command pattern (`swanctl --list-sas` -> `swanctl-list-sas`, a per-peer
file like `cat {log_file}` -> `cat-log-file`). Commands shared by Linux platforms use
`templates/linux/`. A parser never fails silently: each command yields a `ParseResult`
(ok / empty / failed with a reason, and the raw text when not ok).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

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
    XfrmPolicy,
    XfrmState,
)


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


def find_parser(platform: str, key: str) -> Parser | None:
    _load_parser_modules()
    found = _REGISTRY.get((platform, key))
    if found is None and platform in LINUX_PLATFORMS:
        found = _REGISTRY.get(("linux", key))
    return found


@cache
def _load_parser_modules() -> None:
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


def run_ttp(platform: str, key: str, text: str) -> list[dict[str, Any]]:
    """Run a template on text: the list of result dicts of its first input (may be [])."""
    # ttp writes a cache next to itself unless told otherwise: keep site-packages clean
    cache = os.environ.setdefault("TTPCACHEFOLDER", _ttp_cache_dir())
    Path(cache).mkdir(parents=True, exist_ok=True)  # a missing folder silently disables it
    from ttp import ttp

    engine = ttp(data=text, template=template_text(platform, key), log_level="CRITICAL")
    engine.parse(one=True)
    result = engine.result(structure="flat_list")
    return [r for r in result if isinstance(r, dict) and r]


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
    """Every collected output of one peer through its parser, merged into one model."""
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
    )
    _load_parser_modules()
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


def _fill(have: Any, other: Any) -> dict[str, Any]:
    return {
        name: getattr(other, name)
        for name in have.__dataclass_fields__
        if name != "child_sas"
        and getattr(have, name) in (None, (), "")
        and getattr(other, name) not in (None, (), "")
    }


def _same_ike_sa(have: IkeSa, other: IkeSa) -> bool:
    """Same peer: the same remote address (and no conflicting name), or the same name and
    no conflicting remote address."""
    names_agree = have.name is None or other.name is None or have.name == other.name
    if have.remote_addr and other.remote_addr:
        return have.remote_addr == other.remote_addr and names_agree
    return bool(have.name and have.name == other.name)


def _merge_children(have: tuple[ChildSa, ...], more: tuple[ChildSa, ...]) -> tuple[ChildSa, ...]:
    children = list(have)
    for child in more:
        key = (child.spi_in, child.spi_out)
        index = next(
            (
                i
                for i, known in enumerate(children)
                if (known.spi_in, known.spi_out) == key and (key != (None, None))
            ),
            None,
        )
        if index is None:
            children.append(child)
        else:
            children[index] = replace(children[index], **_fill(children[index], child))
    return tuple(children)


def merge_ike_sas(earlier: list[IkeSa], later: list[IkeSa]) -> list[IkeSa]:
    """`later` (one command's IKE SAs) folded into `earlier` (the commands before): an SA
    naming the same peer as an earlier one fills what the earlier left unknown and adds its
    child SAs (a child with the same SPI pair is filled, not repeated); the rest is added."""
    merged = list(earlier)
    taken: set[int] = set()
    for sa in later:
        index = next(
            (i for i, have in enumerate(earlier) if i not in taken and _same_ike_sa(have, sa)),
            None,
        )
        if index is None:
            merged.append(sa)
            continue
        taken.add(index)
        have = merged[index]
        merged[index] = replace(
            have, **_fill(have, sa), child_sas=_merge_children(have.child_sas, sa.child_sas)
        )
    return merged
