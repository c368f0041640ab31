"""What each gateway is configured with, as plain data the faults change.

Both IKE implementations render the same `GatewayConfig`, so a fault means the same thing on
strongSwan and on Libreswan.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ipsec_tui.lab.topology import SITE_A, SITE_B, Site, child_name, child_net, tunnel_name

# what a fault may change per child (child name -> {field: value})
CHILD_FIELDS = ("esp_proposal", "local_ts", "remote_ts")


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
    ike_version: int = 2  # 1: IKEv1 main mode
    auth: str = "psk"  # psk | cert (a chain per site: root CA -> issuing CA -> gateway)
    children: int = 1  # child n >= 2 carries 10.1.(n-1).0/24 <-> 10.2.(n-1).0/24
    child_changes: dict[str, dict[str, str]] = field(default_factory=dict)
    dpd_delay_s: int = 10  # short, so a dead peer is declared within seconds in the lab
    fragmentation: bool = True  # IKE fragmentation (RFC 7383 / IKEv1 vendor extension)
    tunnel: int = 1  # `lab up --tunnels N`: which connection (tunnel t is `labt`, 1 is `lab`)
    keyingtries: int = 1  # IKE_SA attempts before giving up; 0: for ever

    @property
    def name(self) -> str:
        """The connection's name, also the inventory's tunnel name."""
        return tunnel_name(self.tunnel)

    def child(self, number: int) -> ChildConfig:
        """Child `number` (1-based): its name, selectors and ESP proposal, with any change."""
        name = child_name(number, self.tunnel)
        if number == 1:
            local_ts, remote_ts = self.local_ts, self.remote_ts
        else:
            local_ts = child_net(self.local_ts, number) if self.local_ts else ""
            remote_ts = child_net(self.remote_ts, number) if self.remote_ts else ""
        values = {"esp_proposal": self.esp_proposal, "local_ts": local_ts, "remote_ts": remote_ts}
        values.update(self.child_changes.get(name, {}))
        return ChildConfig(name, **values)

    def all_children(self) -> list[ChildConfig]:
        return [self.child(n) for n in range(1, self.children + 1)]


@dataclass(frozen=True)
class ChildConfig:
    """One child SA's own knobs."""

    name: str
    esp_proposal: str
    local_ts: str
    remote_ts: str


def baseline(
    site: Site,
    psk: str,
    udp_encap: bool,
    *,
    ike_version: int = 2,
    auth: str = "psk",
    children: int = 1,
    tunnel: int = 1,
) -> GatewayConfig:
    other = SITE_B if site is SITE_A else SITE_A
    # tunnel t >= 2: its own identities (labt.siteA.lab) and LAN prefix pair
    prefix = "" if tunnel == 1 else f"{tunnel_name(tunnel)}."
    return GatewayConfig(
        local_addr=site.wan_addr,
        remote_addr=other.wan_addr,
        local_id=prefix + site.ike_id,
        remote_id=prefix + other.ike_id,
        psk=psk,
        local_ts=child_net(site.lan_net, 1, tunnel),
        remote_ts=child_net(other.lan_net, 1, tunnel),
        initiator=site is SITE_A,
        udp_encap=udp_encap,
        ike_version=ike_version,
        auth=auth,
        children=children,
        tunnel=tunnel,
    )


def with_changes(cfg: GatewayConfig, **changes: object) -> GatewayConfig:
    return replace(cfg, **changes)  # type: ignore[arg-type]


def describe_changes(before: GatewayConfig, after: GatewayConfig) -> list[tuple[str, str, str]]:
    """(field, before, after) for every knob that differs; secrets shown as fingerprints."""
    rows = []
    for name in before.__dataclass_fields__:
        old, new = getattr(before, name), getattr(after, name)
        if old != new and name == "child_changes":
            after_children = {c.name: c for c in after.all_children()}
            for child in before.all_children():
                for key in CHILD_FIELDS:
                    was = getattr(child, key)
                    now = getattr(after_children.get(child.name, child), key)
                    if was != now:
                        rows.append((f"child {child.name}: {key}", was, now))
        elif old != new:
            if name == "psk":
                old, new = "<secret #1>", "<secret #2, different>"
            rows.append((name, str(old) or "(dynamic)", str(new) or "(dynamic)"))
    return rows
