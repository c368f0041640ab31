"""The diagnosis on captures recorded from the real lab: every fault, both implementations
of siteB. Machines without root cover the diagnosis through these."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.bundles import load_captures
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Status
from tests.checks.invariants import assert_nothing_lost, assert_ranked, assert_stamped
from tests.conftest import CAPTURES, EXPERT_STEPS, SCENARIOS, scenario_id


def _scenario(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((path / "scenario.yml").read_text())
    return loaded


@pytest.mark.parametrize("path", SCENARIOS, ids=scenario_id)
def test_diagnosis_names_the_injected_cause_and_side(path: Path) -> None:
    expected = _scenario(path)
    analysis = analyse_captures(load_captures([path]))
    d = analysis.diagnosis
    assert d.cause == expected["expected_cause"], (d.summary, d.causes)
    if expected["expected_cause"] == "healthy":
        assert d.side is None
    else:
        # the side to fix is where the fault was made, unless the scenario says otherwise
        # (a restarted daemon leaves the stale SAs on the other side: they are cleared there)
        side = expected.get("expected_side", expected["fault_side"])
        assert d.side == side, (d.summary, d.causes)
        assert d.next_action
    assert_ranked(analysis)
    assert_stamped(analysis)
    # nothing collected was lost: every output parsed, or kept raw in the parse finding
    assert_nothing_lost(analysis)


def test_steps_come_in_the_playbook_order() -> None:
    analysis = analyse_captures(load_captures([CAPTURES / "strongswan" / "baseline"]))
    assert [s.id for s in analysis.steps] == EXPERT_STEPS
    assert all(s.status == Status.PASS for s in analysis.steps), [
        (f.check_id, f.title) for s in analysis.steps for f in s.findings if f.status != Status.PASS
    ]


def test_one_peer_only_still_checks_and_says_what_is_missing() -> None:
    only_a = CAPTURES / "strongswan" / "psk" / "siteA"
    analysis = analyse_captures(load_captures([only_a]))
    d = analysis.diagnosis
    # from the initiator alone a PSK and an identity mismatch look the same
    assert d.cause in ("psk-mismatch", "identity-mismatch")
    considered = {c.cause for c in d.causes}
    assert {"psk-mismatch", "identity-mismatch"} <= considered
    assert "was not collected" in d.summary
    peers = next(f for s in analysis.steps for f in s.findings if f.check_id == "collection.peers")
    assert peers.status == Status.WARN


def test_two_peer_folders_equal_one_capture_folder() -> None:
    capture = CAPTURES / "strongswan" / "ts"
    one = analyse_captures(load_captures([capture])).to_dict()
    two = analyse_captures(load_captures([capture / "siteA", capture / "siteB"])).to_dict()
    assert one == two


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipsec_tui.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_check_json_and_exit_codes(tmp_path: Path) -> None:
    healthy = _cli("check", str(CAPTURES / "strongswan" / "baseline"), "--json")
    assert healthy.returncode == 0, healthy.stderr
    data = json.loads(healthy.stdout)
    assert data["diagnosis"]["cause"] == "healthy"
    assert [s["id"] for s in data["steps"]][:2] == ["collection", "negotiation"]
    assert {"id", "status", "findings"} <= set(data["steps"][0])
    broken = _cli("check", str(CAPTURES / "strongswan" / "psk"), "--json")
    assert broken.returncode == 1
    d = json.loads(broken.stdout)["diagnosis"]
    assert (d["cause"], d["side"]) == ("psk-mismatch", "siteB")
    assert {"cause", "side", "summary", "causes"} <= set(d)
    missing = _cli("check", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    (tmp_path / "bad" / "siteA").mkdir(parents=True)
    (tmp_path / "bad" / "siteA" / "peer.yml").write_text("name: siteA\nplatform: vyos\n")
    unknown = _cli("check", str(tmp_path / "bad"))
    assert unknown.returncode == 2 and "vyos" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    (tmp_path / "empty" / "siteA").mkdir(parents=True)
    (tmp_path / "empty" / "siteA" / "peer.yml").write_text("")
    empty = _cli("check", str(tmp_path / "empty"))
    assert empty.returncode == 2 and "peer.yml" in empty.stderr


def test_human_output_names_cause_side_and_action() -> None:
    res = _cli("check", str(CAPTURES / "strongswan" / "udp-blocked"))
    assert res.returncode == 1
    assert "diagnosis: peer-unreachable" in res.stdout
    assert "fix on siteB" in res.stdout


def test_human_output_to_a_pipe_is_not_cut_at_80_columns() -> None:
    res = _cli("check", str(CAPTURES / "strongswan" / "psk"))
    analysis = analyse_captures(load_captures([CAPTURES / "strongswan" / "psk"]))
    action = analysis.diagnosis.next_action
    assert action and len(action) > 80
    assert f"  next: {action}\n" in res.stdout  # whole, on one line


PER_CHILD = [p for p in SCENARIOS if _scenario(p).get("children", 1) > 1 and _scenario(p)["fault"]]


def test_the_recorded_scenarios_cover_every_kind_the_tests_below_take() -> None:
    # a parametrised test over an empty list passes without running: each list has cases
    kinds = {_scenario(p)["expected_cause"] for p in SCENARIOS}
    assert "healthy" in kinds and len(kinds) >= 10, kinds
    assert len(PER_CHILD) >= 2, PER_CHILD


@pytest.mark.parametrize("path", PER_CHILD, ids=scenario_id)
def test_a_tunnel_with_one_child_down_names_that_child(path: Path) -> None:
    analysis = analyse_captures(load_captures([path]))
    children = next(f for s in analysis.steps for f in s.findings if f.check_id == "sa.children")
    assert children.status == Status.FAIL
    down = [r for r in children.rows if r.match is False]
    up = [r for r in children.rows if r.match is True]
    assert len(down) == 1 and up, children.rows
    # the failing child's own row and the title name it, with the cause's words
    assert down[0].field.removeprefix("child ").split(" / ")[0] in children.title
    assert {vote.cause for vote in children.causes} == {_scenario(path)["expected_cause"]}


def _with_raw_secrets(path: Path, secrets: dict[str, str]) -> list[PeerCapture]:
    """The capture as if written by hand or imported unredacted: each peer's swanctl.conf
    holds a raw key (a test input, not device output) where the redaction mark was."""
    captures = []
    for capture in load_captures([path]):
        outputs = {
            name: re.sub(r"<redacted:fp=\w+>", secrets[capture.name], text)
            if name.endswith("swanctl.conf.txt")
            else text
            for name, text in capture.outputs.items()
        }
        captures.append(replace(capture, outputs=outputs))
    return captures


@pytest.mark.parametrize(
    ("scenario", "secrets"),
    [
        ("psk", {"siteA": "correct horse", "siteB": "battery staple"}),
        ("baseline", {"siteA": "correct horse", "siteB": "correct horse"}),
        ("ts", {"siteA": "correct horse", "siteB": "correct horse"}),
    ],
)
def test_raw_keys_give_the_answer_of_the_redacted_capture(
    scenario: str, secrets: dict[str, str]
) -> None:
    path = CAPTURES / "strongswan" / scenario
    redacted = analyse_captures(load_captures([path]))
    raw = analyse_captures(_with_raw_secrets(path, secrets))
    assert (raw.diagnosis.cause, raw.diagnosis.side) == (
        redacted.diagnosis.cause,
        redacted.diagnosis.side,
    )
    psk = next(f for s in raw.steps for f in s.findings if f.check_id == "identity.psk")
    same = secrets["siteA"] == secrets["siteB"]
    assert psk.status == (Status.PASS if same else Status.FAIL)
    # the keys themselves never reach a finding or the model's dict
    dumped = json.dumps(raw.to_dict()) + repr(raw.pair.a) + repr(raw.pair.b)
    assert not any(secret in dumped for secret in secrets.values())
