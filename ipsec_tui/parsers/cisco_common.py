"""What Cisco IOS/IOS-XE and ASA outputs have in common, shared by their parser modules.

Both platforms print the same IKEv2 stack (`Encr: AES-CBC, keysize: 256, PRF: SHA256...`),
the same `show crypto ipsec sa` layout and the same syslog shape, so the readers of those
live here: running the templates on dedented, numbered text, SPIs,
selectors, state names, log lines and their cause tokens, and `join_peer_model`, which
joins the facts one Cisco box prints in several commands (IKE SAs in one, their IPsec SAs in
another; profiles referring to proposals) into the one-peer model the checks read.

The templates carry each output's structure as nested TTP groups (interface -> crypto map ->
flow -> direction -> SA; IKE SA -> child SA), every block keeping the number of the line
that starts it; the code here walks those records and normalises values. A line that opens
a block but found no place in the structure is left unplaced, never dropped.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.causes import NOTIFY_ERRORS
from ipsec_tui.domain.model import (
    ChildSa,
    Connection,
    IkeSa,
    LogEvent,
    PeerModel,
    Proposal,
    Route,
    SourceRef,
)
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    ParseError,
    filled,
    finisher,
    group_items,
    numbered_items,
    run_ttp,
    source_ref,
    to_int,
)
from ipsec_tui.parsers.log_signatures import match_causes

# --- text ----------------------------------------------------------------------------------


def lines_of(text: str) -> list[str]:
    """The output's lines without line ends (CR LF, CR and LF alike)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def numbered_dedented(text: str) -> str:
    """Every line stripped of its indentation and prefixed with its 1-based number and a TAB.

    Cisco indents the same line differently across releases (and copies from web pages
    lose it), so templates match lines without indentation; the number gives every
    record its place in the output for SourceRefs and for reading sections in order."""
    # a dummy line 0 first: TTP otherwise misses a first line that starts with a regex
    body = "".join(f"{number}\t{line.strip()}\n" for number, line in enumerate(lines_of(text), 1))
    return "0\t.\n" + body


def records(platform: str, key: str, text: str) -> list[dict[str, Any]]:
    """Run templates/<platform>/<key>.ttp on the numbered, dedented text."""
    return run_ttp(platform, key, numbered_dedented(text))


def blocks(platform: str, key: str, text: str, group: str = "blocks") -> list[dict[str, Any]]:
    """The records of a template's top group of blocks (one per `_start_` line, its `line`
    an int), in output order."""
    return numbered_items(platform, key, text, group, numbered_dedented)


def line_records(platform: str, key: str, text: str, group: str = "lines") -> list[dict[str, Any]]:
    """The records of a line-per-record template (method="table"), in output order."""
    # a record without its line number is not a matched line (TTP fills unmatched
    # variables with defaults in some cases): drop it
    return [record for record in blocks(platform, key, text, group) if record["line"]]


def require(text: str, ctx: ParseContext, markers: re.Pattern[str], what: str) -> None:
    """ParseError unless the text is this command's output (no line that only this command
    prints); CLI errors are caught before any parser runs, by the platform's indicators."""
    if not markers.search(text):
        first = next((line.strip() for line in lines_of(text) if line.strip()), "")
        raise ParseError(f"`{ctx.command}`: not {what} output (starts {first[:60]!r})")


def source(ctx: ParseContext, first: int | None, last: int | None = None) -> SourceRef | None:
    """Where a record was read; None when its line is unknown (a last line before the first
    is taken as none)."""
    if not first:
        return None
    return source_ref(ctx, first, last if last and last >= first else None)


def last_line(lines: list[str], first: int, limit: int) -> int:
    """The last non-blank 1-based line of a block that starts at `first` and ends before
    line `limit` (1-based, exclusive)."""
    last = min(limit - 1, len(lines))
    while last > first and not lines[last - 1].strip():
        last -= 1
    return last


def block_ends(starts: list[int], lines: list[str], end: int | None = None) -> list[int]:
    """For blocks starting at the given 1-based lines (in order), the last line of each."""
    bound = end if end is not None else len(lines) + 1
    result = []
    for index, start in enumerate(starts):
        limit = starts[index + 1] if index + 1 < len(starts) else bound
        result.append(last_line(lines, start, limit))
    return result


# --- values --------------------------------------------------------------------------------


def spi(value: Any, width: int = 8) -> str | None:
    """'0x31CA189(52208009)', '0x1E8246FC (511854332)', 'DC15BF68' -> lowercase hex without
    0x, zero-padded to the SPI's size (8 digits for ESP/AH, 16 for IKE), as Linux prints it."""
    text = str(value or "").strip()
    match = re.match(r"(?:0x)?([0-9A-Fa-f]+)", text)
    if not match:
        return None
    digits = match.group(1).lower()
    return digits.rjust(width, "0") if len(digits) <= width else digits


def yes_no(value: Any) -> bool | None:
    text = str(value or "").strip().lower()
    if text in ("yes", "y", "true"):
        return True
    if text in ("no", "n", "false"):
        return False
    return None


_PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp"}
_PROTOCOL_NUMBERS = {name: number for number, name in _PROTOCOLS.items()}


# a dotted quad as ipaddress prints it (no leading zeros): read without ipaddress, which
# costs more than the rest of a hub's parse
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
)


@functools.lru_cache(maxsize=256)
def _prefix_length(mask: str, version: int) -> int | None:
    """'255.255.255.0', '0.0.0.255' (a host mask), '24', '/64' -> the prefix length; None
    if not a mask of that IP version."""
    text = mask.strip().lstrip("/")
    try:
        return ipaddress.ip_network(f"{'0.0.0.0' if version == 4 else '::'}/{text}").prefixlen
    except ValueError:
        return None


def prefix(address: str, mask: str | None) -> str | None:
    """'10.0.0.0' + '255.255.255.0' -> '10.0.0.0/24'; a mask may be a dotted mask, a prefix
    length or missing (a host). None if the address is not an address."""
    text = address.strip()
    if _IPV4.fullmatch(text):
        value = int.from_bytes(bytes(int(octet) for octet in text.split(".")), "big")
        length = 32 if mask is None or str(mask).strip() == "" else _prefix_length(str(mask), 4)
        if length is None:
            return None
        network = value & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        return f"{'.'.join(str(b) for b in network.to_bytes(4, 'big'))}/{length}"
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if mask is None or str(mask).strip() == "":
        return f"{ip}/{ip.max_prefixlen}"
    mask_text = str(mask).strip().lstrip("/")
    try:
        network6 = ipaddress.ip_network(f"{ip}/{mask_text}", strict=False)
    except ValueError:
        return None
    return str(network6)


