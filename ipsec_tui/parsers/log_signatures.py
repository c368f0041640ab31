"""Vendor log wordings as data: signatures/<platform>.yml, loaded and compiled once.

Each entry of a platform's file names the cause tokens (`ipsec_tui.domain.causes`) that one
wording carries, or the exchange it is about (`EXCHANGES`), or both; the regular expression
that finds it in a log message, optionally the direction of the notify it reports
(received | sent), a verbatim example line, its public source and the kind of evidence it
is (log: a device's real log, test: a vendor's regression test, fmt: a format string in the
source, doc: vendor documentation). Log parsers apply the cause wordings with
`match_causes`; what needs earlier lines (strongSwan's proposal kind) stays in the parser.
`parse_text` sets every parsed event's exchange with `with_exchanges` (the first entry of the
file that names one and matches), whichever parser made the event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ipsec_tui.domain.causes import CAUSE_TOKENS, EXCHANGES
from ipsec_tui.domain.model import LogEvent
from ipsec_tui.yamlfile import mapping_problem

EVIDENCE_KINDS = ("log", "test", "fmt", "doc")
DIRECTIONS = ("received", "sent")
_KEYS = {"causes", "exchange", "match", "direction", "example", "source", "evidence", "note"}


@dataclass(frozen=True)
class Signature:
    """One vendor wording: the cause tokens it carries and the exchange it is about."""

    causes: tuple[str, ...]
    pattern: re.Pattern[str]
    example: str
    source: str
    evidence: str
    direction: str | None = None
    exchange: str | None = None


def _signature(platform: str, index: int, entry: Any) -> Signature:
    """An entry of signatures/<platform>.yml, checked; ValueError says what is wrong."""
    where = f"signatures/{platform}.yml entry {index}"
    problem = mapping_problem(entry, _KEYS)
    if problem:
        raise ValueError(f"{where}: {problem}")
    exchange = entry.get("exchange")
    if exchange is not None and exchange not in EXCHANGES:
        raise ValueError(f"{where}: {exchange!r} is not an exchange of {sorted(EXCHANGES)}")
    causes = entry.get("causes", [] if exchange else None)
    if not isinstance(causes, list) or not (causes or exchange):
        raise ValueError(f"{where}: `causes` must be a non-empty list (or name an `exchange`)")
    for cause in causes:
        if cause not in CAUSE_TOKENS:
            raise ValueError(f"{where}: {cause!r} is not a cause token")
    direction = entry.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise ValueError(f"{where}: direction must be one of {DIRECTIONS}")
    evidence = entry.get("evidence")
    if evidence not in EVIDENCE_KINDS:
        raise ValueError(f"{where}: evidence must be one of {EVIDENCE_KINDS}")
    for key in ("match", "example", "source"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ValueError(f"{where}: `{key}` must be a non-empty string")
    try:
        pattern = re.compile(entry["match"])
    except re.error as error:
        raise ValueError(f"{where}: bad regex: {error}") from None
    return Signature(
        causes=tuple(causes),
        pattern=pattern,
        example=entry["example"],
        source=entry["source"],
        evidence=evidence,
        direction=direction,
        exchange=exchange,
    )


# libyaml's safe loader where PyYAML has it (the same documents, read ten times faster): the
# signatures are read on the first analysis of a platform, on the way to the first screen
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def signatures(platform: str) -> tuple[Signature, ...]:
    """The platform's signatures in file order ((), when it has no file)."""
    path = resources.files("ipsec_tui.parsers") / "signatures" / f"{platform}.yml"
    if not path.is_file():
        return ()
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or {}
    entries = data.get("signatures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"signatures/{platform}.yml: no `signatures` list")
    return tuple(_signature(platform, i, entry) for i, entry in enumerate(entries))


def platforms() -> tuple[str, ...]:
    """The platforms that have a signatures file."""
    folder = resources.files("ipsec_tui.parsers") / "signatures"
    return tuple(sorted(item.name[:-4] for item in folder.iterdir() if item.name.endswith(".yml")))


@cache
def _any_signature(
    platform_names: tuple[str, ...], of_exchange: bool = False
) -> re.Pattern[str] | None:
    """One alternation of every signature of these platforms that carries causes (or, with
    `of_exchange`, names an exchange): most log lines carry none, and one search rejects them
    where one search per signature would not (large logs)."""
    patterns = [
        sig.pattern.pattern
        for name in platform_names
        for sig in signatures(name)
        if (sig.exchange if of_exchange else sig.causes)
    ]
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{_loose(pattern)})" for pattern in patterns))
    except re.error:  # a pattern that cannot sit in an alternation (inline global flags)
        return None


def _loose(pattern: str) -> str:
    """The pattern without its word boundaries, where it has no lookaround: it matches a
    superset, and an alternation of such patterns searches several times faster (the
    prefilter only lets lines through; each signature's own pattern decides)."""
    if _LOOKAROUND.search(pattern):
        return pattern
    return re.sub(r"(?<!\\)\\b", "", pattern)


_LOOKAROUND = re.compile(r"\(\?<?[=!]")


def match_causes(
    message: str, *platform_names: str, known: tuple[str, ...] = ()
) -> tuple[tuple[str, ...], str | None]:
    """The cause tokens of every signature of these platforms found in `message` (after
    `known`, each once, in file order) and the direction of the first that has one."""
    prefilter = _any_signature(platform_names)
    if prefilter is not None and not prefilter.search(message):
        return (), None
    causes = list(known)
    direction = None
    for platform in platform_names:
        for signature in signatures(platform):
            if signature.causes and signature.pattern.search(message):
                causes.extend(cause for cause in signature.causes if cause not in causes)
                direction = direction or signature.direction
    return tuple(causes[len(known) :]), direction


@cache
def _exchanges(platform_names: tuple[str, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The signatures of these platforms that name an exchange, in file order."""
    return tuple(
        (sig.pattern, sig.exchange)
        for name in platform_names
        for sig in signatures(name)
        if sig.exchange
    )


def exchange_of(message: str, *platform_names: str) -> str | None:
    """The exchange the first signature of these platforms that names one finds in
    `message` is about (file order), or None."""
    prefilter = _any_signature(platform_names, of_exchange=True)
    if prefilter is None or not prefilter.search(message):
        return None
    return next(
        (name for pattern, name in _exchanges(platform_names) if pattern.search(message)), None
    )


def with_exchanges(platform: str, events: Iterable[LogEvent]) -> list[LogEvent]:
    """The events, each with the exchange its message is about by the platform's signatures
    (an exchange a parser set already stays). One search rejects most lines (large logs)."""
    prefilter = _any_signature((platform,), of_exchange=True)
    if prefilter is None:
        return list(events)
    out = []
    for event in events:
        if event.exchange is None and prefilter.search(event.message):
            found = exchange_of(event.message, platform)
            if found is not None:
                event = replace(event, exchange=found)
        out.append(event)
    return out
