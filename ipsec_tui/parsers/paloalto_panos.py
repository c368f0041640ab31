"""Palo Alto Networks (PAN-OS) parsers: IKE and IPsec SAs, VPN flows, configured gateways
and tunnels, the routing table and the system info.

Each parser runs its template (templates/paloalto_panos/<key>.ttp) and builds model objects
with canonical algorithm names. PAN-OS abbreviates algorithms in its tables
(`PSK/DH14/A128/SHA1`, `ESP/A256/SHA256`, `[PSK][DH2][AES128][SHA1]`): `_suite` reads them.
No parser reads the system log (`show log system`): no real sample of its CLI output was
found, see docs/platforms/paloalto_panos.md.
"""

from __future__ import annotations

import re
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import ChildConfig, ChildSa, Connection, IkeSa, Proposal, Route
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    attach,
    first_of,
    group_items,
    leave_unmatched,
    numbered_items,
    parser,
    source_ref,
    to_int,
    ttp_records,
)

PLATFORM = "paloalto_panos"


def _suite(text: Any) -> tuple[Proposal, str | None]:
    """`PSK/DH14/A128/SHA1`, `ESP/A256/SHA256`, `[PSK][DH2][AES128][SHA1]`,
    `[DH2][NULL][MD5]` -> (Proposal, auth method). `A128` is AES-128 (CBC); a blank or
    unknown token stays unknown."""
    tokens = [t for t in re.split(r"[/\[\]\s]+", str(text or "")) if t]
    encryption: list[str] = []
    integrity: list[str] = []
    groups: list[str] = []
    auth = None
    for token in tokens:
        upper = token.upper()
        if upper in ("PSK", "RSA", "ECDSA", "CERT"):
            auth = "psk" if upper == "PSK" else "pubkey"
        elif re.fullmatch(r"DH\d+", upper):
            group = algorithms.dh_group(upper)
            if group:
                groups.append(group)
        elif re.fullmatch(r"A\d{3}", upper):
            encryption.append(f"aes{upper[1:]}")
        elif upper in ("ESP", "AH", "TUNL", "TRAN"):
            continue
        else:
            name = algorithms.encryption(token)
            if name:
                encryption.append(name)
            elif algorithms.integrity(token):
                integrity.append(str(algorithms.integrity(token)))
    return Proposal(tuple(encryption), tuple(integrity), (), tuple(groups)), auth


# --- show vpn ike-sa --------------------------------------------------------------------------