def selector(address: str, mask: str | None, protocol: Any = None, port: Any = None) -> str | None:
    """A traffic selector as the model writes it: CIDR, then [proto] or [proto/port] when the
    selector is narrower than all traffic (strongSwan's notation, protocols by name)."""
    cidr = prefix(address, mask)
    if cidr is None:
        return None
    proto = to_int(protocol)
    if protocol is not None and proto is None:
        proto = _PROTOCOL_NUMBERS.get(str(protocol).lower())
    port_number = to_int(port)
    if not proto:
        return cidr
    name = _PROTOCOLS.get(proto, str(proto))
    return f"{cidr}[{name}/{port_number}]" if port_number else f"{cidr}[{name}]"


def acl_selector(words: list[str]) -> tuple[str | None, list[str]]:
    """Read one side of an ACL-like flow from words: 'host A', 'any', 'A/M', 'A M' (mask or
    wildcard), 'A/len'. Returns (CIDR or None, remaining words)."""
    if not words:
        return None, words
    first = words[0]
    if first == "host" and len(words) > 1:
        return prefix(words[1], None), words[2:]
    if first in ("any", "any4"):
        return "0.0.0.0/0", words[1:]
    if first == "any6":
        return "::/0", words[1:]
    if "/" in first:
        address, _, mask = first.partition("/")
        return prefix(address, mask), words[1:]
    if len(words) > 1 and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", words[1]):
        mask = words[1]
        octets = [int(part) for part in mask.split(".")]
        if octets and octets[0] < 128 and mask != "0.0.0.0":  # a wildcard (inverse) mask
            mask = ".".join(str(255 - octet) for octet in octets)
        return prefix(first, mask), words[2:]
    return prefix(first, None), words[1:]


def flow_selectors(flow: str) -> tuple[str | None, str | None]:
    """'permit 47 host 10.1.1.4 host 10.1.1.3', 'permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0',
    'permit ipv6 ::/0 ::/0' -> (local selector, remote selector)."""
    words = flow.split()
    if words and words[0] in ("permit", "deny"):
        words = words[1:]
    protocol = words[0] if words else "ip"
    local, words = acl_selector(words[1:])
    remote, _ = acl_selector(words)
    proto = None if protocol in ("ip", "ipv6", "0") else protocol

    def narrow(cidr: str | None) -> str | None:
        if cidr is None or proto is None:
            return cidr
        address, _, length = cidr.partition("/")
        return selector(address, length, proto)

    return narrow(local), narrow(remote)


def seconds_of(text: str) -> int | None:
    """'1w2d', '3d18h', '22:03:24', '11:12:24', '52d 6h:35m:23s', '6:16:26', '4 hours, 2 mins'
    -> seconds; None if not a duration."""
    value = text.strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d+):(\d{1,2}):(\d{1,2})", value)
    if match:
        hours, minutes, secs = (int(part) for part in match.groups())
        return hours * 3600 + minutes * 60 + secs
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    words = {"week": "w", "day": "d", "hour": "h", "min": "m", "minute": "m", "sec": "s",
             "second": "s"}  # fmt: skip
    total = 0
    found = False
    for number, unit in re.findall(r"(\d+)\s*([a-zA-Z]+)", value):
        key = unit.lower().rstrip("s") if len(unit) > 1 else unit.lower()
        key = words.get(key, key)
        if key not in units:
            return None
        total += int(number) * units[key]
        found = True
    return total if found else None


# --- algorithms ----------------------------------------------------------------------------


def ikev2_suite(line: str) -> dict[str, str]:
    """'Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:19, Auth sign: PSK, ...'
    (the 'Encr:' may be cut off already) -> {'encr': 'AES-CBC', 'keysize': '256', 'prf': ...};
    keys lowercased, flags without a value (QR) as {'qr': ''}."""
    text = re.sub(r"^\s*Encr:\s*", "", line.strip())
    parts = [part.strip() for part in text.split(",") if part.strip()]
    found: dict[str, str] = {}
    if parts:
        found["encr"] = parts[0]
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        found[key.strip().lower()] = value.strip() if sep else ""
    return found


_AUTH_METHODS = {"psk": "psk", "pre-share": "psk", "preshared": "psk", "presharedkeys": "psk",
                 "preshrd": "psk", "rsa": "pubkey", "rsa-sig": "pubkey", "rsasig": "pubkey",
                 "ecdsa": "pubkey", "ecdsa-sig": "pubkey", "certificate": "pubkey",
                 "certificates": "pubkey", "eap": "eap", "rsa-encr": "rsa-encr"}  # fmt: skip


def auth_method(text: Any) -> str | None:
    """Cisco's PSK, RSA, ECDSA, pre-share, preSharedKeys, preshrd, certificate -> psk, pubkey."""
    value = re.sub(r"[\s_]", "", str(text or "")).lower()
    if not value or value in ("none", "n/a"):
        return None
    return _AUTH_METHODS.get(value) or ("pubkey" if "rsa" in value or "ecdsa" in value else None)


def ikev2_algorithms(suite: Mapping[str, str]) -> dict[str, str | None]:
    """Canonical encryption, integrity, prf, dh_group from an `Encr:` line's pieces."""
    keysize = to_int(suite.get("keysize"))
    hash_name = suite.get("hash") or suite.get("esp_hmac")
    dh = suite.get("dh grp") or suite.get("dh group")
    return {
        "encryption": algorithms.encryption(suite.get("encr"), keysize),
        "integrity": algorithms.integrity(hash_name) if hash_name else None,
        "prf": algorithms.prf(suite["prf"]) if suite.get("prf") else None,
        "dh_group": algorithms.dh_group(dh) if dh else None,
    }


def transform_algorithms(transforms: str) -> tuple[str | None, str | None]:
    """'esp-256-aes esp-sha256-hmac', 'esp-gcm 256', 'esp-aes 256 esp-sha-hmac', ASA
    'esp-aes-256 esp-md5-hmac no compression' -> (encryption, integrity), canonical."""
    words = transforms.replace(",", " ").split()
    encryption = integrity = None
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else ""
        if word.lower().endswith("-hmac") or word.lower() in ("esp-aes-xcbc-mac",):
            integrity = integrity or algorithms.integrity(word)
        elif word.lower().startswith(("esp-", "ah-")) and word.lower() not in ("esp-none",):
            name = word
            if following.isdigit():  # IOS 'esp-aes 256', 'esp-gcm 256'
                name = f"{word} {following}"
                index += 1
            encryption = encryption or algorithms.encryption(name)
        index += 1
    return encryption, integrity


