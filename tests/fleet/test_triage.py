"""Fleet triage offline, on the lab's recorded captures: each tunnel as `check` sees it, the
summary by cause, the common root, and a hub's outputs parsed once for all its tunnels."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.capture_io import read_capture, write_capture_index, write_peer
from ipsec_tui.collectors.inventory import parse_inventory
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import PeerModel
from ipsec_tui.fleet import (
    CSV_COLUMNS,
    FleetPlan,
    plan_fleet,
    summary_lines,
    table_lines,
    to_csv,
    triage,
)
from ipsec_tui.parsers.base import parse_peer

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures" / "strongswan"
# twelve tunnels, three broken three ways (as `lab up --tunnels 12` plus three faults would)
SCENARIOS = ["baseline"] * 12
SCENARIOS[2], SCENARIOS[6], SCENARIOS[9] = "psk", "udp-blocked", "ts"


def pairs_inventory(count: int) -> FleetPlan:
    """``count`` tunnels between pairs of gateways of their own, peers named as recorded."""
    tunnels = {
        f"t{n:02d}": {"peers": {
            "siteA": {"host": f"198.51.100.{10 + n}"}, "siteB": {"host": f"203.0.113.{10 + n}"}}}
        for n in range(count)
    }  # fmt: skip
    data = {"defaults": {"username": "root", "platform": "strongswan"}, "tunnels": tunnels}
    return plan_fleet(parse_inventory(data, Path("inv.yml")).tunnels.values())


@pytest.fixture(scope="module")
def fleet_of_twelve() -> tuple[FleetPlan, dict[str, PeerCapture]]:
    plan = pairs_inventory(len(SCENARIOS))
    captures: dict[str, PeerCapture] = {}
    for tunnel, scenario in zip(plan.tunnels, SCENARIOS, strict=True):
        a, b = read_capture(CAPTURES / scenario)
        device_a, device_b = plan.devices_of(tunnel.name)
        captures[device_a], captures[device_b] = a, b
    return plan, captures


def test_twelve_tunnels_three_faults(fleet_of_twelve: tuple[FleetPlan, dict[str, PeerCapture]]):
    plan, captures = fleet_of_twelve
    result = triage(plan, captures)
    causes = {row.tunnel: row.cause for row in result.rows}
    broken = {tunnel: cause for tunnel, cause in causes.items() if cause != "healthy"}
    assert broken == {"t02": "psk-mismatch", "t06": "peer-unreachable", "t09": "selector-mismatch"}
    assert result.summary.healthy == 9
    assert not result.healthy
    assert result.row("t02").side == "siteB"  # the lab's psk fault is on siteB
    assert result.row("t02").failing_step == "IKE negotiation"
    assert result.summary.common_roots == ()  # three causes on three pairs: no shared root
    assert result.parses == 24  # every device once


def test_each_row_agrees_with_check(fleet_of_twelve: tuple[FleetPlan, dict[str, PeerCapture]]):
    plan, captures = fleet_of_twelve
    result = triage(plan, captures)
    for row, scenario in zip(result.rows, SCENARIOS, strict=True):
        alone = analyse_captures(read_capture(CAPTURES / scenario)).to_dict()
        assert row.analysis.to_dict() == alone, row.tunnel


def test_json_and_csv_agree_with_the_table(
    fleet_of_twelve: tuple[FleetPlan, dict[str, PeerCapture]],
) -> None:
    plan, captures = fleet_of_twelve
    result = triage(plan, captures)
    data = json.loads(result.to_json())
    assert [t["tunnel"] for t in data["tunnels"]] == [f"t{n:02d}" for n in range(12)]
    assert data["tunnels"][9]["peers"] == ["siteA", "siteB"]
    assert data["tunnels"][9]["diagnosis"]["cause"] == "selector-mismatch"
    assert data["tunnels"][9]["diagnosis"]["side"] == "siteB"
    assert data["summary"]["by_cause"]["peer-unreachable"] == ["t06"]
    assert len(data["summary"]["by_cause"]["healthy"]) == 9
    rows = list(csv.DictReader(io.StringIO(to_csv(result))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["tunnel"], r["cause"], r["side"]) for r in rows] == [
        (t["tunnel"], t["diagnosis"]["cause"], t["diagnosis"]["side"] or "")
        for t in data["tunnels"]
    ]
    table = table_lines(result)
    assert table[0].split()[:3] == ["tunnel", "peers", "cause"]
    assert "t02" in table[3] and "psk-mismatch" in table[3] and "siteB" in table[3]
    assert summary_lines(result)[0].startswith("12 tunnels, 9 healthy: 1 psk-mismatch;")


def hub_plan(spokes: int) -> FleetPlan:
    tunnels = {
        f"spoke-{n:02d}": {"peers": {"hub-1": {"host": "198.51.100.1"},
                                     f"spoke-{n:02d}": {"host": f"203.0.113.{10 + n}"}}}
        for n in range(1, spokes + 1)
    }  # fmt: skip
    data = {"defaults": {"username": "root", "platform": "strongswan"}, "tunnels": tunnels}
    return plan_fleet(parse_inventory(data, Path("inv.yml")).tunnels.values())


def test_a_hub_is_parsed_once_and_named_the_common_root() -> None:
    """A hub whose PSK changed: every spoke fails the same way. Its outputs are parsed once
    (counted on the real parser, not timed), and the summary names it."""
    plan = hub_plan(8)
    hub, spoke = read_capture(CAPTURES / "psk")
    captures = {"hub-1": hub} | {f"spoke-{n:02d}": spoke for n in range(1, 9)}
    parsed: Counter[str] = Counter()

    def counting(capture: PeerCapture) -> PeerModel:
        parsed[capture.name] += 1
        return parse_peer(capture)

    result = triage(plan, captures, parse=counting)
    assert parsed["hub-1"] == 1
    assert sum(parsed.values()) == result.parses == 9
    assert {row.cause for row in result.rows} == {"psk-mismatch"}
    (root,) = result.summary.common_roots
    assert (root.cause, root.device, len(root.tunnels), root.serves) == (
        "psk-mismatch", "hub-1", 8, 8)  # fmt: skip
    assert result.summary.line() == "8 psk-mismatch on hub-1"
    assert "likely common root: psk-mismatch on hub-1 (8 of its 8 tunnels" in "\n".join(
        summary_lines(result)
    )


def test_a_device_not_collected_still_gives_its_tunnels_a_row() -> None:
    plan = hub_plan(3)
    hub, spoke = read_capture(CAPTURES / "baseline")
    result = triage(
        plan,
        {"hub-1": hub, "spoke-01": spoke, "spoke-02": spoke},
        device_errors={"spoke-03": "not collected: stopped before this device was reached"},
        interrupted=True,
    )
    assert [row.cause for row in result.rows][:2] == ["healthy", "healthy"]
    assert result.rows[2].cause != "healthy"
    assert result.rows[2].captures[1].error == "not collected"
    assert result.to_dict()["summary"]["interrupted"] is True
    assert "spoke-03" in result.summary.device_errors


def test_the_fleet_row_equals_check_on_the_written_tunnel(tmp_path: Path) -> None:
    """What the cockpit opens from the fleet screen: the tunnel's two peers written as a
    capture folder, read back and checked, give the row's diagnosis."""
    plan = hub_plan(2)
    hub, spoke = read_capture(CAPTURES / "ts")
    result = triage(plan, {"hub-1": hub, "spoke-01": spoke, "spoke-02": spoke})
    row = result.row("spoke-02")
    for capture in row.captures:
        write_peer(tmp_path / capture.name, capture)
    write_capture_index(tmp_path, row.tunnel, list(row.peers))
    again = analyse_captures(read_capture(tmp_path))
    assert again.diagnosis == row.analysis.diagnosis
    assert row.cause == "selector-mismatch"
