"""Run a playbook's steps over two peers: ordered step results, each with its findings."""

from __future__ import annotations

from dataclasses import replace

from ipsec_tui.checks.pair import Pair
from ipsec_tui.checks.registry import all_checks, verdict
from ipsec_tui.checks.scope import tunnel_pair
from ipsec_tui.domain.model import Finding, Status, StepResult

_WORST = {Status.PASS: 0, Status.UNKNOWN: 1, Status.WARN: 2, Status.FAIL: 3}


def worst(statuses: list[Status]) -> Status:
    return max(statuses, key=lambda s: _WORST[s]) if statuses else Status.UNKNOWN


def run_steps(pair: Pair, steps: list[tuple[str, str, tuple[str, ...]]]) -> list[StepResult]:
    """(step id, title, check ids) in order -> step results, each check's verdict stamped
    with its step and check id. A check that crashes becomes an `unknown` finding naming the
    error: one bad check never hides the others. A peer that serves many tunnels is read
    with only its log lines that may be about this one (see ``scope.py``)."""
    checks = all_checks()
    pair = tunnel_pair(pair)
    results = []
    for step_id, title, check_ids in steps:
        findings: list[Finding] = []
        for check_id in check_ids:
            check = checks[check_id]
            try:
                found = check.fn(pair)
            except Exception as exc:  # report, keep going
                found = verdict(Status.UNKNOWN, f"check failed to run: {type(exc).__name__}: {exc}")
            # a row unknown on both sides says nothing: keep the table to what is known
            known = tuple(r for r in found.rows if r.a is not None or r.b is not None)
            findings.append(replace(found, step=step_id, check_id=check.id, rows=known))
        results.append(
            StepResult(step_id, title, worst([f.status for f in findings]), tuple(findings))
        )
    return results
