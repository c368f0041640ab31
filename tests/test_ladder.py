"""The IKE exchange ladder (ipsec_tui.ladder) on recorded lab scenarios: both peers' messages
paired across the two logs, in causal order, with the unanswered request, the retransmits and
the notify that ended the negotiation marked; the report shows the cockpit's order."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipsec_tui.collectors.bundles import load_captures
from ipsec_tui.domain.model import IkeMessage, LogEvent, PeerModel
from ipsec_tui.ladder import Ladder, LadderRow, build_ladder
from ipsec_tui.timeline import TimelineEvent, merge_logs
from ipsec_tui.ui.session import Session, folder_source, load

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"

# One ladder row as a person reads it off the two logs: (sender, exchange, request/response,
# message ID, size, the sender's log line, the receiver's log line, marks). Line numbers are
# those of cat-var-log-charon.log.txt / cat-var-log-pluto.log.txt in the scenario's folders.
Row = tuple[str, str | None, str, int | None, int | None, int | None, int | None, tuple[str, ...]]

# strongswan/psk, read by hand: siteA deletes the previous IKE SA (A:5 -> B:3, B:9 -> A:6),
# opens a new one (A:12 "sending packet ... (464 bytes)" -> B:11 "received packet ... (464
# bytes)", B:17 472 bytes -> A:13), sends IKE_AUTH (A:20 272 bytes -> B:18); siteB's MAC does
# not match and it answers N(AUTH_FAILED) (B:23 generating, B:24 80 bytes -> A:21, A:22
# "received AUTHENTICATION_FAILED notify error"): the last message ends it.
PSK: list[Row] = [
    ("a", "INFORMATIONAL", "request", 2, 80, 5, 3, ()),
    ("b", "INFORMATIONAL", "response", 2, 80, 9, 6, ()),
    ("a", "IKE_SA_INIT", "request", 0, 464, 12, 11, ()),
    ("b", "IKE_SA_INIT", "response", 0, 472, 17, 13, ()),
    ("a", "IKE_AUTH", "request", 1, 272, 20, 18, ()),
    ("b", "IKE_AUTH", "response", 1, 80, 24, 21, ("AUTHENTICATION_FAILED", "ended it")),
]

# strongswan/udp-blocked, read by hand: siteA sends IKE_SA_INIT (A:4, 464 bytes) and
# retransmits it twice (A:5-6 "retransmit 1 of request with message ID 0", A:8-9 retransmit
# 2); siteB's log is empty (nftables dropped UDP 500/4500) and nothing comes back.
UDP_BLOCKED: list[Row] = [
    ("a", "IKE_SA_INIT", "request", 0, 464, 4, None, ("no answer", "not in siteB's log")),
    (
        "a",
        "IKE_SA_INIT",
        "request",
        0,
        464,
        6,
        None,
        ("no answer", "retransmit 1", "not in siteB's log"),
    ),
    (
        "a",
        "IKE_SA_INIT",
        "request",
        0,
        464,
        9,
        None,
        ("no answer", "retransmit 2", "not in siteB's log"),
    ),
]

# libreswan/ike-proposal, read by hand: pluto (siteB) deletes its IKE SA "and sending
# notification" (B:4) which charon receives (A:1, 80 bytes, "parsed INFORMATIONAL request
# 0"); charon's answer (A:7) reaches pluto after the SA is gone (B:5 "packet from
# 203.0.113.1:4500: INFORMATIONAL response has no corresponding IKE SA"); charon's new
# IKE_SA_INIT (A:12) is not in pluto's log at its default level; pluto answers it with
# NO_PROPOSAL_CHOSEN (B:13 "responding to IKE_SA_INIT message (ID 0) from 203.0.113.1:500 with
# unencrypted notification NO_PROPOSAL_CHOSEN"), which charon reads (A:13, 36 bytes, A:14
# N(NO_PROP)).
LIBRESWAN_IKE_PROPOSAL: list[Row] = [
    ("b", "INFORMATIONAL", "request", 0, 80, 4, 1, ()),
    ("a", "INFORMATIONAL", "response", 0, 80, 7, 5, ()),
    ("a", "IKE_SA_INIT", "request", 0, 464, 12, None, ("not in siteB's log",)),
    ("b", "IKE_SA_INIT", "response", 0, 36, 13, 13, ("NO_PROPOSAL_CHOSEN", "ended it")),
]


def _session(scenario: str) -> Session:
    return load(folder_source(CAPTURES / scenario))


def _ladder(session: Session) -> Ladder:
    return build_ladder(session.timeline, session.peer_names())


def _read(ladder: Ladder, row: LadderRow) -> Row:
    message = row.message
    kind = {False: "request", True: "response", None: "?"}[message.response]
    sent = row.sent.event.line if row.sent else None
    received = row.received.event.line if row.received else None
    return (
        row.sender,
        message.exchange,
        kind,
        message.message_id,
        message.size,
        sent,
        received,
        row.marks(ladder.names),
    )


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("strongswan/psk", PSK),
        ("strongswan/udp-blocked", UDP_BLOCKED),
        ("libreswan/ike-proposal", LIBRESWAN_IKE_PROPOSAL),
    ],
)
def test_ladder_rows_read_by_hand(scenario: str, expected: list[Row]) -> None:
    ladder = _ladder(_session(scenario))
    assert [_read(ladder, row) for row in ladder.rows] == expected


def test_a_healthy_tunnel_is_four_answered_messages() -> None:
    """strongswan/baseline: IKE_SA_INIT and IKE_AUTH, each request answered, every message in
    both logs, nothing marked."""
    ladder = _ladder(_session("strongswan/baseline"))
    assert [(row.sender, row.message.exchange, row.message.response) for row in ladder.rows] == [
        ("a", "IKE_SA_INIT", False),
        ("b", "IKE_SA_INIT", True),
        ("a", "IKE_AUTH", False),
        ("b", "IKE_AUTH", True),
    ]
    assert [row.answered for row in ladder.rows] == [True, None, True, None]
    assert all(row.sent and row.received and not row.marks(ladder.names) for row in ladder.rows)


def test_the_notify_that_ended_it_on_ike_proposal() -> None:
    ladder = _ladder(_session("strongswan/ike-proposal"))
    last = ladder.rows[-1]
    assert (last.sender, last.message.exchange, last.message.response) == ("b", "IKE_SA_INIT", True)
    assert last.message.notifies == ("NO_PROPOSAL_CHOSEN",) and last.ended
    assert [row for row in ladder.rows if row.ended] == [last]
    assert last.message.size == 36  # "(36 bytes)" in both logs
    # the request it answered is answered
    request = ladder.rows[-2]
    assert (request.sender, request.message.exchange, request.answered) == (
        "a",
        "IKE_SA_INIT",
        True,
    )


def test_pluto_retransmits_and_charon_sees_them_again() -> None:
    """IKEv1, PSK mismatch with Libreswan: pluto cannot decrypt main mode message 5 and
    resends its message 4 ("STATE_MAIN_R2: retransmission"); charon reads each as "received
    retransmit of response with ID 0" and retransmits message 5 itself, unanswered."""
    ladder = _ladder(_session("libreswan/ikev1-psk"))
    from_b = [row for row in ladder.rows if row.sender == "b" and row.message.retransmit]
    assert [row.message.retransmit for row in from_b] == [1, 2, 3, 4]
    assert all(row.received is not None and row.message.size == 396 for row in from_b)
    from_a = [row for row in ladder.rows if row.sender == "a" and row.message.size == 124]
    assert [row.message.retransmit for row in from_a] == [0, 1, 2, 3]
    assert all(row.answered is False for row in from_a)


