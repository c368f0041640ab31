"""A hub's log read per tunnel: a line that names another tunnel never makes this tunnel's
cause, a line that names no tunnel is still read and shown.

The hub is the emulated fleet's ASA as recorded (tests/vendors/emulated.py: its `show
logging` is tests/parsers/cisco_asa/show-logging/ikev2-failure-lines.txt, real lines of
several peers): line 1 gives up on the peer 2.3.4.5 (the ASA's configured crypto map peer),
line 2 refuses a TS from a peer it names only by host name, line 3 fails to authenticate the
peer 1.1.1.1 (a PSK failure), lines 4 and 5 are that peer's SA up and its session ended. The
ASA itself is 2.2.2.2 (`Local:` of lines 2 to 4). The spokes are the emulated Junos SRX as
recorded, reached at 2.3.4.5 (tunnel t03) and 1.1.1.1 (tunnel t07).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsec_tui.analysis import Analysis, analyse_captures
from ipsec_tui.checks.pair import events, evidence_of
from ipsec_tui.checks.scope import tunnel_view
from ipsec_tui.collectors.inventory import parse_inventory
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.fleet import plan_fleet, triage, write_tunnel_capture
from ipsec_tui.parsers.base import parse_peer
from tests.fleet.recorded import HUB_HOST, SPOKES, recorded_device

GIVES_UP, TS_REFUSED, PSK_FAILED, SA_UP, SESSION_ENDED = 1, 2, 3, 4, 5


@pytest.fixture(scope="module")
def hub() -> PeerCapture:
    return recorded_device("cisco_asa", "hub-1", HUB_HOST)


@pytest.fixture(scope="module")
def tunnels(hub: PeerCapture) -> dict[str, Analysis]:
    return {
        tunnel: analyse_captures([hub, recorded_device("juniper_junos", f"spoke-{tunnel}", host)])
        for tunnel, host in SPOKES.items()
    }


def hub_lines(analysis: Analysis) -> dict[str, set[int]]:
    """Check id -> the hub's log lines it shows as evidence."""
    shown: dict[str, set[int]] = {}
    for step in analysis.steps:
        for finding in step.findings:
            for item in finding.evidence:
                if item.peer == "hub-1" and item.line_start is not None:
                    lines = range(item.line_start, (item.line_end or item.line_start) + 1)
                    shown.setdefault(finding.check_id, set()).update(lines)
    return shown


def causes(analysis: Analysis) -> set[str]:
    return {ranked.cause for ranked in analysis.diagnosis.causes}


def test_the_psk_failure_of_tunnel_7_is_not_tunnel_3s(tunnels: dict[str, Analysis]) -> None:
    t03, t07 = tunnels["t03"], tunnels["t07"]
    assert t07.diagnosis.cause == "psk-mismatch"
    assert t07.diagnosis.side == "hub-1"
    assert hub_lines(t07)["identity.psk"] == {PSK_FAILED}
    # the same hub log, read for tunnel 3: its peer's line decides, tunnel 7's is not read
    assert t03.diagnosis.cause == "peer-unreachable"
    assert "psk-mismatch" not in causes(t03)
    assert hub_lines(t03) == {"negotiation.retransmits": {GIVES_UP}}
    assert all(GIVES_UP not in lines for lines in hub_lines(t07).values())


def test_a_line_that_names_no_tunnel_is_read_for_every_tunnel(hub: PeerCapture) -> None:
    """Line 2 names only the hub's own address and a host name: whose it is nothing tells,
    so each tunnel's checks read it and cite it as any other line of the hub."""
    model = parse_peer(hub)
    assert model.log[TS_REFUSED - 1].causes == ("ts_mismatch",)
    kept = {}
    for tunnel, host in SPOKES.items():
        spoke = parse_peer(recorded_device("juniper_junos", f"spoke-{tunnel}", host))
        view = tunnel_view(model, spoke)
        assert view is not None
        kept[tunnel] = {event.line for event in view.log}
        shown = evidence_of(view, events(view, "ts_mismatch"))
        assert [(item.line_start, item.text) for item in shown] == [
            (TS_REFUSED, model.log[TS_REFUSED - 1].message)
        ]
    assert kept == {"t03": {GIVES_UP, TS_REFUSED}, "t07": {TS_REFUSED, PSK_FAILED, SA_UP,
                                                          SESSION_ENDED}}  # fmt: skip


def test_a_device_with_one_peer_is_read_whole() -> None:
    """The lab's two gateways serve one tunnel each: nothing is left out of their logs."""
    captures = Path(__file__).resolve().parents[1] / "data" / "captures" / "strongswan" / "psk"
    from ipsec_tui.collectors.capture_io import read_capture

    a, b = (parse_peer(capture) for capture in read_capture(captures))
    assert tunnel_view(a, b) is a
    assert tunnel_view(b, a) is b


def test_the_fleet_row_of_each_tunnel_is_its_check(hub: PeerCapture, tmp_path: Path) -> None:
    """The hub's outputs parsed once for both tunnels give each row what `check` gives on
    that tunnel's capture as written for the cockpit."""
    data = {
        "tunnels": {
            tunnel: {"peers": {
                "hub-1": {"host": HUB_HOST, "platform": "cisco_asa"},
                f"spoke-{tunnel}": {"host": host, "platform": "juniper_junos"},
            }}
            for tunnel, host in SPOKES.items()
        },
        "defaults": {"username": "netops"},
    }  # fmt: skip
    plan = plan_fleet(parse_inventory(data, Path("inv.yml")).tunnels.values())
    captures = {"hub-1": hub} | {
        f"spoke-{tunnel}": recorded_device("juniper_junos", f"spoke-{tunnel}", host)
        for tunnel, host in SPOKES.items()
    }
    result = triage(plan, captures)
    assert result.parses == 3
    assert {row.tunnel: row.cause for row in result.rows} == {
        "t03": "peer-unreachable", "t07": "psk-mismatch"}  # fmt: skip
    for row in result.rows:
        from ipsec_tui.collectors.capture_io import read_capture

        alone = analyse_captures(read_capture(write_tunnel_capture(row, tmp_path / row.tunnel)))
        assert alone.to_dict() == row.analysis.to_dict(), row.tunnel


def test_a_pluto_line_is_known_by_its_connection_and_its_ike_sa_serial() -> None:
    """What ties a line to a tunnel, as pluto writes it: '"lab" #3: ...' names the connection
    and the IKE SA that the peer's status outputs list as #3 (the lab's siteB)."""
    from ipsec_tui.checks.scope import _index_of
    from ipsec_tui.collectors.capture_io import read_capture

    folder = Path(__file__).resolve().parents[1] / "data" / "captures" / "libreswan" / "baseline"
    site_b = parse_peer(read_capture(folder)[1])
    (sa,) = site_b.ike_sas
    assert (sa.name, sa.unique_id) == ("lab", "#3")
    index = _index_of(site_b.log)
    of_sa = {event.line for event in site_b.log if '"lab" #3:' in event.message}
    assert len(of_sa) == 4
    assert {site_b.log[at].line for at in index.keys["3"]} == of_sa
    assert of_sa < {site_b.log[at].line for at in index.names["lab"]}
