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
    Connection,
    FirewallRule,
    IkeSa,
    LogEvent,
    ParseResult,
    ParseStatus,
    PeerModel,
    Route,
    XfrmPolicy,
    XfrmState,
)


class ParseError(Exception):
    """The output is not what the template expects; the message says why."""


@dataclass
class Fragment:
    """What one command's output contributes to a peer's model."""

    ike_sas: list[IkeSa] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    firewall: list[FirewallRule] = field(default_factory=list)
    forwarding: bool | None = None
    xfrm_states: list[XfrmState] = field(default_factory=list)
    xfrm_policies: list[XfrmPolicy] = field(default_factory=list)
    log: list[LogEvent] = field(default_factory=list)
    software: str | None = None
    notes: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(
            (
                self.ike_sas,
                self.connections,
                self.routes,
                self.addresses,
                self.firewall,
                self.xfrm_states,
                self.xfrm_policies,
                self.log,
                self.software,
                self.forwarding is not None,
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
    os.environ.setdefault("TTPCACHEFOLDER", _ttp_cache_dir())
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
    return ParseResult(command, file, ParseStatus.OK, parser_id), fragment


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
        if fragment.log:
            log_file = record.file
        _merge(merged, fragment)
    return PeerModel(
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
        forwarding=merged.forwarding,
        xfrm_states=tuple(merged.xfrm_states),
        xfrm_policies=tuple(merged.xfrm_policies),
        log=tuple(merged.log),
        log_file=log_file,
        parse_results=tuple(results),
        collection_error=capture.error,
        notes=tuple(merged.notes),
    )


def _merge(into: Fragment, part: Fragment) -> None:
    into.ike_sas += part.ike_sas
    into.connections += part.connections
    into.routes += part.routes
    into.addresses += part.addresses
    into.firewall += part.firewall
    into.xfrm_states += part.xfrm_states
    into.xfrm_policies += part.xfrm_policies
    into.log += part.log
    into.notes += part.notes
    if part.forwarding is not None:
        into.forwarding = part.forwarding
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
