"""A running lab per IKE implementation on siteB, shared by the tests of a module, and a
helper that collects both peers over real SSH with Netmiko."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import load_inventory
from ipsec_tui.collectors.run import CollectionResult, collect_tunnel
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.lab import core, topology
from tests.conftest import lab_skip_reason


@pytest.fixture(scope="module", params=["strongswan", "libreswan"])
def lab(request: pytest.FixtureRequest) -> Iterator[core.Lab]:
    reason = lab_skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    core.down(quiet=True)
    running, _ = core.up(request.param)
    yield running
    core.down(quiet=True)
    assert core.leftovers() == []


@dataclass
class Collected:
    """Both peers' capture, read back from disk as any later reader would."""

    result: CollectionResult
    peers: dict[str, PeerCapture]

    def text(self, peer: str, command: str) -> str:
        capture = self.peers[peer]
        for record in capture.commands:
            if record.command == command:
                assert record.error is None, f"{peer}: {command}: {record.error}"
                out = capture.output_of(record)
                assert out is not None
                return out
        raise AssertionError(f"{peer}: {command!r} was not collected")

    def log(self, peer: str) -> str:
        capture = self.peers[peer]
        for record in capture.commands:
            if record.command.startswith("cat /var/log/"):
                return capture.output_of(record) or ""
        raise AssertionError(f"{peer}: no log collected")


def collect(tmp_path: Path) -> Collected:
    inventory = load_inventory(topology.lab_dir() / "inventory.yml")
    out = tmp_path / "capture"
    result = collect_tunnel(inventory.tunnel("lab"), out)
    assert result.ok, result.failures
    return Collected(result, {p.name: p for p in read_capture(out)})


_COUNTERS = re.compile(r"^\s+(in|out)\s+[0-9a-f]+(?:_i)?,\s+(\d+) bytes,\s+(\d+) packets", re.M)


def swanctl_packets(list_sas: str) -> dict[str, int]:
    """Packets per direction of the installed child SAs in `swanctl --list-sas` output."""
    totals = {"in": 0, "out": 0}
    for direction, _bytes, packets in _COUNTERS.findall(list_sas):
        totals[direction] += int(packets)
    return totals


def bring_up(impl_b: str = "strongswan", **shape: object) -> Iterator[core.Lab]:
    """A lab of one shape (IKE version, authentication, children) for one test module."""
    reason = lab_skip_reason(impl_b)
    if reason:
        pytest.skip(reason)
    core.down(quiet=True)
    running, _ = core.up(impl_b, **shape)  # type: ignore[arg-type]
    yield running
    core.down(quiet=True)
    assert core.leftovers() == []
