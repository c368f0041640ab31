"""The engine: checks found without a list, their verdicts stamped with step and check id,
cause votes held to the diagnosis vocabulary."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ipsec_tui.checks.engine import run_steps
from ipsec_tui.checks.pair import Pair
from ipsec_tui.checks.registry import CHECKS, all_checks, check, verdict
from ipsec_tui.domain.causes import DIAGNOSIS_CAUSES, VOTE_CAUSES
from ipsec_tui.domain.model import CauseVote, Finding, PeerModel, Row, Status

CHECKS_DIR = Path(__file__).resolve().parents[2] / "ipsec_tui" / "checks"


def test_every_check_module_is_found_without_a_list() -> None:
    # the ids the source registers, against what a fresh process discovers
    written = {
        found
        for path in CHECKS_DIR.glob("*.py")
        for found in re.findall(r'^@check\(\s*"([\w.]+)"', path.read_text(), re.M)
    }
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ipsec_tui.checks.registry import all_checks; print(*sorted(all_checks()))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(written) >= 25
    assert set(fresh.stdout.split()) == written


def test_the_engine_stamps_step_and_check_id_even_when_a_check_crashes() -> None:
    @check("test.crashes", "Crashes")
    def crashes(pair: Pair) -> Finding:
        raise RuntimeError("boom")

    @check("test.says", "Says")
    def says(pair: Pair) -> Finding:
        return verdict(Status.WARN, "said", (Row("f", None, None, None), Row("g", "1", None, None)))

    try:
        pair = Pair(PeerModel("siteA", "strongswan"), None)
        [step] = run_steps(pair, [("mine", "Mine", ("test.says", "test.crashes"))])
    finally:
        del CHECKS["test.crashes"], CHECKS["test.says"]
    said, crashed = step.findings
    assert (said.step, said.check_id, said.status) == ("mine", "test.says", Status.WARN)
    assert [r.field for r in said.rows] == ["g"]  # a row unknown on both sides is dropped
    assert (crashed.step, crashed.check_id, crashed.status) == (
        "mine",
        "test.crashes",
        Status.UNKNOWN,
    )
    assert crashed.title == "check failed to run: RuntimeError: boom"
    assert step.status == Status.WARN


def test_a_check_id_is_registered_once() -> None:
    taken = next(iter(all_checks()))
    with pytest.raises(ValueError, match="registered twice"):
        check(taken, "again")(lambda pair: verdict(Status.PASS, "x"))


@pytest.mark.parametrize(
    ("cause", "weight"),
    [("healthy", 1.0), ("unknown", 1.0), ("psk_mismatch", 1.0), ("psk-mismatch", 0.0)],
)
def test_a_vote_outside_the_vocabulary_or_without_weight_is_refused(
    cause: str, weight: float
) -> None:
    with pytest.raises(ValueError):
        CauseVote(cause, None, weight)


def test_every_cause_but_the_outcomes_can_be_voted_for() -> None:
    assert set(VOTE_CAUSES) == set(DIAGNOSIS_CAUSES) - {"healthy", "unknown"}
    assert CauseVote("psk-mismatch", "siteB", 3.0).side == "siteB"
