"""Analysis time (parse + checks): a capture whose peers each carry 2,000 child SAs, per SA,
against the 1-SA baseline measured in the same run; the 1-SA capture warm (templates
compiled, playbook read); `ipsec-tui check` on it as a whole process; the cockpit's analysis
child (`analyse_pair` in a fresh interpreter: its imports, its first call, a warm call) at
2,000 and 10,000 child SAs per peer; and a hub whose configuration names every child too
(2,000 configured children per peer, against 200: a lookup per child that scans them all
shows as a per-child cost that grows with the count). Figures go to extra_info and are
printed with the budget they are held to; nothing is asserted about time."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.scale import BASELINE, _nets, scaled_capture
from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.playbooks import load_playbook
from ipsec_tui.ui.analysing import analyse_pair

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


# What the cockpit's analysis child does (ui/offload.py): import its modules, then analyse
# the pair it is handed; timed in a fresh interpreter, so the first call pays what a child
# pays (templates compiled, signatures and playbook read), then once more warm.
_CHILD = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
import ipsec_tui.ui.analysing, ipsec_tui.parsers.base
imported = time.perf_counter()
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.ui.analysing import analyse_pair
capture = read_capture(Path(sys.argv[1]))
peers = (capture[0], capture[1])
times = []
for _ in range(3):
    began = time.perf_counter()
    analysis, _ = analyse_pair(*peers)
    times.append(time.perf_counter() - began)
sas = [len(sa.child_sas) for p in (analysis.pair.a, analysis.pair.b) if p for sa in p.ike_sas]
print(json.dumps({"imports": imported - start, "first": times[0], "warm": min(times[1:]),
                  "sas": sas}))
"""


@pytest.mark.parametrize("children", [CHILDREN, 10_000])
def test_analysis_child_first_call(
    benchmark: BenchmarkFixture, tmp_path: Path, children: int
) -> None:
    folder = scaled_capture(tmp_path / "big", children)
    command = [sys.executable, "-c", _CHILD, str(folder)]

    def child() -> dict[str, Any]:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    assert child()["sas"] == [children, children]  # and Python's bytecode is written
    runs = [child() for _ in range(3)]
    benchmark.pedantic(child, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    figures = {k: statistics.median(run[k] for run in runs) for k in ("imports", "first", "warm")}
    per_sa_ms = figures["warm"] / (2 * children) * 1000
    benchmark.extra_info.update(
        {
            "child_sas_per_peer": children,
            "imports_ms": round(figures["imports"] * 1000, 1),
            "first_call_s": round(figures["first"], 3),
            "warm_call_s": round(figures["warm"], 3),
            "warm_per_sa_ms": round(per_sa_ms, 4),
        }
    )
    print(
        f"\nanalysis child, {children} child SAs per peer: imports "
        f"{figures['imports'] * 1000:.0f} ms, first call {figures['first']:.2f}s, warm "
        f"{figures['warm']:.2f}s ({per_sa_ms:.3f} ms per SA)"
    )


_CONF_CHILD = re.compile(r"^      lan \{.*?^      \}\n", re.M | re.S)
_CONNS_CHILD = re.compile(r"^  lan: TUNNEL.*?(?=^\S|\Z)", re.M | re.S)


def _configured_hub(target: Path, children: int) -> Path:
    """The scaled capture whose swanctl.conf and --list-conns also name every child, with
    the selectors of its SA (as a hub configured child by child prints them)."""
    scaled_capture(target, children)
    for peer, mirrored in (("siteA", False), ("siteB", True)):
        nets = [_nets(i)[::-1] if mirrored else _nets(i) for i in range(children)]
        conf = target / peer / "cat-etc-swanctl-swanctl.conf.txt"
        text = conf.read_text()
        block = _CONF_CHILD.search(text)
        assert block is not None
        body = "".join(
            re.sub(
                r"remote_ts = .*",
                f"remote_ts = {right}",
                re.sub(r"local_ts = .*", f"local_ts = {left}", block.group(0)),
            ).replace("lan {", f"lan{i} {{")
            for i, (left, right) in enumerate(nets)
        )
        conf.write_text(text[: block.start()] + body + text[block.end() :])
        conns = target / peer / "swanctl-list-conns.txt"
        text = conns.read_text()
        block = _CONNS_CHILD.search(text)
        assert block is not None
        template = block.group(0).rstrip("\n") + "\n"
        body = "".join(
            re.sub(
                r"(remote: ).*",
                rf"\g<1>{right}",
                re.sub(r"(local:  ).*", rf"\g<1>{left}", template),
            ).replace("  lan:", f"  lan{i}:")
            for i, (left, right) in enumerate(nets)
        )
        conns.write_text(text[: block.start()] + body.rstrip("\n") + text[block.end() :])
    return target


def test_hub_with_every_child_configured(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    per_child = {}
    for children in (200, CHILDREN):
        capture = read_capture(_configured_hub(tmp_path / f"hub{children}", children))
        peers = (capture[0], capture[1])
        analysis, _ = analyse_pair(*peers)  # warm: templates compiled, playbook read
        configured = [
            len(conn.children)
            for p in (analysis.pair.a, analysis.pair.b)
            if p
            for conn in p.connections
        ]
        assert configured == [children, children]
        assert analysis.steps and all(s.status.value != "fail" for s in analysis.steps)
        per_child[children] = _median(lambda p=peers: analyse_pair(*p), 3) / (2 * children)
    benchmark.pedantic(analyse_pair, args=peers, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    growth = per_child[CHILDREN] / per_child[200]
    benchmark.extra_info.update(
        {
            "per_child_ms_200": round(per_child[200] * 1000, 4),
            f"per_child_ms_{CHILDREN}": round(per_child[CHILDREN] * 1000, 4),
            "per_child_growth": round(growth, 2),
            f"seconds_{CHILDREN}": round(per_child[CHILDREN] * 2 * CHILDREN, 3),
        }
    )
    print(
        f"\nhub, every child configured: {per_child[CHILDREN] * 2 * CHILDREN:.2f}s at "
        f"{CHILDREN} per peer, {per_child[CHILDREN] * 1000:.3f} ms per child; "
        f"{per_child[200] * 1000:.3f} ms at 200 ({growth:.1f}x per child: 1x is linear)"
    )
