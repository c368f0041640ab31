"""The report's merged log time line: device times read, put on the collecting host's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ipsec_tui.domain.capture import ClockReading, PeerCapture
from ipsec_tui.domain.model import LogEvent, PeerModel
from ipsec_tui.evidence.report import device_log_time, timeline

PLUS_ONE = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("printed", "zone", "expected"),
    [
        ("2026-11-26T20:47:50", None, datetime(2026, 11, 26, 20, 47, 50, tzinfo=UTC)),
        ("2026-11-26T21:47:50", PLUS_ONE, datetime(2026, 11, 26, 20, 47, 50, tzinfo=UTC)),
        ("2026-11-26T20:47:50.25Z", PLUS_ONE, datetime(2026, 11, 26, 20, 47, 50, 250000, UTC)),
        ("2026-11-26 21:47:50+0100", None, datetime(2026, 11, 26, 20, 47, 50, tzinfo=UTC)),
        ("Nov 26 20:48:38.900453", None, datetime(2026, 11, 26, 20, 48, 38, 900453, UTC)),
        ("Nov  6 21:48:38", PLUS_ONE, datetime(2026, 11, 6, 20, 48, 38, tzinfo=UTC)),
        ("*Mar  1 2024 00:00:01.123", None, datetime(2024, 3, 1, 0, 0, 1, 123000, UTC)),
        ("uptime 5d", None, None),
    ],
)
def test_device_log_times(printed: str, zone: timezone | None, expected: datetime | None) -> None:
    assert device_log_time(printed, zone=zone, year_hint=2026) == expected


def _peer(name: str, times: list[str]) -> PeerModel:
    return PeerModel(
        name=name,
        platform="strongswan",
        collected_at="2027-01-01T00:10:00.000Z",
        log=tuple(LogEvent(n, f"{name} line {n}", t) for n, t in enumerate(times, start=1)),
    )


def _capture(name: str, offset: float, zone: str = "+00:00") -> PeerCapture:
    return PeerCapture(name, "strongswan", clock=ClockReading(f"2027-01-01T00:10:00{zone}", offset))


def test_both_logs_on_the_collecting_hosts_clock() -> None:
    a = _peer("siteA", ["Dec 31 23:59:58", "Jan  1 00:00:02", "no time here"])
    b = _peer("siteB", ["2027-01-01T01:00:03", "2027-01-01T01:00:00"])
    events = timeline(
        [a, b], {"siteA": _capture("siteA", 0.0), "siteB": _capture("siteB", 2.5, "+01:00")}
    )
    by_line = {(e.peer, e.line): e.host_time for e in events}
    assert by_line[("siteA", 1)] == datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC)
    assert by_line[("siteB", 2)] == datetime(2026, 12, 31, 23, 59, 57, 500000, UTC)
    assert by_line[("siteA", 2)] == datetime(2027, 1, 1, 0, 0, 2, tzinfo=UTC)
    assert by_line[("siteA", 3)] is None
    # siteB writes its logs in +01:00 and runs 2.5 s ahead; siteA's first line is from
    # last December (year-less); a line whose time does not read comes last
    assert [(e.peer, e.line) for e in events] == [
        ("siteB", 2),
        ("siteA", 1),
        ("siteB", 1),
        ("siteA", 2),
        ("siteA", 3),
    ]


def test_a_models_plain_data_is_what_asdict_gives() -> None:
    from dataclasses import asdict

    from ipsec_tui.analysis import load_captures
    from ipsec_tui.parsers.base import parse_peer

    captures = Path(__file__).resolve().parents[1] / "data" / "captures"
    for scenario in (captures / "strongswan" / "psk", captures / "libreswan" / "baseline"):
        for capture in load_captures([scenario]):
            model = parse_peer(capture)
            assert model.to_dict() == asdict(model)
