"""Captures in, diagnosis out: the headless engine behind `check`, the cockpit and bundles."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from ipsec_tui.checks.diagnosis import diagnose
from ipsec_tui.checks.engine import run_steps
from ipsec_tui.checks.pair import Pair
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Diagnosis, PeerModel, StepResult
from ipsec_tui.errors import UserError
from ipsec_tui.playbooks import Playbook, default_playbook


@dataclass(frozen=True)
class Analysis:
    pair: Pair
    steps: tuple[StepResult, ...]
    diagnosis: Diagnosis

    @property
    def healthy(self) -> bool:
        return self.diagnosis.cause == "healthy"

    def to_dict(self) -> dict[str, Any]:
        return {
            "diagnosis": {
                "cause": self.diagnosis.cause,
                "side": self.diagnosis.side,
                "summary": self.diagnosis.summary,
                "next_action": self.diagnosis.next_action,
                "causes": [asdict(c) for c in self.diagnosis.causes],
            },
            "peers": [
                {"name": p.name, "platform": p.platform, "host": p.host}
                for p in (self.pair.a, self.pair.b)
                if p
            ],
            "steps": [
                {
                    "id": s.id,
                    "title": s.title,
                    "status": s.status.value,
                    "findings": [_finding(f) for f in s.findings],
                }
                for s in self.steps
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _finding(finding: Any) -> dict[str, Any]:
    data = asdict(finding)
    data["status"] = finding.status.value
    data["causes"] = [asdict(vote) for vote in finding.causes]
    return data


def analyse_models(
    a: PeerModel | None, b: PeerModel | None, playbook: Playbook | None = None
) -> Analysis:
    playbook = playbook or default_playbook()
    pair = Pair(a, b)
    steps = run_steps(pair, [(s.id, s.title, s.checks) for s in playbook.steps])
    return Analysis(pair, tuple(steps), diagnose(pair, steps))


def analyse_captures(captures: list[PeerCapture], playbook: Playbook | None = None) -> Analysis:
    from ipsec_tui.parsers.base import parse_peer

    if not captures or len(captures) > 2:
        raise UserError(f"a check needs one or two peers, got {len(captures)}")
    models = [parse_peer(c) for c in captures]
    return analyse_models(models[0], models[1] if len(models) > 1 else None, playbook)
