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


def child_name(number: int) -> str:
    """Child 1 is `lan`, the others `lan2`, `lan3`."""
    return CHILD_NAME if number == 1 else f"{CHILD_NAME}{number}"


def child_net(lan_net: str, number: int) -> str:
    """Child n's subnet beside a site's LAN: 10.1.0.0/24 -> 10.1.(n-1).0/24."""
    octets = lan_net.split("/")[0].split(".")
    octets[2] = str(int(octets[2]) + number - 1)
    return ".".join(octets) + "/" + lan_net.split("/")[1]


def child_addr(addr: str, number: int) -> str:
    """A LAN address moved into child n's subnet: 10.1.0.10 -> 10.1.(n-1).10."""
    octets = addr.split(".")
    octets[2] = str(int(octets[2]) + number - 1)
    return ".".join(octets)


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

    @property
    def netns(self) -> str:
        return f"{PREFIX}{self.name}"

    @property
    def host_netns(self) -> str:
        return f"{PREFIX}host{self.letter}"

    @property
    def wan_if(self) -> str:
        return f"wan{self.letter}"

    @property
    def mgmt_root_if(self) -> str:
        return f"{PREFIX}m{self.letter}"


SITE_A = Site(
    "siteA",
    "A",
    "203.0.113.1",
    "198.51.100.11",
    "10.1.0.0/24",
    "10.1.0.1",
    "10.1.0.10",
    "siteA.lab",
)
SITE_B = Site(
    "siteB",
    "B",
    "203.0.113.2",
    "198.51.100.12",
    "10.2.0.0/24",
    "10.2.0.1",
    "10.2.0.10",
    "siteB.lab",
)
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