def _position(timeline: tuple[TimelineEvent, ...]) -> dict[tuple[str, int], int]:
    return {item.key: index for index, item in enumerate(timeline)}


@pytest.mark.parametrize(
    "scenario",
    ["strongswan/psk", "strongswan/ike-proposal", "libreswan/psk", "strongswan/ikev1-psk"],
)
def test_every_received_line_comes_after_its_sending(scenario: str) -> None:
    timeline = _session(scenario).timeline
    position = _position(timeline)
    pairs = [item for item in timeline if item.pair is not None]
    assert pairs, "no message paired across the two logs"
    for item in pairs:
        packet = item.event.packet
        assert packet is not None
        other = position[item.pair] if item.pair else -1
        assert (position[item.key] > other) == (packet.direction == "received"), item


def test_one_second_stamps_alone_would_put_the_answer_before_the_question() -> None:
    """strongswan/psk: every line of both logs reads 20:47:50; by time alone (A's lines first
    on equal times) siteA would receive the IKE_SA_INIT response (A:13) before siteB sent it
    (B:17). The pairing puts B:17 first, and keeps each peer's own order."""
    session = _session("strongswan/psk")
    position = _position(session.timeline)
    assert position[("b", 17)] < position[("a", 13)]
    assert position[("a", 12)] < position[("b", 11)]
    for side in "ab":
        lines = [item.event.line for item in session.timeline if item.side == side]
        assert lines == sorted(lines)