def pfs_group(flag: Any, group: Any) -> str | None:
    """'PFS (Y/N): Y, DH group: group14' -> 'modp2048'; no PFS -> None."""
    if yes_no(flag) is False:
        return None
    found = algorithms.dh_group(str(group or ""))
    return found if found and found != "none" else None


# --- states --------------------------------------------------------------------------------

# `show crypto ikev2 sa` status column (IOS-XE and ASA): READY when negotiated.
IKEV2_STATES = {"READY": "ESTABLISHED", "IN-NEG": "CONNECTING", "DELETE": "DELETING"}


def ikev1_state(state: str | None) -> str | None:
    """IOS `show crypto isakmp sa` (QM_IDLE, MM_NO_STATE, MM_KEY_EXCH, AG_INIT_EXCH...) and
    ASA `show crypto ikev1 sa` (MM_ACTIVE, AM_ACTIVE, MM_WAIT_MSG2...) -> model state."""
    if not state:
        return None
    upper = state.strip().upper()
    if upper in ("QM_IDLE", "MM_ACTIVE", "AM_ACTIVE", "MM_ACTIVE_REKEY", "AM_ACTIVE_REKEY"):
        return "ESTABLISHED"
    if re.match(r"(MM|AM|AG|QM)_", upper):
        return "CONNECTING"
    return upper


def state_note(kind: str, raw_to_model: Iterable[tuple[str, str | None]]) -> str | None:
    """One note keeping the states as printed: 'IKEv2 states as printed: READY x2 (->
    ESTABLISHED), IN-NEG x1 (-> CONNECTING)'."""
    counted: dict[tuple[str, str | None], int] = {}
    for pair in raw_to_model:
        counted[pair] = counted.get(pair, 0) + 1
    if not counted:
        return None
    parts = [f"{raw} x{n} (-> {model or 'unknown'})" for (raw, model), n in counted.items()]
    return f"{kind} states as printed: " + ", ".join(parts)


# --- show crypto ipsec sa (IOS, IOS-XE and ASA print the same layout) ------------------------


@dataclass
class _Sa:
    spi: str
    transform: str = ""
    settings: str = ""
    status: str = ""
    lifetime_s: int | None = None
    first: int = 0


@dataclass
class _Ident:
    first: int
    interface: str | None
    local_addr: str | None
    vrf: str | None = None
    local_ts: str | None = None
    remote_ts: str | None = None
    peer: str | None = None
    peer_port: int | None = None
    encaps: int | None = None
    decaps: int | None = None
    errors_in: int = 0
    errors_out: int = 0
    errors_seen: bool = False
    local_endpoint: str | None = None
    remote_endpoint: str | None = None
    remote_port: int | None = None
    current_out: str | None = None
    pfs_flag: str | None = None
    pfs_dh: str | None = None
    inbound: list[_Sa] = field(default_factory=list)
    outbound: list[_Sa] = field(default_factory=list)


# counters that count packets refused on the way in / out (verify and decrypt failures,
# replay, invalid SA...), from IOS-XE's long and IOS's short counter lists and the ASA's
_IN_ERRORS = ("verify_failed", "decaps_failed", "invalid_sa", "replay_failed", "recv_errors",
              "invalid_prot", "invalid_identity", "invalid_len", "internal_err_recv")  # fmt: skip
_OUT_ERRORS = ("encaps_failed", "no_sa", "send_errors", "internal_err_send")


def _endpoint(value: Any) -> tuple[str | None, int | None]:
    """ASA '172.16.248.119/4500' or IOS '70.70.70.70' -> (address, port)."""
    text = str(value or "").strip()
    if not text:
        return None, None
    address, sep, port = text.rpartition("/")
    if sep and port.isdigit():
        return address, int(port)
    return text, None


def _lifetime(record: Mapping[str, Any]) -> int | None:
    if record.get("life_sec") is not None:
        return to_int(record.get("life_sec"))
    if record.get("life_text"):
        return seconds_of(str(record["life_text"]))
    return None


