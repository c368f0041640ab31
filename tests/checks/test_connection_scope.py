"""One tunnel of several between the same two devices: each peer scoped to the connection
the inventory names for it.

The capture is the lab's, recorded with twelve tunnels (`lab`, `lab2` ... `lab12`) between
the same two strongSwan gateways and three of them broken (psk on lab4, ike-proposal on lab7,
ts on lab10): see tests/data/captures/strongswan/tunnels12-three-faults/SOURCES.md. Both
gateways are collected once; only the connection tells the tunnels apart.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

import pytest
import yaml

from ipsec_tui.analysis import analyse_captures, analyse_models
from ipsec_tui.checks.pair import Pair
from ipsec_tui.checks.scope import connection_view, tunnel_pair
from ipsec_tui.collectors.capture_io import read_capture, write_capture
from ipsec_tui.collectors.inventory import parse_inventory
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import PeerModel
from ipsec_tui.fleet import plan_fleet, triage, write_tunnel_capture
from ipsec_tui.parsers.base import parse_peer
from tests.conftest import CAPTURES

TWELVE = CAPTURES / "strongswan" / "tunnels12-three-faults"
TUNNELS = ["lab", *(f"lab{t}" for t in range(2, 13))]
BROKEN = {
    "lab4": ("psk-mismatch", "siteB"),
    "lab7": ("ike-proposal-mismatch", "siteB"),
    "lab10": ("selector-mismatch", "siteB"),
}
# siteB's log (cat-var-log-charon.log.txt): lines of charon's IKE SA <14>, which lab7's
# initiation became after the fault; it never got a name, only lab7's identities
LAB7_LOOKING, LAB7_NO_CONFIG = 598, 599


@cache
def captures() -> tuple[PeerCapture, ...]:
    return tuple(read_capture(TWELVE))


@cache
def models() -> tuple[PeerModel, ...]:
    return tuple(parse_peer(capture) for capture in captures())


def on(connection: str | None) -> list[PeerCapture]:
    return [dataclasses.replace(c, connection=connection) for c in captures()]


@pytest.mark.parametrize("tunnel", TUNNELS)
def test_each_tunnel_gets_its_own_cause_and_side(tunnel: str) -> None:
    diagnosis = analyse_captures(on(tunnel)).diagnosis
    assert (diagnosis.cause, diagnosis.side) == BROKEN.get(tunnel, ("healthy", None)), (
        diagnosis.summary,
        diagnosis.causes,
    )


def test_without_a_connection_every_tunnel_reads_the_whole_gateway() -> None:
    """Older captures and inventories: the remote peer is all that scopes, and here all
    twelve share it, so every tunnel gets the same verdict (the gap the field closes)."""
    diagnosis = analyse_captures(on(None)).diagnosis
    assert diagnosis.cause != "healthy"
    assert {c.connection for c in read_capture(TWELVE)} == {None}  # recorded before the field


def test_the_view_keeps_only_the_connections_config_and_sas() -> None:
    site_a, site_b = models()
    healthy = connection_view(replace_conn(site_a, "lab5"))
    assert [c.name for c in healthy.connections] == ["lab5"]
    assert len(site_a.connections) == 12
    assert [sa.name for sa in healthy.ike_sas] == ["lab5"]
    assert [ch.name for sa in healthy.ike_sas for ch in sa.child_sas] == ["lab5-lan"]
    assert len(site_a.ike_sas) == 10  # the nine healthy tunnels', and lab10's without a child
    a = connection_view(replace_conn(site_a, "lab4"))
    assert [c.name for c in a.connections] == ["lab4"] and a.ike_sas == ()  # PSK refused
    # the gateway's log holds every tunnel's lines; lab4's view none that name another
    names = {e.sa_name for e in a.log if e.sa_name}
    assert names == {"lab4"}
    assert len(a.log) < len(site_a.log) / 4
    # a line that names no tunnel (the daemon starting) is read for every tunnel
    first = site_a.log[0]
    assert first.sa_name is None and first in a.log
    b = connection_view(dataclasses.replace(site_b, connection="lab10"))
    children = [ch.name for sa in b.ike_sas for ch in sa.child_sas]
    assert children == []  # its child was refused: TS_UNACCEPTABLE
    assert [c.name for c in b.connections] == ["lab10"]


def test_unnamed_lines_go_with_their_ike_sa_id() -> None:
    """Charon's responder writes `<14>` before it knows the connection: the SA id ties the
    line that says there is no peer config to the one naming lab7's identities."""
    site_b = models()[1]
    by_line = {e.line: e for e in site_b.log}
    assert by_line[LAB7_NO_CONFIG].sa_name is None
    assert by_line[LAB7_NO_CONFIG].sa_id == by_line[LAB7_LOOKING].sa_id == "14"
    assert "lab7.siteA.lab" in by_line[LAB7_LOOKING].message
    for tunnel, kept in (("lab7", True), ("lab4", False), ("lab", False)):
        lines = {e.line for e in connection_view(replace_conn(site_b, tunnel)).log}
        assert (LAB7_NO_CONFIG in lines) is kept, tunnel
        assert (LAB7_LOOKING in lines) is kept, tunnel