def test_a_sending_too_long_before_is_not_paired() -> None:
    """The same message ID, exchange and size 40 s apart are two messages, not one: the
    receiving is paired with nothing (half a minute at most)."""
    session = _session("strongswan/psk")
    a, b = session.analysis.pair.a, session.analysis.pair.b
    assert a is not None and b is not None
    a_capture, b_capture = session.captures
    assert a_capture is not None and b_capture is not None
    from dataclasses import replace

    from ipsec_tui.domain.capture import ClockReading

    # had siteB's clock read 40 s behind, its lines would sit 40 s later on the host's clock
    late = replace(b_capture, clock=ClockReading("2026-11-26T20:47:10+00:00", -40.0))
    timeline = merge_logs((a, b), (a_capture, late))
    assert all(item.pair is None for item in timeline)
    in_step = merge_logs((a, b), (a_capture, b_capture))
    assert sum(item.pair is not None for item in in_step) == 12


def _report_ladder(bundle: Path) -> list[tuple[str, str]]:
    """(siteA's cell, siteB's cell) of each row of report.html's ladder, top to bottom."""
    with zipfile.ZipFile(bundle) as archive:
        page = archive.read("report.html").decode()
    section = page.split("<h2>IKE exchange ladder</h2>", 1)[1].split("<h2>", 1)[0]
    cells = [
        [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*><td>.*?</tr>", section)
    ]
    return [(row[2], row[4]) for row in cells]


def _cockpit_cells(ladder: Ladder, row: LadderRow) -> tuple[str, str]:
    cells = []
    for side in "ab":
        line = row.end(side)
        verb = "sent" if side == row.sender else "received"
        cells.append(f"{verb}, line {line.event.line}" if line else "-")
    return cells[0], cells[1]


@pytest.mark.parametrize("scenario", ["strongswan/psk", "libreswan/ikev1-psk"])
def test_report_and_cockpit_show_the_same_ladder(tmp_path: Path, scenario: str) -> None:
    from ipsec_tui.evidence.bundle import bundle_captures, bundle_content
    from ipsec_tui.ui.screens.ladder import ladder_of

    session = _session(scenario)
    cockpit = ladder_of(session)  # what the cockpit's ladder view shows
    content = bundle_content(load_captures([CAPTURES / scenario]))
    bundle = bundle_captures(tmp_path / "bundle.zip", content).path
    shown = [_cockpit_cells(cockpit, row) for row in cockpit.rows]
    assert len(shown) > 3
    assert _report_ladder(bundle) == shown


def test_a_long_ladder_in_the_report_says_how_many_earlier_rows_it_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's ladder is the cockpit's (built from the whole time line); past
    LADDER_LIMIT rows it shows the most recent ones, numbered as in the cockpit, under a line
    with the count of the rows left out."""
    from ipsec_tui.evidence import report
    from ipsec_tui.evidence.bundle import bundle_captures, bundle_content
    from ipsec_tui.ui.screens.ladder import ladder_of

    scenario = "strongswan/udp-blocked"
    cockpit = ladder_of(_session(scenario))
    assert len(cockpit.rows) == 3  # the three unanswered IKE_SA_INIT requests
    monkeypatch.setattr(report, "LADDER_LIMIT", 2)
    content = bundle_content(load_captures([CAPTURES / scenario]))
    bundle = bundle_captures(tmp_path / "bundle.zip", content).path
    shown = [_cockpit_cells(cockpit, row) for row in cockpit.rows]
    assert _report_ladder(bundle) == shown[1:]
    with zipfile.ZipFile(bundle) as archive:
        page = archive.read("report.html").decode()
        markdown = archive.read("report.md").decode()
    section = page.split("<h2>IKE exchange ladder</h2>", 1)[1].split("<h2>", 1)[0]
    assert "1 earlier rows omitted (rows 1-1 of 3;" in section
    assert re.findall(r"<tr[^>]*><td>(\d+)</td>", section) == ["2", "3"]
    assert "*1 earlier rows omitted (rows 1-1 of 3;" in markdown
    monkeypatch.setattr(report, "LADDER_LIMIT", 3)  # all of them: nothing said
    again = bundle_captures(tmp_path / "all.zip", content).path
    assert _report_ladder(again) == shown
    with zipfile.ZipFile(again) as archive:
        assert "omitted" not in archive.read("report.html").decode()


_PACKETS = st.lists(
    st.tuples(
        st.sampled_from(
            ["2026-11-26T20:47:50", "2026-11-26T20:47:51", "2026-11-26T20:48:30", None]
        ),
        st.sampled_from(["sent", "received"]),
        st.sampled_from(["IKE_SA_INIT", "IKE_AUTH", None]),
        st.sampled_from([False, True, None]),
        st.sampled_from([80, 464, None]),
    ),
    max_size=14,
)


def _packet_peer(name: str, lines: list[tuple[Any, ...]]) -> PeerModel:
    log = tuple(
        LogEvent(
            number,
            f"{name} line {number}",
            time,
            packet=IkeMessage(direction, exchange=exchange, response=response, size=size),
        )
        for number, (time, direction, exchange, response, size) in enumerate(lines, start=1)
    )
    return PeerModel(name, "strongswan", collected_at="2026-11-26T20:49:00Z", log=log)


@settings(max_examples=300, deadline=None)
@given(_PACKETS, _PACKETS)
def test_any_messages_pair_both_ways_and_keep_each_peers_order(
    lines_a: list[tuple[Any, ...]], lines_b: list[tuple[Any, ...]]
) -> None:
    timeline = merge_logs((_packet_peer("siteA", lines_a), _packet_peer("siteB", lines_b)))
    assert len(timeline) == len(lines_a) + len(lines_b)
    position = _position(timeline)
    for side in "ab":
        lines = [item.event.line for item in timeline if item.side == side]
        assert lines == sorted(lines)
    by_key = {item.key: item for item in timeline}
    for item in timeline:
        if item.pair is None:
            continue
        other = by_key[item.pair]
        assert other.pair == item.key and other.side != item.side
        sent, received = (item, other) if item.event.packet.direction == "sent" else (other, item)
        assert (
            sent.event.packet.direction == "sent" and received.event.packet.direction == "received"
        )
        assert position[sent.key] < position[received.key] or _crossed(timeline, sent, received)
    ladder = build_ladder(timeline)
    packets = sum(item.event.packet is not None for item in timeline)
    paired = sum(item.pair is not None for item in timeline)
    assert len(ladder.rows) == packets - paired // 2


def _crossed(
    timeline: tuple[TimelineEvent, ...], sent: TimelineEvent, received: TimelineEvent
) -> bool:
    """Whether another pair crosses this one: the receiving peer sent, after this receipt, a
    message the sending peer received before this sending. Then not every receipt can come
    after its sending and the time line keeps the time order."""
    by_key = {item.key: item for item in timeline}
    for item in timeline:
        packet = item.event.packet
        if item.pair is None or packet is None or packet.direction != "sent":
            continue
        other = by_key[item.pair]
        if (
            item.side == received.side
            and item.event.line > received.event.line
            and other.event.line < sent.event.line
        ):
            return True
    return False
