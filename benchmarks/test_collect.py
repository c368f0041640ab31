"""Collection on the real lab (root) against its floor, one chained SSH exec of the same
commands, each figure before (one command at a time) and after (one compound line) in the
same run; nothing here is asserted as a time, the ratios are printed and kept in
``extra_info`` (issue 15's targets: a Linux peer at most 2x one chained exec, both peers
at most 1.1x the slower one alone, a watch sample on open sessions at most 1.5x one chained
exec). The lab runs siteA on strongSwan and siteB on Libreswan, so both Linux platforms
count. Without the lab: one compound line against one command at a time over a local sshd.
"""

from __future__ import annotations

import functools
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import paramiko
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.timing import median_seconds
from ipsec_tui.collectors import ssh
from ipsec_tui.collectors.capture_io import write_peer
from ipsec_tui.collectors.inventory import PeerConfig, Tunnel, load_inventory
from ipsec_tui.collectors.run import collect_tunnel, open_sessions
from ipsec_tui.collectors.ssh import PeerSession, collect_peer
from ipsec_tui.lab import core, topology
from ipsec_tui.platforms import PlatformSpec, load_platform
from ipsec_tui.watch import collect_over, sample_commands
from tests.collectors.sshd_server import peer_config, start_sshd
from tests.conftest import lab_skip_reason

SITE_B = "libreswan"


@pytest.fixture(scope="module")
def tunnel() -> Iterator[Tunnel]:
    reason = lab_skip_reason(SITE_B)
    if reason:
        pytest.skip(reason)
    core.down(quiet=True)
    core.up(SITE_B)
    yield load_inventory(topology.lab_dir() / "inventory.yml").tunnel("lab")
    core.down(quiet=True)


def _specs(tunnel: Tunnel, *, lines: bool) -> dict[str, PlatformSpec]:
    """Each peer's shipped platform, with its compound lines (after) or without (before)."""
    specs = {peer.name: load_platform(peer.platform) for peer in tunnel.peers}
    assert all(spec.compound is not None for spec in specs.values())
    return specs if lines else {name: replace(s, compound=None) for name, s in specs.items()}


def _login(peer: PeerConfig) -> paramiko.SSHClient:
    """A plain paramiko login with the peer's key, its host key checked."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(peer.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        peer.host,
        port=peer.port,
        username=peer.username,
        key_filename=str(peer.key_file) if peer.key_file else None,
        look_for_keys=peer.key_file is None,
        allow_agent=False,
        timeout=peer.timeout,
    )
    return client


def _exec(transport: paramiko.Transport | None, commands: list[str]) -> None:
    """One exec channel running ``commands`` chained with `;`, read to its end."""
    assert transport is not None
    channel = transport.open_session()
    channel.exec_command("; ".join(commands))
    channel.makefile("rb").read()
    channel.makefile_stderr("rb").read()
    channel.recv_exit_status()
    channel.close()


def _chained_login(peer: PeerConfig, commands: list[str]) -> None:
    """The floor of a collection: log in, one chained exec of its commands, log out."""
    client = _login(peer)
    try:
        _exec(client.get_transport(), commands)
    finally:
        client.close()


def _in_parallel(jobs: list[Callable[[], object]]) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_linux_peer_against_one_chained_exec(benchmark: BenchmarkFixture, tunnel: Tunnel) -> None:
    """Each peer alone, login to logout: one chained exec, then the collection one command
    at a time (before) and as one compound line (after)."""
    figures: dict[str, float] = {}
    lines = _specs(tunnel, lines=True)
    alone = _specs(tunnel, lines=False)
    report = []
    for peer in tunnel.peers:
        commands = list(lines[peer.name].commands(peer.overrides))
        chained = median_seconds(lambda p=peer, c=commands: _chained_login(p, c))
        before = median_seconds(lambda p=peer: collect_peer(p, alone[p.name]))
        after = median_seconds(lambda p=peer: collect_peer(p, lines[p.name]))
        figures.update(
            {
                f"{peer.name}_chained_exec_s": round(chained, 3),
                f"{peer.name}_one_by_one_s": round(before, 3),
                f"{peer.name}_compound_s": round(after, 3),
                f"{peer.name}_before_vs_chained": round(before / chained, 2),
                f"{peer.name}_after_vs_chained": round(after / chained, 2),
            }
        )
        report.append(
            f"{peer.name} ({peer.platform}, {len(commands)} commands): chained exec "
            f"{chained:.2f}s; one by one {before:.2f}s ({before / chained:.2f}x), compound "
            f"{after:.2f}s ({after / chained:.2f}x; target 2x)"
        )
    first = tunnel.peers[0]
    benchmark.pedantic(lambda: collect_peer(first, lines[first.name]), rounds=3, iterations=1)
    benchmark.extra_info.update(figures)
    print("\n" + "\n".join(report))


def _alone(peer: PeerConfig, spec: PlatformSpec, folder: Path) -> None:
    """One peer as collect_tunnel's worker does it: collect, then write (redacted)."""
    write_peer(folder / peer.name, collect_peer(peer, spec, password=None))


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine (every core, the lab's servers too) spent busy so far:
    /proc/stat's first line, all but idle and iowait."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _costs(fn: Callable[[], object], rounds: int = 5) -> tuple[float, float, float]:
    """Medians over ``rounds`` calls of ``fn``: wall seconds, the machine's busy CPU seconds
    and this process's (the client's) CPU seconds."""
    wall, machine, client = [], [], []
    for _ in range(rounds):
        cpu0, own0, start = _machine_busy_seconds(), time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - start)
        machine.append(_machine_busy_seconds() - cpu0)
        client.append(time.process_time() - own0)
    return statistics.median(wall), statistics.median(machine), statistics.median(client)


