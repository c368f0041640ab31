"""`ipsec-tui probe` against the real lab (strongSwan on both gateways, one shared bring-up):
real SSH sessions kept open for the collection, the counter readings and the pings, and a
second session per gateway for the packet capture on its WAN; the verdict and the side must
be the injected fault's, the captures must show where the ESP went, and the probe's outputs
are written."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.lab import core, faults, topology
from ipsec_tui.probe import CAPTURE_ENDED
from tests.lab.conftest import bring_up

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab() -> Iterator[core.Lab]:
    yield from bring_up("strongswan")


def _probe(out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [
            sys.executable, "-m", "ipsec_tui.cli", "probe", "--json",
            "-i", str(topology.lab_dir() / "inventory.yml"), "-t", "lab", "-o", str(out), *extra,
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_healthy_tunnel_carries_the_test_both_ways(lab: core.Lab, tmp_path: Path) -> None:
    faults.reset(lab)
    code, data = _probe(tmp_path / "out")
    assert code == 0, data
    diagnosis = data["diagnosis"]
    assert isinstance(diagnosis, dict)
    assert (diagnosis["cause"], diagnosis["side"]) == ("healthy", None)
    rows = data["directions"]
    assert isinstance(rows, list) and len(rows) == 2
    for row in rows:
        assert row["sent"] == row["answered"] == 3
        assert row["unit"] == "packets"
    assert rows[0]["siteA_encrypted"] >= 3 and rows[0]["siteB_decrypted"] >= 3
    # the snapshot and the probe's own commands are written, both peers, with their times
    probe = read_capture(tmp_path / "out" / "probe")
    assert [p.name for p in probe] == ["siteA", "siteB"]
    pings = [r for p in probe for r in p.commands if r.command.startswith("ping ")]
    assert len(pings) == 2 and all(r.started_at and r.finished_at and r.file for r in pings)
    assert (tmp_path / "out" / "probe" / "probe.json").is_file()
    assert {p.name for p in read_capture(tmp_path / "out")} == {"siteA", "siteB"}
    # both WANs were captured during the pings: every SPI's ESP left one and reached the other
    packets = data["packets"]
    assert set(packets) == {"siteA", "siteB"}
    a, b = packets["siteA"], packets["siteB"]
    assert (a["interface"], b["interface"]) == ("wanA", "wanB")
    assert a["error"] is None and b["error"] is None
    # the capture around the pings was ended by the probe once they were done, not at its cap
    assert a["ended"] == b["ended"] == "after the pings", (a, b)
    assert a["esp_out"] and a["esp_out"] == b["esp_in"] and b["esp_out"] == a["esp_in"]
    assert sum(a["esp_out"].values()) >= 6  # 3 tests and 3 answers from siteA
    captured = [r for p in probe for r in p.commands if r.command.startswith("timeout 8 tcpdump")]
    assert len(captured) == 2 and all(r.file for r in captured)
    # each capture ran until shortly after the last ping (or stopped by itself), never failed
    assert all(r.error is None or r.error.startswith(CAPTURE_ENDED) for r in captured)


@pytest.mark.parametrize(
    ("fault", "extra", "cause"),
    [
        ("esp-blocked", (), "esp-blocked"),
        ("udp-blocked", (), "peer-unreachable"),
        (
            "forwarding-off",
            ("--target", "siteA=10.2.0.10", "--target", "siteB=10.1.0.10"),
            "no-return-path",
        ),
        ("nat-exempt", (), "nat-exemption-missing"),
        (
            "no-return-route",
            ("--target", "siteA=10.2.0.10", "--target", "siteB=10.1.0.10"),
            "no-return-path",
        ),
    ],
)
def test_fault_is_found_where_the_packets_vanish(
    lab: core.Lab, tmp_path: Path, fault: str, extra: tuple[str, ...], cause: str
) -> None:
    faults.reset(lab)
    faults.FAULTS[fault].inject(lab, faults.Target())
    try:
        code, data = _probe(tmp_path / "out", *extra)
    finally:
        faults.reset(lab)
    diagnosis = data["diagnosis"]
    assert isinstance(diagnosis, dict)
    assert code == 1
    assert (diagnosis["cause"], diagnosis["side"]) == (cause, faults.FAULTS[fault].site.name)
    assert diagnosis["evidence"], "the rows that show it"
    rows = [row for d in data["directions"] for row in d["packet_rows"]]
    if cause in ("esp-blocked", "no-return-path"):
        # siteA's ESP reaches siteB's WAN and nothing comes back from siteB
        assert any(r.startswith("ESP arrives at siteB") and "nothing comes back" in r for r in rows)
    if cause == "esp-blocked":
        assert "siteB itself drops it" in diagnosis["summary"]
    if cause == "peer-unreachable":
        # siteA's IKE retransmits reach siteB's WAN; siteB's firewall drops them after it
        assert any(r.startswith("IKE reaches siteB") for r in diagnosis["evidence"])
    if cause == "nat-exemption-missing":
        b_to_a = data["directions"][1]["packet_rows"]
        assert any("nothing left siteB" in r for r in b_to_a), b_to_a
