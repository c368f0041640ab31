"""Cisco ASA parsers: IKEv2 and IKEv1 SAs, IPsec SAs, LAN-to-LAN VPN sessions, the crypto
configuration and tunnel-groups as `show running-config` prints them, routes, the log, the
clock and the version.

Each parser runs its template (templates/cisco_asa/<key>.ttp) on the output with its lines
numbered and dedented (cisco_common.numbered_dedented) and turns the records into model
objects with canonical algorithm names. The ASA shares IOS-XE's IKEv2 wording and its
`show crypto ipsec sa` layout, read by cisco_common.
"""

from __future__ import annotations

import re
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import ChildConfig, ChildSa, Connection, IkeSa, Proposal, Route
from ipsec_tui.parsers import cisco_common as cc
from ipsec_tui.parsers.base import Fragment, ParseContext, ParseError, group_items, parser, to_int

PLATFORM = "cisco_asa"


def _text(value: Any) -> str:
    return str(value or "").strip()


# --- SAs ------------------------------------------------------------------------------------

_IKEV2_MARKERS = re.compile(
    r"^\s*(?:IKEv2 SAs:|Tunnel-id\s|There are no IKEv2 SAs)", re.MULTILINE | re.IGNORECASE
)


@parser(PLATFORM, "show-crypto-ikev2-sa-detail")
@parser(PLATFORM, "show-crypto-ikev2-sa")
def parse_ikev2_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas (version 2): unique_id (Tunnel-id), state (READY -> ESTABLISHED...; states as
    printed in a note), local/remote address and port, initiator (Role), canonical
    encryption, integrity (Hash), prf when printed, dh_group, auth_method (Auth sign),
    lifetime_s/established_s (Life/Active Time), and in detail IKE SPIs, identities and
    NAT-T; child_sas from the `Child sa` lines: selectors (address ranges -> CIDRs), ESP
    SPIs in/out, state INSTALLED, and in detail the child's algorithms and mode.
    "There are no IKEv2 SAs" is empty."""
    cc.require(text, ctx, _IKEV2_MARKERS, "`show crypto ikev2 sa`")
    return cc.ikev2_fragment(PLATFORM, "show-crypto-ikev2-sa-detail", text, ctx)


_IKEV1_MARKERS = re.compile(
    r"^\s*(?:IKEv1 SAs:|IKE Peer\b|\d+\s+IKE Peer:|There are no (?:IKEv1|isakmp) SAs)",
    re.MULTILINE | re.IGNORECASE,
)


@parser(PLATFORM, "show-crypto-ikev1-sa-detail")
@parser(PLATFORM, "show-crypto-ikev1-sa")
def parse_ikev1_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas (version 1): unique_id (the SA's index), remote_addr (IKE Peer), state
    (MM_ACTIVE/AM_ACTIVE -> ESTABLISHED, MM_WAIT_MSGn... -> CONNECTING; as printed in a
    note), initiator (Role or Dir), canonical encryption, integrity (Hash) and its PRF,
    auth_method (preshared -> psk), lifetime_s (remaining when printed, else configured).
    "There are no IKEv1 SAs" is empty."""
    cc.require(text, ctx, _IKEV1_MARKERS, "`show crypto ikev1 sa`")
    lines = cc.lines_of(text)
    blocks = group_items(cc.records(PLATFORM, "show-crypto-ikev1-sa-detail", text), "sas")
    starts = [to_int(block["line"]) or 0 for block in blocks]
    ike_sas = []
    states: list[tuple[str, str | None]] = []
    for block, first, last in zip(blocks, starts, cc.block_ends(starts, lines), strict=True):
        raw = str(block.get("state") or "")
        state = cc.ikev1_state(raw)
        states.append((raw, state))
        role = str(block.get("role") or block.get("direction") or "").lower()
        initiator = (
            True
            if role in ("initiator", "init")
            else False
            if role in ("responder", "resp")
            else None
        )
        integrity = (
            algorithms.integrity(str(block.get("hash") or "")) if block.get("hash") else None
        )
        remaining = to_int(block.get("remaining"))
        ike_sas.append(
            IkeSa(
                unique_id=str(block["index"]),
                state=state,
                version=1,
                remote_addr=cc.address(block.get("peer")),
                initiator=initiator,
                encryption=algorithms.encryption(str(block.get("encrypt") or ""))
                if block.get("encrypt")
                else None,
                integrity=integrity,
                prf=algorithms.prf(integrity) if integrity else None,
                auth_method=cc.auth_method(block.get("auth")),
                lifetime_s=remaining if remaining is not None else to_int(block.get("lifetime")),
                source=cc.source(ctx, first, last),
            )
        )
    note = cc.state_note("IKEv1", states)
    return Fragment(ike_sas=ike_sas, notes=[note] if note else [])


