"""Cisco IOS and IOS-XE parsers: IKEv2 and ISAKMP SAs, IPsec SAs, crypto sessions, the
IKEv2/ISAKMP/IPsec configuration as `show` prints it, certificates, interfaces, routes, the
log, the clock and the version.

Each parser runs its template (templates/cisco_ios/<key>.ttp) on the output with its lines
numbered and dedented (cisco_common.numbered_dedented) and turns the records into model
objects with canonical algorithm names. Cisco prints one tunnel's facts in several commands;
`cisco_common.join_peer_model` joins them once a peer's outputs are all parsed.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import (
    ChildConfig,
    ChildSa,
    Connection,
    IkeSa,
    Proposal,
    Route,
    SourceRef,
)
from ipsec_tui.parsers import cisco_common as cc
from ipsec_tui.parsers.base import Fragment, ParseContext, ParseError, group_items, parser, to_int

PLATFORM = "cisco_ios"


# --- show crypto ipsec sa -------------------------------------------------------------------

_IPSEC_SA_MARKERS = re.compile(
    r"^\s*(?:interface:|local\s+ident \(addr/mask/prot/port\)|No SAs found|"
    r"IPsec SA not found|There are no ipsec sas)",
    re.MULTILINE | re.IGNORECASE,
)


@parser(PLATFORM, "show-crypto-ipsec-sa-detail")
@parser(PLATFORM, "show-crypto-ipsec-sa")
def parse_ipsec_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: one holder per local/remote crypto endpoint (no version, no state: the IKE
    SA is another command's) with its child_sas, one per protected flow and SPI pair:
    interface, local/remote selectors (CIDR[proto/port]), in/out SPI (8 hex digits),
    canonical encryption/integrity from the transform, mode from the in-use settings,
    encap (UDP-Encaps or port 4500), pfs_group, packets in/out (#pkts decaps/encaps),
    errors in/out (verify/decrypt/replay/invalid-SA failures), remaining lifetime_s,
    state INSTALLED (ACTIVE) or REKEYED for an older pair. Empty listings are empty."""
    cc.require(text, ctx, _IPSEC_SA_MARKERS, "`show crypto ipsec sa`")
    return cc.ipsec_sa_fragment(PLATFORM, "show-crypto-ipsec-sa-detail", text, ctx)


# --- show crypto ikev2 sa -------------------------------------------------------------------

_IKEV2_MARKERS = re.compile(
    r"^\s*(?:Tunnel-id\s|IPv[46] Crypto IKEv2 +SA|There are no IKEv2 SAs)",
    re.MULTILINE | re.IGNORECASE,
)