def _floor_pair(tunnel: Tunnel, report: list[str]) -> dict[str, float]:
    """The floor's own pair ratio, on this machine, in this run: one chained exec per peer,
    login included, each alone and both at once; with the machine's CPU seconds of each."""
    specs = _specs(tunnel, lines=True)
    jobs: list[Callable[[], object]] = [
        lambda p=peer: _chained_login(p, list(specs[p.name].commands(p.overrides)))
        for peer in tunnel.peers
    ]
    single = [_costs(job) for job in jobs]
    together = _costs(lambda: _in_parallel(jobs))
    slower = max(single)
    ratio = together[0] / slower[0]
    report.append(
        f"floor (one chained exec per peer, login included): siteA alone {single[0][0]:.2f}s, "
        f"siteB alone {single[1][0]:.2f}s, both {together[0]:.2f}s: {ratio:.2f}x the slower "
        f"peer; machine CPU {slower[1]:.2f}s alone, {together[1]:.2f}s both on "
        f"{os.cpu_count()} cores"
    )
    return {
        "floor_siteA_alone_s": round(single[0][0], 3),
        "floor_siteB_alone_s": round(single[1][0], 3),
        "floor_both_s": round(together[0], 3),
        "floor_both_vs_slower_alone": round(ratio, 2),
        "floor_slower_alone_machine_cpu_s": round(slower[1], 3),
        "floor_both_machine_cpu_s": round(together[1], 3),
    }


