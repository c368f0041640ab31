"""FortiGate (FortiOS) parsers: IKE gateways, IPsec tunnels, phase1/phase2 configuration,
the routing table and the system status.

Each parser runs its template (templates/fortinet/<key>.ttp) over the numbered text and
builds model objects with canonical algorithm names (`ipsec_tui.domain.algorithms`).
FortiOS has no read-only IKE log command (`execute log filter` changes a persistent filter,
`diagnose debug` is debug): there is no log parser, see docs/platforms/fortinet.md.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import ChildConfig, ChildSa, Connection, IkeSa, Proposal, Route
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    first_of,
    group_items,
    numbered_items,
    parser,
    source_ref,
    to_int,
    ttp_records,
)

PLATFORM = "fortinet"


# --- diagnose vpn ike gateway list / get vpn ike gateway -----------------------------------

# `status:` words of FortiOS IKE SAs -> the model's IKE states
_IKE_STATES = {"established": "ESTABLISHED", "connecting": "CONNECTING"}


@parser(PLATFORM, "diagnose-vpn-ike-gateway-list")
@parser(PLATFORM, "get-vpn-ike-gateway")
def parse_ike_gateway_list(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: one per IKE SA (`id/spi`) of each gateway: name (the phase1 name),
    unique_id (serial), state (established -> ESTABLISHED, connecting -> CONNECTING), IKE
    version, local/remote address and port, initiator (direction), SPIs, canonical
    encryption/integrity/prf from the proposal, nat_t (`nat: me|peer` or port 4500),
    lifetime_s, rekey_in_s, established_s; each with its line range. A gateway without an
    IKE SA is a note. DH groups and identities are not printed by these commands."""
    fragment = Fragment()
    lines = text.splitlines()
    gateways: list[dict[str, Any]] = []
    for item in numbered_items(PLATFORM, "diagnose-vpn-ike-gateway-list", text):
        if "vd" in item or ("name" in item and (not gateways or "name" in gateways[-1])):
            gateways.append({"first": item["line"], "sas": []})
        if not gateways:
            fragment.leave_unplaced(
                item["line"], lines[item["line"] - 1], "a gateway line before any gateway's name"
            )
            continue
        gateway = gateways[-1]
        gateway["last"] = item["line"]
        if "serial" in item:
            gateway["sas"].append(dict(item))
        elif gateway["sas"] and any(
            k in item for k in ("direction", "status", "proposal", "lifetime")
        ):
            gateway["sas"][-1].update(item)
        else:
            gateway.update({k: v for k, v in item.items() if k != "line"})
    ike_sas, notes = fragment.ike_sas, fragment.notes
    for gateway in gateways:
        if not gateway["sas"]:
            notes.append(
                f"{ctx.file}: gateway {gateway.get('name')} has no IKE SA "
                f"({str(gateway.get('ike_counts') or '').strip(' :') or 'no counters'})"
            )
            continue
        local_port, remote_port = (
            to_int(gateway.get("local_port")),
            to_int(gateway.get("remote_port")),
        )
        nat = str(gateway.get("nat") or "").strip()
        nat_t: bool | None = None
        if nat or 4500 in (local_port, remote_port):
            nat_t = True
        elif local_port == 500 and remote_port == 500:
            nat_t = False
        for sa in gateway["sas"]:
            proposal = algorithms.proposal_from_fortios(str(sa.get("proposal") or ""))
            ages = re.match(r"(\d+)-(\d+)s ago", str(sa.get("status_rest") or ""))
            lifetime, rekey = to_int(sa.get("lifetime")), to_int(sa.get("rekey"))
            established = to_int(ages.group(2)) if ages else None
            direction = sa.get("direction")
            ike_sas.append(
                IkeSa(
                    name=gateway.get("name"),
                    unique_id=sa.get("serial"),
                    state=_IKE_STATES.get(str(sa.get("status"))),
                    version=to_int(gateway.get("version")),
                    local_addr=gateway.get("local_addr"),
                    local_port=local_port,
                    remote_addr=gateway.get("remote_addr"),
                    remote_port=remote_port,
                    initiator={"initiator": True, "responder": False}.get(str(direction)),
                    encryption=first_of(proposal.encryption),
                    integrity=first_of(proposal.integrity),
                    prf=first_of(proposal.prf),
                    nat_t=nat_t,
                    spi_i=str(sa["spi_i"]).lower(),
                    spi_r=str(sa["spi_r"]).lower(),
                    lifetime_s=lifetime,
                    # `lifetime/rekey: 86400/85957`: the rekey timer is set at establishment
                    rekey_in_s=rekey - established if rekey is not None and established else rekey,
                    established_s=established,
                    source=source_ref(ctx, gateway["first"], gateway.get("last")),
                )
            )
            if sa.get("status") and str(sa.get("status")) not in _IKE_STATES:
                notes.append(
                    f"{ctx.file}: IKE SA {sa.get('serial')} status {sa.get('status')!r} not mapped"
                )
    return fragment


