"""Juniper SRX (Junos OS) parsers: IKE and IPsec SAs (brief and detail layouts), routes,
kmd's syslog file and the version.

Each parser runs its template (templates/juniper_junos/<key>.ttp) over the numbered text and
builds model objects with canonical algorithm names (`ipsec_tui.domain.algorithms`). Chassis
clusters print `node0:` / `node1:` headers: the lines below them parse like any other.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import ChildSa, IkeSa, LogEvent, Route
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    group_items,
    numbered,
    numbered_items,
    parser,
    source_ref,
    to_int,
    ttp_records,
)

PLATFORM = "juniper_junos"


def _endpoint(text: Any) -> tuple[str | None, int | None]:
    """`10.0.1.50:500` / `2001:db8::1:500` -> (address, port)."""
    address, _, port = str(text or "").rpartition(":")
    return (
        (address or None, to_int(port)) if port.isdigit() else (str(text) if text else None, None)
    )


def _hex(value: Any) -> str | None:
    """An SPI or cookie as the other platforms print it: lowercase, no `0x` (newer Junos
    releases print `0x93be8146`, older ones `93be8146`)."""
    text = str(value or "").strip().lower()
    text = text[2:] if text.startswith("0x") else text
    return text or None


def _unplaced_rows(fragment: Fragment, text: str, placed: set[int], row: re.Pattern[str]) -> None:
    """Leave unplaced every line that looks like a table row of this command (`row`) but
    that no template line read: a column layout or value the grammar does not know yet."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number not in placed and row.match(line):
            fragment.leave_unplaced(number, line.strip(), "table row in an unknown layout")


def _ike_version(mode: Any) -> int | None:
    text = str(mode or "").lower()
    if text == "ikev2":
        return 2
    if text in ("ikev1", "main", "aggressive"):  # IKEv1 and its exchange types
        return 1
    return None


def _auth(method: Any) -> str | None:
    text = str(method or "").lower()
    if "pre-shared" in text:
        return "psk"
    if "signature" in text:
        return "pubkey"
    return None


# --- show security ike security-associations [detail] ----------------------------------------