@parser(PLATFORM, "show-vpn-ike-sa")
def parse_ike_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas: one per IKEv1 phase-1 or IKEv2 SA row: name (gateway), unique_id (gateway
    id), version, state (IKEv2 `Established` -> ESTABLISHED; IKEv1 prints a numeric state
    code, kept None with a note), initiator (Init/Resp), remote address, canonical
    encryption/integrity/dh_group and auth method from the algorithm column; with
    child_sas from the IKEv1 phase-2 / IKEv2 child rows: name (tunnel), SPIs (lowercase),
    state (`Mature` -> INSTALLED). A child row belongs to one SA: IKEv2 by its gateway and
    parent SN, IKEv1 by its gateway and gateway id, else the gateway's first SA; a child
    row without its SA's row, and any line not understood, is left unplaced.
    `There is no ... SA found.` alone is empty."""
    items = numbered_items(PLATFORM, "show-vpn-ike-sa", text)
    fragment = Fragment()
    leave_unmatched(fragment, text, items, "a line of `show vpn ike-sa` not understood")
    section = ""
    sas: list[dict[str, Any]] = []
    children: list[dict[str, Any]] = []
    for item in items:
        if "section" in item:
            section = str(item["section"])
        elif "spi_in" in item:
            children.append(item)
        elif "gwid" in item:
            sas.append({**item, "version": 2 if section.startswith("IKEv2") else 1})

    def sa_keys(sa: dict[str, Any]) -> tuple[Any, ...]:
        number = sa.get("sn") if sa["version"] == 2 else sa.get("gwid")
        return (("sa", sa["version"], sa.get("gateway"), number), ("gw", sa.get("gateway")))

    def child_keys(child: dict[str, Any]) -> tuple[Any, ...]:
        version = 2 if "parent" in child else 1
        number = child.get("parent") if version == 2 else child.get("child_gw")
        return (("sa", version, child.get("gateway"), number), ("gw", child.get("gateway")))

    placed, orphans = attach(sas, children, sa_keys, child_keys)
    lines = text.splitlines()
    for child in orphans:
        fragment.leave_unplaced(
            child["line"],
            lines[child["line"] - 1],
            f"child SA of gateway {child.get('gateway')} without its IKE SA row",
        )
    for sa, mine in zip(sas, placed, strict=True):
        proposal, auth = _suite(sa.get("algorithm"))
        state = str(sa.get("st") or "")
        if sa["version"] == 1:
            fragment.notes.append(
                f"{ctx.file}: IKEv1 SA of {sa.get('gateway')}: state code {state} (not mapped)"
            )
        fragment.ike_sas.append(
            IkeSa(
                name=sa.get("gateway"),
                unique_id=sa.get("gwid"),
                state="ESTABLISHED" if state == "Established" else None,
                version=sa["version"],
                remote_addr=sa.get("peer"),
                initiator={"Init": True, "Resp": False}.get(str(sa.get("role"))),
                encryption=first_of(proposal.encryption),
                integrity=first_of(proposal.integrity),
                dh_group=first_of(proposal.dh_groups),
                auth_method=auth,
                child_sas=tuple(
                    ChildSa(
                        name=child.get("tunnel"),
                        state="INSTALLED" if child.get("st") == "Mature" else None,
                        spi_in=str(child["spi_in"]).lower(),
                        spi_out=str(child["spi_out"]).lower(),
                        source=source_ref(ctx, child["line"]),
                    )
                    for child in mine
                ),
                source=source_ref(ctx, sa["line"]),
            )
        )
    return fragment


# --- show vpn ipsec-sa ------------------------------------------------------------------------


@parser(PLATFORM, "show-vpn-ipsec-sa")
def parse_ipsec_sa(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas (named after the gateway in `tunnel(gateway)`, joined with `show vpn ike-sa`)
    carrying one child SA per row: name (tunnel), protocol, SPIs (lowercase), canonical
    encryption/integrity, lifetime_s (the remain-time column, when printed)."""
    ike_sas = []
    for row in group_items(ttp_records(PLATFORM, "show-vpn-ipsec-sa", text), "sas"):
        tunnel, _, gateway = str(row.get("tunnel_gateway") or "").rstrip(")").partition("(")
        proposal, _ = _suite(row.get("algorithm"))
        protocol = str(row.get("algorithm") or "").split("/")[0] or None
        child = ChildSa(
            name=tunnel or None,
            protocol=protocol,
            spi_in=str(row["spi_in"]).lower(),
            spi_out=str(row["spi_out"]).lower(),
            encryption=first_of(proposal.encryption),
            integrity=first_of(proposal.integrity),
            lifetime_s=to_int(row.get("remain")),
        )
        ike_sas.append(IkeSa(name=gateway or None, remote_addr=row.get("peer"), child_sas=(child,)))
    return Fragment(ike_sas=ike_sas)


# --- show vpn flow, show vpn gateway, show vpn tunnel -----------------------------------------


@parser(PLATFORM, "show-vpn-flow")
def parse_vpn_flow(text: str, ctx: ParseContext) -> Fragment:
    """ike_sas with the local address of each tunnel's peer (joined by peer address with
    the SAs of `show vpn ike-sa`), and notes: tunnel id, name, state, monitor, interface."""
    ike_sas, notes = [], []
    for row in group_items(ttp_records(PLATFORM, "show-vpn-flow", text), "tunnels"):
        ike_sas.append(IkeSa(local_addr=row.get("local_ip"), remote_addr=row.get("peer_ip")))
        notes.append(
            f"vpn flow {row.get('id')} {row.get('name')}: {row.get('state')}, monitor "
            f"{row.get('monitor')}, {row.get('interface')}"
        )
    return Fragment(ike_sas=ike_sas, notes=notes)


