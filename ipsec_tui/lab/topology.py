"""The lab's fixed shape: namespace names, links and addresses.

Addresses: WAN on 203.0.113.0/24, management on 198.51.100.0/24, LANs on 10.1.0.0/24 and
10.2.0.0/24 inside namespaces only. 192.0.2.0/24 is never used (it can be a real uplink).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PREFIX = "itl-"  # every namespace, link and bridge the lab creates starts with this
MGMT_BRIDGE = f"{PREFIX}mgmt"
MGMT_ROOT_ADDR = "198.51.100.1/24"
MGMT_NET = "198.51.100.0/24"
TUNNEL_NAME = "lab"
CHILD_NAME = "lan"
MAX_CHILDREN = 3
# `lab up --tunnels N`: tunnel t >= 2 carries 10.1.(100+t).0/24 <-> 10.2.(100+t).0/24
MAX_TUNNELS = 64
TUNNEL_OCTET = 100


def child_name(number: int, tunnel: int = 1) -> str:
    """Child 1 is `lan`, the others `lan2`, `lan3`; tunnel t >= 2's one child is `labt-lan`."""
    if tunnel != 1:
        return f"{tunnel_name(tunnel)}-{CHILD_NAME}"
    return CHILD_NAME if number == 1 else f"{CHILD_NAME}{number}"


def tunnel_name(tunnel: int) -> str:
    """Tunnel 1 is `lab` (the connection and the inventory's tunnel), the others `lab2`..."""
    return TUNNEL_NAME if tunnel == 1 else f"{TUNNEL_NAME}{tunnel}"


def _shifted(addr: str, offset: int) -> str:
    """An address or prefix with its third octet moved by `offset`."""
    host, slash, length = addr.partition("/")
    octets = host.split(".")
    octets[2] = str(int(octets[2]) + offset)
    return ".".join(octets) + slash + length


def _offset(child: int, tunnel: int) -> int:
    # children 2 and 3 sit on 10.x.1 and 10.x.2; tunnel t >= 2 on 10.x.(100 + t)
    return child - 1 + (TUNNEL_OCTET + tunnel if tunnel != 1 else 0)


def child_net(lan_net: str, number: int, tunnel: int = 1) -> str:
    """Child n's (or tunnel t's) subnet beside a site's LAN: 10.1.0.0/24 -> 10.1.(n-1).0/24,
    tunnel t: 10.1.(100+t).0/24."""
    return _shifted(lan_net, _offset(number, tunnel))


def child_addr(addr: str, number: int, tunnel: int = 1) -> str:
    """A LAN address moved into child n's (or tunnel t's) subnet: 10.1.0.10 -> 10.1.(n-1).10."""
    return _shifted(addr, _offset(number, tunnel))


@dataclass(frozen=True)
class Site:
    """One gateway with its LAN host."""

    name: str  # siteA / siteB, also the hostname and the inventory peer name
    letter: str
    wan_addr: str  # without prefix length
    mgmt_addr: str
    lan_net: str
    lan_gw: str
    host_addr: str
    ike_id: str
    netns: str  # the gateway's network namespace
    host_netns: str  # its LAN host's
    wan_if: str  # the gateway's end of the WAN link
    mgmt_root_if: str  # the root namespace's end of its management link

    @classmethod
    def numbered(cls, letter: str, n: int) -> Site:
        """Site n: WAN 203.0.113.n, management 198.51.100.1n, LAN 10.n.0.0/24 (gateway .1,
        host .10), IKE identity site<letter>.lab."""
        name = f"site{letter}"
        return cls(
            name=name,
            letter=letter,
            wan_addr=f"203.0.113.{n}",
            mgmt_addr=f"198.51.100.1{n}",
            lan_net=f"10.{n}.0.0/24",
            lan_gw=f"10.{n}.0.1",
            host_addr=f"10.{n}.0.10",
            ike_id=f"{name}.lab",
            netns=f"{PREFIX}{name}",
            host_netns=f"{PREFIX}host{letter}",
            wan_if=f"wan{letter}",
            mgmt_root_if=f"{PREFIX}m{letter}",
        )


SITE_A = Site.numbered("A", 1)  # 203.0.113.1, 198.51.100.11, 10.1.0.0/24
SITE_B = Site.numbered("B", 2)  # 203.0.113.2, 198.51.100.12, 10.2.0.0/24
SITES = (SITE_A, SITE_B)


def site(name: str) -> Site:
    for s in SITES:
        if s.name.lower() == name.lower() or s.letter.lower() == name.lower():
            return s
    raise KeyError(name)


def lab_dir() -> Path:
    """Where the lab keeps its configs, keys, logs, inventory and state (root only)."""
    return Path(os.environ.get("IPSEC_TUI_LAB_DIR", "/var/lib/ipsec-tui/lab"))


def cache_dir() -> Path:
    """Survives `lab down`: unpacked packages that take time to fetch."""
    return Path(os.environ.get("IPSEC_TUI_LAB_CACHE", "/var/cache/ipsec-tui-lab"))