def items(record: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The records of a nested TTP group inside one record (a dict for one, a list for
    several, nothing when the group did not match)."""
    return group_items((record,), name)


def _joined_idents(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """IOS prints `protected vrf:` before the `local ident` it belongs to and either line
    starts a flow (older releases print no vrf line): a vrf-only record is joined to the
    flow that follows it, keeping its first line."""
    joined: list[dict[str, Any]] = []
    for record in records:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and "local_ident_addr" not in previous
            and "protected_vrf" in previous
            and "protected_vrf" not in record
        ):
            joined[-1] = {**record, "protected_vrf": previous["protected_vrf"],
                          "line": previous["line"], "ident_line": record.get("line")}  # fmt: skip
        else:
            joined.append(record)
    return joined


def _ident_selector(record: Mapping[str, Any], side: str) -> str | None:
    """The flow's local or remote ident '(addr/mask/prot/port)' as a selector."""
    address = record.get(f"{side}_ident_addr")
    if not address:
        return None
    return selector(
        str(address),
        record.get(f"{side}_ident_mask"),
        record.get(f"{side}_ident_prot"),
        record.get(f"{side}_ident_port"),
    )


def _ident(record: Mapping[str, Any], interface: str | None, local_addr: str | None) -> _Ident:
    """One protected flow's values, normalised."""
    ident = _Ident(
        first=to_int(record.get("line")) or 0, interface=interface, local_addr=local_addr
    )
    vrf = record.get("protected_vrf")
    ident.vrf = None if vrf is None or str(vrf) in ("(none)", "") else str(vrf)
    ident.local_ts, ident.remote_ts = (
        _ident_selector(record, side) for side in ("local", "remote")
    )
    if record.get("peer"):
        ident.peer = str(record["peer"])
        ident.peer_port = to_int(record.get("peer_port"))
    ident.encaps = to_int(record.get("encaps"))
    ident.decaps = to_int(record.get("decaps"))
    if record.get("counters"):
        _count_errors(ident, str(record["counters"]))
    if record.get("local_endpoint"):
        ident.local_endpoint, _ = _endpoint(record.get("local_endpoint"))
        ident.remote_endpoint, ident.remote_port = _endpoint(record.get("remote_endpoint"))
    if record.get("current_out"):
        ident.current_out = spi(record["current_out"])
    if record.get("pfs") is not None:
        ident.pfs_flag = str(record["pfs"])
        ident.pfs_dh = str(record.get("pfs_dh") or "")
    return ident


# lines that open a flow or an SA: each must have found its place in the structure
_IPSEC_SA_OPENER = re.compile(r"(?:local\s+ident\b|spi:)")


def ipsec_sa_children(
    results: list[dict[str, Any]], lines: list[str], ctx: ParseContext, fragment: Fragment
) -> list[tuple[_Ident, ChildSa]]:
    """Child SAs from the nested records of `show crypto ipsec sa`
    (templates/*/show-crypto-ipsec-sa*.ttp: interface -> crypto map -> flow -> direction ->
    SA): one per protected flow (ident) and inbound/outbound ESP SPI pair. A flow or SA
    line the structure did not hold (outside an interface and crypto map block), and AH or
    PCP SAs (the model has no place for them), are left unplaced."""
    idents: list[_Ident] = []
    bounds: list[int] = []  # interface, crypto map and flow lines end the flow before them
    placed: set[int] = set()
    for interface_record in group_items(results, "interfaces"):
        interface = str(interface_record.get("interface") or "") or None
        bounds.append(to_int(interface_record.get("line")) or 0)
        for map_record in items(interface_record, "maps"):
            bounds.append(to_int(map_record.get("line")) or 0)
            local_addr = str(map_record.get("map_local_addr") or "") or None
            for record in _joined_idents(items(map_record, "idents")):
                ident = _ident(record, interface, local_addr)
                idents.append(ident)
                bounds.append(ident.first)
                placed.update(to_int(record.get(key)) or 0 for key in ("line", "ident_line"))
                _ident_sas(ident, record, lines, placed, fragment)
    for number, text in enumerate(lines, 1):
        if number not in placed and _IPSEC_SA_OPENER.match(text.lstrip()):
            fragment.leave_unplaced(number, text.strip(), "outside an interface/crypto map block")
    # lines the structure did not hold: the output was recognised, and read in part
    fragment.understood = fragment.understood or bool(fragment.unplaced)
    bounds.sort()
    children: list[tuple[_Ident, ChildSa]] = []
    for ident in idents:
        after = bisect.bisect_right(bounds, ident.first)
        limit = bounds[after] if after < len(bounds) else len(lines) + 1
        last = last_line(lines, ident.first, limit)
        children += [(ident, child) for child in _ident_children(ident, ctx, last)]
    return children


def _ident_sas(
    ident: _Ident,
    record: Mapping[str, Any],
    lines: list[str],
    placed: set[int],
    fragment: Fragment,
) -> None:
    """The flow's ESP SAs by direction, in the order printed; AH and PCP SAs unplaced."""
    for direction in items(record, "directions"):
        section = str(direction.get("section") or "").lower()
        for sa_record in items(direction, "sas"):
            line = to_int(sa_record.get("line")) or 0
            placed.add(line)
            if not section.endswith("esp sas"):
                text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
                fragment.leave_unplaced(line, text, f"an SA under {section}: not modelled")
                continue
            sa = _Sa(
                spi=spi(sa_record.get("sa_spi")) or "",
                transform=str(sa_record.get("transform") or ""),
                settings=str(sa_record.get("settings") or ""),
                status=str(sa_record.get("sa_status") or ""),
                lifetime_s=_lifetime(sa_record),
                first=line,
            )
            (ident.inbound if section.startswith("inbound") else ident.outbound).append(sa)


_COUNTER = re.compile(r"#+\s*([a-zA-Z][a-zA-Z. ]*?)(?:\s*\([a-z]+\))?:?\s+(\d+)")


@functools.lru_cache(maxsize=1024)
def _error_side(name: str) -> str | None:
    """'pkts verify failed' -> 'in', 'send errors' -> 'out', other counters -> None."""
    key = re.sub(r"[^a-z]+", "_", name.lower()).strip("_").removeprefix("pkts_")
    if key.startswith(_IN_ERRORS):
        return "in"
    if key.startswith(_OUT_ERRORS):
        return "out"
    return None


def _count_errors(ident: _Ident, counters: str) -> None:
    """Sum the error counters printed on the '#pkts ...' lines into the ident."""
    for name, value in _COUNTER.findall(counters):
        side = _error_side(name)
        if side == "in":
            ident.errors_in += int(value)
            ident.errors_seen = True
        elif side == "out":
            ident.errors_out += int(value)
            ident.errors_seen = True


def _mode(settings: str) -> str | None:
    lowered = settings.lower()
    if "transport" in lowered:
        return "transport"
    if "tunnel" in lowered:
        return "tunnel"
    return None


def _settings_pfs(settings: str) -> str | None:
    """ASA 'in use settings ={L2L, Tunnel, PFS Group 2, IKEv2, }' -> 'modp1024' (the ASA
    prints no `PFS (Y/N)` line: the group is only in the settings)."""
    found = re.search(r"\bPFS Group (\d+)", settings, re.IGNORECASE)
    return pfs_group("Y", f"group{found.group(1)}") if found else None


def _child_state(status: str) -> str | None:
    """IOS 'ACTIVE(ACTIVE)', ASA 'SA State: active' -> INSTALLED; others as printed."""
    text = status.strip().upper()
    if not text:
        return (
            "INSTALLED"  # listed under in/outbound esp sas: installed (older IOS print no Status)
        )
    if text.startswith("ACTIVE"):
        return "INSTALLED"
    return text.split("(")[0] or None


def _ident_children(ident: _Ident, ctx: ParseContext, last: int) -> list[ChildSa]:
    inbound = ident.inbound
    outbound = ident.outbound
    if not inbound and not outbound:
        # a flow without SAs (crypto map ACL entry, or a tunnel not negotiated yet)
        return [
            ChildSa(
                name=None,
                state=None,
                local_ts=tuple(ts for ts in (ident.local_ts,) if ts),
                remote_ts=tuple(ts for ts in (ident.remote_ts,) if ts),
                packets_in=ident.decaps,
                packets_out=ident.encaps,
                errors_in=ident.errors_in if ident.errors_seen else None,
                errors_out=ident.errors_out if ident.errors_seen else None,
                interface=ident.interface,
                source=source(ctx, ident.first, last),
            )
        ]
    # SA pairs in the order printed; the pair holding the current outbound SPI comes first
    # and carries the flow's counters (Cisco counts per flow, not per SA).
    pairs = max(len(inbound), len(outbound))
    order = list(range(pairs))
    current = next(
        (i for i, sa in enumerate(outbound) if ident.current_out and sa.spi == ident.current_out),
        None,
    )
    if current is not None:
        order.remove(current)
        order.insert(0, current)
    children = []
    for rank, index in enumerate(order):
        sa_in = inbound[index] if index < len(inbound) else None
        sa_out = outbound[index] if index < len(outbound) else None
        either = sa_out or sa_in
        assert either is not None
        encryption, integrity = transform_algorithms(either.transform)
        settings = either.settings
        encap = (
            True
            if re.search(r"UDP-Encaps|NAT-T", settings, re.IGNORECASE) or ident.remote_port == 4500
            else False
            if settings
            else None
        )
        state = _child_state(either.status)
        if rank > 0 and state == "INSTALLED":
            state = "REKEYED"  # still installed, but no longer the current outbound SA
        lifetimes = [sa.lifetime_s for sa in (sa_in, sa_out) if sa and sa.lifetime_s is not None]
        children.append(
            ChildSa(
                name=None,
                state=state,
                mode=_mode(settings),
                protocol="ESP",
                encap=encap,
                local_ts=tuple(ts for ts in (ident.local_ts,) if ts),
                remote_ts=tuple(ts for ts in (ident.remote_ts,) if ts),
                spi_in=sa_in.spi if sa_in else None,
                spi_out=sa_out.spi if sa_out else None,
                encryption=encryption,
                integrity=integrity,
                pfs_group=pfs_group(ident.pfs_flag, ident.pfs_dh) or _settings_pfs(settings),
                packets_in=ident.decaps if rank == 0 else None,
                packets_out=ident.encaps if rank == 0 else None,
                errors_in=ident.errors_in if rank == 0 and ident.errors_seen else None,
                errors_out=ident.errors_out if rank == 0 and ident.errors_seen else None,
                lifetime_s=min(lifetimes) if lifetimes else None,
                interface=ident.interface,
                source=source(ctx, ident.first, last),
            )
        )
    return children


def ipsec_sa_fragment(platform: str, key: str, text: str, ctx: ParseContext) -> Fragment:
    """The child SAs of a `show crypto ipsec sa` template under their holder IKE SAs."""
    fragment = Fragment()
    pairs = ipsec_sa_children(records(platform, key, text), lines_of(text), ctx, fragment)
    fragment.ike_sas = holders_of(pairs, ctx)
    return fragment


def holders_of(pairs: list[tuple[_Ident, ChildSa]], ctx: ParseContext) -> list[IkeSa]:
    """Child SAs grouped under one IkeSa per (local, remote) endpoint pair, state and version
    unknown: `join_peer_model` moves them under the IKE SA another command printed."""
    holders: dict[tuple[str | None, str | None], list[ChildSa]] = {}
    ports: dict[tuple[str | None, str | None], int | None] = {}
    for ident, child in pairs:
        local = ident.local_endpoint or ident.local_addr
        remote = ident.remote_endpoint or ident.peer
        key = (local, remote)
        holders.setdefault(key, []).append(child)
        ports.setdefault(key, ident.remote_port or ident.peer_port)
    result = []
    for (local, remote), children in holders.items():
        firsts = [c.source.line_start for c in children if c.source]
        lasts = [c.source.line_end for c in children if c.source]
        result.append(
            IkeSa(
                local_addr=local,
                remote_addr=remote,
                remote_port=ports[(local, remote)],
                child_sas=tuple(children),
                source=source(ctx, min(firsts), max(lasts)) if firsts else None,
            )
        )
    return result


# --- logs ----------------------------------------------------------------------------------

# The syslog wordings are data: signatures/cisco_ios.yml and cisco_asa.yml (log_signatures),
# applied to both platforms. Left here (cause token, direction or None, wording): debug
# output and guide wordings for which no verbatim line with a citable source was found
# (docs/platforms/cisco_ios.md, cisco_asa.md say so).
_CAUSES: tuple[tuple[str, str | None, re.Pattern[str]], ...] = (
    ("ts_mismatch", None, re.compile(r"proxy identities not supported", re.I)),
    (
        "child_proposal_mismatch",
        None,
        re.compile(r"All IPSec SA proposals found unacceptable", re.I),
    ),
    ("ike_established", None, re.compile(r"Crypto tunnel is UP\b")),
    ("retransmit", None, re.compile(r"retransmitting phase 1", re.I)),
    ("dpd_timeout", None, re.compile(r"IKE lost contact with remote peer", re.I)),
)
_SIGNATURE_PLATFORMS = ("cisco_ios", "cisco_asa")
_NOTIFY = re.compile(r"\b(" + "|".join(NOTIFY_ERRORS) + r")\b")


def log_causes(message: str) -> tuple[tuple[str, ...], str | None]:
    """The cause tokens one Cisco log message carries, and the direction of its notify."""
    causes: list[str] = []
    direction: str | None = None
    for name in _NOTIFY.findall(message):
        # IKEv2 debug lines print the notify in the packet they describe:
        # 'Received Packet [...] NOTIFY(AUTHENTICATION_FAILED)' / 'Sending Packet [...]'
        if name in causes:
            continue
        if re.search(r"\bReceiv", message, re.I):
            causes.append(name)
            direction = "received"
        elif re.search(r"\bSen(?:d|ding|t)\b", message, re.I):
            causes.append(name)
            direction = "sent"
    found, found_direction = match_causes(message, *_SIGNATURE_PLATFORMS, known=tuple(causes))
    causes.extend(found)
    direction = direction or found_direction
    for cause, cause_direction, wording in _CAUSES:
        if cause not in causes and wording.search(message):
            causes.append(cause)
            direction = direction or cause_direction
    return tuple(causes), direction


# --- routes --------------------------------------------------------------------------------

_ROUTE_KINDS = {"C": "connected", "L": "local", "S": "static", "S*": "static", "O": "ospf",
                "B": "bgp", "D": "eigrp", "R": "rip", "i": "isis", "V": "vpn"}  # fmt: skip


def route_kind(code: str) -> str:
    """IOS/ASA route codes -> the model's kind: local routes are `local`, every other route
    that forwards is `unicast` (the protocol is kept in a note by the caller)."""
    return "local" if code.strip() == "L" else "unicast"


def next_hop(rest: str) -> tuple[str | None, str | None, list[str]]:
    """What a route line prints after its destination -> (device, gateway, comma-separated
    parts): 'is directly connected, Gi0/1' -> ('Gi0/1', None, []); 'via 10.1.1.1, 00:01:02,
    outside' -> (None, '10.1.1.1', ['via 10.1.1.1', '00:01:02', 'outside']), the caller
    reading a device off the parts as its platform prints it."""
    connected = re.match(r"is directly connected, (\S+)", rest)
    if connected:
        return connected.group(1).rstrip(","), None, []
    via = re.search(r"via (\S+?)(?:,|$)", rest)
    return None, via.group(1) if via else None, [part.strip() for part in rest.split(",")]


def addresses_from_routes(routes: Iterable[Route], codes: Mapping[str, str]) -> list[str]:
    """Interface addresses (CIDR) from the routing table: each local (L) host route inside
    the connected (C) network on the same interface gives address/prefix length."""
    connected = [
        ipaddress.ip_network(route.destination, strict=False)
        for route in routes
        if codes.get(route.destination) == "C" and route.destination != "default"
    ]
    found: list[str] = []
    for route in routes:
        if codes.get(route.destination) != "L":
            continue
        host = ipaddress.ip_interface(route.destination).ip
        inside = [net for net in connected if net.version == host.version and host in net]
        length = max((net.prefixlen for net in inside), default=host.max_prefixlen)
        address = f"{host}/{length}"
        if address not in found:
            found.append(address)
    return found


# --- one peer, several commands ---------------------------------------------------------------


def ikev2_proposal_name(name: str) -> str:
    """The connection name of an IOS IKEv2 proposal, as IKEv2 policies refer to it."""
    return f"IKEv2 proposal {name.strip()}"


def ikev2_profile_name(name: str) -> str:
    """The connection name of an IOS IKEv2 profile, as crypto maps and IPsec profiles refer
    to it."""
    return f"IKEv2 profile {name.strip()}"


def _preferred(candidates: list[IkeSa]) -> IkeSa:
    established = [sa for sa in candidates if sa.state == "ESTABLISHED"]
    return (established or candidates)[0]


def _merge_children(target: tuple[ChildSa, ...], extra: tuple[ChildSa, ...]) -> tuple[ChildSa, ...]:
    """Child SAs of one IKE SA printed by two commands: same inbound SPI -> one child SA
    (unknown fields filled); a child without SPIs (a session's flow) gives way to those with."""
    merged = list(target)
    for child in extra:
        same = next(
            (i for i, have in enumerate(merged) if child.spi_in and have.spi_in == child.spi_in),
            None,
        )
        if same is not None:
            merged[same] = filled(merged[same], child)
        else:
            merged.append(child)
    with_spi = [c for c in merged if c.spi_in or c.spi_out]
    if with_spi:
        merged = with_spi + [
            c
            for c in merged
            if not (c.spi_in or c.spi_out)
            and not any(c.local_ts == s.local_ts and c.remote_ts == s.remote_ts for s in with_spi)
        ]
    return tuple(merged)


def _negotiated(sa: IkeSa) -> bool:
    """Printed by a detailed view: some negotiated algorithm is known."""
    return any((sa.encryption, sa.integrity, sa.prf, sa.dh_group))


def join_ike_sas(ike_sas: Iterable[IkeSa]) -> list[IkeSa]:
    """IKE SAs of one peer as printed by several commands, joined into one per SA:

    - the detailed views (algorithms known) are the SAs;
    - a brief view of the same SA (same version and id, or the same endpoints: IOS
      `show crypto isakmp sa`, `show crypto session`) fills what the detailed one left
      unknown (its state, mostly) and is then dropped;
    - child SAs printed apart (`show crypto ipsec sa`: an IkeSa holder without version or
      state) move under the IKE SA of the same local/remote address, established first.
    Whatever finds no partner stays as printed."""
    all_sas = list(ike_sas)
    holders = [sa for sa in all_sas if sa.version is None and sa.state is None and sa.child_sas]
    rest = [sa for sa in all_sas if not any(sa is holder for holder in holders)]
    detailed = [sa for sa in rest if _negotiated(sa)]
    brief = [sa for sa in rest if not _negotiated(sa)]
    joined = list(detailed)
    for sa in brief:
        same_id = [
            i
            for i, have in enumerate(joined)
            if sa.unique_id
            and have.unique_id == sa.unique_id
            and have.version == sa.version
            and (sa.remote_addr is None or have.remote_addr == sa.remote_addr)
        ]
        same_pair = [
            i
            for i, have in enumerate(joined)
            if _negotiated(have)
            and (sa.local_addr is None or have.local_addr == sa.local_addr)
            and have.remote_addr == sa.remote_addr
            and (sa.version is None or have.version in (None, sa.version))
        ]
        targets = same_id or same_pair
        if targets:
            index = targets[0]
            children = _merge_children(joined[index].child_sas, sa.child_sas)
            joined[index] = replace(filled(joined[index], sa), child_sas=children)
        else:
            joined.append(sa)
    for holder in holders:
        candidates = [
            i
            for i, have in enumerate(joined)
            if have.remote_addr == holder.remote_addr
            and (holder.local_addr is None or have.local_addr in (None, holder.local_addr))
        ]
        if not candidates:
            joined.append(holder)
            continue
        best = _preferred([joined[i] for i in candidates])
        index = next(i for i in candidates if joined[i] is best)
        joined[index] = replace(best, child_sas=_merge_children(best.child_sas, holder.child_sas))
    return joined


_PROPOSAL_KINDS = ("ike-proposal", "ike-policy")


def join_connections(connections: Iterable[Connection]) -> list[Connection]:
    """Configured tunnels with what the box configures once for all of them.

    IOS prints its IKE proposals apart from its tunnels: "IKEv2 proposal N", "ISAKMP
    policy N" (and the ASA's subset views "IKEv1/IKEv2 policy N") hold only proposals
    (shared "ike-proposal"). They go to every tunnel of their version that has none
    (IKEv2: only the proposals an IKEv2 policy uses, when the policies were collected), and
    are then dropped with the policies; an IKEv2 profile (shared "ike-profile") that a
    crypto map or IPsec profile uses fills that tunnel's identities, auth and addresses and
    is dropped too. With no tunnel to give them to, they stay as they are."""
    conns = list(connections)
    globals_ = [c for c in conns if c.shared in _PROPOSAL_KINDS]
    tunnels = [c for c in conns if c.shared not in _PROPOSAL_KINDS]
    used_by_policies = {name for c in globals_ if c.shared == "ike-policy" for name in c.uses}
    proposals: dict[int, list[Proposal]] = {1: [], 2: []}
    for conn in globals_:
        version = conn.version if conn.version in (1, 2) else 1
        if version == 2 and used_by_policies and conn.name not in used_by_policies:
            continue
        proposals[version] += [p for p in conn.proposals if p not in proposals[version]]
    profiles = {conn.name: conn for conn in tunnels if conn.shared == "ike-profile"}
    profiles_used: set[str] = set()
    joined: list[Connection] = []
    for conn in tunnels:
        profile = next((profiles[name] for name in conn.uses if name in profiles), None)
        if profile is not None:
            profiles_used.add(profile.name)
            conn = filled(replace(conn, version=conn.version or 2), replace(profile, shared=None))
        joined.append(conn)
    result = []
    for conn in joined:
        if conn.name in profiles_used:
            continue
        if not conn.proposals and conn.version in (1, 2) and proposals[conn.version]:
            conn = replace(conn, proposals=tuple(proposals[conn.version]))
        result.append(conn)
    return result if result else globals_


def own_addresses(model: PeerModel) -> set[str]:
    """The device's own addresses as far as the capture shows them: its interface addresses
    (from the routing table's local routes) and the local end of any SA a command printed
    by side (`show crypto isakmp sa detail`, `show crypto ipsec sa`, `show crypto session`)."""
    own: set[str] = set()
    for cidr in model.addresses:
        try:
            own.add(str(ipaddress.ip_interface(cidr).ip))
        except ValueError:
            continue
    own.update(sa.local_addr for sa in model.ike_sas if sa.local_addr)
    return own


def orient(ike_sas: Iterable[IkeSa], own: set[str]) -> list[IkeSa]:
    """IKE SAs printed with their ends by role (IOS `show crypto isakmp sa`: dst/src) get
    local/remote and `initiator` where one end is the device's own; the others stay as
    printed (nothing is guessed)."""
    oriented = []
    for sa in ike_sas:
        ends = (sa.initiator_addr, sa.responder_addr)
        if sa.local_addr is None and sa.remote_addr is None and all(ends):
            if sa.responder_addr in own and sa.initiator_addr not in own:
                sa = replace(
                    sa, local_addr=sa.responder_addr, remote_addr=sa.initiator_addr, initiator=False
                )
            elif sa.initiator_addr in own and sa.responder_addr not in own:
                sa = replace(
                    sa, local_addr=sa.initiator_addr, remote_addr=sa.responder_addr, initiator=True
                )
        oriented.append(sa)
    return oriented


@finisher("cisco_ios", "cisco_asa")
def join_peer_model(model: PeerModel) -> PeerModel:
    """One Cisco peer's model with the facts of its several commands joined (see `orient`,
    `join_ike_sas` and `join_connections`). Pure: the same model in, a new one out; a model
    of another platform comes back unchanged."""
    if not model.platform.startswith("cisco"):
        return model
    oriented = orient(model.ike_sas, own_addresses(model))
    return replace(
        model,
        ike_sas=tuple(join_ike_sas(oriented)),
        connections=tuple(join_connections(model.connections)),
    )


# --- show crypto ikev2 sa (IOS-XE and ASA share the IKEv2 stack's wording) ----------------


def address(value: Any) -> str | None:
    """An IP address as Linux and the other platforms print it (IPv6 compressed, lowercase);
    anything else as printed."""
    text = str(value or "").strip()
    if not text:
        return None
    if _IPV4.fullmatch(text):
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _ipv4_range(first: str, last: str) -> list[str] | None:
    """'10.1.1.0', '10.1.1.255' -> ['10.1.1.0/24'] when the range is one network of
    dotted quads; None otherwise (ipaddress summarises the other cases)."""
    if not (_IPV4.fullmatch(first) and _IPV4.fullmatch(last)):
        return None
    low, high = (int.from_bytes(bytes(int(o) for o in a.split(".")), "big") for a in (first, last))
    size = high - low + 1
    if size <= 0 or size & (size - 1) or low % size:
        return None
    return [f"{first}/{33 - size.bit_length()}"]


@functools.lru_cache(maxsize=4096)  # route-based tunnels all print the same any/any range
def range_selectors(start: str, end: str) -> tuple[str, ...]:
    """ASA child SA selector '10.1.1.0/0 - 10.1.1.255/65535' (first address/port - last
    address/port) -> ('10.1.1.0/24',); a port range narrower than all ports is kept
    as [port] or [first-last] like strongSwan."""
    first, _, first_port = start.strip().rpartition("/")
    last, _, last_port = end.strip().rpartition("/")
    networks = _ipv4_range(first, last)
    if networks is None:
        try:
            low, high = ipaddress.ip_address(first), ipaddress.ip_address(last)
            networks = [str(n) for n in ipaddress.summarize_address_range(low, high)]
        except (ValueError, TypeError):
            return ()
    ports = (to_int(first_port), to_int(last_port))
    if ports in ((0, 65535), (None, None)):
        return tuple(networks)
    suffix = f"{ports[0]}" if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"
    return tuple(f"{net}[{suffix}]" for net in networks)


def ikev2_fragment(platform: str, key: str, text: str, ctx: ParseContext) -> Fragment:
    """The IKE SAs, with their child SAs, of a `show crypto ikev2 sa|session` template."""
    fragment = Fragment()
    fragment.ike_sas = ikev2_sas(records(platform, key, text), lines_of(text), ctx, fragment)
    return fragment


def ikev2_sas(
    results: list[dict[str, Any]], lines: list[str], ctx: ParseContext, fragment: Fragment
) -> list[IkeSa]:
    """IkeSa objects from the nested records of `show crypto ikev2 sa [detail]` and
    `show crypto ikev2 session` (IOS-XE and ASA templates: SA -> child SA), with their
    child SAs; a note keeps the states as printed. A `Child sa` line outside an SA is left
    unplaced."""
    sas = group_items(results, "sas")
    starts = sorted(
        [to_int(sa.get("line")) or 0 for sa in sas]
        + [to_int(mark.get("line")) or 0 for mark in group_items(results, "marks")]
    )
    placed: set[int] = set()
    result: list[IkeSa] = []
    states: list[tuple[str, str | None]] = []
    for fields in sas:
        first = to_int(fields.get("line")) or 0
        after = bisect.bisect_right(starts, first)
        limit = starts[after] if after < len(starts) else len(lines) + 1
        raw_state = str(fields.get("status") or "").upper()
        state = IKEV2_STATES.get(raw_state, raw_state or None)
        states.append((raw_state, state))
        suite = ikev2_suite(str(fields.get("suite") or ""))
        algos = ikev2_algorithms(suite)
        role = str(fields.get("role") or "").upper()
        initiator = yes_no(fields.get("initiator"))
        if initiator is None and role in ("INITIATOR", "RESPONDER"):
            initiator = role == "INITIATOR"
        spi_local = spi(fields.get("spi_local"), 16)
        spi_remote = spi(fields.get("spi_remote"), 16)
        nat = str(fields.get("nat_t") or "").strip().lower()
        local_port, remote_port = (
            to_int(fields.get("local_port")),
            to_int(fields.get("remote_port")),
        )
        nat_t: bool | None = None
        if nat:
            nat_t = not nat.startswith("not")
        elif 4500 in (local_port, remote_port):
            nat_t = True
        fvrf, ivrf = str(fields.get("fvrf") or ""), str(fields.get("ivrf") or "")
        vrf = None if fvrf in ("", "none") and ivrf in ("", "none") else f"{fvrf}/{ivrf}"
        child_records = items(fields, "children")
        child_starts = [to_int(child.get("line")) or 0 for child in child_records]
        placed.update(child_starts)
        children = tuple(
            _ikev2_child(
                child, ctx, child_starts[i + 1] if i + 1 < len(child_starts) else limit, lines
            )
            for i, child in enumerate(child_records)
        )
        result.append(
            IkeSa(
                unique_id=str(fields["tunnel_id"]),
                state=state,
                version=2,
                local_addr=address(fields.get("local")),
                local_port=local_port,
                remote_addr=address(fields.get("remote")),
                remote_port=remote_port,
                local_id=str(fields["local_id"]).strip() if fields.get("local_id") else None,
                remote_id=str(fields["remote_id"]).strip() if fields.get("remote_id") else None,
                initiator=initiator,
                encryption=algos["encryption"],
                integrity=algos["integrity"],
                prf=algos["prf"],
                dh_group=algos["dh_group"],
                auth_method=auth_method(suite.get("auth sign")),
                nat_t=nat_t,
                spi_i=(spi_local if initiator else spi_remote) if initiator is not None else None,
                spi_r=(spi_remote if initiator else spi_local) if initiator is not None else None,
                lifetime_s=to_int(fields.get("life")),
                established_s=to_int(fields.get("active")),
                vrf=vrf,
                child_sas=children,
                source=source(ctx, first, last_line(lines, first, limit)),
            )
        )
    for number, text in enumerate(lines, 1):
        if number not in placed and text.lstrip().startswith("Child sa"):
            fragment.leave_unplaced(number, text.strip(), "a child SA outside an IKE SA")
    fragment.understood = fragment.understood or bool(fragment.unplaced)
    note = state_note("IKEv2", states)
    if note:
        fragment.notes.append(note)
    return result


def joined_lines(value: Any) -> list[str]:
    """The lines of a joined TTP value (joinmatches), stripped; none for no value."""
    return [part.strip() for part in str(value or "").split("\n") if part.strip()]


def _ikev2_child(
    child: Mapping[str, Any], ctx: ParseContext, limit: int, lines: list[str]
) -> ChildSa:
    """A `Child sa:` block (ASA `show crypto ikev2 sa`, IOS-XE `show crypto ikev2 session`):
    selectors, ESP SPIs in/out and, in detail, its suite and mode."""

    def selectors(ranges: list[str]) -> tuple[str, ...]:
        found: list[str] = []
        for text in ranges:
            if " - " in text:
                found += [s for s in range_selectors(*text.split(" - ", 1)) if s not in found]
        return tuple(found)

    local = joined_lines(child.get("child_local"))
    remote = joined_lines(child.get("child_remote"))
    first_selector = str(child.get("child_start") or "").strip()
    if first_selector.startswith("local selector"):  # 'Child sa: local selector A - B'
        local.insert(0, first_selector.removeprefix("local selector").strip())
    for pair in joined_lines(child.get("child_pair")):  # 'A - B -> C - D'
        ours, _, theirs = pair.partition("->")
        local.append(ours.strip())
        remote.append(theirs.strip())
    local_ts = selectors(local)
    remote_ts = selectors(remote)
    suite = ikev2_suite(str(child.get("suite") or ""))
    algos = ikev2_algorithms(suite) if suite else {}
    first = to_int(child.get("line")) or 0
    return ChildSa(
        state="INSTALLED" if child.get("esp_spi_in") else None,
        mode=str(child["child_mode"]).lower() if child.get("child_mode") else None,
        protocol="ESP" if child.get("esp_spi_in") else None,
        local_ts=local_ts,
        remote_ts=remote_ts,
        spi_in=spi(child.get("esp_spi_in")),
        spi_out=spi(child.get("esp_spi_out")),
        encryption=algos.get("encryption"),
        integrity=algos.get("integrity"),
        source=source(ctx, first, last_line(lines, first, limit)) if first else None,
    )


# --- show logging (IOS and ASA) -------------------------------------------------------------

_TIME = re.compile(
    r"(?P<time>[*.]?(?:[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{4}\s+)?\d{1,2}:\d{2}:\d{2}(?:\.\d+)?"
    r"(?:\s+[A-Z]{2,5})?|\d{4}-\d{2}-\d{2}T\S+|\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?|\d+[wdh]\d+[dhm]))"
)


def numbered_raw(text: str) -> str:
    """Every line prefixed with its 1-based number and a TAB, indentation kept."""
    # a dummy line 0 first: TTP otherwise misses a first line that starts with a regex
    return "0\t.\n" + "".join(
        f"{number}\t{line}\n" for number, line in enumerate(lines_of(text), 1)
    )


def log_events_of(platform: str, key: str, text: str) -> tuple[list[LogEvent], int]:
    """One LogEvent per syslog line of `show logging` (templates/<platform>/show-logging.ttp):
    line number, time as printed (IOS '*Mar  1 00:42:09.431', ASA 'Aug 15 2019 13:44:38'),
    level (syslog severity digit), subsystem (facility: CRYPTO, IKEV2, ASA...), the
    message from %FACILITY-SEVERITY-MNEMONIC on, with wrapped continuation lines appended,
    cause tokens and notify direction (log_causes). Returns the events and the number of
    other non-blank lines (the settings header, debug output)."""
    rows = [
        row for row in numbered_items(platform, key, text, "lines", numbered_raw) if row["line"]
    ]
    events: list[LogEvent] = []
    other = 0
    previous_was_event = False
    for row in rows:
        line = to_int(row.get("line")) or 0
        if row.get("facility"):
            prefix = str(row.get("prefix") or "")
            time = _TIME.search(prefix)
            message = str(row.get("message") or "").lstrip(": ").rstrip()
            code = f"%{row['facility']}-{row['severity']}-{row['mnemonic']}"
            causes, direction = log_causes(message)
            events.append(
                LogEvent(
                    line=line,
                    message=f"{code}: {message}" if message else code,
                    time=time.group("time").strip() if time else None,
                    level=str(row["severity"]),
                    subsystem=str(row["facility"]),
                    causes=causes,
                    direction=direction,
                )
            )
            previous_was_event = True
        elif row.get("continuation") and previous_was_event and events:
            last = events[-1]
            message = f"{last.message} {str(row['continuation']).strip()}"
            causes, direction = log_causes(message.split(": ", 1)[-1])
            events[-1] = replace(last, message=message, causes=causes, direction=direction)
        else:
            other += 1
            previous_was_event = False
    return events, other