@parser(PLATFORM, "show-security-ike-security-associations")
@parser(PLATFORM, "show-security-ike-security-associations-detail")
def parse_ike_sas(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas, from the brief table or the detail layout: unique_id (index), name (gateway,
    detail only), state (UP -> ESTABLISHED; DOWN: not negotiated, kept None with a note),
    version (IKEv2 -> 2, Main/Aggressive -> 1), initiator (role), IKE SPIs (the cookies),
    remote address (and local address, ports, auth method, remote_id from `Peer ike-id`,
    canonical encryption/integrity/prf/dh_group and lifetime_s in detail); each with its
    line range. A phase-2 negotiation block's Local/Remote lines are not the IKE SA's (the
    template nests them apart). Brief rows in either column order; a row neither order
    reads is left unplaced."""
    results = ttp_records(PLATFORM, "show-security-ike-security-associations", numbered(text))
    placed: set[int] = set()
    blocks: list[dict[str, Any]] = []
    for item in [*group_items(results, "rows"), *group_items(results, "peers")]:
        # the SA's range is its own lines; a phase-2 negotiation block's lines are read too
        # (so not unplaced) but are not the IKE SA's
        numbers = [to_int(v) for k, v in item.items() if k == "line" or k.startswith("l_")]
        own = [n for n in numbers if n is not None]
        placed.update(own)
        for negotiation in group_items([item], "negotiations"):
            placed.update(
                n
                for k, v in negotiation.items()
                if (k == "line" or k.startswith("l_")) and (n := to_int(v)) is not None
            )
        blocks.append({**item, "first": min(own), "last": max(own)})
    blocks.sort(key=lambda block: block["first"])
    ike_sas: list[IkeSa] = []
    notes: list[str] = []
    for block in blocks:
        state = str(block.get("state") or "")
        if state == "DOWN":
            notes.append(f"{ctx.file}: IKE SA {block.get('index')}: state DOWN (not negotiated)")
        local_addr, local_port = _endpoint(block.get("local"))
        remote_addr, remote_port = _endpoint(block.get("remote"))
        ports = (local_port, remote_port)
        ike_sas.append(
            IkeSa(
                name=block.get("gateway"),
                unique_id=block.get("index"),
                state="ESTABLISHED" if state == "UP" else None,
                version=_ike_version(block.get("mode") or block.get("exchange")),
                local_addr=local_addr,
                local_port=local_port,
                remote_addr=block.get("peer") or block.get("remote_addr") or remote_addr,
                remote_port=remote_port,
                remote_id=block.get("peer_id"),
                initiator={"Initiator": True, "Responder": False}.get(str(block.get("role"))),
                encryption=algorithms.encryption(block.get("encryption")),
                integrity=algorithms.integrity(block.get("integrity")),
                prf=algorithms.prf(block.get("prf")),
                dh_group=algorithms.dh_group(block.get("dh_group")),
                auth_method=_auth(block.get("auth")),
                nat_t=True if 4500 in ports else False if ports == (500, 500) else None,
                spi_i=_hex(block.get("spi_i")),
                spi_r=_hex(block.get("spi_r")),
                lifetime_s=to_int(block.get("lifetime")),
                source=source_ref(ctx, block["first"], block["last"]),
            )
        )
    fragment = Fragment(ike_sas=ike_sas, notes=notes)
    _unplaced_rows(fragment, text, placed, _IKE_ROW)
    return fragment


# a brief IKE SA row: an index, then somewhere the two 16-digit cookies
_IKE_ROW = re.compile(r"^\s*\d+\s.*\b(?:0x)?[0-9a-fA-F]{16}\b")
# a brief IPsec SA row: direction and tunnel ID
_IPSEC_ROW = re.compile(r"^\s*[<>]\d+\s")


# --- show security ipsec security-associations [detail] --------------------------------------

# kmd prints `ipv4_subnet(any:0,[0..7]=10.0.0.0/20)` (protocol, port, prefix); iked (newer
# releases) prints `ipv4(0.0.0.0-255.255.255.255)` (an address range, any protocol and port)
_IDENTITY = re.compile(
    r"ipv[46](?:_subnet|_range)?\("
    r"(?:(?P<proto>[^:,()]+):(?P<port>[0-9-]+),\[[^\]]*\]=(?P<net>[^)]+)|(?P<bare>[0-9a-fA-F.:/-]+))"
    r"\)"
)


def _range_selector(text: str) -> tuple[str, bool]:
    """`10.1.0.0-10.1.0.255` -> ('10.1.0.0/24', True); a range that is not one prefix (or
    not addresses) stays as printed -> (text, False); a host gets /32 (/128)."""
    first, dash, last = text.partition("-")
    try:
        low = ipaddress.ip_address(first.strip())
        high = ipaddress.ip_address(last.strip()) if dash else low
        networks = list(ipaddress.summarize_address_range(low, high))
    except (ValueError, TypeError):
        return text, "/" in text and not dash
    if len(networks) == 1:
        return str(networks[0]), True
    return text, False


def _proxy_ids(text: Any) -> tuple[tuple[str, ...], list[str]]:
    """`ipv4_subnet(any:0,[0..7]=10.0.0.0/20)` (or a `list(...)` of them) and
    `ipv4(10.1.0.0-10.1.0.255)` -> (CIDRs, notes): `[proto/port]` is added when not any;
    a host gets /32 (/128); a range that is no single prefix is kept as printed, noted."""
    found: list[str] = []
    notes: list[str] = []
    for match in _IDENTITY.finditer(str(text or "")):
        net = match.group("net") or match.group("bare")
        if "/" not in net:
            net, exact = _range_selector(net)
            if not exact:
                notes.append(f"identity {match.group(0)}: range {net} is not one prefix")
        proto, port = match.group("proto") or "any", match.group("port") or "0"
        if proto != "any" or port not in ("0", "0-65535"):
            net += f"[{proto}/{'any' if port in ('0', '0-65535') else port}]"
        found.append(net)
    return tuple(found), notes


def _brief_algorithm(text: Any) -> tuple[str | None, str | None, str | None]:
    """`ESP:aes-cbc-256/sha1` -> ('ESP', 'aes256', 'sha1'); `ESP:aes-gcm-128/None`."""
    protocol, _, suite = str(text or "").partition(":")
    encryption, _, integrity = suite.partition("/")
    return protocol or None, algorithms.encryption(encryption), algorithms.integrity(integrity)


@parser(PLATFORM, "show-security-ipsec-security-associations")
@parser(PLATFORM, "show-security-ipsec-security-associations-detail")
def parse_ipsec_sas(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas (the IKE SA side is in `show security ike ...`: joined by remote address),
    each carrying its child_sas: name (VPN name, detail), state (installed -> INSTALLED),
    mode, protocol, encap (port 4500), local/remote traffic selectors (the proxy
    identities, detail; address ranges read as prefixes), SPIs (inbound = in, `0x`
    dropped), canonical encryption/integrity, lifetime_s (hard lifetime, or the brief `sec`
    column), rekey_in_s (soft lifetime), interface (bind interface); each with its line
    range. Brief rows in either column order; a row neither order reads is left unplaced."""
    results = ttp_records(PLATFORM, "show-security-ipsec-security-associations", numbered(text))
    rows = group_items(results, "rows")
    blocks = group_items(results, "tunnels")
    placed: set[int] = set()
    # brief rows: one per direction, the two of a tunnel ID make one child SA
    brief: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda item: to_int(item.get("line")) or 0):
        line = to_int(row.get("line")) or 0
        placed.add(line)
        tunnel = brief.setdefault(str(row["id"]), {"first": line, "dirs": {}})
        tunnel.update(gateway=row.get("gateway"), port=row.get("port"), last=line)
        tunnel["dirs"]["inbound" if row["direction"] == "<" else "outbound"] = row
    ike_sas: list[IkeSa] = []
    notes: list[str] = []
    for tunnel in brief.values():
        inbound, outbound = tunnel["dirs"].get("inbound", {}), tunnel["dirs"].get("outbound", {})
        protocol, encryption, integrity = _brief_algorithm((inbound or outbound).get("algorithm"))
        life = re.match(r"(\d+)/", str((inbound or outbound).get("life") or ""))
        port = to_int(tunnel.get("port"))
        source = source_ref(ctx, tunnel["first"], tunnel["last"])
        child = ChildSa(
            protocol=protocol,
            encap=port == 4500 if port else None,
            spi_in=_hex(inbound.get("spi")),
            spi_out=_hex(outbound.get("spi")),
            encryption=encryption,
            integrity=integrity,
            lifetime_s=to_int(life.group(1)) if life else None,
            source=source,
        )
        ike_sas.append(
            IkeSa(
                remote_addr=tunnel.get("gateway"),
                nat_t=child.encap,
                child_sas=(child,),
                source=source,
            )
        )
    # detail blocks: the template nests each direction's block under its tunnel's
    for block in blocks:
        directions = {str(d.get("direction")): d for d in group_items([block], "dirs")}
        numbers = [
            to_int(value)
            for item in (block, *directions.values())
            for key, value in item.items()
            if key == "line" or key.startswith("l_")
        ]
        lines_read = [n for n in numbers if n is not None]
        placed.update(lines_read)
        inbound, outbound = directions.get("inbound", {}), directions.get("outbound", {})
        either = inbound or outbound
        port = to_int(block.get("port"))
        local_ts, local_notes = _proxy_ids(block.get("local_identity"))
        remote_ts, remote_notes = _proxy_ids(block.get("remote_identity"))
        notes += [f"{ctx.file}: VPN {block.get('vpn')}: {n}" for n in local_notes + remote_notes]
        source = source_ref(ctx, min(lines_read), max(lines_read))
        child = ChildSa(
            name=block.get("vpn"),
            state="INSTALLED" if either.get("sa_state") == "installed" else None,
            mode=str(either["mode"]).lower() if either.get("mode") else None,
            protocol=either.get("protocol"),
            encap=port == 4500 if port else None,
            local_ts=local_ts,
            remote_ts=remote_ts,
            spi_in=_hex(inbound.get("spi")),
            spi_out=_hex(outbound.get("spi")),
            encryption=algorithms.encryption(either.get("encryption")),
            integrity=algorithms.integrity(either.get("integrity")),
            lifetime_s=to_int(either.get("hard")),
            rekey_in_s=to_int(either.get("soft")),
            interface=block.get("bind"),
            source=source,
        )
        ike_sas.append(
            IkeSa(
                version=_ike_version(block.get("version")),
                local_addr=block.get("local_gw"),
                remote_addr=block.get("remote_gw"),
                nat_t=child.encap,
                child_sas=(child,),
                source=source,
            )
        )
    fragment = Fragment(ike_sas=ike_sas, notes=notes)
    _unplaced_rows(fragment, text, placed, _IPSEC_ROW)
    return fragment


