"""Parse + check time for a capture whose peers each carry 2,000 child SAs, per SA, against
the 1-SA baseline measured in the same run."""

from __future__ import annotations

import time
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.scale import BASELINE, scaled_capture
from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors.capture_io import read_capture

CHILDREN = 2000


def test_parse_and_check_2000_child_sas_per_peer(
    benchmark: BenchmarkFixture, tmp_path: Path
) -> None:
    capture = read_capture(scaled_capture(tmp_path / "big", CHILDREN))
    small = read_capture(BASELINE)

    start = time.perf_counter()
    baseline = analyse_captures(small)
    one_sa = time.perf_counter() - start

    analysis = benchmark.pedantic(analyse_captures, args=(capture,), rounds=3, iterations=1)
    sas = [len(sa.child_sas) for p in (analysis.pair.a, analysis.pair.b) if p for sa in p.ike_sas]
    assert sas == [CHILDREN, CHILDREN]
    assert baseline.diagnosis.cause == "healthy"
    start = time.perf_counter()
    analyse_captures(capture)
    big = time.perf_counter() - start
    per_sa_ms = big / (2 * CHILDREN) * 1000
    benchmark.extra_info.update(
        {
            "child_sas_per_peer": CHILDREN,
            "per_sa_ms": round(per_sa_ms, 3),
            "vs_1_sa_capture": round(big / one_sa, 1),
        }
    )
    print(
        f"\n{CHILDREN} child SAs per peer: {big:.2f}s, {per_sa_ms:.3f} ms per SA; "
        f"{big / one_sa:.0f}x the 1-SA capture ({one_sa * 1000:.0f} ms)"
    )
