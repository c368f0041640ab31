"""Google Cloud VPN: `gcloud compute vpn-tunnels describe` (YAML by default, or JSON with
`--format=json`): the tunnel's status and detailed status, IKE version, peer address and
traffic selectors. The shared secret is printed masked, so no fingerprint is read.
"""

from __future__ import annotations

from typing import Any

import yaml

from ipsec_tui.domain.model import ChildConfig, Connection
from ipsec_tui.errors import UserError
from ipsec_tui.parsers.base import Fragment, ParseContext, ParseError, parser, source_ref
from ipsec_tui.parsers.cloud import line_of, load_json, status_event, texts, up_tunnel
from ipsec_tui.yamlfile import load_yaml_text

PLATFORM = "gcp_vpn"


def _document(text: str) -> dict[str, Any]:
    if text.lstrip().startswith("{"):
        data = load_json(text, "gcloud compute vpn-tunnels describe --format=json")
    else:
        try:
            data = load_yaml_text(text, "gcloud compute vpn-tunnels describe")
        except (UserError, yaml.YAMLError) as exc:  # the loader refuses control characters
            raise ParseError(str(exc).splitlines()[0]) from None
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
    line = line_of(text, name)
    source = source_ref(ctx, line)
    version = tunnel.get("ikeVersion")
    version = version if version in (1, 2) else None
    peer = tunnel.get("peerIp")
    local_ts = texts(tunnel.get("localTrafficSelector"))
    remote_ts = texts(tunnel.get("remoteTrafficSelector"))
    fragment = Fragment(
        connections=[
            Connection(
                name=name,
                version=version,
                remote_addrs=(str(peer),) if peer else (),
                local_auth="psk" if tunnel.get("sharedSecretHash") else None,
                remote_auth="psk" if tunnel.get("sharedSecretHash") else None,
                children=(
                    ChildConfig(
                        name=name,
                        local_ts=local_ts,
                        remote_ts=remote_ts,
                        mode="tunnel",
                        source=source,
                    ),
                ),
                source=source,
            )
        ]
    )
    status = tunnel.get("status")
    if status:
        status_line = line_of(text, str(status))
        fragment.log.append(
            status_event(status_line, name, str(status), tunnel.get("detailedStatus") or None)
        )
        if status == "ESTABLISHED":
            fragment.ike_sas.append(
                up_tunnel(
                    name,
                    source_ref(ctx, status_line),
                    remote_addr=str(peer) if peer else None,
                    version=version,
                    local_ts=local_ts,
                    remote_ts=remote_ts,
                )
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
