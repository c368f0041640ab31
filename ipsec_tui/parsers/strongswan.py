"""strongSwan parsers: swanctl's views of the running daemon, the charon log and swanctl.conf.

Each parser runs its template (templates/strongswan/<key>.ttp) and turns the records into
model objects with canonical algorithm names (`ipsec_tui.domain.algorithms`) and cause
tokens (`ipsec_tui.domain.causes`). Debian's swanctl prints plugin-loading warnings before
its output; the templates match nothing there, so they simply fall away.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.causes import NOTIFY_ERRORS
from ipsec_tui.domain.model import (
    MEMORY_FINGERPRINT_MARK,
    ChildConfig,
    ChildSa,
    Connection,
    IkeMessage,
    IkeSa,
    LogEvent,
    Proposal,
)
from ipsec_tui.parsers.base import (
    Fragment,
    LineItems,
    ParseContext,
    ParseError,
    cli_failure,
    first_of,
    group_items,
    line_items,
    numbered,
    numbered_items,
    parser,
    source_ref,
    to_int,
    ttp_records,
)
from ipsec_tui.parsers.log_signatures import match_causes
from ipsec_tui.redact import MARK, comparable_fingerprint

# --- swanctl: failures and shared readers -----------------------------------------------------

_PLUGIN_NOISE = re.compile(r"^plugin '[^']*': failed to load")
# swanctl's own failure (src/swanctl/command.c: "connecting to '%s' URI failed: %s") and
# libstrongswan's stream error ("connecting to 'unix:///var/run/charon.vici' failed")
_SWANCTL_FAILURE = re.compile(r"connecting to '[^']*'(?: URI)? failed|^error: ", re.MULTILINE)


def _swanctl_failure(text: str, ctx: ParseContext) -> None:
    """Raise ParseError when swanctl printed an error instead of the listing: its connection
    failure, which follows the command's usage text, and the shell's or tool's failure among
    plugin-loading noise (an output that is nothing but a failure is caught before any
    parser runs)."""
    # plain substring tests first: a hub's listing is long, and holds neither
    if "connecting to '" in text or text.startswith("error: ") or "\nerror: " in text:
        match = _SWANCTL_FAILURE.search(text)
        if match:
            line = text[text.rfind("\n", 0, match.start()) + 1 :].split("\n", 1)[0].strip()
            raise ParseError(f"`{ctx.command}` failed: {line}")
    from ipsec_tui.platforms import load_platform  # the platform's markers, applied once more

    failure = cli_failure(
        text, load_platform("strongswan").failure_indicators, ignore=_PLUGIN_NOISE
    )
    if failure:
        raise ParseError(f"`{ctx.command}` failed: {failure}")


def _seconds(pattern: str, text: str) -> int | None:
    """The number of seconds in `text` after `pattern` ('rekeying in' -> 3243)."""
    regex = _SECONDS.get(pattern)
    if regex is None:
        regex = _SECONDS.setdefault(pattern, re.compile(rf"{pattern} (\d+)s\b"))
    match = regex.search(text)
    return int(match.group(1)) if match else None


_SECONDS: dict[str, re.Pattern[str]] = {}


def _ranges(lines: list[str], starts: list[int | None], end: int) -> list[tuple[int, int]]:
    """(first, last) 1-based line numbers of consecutive blocks that start at `starts`
    (0-based indexes, None when not found) and end before the next block or at `end`;
    trailing blank lines are not part of a block."""
    known = sorted({start for start in starts if start is not None})
    ranges: list[tuple[int, int]] = []
    for start in starts:
        if start is None:
            ranges.append((0, 0))
            continue
        following = bisect.bisect_right(known, start)  # the next block's start, if any
        last = (known[following] if following < len(known) else end) - 1
        while last > start and not lines[last].strip():
            last -= 1
        ranges.append((start + 1, last + 1))
    return ranges


def _find_lines(lines: list[str], prefixes: Iterable[str], start: int) -> list[int | None]:
    """The 0-based index of the first line starting with each prefix, searching on from the
    previous one (plain prefixes: no regex to compile per SA at hub scale)."""
    found: list[int | None] = []
    cursor = start
    for prefix in prefixes:
        index = next(
            (i for i in range(cursor, len(lines)) if lines[i].startswith(prefix)),
            None,
        )
        found.append(index)
        if index is not None:
            cursor = index + 1
    return found


# --- swanctl --list-sas -----------------------------------------------------------------------


def _ike_spi(token: Any) -> tuple[str | None, bool]:
    """'d4f4d4ef49b01fdf_i*' -> ('d4f4d4ef49b01fdf', True): the SPI and this side's mark."""
    text = str(token or "")
    match = re.fullmatch(r"([0-9a-fA-F]+)_[ir](\*?)", text)
    if not match:
        return None, False
    # the responder's SPI is all zeros until its first answer: not known yet
    spi = match.group(1).lower()
    return (spi if spi.strip("0") else None), bool(match.group(2))


def _ike_spis(token: Any) -> tuple[tuple[str | None, bool], tuple[str | None, bool]]:
    """The SPI pair of an IKE SA header, with this side's initiator/responder mark:
    'd4f4..._i* 8184..._r' (5.5.0 on) or 'adbf8bd39b23fd5b:cf503a5ea2e22817' (up to 5.4.x,
    which prints no mark)."""
    text = str(token or "").strip()
    old = re.fullmatch(r"([0-9a-fA-F]+):([0-9a-fA-F]+)", text)
    if old:
        # zeros: the responder has not answered yet
        spi_i, spi_r = (spi.lower() if spi.strip("0") else None for spi in old.groups())
        return (spi_i, False), (spi_r, False)
    first, _, second = text.partition(" ")
    return _ike_spi(first), _ike_spi(second.strip())


_WHERE = re.compile(r"(?P<host>[^\s\[]+)(?:\[(?P<port>\d+)\])?(?P<rest>.*)")


def _where(token: Any) -> tuple[str | None, int | None]:
    """'203.0.113.1[4500] [10.3.0.1]' -> ('203.0.113.1', 4500); up to 5.3.x swanctl prints
    the address alone ('172.17.0.2'), and then the port is not known."""
    match = _WHERE.fullmatch(str(token or "").strip())
    if not match:
        return None, None
    return match.group("host"), to_int(match.group("port"))


def _counters(rest: Any) -> tuple[int | None, int | None]:
    """', 504 bytes, 6 packets, 0s ago' -> (504, 6)."""
    match = _COUNTERS.search(str(rest or ""))
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


_COUNTERS = re.compile(r"(\d+) bytes, +(\d+) packets")


@lru_cache(maxsize=256)
def _beyond_the_model(suite: str) -> str:
    """The parts of a 6.x suite the model has no field for: additional key exchanges
    (`KE1_ML_KEM_768`, RFC 9370) and `PPK` (a postquantum preshared key was mixed in)."""
    return "/".join(t for t in suite.split("/") if t == "PPK" or _EXTRA_KE.fullmatch(t))


_EXTRA_KE = re.compile(r"KE[1-7]_\w+")


@lru_cache(maxsize=256)
def _suite(suite: str, kind: str) -> Proposal:
    """A negotiated suite read once per distinct text: a hub's thousands of child SAs print
    a handful of suites."""
    return algorithms.proposal_from_suite(suite, kind=kind) if suite else Proposal()


