"""`line_items`, the one-pass runner of line templates, against TTP itself and on the lines
it cannot place. The texts are the golden cases' real outputs (each folder's SOURCES.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ipsec_tui.parsers.base import Fragment, ParseContext, group_items, line_items, ttp_records
from ipsec_tui.parsers.strongswan import parse_list_sas

HERE = Path(__file__).parent
LIST_SAS = sorted((HERE / "swanctl-list-sas").glob("*.txt"))


def _without_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TTP's view of the items: no line ranges, nested groups as lists."""
    out = []
    for item in items:
        kept: dict[str, Any] = {}
        for name, value in item.items():
            if name.startswith("_"):
                continue
            kept[name] = (
                _without_lines(value if isinstance(value, list) else [value])
                if (isinstance(value, list | dict))
                else value
            )
        out.append(kept)
    return out


@pytest.mark.parametrize("path", LIST_SAS, ids=[p.stem for p in LIST_SAS])
def test_line_items_read_what_ttp_reads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    by_ttp = _without_lines(
        group_items(ttp_records("strongswan", "swanctl-list-sas", text), "ike_sas")
    )
    assert _without_lines(line_items("strongswan", "swanctl-list-sas", text).items) == by_ttp


def test_line_ranges_and_unmatched_lines() -> None:
    text = (HERE / "swanctl-list-sas" / "strongswan-2086-5.9-two-children.txt").read_text()
    found = line_items("strongswan", "swanctl-list-sas", text)
    (ike,) = found.items
    assert (ike["_first"], ike["_last"]) == (1, 17)
    assert [(c["name"], c["_first"], c["_last"]) for c in ike["child_sas"]] == [
        ("udpTunnel", 6, 11),
        ("tcpTunnel", 12, 17),
    ]
    assert found.unmatched == [] and found.orphans == []


def test_child_lines_before_any_ike_sa_and_repeated_lines_are_left_unplaced() -> None:
    real = (HERE / "swanctl-list-sas" / "strongswan-2086-5.9-two-children.txt").read_text()
    lines = real.splitlines()
    # a child SA block with no IKE SA header above it, then the real listing with one of
    # its counter lines printed twice and one line of another listing inside it
    text = "\n".join([*lines[5:11], *lines[:9], lines[8], "  bogus line", *lines[9:]]) + "\n"
    fragment = parse_list_sas(text, ParseContext("moon", "out.txt", "swanctl --list-sas"))
    assert isinstance(fragment, Fragment)
    assert [sa.name for sa in fragment.ike_sas] == ["host-host"]
    assert [c.name for c in fragment.ike_sas[0].child_sas] == ["udpTunnel", "tcpTunnel"]
    reasons = {u.line: u.reason for u in fragment.unplaced}
    assert reasons == {
        1: "line before any IKE SA header",
        2: "line before any IKE SA header",
        3: "line before any IKE SA header",
        4: "line before any IKE SA header",
        5: "line before any IKE SA header",
        6: "line before any IKE SA header",
        16: "line outside the SA it belongs to, or repeated within it",
        17: "swanctl --list-sas line not understood",
    }


def test_a_template_with_functions_is_refused() -> None:
    with pytest.raises(ValueError, match="plain line patterns"):
        line_items("strongswan", "swanctl-list-conns", "x\n")
