"""`ipsec-tui lab up --tunnels 12`: twelve connections between the two gateways, each with
its own selectors and LAN prefix pair, all in the lab's inventory. Three different faults on
three tunnels (`lab fault NAME --tunnel T`); the real `ipsec-tui fleet --json` must name each
broken tunnel's cause and side, call the other nine healthy, and agree with `ipsec-tui check`
on the broken tunnels' bundles. The inventory names each tunnel's connection on both gateways,
which is what tells the checks one tunnel from another here. One bring-up for the module."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipsec_tui.collectors.inventory import load_inventory
from ipsec_tui.lab import core, faults, topology
from tests.lab.conftest import bring_up

pytestmark = pytest.mark.lab
TUNNELS = 12
# tunnel -> (fault, the cause and side the fleet must name)
BROKEN = {
    4: ("psk", "psk-mismatch", "siteB"),
    7: ("ike-proposal", "ike-proposal-mismatch", "siteB"),
    10: ("ts", "selector-mismatch", "siteB"),
}


@pytest.fixture(scope="module")
def lab() -> Iterator[core.Lab]:
    yield from bring_up("strongswan", tunnels=TUNNELS)


def _cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "ipsec_tui.cli", *args],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _installed(lab: core.Lab, site: topology.Site) -> set[str]:
    return lab.state.daemon(site).installed_children(lab.holder(site))


def test_twelve_tunnels_in_the_inventory(lab: core.Lab) -> None:
    names = [topology.tunnel_name(t) for t in range(1, TUNNELS + 1)]
    assert names[:3] == ["lab", "lab2", "lab3"]
    inventory = load_inventory(topology.lab_dir() / "inventory.yml")
    assert set(names) <= set(inventory.tunnels)
    # one remote peer for all: each tunnel names its own connection on both gateways
    for name in names:
        assert [p.connection for p in inventory.tunnel(name).peers] == [name, name]
    assert [p.connection for p in inventory.tunnel(core.PASSWORD_TUNNEL).peers] == ["lab"] * 2
    conf = (core.gateway_dirs(topology.SITE_A).etc / "swanctl" / "swanctl.conf").read_text()
    for t in range(2, TUNNELS + 1):
        assert f"local_ts = 10.1.{100 + t}.0/24\n        remote_ts = 10.2.{100 + t}.0/24" in conf
    wanted = {"lan"} | {f"lab{t}-lan" for t in range(2, TUNNELS + 1)}
    for site in topology.SITES:
        assert _installed(lab, site) == wanted
    assert lab.traffic() == (True, True)


def test_a_gateway_wide_fault_refuses_one_tunnel(lab: core.Lab) -> None:
    done = _cli("lab", "fault", "udp-blocked", "--tunnel", "3")
    assert done.returncode == 2
    assert "udp-blocked cannot be scoped to one tunnel" in done.stderr
    assert _cli("lab", "fault", "psk", "--tunnel", "13").returncode == 2


@pytest.fixture(scope="module")
def fleet(lab: core.Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Three faults on three tunnels, then the real `ipsec-tui fleet --json` over all twelve
    (bundles of the broken ones in the folder returned)."""
    faults.reset(lab)
    for tunnel, (fault, _, _) in BROKEN.items():
        done = _cli("lab", "fault", fault, "--tunnel", str(tunnel))
        assert done.returncode == 0, done.stderr
    broken = {topology.tunnel_name(t) for t in BROKEN}
    for site in topology.SITES:  # only the broken tunnels lost their child SA
        assert {f"{name}-lan" for name in broken}.isdisjoint(_installed(lab, site))
        assert len(_installed(lab, site)) == TUNNELS - len(BROKEN)
    bundles = tmp_path_factory.mktemp("bundles")
    done = _cli(
        "fleet", "--json", "-i", str(topology.lab_dir() / "inventory.yml"),
        "-t", "lab", "-t", "lab[0-9]*", "--bundle-dir", str(bundles),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    rows = {row["tunnel"]: row["diagnosis"] for row in json.loads(done.stdout)["tunnels"]}
    assert sorted(rows) == sorted(topology.tunnel_name(t) for t in range(1, TUNNELS + 1))
    return bundles, rows


def test_fleet_agrees_with_check_on_each_tunnel(
    fleet: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """The broken tunnels' bundles record the connection each peer was scoped to: `check`
    reads them the same way. A healthy tunnel collected on its own (`collect`, which records
    it too) is checked healthy, as the fleet said."""
    bundles, rows = fleet
    for tunnel in BROKEN:
        name = topology.tunnel_name(tunnel)
        assert rows[name]["cause"] != "healthy", name
        checked = _cli("check", "--json", str(bundles / f"{name}.zip"))
        assert checked.returncode == 1, checked.stderr
        diagnosis = json.loads(checked.stdout)["diagnosis"]
        assert (diagnosis["cause"], diagnosis["side"]) == (rows[name]["cause"], rows[name]["side"])
    inventory = str(topology.lab_dir() / "inventory.yml")
    done = _cli("collect", "-i", inventory, "-t", "lab5", "--out", str(tmp_path / "lab5"))
    assert done.returncode == 0, done.stderr
    assert "connection: lab5" in (tmp_path / "lab5" / "siteB" / "peer.yml").read_text()
    checked = _cli("check", "--json", str(tmp_path / "lab5"))
    assert json.loads(checked.stdout)["diagnosis"]["cause"] == rows["lab5"]["cause"] == "healthy"


def test_fleet_names_each_broken_tunnel(fleet: tuple[Path, dict[str, Any]]) -> None:
    _, rows = fleet
    for tunnel, (_, cause, side) in BROKEN.items():
        name = topology.tunnel_name(tunnel)
        assert (rows[name]["cause"], rows[name]["side"]) == (cause, side), (name, rows[name])
    broken = {topology.tunnel_name(t) for t in BROKEN}
    healthy = {name: d["cause"] for name, d in rows.items() if name not in broken}
    assert healthy == dict.fromkeys(healthy, "healthy")
    assert len(healthy) == TUNNELS - len(BROKEN)
