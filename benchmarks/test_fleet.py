"""Fleet triage time for 1, 12 and 200 tunnels, as the ratio to one tunnel's time.

The fleet is an emulated IOS hub (tests/vendors/emulated.py: FakeNOS over real SSH on
127.0.0.1, real recorded outputs) with one emulated spoke per tunnel (Junos, FortiOS, ASA and
PAN-OS in turn): N tunnels are N + 1 devices, each logged in to once on Nornir's threaded
runner (20 workers, its default; 50 too for 200 tunnels), then every tunnel checked. One
round each; the figures are printed and kept in the benchmark's extra_info. The 200-tunnel
runs start 201 devices and run only with --benchmark-enable (`make bench`); `make test`
runs 1 and 12.
The count of parses (one per device, the hub's once for all its tunnels) is asserted here
and in tests/fleet, never the time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ipsec_tui.collectors.inventory import PeerConfig, Tunnel
from ipsec_tui.fleet import FleetResult, collect_fleet, plan_fleet, triage

if TYPE_CHECKING:
    from tests.fleet.emulated_hub import DevicePool
    from tests.vendors.emulated import EmulatedDevice

PASSWORD = "pw-fleet-bench-51c2"
CAPTURES = Path(__file__).resolve().parents[1] / "tests" / "data" / "captures" / "strongswan"
# (tunnels, workers): Nornir's default 20 workers, and 50 for the widest fleet
RUNS = ((1, 20), (12, 20), (200, 20), (200, 50))
SECONDS: dict[tuple[int, int], float] = {}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevicePool]:
    # tests/vendors/emulated.py imports its neighbours as pytest does under tests/ (`parsers`)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tests.fleet.emulated_hub import device_pool

    with device_pool(tmp_path_factory.mktemp("fleet-bench"), PASSWORD) as started:
        yield started


def _tunnels(devices: list[EmulatedDevice], count: int) -> list[Tunnel]:
    hub, *spokes = devices
    peers: list[tuple[PeerConfig, PeerConfig]] = [
        (hub.peer("hub-1"), spoke.peer(f"spoke-{n:03d}"))
        for n, spoke in enumerate(spokes[:count], start=1)
    ]
    return [Tunnel(name=b.name, peers=(a, b)) for a, b in peers]


@pytest.mark.slow
@pytest.mark.parametrize(("count", "workers"), RUNS)
def test_fleet_triage_scales_with_devices(
    benchmark: BenchmarkFixture, pool: DevicePool, count: int, workers: int
) -> None:
    if count > 12 and benchmark.disabled:
        pytest.skip("201 emulated devices only under `make bench` (--benchmark-enable)")
    devices = pool.take(count)
    plan = plan_fleet(_tunnels(devices, count))
    passwords = {(device.username, device.host): PASSWORD for device in devices}
    results: list[FleetResult] = []

    def run() -> None:
        started = time.perf_counter()
        results.append(collect_fleet(plan, passwords=passwords, workers=workers))
        SECONDS[(count, workers)] = time.perf_counter() - started

    benchmark.pedantic(run, rounds=1, iterations=1)
    result = results[-1]
    assert len(result.rows) == count
    assert result.parses == count + 1  # every device once: the hub once for all its tunnels
    failed = len(result.summary.device_errors)
    if workers == 20:  # Nornir's default: every emulated device answers in time here
        assert failed == 0, result.summary.device_errors
    seconds = SECONDS[(count, workers)]
    one = SECONDS.get((1, 20))
    ratio = seconds / one if one else None
    benchmark.extra_info.update(
        {"tunnels": count, "devices": count + 1, "workers": workers, "failed_devices": failed,
         "seconds": round(seconds, 2), "ratio_to_one": round(ratio, 2) if ratio else None}
    )  # fmt: skip
    print(
        f"\nfleet {count} tunnels / {count + 1} devices, {workers} workers: {seconds:.1f} s"
        + (f" ({ratio:.1f}x one tunnel)" if ratio else "")
        + (f", {failed} devices failed" if failed else "")
    )


def test_triage_of_200_tunnels_without_collecting(benchmark: BenchmarkFixture) -> None:
    """The parse and check share of a 200-tunnel fleet: a strongSwan hub whose PSK changed and
    200 spokes, from the lab's recorded capture, parsed once per device and checked."""
    from ipsec_tui.collectors.capture_io import read_capture
    from ipsec_tui.collectors.inventory import parse_inventory

    spokes = {
        f"spoke-{n:03d}": {"peers": {"hub-1": {"host": "198.51.100.1"},
                                     f"spoke-{n:03d}": {"host": f"10.9.{n // 250}.{n % 250 + 1}"}}}
        for n in range(200)
    }  # fmt: skip
    data = {"defaults": {"username": "root", "platform": "strongswan"}, "tunnels": spokes}
    plan = plan_fleet(parse_inventory(data, Path("inventory.yml")).tunnels.values())
    hub, spoke = read_capture(CAPTURES / "psk")
    captures = {"hub-1": hub} | {name: spoke for name in spokes}
    result = benchmark.pedantic(lambda: triage(plan, captures), rounds=3, iterations=1)
    assert result.parses == 201
    assert result.summary.line() == "200 psk-mismatch on hub-1"


def test_emulated_fleet_devices_are_distinct(pool: DevicePool) -> None:
    """Each spoke is a server of its own (its own port and host key), so the plan cannot
    fold them into one device."""
    devices = pool.take(12)
    plan = plan_fleet(_tunnels(devices, 12))
    assert len(plan.devices) == 13
    assert len({device.port for device in devices[:13]}) == 13
    assert Path(devices[1].known_hosts).read_text() != Path(devices[2].known_hosts).read_text()


def test_triage_of_200_tunnels_on_a_hub_read_per_tunnel(benchmark: BenchmarkFixture) -> None:
    """The same share when the hub's log is read per tunnel (checks/scope.py): the emulated
    fleet's ASA as recorded (several peers in its log) and 200 Junos spokes as recorded, each
    reached at an address of its own; two of them at the two peers the ASA's log names."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from ipsec_tui.collectors.inventory import parse_inventory
    from tests.fleet.recorded import HUB_HOST, SPOKES, recorded_device

    hosts = [*SPOKES.values(), *(f"10.9.{n // 250}.{n % 250 + 1}" for n in range(198))]
    tunnels = {
        f"spoke-{n:03d}": {"peers": {
            "hub-1": {"host": HUB_HOST, "platform": "cisco_asa"},
            f"spoke-{n:03d}": {"host": host, "platform": "juniper_junos"}}}
        for n, host in enumerate(hosts)
    }  # fmt: skip
    data = {"defaults": {"username": "netops"}, "tunnels": tunnels}
    plan = plan_fleet(parse_inventory(data, Path("inventory.yml")).tunnels.values())
    captures = {"hub-1": recorded_device("cisco_asa", "hub-1", HUB_HOST)} | {
        name: recorded_device("juniper_junos", name, host)
        for name, host in zip(tunnels, hosts, strict=True)
    }
    result = benchmark.pedantic(lambda: triage(plan, captures), rounds=3, iterations=1)
    assert result.parses == 201
    causes = [row.cause for row in result.rows]
    assert causes[:2] == ["peer-unreachable", "psk-mismatch"]  # the two peers the log names