def _child_sa(item: dict[str, Any], ctx: ParseContext, lines: tuple[int, int]) -> ChildSa:
    mode_token = str(item.get("mode") or "")
    mode, _, encap = mode_token.partition("-in-")
    protocol, _, suite = str(item.get("suite") or "").rpartition(":")
    algos = _suite(suite, "esp")
    bytes_in, packets_in = _counters(item.get("in_rest"))
    bytes_out, packets_out = _counters(item.get("out_rest"))
    timers = str(item.get("timers") or "")
    return ChildSa(
        name=item.get("name"),
        unique_id=item.get("unique_id"),
        state=item.get("state"),
        mode=mode.lower() or None,
        protocol=protocol or None,
        encap=encap == "UDP" if mode_token else None,
        local_ts=tuple(str(item.get("local_ts") or "").split()),
        remote_ts=tuple(str(item.get("remote_ts") or "").split()),
        spi_in=str(item["spi_in"]).lower() if item.get("spi_in") else None,
        spi_out=str(item["spi_out"]).lower() if item.get("spi_out") else None,
        encryption=first_of(algos.encryption),
        integrity=first_of(algos.integrity),
        pfs_group=first_of(algos.dh_groups),
        bytes_in=bytes_in,
        bytes_out=bytes_out,
        packets_in=packets_in,
        packets_out=packets_out,
        rekey_in_s=_seconds("rekeying in", timers),
        lifetime_s=_seconds("expires in", timers),
        installed_s=to_int(item.get("installed")),
        reqid=to_int(item.get("reqid")),
        source=source_ref(ctx, *lines) if lines[0] else None,
    )


def _nat_t(
    state: str | None, ports: tuple[int | None, int | None], children: list[ChildSa]
) -> bool | None:
    # IKEv2 moves to port 4500 once NAT is detected (or encapsulation is forced), and the
    # child SAs then say -in-UDP; an SA past IKE_SA_INIT still on 500 talks plain IKE.
    if 4500 in ports or any(child.encap for child in children):
        return True
    if ports == (500, 500) and state not in (None, "CREATED", "CONNECTING"):
        return False
    return None


