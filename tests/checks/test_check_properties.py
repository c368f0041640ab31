"""The checks never raise on what a device may print: random, truncated and mixed-up outputs
go through parsing into the checks, and the result still says what it could not use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.bundles import load_captures
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import ParseStatus
from tests.checks.invariants import assert_nothing_lost, assert_ranked, assert_stamped

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures"
REAL = {
    p.name: load_captures([p])
    for p in sorted((CAPTURES / "strongswan").iterdir())
    if (p / "scenario.yml").is_file()
}
ALL_LINES = sorted(
    {
        line
        for caps in REAL.values()
        for cap in caps
        for text in cap.outputs.values()
        for line in text.splitlines()
    }
)


def _check_with(
    captures: list[PeerCapture], texts_of: Callable[[PeerCapture], dict[str, str]]
) -> None:
    """Each capture with the outputs `texts_of` gives in place of its own, then checked."""
    analysis = analyse_captures(
        [replace(cap, outputs={**cap.outputs, **texts_of(cap)}) for cap in captures]
    )
    assert_stamped(analysis)  # every check ran (none crashed), each where the playbook says
    assert_ranked(analysis)
    # nothing disappears: what no parser understood is kept raw and quoted
    assert_nothing_lost(analysis)
    empty = [
        r for p in (analysis.pair.a, analysis.pair.b) if p for r in p.parse_results
        if r.status == ParseStatus.EMPTY
    ]  # fmt: skip
    assert all(r.raw is not None for r in empty)


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.sampled_from(sorted(REAL)), st.data())
def test_random_text_in_place_of_any_output(scenario: str, data: st.DataObject) -> None:
    def random_texts(cap: PeerCapture) -> dict[str, str]:
        files = data.draw(st.lists(st.sampled_from(sorted(cap.outputs)), max_size=4))
        return {f: data.draw(st.text(max_size=400)) for f in files}

    _check_with(REAL[scenario], random_texts)


@SETTINGS
@given(st.sampled_from(sorted(REAL)), st.data())
def test_truncated_outputs(scenario: str, data: st.DataObject) -> None:
    def truncated(cap: PeerCapture) -> dict[str, str]:
        return {
            name: text[: data.draw(st.integers(min_value=0, max_value=len(text)))]
            for name, text in cap.outputs.items()
        }

    _check_with(REAL[scenario], truncated)


@SETTINGS
@given(st.sampled_from(sorted(REAL)), st.data())
def test_lines_mixed_up_across_outputs_and_scenarios(scenario: str, data: st.DataObject) -> None:
    def mixed_up(cap: PeerCapture) -> dict[str, str]:
        lines = st.lists(st.sampled_from(ALL_LINES), max_size=30)
        return {name: "\n".join(data.draw(lines)) for name in cap.outputs}

    _check_with(REAL[scenario], mixed_up)
