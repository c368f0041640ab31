"""The fleet's plan (each device once) and the inventories it reads (ours and Nornir's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsec_tui.collectors.inventory import (
    load_inventory,
    load_nornir_inventory,
    parse_inventory,
)
from ipsec_tui.errors import UserError
from ipsec_tui.fleet import age_text, plan_fleet, select_tunnels


def hub_inventory(spokes: int) -> dict[str, object]:
    """A hub (one address) with ``spokes`` tunnels, each to its own spoke."""
    return {
        "defaults": {"username": "ops", "platform": "strongswan"},
        "tunnels": {
            f"spoke-{n:02d}": {
                "peers": {"hub-1": {"host": "198.51.100.1"}, f"spoke-{n:02d}": {
                    "host": f"198.51.100.{10 + n}"}},
            }
            for n in range(1, spokes + 1)
        },
    }  # fmt: skip


def test_a_hub_is_one_device_for_all_its_tunnels() -> None:
    inventory = parse_inventory(hub_inventory(40), Path("inv.yml"))
    plan = plan_fleet(inventory.tunnels.values())
    assert len(plan.tunnels) == 40
    assert len(plan.devices) == 41
    hub = plan.devices[0]
    assert hub.name == "hub-1"
    assert len(hub.tunnels) == 40
    assert {plan.devices_of(t.name)[0] for t in plan.tunnels} == {"hub-1"}
    assert plan.devices_of("spoke-07") == ("hub-1", "spoke-07")


def test_same_name_on_two_boxes_stays_two_devices() -> None:
    data = {
        "defaults": {"username": "ops", "platform": "strongswan"},
        "tunnels": {
            "east": {"peers": {"gw": {"host": "198.51.100.1"}, "peer": {"host": "198.51.100.2"}}},
            "west": {"peers": {"gw": {"host": "198.51.100.3"}, "peer": {"host": "198.51.100.2"}}},
        },
    }
    plan = plan_fleet(parse_inventory(data, Path("inv.yml")).tunnels.values())
    assert [d.name for d in plan.devices] == ["gw", "peer", "gw@198.51.100.3:22"]
    assert plan.devices_of("west") == ("gw@198.51.100.3:22", "peer")


def test_tunnel_globs() -> None:
    inventory = parse_inventory(hub_inventory(12), Path("inv.yml"))
    names = [t.name for t in select_tunnels(inventory, ["spoke-0[1-3]", "spoke-12"])]
    assert names == ["spoke-01", "spoke-02", "spoke-03", "spoke-12"]
    assert len(select_tunnels(inventory)) == 12
    with pytest.raises(UserError, match="no tunnel matches 'hub-\\*'") as caught:
        select_tunnels(inventory, ["hub-*"])
    assert caught.value.exit_code == 2


NORNIR_HOSTS = """\
hub-1:
  hostname: 198.51.100.1
  groups: [gateways]
  data:
    ipsec:
      tunnels: {spoke-01: a, spoke-02: a}
spoke-01:
  hostname: 198.51.100.11
  port: 2222
  groups: [gateways]
  data:
    ipsec:
      tunnels: {spoke-01: b}
spoke-02:
  hostname: 198.51.100.12
  platform: cisco_ios
  data:
    ipsec:
      tunnels: {spoke-02: b}
      command_timeout: 60
switch-9:
  hostname: 198.51.100.99
"""
NORNIR_GROUPS = """\
gateways:
  platform: linux
  data:
    ipsec:
      platform: strongswan
      known_hosts: ./known_hosts
"""
NORNIR_DEFAULTS = """\
username: ops
data:
  ipsec:
    timeout: 5
"""


def nornir_folder(tmp_path: Path, hosts: str = NORNIR_HOSTS, **files: str) -> Path:
    (tmp_path / "hosts.yaml").write_text(hosts)
    (tmp_path / "groups.yaml").write_text(files.get("groups", NORNIR_GROUPS))
    (tmp_path / "defaults.yaml").write_text(files.get("defaults", NORNIR_DEFAULTS))
    return tmp_path


def test_nornir_simple_inventory_gives_tunnels(tmp_path: Path) -> None:
    inventory = load_inventory(nornir_folder(tmp_path))
    assert sorted(inventory.tunnels) == ["spoke-01", "spoke-02"]  # switch-9 serves none
    hub, spoke = inventory.tunnel("spoke-01").peers
    assert (hub.name, hub.host, hub.port, hub.platform) == (
        "hub-1",
        "198.51.100.1",
        22,
        "strongswan",
    )
    assert (spoke.name, spoke.port, spoke.username) == ("spoke-01", 2222, "ops")
    assert hub.known_hosts == tmp_path / "known_hosts"  # the group's, relative to the folder
    assert hub.timeout == 5.0  # from defaults' data
    other = inventory.tunnel("spoke-02").peers[1]
    assert (other.platform, other.command_timeout) == ("cisco_ios", 60.0)  # a device_type
    # the hosts file names the same inventory
    assert load_inventory(tmp_path / "hosts.yaml").tunnels.keys() == inventory.tunnels.keys()
    plan = plan_fleet(inventory.tunnels.values())
    assert [d.name for d in plan.devices] == ["hub-1", "spoke-01", "spoke-02"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"defaults": "username: ops\npassword: hunter2\n"}, "'password' is not allowed"),
        ({"hosts": NORNIR_HOSTS.replace("port: 2222", "password: x")}, "'password' is not"),
        ({"hosts": NORNIR_HOSTS.replace("{spoke-02: b}", "{spoke-02: a}")}, "side a is hub-1"),
        (
            {"hosts": NORNIR_HOSTS.replace("{spoke-02: b}", "{spoke-03: b}")},
            "'spoke-02': no host is its side b",
        ),
        ({"hosts": NORNIR_HOSTS.replace("{spoke-01: b}", "{spoke-01: c}")}, "side must be a or b"),
        (
            {"groups": NORNIR_GROUPS.replace("./known_hosts", "./known_hosts\n      foo: 1")},
            "unknown field",
        ),
        (
            {"groups": NORNIR_GROUPS.replace("      platform: strongswan\n", "")},
            "'linux' names none of ours \\(libreswan or strongswan\\?\\)",
        ),
        ({"hosts": NORNIR_HOSTS.replace("[gateways]", "[edge]", 1)}, "no group 'edge'"),
        ({"hosts": "h:\n  hostname: x\n"}, "no host names a tunnel"),
    ],
)
def test_nornir_inventory_refusals(tmp_path: Path, change: dict[str, str], message: str) -> None:
    folder = nornir_folder(tmp_path, change.get("hosts", NORNIR_HOSTS), **{
        k: v for k, v in change.items() if k != "hosts"})  # fmt: skip
    with pytest.raises(UserError, match=message) as caught:
        load_inventory(folder)
    assert caught.value.exit_code == 2


def test_a_folder_without_hosts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is a folder"):
        load_inventory(tmp_path)
    with pytest.raises(UserError, match=r"no hosts\.yaml"):
        load_nornir_inventory(tmp_path)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "-"), (41.6, "42s"), (89, "89s"), (95, "2m"), (5399, "90m"), (5400, "2h"),
     (47 * 3600, "47h"), (48 * 3600, "2d")],
)  # fmt: skip
def test_age_column(seconds: float | None, shown: str) -> None:
    assert age_text(seconds) == shown
