"""Playbooks are validated on load, with errors that name the file and the step."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.bundles import load_captures
from ipsec_tui.errors import UserError
from ipsec_tui.playbooks import load_playbook
from tests.conftest import EXPERT_STEPS

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures"


def test_default_playbook_loads_in_expert_order() -> None:
    playbook = load_playbook()
    assert [s.id for s in playbook.steps] == EXPERT_STEPS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: []", "non-empty list"),
        (
            "steps:\n  - id: x\n    title: X\n    checks: [no.such.check]",
            "unknown check 'no.such.check'",
        ),
        (
            "steps:\n  - id: x\n    title: X\n    checks: [sa.counters]\n"
            "  - id: x\n    title: Y\n    checks: []",
            "used twice",
        ),
        (
            "steps:\n  - id: x\n    title: X\n    checks: [sa.counters, sa.counters]",
            "appears twice",
        ),
        ("steps:\n  - id: x\n    checks: [sa.counters]", "`title`"),
        ("steps:\n  - {id: x, title: X, checks: [], colour: red}", "unknown key(s) colour"),
        ("steps: [\n", "not valid YAML"),
        ("- just a list", "a playbook must be a mapping of description, name, steps"),
    ],
)
def test_bad_playbooks_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_playbook(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_an_expert_reorders_and_trims_without_python(tmp_path: Path) -> None:
    path = tmp_path / "short.yml"
    path.write_text(
        "name: short\nsteps:\n"
        "  - {id: path, title: Path first, checks: [path.firewall]}\n"
        "  - {id: negotiation, title: IKE, checks: [negotiation.retransmits]}\n"
    )
    analysis = analyse_captures(
        load_captures([CAPTURES / "strongswan" / "udp-blocked"]), load_playbook(path)
    )
    assert [s.id for s in analysis.steps] == ["path", "negotiation"]
    assert analysis.diagnosis.cause == "peer-unreachable"
    assert analysis.diagnosis.side == "siteB"
