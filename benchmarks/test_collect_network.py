"""Per-command overhead on the network CLIs (IOS, ASA, Junos, PAN-OS, FortiOS), no chaining
there: each platform's emulated device (tests/vendors/emulated.py: FakeNOS over real SSH on
127.0.0.1, Netmiko's own driver, real recorded outputs) over one open session. Per command:
before, Netmiko asking the device for its prompt first (``send_command`` without
``expect_string``: an Enter, a fixed wait and a read per command); after, the prompt the
driver found at login given as ``expect_string`` (what the collector does now); and the
floor, one round trip (an Enter and the prompt back). Printed and kept in ``extra_info``,
never asserted as times.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.timing import median_seconds
from ipsec_tui.collectors.ssh import PeerSession, send_read_only
from ipsec_tui.platforms import load_platform

ROUNDS = 3
PLATFORMS = ("cisco_ios", "cisco_asa", "juniper_junos", "paloalto_panos", "fortinet")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_per_command_overhead_on_an_emulated_device(
    benchmark: BenchmarkFixture, platform: str, tmp_path: Path
) -> None:
    # tests/vendors/emulated.py imports its neighbours as pytest does under tests/ (`parsers`)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    pytest.importorskip("fakenos")
    from tests.vendors.emulated import emulate

    spec = load_platform(platform)
    with emulate(platform, tmp_path) as device:
        peer = device.peer()
        commands = list(spec.commands(peer.overrides))
        with PeerSession(peer, spec, password=device.password) as session:
            assert session.prompt is not None, "no prompt learnt at login"
            connection = session._connection
            timeout = peer.command_timeout

            def each(prompt: str | None) -> None:
                for command in commands:
                    send_read_only(connection, command, spec, timeout, prompt)

            def round_trip() -> None:
                connection.write_channel(connection.RETURN)
                connection.read_until_pattern(pattern=re.escape(str(session.prompt)))

            before = median_seconds(lambda: each(None)) / len(commands)
            after = median_seconds(lambda: each(session.prompt)) / len(commands)
            floor = median_seconds(round_trip, 10)
            benchmark.pedantic(lambda: each(session.prompt), rounds=ROUNDS, iterations=1)
    benchmark.extra_info.update(
        {
            "commands": len(commands),
            "before_per_command_ms": round(before * 1000, 1),
            "after_per_command_ms": round(after * 1000, 1),
            "round_trip_ms": round(floor * 1000, 1),
            "after_vs_round_trip": round(after / floor, 2),
        }
    )
    print(
        f"\n{platform} ({len(commands)} commands): per command {before * 1000:.0f} ms before, "
        f"{after * 1000:.0f} ms after; one round trip {floor * 1000:.0f} ms "
        f"({after / floor:.1f}x after, {before / floor:.1f}x before)"
    )
