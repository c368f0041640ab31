"""Which packets count for which direction: each direction's span is its ping's time widened
by a margin, but never past the middle of the gap to the next or previous ping. With the
counter readings between two pings taking less than the margin (a fast machine), the
first direction's span used to reach into the second's ping and took its packets: siteB's
answer to the second ping hid that siteB sent nothing back during the first."""

from __future__ import annotations

import pytest

from ipsec_tui.probe import _WINDOW_MARGIN_S, direction_spans


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


@pytest.mark.parametrize("gap", [0.0, 0.01, 0.05, _WINDOW_MARGIN_S, 0.3, 2.0])
def test_two_directions_never_share_a_moment(gap: float) -> None:
    first, second = (100.0, 101.0), (101.0 + gap, 102.0 + gap)
    spans = direction_spans([first, second])
    assert spans[0] is not None and spans[1] is not None
    # every moment of each ping belongs to its own direction
    assert spans[0][0] <= first[0] and spans[0][1] >= first[1]
    assert spans[1][0] <= second[0] and spans[1][1] >= second[1]
    # a packet just after the first ping goes to one direction only when the gap is short
    if gap < 2 * _WINDOW_MARGIN_S:
        assert spans[0][1] == spans[1][0] == pytest.approx(first[1] + gap / 2)
    else:
        assert not _overlap(spans[0], spans[1])
        assert spans[0][1] == pytest.approx(first[1] + _WINDOW_MARGIN_S)
        assert spans[1][0] == pytest.approx(second[0] - _WINDOW_MARGIN_S)
    # the outer ends keep their margin
    assert spans[0][0] == pytest.approx(first[0] - _WINDOW_MARGIN_S)
    assert spans[1][1] == pytest.approx(second[1] + _WINDOW_MARGIN_S)


def test_a_ping_without_times_takes_the_whole_capture_and_leaves_the_other_alone() -> None:
    spans = direction_spans([(None, None), (200.0, 201.0)])
    assert spans[0] is None
    assert spans[1] == pytest.approx((200.0 - _WINDOW_MARGIN_S, 201.0 + _WINDOW_MARGIN_S))
    assert direction_spans([]) == []