@parser(PLATFORM, "show-vpn-gateway")
def parse_vpn_gateway(text: str, ctx: ParseContext) -> Fragment:
    """connections: one per gateway: name, version (IKEv1/IKEv2),
    remote and local address, local_id (when printed whole), auth, the IKE proposal."""
    connections = []
    for row in group_items(ttp_records(PLATFORM, "show-vpn-gateway", text), "gateways"):
        # `[PSK][DH2][AES128][SHA1]360-sec`: what follows the brackets is not an algorithm
        proposal, auth = _suite(str(row.get("proposals") or "").rpartition("]")[0])
        local = str(row.get("local") or "")
        address, _, identity = local.partition("(")
        protocol = str(row.get("protocol") or "")
        connections.append(
            Connection(
                name=str(row.get("name")),
                version=to_int(protocol[-1:]),
                local_addrs=(address,) if address else (),
                remote_addrs=(str(row["peer"]),) if row.get("peer") else (),
                # the column is cut at its width: an identity without `)` is incomplete
                local_id=identity[:-1] if identity.endswith(")") else None,
                local_auth=auth,
                remote_auth=auth,
                proposals=(proposal,) if proposal.encryption else (),
            )
        )
    return Fragment(connections=connections)


def _proxy(address: Any, port: Any) -> str:
    proto, _, number = str(port or "0:0").partition(":")
    text = str(address)
    if proto not in ("0", "") or number not in ("0", ""):
        text += f"[{proto if proto != '0' else 'any'}/{number if number != '0' else 'any'}]"
    return text


@parser(PLATFORM, "show-vpn-tunnel")
def parse_vpn_tunnel(text: str, ctx: ParseContext) -> Fragment:
    """connections (named after the gateway) with children: one per tunnel: name, local and
    remote proxy IDs, mode (tunnel), the ESP proposal (PFS group from `[DHn]`),
    life_time_s."""
    by_gateway: dict[str, list[ChildConfig]] = {}
    for row in group_items(ttp_records(PLATFORM, "show-vpn-tunnel", text), "tunnels"):
        tunnel, _, gateway = str(row.get("name_gateway") or "").rstrip(")").partition("(")
        proposal, _ = _suite(row.get("proposals"))
        by_gateway.setdefault(gateway, []).append(
            ChildConfig(
                name=tunnel,
                local_ts=(_proxy(row.get("local_proxy"), row.get("local_port")),),
                remote_ts=(_proxy(row.get("remote_proxy"), row.get("remote_port")),),
                mode="tunnel" if row.get("mode") == "tunl" else "transport",
                proposals=(proposal,),
                life_time_s=to_int(row.get("lifetime")),
            )
        )
    return Fragment(
        connections=[Connection(name=gw, children=tuple(kids)) for gw, kids in by_gateway.items()]
    )


# --- show routing route, show system info -----------------------------------------------------


@parser(PLATFORM, "show-routing-route")
def parse_routing_route(text: str, ctx: ParseContext) -> Fragment:
    """routes: destination, gateway (the next hop, unless 0.0.0.0 or `discard`; a connected
    `C` route has none: PAN-OS prints the firewall's own address on that interface there),
    device (the interface column), table (the virtual router), kind (local for host `H`
    routes, blackhole for `discard`, else unicast)."""
    routes: list[Route] = []
    table = "default"
    for item in numbered_items(PLATFORM, "show-routing-route", text):
        if item.get("vr"):
            table = str(item["vr"])
            continue
        words = str(item.get("rest") or "").split()
        flags = [w for w in words if re.fullmatch(r"A?[?~]?(?:[A-Z][a-z0-9]?)?", w)]
        device = next(
            (w for w in words if re.search(r"[a-z]+\d*[./]\d", w) or w.startswith("tunnel")), None
        )
        nexthop = str(item.get("nexthop"))
        kind = (
            "blackhole"
            if nexthop == "discard"
            else "local"
            if any(f.endswith("H") for f in flags)
            else "unicast"
        )
        routes.append(
            Route(
                destination=str(item["destination"]),
                device=device,
                gateway=None
                if nexthop in ("0.0.0.0", "::", "discard") or any(f.endswith("C") for f in flags)
                else nexthop,
                table=table,
                kind=kind,
            )
        )
    return Fragment(routes=routes)


@parser(PLATFORM, "show-system-info")
def parse_system_info(text: str, ctx: ParseContext) -> Fragment:
    """software ("PAN-OS 7.0.1 (PA-VM)"), and notes: hostname, the device clock."""
    for item in group_items(ttp_records(PLATFORM, "show-system-info", text), "info"):
        if item.get("sw_version"):
            model = f" ({item['model']})" if item.get("model") else ""
            notes = [f"hostname: {item['hostname']}"] if item.get("hostname") else []
            if item.get("time"):
                notes.append(f"device clock: {item['time']}")
            return Fragment(software=f"PAN-OS {item['sw_version']}{model}", notes=notes)
    return Fragment()