@parser(PLATFORM, "show-crypto-ikev2-sa-detailed")
@parser(PLATFORM, "show-crypto-ikev2-sa")
def parse_ikev2_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas (version 2): unique_id (Tunnel-id), state (READY -> ESTABLISHED, IN-NEG ->
    CONNECTING, DELETE -> DELETING; the states as printed in a note), local/remote address
    and port (IPv4 and IPv6 layouts), vrf ("fvrf/ivrf" unless both none), canonical
    encryption (with keysize), integrity (Hash), prf, dh_group, auth_method (Auth sign),
    lifetime_s and established_s (Life/Active Time), IKE SPIs as spi_i/spi_r (by
    "Initiator of SA"), local/remote id, nat_t, initiator."""
    cc.require(text, ctx, _IKEV2_MARKERS, "`show crypto ikev2 sa`")
    return cc.ikev2_fragment(PLATFORM, "show-crypto-ikev2-sa-detailed", text, ctx)


# --- show crypto isakmp sa [detail] ---------------------------------------------------------

_ISAKMP_MARKERS = re.compile(
    r"^\s*(?:IPv[46] Crypto ISAKMP SA|dst\s+src\s+state|C-id\s+Local)", re.MULTILINE
)
# a detail row after its C-id: Local, Remote, [I-VRF], Status, Encr, Hash, Auth, DH, Lifetime,
# [Cap.]; the I-VRF and Cap. columns are empty for most SAs
_ISAKMP_DETAIL = re.compile(
    r"^(?P<local>\S+)\s+(?P<remote>\S+)\s+(?:(?P<ivrf>\S+)\s+)??"
    r"(?P<status>ACTIVE(?: \(deleted\))?|INACTIVE|[A-Z-]+)\s+(?P<encr>\S+)\s+(?P<hash>\S+)\s+"
    r"(?P<auth>\S+)\s+(?P<dh>\d+)\s+(?P<life>\d+:\d+:\d+)(?:\s+(?P<cap>\S+))?\s*$"
)


# a line of an SA the template did not read: a table row (two addresses and a main,
# aggressive or quick mode state) or a line of the IPv6 layout
_ISAKMP_ROW = re.compile(
    r"^\s*(?:\S+\s+\S+\s+[A-Z]{2}_[A-Z0-9_]+\s|(?:dst|src):\s*\S+\s*$|state:\s+[A-Z]{2}_)"
)


def _isakmp_brief(
    row: dict[str, Any], dst: Any, src: Any, first: int, last: int, ctx: ParseContext
) -> IkeSa:
    """One brief ISAKMP SA (either layout): its ends by role, state from state + status."""
    status = str(row.get("status") or "")
    raw = str(row.get("state") or "")
    return IkeSa(
        unique_id=str(row.get("conn_id")),
        state="DELETING" if "deleted" in status else cc.ikev1_state(raw),
        version=1,
        initiator_addr=cc.address(src),
        responder_addr=cc.address(dst),
        source=cc.source(ctx, first, last),
    )


@parser(PLATFORM, "show-crypto-isakmp-sa")
@parser(PLATFORM, "show-crypto-isakmp-sa-detail")
def parse_isakmp_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas (version 1). Detail rows: unique_id (C-id), local/remote address, vrf
    (I-VRF), canonical encryption, integrity (and the PRF IKEv1 derives from it), auth
    method, dh_group, lifetime_s (remaining), nat_t (N capability); their state is left
    unknown (detail prints ACTIVE for SAs still in main mode too). Brief rows (the IPv4
    table with or without the slot column, and the IPv6 layout of `dst:`/`src:`/`state:`
    lines): unique_id (conn-id), state (QM_IDLE -> ESTABLISHED, MM_*/AG_* -> CONNECTING,
    "(deleted)" -> DELETING) and both ends as initiator_addr (src) and responder_addr (dst):
    which end is this device's is not printed, so `join_peer_model` sets local/remote from
    the device's own addresses and gives the state to the detail row of the same conn-id.
    Both layouts are read whichever command printed them; a row or an IPv6 SA's line the
    grammar cannot place is left unplaced."""
    cc.require(text, ctx, _ISAKMP_MARKERS, "`show crypto isakmp sa`")
    lines = cc.lines_of(text)
    results = cc.records(PLATFORM, "show-crypto-isakmp-sa", text)
    rows = [r for r in group_items(results, "lines") if to_int(r.get("line"))]
    rows.sort(key=lambda record: to_int(record.get("line")) or 0)
    starts = [to_int(row.get("line")) or 0 for row in rows if row.get("cid") or row.get("dst")]
    titles = [to_int(row.get("line")) or 0 for row in rows if row.get("title")]
    ends = cc.block_ends(starts, lines)
    fragment = Fragment()
    placed = {to_int(row.get("line")) or 0 for row in rows}
    printed: dict[int, str] = {}  # a brief SA's state and status as printed
    # the IPv6 layout: one template item per SA, its three lines in l_* variables
    for item in group_items(results, "ipv6"):
        first = to_int(item.get("line")) or 0
        numbers = [to_int(item.get(key)) for key in ("line", "l_src", "l_state")]
        placed.update(n for n in numbers if n)
        if not (item.get("src") and item.get("state")):
            for number in sorted(n for n in numbers if n):
                fragment.leave_unplaced(
                    number, lines[number - 1].strip(), "IPv6 ISAKMP SA without its src/state line"
                )
            continue
        sa = _isakmp_brief(item, item["dst"], item["src"], first, max(n or 0 for n in numbers), ctx)
        fragment.ike_sas.append(sa)
        printed[id(sa)] = f"{item['state']} {item.get('status') or ''}".strip()
    index = 0
    for row in rows:
        if not (row.get("cid") or row.get("dst")):
            continue
        first = starts[index]
        after = bisect.bisect_right(titles, first)  # a section title ends the SA above it
        last = min(ends[index], titles[after] - 1) if after < len(titles) else ends[index]
        index += 1
        if row.get("dst"):
            status = str(row.get("status") or "")
            fragment.ike_sas.append(
                _isakmp_brief(row, row["dst"], row.get("src"), first, last, ctx)
            )
            printed[id(fragment.ike_sas[-1])] = f"{row.get('state')} {status}".strip()
            continue
        detail = _ISAKMP_DETAIL.match(str(row.get("row") or "").strip())
        if detail is None:
            fragment.leave_unplaced(
                first, lines[first - 1].strip(), "ISAKMP SA detail row in an unknown layout"
            )
            continue
        integrity = algorithms.integrity(detail["hash"])
        cap = detail["cap"] or ""
        fragment.ike_sas.append(
            IkeSa(
                unique_id=str(row["cid"]),
                version=1,
                local_addr=cc.address(detail["local"]),
                remote_addr=cc.address(detail["remote"]),
                # a bare 'aes' does not say its key size (IOS prints the same word for
                # every AES policy): unknown rather than a guess
                encryption=None
                if detail["encr"].lower() == "aes"
                else algorithms.encryption(detail["encr"]),
                integrity=integrity,
                prf=algorithms.prf(integrity) if integrity else None,
                dh_group=algorithms.dh_group(detail["dh"]),
                auth_method=cc.auth_method(detail["auth"]),
                nat_t=("N" in cap) if cap else None,
                lifetime_s=cc.seconds_of(detail["life"]),
                vrf=detail["ivrf"],
                source=cc.source(ctx, first, last),
            )
        )
        if detail["status"] != "ACTIVE":
            fragment.notes.append(f"ISAKMP SA {row['cid']}: status {detail['status']}")
    for number, text_line in enumerate(lines, start=1):
        if number not in placed and _ISAKMP_ROW.match(text_line):
            fragment.leave_unplaced(number, text_line.strip(), "ISAKMP SA row in an unknown layout")
    # in output order: the IPv6 layout's SAs were read apart from the table rows
    fragment.ike_sas.sort(key=lambda sa: sa.source.line_start if sa.source else 0)
    states = [(printed[id(sa)], sa.state) for sa in fragment.ike_sas if id(sa) in printed]
    note = cc.state_note("ISAKMP", states)
    if note:
        fragment.notes.insert(0, note)
    return fragment


