"""Google Cloud VPN: `gcloud compute vpn-tunnels describe` (YAML by default, or JSON with
`--format=json`; the Compute API's VpnTunnel as a client library prints it, a flow mapping
with quoted keys, reads as YAML): the tunnel's status and detailed status, IKE version, peer
address and traffic selectors. The shared secret is printed masked, so no fingerprint is
read. A status that names a cause (AUTHORIZATION_ERROR, NO_INCOMING_PACKETS,
PEER_IDENTITY_MISMATCH, TS_NARROWING_NOT_ALLOWED) carries its cause tokens
(signatures/gcp_vpn.yml).
"""

from __future__ import annotations

from typing import Any

import yaml

from ipsec_tui.errors import UserError
from ipsec_tui.parsers import cloud
from ipsec_tui.parsers.base import Fragment, ParseContext, ParseError, parser, source_ref
from ipsec_tui.yamlfile import load_yaml_text

PLATFORM = "gcp_vpn"


def _yaml(text: str) -> Any:
    try:
        return load_yaml_text(text, "gcloud compute vpn-tunnels describe")
    except (UserError, yaml.YAMLError) as exc:  # the loader refuses control characters
        raise ParseError(str(exc).splitlines()[0]) from None


def _document(text: str) -> dict[str, Any]:
    if not text.lstrip().startswith("{"):
        data = _yaml(text)
    else:
        try:
            data = cloud.load_json(text, "gcloud compute vpn-tunnels describe --format=json")
        except ParseError as not_json:
            try:  # single-quoted keys: a flow mapping, as a client library prints the object
                data = _yaml(text)
            except ParseError:
                raise not_json from None
    if not isinstance(data, dict) or not (
        data.get("kind") == "compute#vpnTunnel" or "status" in data
    ):
        raise ParseError("not a VPN tunnel as gcloud describes it (no kind or status)")
    return data


@parser(PLATFORM, "gcloud-compute-vpn-tunnels-describe")
def parse_describe(text: str, ctx: ParseContext) -> Fragment:
    """The tunnel: a connection (IKE version, peer address, traffic selectors), its status
    and detailed status as a TUNNEL_STATUS event and, when ESTABLISHED, an IKE SA."""
    tunnel = _document(text)
    name = str(tunnel.get("name") or "tunnel")
    source = source_ref(ctx, cloud.line_of(text, name))
    version = tunnel.get("ikeVersion")
    version = version if version in (1, 2) else None
    peer = tunnel.get("peerIp")
    connection = cloud.tunnel_connection(
        name,
        source,
        version=version,
        remote_addrs=(str(peer),) if peer else (),
        psk=bool(tunnel.get("sharedSecretHash")),  # printed masked: no fingerprint
        local_ts=cloud.texts(tunnel.get("localTrafficSelector")),
        remote_ts=cloud.texts(tunnel.get("remoteTrafficSelector")),
    )
    fragment = Fragment(connections=[connection])
    status = tunnel.get("status")
    if status:
        cloud.report_status(
            fragment,
            source_ref(ctx, cloud.line_of(text, str(status))),
            connection,
            str(status),
            up=status == "ESTABLISHED",
            platform=PLATFORM,
            message=tunnel.get("detailedStatus") or None,
        )
    for key in (
        "vpnGateway",
        "targetVpnGateway",
        "router",
        "peerExternalGateway",
        "peerGcpGateway",
    ):
        if tunnel.get(key):
            fragment.notes.append(f"{name}: {key} {str(tunnel[key]).rsplit('/', 1)[-1]}")
    return fragment