# --- show route -------------------------------------------------------------------------------


@parser(PLATFORM, "show-route")
def parse_show_route(text: str, ctx: ParseContext) -> Fragment:
    """routes: every IPv4/IPv6 route (MPLS labels and VPN route distinguishers are skipped):
    destination, table (as printed: inet.0, a VRF's table...), device and gateway of the
    selected next hop (`>`), kind (local for Local routes, blackhole/unreachable for
    Discard/Reject, else unicast)."""
    routes: list[Route] = []
    table = "inet.0"
    prefix: str | None = None
    pending: dict[str, Any] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None and pending.get("prefix"):
            routes.append(
                Route(
                    destination=pending["prefix"],
                    device=pending.get("device"),
                    gateway=pending.get("gateway"),
                    table=pending["table"],
                    kind=pending.get("kind", "unicast"),
                )
            )
        pending = None

    for item in numbered_items(PLATFORM, "show-route", text):
        if "table" in item:
            flush()
            table, prefix = str(item["table"]), None
        elif "protocol" in item:
            flush()
            prefix = str(item["prefix"]) if item.get("prefix") else prefix
            if item.get("prefix") or prefix:
                kind = "local" if item["protocol"] == "Local" else "unicast"
                pending = {
                    "prefix": prefix,
                    "table": table,
                    "kind": kind,
                    "active": item.get("active"),
                }
        elif "prefix" in item:
            flush()
            prefix = str(item["prefix"])
        elif pending is not None and "device" not in pending:
            if item.get("interface") and (item.get("selected") or "gateway" in item):
                pending.update(device=item["interface"], gateway=item.get("gateway"))
            elif item.get("local_interface"):
                pending.update(device=item["local_interface"])
            elif item.get("special") in ("Discard", "Reject"):
                pending["kind"] = "blackhole" if item["special"] == "Discard" else "unreachable"
    flush()
    return Fragment(routes=routes)


