"""`ipsec-tui watch` against the real lab (strongSwan on both gateways): the pfs fault works
until the first rekey, which the fault forces; the watch sees the rekey refused and names it,
with the side to fix; every sample is written as a capture folder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.lab import core, faults, topology
from tests.lab.conftest import bring_up

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab() -> Iterator[core.Lab]:
    yield from bring_up("strongswan")


def test_watch_names_pfs_after_the_rekey(lab: core.Lab, tmp_path: Path) -> None:
    faults.reset(lab)
    faults.FAULTS["pfs"].inject(lab)
    try:
        done = subprocess.run(
            [
                sys.executable, "-m", "ipsec_tui.cli", "watch", "--json",
                "-i", str(topology.lab_dir() / "inventory.yml"), "-t", "lab",
                "--interval", "2", "--duration", "6", "--out", str(tmp_path / "watch"),
            ],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        faults.reset(lab)
    assert "Traceback" not in done.stderr, done.stderr
    data = json.loads(done.stdout)
    assert (data["diagnosis"]["cause"], data["diagnosis"]["side"]) == ("pfs-mismatch", "siteB")
    assert done.returncode == 1
    kinds = {event["kind"] for event in data["events"]}
    assert "rekey-failed" in kinds, kinds
    assert len(data["folders"]) == data["samples"] >= 3
    first = read_capture(tmp_path / "watch" / Path(data["folders"][0]).name)
    assert [p.name for p in first] == ["siteA", "siteB"]