def replace_conn(model: PeerModel, connection: str) -> PeerModel:
    return dataclasses.replace(model, connection=connection)


def test_a_connection_the_device_does_not_have_keeps_none_and_says_so() -> None:
    site_a = models()[0]
    view = connection_view(replace_conn(site_a, "lab13"))
    assert view.connections == () and view.ike_sas == ()
    assert any("connection 'lab13'" in note and "lab12" in note for note in view.notes)
    pair = tunnel_pair(Pair(replace_conn(site_a, "lab13"), replace_conn(models()[1], "lab13")))
    assert pair.a is not None and pair.a.ike_sas == ()
    assert analyse_models(pair.a, pair.b).diagnosis.cause != "healthy"


def test_the_connection_is_recorded_and_read_back(tmp_path: Path) -> None:
    write_capture(tmp_path / "lab7", on("lab7"), tunnel="lab7")
    assert {c.connection for c in read_capture(tmp_path / "lab7")} == {"lab7"}
    peer_yml = yaml.safe_load((tmp_path / "lab7" / "siteB" / "peer.yml").read_text())
    assert peer_yml["connection"] == "lab7"
    write_capture(tmp_path / "old", on(None))
    assert "connection" not in (tmp_path / "old" / "siteB" / "peer.yml").read_text()


INVENTORY = """
defaults: {username: root, known_hosts: ./known_hosts}
tunnels:
"""


def test_fleet_and_check_agree_per_tunnel(tmp_path: Path) -> None:
    """The fleet scopes each tunnel by the inventory's connection on the gateways collected
    once; the capture it writes for a tunnel records it, so `check` reads the same."""
    text = INVENTORY + "".join(
        f"  {t}:\n    peers:\n"
        f"      siteA: {{host: 198.51.100.11, platform: strongswan, connection: {t}}}\n"
        f"      siteB: {{host: 198.51.100.12, platform: strongswan, connection: {t}}}\n"
        for t in TUNNELS
    )
    inventory = parse_inventory(yaml.safe_load(text), tmp_path / "inventory.yml")
    plan = plan_fleet(inventory.tunnels.values())
    assert [d.name for d in plan.devices] == ["siteA", "siteB"]
    site_a, site_b = captures()
    result = triage(plan, {"siteA": site_a, "siteB": site_b})
    rows = {row.tunnel: (row.cause, row.side) for row in result.rows}
    assert rows == {t: BROKEN.get(t, ("healthy", None)) for t in TUNNELS}
    for tunnel in ("lab4", "lab5", "lab7"):
        folder = write_tunnel_capture(result.row(tunnel), tmp_path / tunnel)
        checked = analyse_captures(read_capture(folder)).diagnosis
        assert (checked.cause, checked.side) == rows[tunnel]
