"""Azure VPN Gateway: `az network vpn-connection show` and `az network vnet-gateway show`
(JSON). The Azure CLI prints a resource's properties at the top level; the REST API (and
the CLI's older versions) nest them under `properties`: both are read.

A connection is the model's connection (its IPsec/IKE policies, traffic selectors, shared
key's fingerprint, IKE version) and its `connectionStatus` (per tunnel where Azure lists
`tunnelConnectionStatus`) a TUNNEL_STATUS event; a connected one is an established IKE SA
with its byte counters. The gateway's VPN type (PolicyBased / RouteBased) and SKU name the
software, as Azure words them: a policy-based gateway drops a tunnel idle for five minutes.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import ChildConfig, Connection, Proposal
from ipsec_tui.parsers.base import Fragment, ParseContext, ParseError, parser, source_ref
from ipsec_tui.parsers.cloud import (
    line_of,
    load_json,
    psk_fingerprint,
    status_event,
    texts,
    up_tunnel,
    whole,
)

PLATFORM = "azure_vpngw"

# Azure's own names for what other platforms call by number or keyword
_GCM = re.compile(r"GCMAES(?P<bits>\d+)", re.IGNORECASE)
_AZURE_GROUPS = {"dhgroup2048": 14, "pfs2048": 14, "pfs1": 1, "dhgroup1": 1}


def _properties(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ParseError(f"not the JSON object {what} prints")
    nested = data.get("properties")
    return {**data, **nested} if isinstance(nested, dict) else data


def _encryption(value: object) -> str | None:
    text = str(value or "")
    gcm = _GCM.fullmatch(text)
    if gcm:  # Azure's GCM is AES-GCM with a 16-byte ICV
        return f"aes{gcm['bits']}gcm16"
    return algorithms.encryption(text)


def _integrity(value: object) -> str | None:
    text = str(value or "")
    if _GCM.fullmatch(text):
        return None  # the AEAD cipher authenticates: no separate integrity algorithm
    return algorithms.integrity(text)


def _group(value: object) -> str | None:
    text = str(value or "")
    if text.lower() in _AZURE_GROUPS:
        return algorithms.dh_group(_AZURE_GROUPS[text.lower()])
    if text.lower() == "pfsmm":
        return None  # "PFS of the main mode": the IKE group, which the policy names apart
    return algorithms.dh_group(text)


def _one(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


def _ranges(policies: object, key: str) -> tuple[str, ...]:
    found: list[str] = []
    for policy in policies if isinstance(policies, list) else []:
        if isinstance(policy, dict):
            found += [r for r in texts(policy.get(key)) if r not in found]
    return tuple(found)


@parser(PLATFORM, "az-network-vpn-connection-show")
def parse_connection(text: str, ctx: ParseContext) -> Fragment:
    """The connection: IKE version, IKE and IPsec policies (canonical), SA lifetime, traffic
    selectors (policy-based ones as selectors, else 0.0.0.0/0 as a route-based tunnel
    negotiates), shared key's fingerprint; its status (per tunnel where listed) as events and,
    when connected, an established IKE SA with the ingress/egress bytes."""
    conn = _properties(
        load_json(text, "az network vpn-connection show"), "az network vpn-connection show"
    )
    name = str(conn.get("name") or "connection")
    line = line_of(text, f'"{name}"')
    source = source_ref(ctx, line)
    protocol = str(conn.get("connectionProtocol") or "")
    version = {"IKEv1": 1, "IKEv2": 2}.get(protocol)
    ike: list[Proposal] = []
    esp: list[Proposal] = []
    lifetime = None
    for policy in conn.get("ipsecPolicies") or []:
        if not isinstance(policy, dict):
            continue
        ike.append(
            Proposal(
                encryption=_one(_encryption(policy.get("ikeEncryption"))),
                integrity=_one(_integrity(policy.get("ikeIntegrity"))),
                dh_groups=_one(_group(policy.get("dhGroup"))),
            )
        )
        pfs = str(policy.get("pfsGroup") or "")
        esp.append(
            Proposal(
                encryption=_one(_encryption(policy.get("ipsecEncryption"))),
                integrity=_one(_integrity(policy.get("ipsecIntegrity"))),
                dh_groups=("none",) if pfs.lower() == "none" else _one(_group(pfs)),
            )
        )
        lifetime = lifetime or policy.get("saLifeTimeSeconds")
    selectors = conn.get("trafficSelectorPolicies")
    policy_based = conn.get("usePolicyBasedTrafficSelectors") is True
    local_ts = _ranges(selectors, "localAddressRanges")
    remote_ts = _ranges(selectors, "remoteAddressRanges")
    if not (local_ts or remote_ts) and conn.get("connectionType") == "IPsec" and not policy_based:
        # a route-based connection without custom selectors proposes any-to-any
        local_ts = remote_ts = ("0.0.0.0/0",)
    gateway = conn.get("localNetworkGateway2")
    peer_ip = gateway.get("gatewayIpAddress") if isinstance(gateway, dict) else None
    if isinstance(gateway, dict) and isinstance(gateway.get("properties"), dict):
        peer_ip = peer_ip or gateway["properties"].get("gatewayIpAddress")
    notes = [
        f"{name}: {key} {conn[key]}"
        for key in ("connectionMode", "dpdTimeoutSeconds", "usePolicyBasedTrafficSelectors")
        if conn.get(key) not in (None, "")
    ]
    child = ChildConfig(
        name=name,
        local_ts=local_ts,
        remote_ts=remote_ts,
        mode="tunnel",
        proposals=tuple(esp),
        life_time_s=lifetime if isinstance(lifetime, int) else None,
        source=source,
    )
    connection = Connection(
        name=name,
        version=version,
        remote_addrs=_one(str(peer_ip)) if peer_ip else (),
        local_auth="psk" if conn.get("connectionType") == "IPsec" else None,
        remote_auth="psk" if conn.get("connectionType") == "IPsec" else None,
        proposals=tuple(ike),
        psk_fingerprint=psk_fingerprint(conn.get("sharedKey")),
        children=(child,),
        source=source,
    )
    fragment = Fragment(connections=[connection], notes=notes)
    tunnels = [t for t in conn.get("tunnelConnectionStatus") or [] if isinstance(t, dict)]
    statuses = [
        (str(t.get("tunnel") or name), t, line_of(text, f'"{t.get("tunnel")}"')) for t in tunnels
    ] or [(name, conn, line_of(text, '"connectionStatus"'))]
    for tunnel, status, status_line in statuses:
        state = status.get("connectionStatus")
        if not state:
            continue
        fragment.log.append(
            status_event(
                status_line,
                tunnel,
                str(state),
                time=status.get("lastConnectionEstablishedUtcTime") or None,
            )
        )
        if state == "Connected":
            sa = up_tunnel(
                tunnel,
                source_ref(ctx, status_line),
                remote_addr=str(peer_ip) if peer_ip else None,
                version=version,
                local_ts=local_ts,
                remote_ts=remote_ts,
            )
            counted = replace(
                sa.child_sas[0],
                bytes_in=whole(status.get("ingressBytesTransferred")),
                bytes_out=whole(status.get("egressBytesTransferred")),
            )
            fragment.ike_sas.append(replace(sa, child_sas=(counted,)))
    return fragment


@parser(PLATFORM, "az-network-vnet-gateway-show")
def parse_gateway(text: str, ctx: ParseContext) -> Fragment:
    """The gateway: its VPN type and SKU as the software, its public addresses."""
    gateway = _properties(
        load_json(text, "az network vnet-gateway show"), "az network vnet-gateway show"
    )
    if gateway.get("gatewayType") not in (None, "Vpn"):
        raise ParseError(f"gateway type {gateway.get('gatewayType')!r} is not a VPN gateway")
    sku = gateway.get("sku")
    sku_name = sku.get("name") if isinstance(sku, dict) else None
    vpn_type = gateway.get("vpnType")
    parts = [str(p) for p in (vpn_type, sku_name) if p]
    fragment = Fragment(software=f"Azure VPN Gateway ({', '.join(parts)})" if parts else None)
    bgp = gateway.get("bgpSettings")
    if isinstance(bgp, dict) and bgp.get("bgpPeeringAddress"):
        fragment.notes.append(f"BGP peering address {bgp['bgpPeeringAddress']}")
    if gateway.get("activeActive") is not None:
        fragment.notes.append(f"active-active {gateway['activeActive']}")
    fragment.understood = True
    return fragment