@parser("strongswan", "swanctl-list-sas")
def parse_list_sas(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: name, unique_id, state, version, local/remote address, port and identity,
    initiator (from the `*` mark), IKE SPIs, canonical encryption/integrity/prf/dh_group,
    nat_t, established_s, rekey_in_s, lifetime_s (expires in), and child_sas: name,
    unique_id, state, mode, protocol, encap (-in-UDP), local/remote traffic selectors, SPIs
    (lowercase hex), canonical encryption/integrity, pfs_group, byte and packet counters,
    rekey_in_s, lifetime_s, installed_s, reqid; each with its line range. Suite parts the
    model has no field for (6.x additional key exchanges, PPK) are named in a note. The
    template's lines run through `line_items` (one pass, hub scale); a line no template line
    reads, or one with no SA to go to, is left unplaced."""
    _swanctl_failure(text, ctx)
    found = line_items("strongswan", "swanctl-list-sas", text)
    ike_sas: list[IkeSa] = []
    for item in found.items:
        first, last = item["_first"], item["_last"]
        children = [
            _child_sa(child, ctx, (child["_first"], child["_last"]))
            for child in item.get("child_sas", ())
        ]
        (spi_i, initiator_mark), (spi_r, responder_mark) = _ike_spis(item.get("spis"))
        algos = _suite(str(item.get("suite") or ""), "ike")
        local_host, local_port = _where(item.get("local_where"))
        remote_host, remote_port = _where(item.get("remote_where"))
        timers = str(item.get("timers") or "")
        ike_sas.append(
            IkeSa(
                name=item.get("name"),
                unique_id=item.get("unique_id"),
                state=item.get("state"),
                version=to_int(item.get("version")),
                local_addr=local_host,
                local_port=local_port,
                remote_addr=remote_host,
                remote_port=remote_port,
                local_id=item.get("local_id"),
                remote_id=item.get("remote_id"),
                initiator=True if initiator_mark else False if responder_mark else None,
                encryption=first_of(algos.encryption),
                integrity=first_of(algos.integrity),
                prf=first_of(algos.prf),
                dh_group=first_of(algos.dh_groups),
                nat_t=_nat_t(item.get("state"), (local_port, remote_port), children),
                spi_i=spi_i,
                spi_r=spi_r,
                lifetime_s=_seconds("expires in", timers),
                rekey_in_s=_seconds("rekeying in", timers),
                established_s=to_int(item.get("established")),
                child_sas=tuple(children),
                source=source_ref(ctx, first, last),
            )
        )
    fragment = Fragment(ike_sas=ike_sas, notes=_extras_notes(found.items, ctx))
    _unplaced_list_sas(found, fragment)
    return fragment


def _extras_notes(items: list[dict[str, Any]], ctx: ParseContext) -> list[str]:
    """One note per distinct set of suite parts the model does not hold, with how many SAs
    negotiated it and the first of them (a hub's thousands of SAs share a few)."""
    seen: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for item in items:
        for kind, sa in (("IKE", item), *(("child", c) for c in item.get("child_sas", ()))):
            extras = _beyond_the_model(str(sa.get("suite") or "").rpartition(":")[2])
            if extras:
                seen.setdefault(extras, []).append((kind, sa))
    return [
        f"{ctx.file}: {len(sas)} SA(s) negotiated {extras} on top of the suite (not "
        f"compared; first: {sas[0][0]} SA {sas[0][1].get('name')} #{sas[0][1].get('unique_id')})"
        for extras, sas in seen.items()
    ]


def _unplaced_list_sas(found: LineItems, fragment: Fragment) -> None:
    """Every line of the listing no line of the template reads (plugin-loading warnings
    aside), and lines the template reads that have no SA to go to, left unplaced."""
    first_header = found.items[0]["_first"] if found.items else len(found.lines) + 1
    for number in found.unmatched:
        line = found.lines[number - 1]
        if not _PLUGIN_NOISE.match(line):
            fragment.leave_unplaced(number, line, "swanctl --list-sas line not understood")
    for number in found.orphans:
        reason = (
            "line before any IKE SA header"
            if number < first_header
            else "line outside the SA it belongs to, or repeated within it"
        )
        fragment.leave_unplaced(number, found.lines[number - 1], reason)
    fragment.unplaced.sort(key=lambda unplaced: unplaced.line or 0)


# --- swanctl --list-conns ---------------------------------------------------------------------

# authentication classes as swanctl --list-conns prints them -> swanctl.conf `auth` keywords
_AUTH_CLASSES = {
    "pre-shared key": "psk",
    "public key": "pubkey",
    "xauth": "xauth",
    "eap": "eap",
    "any": "any",
    "unspecified": None,
}


def _auth(auth_class: Any) -> str | None:
    text = str(auth_class or "").strip()
    if not text:
        return None
    known = _AUTH_CLASSES.get(text.lower(), "")
    if known != "":
        return known
    # an EAP method is printed by its type ("EAP_MSCHAPV2", "MSCHAPV2"...): as swanctl.conf
    # writes it, eap-mschapv2
    method = text.lower().replace("_", "-").removeprefix("eap-")
    return f"eap-{method}"


def _ike_version(token: Any) -> int | None:
    text = str(token or "")
    if text in ("IKEv1", "1"):
        return 1
    if text in ("IKEv2", "2"):
        return 2
    if text in ("IKEv1/2", "IKE", "0"):
        return 0
    return None


def _rekey_every(header: str) -> int | None:
    if re.search(r"\bno rekeying\b", header):
        return 0  # strongSwan's rekey_time = 0: rekeying disabled
    return _seconds("rekeying every", header)


@parser("strongswan", "swanctl-list-conns")
def parse_list_conns(text: str, ctx: ParseContext) -> Fragment:
    """connections: name, version (0 = any), local/remote addresses, identities and auth
    methods (psk, pubkey, eap-...), rekey_time_s (0 = no rekeying), and children: name,
    mode, local/remote traffic selectors, rekey_time_s, dpd_action; each with its line
    range. Proposals are not printed by swanctl: they come from swanctl.conf."""
    _swanctl_failure(text, ctx)
    lines = text.splitlines()
    items = group_items(ttp_records("strongswan", "swanctl-list-conns", text), "connections")
    starts = _find_lines(
        lines,
        (f"{item.get('name')}: IKE" for item in items),
        0,
    )
    connections: list[Connection] = []
    for item, (first, last) in zip(items, _ranges(lines, starts, len(lines)), strict=True):
        auths: dict[str, dict[str, Any]] = {"local": {}, "remote": {}}
        for auth in group_items([item], "auths"):
            side = str(auth.get("side"))
            if side in auths and not auths[side]:  # the first authentication round
                auths[side] = auth
        child_items = group_items([item], "children")
        child_starts = _find_lines(
            lines,
            (f"  {c.get('name')}: {c.get('mode')}," for c in child_items),
            max(first - 1, 0),
        )
        children = []
        for child, (child_first, child_last) in zip(
            child_items, _ranges(lines, child_starts, last if first else len(lines)), strict=True
        ):
            header = str(child.get("header") or "")
            dpd = re.search(r"dpd action is (\S+)", header)
            children.append(
                ChildConfig(
                    name=str(child.get("name")),
                    local_ts=tuple(str(child.get("local_ts") or "").split()),
                    remote_ts=tuple(str(child.get("remote_ts") or "").split()),
                    mode=str(child["mode"]).lower() if child.get("mode") else None,
                    rekey_time_s=_rekey_every(header),
                    dpd_action=dpd.group(1) if dpd else None,
                    source=source_ref(ctx, child_first, child_last) if child_first else None,
                )
            )
        header = str(item.get("header") or "")
        connections.append(
            Connection(
                name=str(item.get("name")),
                version=_ike_version(item.get("version")),
                local_addrs=tuple(str(item.get("local_addrs") or "").split()),
                remote_addrs=tuple(str(item.get("remote_addrs") or "").split()),
                local_id=auths["local"].get("id"),
                remote_id=auths["remote"].get("id"),
                local_auth=_auth(auths["local"].get("auth_class")),
                remote_auth=_auth(auths["remote"].get("auth_class")),
                rekey_time_s=_rekey_every(header),
                children=tuple(children),
                source=source_ref(ctx, first, last) if first else None,
            )
        )
    return Fragment(connections=connections)


# --- ipsec statusall (the legacy stroke interface) -------------------------------------------

_STROKE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def _stroke_duration(pattern: str, text: str) -> int | None:
    """Seconds of a stroke duration after `pattern` ('rekeying in 23 hours' -> 82800): charon
    prints them rounded to the largest unit, so they are as precise as the device said."""
    match = re.search(rf"{pattern} (\d+) (second|minute|hour|day)s?\b", text)
    return int(match.group(1)) * _STROKE_UNITS[match.group(2)] if match else None


_STROKE_ENDS = re.compile(r"(?: (?P<ago>\d+ \w+) ago)?, (?P<local>.*?)\.\.\.(?P<remote>.*)")
_STROKE_END = re.compile(r"(?P<host>[^\[\s]+)(?:\[(?P<port>\d+)\])?\[(?P<id>.*)\]")
_STROKE_CHILD_SPIS = re.compile(
    r", (?P<protocol>ESP|AH)(?P<udp> in UDP)? SPIs: "
    r"(?P<spi_in>[0-9a-f]+)_i (?P<spi_out>[0-9a-f]+)_o"
)
_STROKE_TRAFFIC = re.compile(
    r"(?P<bytes>\d+) bytes_(?P<dir>[io])(?: \((?P<packets>\d+) pkts?, \d+s ago\))?"
)


def _stroke_key(key: Any) -> tuple[str, str]:
    """'  lab[12]' or 'lab{3}' -> ('lab', '12')."""
    match = re.fullmatch(r"\s*(.*?)[\[{](\d+)[\]}]", str(key or ""))
    return (match.group(1), match.group(2)) if match else (str(key or "").strip(), "")


def _stroke_end(text: str) -> tuple[str | None, int | None, str | None]:
    match = _STROKE_END.fullmatch(text.strip())
    if not match:
        return None, None, None
    return match.group("host"), to_int(match.group("port")), match.group("id")


@dataclass
class _StrokeIke:
    """The lines of one `name[N]` IKE SA and its `name{M}` child SAs, as the records came."""

    records: list[dict[str, Any]] = field(default_factory=list)
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _stroke_child(
    name: str, unique_id: str, records: list[dict[str, Any]], ctx: ParseContext
) -> ChildSa:
    values: dict[str, Any] = {}
    for record in records:
        values.update({k: v for k, v in record.items() if k != "line"})
    rest = str(values.get("rest") or "")
    spis = _STROKE_CHILD_SPIS.search(rest)
    algos = algorithms.proposal_from_suite(str(values.get("suite") or ""), kind="esp")
    counters = str(values.get("counters") or "")
    traffic = {m.group("dir"): m for m in _STROKE_TRAFFIC.finditer(counters)}
    reqid = re.search(r", reqid (\d+)", rest)
    lines = [int(r["line"]) for r in records]
    mode = str(values.get("mode") or "").removesuffix("_PROXY").lower() or None

    def count(direction: str, group: str) -> int | None:
        found = traffic.get(direction)
        return to_int(found.group(group)) if found else None

    return ChildSa(
        name=name,
        unique_id=unique_id or None,
        state=values.get("state"),
        mode=mode,
        protocol=spis.group("protocol") if spis else None,
        encap=bool(spis.group("udp")) if spis else None,
        local_ts=tuple(str(values.get("local_ts") or "").split()),
        remote_ts=tuple(str(values.get("remote_ts") or "").split()),
        spi_in=spis.group("spi_in") if spis else None,
        spi_out=spis.group("spi_out") if spis else None,
        encryption=first_of(algos.encryption),
        integrity=first_of(algos.integrity),
        pfs_group=first_of(algos.dh_groups),
        bytes_in=count("i", "bytes"),
        bytes_out=count("o", "bytes"),
        packets_in=count("i", "packets"),
        packets_out=count("o", "packets"),
        rekey_in_s=_stroke_duration("rekeying in", counters),
        lifetime_s=_stroke_duration("expires in", rest),
        reqid=to_int(reqid.group(1)) if reqid else None,
        source=source_ref(ctx, min(lines), max(lines)),
    )


def _stroke_ike(key: str, block: _StrokeIke, ctx: ParseContext) -> IkeSa:
    name, unique_id = _stroke_key(key)
    values: dict[str, Any] = {}
    for record in block.records:
        values.update({k: v for k, v in record.items() if k != "line"})
    children = [
        _stroke_child(*_stroke_key(child_key), records, ctx)
        for child_key, records in block.children.items()
    ]
    ends = _STROKE_ENDS.fullmatch(str(values.get("rest") or "")) if "state" in values else None
    local = _stroke_end(ends.group("local")) if ends else (None, None, None)
    remote = _stroke_end(ends.group("remote")) if ends else (None, None, None)
    spi_text = str(values.get("spis") or "")
    spi_pair, _, timers = spi_text.partition(",")
    (spi_i, initiator_mark), (spi_r, responder_mark) = _ike_spis(spi_pair)
    algos = algorithms.proposal_from_suite(str(values.get("suite") or ""))
    ports = (local[1], remote[1])
    lines = [int(r["line"]) for r in block.records] + [
        int(r["line"]) for records in block.children.values() for r in records
    ]
    return IkeSa(
        name=name,
        unique_id=unique_id or None,
        state=values.get("state"),
        version=to_int(values.get("version")),
        local_addr=local[0],
        local_port=local[1],
        remote_addr=remote[0],
        remote_port=remote[1],
        local_id=local[2],
        remote_id=remote[2],
        initiator=True if initiator_mark else False if responder_mark else None,
        encryption=first_of(algos.encryption),
        integrity=first_of(algos.integrity),
        prf=first_of(algos.prf),
        dh_group=first_of(algos.dh_groups),
        nat_t=_nat_t(values.get("state"), ports, children),
        spi_i=spi_i,
        spi_r=spi_r,
        rekey_in_s=_stroke_duration("rekeying in", timers),
        established_s=_stroke_duration("", f" {ends.group('ago')}")
        if ends and ends.group("ago")
        else None,
        child_sas=tuple(children),
        source=source_ref(ctx, min(lines), max(lines)),
    )


def _stroke_auth(text: str) -> tuple[str | None, str | None]:
    """'[moon.strongswan.org] uses public key authentication' -> (id, 'pubkey')."""
    match = re.fullmatch(r"(?:\[(?P<id>.*?)\] )?uses (?P<auth>.+?) authentication(?:\W.*)?", text)
    if not match:
        return None, None
    return match.group("id"), _auth(match.group("auth"))


@dataclass
class _StrokeConn:
    """One `name:  left...right  IKEv2` connection with its auth and child lines."""

    record: dict[str, Any]
    auths: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    children: list[dict[str, Any]] = field(default_factory=list)
    last: int = 0


def _stroke_connection(conn: _StrokeConn, ctx: ParseContext) -> Connection:
    record = conn.record
    rest = str(record.get("rest") or "")
    dpd = re.search(r"dpddelay=(\d+)s", rest)
    children = []
    for child in conn.children:
        action = re.search(r"dpdaction=(\S+)", str(child.get("rest") or ""))
        mode = str(child.get("mode") or "").removesuffix("_PROXY").lower() or None
        children.append(
            ChildConfig(
                name=str(child.get("conn_child") or "").strip(),
                local_ts=tuple(str(child.get("local_ts") or "").split()),
                remote_ts=tuple(str(child.get("remote_ts") or "").split()),
                mode=mode,
                dpd_action=action.group(1) if action else None,
                source=source_ref(ctx, int(child["line"])),
            )
        )
    local_id, local_auth = conn.auths.get("local", (None, None))
    remote_id, remote_auth = conn.auths.get("remote", (None, None))
    return Connection(
        name=str(record.get("conn") or "").strip(),
        version=_ike_version(record.get("version")),
        local_addrs=tuple(part for part in str(record.get("local") or "").split(",") if part),
        remote_addrs=tuple(part for part in str(record.get("remote") or "").split(",") if part),
        local_id=local_id,
        remote_id=remote_id,
        local_auth=local_auth,
        remote_auth=remote_auth,
        dpd_delay_s=int(dpd.group(1)) if dpd else None,
        aggressive=True if "Aggressive" in rest else None,
        children=tuple(children),
        source=source_ref(ctx, int(record["line"]), conn.last),
    )


_IKE_KEYS = ("ike_key", "spis_key", "proposal_key", "tasks_key", "identity_key")
_CHILD_KEYS = ("child_key", "traffic_key", "ts_key")


@parser("strongswan", "ipsec-statusall")
def parse_statusall(text: str, ctx: ParseContext) -> Fragment:
    """The stroke interface's status (strongSwan 5.x `ipsec statusall` or `ipsec status`):
    ike_sas with their child_sas from `Security Associations`, as swanctl --list-sas gives
    them (durations are as precise as charon printed them: '2 minutes' -> 120), and
    connections with their children from `Connections:`; each with its line range. Lines
    the template knows but that cannot be attached (a child SA line before any IKE SA of its
    section) and lines it does not know inside the listing are left unplaced."""
    records = numbered_items("strongswan", "ipsec-statusall", text)
    if not records:
        return Fragment()
    fragment = Fragment(understood=True)
    section = ""
    ike_blocks: dict[str, _StrokeIke] = {}
    current_ike: _StrokeIke | None = None
    connections: list[_StrokeConn] = []
    lines = text.splitlines()
    for record in records:
        line = int(record["line"])
        if "daemon" in record:
            version = re.match(r"strongSwan [0-9][^,]*", str(record["daemon"]))
            fragment.notes.append(f"charon: {record['daemon']}")
            if version:
                fragment.software = f"{version.group(0)} (stroke)"
            continue
        if "section" in record:
            section = str(record["section"]).split(" (")[0]
            continue
        ike_key = next((str(record[k]).strip() for k in _IKE_KEYS if k in record), None)
        child_key = next((str(record[k]).strip() for k in _CHILD_KEYS if k in record), None)
        if section == "Security Associations" and ike_key is not None:
            current_ike = ike_blocks.setdefault(ike_key, _StrokeIke())
            current_ike.records.append(record)
        elif section == "Security Associations" and child_key is not None:
            if current_ike is None:
                fragment.leave_unplaced(line, lines[line - 1], "child SA before any IKE SA")
            else:
                current_ike.children.setdefault(child_key, []).append(record)
        elif section == "Connections" and "conn" in record:
            connections.append(_StrokeConn(record, last=line))
        elif (
            section == "Connections"
            and connections
            and ("conn_auth" in record or "conn_child" in record or "conn_cert" in record)
        ):
            conn = connections[-1]
            conn.last = line
            if "conn_auth" in record:
                side = str(record.get("side"))
                conn.auths.setdefault(side, _stroke_auth(str(record.get("auth") or "")))
            elif "conn_child" in record:
                conn.children.append(record)
        elif section in ("Routed Connections", "Shunted Connections", "Listening IP addresses"):
            continue  # installed policies and addresses: not SAs, and the model has no place
        elif "detail" in record or "address" in record:
            continue
        else:
            fragment.leave_unplaced(
                line, lines[line - 1], f"not expected in {section or 'the header'}"
            )
    fragment.ike_sas = [_stroke_ike(key, block, ctx) for key, block in ike_blocks.items()]
    fragment.connections = [_stroke_connection(conn, ctx) for conn in connections]
    matched = {int(record["line"]) for record in records}
    for number, line_text in enumerate(lines, 1):
        if line_text.strip() and number not in matched and not _PLUGIN_NOISE.match(line_text):
            fragment.leave_unplaced(number, line_text, "ipsec statusall line not understood")
    return fragment


# --- ipsec.conf (the legacy stroke interface's configuration) ---------------------------------

# ipsec.conf(5) keywords -> what the model calls them
_IPSEC_CONF_AUTH = {
    "secret": "psk",
    "psk": "psk",
    "rsasig": "pubkey",
    "pubkey": "pubkey",
    "ecdsasig": "pubkey",
    "xauthpsk": "psk",
    "xauthrsasig": "pubkey",
}
_IPSEC_CONF_VERSION = {"ikev1": 1, "ikev2": 2, "ike": 0}


def _ipsec_conf_sections(
    records: list[dict[str, Any]], fragment: Fragment, file: str
) -> dict[str, tuple[int, int, dict[str, str]]]:
    """conn name -> (first line, last line, settings as written, in order)."""
    conns: dict[str, tuple[int, int, dict[str, str]]] = {}
    current: str | None = None
    for record in records:
        line = int(record["line"])
        if record.get("section"):
            kind, name = str(record["section"]), str(record.get("section_name") or "").strip()
            current = name if kind == "conn" else None
            if current is not None:
                conns[current] = (line, line, {})
        elif record.get("key") and current is not None:
            first, _, settings = conns[current]
            # as starter does, a key given twice keeps the last value
            settings[str(record["key"]).strip()] = _value(str(record.get("value") or ""))
            conns[current] = (first, line, settings)
        elif record.get("include"):
            fragment.notes.append(f"{file}:{line}: include {record['include']} not followed")
    return conns


def _ipsec_conf_settings(
    name: str, conns: dict[str, tuple[int, int, dict[str, str]]], notes: list[str]
) -> dict[str, str]:
    """A conn's settings with `conn %default` beneath and every `also=` section merged in
    (ipsec.conf(5): the conn's own settings win)."""
    merged = dict(conns.get("%default", (0, 0, {}))[2])
    seen: set[str] = set()

    def add(section: str) -> None:
        if section in seen:
            return
        seen.add(section)
        settings = conns.get(section, (0, 0, {}))[2]
        if section not in conns:
            notes.append(f"conn {name}: also={section} names no conn")
        for also in settings.get("also", "").split():
            add(also)
        merged.update({k: v for k, v in settings.items() if k != "also"})

    add(name)
    return merged


def _ipsec_conf_proposals(
    value: str | None, kind: str, what: str, notes: list[str]
) -> tuple[Proposal, ...]:
    # ipsec.conf proposals end in `!` when strict; the algorithms are the same keywords
    text = ",".join(part.strip().rstrip("!") for part in (value or "").split(","))
    return _proposals(text if value else None, kind, what, notes)


def _ipsec_conf_duration(value: str | None, what: str, notes: list[str]) -> int | None:
    return _duration(value, what, notes) if value else None


@parser("strongswan", "cat-ipsec-conf")
def parse_ipsec_conf(text: str, ctx: ParseContext) -> Fragment:
    """connections from ipsec.conf's `conn` sections (with %default and also= applied):
    name, version (keyexchange: 1, 2, 0 = ike), left/right as local/remote addresses,
    leftid/rightid, auth (authby or leftauth/rightauth: psk, pubkey...), IKE proposals
    (ike=), life_time_s (ikelifetime), encap (forceencaps), fragmentation, dpd_delay_s,
    aggressive, and one child per conn: leftsubnet/rightsubnet, mode (type, tunnel when
    unset), ESP proposals (esp=), life_time_s (lifetime/keylife), start_action (auto),
    dpd_action; each with its line range. `auto=ignore` conns are left out."""
    fragment = Fragment()
    records = numbered_items("strongswan", "cat-ipsec-conf", text)
    if not records:
        return fragment
    fragment.understood = True
    conns = _ipsec_conf_sections(records, fragment, ctx.file)
    for name, (first, last, _) in conns.items():
        if name == "%default":
            continue
        conf = _ipsec_conf_settings(name, conns, fragment.notes)
        if conf.get("auto") == "ignore":
            continue
        what = f"{ctx.file}:{first} conn {name}"
        # ipsec.conf(5): authby defaults to pubkey
        authby = _IPSEC_CONF_AUTH.get((conf.get("authby") or "pubkey").lower())
        dpd_action = conf.get("dpdaction")
        dpd_delay = _ipsec_conf_duration(conf.get("dpddelay") or "30s", what, fragment.notes)
        child = ChildConfig(
            name=name,
            local_ts=_list(conf.get("leftsubnet")),
            remote_ts=_list(conf.get("rightsubnet")),
            mode=(conf.get("type") or "tunnel").lower(),
            proposals=_ipsec_conf_proposals(conf.get("esp"), "esp", what, fragment.notes),
            life_time_s=_ipsec_conf_duration(
                conf.get("lifetime") or conf.get("keylife"), what, fragment.notes
            ),
            start_action=conf.get("auto"),
            dpd_action=dpd_action,
            source=source_ref(ctx, first, last),
        )
        fragment.connections.append(
            Connection(
                name=name,
                version=_IPSEC_CONF_VERSION.get(conf.get("keyexchange", "").lower()),
                local_addrs=_list(conf.get("left")),
                remote_addrs=_list(conf.get("right")),
                local_id=conf.get("leftid"),
                remote_id=conf.get("rightid"),
                local_auth=_IPSEC_CONF_AUTH.get(conf.get("leftauth", "").lower(), authby),
                remote_auth=_IPSEC_CONF_AUTH.get(conf.get("rightauth", "").lower(), authby),
                proposals=_ipsec_conf_proposals(conf.get("ike"), "ike", what, fragment.notes),
                life_time_s=_ipsec_conf_duration(conf.get("ikelifetime"), what, fragment.notes),
                encap=_yes_no(conf.get("forceencaps")),
                fragmentation=conf.get("fragmentation"),
                # ipsec.conf(5): DPD runs only with a dpdaction other than none
                dpd_delay_s=dpd_delay if dpd_action not in (None, "none") else 0,
                aggressive=_yes_no(conf.get("aggressive") or "no"),
                children=(child,),
                source=source_ref(ctx, first, last),
            )
        )
    return fragment


# --- swanctl --stats, swanctl --version -------------------------------------------------------


@parser("strongswan", "swanctl-stats")
def parse_stats(text: str, ctx: ParseContext) -> Fragment:
    """notes only (the model has no place for daemon statistics yet): charon's uptime, the
    IKE SA count and the kernel backend plugins (kernel-netlink, kernel-libipsec), which
    tell whether `ip xfrm` can show the SAs at all."""
    _swanctl_failure(text, ctx)
    results = ttp_records("strongswan", "swanctl-stats", text)
    notes: list[str] = []
    uptime_s = None
    for item in group_items(results, "uptime"):
        notes.append(f"charon uptime: {item.get('uptime')}, since {item.get('since')}")
        uptime_s = _uptime(str(item.get("uptime") or ""))
    for item in group_items(results, "ike_sas"):
        notes.append(
            f"charon IKE_SAs: {item.get('ike_sas_total')} total, "
            f"{item.get('ike_sas_half_open')} half-open"
        )
    for item in group_items(results, "plugins"):
        kernel = [
            name for name in str(item.get("plugins") or "").split() if name.startswith("kernel-")
        ]
        if kernel:
            notes.append(f"charon kernel interface plugins: {', '.join(kernel)}")
    return Fragment(notes=notes, understood=bool(notes), daemon_uptime_s=uptime_s)


_UPTIME_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def _uptime(text: str) -> int | None:
    """charon's `%V` time delta ("2 seconds", "5 minutes", "1 day") in seconds; strongSwan
    rounds to the largest unit, so the value is a lower bound within that unit."""
    match = re.fullmatch(r"(\d+) (second|minute|hour|day)s?", text.strip())
    return int(match.group(1)) * _UPTIME_UNITS[match.group(2)] if match else None


@parser("strongswan", "swanctl-version")
def parse_version(text: str, ctx: ParseContext) -> Fragment:
    """software: the version line as printed ("strongSwan swanctl 5.9.8")."""
    _swanctl_failure(text, ctx)
    for item in group_items(ttp_records("strongswan", "swanctl-version", text), "version"):
        software = f"{item.get('product')} {item.get('program')} {item.get('version')}"
        rest = str(item.get("rest") or "").strip()
        return Fragment(software=f"{software} {rest}" if rest else software)
    return Fragment()


# --- the charon log ---------------------------------------------------------------------------

# strongSwan's short notify names in "generating ... [ N(...) ]" (notify_type_short_names in
# src/libcharon/encoding/payloads/notify_payload.c) -> the RFC 7296 names of NOTIFY_ERRORS
_SHORT_NOTIFIES = {
    "AUTH_FAILED": "AUTHENTICATION_FAILED",
    "NO_PROP": "NO_PROPOSAL_CHOSEN",
    "TS_UNACCEPT": "TS_UNACCEPTABLE",
    "INVAL_KE": "INVALID_KE_PAYLOAD",
    "SINGLE_PAIR": "SINGLE_PAIR_REQUIRED",
    "NO_ADD_SAS": "NO_ADDITIONAL_SAS",
    "INT_ADDR_FAIL": "INTERNAL_ADDRESS_FAILURE",
    "FAIL_CP_REQ": "FAILED_CP_REQUIRED",
    "INVAL_SYN": "INVALID_SYNTAX",
    "INVAL_SPI": "INVALID_SPI",
    "NO_CHILD_SA": "CHILD_SA_NOT_FOUND",
    "TEMP_FAIL": "TEMPORARY_FAILURE",
    "INVAL_IKE_SPI": "INVALID_IKE_SPI",
    "INVAL_MAJOR": "INVALID_MAJOR_VERSION",
}

_SA_PREFIX = re.compile(r"<(?:(?P<name>[^|>]*)\|)?(?P<id>\d+)> (?P<message>.*)")
_RECEIVED_NOTIFY = re.compile(
    r"received (\w+) (?:notify error|error notify|notify, no CHILD_SA built)"
)
_GENERATING = re.compile(r"generating (\S+) (?:request|response) \d+ \[(.*)\]")
_PARSED = re.compile(r"parsed (\S+) (?:request|response) \d+ \[")
_PROPOSALS = re.compile(r"(received|configured) proposals: (?:(IKE|ESP|AH):)?")
_PROPOSAL_MISMATCH = re.compile(r"no acceptable proposal found|received proposals unacceptable")


# the IKE messages: "generating IKE_AUTH request 1 [ ... ]" then "sending packet: from
# A[4500] to B[4500] (272 bytes)" on the same thread; "received packet: ..." then "parsed
# IKE_AUTH response 1 [ ... ]"; a retransmit "retransmit 1 of request with message ID 0"
# (IKEv2) or "sending retransmit 1 of request message ID 0, seq 3" (IKEv1) before its packet
_PACKET = re.compile(
    r"(?P<direction>sending|received) packet: from (?P<src>\S+)\[(?P<sport>\d+)\] "
    r"to (?P<dst>\S+)\[(?P<dport>\d+)\] \((?P<size>\d+) bytes\)"
)
_MESSAGE = re.compile(
    r"(?P<verb>generating|parsed) (?P<exchange>\S+) (?P<kind>request|response) (?P<id>\d+) "
    r"\[(?P<payloads>.*)\]"
)
_RESPONSE_AGAIN = re.compile(r"received retransmit of response with ID (?P<id>\d+)")
_RETRANSMIT = re.compile(r"retransmit (?P<n>\d+) of request (?:with )?message ID (?P<id>\d+)")


def _error_notifies(payloads: str) -> tuple[str, ...]:
    """The error notifies among a message's payloads ("N(AUTH_FAILED)" -> RFC 7296 name)."""
    names = (_SHORT_NOTIFIES.get(short, short) for short in re.findall(r"N\((\w+)\)", payloads))
    return tuple(dict.fromkeys(name for name in names if name in NOTIFY_ERRORS))


@dataclass
class _PacketTracker:
    """Joins charon's message lines with its packet lines (same thread) into IkeMessages."""

    # the exchange each IKE SA is in (the log context's, kept up to date by _log_causes)
    exchange: dict[str | None, str]
    generated: dict[str, IkeMessage] = field(default_factory=dict)  # thread -> next to send
    received: dict[str, int] = field(default_factory=dict)  # thread -> its packet's event index
    last_request: dict[str | None, IkeMessage] = field(default_factory=dict)  # by IKE SA
    # and by message ID: a new IKE SA's first retransmit may name the new SA, not the old one
    # whose thread sent it ("initiating IKE_SA lab[8]" on <lab|7>)
    last_by_id: dict[int | None, IkeMessage] = field(default_factory=dict)
    echoes: dict[tuple[str | None, int], int] = field(default_factory=dict)  # responses again

    def read(
        self, thread: str, sa: str | None, message: str, events: list[LogEvent]
    ) -> IkeMessage | None:
        """The IkeMessage the line records (None for most lines); a "parsed" line completes
        the packet its thread received just before, in `events`."""
        if packet := _PACKET.match(message):
            sent = packet["direction"] == "sending"
            base = self.generated.pop(thread, None) if sent else None
            facts = IkeMessage(
                direction="sent" if sent else "received",
                source=packet["src"],
                source_port=int(packet["sport"]),
                destination=packet["dst"],
                destination_port=int(packet["dport"]),
                size=int(packet["size"]),
            )
            if base is not None:
                facts = replace(base, **{k: getattr(facts, k) for k in _WIRE})
                if not facts.response:
                    self.last_request[sa] = self.last_by_id[facts.message_id] = facts
            if not sent:
                self.received[thread] = len(events)
            return facts
        if header := _MESSAGE.match(message):
            facts = IkeMessage(
                direction="sent" if header["verb"] == "generating" else "received",
                exchange=header["exchange"],
                response=header["kind"] == "response",
                message_id=int(header["id"]),
                notifies=_error_notifies(header["payloads"]),
            )
            if header["verb"] == "generating":
                self.generated[thread] = facts
            elif (index := self.received.pop(thread, None)) is not None and index < len(events):
                before = events[index].packet
                if before is not None:
                    wire = {k: getattr(before, k) for k in _WIRE}
                    events[index] = replace(events[index], packet=replace(facts, **wire))
            return None
        if echoed := _RESPONSE_AGAIN.match(message):
            # the peer sent its response again: the packet just received on this thread
            index = self.received.pop(thread, None)
            before = events[index].packet if index is not None and index < len(events) else None
            if index is not None and before is not None:
                key = (sa, int(echoed["id"]))
                self.echoes[key] = self.echoes.get(key, 0) + 1
                events[index] = replace(
                    events[index],
                    packet=replace(
                        before,
                        exchange=self.exchange.get(sa),
                        response=True,
                        message_id=key[1],
                        retransmit=self.echoes[key],
                    ),
                )
            return None
        if retransmit := _RETRANSMIT.search(message):
            message_id = int(retransmit["id"])
            last = self.last_request.get(sa) or self.last_by_id.get(message_id)
            if last is not None and last.message_id == message_id:
                self.generated[thread] = replace(last, retransmit=int(retransmit["n"]))
            else:
                self.generated[thread] = IkeMessage(
                    "sent", response=False, message_id=message_id, retransmit=int(retransmit["n"])
                )
        return None


_WIRE = ("source", "source_port", "destination", "destination_port", "size")


@dataclass
class _LogContext:
    """What earlier lines said about each IKE SA (by unique id), to read a later line."""

    proposals_kind: dict[str | None, str] = field(default_factory=dict)
    exchange: dict[str | None, str] = field(default_factory=dict)
    # IKE SAs that sent a DPD request not yet answered: giving up on one is a DPD timeout
    dpd_pending: set[str | None] = field(default_factory=set)

    def proposal_cause(self, sa: str | None, message: str) -> str:
        # The line before a mismatch names the proposals it refused ("received proposals:
        # IKE:..." or "ESP:..."); failing that, the exchange being answered tells.
        kind = self.proposals_kind.get(sa)
        if kind is None:
            exchange = self.exchange.get(sa)
            if exchange == "IKE_SA_INIT":
                kind = "IKE"
            elif exchange in ("IKE_AUTH", "CREATE_CHILD_SA"):
                kind = "ESP"
            else:
                # strongSwan words an IKE_SA_INIT refusal "received proposals unacceptable"
                kind = "IKE" if "unacceptable" in message else "ESP"
        return "ike_proposal_mismatch" if kind == "IKE" else "child_proposal_mismatch"


def _log_causes(
    message: str, sa: str | None, context: _LogContext
) -> tuple[tuple[str, ...], str | None]:
    """The cause tokens a log message carries, and the direction of its notifies."""
    causes: list[str] = []
    direction = None
    received = _RECEIVED_NOTIFY.search(message)
    if received and received.group(1) in NOTIFY_ERRORS:
        causes.append(received.group(1))
        direction = "received"
    if "peer didn't accept DH group" in message:
        causes.append("INVALID_KE_PAYLOAD")
        direction = "received"
    generating = _GENERATING.search(message)
    if generating:
        context.exchange[sa] = generating.group(1)
        for short in re.findall(r"N\((\w+)\)", generating.group(2)):
            full = _SHORT_NOTIFIES.get(short, short)
            if full in NOTIFY_ERRORS and full not in causes:
                causes.append(full)
                direction = "sent"
    parsed = _PARSED.search(message)
    if parsed:
        context.exchange[sa] = parsed.group(1)
        context.proposals_kind.pop(sa, None)  # a new message: earlier proposals are history
    proposals = _PROPOSALS.search(message)
    if proposals:
        causes.append(f"{proposals.group(1)}_proposals")
        if proposals.group(1) == "received" and proposals.group(2):
            context.proposals_kind[sa] = proposals.group(2)
    if _PROPOSAL_MISMATCH.search(message):
        causes.append(context.proposal_cause(sa, message))
    found, found_direction = match_causes(message, "strongswan", known=tuple(causes))
    causes.extend(found)
    direction = direction or found_direction
    # IKEv2 DPD: "sending DPD request", then retransmits and "giving up after N
    # retransmits" on an IKE SA that was up (strongSwan's ikev2/dpd-clear test)
    if message.startswith("sending DPD request"):
        context.dpd_pending.add(sa)
    elif parsed and sa in context.dpd_pending:
        context.dpd_pending.discard(sa)  # the peer answered
    if "giving_up" in causes and sa in context.dpd_pending and "dpd_timeout" not in causes:
        causes.append("dpd_timeout")
    return tuple(causes), direction


@parser("strongswan", "cat-log-file")
def parse_charon_log(text: str, ctx: ParseContext) -> Fragment:
    """log: one LogEvent per charon line: line number, time as printed, level (filelog's
    log_level option), subsystem, sa_name and sa_id (`<lab|1>` -> lab, 1; `<5>` -> 5, the
    IKE SA's unique id, before it has a name), the message without those
    prefixes, cause tokens and, for notifies, their direction. Lines that are not charon's
    (other daemons in a syslog file) are counted in a note."""
    events: list[LogEvent] = []
    context = _LogContext()
    packets = _PacketTracker(context.exchange)
    for item in group_items(ttp_records("strongswan", "cat-log-file", numbered(text)), "events"):
        line = to_int(item.get("line"))
        if line is None:
            continue
        time = item.get("time")
        if time is None and item.get("month"):
            # "%b %e %T" pads the day with a space: print it as the device did
            time = f"{item['month']} {int(item['day']):2d} {item['clock']}"
        subsystem = str(item.get("subsystem") or "")
        rest = str(item.get("rest") or "")
        prefix = _SA_PREFIX.fullmatch(rest)
        message = prefix.group("message") if prefix else rest
        sa_name = (prefix.group("name") or None) if prefix else None
        sa_key = prefix.group("id") if prefix else None
        causes, direction = _log_causes(message, sa_key, context)
        packet = packets.read(str(item.get("thread") or ""), sa_key, message, events)
        events.append(
            LogEvent(
                line=line,
                message=message,
                time=time,
                level=subsystem[3:] or None,
                subsystem=subsystem[:3] or None,
                sa_name=sa_name,
                sa_id=sa_key,
                causes=causes,
                direction=direction,
                packet=packet,
            )
        )
    notes = []
    matched = {event.line for event in events}
    other = [
        number
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip() and number not in matched
    ]
    if events and other:
        notes.append(
            f"{ctx.file}: {len(other)} line(s) are not charon log lines and were skipped "
            f"(first: line {other[0]})"
        )
    return Fragment(log=events, notes=notes)


# --- swanctl.conf -----------------------------------------------------------------------------


@dataclass
class _Section:
    """A `name { ... }` section of swanctl.conf with its settings, in order."""

    name: str
    first: int
    last: int = 0
    settings: dict[str, tuple[str, int]] = field(default_factory=dict)
    sections: list[_Section] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        found = self.settings.get(key)
        return found[0] if found else None

    def section(self, name: str) -> _Section | None:
        return next((s for s in self.sections if s.name == name), None)


def _value(raw: str) -> str:
    """A setting's value without a trailing comment and without its quotes."""
    value, quoted = [], False
    for char in raw:
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            break
        value.append(char)
    text = "".join(value).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text


def _conf_lines(text: str) -> list[dict[str, Any]]:
    """The template's items, one per line it reads, in order, each with its `line` as an int
    (what `numbered_items` gives). The template is plain line patterns, every line an item
    of its own: `line_items` reads it in one pass, where TTP's results machinery cost most
    of the parse of a hub's file (thousands of children, tens of thousands of lines)."""
    items = line_items("strongswan", "cat-swanctl-conf", numbered(text)).items
    for item in items:
        del item["_first"], item["_last"]
        item["line"] = to_int(item.get("line")) or 0
    items.sort(key=lambda item: int(item["line"]))
    return items


def _conf_tree(text: str, notes: list[str], file: str) -> _Section:
    """Rebuild the section tree from the template's ordered lines (see its doc block)."""
    root = _Section("", 1)
    stack = [root]
    last_line = 0
    for item in _conf_lines(text):
        line = to_int(item.get("line")) or 0
        last_line = max(last_line, line)
        if item.get("opener"):
            name, _, body = str(item["opener"]).partition("{")
            section = _Section(name.strip(), line)
            stack[-1].sections.append(section)
            stack.append(section)
            # a whole section on one line: `name { }` or `name { key = value }`
            body = _value(body).strip()
            closed = body.endswith("}")
            key, equals, raw = body.removesuffix("}").partition("=")
            if equals:
                section.settings[key.strip()] = (_value(raw), line)
            if closed:
                stack.pop().last = line
        elif item.get("setting"):
            key, _, raw = str(item["setting"]).partition("=")
            # as in strongSwan's settings parser, a key given twice keeps the last value
            stack[-1].settings[key.strip()] = (_value(raw), line)
        elif item.get("closer"):
            if len(stack) > 1:
                stack.pop().last = line
            else:
                notes.append(f"{file}:{line}: '}}' closes no section")
        elif item.get("other"):
            notes.append(f"{file}:{line}: not read: {str(item['other']).strip()}")
    while len(stack) > 1:
        section = stack.pop()
        section.last = last_line
        notes.append(f"{file}:{section.first}: section '{section.name}' is not closed")
    return root


def _duration(value: str | None, what: str, notes: list[str]) -> int | None:
    """swanctl.conf durations: '3600', '3600s', '90m', '1h', '1d' -> seconds."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d+)\s*([smhd]?)", value.strip())
    if not match:
        notes.append(f"{what}: duration {value!r} not understood")
        return None
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _proposals(value: str | None, kind: str, what: str, notes: list[str]) -> tuple[Proposal, ...]:
    proposals = []
    for text in _list(value):
        proposal = algorithms.proposal_from_keywords(text, kind=kind)
        if not proposal.encryption:
            # `default` and unknown keywords are not expanded: keep what was written
            notes.append(f"{what}: proposal {text!r} not understood, left out of the proposals")
            continue
        if kind == "esp" and not proposal.dh_groups:
            # a child proposal without a key exchange method means no PFS (the model's
            # "none"), which strongSwan enforces: a peer proposing a DH group is refused
            proposal = replace(proposal, dh_groups=("none",))
        proposals.append(proposal)
    return tuple(proposals)


def _auth_round(connection: _Section, side: str) -> _Section | None:
    """`local {}` or the first of `local-<suffix> {}` (several authentication rounds)."""
    rounds = [s for s in connection.sections if s.name == side or s.name.startswith(f"{side}-")]
    return rounds[0] if rounds else None


@dataclass(frozen=True)
class _Secret:
    name: str
    ids: tuple[str, ...]
    value: str


def _ike_secrets(root: _Section) -> list[_Secret]:
    secrets = root.section("secrets")
    if secrets is None:
        return []
    found = []
    for section in secrets.sections:
        if not section.name.startswith("ike"):
            continue
        ids = tuple(
            value for key, (value, _) in section.settings.items() if re.fullmatch(r"id\S*", key)
        )
        found.append(_Secret(section.name, ids, section.get("secret") or ""))
    return found


def _matching_secret(
    secrets: list[_Secret], local_id: str | None, remote_id: str | None
) -> _Secret | None:
    """The ike secret charon would use between two identities: one naming both beats one
    naming either, which beats one without ids (it applies to everyone)."""

    def score(secret: _Secret) -> int:
        if not secret.ids:
            return 1
        named = sum(1 for peer_id in (local_id, remote_id) if peer_id and peer_id in secret.ids)
        return {2: 3, 1: 2}.get(named, 0)

    best = max(secrets, key=score, default=None)
    return best if best is not None and score(best) > 0 else None


def _fingerprint(secret: _Secret, notes: list[str]) -> str | None:
    found = comparable_fingerprint(secret.value)
    if found is None and secret.value.startswith(MARK):
        notes.append(f"secret {secret.name}: redacted without a fingerprint, not comparable")
    elif found is not None and found.startswith(MEMORY_FINGERPRINT_MARK):
        notes.append(f"secret {secret.name}: not redacted in the capture, compared in memory")
    return found


def _yes_no(value: str | None) -> bool | None:
    if value is None:
        return None
    return {"yes": True, "true": True, "no": False, "false": False}.get(value.lower())


def _child_config(section: _Section, ctx: ParseContext, notes: list[str]) -> ChildConfig:
    what = f"{ctx.file}:{section.first} child {section.name}"
    esp = section.get("esp_proposals")
    return ChildConfig(
        name=section.name,
        local_ts=_list(section.get("local_ts")),
        remote_ts=_list(section.get("remote_ts")),
        mode=(section.get("mode") or "").lower() or None,
        proposals=_proposals(
            esp if esp is not None else section.get("ah_proposals"), "esp", what, notes
        ),
        rekey_time_s=_duration(section.get("rekey_time"), what, notes),
        life_time_s=_duration(section.get("life_time"), what, notes),
        start_action=section.get("start_action"),
        dpd_action=section.get("dpd_action"),
        source=source_ref(ctx, section.first, section.last),
    )


@parser("strongswan", "cat-swanctl-conf")
def parse_swanctl_conf(text: str, ctx: ParseContext) -> Fragment:
    """connections: name, version (0 = any), local/remote addresses, identities and auth,
    IKE proposals (canonical), rekey_time_s, encap, psk_fingerprint (from the redacted
    `secret` of the ike secret matching the connection's identities), and children: name,
    local/remote traffic selectors, mode, ESP proposals, rekey_time_s, life_time_s,
    start_action, dpd_action; each with its line range."""
    notes: list[str] = []
    root = _conf_tree(text, notes, ctx.file)
    secrets = _ike_secrets(root)
    connections: list[Connection] = []
    for block in (s for s in root.sections if s.name == "connections"):
        for section in block.sections:
            what = f"{ctx.file}:{section.first} connection {section.name}"
            local, remote = _auth_round(section, "local"), _auth_round(section, "remote")
            local_id = local.get("id") if local else None
            remote_id = remote.get("id") if remote else None
            secret = _matching_secret(secrets, local_id, remote_id)
            children = section.section("children")
            version = section.get("version")
            connections.append(
                Connection(
                    name=section.name,
                    version=int(version) if version and version.isdigit() else None,
                    local_addrs=_list(section.get("local_addrs")),
                    remote_addrs=_list(section.get("remote_addrs")),
                    local_id=local_id,
                    remote_id=remote_id,
                    local_auth=local.get("auth") if local else None,
                    remote_auth=remote.get("auth") if remote else None,
                    proposals=_proposals(section.get("proposals"), "ike", what, notes),
                    rekey_time_s=_duration(section.get("rekey_time"), what, notes),
                    encap=_yes_no(section.get("encap")),
                    psk_fingerprint=_fingerprint(secret, notes) if secret else None,
                    # unset, swanctl.conf's defaults apply: fragmentation yes, no DPD, main mode
                    fragmentation=(section.get("fragmentation") or "yes").lower(),
                    dpd_delay_s=_duration(section.get("dpd_delay") or "0", what, notes),
                    aggressive=_yes_no(section.get("aggressive") or "no"),
                    children=tuple(
                        _child_config(child, ctx, notes)
                        for child in (children.sections if children else [])
                    ),
                    source=source_ref(ctx, section.first, section.last),
                )
            )
    return Fragment(connections=connections, notes=notes)