_IPSEC_SA_MARKERS = re.compile(
    r"^\s*(?:interface:|There are no IPsec SAs|local ident \(addr/mask/prot/port\))",
    re.MULTILINE | re.IGNORECASE,
)


@parser(PLATFORM, "show-crypto-ipsec-sa")
def parse_ipsec_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: one holder per local/remote crypto endpoint (no version, no state: the IKE
    SA is another command's) with its child_sas, one per protected flow and SPI pair:
    interface, local/remote selectors, in/out SPI, canonical encryption/integrity from the
    transform ('esp-aes-256 esp-md5-hmac'), mode and encap from the in-use settings
    ({L2L, Tunnel, NAT-T-Encaps, IKEv1, }), packets in/out (#pkts decaps/encaps), errors
    in/out (send/recv errors and the failure counters), remaining lifetime_s, state
    INSTALLED ('SA State: active'). "There are no IPsec SAs" is empty."""
    cc.require(text, ctx, _IPSEC_SA_MARKERS, "`show crypto ipsec sa`")
    return cc.ipsec_sa_fragment(PLATFORM, "show-crypto-ipsec-sa", text, ctx)


# --- show vpn-sessiondb detail l2l --------------------------------------------------------------

_KEY = r"[A-Za-z][A-Za-z0-9/() .-]*?"
# a "Key : value" pair, the value running to the next key (after two or more spaces)
_PAIR = re.compile(rf"(?P<key>{_KEY})\s*:[ \t]*(?P<value>.*?)(?=\s{{2,}}{_KEY}\s*:(?:\s|$)|$)")


def _pairs(line: str) -> dict[str, str]:
    """'Encryption   : AES256                 Hashing      : SHA1' -> {'encryption': 'AES256',
    'hashing': 'SHA1'} (keys lowercased, runs of spaces squeezed)."""
    found: dict[str, str] = {}
    for match in _PAIR.finditer(line.strip()):
        key = re.sub(r"\s+", " ", match["key"].strip().lower())
        found.setdefault(key, match["value"].strip())
    return found


def _joined_pairs(text: str) -> dict[str, str]:
    """The pairs of joined "Key : value" lines, the first of each key kept."""
    found: dict[str, str] = {}
    for line in cc.joined_lines(text):
        for key, value in _pairs(line).items():
            found.setdefault(key, value)
    return found


def _seconds(value: Any) -> int | None:
    match = re.match(r"(\d+)\s*Seconds", str(value or ""))
    return int(match.group(1)) if match else None


def _selector(value: Any) -> tuple[str, ...]:
    """'10.20.10.0/255.255.255.0/0/0' (address/mask/protocol/port) -> ('10.20.10.0/24',)."""
    parts = str(value or "").strip().split("/")
    if len(parts) < 2:
        return ()
    found = cc.selector(
        parts[0],
        parts[1],
        parts[2] if len(parts) > 2 else None,
        parts[3] if len(parts) > 3 else None,
    )
    return (found,) if found else ()


@parser(PLATFORM, "show-vpn-sessiondb-detail-l2l")
def parse_vpn_sessiondb_l2l(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: one per IKE/IKEv1/IKEv2 section of each LAN-to-LAN session: name (the
    Connection, i.e. the tunnel-group), unique_id (Tunnel ID), state ESTABLISHED (the
    session database lists established tunnels only), version, remote_addr (IP Addr),
    ports, nat_t (port 4500 or an IPsecOverNatT section), canonical encryption,
    integrity (Hashing), prf, dh_group, auth_method (Loc Auth Mode or Auth Mode),
    rekey_in_s (Rekey Left(T)), lifetime_s (Rekey Int(T)); under it one child SA per IPsec
    section: name (Tunnel ID), state INSTALLED, mode (Encapsulation), encap, local/remote
    selectors (address/mask/proto/port), canonical encryption/integrity, pfs_group,
    bytes and packets in/out, rekey_in_s, lifetime_s."""
    cc.require(
        text,
        ctx,
        re.compile(
            r"^\s*(?:Session Type:|Connection\s*:|INFO: There are presently no active sessions)",
            re.M,
        ),
        "`show vpn-sessiondb detail l2l`",
    )
    lines = cc.lines_of(text)
    sessions = []
    for record in cc.blocks(PLATFORM, "show-vpn-sessiondb-detail-l2l", text, "sessions"):
        sections = [
            {
                "kind": str(section.get("section") or "").rstrip(":"),
                "line": to_int(section.get("line")) or 0,
                "values": _joined_pairs(str(section.get("keyvalue") or "")),
            }
            for section in cc.items(record, "sections")
        ]
        values = _joined_pairs(f"{record.get('connection') or ''}\n{record.get('keyvalue') or ''}")
        sessions.append({"line": record["line"], "values": values, "sections": sections})
    starts = [session["line"] for session in sessions]
    ike_sas: list[IkeSa] = []
    for session, first, last in zip(sessions, starts, cc.block_ends(starts, lines), strict=True):
        values = session["values"]
        remote = cc.address(values.get("ip addr"))
        ike_sections = [s for s in session["sections"] if s["kind"] in ("IKE", "IKEv1", "IKEv2")]
        child_sections = [s for s in session["sections"] if s["kind"].lower().startswith("ipsec")]
        section_starts = [s["line"] for s in session["sections"]]
        children = tuple(
            _session_child(
                s,
                ctx,
                cc.last_line(
                    lines, s["line"], min([last + 1, *(x for x in section_starts if x > s["line"])])
                ),
            )
            for s in child_sections
        )
        natted = any("NatT" in s["kind"] for s in child_sections)
        sas = []
        for section in ike_sections or [{"kind": "", "line": first, "values": {}}]:
            v = section["values"]
            src, dst = to_int(v.get("udp src port")), to_int(v.get("udp dst port"))
            integrity = algorithms.integrity(v.get("hashing")) if v.get("hashing") else None
            version = (
                2
                if section["kind"] == "IKEv2"
                else 1
                if section["kind"] in ("IKE", "IKEv1")
                else None
            )
            prf = (
                algorithms.prf(v["prf"])
                if v.get("prf")
                else (algorithms.prf(integrity) if version == 1 and integrity else None)
            )
            sas.append(
                IkeSa(
                    name=str(values.get("connection") or "").strip() or None,
                    unique_id=v.get("tunnel id") or None,
                    state="ESTABLISHED",
                    version=version,
                    local_port=src,
                    remote_addr=remote,
                    remote_port=dst,
                    encryption=algorithms.encryption(v["encryption"])
                    if v.get("encryption")
                    else None,
                    integrity=integrity,
                    prf=prf,
                    dh_group=algorithms.dh_group(v["d/h group"]) if v.get("d/h group") else None,
                    auth_method=cc.auth_method(v.get("loc auth mode") or v.get("auth mode")),
                    nat_t=True if natted or 4500 in (src, dst) else False if src and dst else None,
                    lifetime_s=_seconds(v.get("rekey int (t)")),
                    rekey_in_s=_seconds(v.get("rekey left(t)")),
                    source=cc.source(ctx, first, last),
                )
            )
        sas[0] = IkeSa(**{**sas[0].__dict__, "child_sas": children})
        ike_sas += sas
    return Fragment(ike_sas=ike_sas)


def _session_child(section: dict[str, Any], ctx: ParseContext, last: int) -> ChildSa:
    v = section["values"]
    encapsulation = str(v.get("encapsulation") or "").lower()
    return ChildSa(
        name=v.get("tunnel id") or None,
        state="INSTALLED",
        mode=encapsulation if encapsulation in ("tunnel", "transport") else None,
        protocol="ESP",
        encap="NatT" in section["kind"] or "OverTCP" in section["kind"],
        local_ts=_selector(v.get("local addr")),
        remote_ts=_selector(v.get("remote addr")),
        encryption=algorithms.encryption(v["encryption"]) if v.get("encryption") else None,
        integrity=algorithms.integrity(v["hashing"]) if v.get("hashing") else None,
        pfs_group=cc.pfs_group("Y", v.get("pfs group")) if v.get("pfs group") else None,
        bytes_in=to_int(v.get("bytes rx")),
        bytes_out=to_int(v.get("bytes tx")),
        packets_in=to_int(v.get("pkts rx")),
        packets_out=to_int(v.get("pkts tx")),
        rekey_in_s=_seconds(v.get("rekey left(t)")),
        lifetime_s=_seconds(v.get("rekey int (t)")),
        source=cc.source(ctx, section["line"], last),
    )


# --- configuration: show running-config crypto / tunnel-group ---------------------------------


def _asa_encryption(word: str) -> str | None:
    """ASA policy and proposal keywords: 'aes-256', 'aes-gcm-256', 'aes', 'aes-gmac-192',
    '3des', 'des', 'null' -> canonical."""
    return algorithms.encryption(word)


def _asa_integrity(word: str) -> str | None:
    """'sha-512', 'sha512', 'sha', 'md5', 'null' -> canonical (null: none)."""
    return algorithms.integrity(word)


def _groups(text: str) -> tuple[str, ...]:
    """'21 24' or 'group5' -> canonical DH groups."""
    found = []
    for word in text.replace("group", " ").split():
        group = algorithms.dh_group(word)
        if group and group != "none" and group not in found:
            found.append(group)
    return tuple(found)


def _map_entry(words: list[str], entry: dict[str, Any]) -> None:
    """Read one `crypto map MAP SEQ ...` line (after MAP SEQ) into the entry."""
    if words[:2] == ["match", "address"] and len(words) > 2:
        entry["acl"] = words[2]
    elif words[:2] == ["set", "peer"]:
        entry["peers"] = words[2:]
    elif words[:2] == ["set", "pfs"]:
        # `set pfs` alone: the ASA uses group 2 (its command reference's default)
        entry["pfs"] = words[2] if len(words) > 2 else "group2"
    elif words[:3] == ["set", "ikev1", "transform-set"]:
        entry["transform_sets"] = words[3:]
        entry["version"] = entry.get("version") or 1
    elif words[:3] == ["set", "ikev2", "ipsec-proposal"]:
        entry["proposals"] = words[3:]
        entry["version"] = 2
    elif words[:4] == ["set", "security-association", "lifetime", "seconds"] and len(words) > 4:
        entry["lifetime"] = to_int(words[4])
    elif words[:2] == ["set", "nat-t-disable"]:
        entry["nat_t_disable"] = True
    elif "dynamic" in words:
        entry["dynamic"] = words[-1]


@parser(PLATFORM, "show-running-config-crypto")
@parser(PLATFORM, "show-running-config-all-crypto")
@parser(PLATFORM, "show-running-config-ipsec")
def parse_running_config_crypto(text: str, ctx: ParseContext) -> Fragment:
    """connections, one per crypto map entry, named after its single peer (so the
    tunnel-group of that peer merges in) or "crypto map MAP SEQ": version (IKEv2 when the
    entry sets ipsec-proposals, else 1), remote_addrs (set peer), IKE proposals of that
    version (every `crypto ikev1|ikev2 policy`: encryption, integrity/hash, prf (IKEv1:
    from the hash), DH groups), life_time_s, and one child named "MAP SEQ" with the
    proposals of its transform sets or IPsec proposals (canonical encryption x integrity,
    PFS group from `set pfs`) and life_time_s. The interface a map is bound to goes to a note."""
    cc.require(text, ctx, re.compile(r"^\s*crypto\s", re.M), "`show running-config crypto`")
    lines = cc.lines_of(text)
    rows = cc.line_records(PLATFORM, "show-running-config-crypto", text)
    transform_sets: dict[str, Proposal] = {}
    ipsec_proposals: dict[str, dict[str, list[str]]] = {}
    policies: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    notes: list[str] = []
    block: dict[str, Any] | None = None
    for row in rows:
        line = to_int(row.get("line")) or 0
        if row.get("ts_name"):
            encryption, integrity = cc.transform_algorithms(str(row.get("ts_transforms") or ""))
            if encryption:
                transform_sets[str(row["ts_name"])] = Proposal(
                    encryption=(encryption,), integrity=(integrity,) if integrity else ()
                )
            block = None
        elif row.get("proposal_name"):
            block = ipsec_proposals.setdefault(
                str(row["proposal_name"]), {"encryption": [], "integrity": []}
            )
        elif (
            block is not None
            and "priority" not in block
            and (row.get("esp_encryption") or row.get("esp_integrity"))
        ):
            # `protocol esp encryption|integrity` of the IPsec proposal above
            for kind in ("encryption", "integrity"):
                block[kind] += str(row.get(f"esp_{kind}") or "").split()
        elif row.get("policy_version"):
            block = {"priority": to_int(row.get("policy_priority")), "line": line}
            policies[int(str(row["policy_version"])[-1])].append(block)
        elif (
            block is not None and "priority" in block and any(str(k).startswith("p_") for k in row)
        ):
            block.update({k: v for k, v in row.items() if str(k).startswith("p_")})
        elif row.get("map_interface"):
            notes.append(f"crypto map {row['map']} is applied to interface {row['map_interface']}")
            block = None
        elif row.get("map"):
            key = (str(row["map"]), str(row["seq"]))
            entry = entries.setdefault(key, {"line": line, "last": line})
            entry["last"] = line
            _map_entry(str(row.get("map_rest") or "").split(), entry)
            block = None
        elif row.get("other"):
            block = None
    ike_proposals = {
        version: tuple(_policy_proposal(p, version) for p in found)
        for version, found in policies.items()
    }
    connections = []
    for (name, seq), entry in entries.items():
        version = entry.get("version") or 1
        child_proposals: list[Proposal] = []
        group = cc.pfs_group("Y", entry["pfs"]) if entry.get("pfs") else None
        dh = (group,) if group else ()
        for ts in entry.get("transform_sets", []):
            if ts in transform_sets:
                child_proposals.append(Proposal(**{**transform_sets[ts].__dict__, "dh_groups": dh}))
        for proposal_name in entry.get("proposals", []):
            found = ipsec_proposals.get(proposal_name)
            if found:
                child_proposals.append(
                    Proposal(
                        encryption=tuple(
                            e for e in (_asa_encryption(w) for w in found["encryption"]) if e
                        ),
                        integrity=tuple(
                            i for i in (_asa_integrity(w) for w in found["integrity"]) if i
                        ),
                        dh_groups=dh,
                    )
                )
        peers = [cc.address(p) or p for p in entry.get("peers", [])]
        where = cc.source(ctx, entry["line"], entry["last"])
        connections.append(
            Connection(
                name=peers[0] if len(peers) == 1 else f"crypto map {name} {seq}",
                version=version,
                remote_addrs=tuple(peers),
                proposals=ike_proposals[version],
                encap=False if entry.get("nat_t_disable") else None,
                children=(
                    ChildConfig(
                        name=f"{name} {seq}",
                        proposals=tuple(child_proposals),
                        life_time_s=entry.get("lifetime"),
                        source=where,
                    ),
                ),
                source=where,
            )
        )
    if not connections:
        # policies without any map entry (`show running-config crypto ikev2`...): the
        # proposals still tell what this box accepts
        for version, proposals in ike_proposals.items():
            for policy, proposal in zip(policies[version], proposals, strict=True):
                first = policy["line"]
                connections.append(
                    Connection(
                        name=f"IKEv{version} policy {policy['priority']}",
                        version=version,
                        proposals=(proposal,),
                        shared="ike-proposal",
                        source=cc.source(ctx, first, cc.last_line(lines, first, first + 8)),
                    )
                )
        for ts_name, proposal in transform_sets.items():
            notes.append(
                f"IKEv1 transform set {ts_name}: encryption {', '.join(proposal.encryption)}; "
                f"integrity {', '.join(proposal.integrity) or '-'}"
            )
        for proposal_name, words in ipsec_proposals.items():
            ciphers = [e for e in (_asa_encryption(w) for w in words["encryption"]) if e]
            hashes = [i for i in (_asa_integrity(w) for w in words["integrity"]) if i]
            notes.append(
                f"IKEv2 IPsec proposal {proposal_name}: encryption {', '.join(ciphers) or '-'}; "
                f"integrity {', '.join(hashes) or '-'}"
            )
    return Fragment(
        connections=connections, notes=notes, understood=bool(notes) and not connections
    )


def _policy_proposal(policy: dict[str, Any], version: int) -> Proposal:
    encryption = tuple(
        e for e in (_asa_encryption(w) for w in str(policy.get("p_encryption") or "").split()) if e
    )
    hashes = str(policy.get("p_integrity") or policy.get("p_hash") or "").split()
    integrity = tuple(i for i in (_asa_integrity(w) for w in hashes) if i)
    prf_words = str(policy.get("p_prf") or "").split()
    if version == 1 or not prf_words:
        # IKEv1 derives its PRF from the hash; an IKEv2 policy without `prf` uses its integrity
        prf = tuple(p for p in (algorithms.prf(i) for i in integrity) if p)
    else:
        prf = tuple(p for p in (algorithms.prf(w) for w in prf_words) if p)
    if version == 1 and not encryption:
        encryption = ("3des",)  # the ASA's IKEv1 policy default when `encryption` is not shown
    return Proposal(
        encryption=encryption,
        integrity=integrity,
        prf=prf,
        dh_groups=_groups(str(policy.get("p_group") or "")),
    )


@parser(PLATFORM, "show-running-config-tunnel-group")
def parse_running_config_tunnel_group(text: str, ctx: ParseContext) -> Fragment:
    """connections, one per LAN-to-LAN (ipsec-l2l) tunnel-group, named as the group (for
    L2L the peer's address, which is also how a crypto map entry to that peer is named):
    remote_addrs (the name when it is an address), version (2 when IKEv2 authentication is
    set, 1 for an IKEv1 key or trust point), local_auth/remote_auth (pre-shared-key -> psk,
    certificate -> pubkey). Keys are printed masked (*****), so psk_fingerprint stays
    unknown. Remote-access groups are skipped (noted)."""
    cc.require(
        text, ctx, re.compile(r"^\s*tunnel-group\s", re.M), "`show running-config tunnel-group`"
    )
    lines = cc.lines_of(text)
    rows = cc.line_records(PLATFORM, "show-running-config-tunnel-group", text)
    groups: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for row in rows:
        line = to_int(row.get("line")) or 0
        if row.get("group"):
            current = groups.setdefault(str(row["group"]), {"line": line, "last": line})
            current["last"] = line
            if row.get("group_type"):
                current["type"] = str(row["group_type"])
            continue
        if current is None:
            continue
        current["last"] = line
        if row.get("ikev1_psk") is not None:
            current["ikev1"] = "psk"
        elif row.get("ikev1_trustpoint"):
            current["ikev1"] = "pubkey"
        elif row.get("side"):
            method = str(row.get("method") or "").split()
            kind = method[0] if method else ""
            auth = (
                "psk"
                if kind == "pre-shared-key"
                else "pubkey"
                if kind == "certificate"
                else "eap"
                if kind == "eap"
                else None
            )
            current[f"ikev2_{row['side']}"] = current.get(f"ikev2_{row['side']}") or auth
    connections, notes = [], []
    for name, group in groups.items():
        kind = group.get("type", "ipsec-l2l")
        if kind != "ipsec-l2l":
            notes.append(f"tunnel-group {name}: type {kind}, not a LAN-to-LAN tunnel (skipped)")
            continue
        ikev2 = group.get("ikev2_local") or group.get("ikev2_remote")
        address = cc.prefix(name, None)
        connections.append(
            Connection(
                name=cc.address(name) or name,
                version=2 if ikev2 else 1 if group.get("ikev1") else None,
                remote_addrs=(cc.address(name) or name,) if address else (),
                local_auth=group.get("ikev2_local") if ikev2 else group.get("ikev1"),
                remote_auth=group.get("ikev2_remote") if ikev2 else group.get("ikev1"),
                source=cc.source(
                    ctx, group["line"], cc.last_line(lines, group["line"], group["last"] + 1)
                ),
            )
        )
    return Fragment(connections=connections, notes=notes)


# --- routes, log, clock, version -------------------------------------------------------------


@parser(PLATFORM, "show-route")
def parse_route(text: str, ctx: ParseContext) -> Fragment:
    """routes: destination (address and mask -> CIDR; 0.0.0.0/0 -> default), device (the
    interface name, "nameif"), gateway, kind (local for L, else unicast; VPN routes (V,
    reverse route injection) are routes like the others); addresses: each local (L)
    address with the prefix length of its connected (C) network."""
    cc.require(
        text,
        ctx,
        re.compile(
            r"^\s*(?:Codes:|Gateway of last resort"
            r"|[A-Za-z+][A-Za-z*+ ]{0,4}\s+\d+\.\d+\.\d+\.\d+\s+\d+\.)",
            re.M,
        ),
        "`show route`",
    )
    routes: list[Route] = []
    codes: dict[str, str] = {}
    pending: dict[str, Any] | None = None

    def add(entry: dict[str, Any], rest: str) -> None:
        network = cc.prefix(str(entry["destination"]), str(entry["mask"]))
        if network is None:
            return
        device, gateway, tail = cc.next_hop(rest)
        if gateway and len(tail) > 1 and re.match(r"^[A-Za-z][\w./-]*$", tail[-1]):
            device = tail[-1]
        code = str(entry["code"]).split()[0]
        route = Route(
            destination="default" if network == "0.0.0.0/0" else network,
            device=device,
            gateway=gateway,
            kind=cc.route_kind(code),
        )
        routes.append(route)
        codes.setdefault(route.destination, code.rstrip("*"))

    for row in cc.line_records(PLATFORM, "show-route", text):
        if row.get("code"):
            if pending is not None:
                add(pending, "")
                pending = None
            rest = str(row.get("rest") or "").strip()
            if rest:
                add(row, rest)
            else:
                pending = dict(row)
        elif row.get("continuation") and pending is not None:
            add(pending, str(row["continuation"]))
            pending = None
    if pending is not None:
        add(pending, "")
    return Fragment(routes=routes, addresses=cc.addresses_from_routes(routes, codes))


@parser(PLATFORM, "show-logging")
def parse_logging(text: str, ctx: ParseContext) -> Fragment:
    """log: one LogEvent per syslog line (see cisco_common.log_events_of): time as printed
    when timestamps are on, level (severity), subsystem (ASA), the message from its
    %ASA-n-ID code on, cause tokens (750003 "Failed to authenticate the IKE SA" ->
    psk_mismatch, "There was no IPSEC policy found for received TS" -> ts_mismatch, 713902
    "All IPSec SA proposals found unacceptable" -> child_proposal_mismatch...) and the
    direction of notifies. The logging settings header is counted in a note."""
    events, other = cc.log_events_of(PLATFORM, "show-logging", text)
    notes = (
        [f"{ctx.file}: {other} line(s) are not syslog messages (logging settings)"] if other else []
    )
    return Fragment(log=events, notes=notes)


@parser(PLATFORM, "show-clock")
def parse_clock(text: str, ctx: ParseContext) -> Fragment:
    """notes only: the device clock as printed."""
    for row in cc.line_records(PLATFORM, "show-clock", text):
        mark = str(row.get("mark") or "")
        state = {"*": " (not synchronised)", ".": " (synchronisation lost)"}.get(mark, "")
        return Fragment(
            notes=[f"device clock: {row['time']} {row['zone']} {_text(row.get('date'))}{state}"],
            understood=True,
        )
    raise ParseError(f"`{ctx.command}`: no clock line")


@parser(PLATFORM, "show-version")
def parse_version(text: str, ctx: ParseContext) -> Fragment:
    """software: 'Cisco Adaptive Security Appliance Software 9.4(4)5'; the uptime in a note."""
    software = None
    notes: list[str] = []
    for row in cc.line_records(PLATFORM, "show-version", text):
        if row.get("version") and software is None:
            software = f"Cisco Adaptive Security Appliance Software {row['version']}"
        elif row.get("uptime") and not notes:
            notes.append(f"{row.get('hostname')} up {str(row['uptime']).strip()}")
    if software is None:
        raise ParseError(
            f"`{ctx.command}`: no 'Cisco Adaptive Security Appliance Software Version' line"
        )
    return Fragment(software=software, notes=notes)


@parser(PLATFORM, "show-vpn-sessiondb")
def parse_vpn_sessiondb_summary(text: str, ctx: ParseContext) -> Fragment:
    """notes only: the LAN-to-LAN lines of the session summary ("Site-to-Site VPN: 29
    active, 59 cumulative" and the protocol rows under it) and the totals."""
    cc.require(text, ctx, re.compile(r"^\s*VPN Session Summary", re.M), "`show vpn-sessiondb`")
    notes = []
    in_l2l = False
    for row in cc.line_records(PLATFORM, "show-vpn-sessiondb", text):
        name = str(row.get("name") or "").strip()
        top_level = name in (
            "AnyConnect Client",
            "Clientless VPN",
            "Site-to-Site VPN",
            "Email Proxy",
            "Cut-Through-Proxy",
            "VPN Load Balancing",
            "Totals",
        )
        if top_level:
            in_l2l = name == "Site-to-Site VPN"
        if in_l2l or name == "Totals":
            active, cumulative = row.get("active"), row.get("cumulative")
            notes.append(f"VPN sessions {name}: {active} active, {cumulative} cumulative")
    if not notes:
        notes.append("VPN sessions: no Site-to-Site VPN line (no LAN-to-LAN session)")
    return Fragment(notes=notes, understood=True)
