"""Azure VPN Gateway: `az network vpn-connection show` and `az network vnet-gateway show`
(JSON). The Azure CLI prints a resource's properties at the top level; the REST API (and
the CLI's older versions) nest them under `properties`: both are read.

A connection is the model's connection (its IPsec/IKE policies, traffic selectors, shared
key's fingerprint, IKE version) and its `connectionStatus` (per tunnel where Azure lists
`tunnelConnectionStatus`) a TUNNEL_STATUS event; a connected one is an established IKE SA
with its byte counters. The gateway's VPN type (PolicyBased / RouteBased) and SKU name the
software, as Azure words them: a policy-based gateway drops a tunnel idle for five minutes.

The gateway's IKE log is read as its messages, one a line: the `Message` column of the
gateway's IKEDiagnosticLog (`az monitor log-analytics query`), and the IKElogs.txt and
IKEErrors.txt files Network Watcher's VPN troubleshoot writes, which hold the same messages
(`Remote <ip>:500: Local <ip>:500: [SEND|RECEIVED|LOCAL]... <event>`, and unprefixed ones).
An IKEErrors.txt `Error:` line and the indented `based on log :` line under it are one event.
"""

from __future__ import annotations

import re
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import LogEvent, Proposal
from ipsec_tui.parsers import cloud
from ipsec_tui.parsers.base import Fragment, ParseContext, ParseError, parser, source_ref
from ipsec_tui.parsers.log_signatures import match_causes

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
            found += [r for r in cloud.texts(policy.get(key)) if r not in found]
    return tuple(found)


@parser(PLATFORM, "az-network-vpn-connection-show")
def parse_connection(text: str, ctx: ParseContext) -> Fragment:
    """The connection: IKE version, IKE and IPsec policies (canonical), SA lifetime, traffic
    selectors (policy-based ones as selectors, else 0.0.0.0/0 as a route-based tunnel
    negotiates), shared key's fingerprint; its status (per tunnel where listed) as events and,
    when connected, an established IKE SA with the ingress/egress bytes."""
    conn = _properties(
        cloud.load_json(text, "az network vpn-connection show"), "az network vpn-connection show"
    )
    name = str(conn.get("name") or "connection")
    line = cloud.line_of(text, f'"{name}"')
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
    psk = conn.get("connectionType") == "IPsec"
    connection = cloud.tunnel_connection(
        name,
        source,
        psk=psk,
        local_ts=local_ts,
        remote_ts=remote_ts,
        child_proposals=tuple(esp),
        child_life_s=lifetime if isinstance(lifetime, int) else None,
        version=version,
        remote_addrs=_one(str(peer_ip)) if peer_ip else (),
        proposals=tuple(ike),
        psk_fingerprint=cloud.psk_fingerprint(conn.get("sharedKey")),
    )
    fragment = Fragment(connections=[connection], notes=notes)
    tunnels = [t for t in conn.get("tunnelConnectionStatus") or [] if isinstance(t, dict)]
    statuses = [
        (str(t.get("tunnel") or name), t, cloud.line_of(text, f'"{t.get("tunnel")}"'))
        for t in tunnels
    ] or [(name, conn, cloud.line_of(text, '"connectionStatus"'))]
    for tunnel, status, status_line in statuses:
        state = status.get("connectionStatus")
        if not state:
            continue
        cloud.report_status(
            fragment,
            source_ref(ctx, status_line),
            connection,
            str(state),
            up=state == "Connected",
            platform=PLATFORM,
            tunnel=tunnel,
            time=status.get("lastConnectionEstablishedUtcTime") or None,
            bytes_in=cloud.whole(status.get("ingressBytesTransferred")),
            bytes_out=cloud.whole(status.get("egressBytesTransferred")),
        )
    return fragment


@parser(PLATFORM, "az-network-vnet-gateway-show")
def parse_gateway(text: str, ctx: ParseContext) -> Fragment:
    """The gateway: its VPN type and SKU as the software, its public addresses."""
    gateway = _properties(
        cloud.load_json(text, "az network vnet-gateway show"), "az network vnet-gateway show"
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


# `Remote <address>:<port>: Local <address>:<port>: <event>`, as the gateway writes its IKE
# messages (the prefix Microsoft's IKEDiagnosticLog query parses apart)
_ENDPOINTS = re.compile(r"Remote (?P<remote>\S+?):\d+: Local (?P<local>\S+?):\d+: (?P<event>.*)")
# what the gateway did: [SEND], [RECEIVED] or [LOCAL], first word of the event
_ACTION = re.compile(r"\[(?P<action>SEND|RECEIVED|LOCAL)\]")
# IKEErrors.txt: the line under an `Error:` that says which log line it is based on
_BASED_ON = re.compile(r"\s+based on log\s*:")


def _ike_event(line: int, message: str) -> LogEvent:
    found = _ENDPOINTS.search(message)
    event = found["event"] if found else message
    action = _ACTION.match(event)
    causes, direction = match_causes(message, PLATFORM)
    return LogEvent(
        line=line,
        message=message,
        level=action["action"] if action else None,
        subsystem="ike",
        sa_name=found["remote"] if found else None,
        causes=causes,
        direction=direction,
    )


@parser(PLATFORM, "az-monitor-log-analytics-query")
def parse_ike_log(text: str, ctx: ParseContext) -> Fragment:
    """Each IKE message of the gateway a time line event, with the cause tokens of Azure's
    wordings (signatures/azure_vpngw.yml); the on-premises address it names (`Remote`) as
    the event's SA name, the gateway's action ([SEND], [RECEIVED], [LOCAL]) as its level."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if _BASED_ON.match(raw) and lines:
            first, message = lines[-1]
            lines[-1] = (first, f"{message.rstrip()} {raw.strip()}")
        elif raw.strip():
            lines.append((number, raw.strip()))
    if not lines:
        raise ParseError("no IKE log message of the gateway in the text")
    return Fragment(log=[_ike_event(number, message) for number, message in lines])
