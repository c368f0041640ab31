"""Shared test set-up: tests marked `lab` need root and the lab's packages, else they skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def lab_skip_reason(impl_b: str = "strongswan") -> str | None:
    if os.geteuid() != 0:
        return "needs root: the lab uses network namespaces and IKE daemons"
    from ipsec_tui.lab.core import missing_packages

    missing = missing_packages(impl_b)
    if missing:
        return f"lab packages missing ({', '.join(missing)}): run `ipsec-tui lab deps`"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = lab_skip_reason()
    if reason is None:
        return
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


# The playbook's steps in the order an expert works, as the README lists them: the tests that
# check the order (playbook, analysis, cockpit) hold it against this one list.
EXPERT_STEPS = [
    "collection",
    "negotiation",
    "sas",
    "identity",
    "proposals",
    "selectors",
    "path",
    "rekey",
]

# The recorded captures: every scenario (a folder with scenario.yml) of every implementation,
# and the test id each takes, implementation-scenario.
CAPTURES = Path(__file__).resolve().parent / "data" / "captures"
SCENARIOS = sorted(p for p in CAPTURES.glob("*/*") if (p / "scenario.yml").is_file())


def scenario_id(path: Path) -> str:
    return f"{path.parent.name}-{path.name}"
