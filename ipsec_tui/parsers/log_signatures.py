"""Vendor log wordings as data: signatures/<platform>.yml, loaded and compiled once.

Each entry of a platform's file names the cause tokens (`ipsec_tui.domain.causes`) that one
wording carries, the regular expression that finds it in a log message, optionally the
direction of the notify it reports (received | sent), a verbatim example line, its public
source and the kind of evidence it is (log: a device's real log, test: a vendor's regression
test, fmt: a format string in the source, doc: vendor documentation). Log parsers apply
the flat wordings with `match_causes`; what needs earlier lines (strongSwan's proposal kind)
stays in the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ipsec_tui.domain.causes import CAUSE_TOKENS

EVIDENCE_KINDS = ("log", "test", "fmt", "doc")
DIRECTIONS = ("received", "sent")
_KEYS = {"causes", "match", "direction", "example", "source", "evidence", "note"}


@dataclass(frozen=True)
class Signature:
    """One vendor wording and the cause tokens it carries."""

    causes: tuple[str, ...]
    pattern: re.Pattern[str]
    example: str
    source: str
    evidence: str
    direction: str | None = None


def _signature(platform: str, index: int, entry: Any) -> Signature:
    """An entry of signatures/<platform>.yml, checked; ValueError says what is wrong."""
    where = f"signatures/{platform}.yml entry {index}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: not a mapping")
    unknown = set(entry) - _KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    causes = entry.get("causes")
    if not isinstance(causes, list) or not causes:
        raise ValueError(f"{where}: `causes` must be a non-empty list")
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
    )


@cache
def signatures(platform: str) -> tuple[Signature, ...]:
    """The platform's signatures in file order ((), when it has no file)."""
    path = resources.files("ipsec_tui.parsers") / "signatures" / f"{platform}.yml"
    if not path.is_file():
        return ()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("signatures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"signatures/{platform}.yml: no `signatures` list")
    return tuple(_signature(platform, i, entry) for i, entry in enumerate(entries))


def platforms() -> tuple[str, ...]:
    """The platforms that have a signatures file."""
    folder = resources.files("ipsec_tui.parsers") / "signatures"
    return tuple(sorted(item.name[:-4] for item in folder.iterdir() if item.name.endswith(".yml")))


@cache
def _any_signature(platform_names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of every signature of these platforms: most log lines carry no cause,
    and one search rejects them where one search per signature would not (large logs)."""
    patterns = [sig.pattern.pattern for name in platform_names for sig in signatures(name)]
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
    except re.error:  # a pattern that cannot sit in an alternation (inline global flags)
        return None


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
            if signature.pattern.search(message):
                causes.extend(cause for cause in signature.causes if cause not in causes)
                direction = direction or signature.direction
    return tuple(causes[len(known) :]), direction