def test_both_peers_take_about_as_long_as_the_slower_one(
    benchmark: BenchmarkFixture, tunnel: Tunnel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both peers at once against the slower one alone: one command at a time with
    Netmiko's own waits, compound lines with Netmiko's waits (before), compound lines with
    the event-driven waits (after); and the floor's own pair ratio with the machine's CPU
    seconds (every core: lab servers and client share them) and the client's, so the
    figure shows how much of the gap is this machine and how much is the collector."""
    runs = iter(range(10_000))
    figures: dict[str, float] = _floor_pair(tunnel, report := [])
    driver = ssh.driver_class
    for label, specs, netmiko_waits in (
        ("one_by_one", _specs(tunnel, lines=False), True),
        ("before", _specs(tunnel, lines=True), True),
        ("after", _specs(tunnel, lines=True), False),
    ):
        waits = functools.partial(driver, netmiko_waits=netmiko_waits)
        monkeypatch.setattr(ssh, "driver_class", waits)

        def both(specs: Mapping[str, PlatformSpec] = specs) -> None:
            folder = tmp_path / f"both-{next(runs)}"
            result = collect_tunnel(tunnel, folder, specs=specs, passwords={})
            assert result.ok, result.failures

        costs = [
            _costs(lambda p=peer, s=specs: _alone(p, s[p.name], tmp_path / f"alone-{next(runs)}"))
            for peer in tunnel.peers
        ]
        single = [wall for wall, _, _ in costs]
        slower = max(costs)
        together, machine, client = _costs(both)
        ratio = together / slower[0]
        figures.update(
            {
                f"{label}_siteA_alone_s": round(single[0], 3),
                f"{label}_siteB_alone_s": round(single[1], 3),
                f"{label}_both_s": round(together, 3),
                f"{label}_both_vs_slower_alone": round(ratio, 2),
                f"{label}_slower_alone_machine_cpu_s": round(slower[1], 3),
                f"{label}_both_machine_cpu_s": round(machine, 3),
                f"{label}_slower_alone_client_cpu_s": round(slower[2], 3),
                f"{label}_both_client_cpu_s": round(client, 3),
            }
        )
        report.append(
            f"{label}: siteA alone {single[0]:.2f}s, siteB alone {single[1]:.2f}s, both "
            f"{together:.2f}s: {ratio:.2f}x the slower peer (target 1.1x), "
            f"{together / sum(single):.2f}x the sum; machine CPU {slower[1]:.2f}s alone, "
            f"{machine:.2f}s both (client {slower[2]:.2f}s, {client:.2f}s)"
        )
    monkeypatch.setattr(ssh, "driver_class", driver)
    lines = _specs(tunnel, lines=True)
    benchmark.pedantic(
        lambda: collect_tunnel(tunnel, tmp_path / f"both-{next(runs)}", specs=lines, passwords={}),
        rounds=3,
        iterations=1,
    )
    benchmark.extra_info.update(figures)
    print("\n" + "\n".join(report))


def _watch(
    tunnel: Tunnel, specs: Mapping[str, PlatformSpec], folder: Path, bench: BenchmarkFixture | None
) -> tuple[float, float]:
    """(a watch sample, one chained exec per peer at once) in seconds, over sessions opened
    once; ``bench`` also benchmarks the sample."""
    sessions, errors = open_sessions(tunnel, {}, specs)
    try:
        assert not errors, errors
        sample = collect_over(tunnel, folder, sessions, {}, threading.Event(), specs)
        sample(0)  # the first sample reads each log whole, the next ones from a line on
        samples = iter(range(1, 10_000))
        took = median_seconds(lambda: sample(next(samples)))
        if bench is not None:
            bench.pedantic(lambda: sample(next(samples)), rounds=3, iterations=1)
        jobs: list[Callable[[], object]] = []
        for peer in tunnel.peers:
            commands = sample_commands(specs[peer.name], peer.overrides)
            transport = _transport(sessions[peer.name])
            jobs.append(lambda t=transport, c=commands: _exec(t, c))
        chained = median_seconds(lambda: _in_parallel(jobs))
    finally:
        for session in sessions.values():
            session.close()
    return took, chained


def test_a_watch_sample_on_open_sessions_against_one_chained_exec(
    benchmark: BenchmarkFixture, tunnel: Tunnel, tmp_path: Path
) -> None:
    """A watch's sample (both peers over sessions kept open, written as a capture) against
    one chained exec of the same commands per peer, both at once over the same open SSH
    transports: the floor of a sample once logged in."""
    figures: dict[str, float] = {}
    report = []
    for label in ("before", "after"):
        specs = _specs(tunnel, lines=label == "after")
        bench = benchmark if label == "after" else None
        took, chained = _watch(tunnel, specs, tmp_path / label, bench)
        figures.update(
            {
                f"{label}_sample_s": round(took, 3),
                f"{label}_chained_exec_s": round(chained, 3),
                f"{label}_sample_vs_chained": round(took / chained, 2),
            }
        )
        report.append(
            f"{label}: a watch sample {took * 1000:.0f} ms, one chained exec per peer (at once) "
            f"{chained * 1000:.0f} ms: {took / chained:.2f}x (target 1.5x)"
        )
    benchmark.extra_info.update(figures)
    print("\n" + "\n".join(report))


def _transport(session: PeerSession) -> paramiko.Transport | None:
    """The open session's own SSH transport (an exec channel beside its shell)."""
    client: paramiko.SSHClient = session._connection.remote_conn_pre
    return client.get_transport()


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
            one_by_one = median_seconds(lambda: collect_peer(peer, session=alone), 5)
            compound = median_seconds(lambda: collect_peer(peer, session=lines), 5)
            client = lines._connection.remote_conn_pre  # the same SSH transport, an exec channel

            def chain() -> None:
                _, out, _ = client.exec_command("; ".join(commands))
                out.read()

            chained = median_seconds(chain, 5)
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
