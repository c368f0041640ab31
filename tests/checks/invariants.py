"""What every analysis must hold, whatever the outputs: shared by the tests of the checks."""

from __future__ import annotations

from ipsec_tui.analysis import Analysis
from ipsec_tui.domain.model import ParseStatus, Status
from ipsec_tui.playbooks import Playbook, default_playbook


def assert_stamped(analysis: Analysis, playbook: Playbook | None = None) -> None:
    """Each step holds one finding per check of its playbook step, in order, stamped by the
    engine with that step and check id; none of them crashed."""
    playbook = playbook or default_playbook()
    assert [(s.id, [f.check_id for f in s.findings]) for s in analysis.steps] == [
        (s.id, list(s.checks)) for s in playbook.steps
    ]
    for step in analysis.steps:
        for finding in step.findings:
            assert finding.step == step.id, finding
            assert "check failed to run" not in finding.title, finding


def assert_nothing_lost(analysis: Analysis) -> None:
    """An output not (fully) understood keeps its raw text, and the parse finding says so and
    quotes it; when every output was understood the finding passes."""
    kept = [
        result
        for peer in (analysis.pair.a, analysis.pair.b)
        if peer
        for result in peer.parse_results
        if result.status in (ParseStatus.FAILED, ParseStatus.PARTIAL)
    ]
    assert all(result.raw for result in kept), kept
    parse = next(f for s in analysis.steps for f in s.findings if f.check_id == "collection.parse")
    assert parse.status == (Status.UNKNOWN if kept else Status.PASS), parse.title
    assert [e.text for e in parse.evidence] == [(r.raw or "")[:4000] for r in kept]


def assert_ranked(analysis: Analysis) -> None:
    """The diagnosis names the top-ranked cause, or, with no cause voted for, healthy or
    unknown and no side."""
    d = analysis.diagnosis
    if d.causes:
        assert d.cause == d.causes[0].cause and d.side == d.causes[0].side, d
        assert [c.score for c in d.causes] == sorted((c.score for c in d.causes), reverse=True)
    else:
        assert d.cause in ("healthy", "unknown") and d.side is None, d
