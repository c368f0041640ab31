"""The merged log time line (ipsec_tui.timeline): device times read, put on the collecting
host's clock; the report and the cockpit's log view show the same order."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipsec_tui.domain.capture import ClockReading, PeerCapture
from ipsec_tui.domain.model import LogEvent, PeerModel
from ipsec_tui.timeline import device_log_time, merge_logs

PLUS_ONE = timezone(timedelta(hours=1))
# time stamps in the forms devices print, at the edges of the calendar too
_STAMPS = st.sampled_from(
    [
        "2026-11-26T20:47:50",
        "2026-11-26T21:47:50.25+01:00",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00",
        "Nov 26 20:48:38.900453",
        "Feb 29 10:00:00",
        "*Mar  1 2024 00:00:01.123",
        "Dec 31 23:59:59",
        "20:48:31",
        "99:99:99",
        "2026-11-26T20:47:50+9999",
    ]
)


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
    events = merge_logs((a, b), (_capture("siteA", 0.0), _capture("siteB", 2.5, "+01:00")))
    by_line = {(e.peer, e.event.line): e.host_time for e in events}
    assert by_line[("siteA", 1)] == datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC)
    assert by_line[("siteB", 2)] == datetime(2026, 12, 31, 23, 59, 57, 500000, UTC)
    assert by_line[("siteA", 2)] == datetime(2027, 1, 1, 0, 0, 2, tzinfo=UTC)
    assert by_line[("siteA", 3)] is None
    # siteB writes its logs in +01:00 and runs 2.5 s ahead; siteA's first line is from
    # last December (year-less); each log keeps its own order: siteB's second line, stamped
    # earlier than its first, stays after it, and a line whose time does not read stays
    # after the line before it
    assert [(e.peer, e.event.line) for e in events] == [
        ("siteA", 1),
        ("siteB", 1),
        ("siteB", 2),
        ("siteA", 2),
        ("siteA", 3),
    ]


def test_a_models_plain_data_is_what_asdict_gives() -> None:
    from dataclasses import asdict

    from ipsec_tui.collectors.bundles import load_captures
    from ipsec_tui.parsers.base import parse_peer

    captures = Path(__file__).resolve().parents[1] / "data" / "captures"
    for scenario in (captures / "strongswan" / "psk", captures / "libreswan" / "baseline"):
        for capture in load_captures([scenario]):
            model = parse_peer(capture)
            assert model.to_dict() == asdict(model)


# --- one time line for the report and the cockpit -------------------------------------------

LAB_DPD = Path(__file__).resolve().parents[1] / "data" / "captures" / "libreswan" / "dpd"
_PLUTO_TIME = re.compile(r"^(?P<stamp>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{6})", re.M)


def _ahead(capture: PeerCapture, seconds: float) -> PeerCapture:
    """The same peer as if its clock ran ``seconds`` ahead: every pluto log time and its clock
    reading moved by that much (the lab's gateways share one clock, so it is moved here)."""
    assert capture.clock is not None

    def move(match: re.Match[str]) -> str:
        moment = datetime.strptime(f"2026 {match['stamp']}", "%Y %b %d %H:%M:%S.%f")
        moved = moment + timedelta(seconds=seconds)
        return f"{moved:%b} {moved.day:2d} {moved:%H:%M:%S.%f}"

    outputs = {
        name: _PLUTO_TIME.sub(move, text) if "pluto.log" in name else text
        for name, text in capture.outputs.items()
    }
    device = datetime.fromisoformat(capture.clock.device_time) + timedelta(seconds=seconds)
    clock = ClockReading(device.isoformat(), capture.clock.offset_s + seconds)
    return replace(capture, outputs=outputs, clock=clock)


def _report_order(bundle: Path) -> list[tuple[str, str]]:
    """(peer, device time) of each row of report.md's log time line, top to bottom (the
    report shows runs of spaces as one)."""
    with zipfile.ZipFile(bundle) as archive:
        report = archive.read("report.md").decode()
    section = report.split("## Log time line (both peers)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [(cells[2].strip(" `"), cells[3].strip(" `")) for cells in (r.split("|") for r in rows)]


def test_report_and_cockpit_order_both_logs_alike_when_the_clocks_differ(
    tmp_path: Path,
) -> None:
    from ipsec_tui.collectors.bundles import load_captures
    from ipsec_tui.collectors.capture_io import write_capture
    from ipsec_tui.evidence.bundle import bundle_captures, bundle_content
    from ipsec_tui.ui.session import folder_source, load

    site_a, site_b = load_captures([LAB_DPD])
    assert [c.platform for c in (site_a, site_b)] == ["strongswan", "libreswan"]
    skewed = tmp_path / "skewed"
    write_capture(skewed, [site_a, _ahead(site_b, 97.5)], tunnel="lab")

    cockpit = load(folder_source(skewed)).timeline
    shown = [(e.peer, " ".join((e.event.time or "-").split())) for e in cockpit]
    content = bundle_content(load_captures([skewed]))
    bundle = bundle_captures(tmp_path / "skewed.zip", content).path
    assert _report_order(bundle) == shown
    # the offset is what puts the lines back in place: the same order as the lab's own
    # clock, with siteB's lines among siteA's, not after them
    original = load(folder_source(LAB_DPD)).timeline
    assert [(e.peer, e.event.line) for e in cockpit] == [(e.peer, e.event.line) for e in original]
    peers = [peer for peer, _ in shown]
    last_a = len(peers) - 1 - peers[::-1].index("siteA")
    assert peers.index("siteB") < last_a
    assert cockpit[peers.index("siteB")].host_time == original[peers.index("siteB")].host_time


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=40), _STAMPS), max_size=12),
    st.lists(st.one_of(st.none(), st.text(max_size=40), _STAMPS), max_size=12),
    st.one_of(st.none(), st.floats(-1e6, 1e6)),
    st.one_of(st.none(), _STAMPS),
)
def test_any_printed_times_merge_and_keep_each_peers_order(
    times_a: list[str | None],
    times_b: list[str | None],
    offset: float | None,
    collected: str | None,
) -> None:
    def model(name: str, times: list[str | None]) -> PeerModel:
        log = tuple(LogEvent(n, f"{name}{n}", t) for n, t in enumerate(times, start=1))
        return PeerModel(name=name, platform="strongswan", collected_at=collected, log=log)

    clock = None if offset is None else ClockReading("2026-11-26T20:47:50+01:00", offset)
    events = merge_logs(
        (model("A", times_a), model("B", times_b)), (PeerCapture("B", "libreswan", clock=clock),)
    )
    assert len(events) == len(times_a) + len(times_b)
    for peer in ("A", "B"):
        lines = [e.event.line for e in events if e.peer == peer]
        assert lines == sorted(lines)
    for e in events:
        assert e.host_time is None or e.host_time.tzinfo is not None
