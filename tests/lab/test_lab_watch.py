"""`ipsec-tui watch` against the real lab (strongSwan on both gateways), one bring-up for
the module: the pfs fault works until the first rekey, which the fault forces, and the watch
sees the rekey refused and names it, with the side to fix; the lifetime fault with short
timers makes siteB rekey every ~20 s against siteA's hour, and the watch sees those rekeys
(the SPIs change) and names the lifetime mismatch on siteB. Every sample is written as a
capture folder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.lab import core, faults, gateway, topology
from tests.lab.conftest import bring_up

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab() -> Iterator[core.Lab]:
    yield from bring_up("strongswan")


def _watch_fault(
    lab: core.Lab, tmp_path: Path, fault: str, interval: int, duration: int, **how: bool
) -> tuple[list[str], dict[str, Any]]:
    """Inject `fault`, run the real `ipsec-tui watch --json` on the lab's tunnel, reset;
    (what the fault printed, the watch's JSON). A watch that names a problem exits 1."""
    printed = faults.inject(lab, fault, **how)
    try:
        done = subprocess.run(
            [
                sys.executable, "-m", "ipsec_tui.cli", "watch", "--json",
                "-i", str(topology.lab_dir() / "inventory.yml"), "-t", "lab",
                "--interval", str(interval), "--duration", str(duration),
                "--out", str(tmp_path / "watch"),
            ],
            capture_output=True, text=True, timeout=duration + 90,
        )  # fmt: skip
    finally:
        faults.reset(lab)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    return printed, json.loads(done.stdout)


def test_watch_names_pfs_after_the_rekey(lab: core.Lab, tmp_path: Path) -> None:
    _, data = _watch_fault(lab, tmp_path, "pfs", 2, 6)
    assert (data["diagnosis"]["cause"], data["diagnosis"]["side"]) == ("pfs-mismatch", "siteB")
    kinds = {event["kind"] for event in data["events"]}
    assert "rekey-failed" in kinds, kinds
    assert len(data["folders"]) == data["samples"] >= 3
    first = read_capture(tmp_path / "watch" / Path(data["folders"][0]).name)
    assert [p.name for p in first] == ["siteA", "siteB"]


_SPIS = re.compile(r"SPIs in/out (\w+)/(\w+) -> (\w+)/(\w+)")


def test_watch_sees_the_short_lifetime_rekeys(lab: core.Lab, tmp_path: Path) -> None:
    printed, data = _watch_fault(lab, tmp_path, "lifetime", 5, 50, short_timers=True)
    assert any("rekey_time_s: 3600 -> 20" in line for line in printed), printed
    diagnosis = data["diagnosis"]
    assert (diagnosis["cause"], diagnosis["side"]) == ("lifetime-mismatch", "siteB"), diagnosis
    # siteB started the rekeys (one every ~20 s in 50 s), siteA none
    assert data["rekeys_initiated"]["siteB"] >= 2, data["rekeys_initiated"]
    assert data["rekeys_initiated"]["siteA"] == 0
    rekeys = [e for e in data["events"] if e["kind"] == "child-rekey"]
    assert {e["peer"] for e in rekeys} == {"siteA", "siteB"}, data["events"]
    for event in rekeys:  # each one a new pair of SPIs on the child SA `lan`
        found = _SPIS.search(event["detail"])
        assert found and found.group(1, 2) != found.group(3, 4), event
        assert event["subject"].endswith("/lan")
    assert not {"rekey-failed", "child-down", "ike-down"} & {e["kind"] for e in data["events"]}


def test_watch_names_pfs_at_its_own_first_rekey(lab: core.Lab, tmp_path: Path) -> None:
    """With short timers nothing forces the rekey: siteA's own comes ~25 s after the tunnel
    is up, and the watch sees the child SA work until then, then the refused rekey."""
    printed, data = _watch_fault(lab, tmp_path, "pfs", 5, 35, short_timers=True)
    assert not any("forced" in line for line in printed), printed
    assert (data["diagnosis"]["cause"], data["diagnosis"]["side"]) == ("pfs-mismatch", "siteB")
    failed = [e for e in data["events"] if e["kind"] == "rekey-failed"]
    assert failed and failed[0]["sample"] >= 2, data["events"]  # not in the first sample
    assert failed[0]["elapsed_s"] >= 10


def test_watch_names_a_flapping_path(lab: core.Lab, tmp_path: Path) -> None:
    """siteB's WAN link drops twice for ~24 s (a helper that then exits): each time DPD
    declares the peer dead and siteA brings the tunnel back once the path returns."""
    printed, data = _watch_fault(lab, tmp_path, "flapping", 3, 75)
    pid = int(re.findall(r"helper \(PID (\d+)\)", " ".join(printed))[0])
    assert not gateway.alive(pid) and lab.state.helpers == []  # it ended, and is forgotten
    assert data["diagnosis"]["cause"] == "flapping-path", data["diagnosis"]
    events = [(e["peer"], e["kind"]) for e in data["events"]]
    downs = [at for at, event in enumerate(events) if event == ("siteA", "ike-down")]
    assert len(downs) >= 2, events
    assert ("siteA", "ike-up") in events[downs[1] :], events  # back after the second drop
    assert any(kind in ("dpd", "retransmit") for _, kind in events), events


def test_reset_stops_the_flapping_helper_by_its_pid(lab: core.Lab) -> None:
    faults.inject(lab, "flapping")
    [(pid, started)] = lab.state.helpers
    assert gateway.live_helpers(lab.state.helpers) == [pid]
    assert gateway.start_time(pid) == started
    faults.reset(lab)  # while the link is down: reset kills the helper, brings the link up
    assert not gateway.alive(pid) and lab.state.helpers == []
    assert lab.established() and lab.traffic() == (True, True)
