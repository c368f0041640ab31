"""What each gateway is configured with, as plain data the faults change.

Both IKE implementations render the same `GatewayConfig`, so a fault means the same thing on
strongSwan and on Libreswan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ipsec_tui.lab.topology import SITE_A, SITE_B, Site


@dataclass(frozen=True)
class GatewayConfig:
    """The knobs of one gateway's tunnel, in strongSwan proposal keywords."""

    local_addr: str
    remote_addr: str
    local_id: str
    remote_id: str
    psk: str
    ike_proposal: str = "aes256-sha256-modp2048"
    esp_proposal: str = "aes256-sha256-modp2048"  # the DH group here is PFS at rekey
    local_ts: str = ""
    remote_ts: str = ""
    mode: str = "tunnel"
    rekey_time_s: int = 3600  # child SA
    ike_rekey_time_s: int = 14400
    initiator: bool = False
    udp_encap: bool = False  # forced when the ESP backend is userspace libipsec


def baseline(site: Site, psk: str, udp_encap: bool) -> GatewayConfig:
    other = SITE_B if site is SITE_A else SITE_A
    return GatewayConfig(
        local_addr=site.wan_addr,
        remote_addr=other.wan_addr,
        local_id=site.ike_id,
        remote_id=other.ike_id,
        psk=psk,
        local_ts=site.lan_net,
        remote_ts=other.lan_net,
        initiator=site is SITE_A,
        udp_encap=udp_encap,
    )


def with_changes(cfg: GatewayConfig, **changes: object) -> GatewayConfig:
    return replace(cfg, **changes)  # type: ignore[arg-type]


def describe_changes(before: GatewayConfig, after: GatewayConfig) -> list[tuple[str, str, str]]:
    """(field, before, after) for every knob that differs; secrets shown as fingerprints."""
    rows = []
    for name in before.__dataclass_fields__:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            if name == "psk":
                old, new = "<secret #1>", "<secret #2, different>"
            rows.append((name, str(old) or "(dynamic)", str(new) or "(dynamic)"))
    return rows