# --- show log (kmd) ---------------------------------------------------------------------------

# (cause token, wording) as kmd/iked word them. The KMD_* tags and the `IKE negotiation
# failed with error: ...` form are in Juniper's system log reference and in the real
# outputs cited in docs/platforms/juniper_junos.md; which error names a failed phase is
# not printed, so a refusal keeps its RFC 7296 notify name without a phase.
_CAUSES = (
    ("ike_established", re.compile(r"IKE negotiation successfully completed")),
    ("child_established", re.compile(r"\bKMD_PM_SA_ESTABLISHED\b|\bKMD_VPN_UP_ALARM_USER\b")),
    ("NO_PROPOSAL_CHOSEN", re.compile(r"[Nn]o proposal chosen|NO_PROPOSAL_CHOSEN")),
    ("AUTHENTICATION_FAILED", re.compile(r"[Aa]uthentication failed|AUTHENTICATION_FAILED")),
    ("TS_UNACCEPTABLE", re.compile(r"TS_UNACCEPTABLE|[Tt]raffic selectors? (?:un|not )acceptable")),
    ("ts_mismatch", re.compile(r"\bKMD_VPN_TS_MISMATCH\b|Failed to match the peer proxy ids")),
    (
        "peer_id_mismatch",
        re.compile(r"Phase-1: \S+ [Pp]olicy lookup failed|KMD_PM_P1_POLICY_LOOKUP_FAILURE"),
    ),
    ("giving_up", re.compile(r"[Pp]eer (?:is )?not responding|No response from peer")),
    ("dpd_timeout", re.compile(r"\bKMD_DPD_PEER_DOWN\b")),
    ("sa_install_failed", re.compile(r"[Ff]ailed to (?:install|add) (?:the )?(?:IPsec )?SA")),
)
_DAEMONS = ("kmd", "iked")


@parser(PLATFORM, "show-log")
def parse_kmd_log(text: str, ctx: ParseContext) -> Fragment:
    """log: one LogEvent per kmd/iked syslog line: line number, time as printed, subsystem
    (the KMD_* tag when the line has one), sa_name (`VPN NAME` / `vpn name:`), the message
    and cause tokens. Lines of other programs are counted in a note."""
    events: list[LogEvent] = []
    other = 0
    for item in group_items(ttp_records(PLATFORM, "show-log", numbered(text)), "events"):
        program = str(item.get("prog") or "").split("[")[0].rstrip(":")
        if program not in _DAEMONS:
            other += 1
            continue
        message = str(item.get("rest") or "")
        tag = re.match(r"(KMD_[A-Z0-9_]+): ", message)
        vpn = re.search(r"\bVPN:? (\S+?)[, ]|vpn name: ([^,]+)", message)
        causes = tuple(cause for cause, wording in _CAUSES if wording.search(message))
        events.append(
            LogEvent(
                line=to_int(item.get("line")) or 0,
                message=message,
                time=f"{item['month']} {int(item['day']):2d} {item['clock']}",
                subsystem=tag.group(1) if tag else program,
                sa_name=(vpn.group(1) or vpn.group(2)) if vpn else None,
                causes=causes,
                # kmd does not say whether a notify was sent or received: no direction
            )
        )
    notes = [f"{ctx.file}: {other} line(s) of other programs skipped"] if other else []
    return Fragment(log=events, notes=notes)


# --- show version -----------------------------------------------------------------------------


@parser(PLATFORM, "show-version")
def parse_show_version(text: str, ctx: ParseContext) -> Fragment:
    """software ("Junos 19.4R3-S1.3 (srx1500)") and a note with the hostname."""
    for item in group_items(ttp_records(PLATFORM, "show-version", text), "version"):
        if item.get("junos"):
            software = f"Junos {item['junos']}" + (
                f" ({item['model']})" if item.get("model") else ""
            )
            notes = [f"hostname: {item['hostname']}"] if item.get("hostname") else []
            return Fragment(software=software, notes=notes)
    return Fragment()
