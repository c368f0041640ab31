"""Analysis time (parse + checks): a capture whose peers each carry 2,000 child SAs, per SA,
against the 1-SA baseline measured in the same run; the 1-SA capture warm (templates
compiled, playbook read); and `ipsec-tui check` on it as a whole process. Figures go to
extra_info and are printed with the budget they are held to; nothing is asserted about time."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.scale import BASELINE, scaled_capture
from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.playbooks import load_playbook

CHILDREN = 2000
ROOT = Path(__file__).resolve().parents[1]


def _median(run: object, times: int, clock: Callable[[], float] = time.perf_counter) -> float:
    spent = []
    for _ in range(times):
        start = clock()
        run()  # type: ignore[operator]
        spent.append(clock() - start)
    return statistics.median(spent)


def test_parse_and_check_2000_child_sas_per_peer(
    benchmark: BenchmarkFixture, tmp_path: Path
) -> None:
    capture = read_capture(scaled_capture(tmp_path / "big", CHILDREN))
    small = read_capture(BASELINE)
    playbook = load_playbook()
    baseline = analyse_captures(small, playbook)  # compiles the templates once
    one_sa = _median(lambda: analyse_captures(small, playbook), 10)

    analysis = benchmark.pedantic(  # type: ignore[no-untyped-call]
        analyse_captures, args=(capture, playbook), rounds=3, iterations=1
    )
    sas = [len(sa.child_sas) for p in (analysis.pair.a, analysis.pair.b) if p for sa in p.ike_sas]
    assert sas == [CHILDREN, CHILDREN]
    assert baseline.diagnosis.cause == "healthy"
    big = _median(lambda: analyse_captures(capture, playbook), 3)
    # the process's own CPU time: on a shared machine, wall time also counts the others
    cpu = _median(lambda: analyse_captures(capture, playbook), 3, time.process_time)
    per_sa_ms = big / (2 * CHILDREN) * 1000
    benchmark.extra_info.update(
        {
            "child_sas_per_peer": CHILDREN,
            "seconds": round(big, 3),
            "cpu_seconds": round(cpu, 3),
            "per_sa_ms": round(per_sa_ms, 3),
            "vs_1_sa_capture": round(big / one_sa, 1),
        }
    )
    print(
        f"\n{CHILDREN} child SAs per peer: {big:.2f}s (budget 0.25s; CPU {cpu:.2f}s), "
        f"{per_sa_ms:.3f} ms per "
        f"SA; {big / one_sa:.0f}x the 1-SA capture ({one_sa * 1000:.1f} ms)"
    )


def test_one_sa_capture_warm(benchmark: BenchmarkFixture) -> None:
    small = read_capture(BASELINE)
    playbook = load_playbook()
    assert analyse_captures(small, playbook).diagnosis.cause == "healthy"
    benchmark.pedantic(  # type: ignore[no-untyped-call]
        analyse_captures, args=(small, playbook), rounds=20, iterations=1
    )
    warm = _median(lambda: analyse_captures(small, playbook), 20)
    with_playbook = _median(lambda: analyse_captures(small), 20)
    benchmark.extra_info.update(
        warm_ms=warm * 1000, reading_the_playbook_too_ms=with_playbook * 1000
    )
    print(
        f"\n1-SA capture, warm: {warm * 1000:.1f} ms (budget 30 ms); reading the playbook "
        f"each time too: {with_playbook * 1000:.1f} ms"
    )


def test_check_command_whole_process(benchmark: BenchmarkFixture) -> None:
    command = [sys.executable, "-m", "ipsec_tui.cli", "check", str(BASELINE)]

    def check() -> None:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr

    check()  # the first run writes ttp's function cache and Python's bytecode
    benchmark.pedantic(check, rounds=5, iterations=1)  # type: ignore[no-untyped-call]
    whole = _median(check, 5)
    benchmark.extra_info.update(whole_process_s=whole)
    print(f"\n`ipsec-tui check` on the 1-SA capture: {whole:.2f}s (budget 0.4s)")