# --- diagnose vpn tunnel list -----------------------------------------------------------------


def _selector(text: str) -> str:
    """`0:192.168.0.0-192.168.0.255:0`, `0:10.1.0.0/255.255.255.0:0`, `6:10.1.0.5/32:443`
    -> CIDR (or `first-last` when the range is no prefix), with `[proto/port]` when not any."""
    match = re.fullmatch(r"(\d+):(.+):(\d+)", text.strip())
    if not match:
        return text.strip()
    proto, body, port = int(match.group(1)), match.group(2), int(match.group(3))
    network = body
    try:
        if "-" in body:
            first, last = (ipaddress.ip_address(part) for part in body.split("-", 1))
            ranges = list(ipaddress.summarize_address_range(first, last))
            network = str(ranges[0]) if len(ranges) == 1 else body
        else:
            network = str(ipaddress.ip_network(body, strict=False))
    except ValueError:
        network = body
    if proto or port:
        network += f"[{proto or 'any'}/{port or 'any'}]"
    return network


def _esp(esp: Any, key_bytes: Any) -> str | None:
    """`esp=aes key=16` -> aes128, `esp=aes-gcm key=36` -> aes256gcm16 (key + 4-byte salt),
    `esp=3des key=24` -> 3des, `esp=null` -> null."""
    name, size = str(esp or "").lower(), to_int(key_bytes)
    if name in ("aes", "aria", "camellia") and size:
        return algorithms.encryption(f"{name}{size * 8}")
    if name.endswith("-gcm") and size:
        return algorithms.encryption(f"{name[:-4]}{(size - 4) * 8}gcm16")
    return algorithms.encryption(name) if name else None


