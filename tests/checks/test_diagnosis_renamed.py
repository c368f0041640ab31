"""The diagnosis does not depend on the lab's names: every recorded scenario, with its
connection and child names, identities and addresses consistently replaced in every output,
gets the same cause and side. (The held-out captures we are measured on use other names.)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.bundles import load_captures
from tests.conftest import SCENARIOS, scenario_id

# Applied in order to every output (not to file names or peer folder names). Identities go
# before the connection name they contain; addresses keep their own octets apart.
RENAMES = (
    (re.compile(r"\bsiteA\.lab\b"), "gw-east.example.net"),
    (re.compile(r"\bsiteB\.lab\b"), "gw-west.example.net"),
    (re.compile(r"(?<![\w/.-])lab(?![\w/-])"), "dc1-to-branch7"),
    (re.compile(r"(?<![\w/.-])lan(\d?)(?![\w/-])"), r"corp\1net"),
    (re.compile(r"\b10\.1\.(?=\d)"), "10.71."),
    (re.compile(r"\b10\.2\.(?=\d)"), "10.82."),
    (re.compile(r"\b203\.0\.113\.1\b"), "203.0.113.61"),
    (re.compile(r"\b203\.0\.113\.2\b"), "203.0.113.62"),
)


def _renamed_copy(scenario: Path, into: Path) -> Path:
    target = into / scenario.name
    shutil.copytree(scenario, target)
    for path in target.rglob("*.txt"):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        for pattern, replacement in RENAMES:
            text = pattern.sub(replacement, text)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    return target


@pytest.mark.parametrize("path", SCENARIOS, ids=scenario_id)
def test_the_diagnosis_survives_other_names(path: Path, tmp_path: Path) -> None:
    original = analyse_captures(load_captures([path])).diagnosis
    renamed_dir = _renamed_copy(path, tmp_path)
    assert any(
        "dc1-to-branch7" in p.read_text(errors="replace") for p in renamed_dir.rglob("*.txt")
    )
    renamed = analyse_captures(load_captures([renamed_dir])).diagnosis
    assert (renamed.cause, renamed.side) == (original.cause, original.side), renamed.summary


@pytest.mark.parametrize("path", SCENARIOS, ids=scenario_id)
def test_the_diagnosis_does_not_depend_on_which_peer_is_a(path: Path) -> None:
    original = analyse_captures(load_captures([path])).diagnosis
    swapped = analyse_captures(load_captures([path / "siteB", path / "siteA"])).diagnosis
    assert (swapped.cause, swapped.side) == (original.cause, original.side), swapped.summary
