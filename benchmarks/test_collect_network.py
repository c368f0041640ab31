"""Per-command overhead on the network CLIs (IOS, ASA, Junos, PAN-OS, FortiOS), no chaining
there: each platform's emulated device (tests/vendors/emulated.py: FakeNOS over real SSH on
127.0.0.1, Netmiko's own driver, real recorded outputs) over one open session, and the login.

Per command, in one run: Netmiko asking the device for its prompt first (``send_command``
without ``expect_string``: an Enter, a fixed wait and a read per command); Netmiko's own
waits with the prompt learnt at login as ``expect_string`` (before: a 25 ms sleep before
every read of the output); the collector's event-driven reads (after); and the floor, one
round trip read straight off the paramiko channel (an Enter and the prompt back). The login
(connect to logged in, and logout) with Netmiko's fixed waits and with the event-driven ones.
Printed and kept in ``extra_info``, never asserted as times.
"""

from __future__ import annotations

import functools
import re
import select
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.timing import median_seconds
from ipsec_tui.collectors import ssh
from ipsec_tui.collectors.ssh import PeerSession, send_read_only
from ipsec_tui.platforms import load_platform

ROUNDS = 3
PLATFORMS = ("cisco_ios", "cisco_asa", "juniper_junos", "paloalto_panos", "fortinet")


def _round_trip(channel: Any, prompt: str) -> None:
    """One Enter and the prompt back, read off the paramiko channel as it arrives."""
    channel.sendall(b"\n")
    got = b""
    wanted = prompt.encode()
    deadline = time.monotonic() + 10
    while wanted not in got and time.monotonic() < deadline:
        select.select([channel], [], [], 0.5)
        while channel.recv_ready():
            got += channel.recv(65536)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_per_command_overhead_on_an_emulated_device(
    benchmark: BenchmarkFixture, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tests/vendors/emulated.py imports its neighbours as pytest does under tests/ (`parsers`)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    pytest.importorskip("fakenos")
    from tests.vendors.emulated import emulate

    spec = load_platform(platform)
    driver = ssh.driver_class
    per_command: dict[str, float] = {}
    login: dict[str, float] = {}
    with emulate(platform, tmp_path) as device:
        peer = device.peer()
        commands = list(spec.commands(peer.overrides))
        timeout = peer.command_timeout
        for label, netmiko_waits in (("netmiko", True), ("event", False)):
            monkeypatch.setattr(
                ssh, "driver_class", functools.partial(driver, netmiko_waits=netmiko_waits)
            )

            def log_in_and_out() -> None:
                PeerSession(peer, spec, password=device.password).close()

            login[label] = median_seconds(log_in_and_out)
            with PeerSession(peer, spec, password=device.password) as session:
                assert session.prompt is not None, "no prompt learnt at login"
                connection = session._connection

                def each(prompt: str | None, connection: Any = connection) -> None:
                    for command in commands:
                        send_read_only(connection, command, spec, timeout, prompt)

                if netmiko_waits:
                    per_command["asking"] = median_seconds(lambda: each(None)) / len(commands)
                    per_command["before"] = median_seconds(lambda s=session: each(s.prompt)) / len(
                        commands
                    )
                    continue
                per_command["after"] = median_seconds(lambda s=session: each(s.prompt)) / len(
                    commands
                )
                channel = connection.remote_conn
                prompt = re.sub(r"\s+$", "", str(session.prompt))
                trip = functools.partial(_round_trip, channel, prompt)
                per_command["floor"] = median_seconds(trip, 10)
                benchmark.pedantic(lambda s=session: each(s.prompt), rounds=ROUNDS, iterations=1)
    asking, before, after, floor = (per_command[k] for k in ("asking", "before", "after", "floor"))
    benchmark.extra_info.update(
        {
            "commands": len(commands),
            "asking_prompt_per_command_ms": round(asking * 1000, 1),
            "before_per_command_ms": round(before * 1000, 1),
            "after_per_command_ms": round(after * 1000, 1),
            "round_trip_ms": round(floor * 1000, 1),
            "before_vs_round_trip": round(before / floor, 2),
            "after_vs_round_trip": round(after / floor, 2),
            "login_before_ms": round(login["netmiko"] * 1000, 1),
            "login_after_ms": round(login["event"] * 1000, 1),
        }
    )
    print(
        f"\n{platform} ({len(commands)} commands): per command {asking * 1000:.0f} ms asking "
        f"for the prompt, {before * 1000:.0f} ms before (Netmiko's waits), "
        f"{after * 1000:.0f} ms after (event-driven); one round trip {floor * 1000:.0f} ms "
        f"({before / floor:.2f}x before, {after / floor:.2f}x after); login and logout "
        f"{login['netmiko'] * 1000:.0f} ms before, {login['event'] * 1000:.0f} ms after"
    )