@parser(PLATFORM, "diagnose-vpn-tunnel-list")
def parse_tunnel_list(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: one per tunnel (name, local/remote address and port, nat_t from `natt:
    mode`) carrying its child_sas, one per SA of each proxyid: name (the proxyid), state
    (INSTALLED), local/remote traffic selectors (CIDR, `[proto/port]` when not any), SPIs
    (dec = in, enc = out), canonical encryption (from esp and key length) and integrity
    (ah), packet and byte counters, lifetime_s (life timeout left), rekey_in_s (SA expire),
    encap, interface (the tunnel); a proxyid without SA (`sa=0`) is a note. The IKE state
    comes from `diagnose vpn ike gateway list`: this command does not print it."""
    fragment = Fragment()
    lines = text.splitlines()
    tunnels: list[dict[str, Any]] = []
    for item in numbered_items(PLATFORM, "diagnose-vpn-tunnel-list", text):
        line = item["line"]
        if "name" in item:
            tunnels.append({"item": item, "first": line, "last": line, "proxies": []})
            continue
        if not tunnels:
            fragment.leave_unplaced(line, lines[line - 1], "a tunnel line before any `name=`")
            continue
        tunnel = tunnels[-1]
        tunnel["last"] = line
        if "natt_mode" in item:
            tunnel["natt"] = item["natt_mode"]
        elif "proxyid" in item:
            tunnel["proxies"].append({**item, "sas": []})
        elif tunnel["proxies"]:
            proxy = tunnel["proxies"][-1]
            if "src" in item or "dst" in item:
                proxy.update(item)
            elif (
                "sa_rest" in item
                or not proxy["sas"]
                or ("dec_spi" in item and "dec_spi" in proxy["sas"][-1])
            ):
                proxy["sas"].append(dict(item))
            elif "ah" in item:
                slot = "enc_ah" if "enc_spi" in proxy["sas"][-1] else "dec_ah"
                proxy["sas"][-1][slot] = item["ah"]
            else:
                proxy["sas"][-1].update({k: v for k, v in item.items() if k != "line"})
    ike_sas, notes = fragment.ike_sas, fragment.notes
    for tunnel in tunnels:
        header = f"{tunnel['item'].get('name')} {tunnel['item'].get('header') or ''}"
        ends = re.search(r"\s(\S+):(\d+)->(\S+):(\d+)(?:\s|$)", header)
        version = re.search(r"\bver=(\d+)", header)
        encap = tunnel.get("natt") not in (None, "none")
        children: list[ChildSa] = []
        for proxy in tunnel["proxies"]:
            sas = [sa for sa in proxy["sas"] if sa.get("dec_spi") or sa.get("enc_spi")]
            if not sas:
                notes.append(
                    f"{ctx.file}: tunnel {tunnel['item'].get('name')} proxyid "
                    f"{proxy.get('proxyid')} has no SA (sa={proxy.get('sa')}): "
                    f"{proxy.get('src')} -> {proxy.get('dst')}"
                )
                continue
            for sa in sas:
                life = re.search(r"timeout=(\d+)/(\d+)", str(sa.get("life_rest") or ""))
                expire = re.search(r"expire=(\d+)", str(sa.get("sa_rest") or ""))
                children.append(
                    ChildSa(
                        name=proxy.get("proxyid"),
                        state="INSTALLED",
                        protocol="ESP",
                        encap=encap,
                        local_ts=(_selector(str(proxy["src"])),) if proxy.get("src") else (),
                        remote_ts=(_selector(str(proxy["dst"])),) if proxy.get("dst") else (),
                        spi_in=str(sa["dec_spi"]).lower() if sa.get("dec_spi") else None,
                        spi_out=str(sa["enc_spi"]).lower() if sa.get("enc_spi") else None,
                        encryption=_esp(
                            sa.get("dec_esp") or sa.get("enc_esp"),
                            sa.get("dec_key") or sa.get("enc_key"),
                        ),
                        integrity=algorithms.integrity(
                            str(sa.get("dec_ah") or sa.get("enc_ah") or "")
                        ),
                        bytes_in=to_int(sa.get("bytes_in")),
                        bytes_out=to_int(sa.get("bytes_out")),
                        packets_in=to_int(sa.get("pkts_in")),
                        packets_out=to_int(sa.get("pkts_out")),
                        lifetime_s=to_int(life.group(1)) if life else None,
                        rekey_in_s=to_int(expire.group(1)) if expire else None,
                        interface=tunnel["item"].get("name"),
                        source=source_ref(ctx, tunnel["first"], tunnel["last"]),
                    )
                )
        local_port = to_int(ends.group(2)) if ends else None
        remote_port = to_int(ends.group(4)) if ends else None
        ike_sas.append(
            IkeSa(
                name=tunnel["item"].get("name"),
                # ver=0 (some 5.x builds) says nothing about the IKE version
                version=to_int(version.group(1))
                if version and version.group(1) in ("1", "2")
                else None,
                local_addr=ends.group(1) if ends else None,
                local_port=local_port or None,
                remote_addr=ends.group(3) if ends else None,
                remote_port=remote_port or None,
                nat_t=encap if tunnel.get("natt") else None,
                child_sas=tuple(children),
                source=source_ref(ctx, tunnel["first"], tunnel["last"]),
            )
        )
    return fragment


# --- show vpn ipsec phase1-interface / phase2-interface --------------------------------------


def _edits(text: str) -> list[dict[str, Any]]:
    """One dict per `edit "NAME"` block: name, first/last line, and its `set` values."""
    entries: list[dict[str, Any]] = []
    for item in numbered_items(PLATFORM, "show-vpn-ipsec-phase1-interface", text):
        line = item["line"]
        if "edit" in item:
            entries.append(
                {
                    "name": str(item["edit"]).strip().strip('"'),
                    "first": line,
                    "last": line,
                    "set": {},
                }
            )
        elif entries and "key" in item:
            entries[-1]["set"].setdefault(str(item["key"]), str(item.get("value") or "").strip())
            entries[-1]["last"] = line
        elif entries and "next" in item:
            entries[-1]["last"] = line
    return entries


def _proposals(value: str | None, dhgrp: str | None, kind: str) -> tuple[Proposal, ...]:
    groups = tuple(name for name in (algorithms.dh_group(g) for g in (dhgrp or "").split()) if name)
    found = []
    for token in (value or "").split():
        proposal = algorithms.proposal_from_fortios(token, kind=kind)
        if proposal.encryption:
            found.append(Proposal(proposal.encryption, proposal.integrity, proposal.prf, groups))
    return tuple(found)


def _subnet(value: str | None) -> tuple[str, ...]:
    parts = (value or "").split()
    if len(parts) == 2:
        try:
            return (str(ipaddress.ip_network(f"{parts[0]}/{parts[1]}", strict=False)),)
        except ValueError:
            return (" ".join(parts),)
    return tuple(parts)


def _selector_of(values: dict[str, str], side: str) -> tuple[str, ...]:
    """A phase2's selector on one side (`src` or `dst`): its `-subnet`; unset, FortiOS' default
    is the IPv4 subnet 0.0.0.0 0.0.0.0 (`show` leaves defaults out; `diagnose vpn tunnel list`
    then prints 0.0.0.0-255.255.255.255), unless another `-addr-type` or an address object
    (`-name`, kept in a note) says otherwise."""
    if values.get(f"{side}-subnet"):
        return _subnet(values[f"{side}-subnet"])
    if values.get(f"{side}-addr-type", "subnet") == "subnet" and not values.get(f"{side}-name"):
        return ("0.0.0.0/0",)
    return ()


@parser(PLATFORM, "show-vpn-ipsec-phase1-interface")
def parse_phase1_interface(text: str, ctx: ParseContext) -> Fragment:
    """connections: one per phase1-interface: name, version (`ike-version`, 1 when unset,
    FortiOS' default), remote address, local/remote identities (localid / peerid when set),
    auth (psk unless `authmethod signature`), IKE proposals (canonical, DH groups from
    `dhgrp`), life_time_s (`keylife`); each with its line range. Secrets are never read."""
    connections = []
    for entry in _edits(text):
        values = entry["set"]
        auth = "pubkey" if values.get("authmethod") == "signature" else "psk"
        version = values.get("ike-version", "1")
        connections.append(
            Connection(
                name=entry["name"],
                version=int(version) if version.isdigit() else None,
                remote_addrs=tuple(values["remote-gw"].split()) if values.get("remote-gw") else (),
                local_id=values.get("localid", "").strip('"') or None,
                remote_id=values.get("peerid", "").strip('"') or None,
                local_auth=auth,
                remote_auth=auth,
                proposals=_proposals(values.get("proposal"), values.get("dhgrp"), "ike"),
                life_time_s=to_int(values.get("keylife")),
                encap={"enable": True, "disable": False}.get(values.get("nattraversal", "")),
                source=source_ref(ctx, entry["first"], entry["last"]),
            )
        )
    return Fragment(connections=connections)


@parser(PLATFORM, "show-vpn-ipsec-phase2-interface")
def parse_phase2_interface(text: str, ctx: ParseContext) -> Fragment:
    """connections (named after `phase1name`) with children: one per phase2-interface:
    name, local/remote traffic selectors (`src-subnet`/`dst-subnet`, 0.0.0.0/0 when unset;
    address objects `src-name`/`dst-name` are kept by name in a note), mode (tunnel), ESP proposals
    (canonical, PFS groups from `dhgrp`, `pfs disable` -> none), life_time_s
    (`keylifeseconds`), start_action (auto-negotiate -> start); each with its line range."""
    by_phase1: dict[str, list[ChildConfig]] = {}
    notes: list[str] = []
    for entry in _edits(text):
        values = entry["set"]
        dhgrp = "none" if values.get("pfs") == "disable" else values.get("dhgrp")
        for side in ("src", "dst"):
            if values.get(f"{side}-name"):
                notes.append(
                    f"{ctx.file}: phase2 {entry['name']} {side} is address object "
                    f"{values[f'{side}-name']}: its subnets are not in this output"
                )
        proposals = _proposals(values.get("proposal"), None, "esp")
        groups = (
            ("none",)
            if dhgrp == "none"
            else tuple(
                name for name in (algorithms.dh_group(g) for g in (dhgrp or "").split()) if name
            )
        )
        by_phase1.setdefault(values.get("phase1name", entry["name"]).strip('"'), []).append(
            ChildConfig(
                name=entry["name"],
                local_ts=_selector_of(values, "src"),
                remote_ts=_selector_of(values, "dst"),
                mode="tunnel"
                if values.get("encapsulation", "tunnel-mode") == "tunnel-mode"
                else "transport",
                proposals=tuple(Proposal(p.encryption, p.integrity, (), groups) for p in proposals),
                life_time_s=to_int(values.get("keylifeseconds")),
                start_action="start" if values.get("auto-negotiate") == "enable" else None,
                source=source_ref(ctx, entry["first"], entry["last"]),
            )
        )
    connections = [
        Connection(name=name, children=tuple(children)) for name, children in by_phase1.items()
    ]
    return Fragment(connections=connections, notes=notes)


# --- get router info routing-table ------------------------------------------------------------


@parser(PLATFORM, "get-router-info-routing-table-all")
@parser(PLATFORM, "get-router-info-routing-table")
def parse_routing_table(text: str, ctx: ParseContext) -> Fragment:
    """routes: destination (CIDR), gateway, device (interface or tunnel name), kind
    (connected, static, ospf, bgp... from the code letters); ECMP continuation lines are
    routes of their own with the destination above them. FortiOS has one table per VRF
    (`Routing table for VRF=N`): the table is that VRF number."""
    kinds = {
        "C": "connected",
        "S": "static",
        "O": "ospf",
        "B": "bgp",
        "R": "rip",
        "K": "kernel",
        "i": "isis",
    }
    vrf = "main"
    routes: list[Route] = []
    last: Route | None = None
    for item in numbered_items(PLATFORM, "get-router-info-routing-table-all", text, "routes"):
        if item.get("vrf") is not None:
            vrf = str(item["vrf"])
            continue
        rest = str(item.get("rest") or item.get("cont") or "")
        tunnel = re.match(r"(?:\[\d+/\d+\] )?via (\S+) tunnel ([^,\s]+)", rest)
        via = re.match(r"(?:\[\d+/\d+\] )?via ([^,\s]+),? ([^,\s]+)", rest)
        connected = re.match(r"is directly connected, (\S+?)(?:,|$)", rest)
        if item.get("prefix"):
            code = str(item.get("code") or "").strip().rstrip("*").split()[0]
            kind = kinds.get(code[:1], code or None)
            destination = str(item["prefix"])
        elif last is not None:
            kind, destination = last.kind, last.destination
        else:
            continue
        gateway = device = None
        if connected:
            device = connected.group(1)
        elif tunnel:  # `via VPN-to-Side1 tunnel 101.100.1.1`: the tunnel, then its peer
            device, gateway = tunnel.group(1), tunnel.group(2)
        elif via:
            gateway, device = via.group(1), via.group(2)
        last = Route(destination=destination, device=device, gateway=gateway, table=vrf, kind=kind)
        routes.append(last)
    return Fragment(routes=routes)


# --- get system status --------------------------------------------------------------------------


@parser(PLATFORM, "get-system-status")
def parse_system_status(text: str, ctx: ParseContext) -> Fragment:
    """software (the Version line), and notes: hostname, the device clock (`System time`,
    to line up timestamps of both peers), HA mode."""
    for item in group_items(ttp_records(PLATFORM, "get-system-status", text), "status"):
        notes = [
            f"{label}: {item[key]}"
            for label, key in (
                ("hostname", "hostname"),
                ("device clock", "clock"),
                ("HA mode", "ha_mode"),
            )
            if item.get(key)
        ]
        return Fragment(software=item.get("version"), notes=notes)
    return Fragment()