# --- show crypto session [detail] -----------------------------------------------------------

_SESSION_MARKERS = re.compile(r"^\s*(?:Interface:|Crypto session current status)", re.MULTILINE)
_SESSION_STATES = {"Active": "ESTABLISHED", "Inactive": "INACTIVE"}


def _session_life(value: Any) -> int | None:
    """'4605665/2949' or 'KB Vol Rekey Disabled/3060' -> 2949 (seconds left); '0/0' -> None."""
    seconds = str(value or "").rpartition("/")[2].strip()
    number = to_int(seconds)
    return number if number else None


@parser(PLATFORM, "show-crypto-session-detail")
@parser(PLATFORM, "show-crypto-session")
def parse_crypto_session(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: one per "IKE/IKEv1/IKEv2 SA" line of each session: version, state (Active
    -> ESTABLISHED; Inactive -> CONNECTING while the session is DOWN-NEGOTIATING, else
    INACTIVE), local/remote address and port, name (Profile), remote_id (Phase1_id),
    unique_id (connid), lifetime_s (remaining), nat_t (N capability), vrf (fvrf/ivrf);
    under the session's first active SA (or its first SA) one child SA per IPSEC FLOW:
    interface, local/remote selectors, state INSTALLED when it has active SAs, packets
    in/out (dec'ed/enc'ed), errors in/out (drops), lifetime_s. Session statuses are kept
    in a note; a session without IKE SA (UP-NO-IKE) gives its flows an IkeSa holder."""
    cc.require(text, ctx, _SESSION_MARKERS, "`show crypto session`")
    lines = cc.lines_of(text)
    sessions = group_items(cc.records(PLATFORM, "show-crypto-session-detail", text), "sessions")
    starts = [to_int(session.get("line")) or 0 for session in sessions]
    ends = cc.block_ends(starts, lines)
    ike_sas: list[IkeSa] = []
    statuses: list[str] = []
    for fields, first, last in zip(sessions, starts, ends, strict=True):
        status = str(fields.get("session_status") or "")
        statuses.append(f"{fields.get('interface')} {status}".strip())
        peer_rest = str(fields.get("peer_rest") or "")
        vrfs = re.findall(r"[fi]vrf: (\S+)", peer_rest)
        vrfs = ["none" if v == "(none)" else v for v in vrfs]
        vrf = None if all(v == "none" for v in vrfs) else "/".join(vrfs)
        phase1 = str(fields.get("phase1_id") or "").strip()
        flows = cc.items(fields, "flows")
        children = tuple(_session_flow(flow, fields, ctx, last) for flow in flows)
        sas: list[IkeSa] = []
        for sa in cc.items(fields, "sas"):
            raw = str(sa.get("sa_state") or "")
            state = _SESSION_STATES.get(raw, raw.upper() or None)
            if state == "INACTIVE" and "NEGOTIATING" in status.upper():
                state = "CONNECTING"
            version = 2 if "IKEv2" in str(sa.get("ike")) else 1
            caps = str(sa.get("caps") or "")
            connid = str(sa.get("connid") or "")
            sas.append(
                IkeSa(
                    name=str(fields["profile"]).strip() if fields.get("profile") else None,
                    unique_id=connid if connid not in ("", "0") else None,
                    state=state,
                    version=version,
                    local_addr=cc.address(sa.get("local")),
                    local_port=to_int(sa.get("local_port")),
                    remote_addr=cc.address(sa.get("remote")),
                    remote_port=to_int(sa.get("remote_port")),
                    remote_id=phase1 if phase1 and phase1 != "(none)" else None,
                    nat_t=("N" in caps) if caps and caps != "(none)" else None,
                    lifetime_s=cc.seconds_of(str(sa.get("lifetime") or "")) or None,
                    vrf=vrf,
                    source=cc.source(ctx, first, last),
                )
            )
        if sas:
            target = next((i for i, sa in enumerate(sas) if sa.state == "ESTABLISHED"), 0)
            sas[target] = IkeSa(**{**sas[target].__dict__, "child_sas": children})
        elif children:
            sas.append(
                IkeSa(
                    remote_addr=cc.address(fields.get("peer")),
                    remote_port=to_int(fields.get("peer_port")),
                    child_sas=children,
                    source=cc.source(ctx, first, last),
                )
            )
        ike_sas += sas
    notes = [f"crypto sessions: {', '.join(statuses)}"] if statuses else []
    return Fragment(ike_sas=ike_sas, notes=notes)


def _session_flow(
    flow: dict[str, Any], session: dict[str, Any], ctx: ParseContext, last: int
) -> ChildSa:
    local, remote = cc.flow_selectors(str(flow.get("flow") or ""))
    active = to_int(flow.get("active_sas"))
    lifetimes = [
        v for v in (_session_life(flow.get("life_in")), _session_life(flow.get("life_out"))) if v
    ]
    first = to_int(flow.get("line")) or 0
    return ChildSa(
        state="INSTALLED" if active else None,
        local_ts=(local,) if local else (),
        remote_ts=(remote,) if remote else (),
        packets_in=to_int(flow.get("pkts_in")),
        packets_out=to_int(flow.get("pkts_out")),
        errors_in=to_int(flow.get("drop_in")),
        errors_out=to_int(flow.get("drop_out")),
        lifetime_s=min(lifetimes) if lifetimes else None,
        interface=str(session["interface"]) if session.get("interface") else None,
        source=cc.source(ctx, first, last),
    )


# --- configuration: IKEv2 proposals, policies, profiles; ISAKMP policies ------------------
#
# IOS applies its IKE proposals to every tunnel of a version, so they become connections
# named "IKEv2 proposal NAME" / "ISAKMP policy N" holding only proposals and marked shared
# "ike-proposal" (IKEv2 policies "ike-policy", IKEv2 profiles "ike-profile"), which
# cisco_common.join_connections hands to the tunnels that use them and then drops.


def _words(value: Any) -> list[str]:
    return [word for word in str(value or "").split() if word]


@parser(PLATFORM, "show-crypto-ikev2-proposal")
def parse_ikev2_proposal(text: str, ctx: ParseContext) -> Fragment:
    """connections "IKEv2 proposal NAME" (version 2, shared "ike-proposal") with one
    Proposal: canonical encryption ('AES-CBC-256', 'AES-GCM-128'), integrity, prf and DH
    groups ('.../Group 19')."""
    cc.require(
        text, ctx, re.compile(r"^\s*IKEv2 proposal\s*:", re.M), "`show crypto ikev2 proposal`"
    )
    lines = cc.lines_of(text)
    blocks = cc.blocks(PLATFORM, "show-crypto-ikev2-proposal", text)
    starts = [to_int(block["line"]) or 0 for block in blocks]
    connections = []
    for block, first, last in zip(blocks, starts, cc.block_ends(starts, lines), strict=True):
        proposal = Proposal(
            encryption=tuple(
                e for e in (algorithms.encryption(w) for w in _words(block.get("encryption"))) if e
            ),
            integrity=tuple(
                i for i in (algorithms.integrity(w) for w in _words(block.get("integrity"))) if i
            ),
            prf=tuple(p for p in (algorithms.prf(w) for w in _words(block.get("prf"))) if p),
            dh_groups=tuple(
                g
                for g in (
                    algorithms.dh_group(int(n))
                    for n in re.findall(r"Group (\d+)", str(block.get("dh") or ""))
                )
                if g
            ),
        )
        connections.append(
            Connection(
                name=cc.ikev2_proposal_name(str(block["proposal"])),
                version=2,
                proposals=(proposal,),
                shared="ike-proposal",
                source=cc.source(ctx, first, last),
            )
        )
    return Fragment(connections=connections)


@parser(PLATFORM, "show-crypto-ikev2-policy")
def parse_ikev2_policy(text: str, ctx: ParseContext) -> Fragment:
    """connections "IKEv2 policy NAME" (version 2, shared "ike-policy", local_addrs from
    "Match address local" unless any) naming the proposals it uses in `uses`
    (join_connections offers only those when it knows them), and the same in a note."""
    cc.require(text, ctx, re.compile(r"^\s*IKEv2 policy\s*:", re.M), "`show crypto ikev2 policy`")
    lines = cc.lines_of(text)
    blocks = cc.blocks(PLATFORM, "show-crypto-ikev2-policy", text)
    for block in blocks:
        block["proposals"] = [
            w for line in cc.joined_lines(block.get("proposal")) for w in line.split()
        ]
    starts = [to_int(block["line"]) or 0 for block in blocks]
    connections, notes = [], []
    for block, first, last in zip(blocks, starts, cc.block_ends(starts, lines), strict=True):
        local = str(block.get("local") or "").strip()
        connections.append(
            Connection(
                name=f"IKEv2 policy {block['policy']}",
                version=2,
                local_addrs=tuple(w for w in _words(local) if w != "any"),
                shared="ike-policy",
                uses=tuple(cc.ikev2_proposal_name(p) for p in block["proposals"]),
                source=cc.source(ctx, first, last),
            )
        )
        if block["proposals"]:
            notes.append(
                f"IKEv2 policy {block['policy']} uses proposals {', '.join(block['proposals'])}"
            )
    return Fragment(connections=connections, notes=notes)


_IDENTITY = re.compile(r"^(?P<kind>address|ipv6|fqdn|email|key-id|dn|any)\b\s*(?P<value>.*)$")


def _identity(value: Any) -> str | None:
    """'address 10.0.0.1', 'fqdn router.example.com', 'email a@b' -> the identity; none -> None."""
    text = str(value or "").strip()
    if not text or text.lower() == "none":
        return None
    match = _IDENTITY.match(text)
    if match and match["value"]:
        words = match["value"].split()
        if match["kind"] == "fqdn" and words[0] == "domain":
            return f"*.{words[-1]}" if len(words) > 1 else None
        return words[-1] if match["kind"] == "fqdn" else words[0]
    return text


@parser(PLATFORM, "show-crypto-ikev2-profile")
def parse_ikev2_profile(text: str, ctx: ParseContext) -> Fragment:
    """connections "IKEv2 profile NAME" (version 2, shared "ike-profile"): remote_addrs from
    the match identities ('address 110.0.1.2 255.255.255.255'; other identities named in
    the remote_id), local_addrs (match local address), local_id/remote_id (local and remote
    identity),
    local_auth/remote_auth (pre-share -> psk, rsa-sig/ecdsa-sig -> pubkey, eap),
    life_time_s (Lifetime). join_connections gives it to the IPsec profiles and crypto
    maps that name it."""
    cc.require(text, ctx, re.compile(r"^\s*IKEv2 profile\s*:", re.M), "`show crypto ikev2 profile`")
    lines = cc.lines_of(text)
    blocks = cc.blocks(PLATFORM, "show-crypto-ikev2-profile", text)
    for block in blocks:
        block["identities"] = cc.joined_lines(block.get("identity"))
    starts = [to_int(block["line"]) or 0 for block in blocks]
    connections = []
    for block, first, last in zip(blocks, starts, cc.block_ends(starts, lines), strict=True):
        remote_addrs, remote_ids = [], []
        for identity in block["identities"]:
            words = identity.split()
            if words[0] in ("address", "ipv6") and len(words) > 1:
                remote_addrs.append(
                    cc.prefix(words[1], words[2] if len(words) > 2 else None) or words[1]
                )
            elif words[0] != "any":
                remote_ids.append(_identity(identity) or identity)
        remote_addrs = [a.removesuffix("/32").removesuffix("/128") for a in remote_addrs]
        local = str(block.get("local_address") or "").strip()
        remote_auth = [
            cc.auth_method(w) for w in re.split(r"[,\s]+", str(block.get("remote_auth") or ""))
        ]
        connections.append(
            Connection(
                name=cc.ikev2_profile_name(str(block["profile"])),
                version=2,
                shared="ike-profile",
                local_addrs=(local,) if local and local != "none" else (),
                remote_addrs=tuple(remote_addrs),
                local_id=_identity(block.get("local_identity")),
                remote_id=_identity(block.get("remote_identity"))
                or (remote_ids[0] if remote_ids else None),
                local_auth=cc.auth_method(block.get("local_auth")),
                remote_auth=next((a for a in remote_auth if a), None),
                life_time_s=to_int(block.get("lifetime")),
                source=cc.source(ctx, first, last),
            )
        )
    return Fragment(connections=connections)


def _isakmp_encryption(text: str) -> str | None:
    """'AES - Advanced Encryption Standard (256 bit keys).', 'Three key triple DES',
    'DES - Data Encryption Standard (56 bit keys).' -> aes256, 3des, des."""
    lowered = text.lower()
    if lowered.startswith("aes"):
        bits = re.search(r"\((\d+) bit", lowered)
        return algorithms.encryption("aes", int(bits.group(1)) if bits else None)
    if "triple des" in lowered or lowered.startswith("3des"):
        return "3des"
    if lowered.startswith("des"):
        return "des"
    return algorithms.encryption(text.split()[0]) if text.split() else None


def _isakmp_hash(text: str) -> str | None:
    """'Secure Hash Standard' -> sha1, 'Secure Hash Standard 2 (256 bit)' -> sha256,
    'Message Digest 5' -> md5."""
    lowered = text.lower()
    if "message digest 5" in lowered or lowered.startswith("md5"):
        return "md5"
    if "secure hash standard" in lowered:
        bits = re.search(r"\((\d+) bit", lowered)
        return algorithms.integrity(f"sha{bits.group(1)}") if bits else "sha1"
    return algorithms.integrity(text)


@parser(PLATFORM, "show-crypto-isakmp-policy")
def parse_isakmp_policy(text: str, ctx: ParseContext) -> Fragment:
    """connections "ISAKMP policy N" (and "ISAKMP policy default" for the default suite),
    version 1, shared "ike-proposal", each with one Proposal: encryption (AES with its key
    bits), integrity and the PRF IKEv1 derives from it, DH group (#14 -> modp2048);
    local_auth/remote_auth (Pre-Shared Key -> psk, Rivest-Shamir-Adleman Signature ->
    pubkey); life_time_s."""
    cc.require(
        text,
        ctx,
        re.compile(
            r"^\s*(?:Protection suite of priority|Default protection suite|Global IKE policy)", re.M
        ),
        "`show crypto isakmp policy`",
    )
    lines = cc.lines_of(text)
    blocks = cc.blocks(PLATFORM, "show-crypto-isakmp-policy", text)
    starts = [to_int(block["line"]) or 0 for block in blocks]
    connections = []
    for block, first, last in zip(blocks, starts, cc.block_ends(starts, lines), strict=True):
        integrity = _isakmp_hash(str(block.get("hash") or ""))
        dh = re.search(r"#(\d+)", str(block.get("dh") or ""))
        auth_text = str(block.get("auth") or "").lower()
        auth = (
            "psk" if "pre-shared" in auth_text else "pubkey" if "signature" in auth_text else None
        )
        encryption = _isakmp_encryption(str(block.get("encryption") or ""))
        connections.append(
            Connection(
                name=f"ISAKMP policy {block.get('priority') or 'default'}",
                version=1,
                shared="ike-proposal",
                local_auth=auth,
                remote_auth=auth,
                proposals=(
                    Proposal(
                        encryption=(encryption,) if encryption else (),
                        integrity=(integrity,) if integrity else (),
                        prf=(p,) if integrity and (p := algorithms.prf(integrity)) else (),
                        dh_groups=(g,)
                        if dh and (g := algorithms.dh_group(int(dh.group(1))))
                        else (),
                    ),
                ),
                life_time_s=to_int(block.get("lifetime")),
                source=cc.source(ctx, first, last),
            )
        )
    return Fragment(connections=connections)


# --- configuration: IPsec profiles and crypto maps --------------------------------------------


def _transform_proposals(
    sets: list[dict[str, Any]], pfs_flag: Any, dh: Any
) -> tuple[Proposal, ...]:
    """Transform sets ('esp-256-aes esp-sha256-hmac') -> child proposals with the PFS group,
    "none" when the entry says PFS N (as the other platforms write no PFS); no group when
    PFS is not printed."""
    group = cc.pfs_group(pfs_flag, dh) if pfs_flag is not None else None
    if group is None and cc.yes_no(pfs_flag) is False:
        group = "none"
    proposals = []
    for transform_set in sets:
        encryption, integrity = cc.transform_algorithms(str(transform_set.get("transforms") or ""))
        if encryption is None:
            continue
        proposals.append(
            Proposal(
                encryption=(encryption,),
                integrity=(integrity,) if integrity else (),
                dh_groups=(group,) if group else (),
            )
        )
    return tuple(proposals)


@parser(PLATFORM, "show-crypto-ipsec-profile")
def parse_ipsec_profile(text: str, ctx: ParseContext) -> Fragment:
    """connections "IPsec profile NAME" (tunnel protection), version 2 when it names an
    IKEv2 profile, else 1 (ISAKMP), with one child: proposals from its transform sets (PFS
    group or "none"), life_time_s; the IKEv2 profile it names in `uses` (join_connections
    merges that profile's identities, auth and addresses in) and, for people, a note "IPsec
    profile NAME uses IKEv2 profile X"."""
    cc.require(
        text, ctx, re.compile(r"^\s*IPSEC profile\s", re.M | re.I), "`show crypto ipsec profile`"
    )
    lines = cc.lines_of(text)
    blocks = cc.blocks(PLATFORM, "show-crypto-ipsec-profile", text)
    starts = [to_int(block["line"]) or 0 for block in blocks]
    connections, notes = [], []
    for block, first, last in zip(blocks, starts, cc.block_ends(starts, lines), strict=True):
        name = f"IPsec profile {block['profile']}"
        if block.get("ikev2_profile"):
            notes.append(f"{name} uses IKEv2 profile {block['ikev2_profile']}")
        connections.append(
            _protected(
                name,
                str(block["profile"]),
                2 if block.get("ikev2_profile") else 1,
                block,
                cc.source(ctx, first, last),
            )
        )
    return Fragment(connections=connections, notes=notes)


def _protected(
    name: str,
    child: str,
    version: int | None,
    block: dict[str, Any],
    where: SourceRef | None,
    remote_addrs: tuple[str, ...] = (),
    local_ts: tuple[str, ...] = (),
    remote_ts: tuple[str, ...] = (),
) -> Connection:
    """What protects traffic (an IPsec profile, a crypto map entry) as a connection with
    one child: proposals from its transform sets with the PFS group, its lifetime; the
    IKEv2 profile it names."""
    profile = str(block.get("ikev2_profile") or "").strip()
    return Connection(
        name=name,
        version=version,
        remote_addrs=remote_addrs,
        uses=(cc.ikev2_profile_name(profile),) if profile else (),
        children=(
            ChildConfig(
                name=child,
                local_ts=local_ts,
                remote_ts=remote_ts,
                proposals=_transform_proposals(
                    cc.items(block, "sets"), block.get("pfs"), block.get("dh")
                ),
                life_time_s=to_int(block.get("life_sec")),
                source=where,
            ),
        ),
        source=where,
    )


@parser(PLATFORM, "show-crypto-map")
def parse_crypto_map(text: str, ctx: ParseContext) -> Fragment:
    """connections "crypto map MAP SEQ" (`uses` the IKEv2 profile it names, also noted):
    version 2 when the entry names an IKEv2 profile, 1 for ipsec-isakmp, None for manual
    keying; remote_addrs (Peer, or the current peer);
    one child named "MAP SEQ": local/remote selectors from the access-list entries printed
    under it, proposals from its transform sets with the PFS group, life_time_s."""
    cc.require(text, ctx, re.compile(r"^\s*Crypto Map\b", re.M), "`show crypto map`")
    lines = cc.lines_of(text)
    blocks = cc.blocks(PLATFORM, "show-crypto-map", text)
    starts = [to_int(block["line"]) or 0 for block in blocks]
    connections, notes = [], []
    for block, first, last in zip(blocks, starts, cc.block_ends(starts, lines), strict=True):
        entry = f"{block['map']} {block['seq']}"
        name = f"crypto map {entry}"
        map_type = str(block.get("map_type") or "")
        version = 2 if block.get("ikev2_profile") else 1 if "isakmp" in map_type else None
        if block.get("ikev2_profile"):
            notes.append(f"{name} uses IKEv2 profile {block['ikev2_profile']}")
        local_ts, remote_ts = [], []
        for acl in cc.joined_lines(block.get("acl_entry")):
            if not acl.startswith("permit"):
                continue
            local, remote = cc.flow_selectors(acl)
            if local and local not in local_ts:
                local_ts.append(local)
            if remote and remote not in remote_ts:
                remote_ts.append(remote)
        peers = [cc.address(p) or p for p in cc.joined_lines(block.get("peer"))]
        if not peers and block.get("current_peer"):
            peers = [cc.address(block["current_peer"]) or str(block["current_peer"])]
        connections.append(
            _protected(
                name,
                entry,
                version,
                block,
                cc.source(ctx, first, last),
                remote_addrs=tuple(peers),
                local_ts=tuple(local_ts),
                remote_ts=tuple(remote_ts),
            )
        )
    return Fragment(connections=connections, notes=notes)


# --- certificates, interfaces, routes, log, clock, version ------------------------------------


@parser(PLATFORM, "show-crypto-pki-certificates")
def parse_pki_certificates(text: str, ctx: ParseContext) -> Fragment:
    """notes only (the model has no place for certificates yet): per certificate its kind,
    status, subject (cn/Name/hostname), issuer cn, validity end and trustpoints, e.g.
    "certificate (Available): subject Name: r1.example.com; issuer cn=CA; valid until
    09:17:52 UTC Jun 22 2023; trustpoints ca1"."""
    cc.require(
        text,
        ctx,
        re.compile(r"^\s*(?:[A-Za-z -]*Certificate)\s*$", re.M),
        "`show crypto pki certificates`",
    )
    certificates = group_items(
        cc.records(PLATFORM, "show-crypto-pki-certificates", text), "certificates"
    )
    notes = []
    for cert in certificates:
        parts_of: dict[str, list[str]] = {"Issuer": [], "Subject": []}
        for part in cc.items(cert, "parts"):
            # the section's lines, each still numbered: '14<TAB>Name: r1.example.com'
            lines = cc.joined_lines(part.get("fields"))
            parts_of[str(part.get("part"))] += [line.partition("\t")[2] for line in lines]
        subjects, issuers = parts_of["Subject"], parts_of["Issuer"]
        subject = next((f for f in subjects if f.startswith(("cn=", "Name:", "hostname="))), None)
        issuer = next((f for f in issuers if f.startswith("cn=")), None)
        parts = [f"subject {subject or ', '.join(subjects) or '?'}"]
        if issuer:
            parts.append(f"issuer {issuer}")
        if cert.get("end"):
            parts.append(f"valid until {str(cert['end']).strip()}")
        if cert.get("trustpoints"):
            parts.append(f"trustpoints {str(cert['trustpoints']).strip()}")
        status = str(cert.get("status") or "").strip()
        notes.append(
            f"{str(cert['kind']).lower()} ({status or 'status not shown'}): " + "; ".join(parts)
        )
    return Fragment(notes=notes, understood=True)


@parser(PLATFORM, "show-ip-interface-brief")
def parse_ip_interface_brief(text: str, ctx: ParseContext) -> Fragment:
    """notes only: the status of tunnel-like interfaces (Tunnel, Virtual-Access, VTI),
    e.g. "interface Tunnel10 10.0.0.1: up/up"; brief output has no masks, so addresses
    come from `show ip route` (connected and local routes) instead."""
    cc.require(
        text,
        ctx,
        re.compile(r"^\s*Interface\s+IP-Address\s+OK\?", re.M),
        "`show ip interface brief`",
    )
    notes = []
    for row in cc.line_records(PLATFORM, "show-ip-interface-brief", text):
        name = str(row.get("interface") or "")
        if re.match(r"(?i)(tunnel|virtual-access|virtual-template)", name):
            notes.append(
                f"interface {name} {row.get('address')}: {row.get('status')}/{row.get('protocol')}"
            )
    return Fragment(notes=notes, understood=True)


def _ios_route(code: str, destination: str, rest: str, classful: int | None) -> Route | None:
    """One `show ip route` entry -> Route (gateway, device, kind)."""
    if "/" not in destination:
        destination = f"{destination}/{classful if classful is not None else 32}"
    device, gateway, tail = cc.next_hop(rest)
    last = tail[-1] if len(tail) > 1 else ""
    if last and not re.match(r"^[\d:]+$|^\d+[wdhms]", last) and not last.startswith("["):
        device = last
    if gateway and re.match(r"^[A-Za-z]", gateway):  # 'via Tunnel1' names an interface
        device, gateway = gateway, None
    network = cc.prefix(*destination.split("/", 1))
    if network is None:
        return None
    return Route(
        destination="default" if network == "0.0.0.0/0" else network,
        device=device,
        gateway=gateway,
        kind=cc.route_kind(code.split()[0]),
    )


@parser(PLATFORM, "show-ip-route")
def parse_ip_route(text: str, ctx: ParseContext) -> Fragment:
    """routes: destination (CIDR; entries printed without a length take it from their
    "is subnetted" header; 0.0.0.0/0 -> default), device, gateway, kind (local for L,
    else unicast), table ("main", or the VRF asked for); addresses: each local (L) host
    address with the prefix length of its connected (C) network."""
    cc.require(
        text,
        ctx,
        re.compile(
            r"^\s*(?:Codes:|Gateway of last resort|Routing Table:"
            r"|[A-Za-z+%][A-Za-z*+ ]{0,4}\s+\d+\.\d+\.\d+\.\d+)",
            re.M,
        ),
        "`show ip route`",
    )
    asked = re.search(r"\bvrf\s+(\S+)", ctx.command)
    table = asked.group(1) if asked else "main"
    routes: list[Route] = []
    codes: dict[str, str] = {}
    classful: int | None = None
    for row in cc.line_records(PLATFORM, "show-ip-route", text):
        if row.get("network"):
            length = str(row["network"]).partition("/")[2]
            classful = (
                int(length)
                if length.isdigit() and "variably" not in str(row.get("subnetted"))
                else None
            )
            continue
        if row.get("table"):
            table = str(row["table"])
            continue
        if not row.get("code"):
            continue
        route = _ios_route(
            str(row["code"]), str(row["destination"]), str(row.get("rest") or ""), classful
        )
        if route is None:
            continue
        route = Route(**{**route.__dict__, "table": table})
        routes.append(route)
        codes.setdefault(route.destination, str(row["code"]).split()[0].rstrip("*"))
    return Fragment(routes=routes, addresses=cc.addresses_from_routes(routes, codes))


@parser(PLATFORM, "show-logging")
def parse_logging(text: str, ctx: ParseContext) -> Fragment:
    """log: one LogEvent per syslog line (see cisco_common.log_events_of): time as printed,
    level (severity), subsystem (facility such as CRYPTO, IKEV2), the message from its
    %FACILITY-SEVERITY-MNEMONIC code on, cause tokens (psk_mismatch for "failed its sanity
    check or is malformed", ts_mismatch for "proxy identities not supported"...) and the
    direction of notifies. The logging settings header is counted in a note."""
    events, other = cc.log_events_of(PLATFORM, "show-logging", text)
    notes = (
        [f"{ctx.file}: {other} line(s) are not syslog messages (settings, debug output)"]
        if other
        else []
    )
    return Fragment(log=events, notes=notes)


@parser(PLATFORM, "show-clock")
def parse_clock(text: str, ctx: ParseContext) -> Fragment:
    """notes only: the device clock as printed, and whether it is synchronised ('*' means
    not: log times may be off)."""
    for row in cc.line_records(PLATFORM, "show-clock", text):
        mark = str(row.get("mark") or "")
        clock = f"{row['time']} {row['zone']} {str(row.get('date') or '').strip()}"
        state = {"*": " (not synchronised)", ".": " (synchronisation lost)"}.get(mark, "")
        return Fragment(notes=[f"device clock: {clock}{state}"], understood=True)
    raise ParseError(f"`{ctx.command}`: no clock line")


@parser(PLATFORM, "show-version")
def parse_version(text: str, ctx: ParseContext) -> Fragment:
    """software: 'Cisco IOS XE Software 17.03.04a' or 'Cisco IOS Software 15.8(3)M3b' (the
    product and its version); the uptime in a note."""
    rows = cc.line_records(PLATFORM, "show-version", text)
    software = None
    notes = []
    for row in rows:
        if row.get("product"):
            version = re.search(r"Version ([^,\s]+)", str(row.get("rest") or ""))
            candidate = f"{row['product']} {version.group(1)}" if version else str(row["product"])
            if software is None or "XE" in str(row["product"]):
                software = candidate if software is None or "XE" not in software else software
        elif row.get("uptime"):
            notes.append(f"{row.get('hostname')} uptime: {str(row['uptime']).strip()}")
    if software is None:
        raise ParseError(
            f"`{ctx.command}`: no 'Cisco IOS ... Version' line: not IOS's version output"
        )
    return Fragment(software=software, notes=notes)


# --- show crypto ikev2 session, show crypto ikev2 diagnose error --------------------------------

_IKEV2_SESSION_MARKERS = re.compile(
    r"^\s*(?:IPv[46] Crypto IKEv2 +Session|Session-id:\d+|There are no IKEv2 sessions)",
    re.MULTILINE | re.IGNORECASE,
)


@parser(PLATFORM, "show-crypto-ikev2-session-detailed")
@parser(PLATFORM, "show-crypto-ikev2-session")
def parse_ikev2_session(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas as `show crypto ikev2 sa detailed` gives them, each with its child SAs from
    the `Child sa` blocks: local/remote selectors (address ranges -> CIDRs, several per
    child), ESP SPIs in/out (8 hex digits), state INSTALLED, and in detail the child's
    canonical encryption/integrity (esp_hmac) and mode."""
    cc.require(text, ctx, _IKEV2_SESSION_MARKERS, "`show crypto ikev2 session`")
    return cc.ikev2_fragment(PLATFORM, "show-crypto-ikev2-session-detailed", text, ctx)


@parser(PLATFORM, "show-crypto-ikev2-diagnose-error")
def parse_ikev2_diagnose_error(text: str, ctx: ParseContext) -> Fragment:
    """notes only: the exit path table's status and each recorded IKEv2 error, with the
    cause tokens its wording carries (the same strings as the log's NEG_ABORT reasons)."""
    cc.require(
        text, ctx, re.compile(r"^\s*Exit Path Table", re.M), "`show crypto ikev2 diagnose error`"
    )
    notes = []
    for row in cc.line_records(PLATFORM, "show-crypto-ikev2-diagnose-error", text):
        if row.get("status"):
            notes.append(
                f"IKEv2 exit path table: {row['status']}, {row.get('current')} entries "
                f"(max {row.get('max_allow')})"
            )
        elif row.get("error"):
            causes, _ = cc.log_causes(str(row["error"]))
            suffix = f" [{', '.join(causes)}]" if causes else ""
            notes.append(f"IKEv2 error {row['error_number']}: {str(row['error']).strip()}{suffix}")
    return Fragment(notes=notes, understood=True)
