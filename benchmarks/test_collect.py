"""Collection time of both lab peers together against each peer alone (root, real lab).

Reported as a ratio measured in one run: both-together / slower-peer-alone. Close to 1.0
means the peers really are collected in parallel; 2.0 would mean one after the other.
Without the lab: one compound line against one command at a time over a local sshd.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ipsec_tui.collectors.inventory import Tunnel, load_inventory
from ipsec_tui.collectors.run import collect_tunnel
from ipsec_tui.collectors.ssh import PeerSession, collect_peer
from ipsec_tui.lab import core, topology
from ipsec_tui.platforms import PlatformSpec
from tests.collectors.sshd_server import peer_config, start_sshd
from tests.conftest import lab_skip_reason

ROUNDS = 3


@pytest.fixture(scope="module")
def tunnel() -> Iterator[Tunnel]:
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    core.up()
    yield load_inventory(topology.lab_dir() / "inventory.yml").tunnel("lab")
    core.down(quiet=True)


def _median_seconds(fn: object, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_both_peers_take_about_as_long_as_the_slower_one(
    benchmark: BenchmarkFixture, tunnel: Tunnel, tmp_path: Path
) -> None:
    runs = iter(range(1000))

    def both() -> None:
        result = collect_tunnel(tunnel, tmp_path / f"both-{next(runs)}", passwords={})
        assert result.ok, result.failures

    def alone(index: int) -> None:
        capture = collect_peer(tunnel.peers[index])
        assert capture.error is None

    single = [_median_seconds(lambda i=i: alone(i)) for i in range(2)]
    together = _median_seconds(both)
    benchmark.pedantic(both, rounds=ROUNDS, iterations=1)
    ratio = together / max(single)
    benchmark.extra_info.update(
        {
            "siteA_alone_s": round(single[0], 3),
            "siteB_alone_s": round(single[1], 3),
            "both_s": round(together, 3),
            "both_vs_slower_alone": round(ratio, 2),
            "both_vs_sum": round(together / sum(single), 2),
        }
    )
    print(
        f"\nsiteA alone {single[0]:.2f}s, siteB alone {single[1]:.2f}s, both {together:.2f}s:"
        f" {ratio:.2f}x the slower peer, {together / sum(single):.2f}x the sum"
    )


def test_one_compound_line_against_one_command_at_a_time(
    benchmark: BenchmarkFixture, tmp_path: Path
) -> None:
    """Fourteen harmless commands (as many as strongSwan's set) over an open session to a
    local sshd: one by one, as one compound line, and one chained exec (the floor)."""
    servers = start_sshd(tmp_path)
    server = next(servers)
    commands = ["uname -a", "date -u", "true", "echo one two", "uname -r", "id -u", "uname -m"] * 2
    data = {"name": "benchlinux", "device_type": "linux", "shell": "posix",
            "facts": {"all": commands}}  # fmt: skip
    alone_spec = PlatformSpec.from_dict(data)
    lines_spec = PlatformSpec.from_dict({**data, "compound": {"timeout": ["uname"]}})
    peer = peer_config(server, command_timeout=30)
    try:
        with PeerSession(peer, alone_spec) as alone, PeerSession(peer, lines_spec) as lines:
            one_by_one = _median_seconds(lambda: collect_peer(peer, session=alone), 5)
            compound = _median_seconds(lambda: collect_peer(peer, session=lines), 5)
            client = lines._connection.remote_conn_pre  # the same SSH transport, an exec channel

            def chain() -> None:
                _, out, _ = client.exec_command("; ".join(commands))
                out.read()

            chained = _median_seconds(chain, 5)
            benchmark.pedantic(lambda: collect_peer(peer, session=lines), rounds=5, iterations=1)
    finally:
        next(servers, None)
    benchmark.extra_info.update(
        {
            "one_by_one_s": round(one_by_one, 3),
            "compound_s": round(compound, 3),
            "chained_exec_s": round(chained, 3),
            "compound_vs_chained": round(compound / chained, 2),
        }
    )
    print(
        f"\n14 commands over a local sshd: one by one {one_by_one * 1000:.0f} ms, one compound "
        f"line {compound * 1000:.0f} ms, one chained exec {chained * 1000:.0f} ms "
        f"({compound / chained:.2f}x the chained exec, {one_by_one / compound:.1f}x faster)"
    )
