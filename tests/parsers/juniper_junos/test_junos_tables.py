"""Junos SA tables: identity ranges read as prefixes (a range that is no single prefix is
kept and noted), and a table row that neither column order reads is left unplaced (the
result is partial, the row kept) rather than dropped. Rows are real ones (../SOURCES.md),
cut short where a broken row is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers import base
from ipsec_tui.parsers.juniper_junos import _proxy_ids, _range_selector

HERE = Path(__file__).parent


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("0.0.0.0-255.255.255.255", ("0.0.0.0/0", True)),
        ("10.1.0.0-10.1.0.255", ("10.1.0.0/24", True)),
        ("10.1.1.1", ("10.1.1.1/32", True)),
        ("2001:db8::-2001:db8::ffff", ("2001:db8::/112", True)),
        ("10.1.0.1-10.1.0.10", ("10.1.0.1-10.1.0.10", False)),
        ("10.1.0.255-10.1.0.0", ("10.1.0.255-10.1.0.0", False)),
    ],
)
def test_ranges(printed: str, expected: tuple[str, bool]) -> None:
    assert _range_selector(printed) == expected


def test_range_that_is_no_prefix_is_kept_and_noted() -> None:
    selectors, notes = _proxy_ids("ipv4(10.1.0.1-10.1.0.10)")
    assert selectors == ("10.1.0.1-10.1.0.10",)
    assert notes == [
        "identity ipv4(10.1.0.1-10.1.0.10): range 10.1.0.1-10.1.0.10 is not one prefix"
    ]


def test_kmd_and_iked_identities_agree() -> None:
    kmd = _proxy_ids("ipv4_subnet(any:0,[0..7]=0.0.0.0/0)")
    iked = _proxy_ids("ipv4(0.0.0.0-255.255.255.255)")
    assert kmd == iked == (("0.0.0.0/0",), [])


@pytest.mark.parametrize(
    ("folder", "case", "command", "row"),
    [
        (
            "show-security-ipsec-security-associations",
            "aws-netadmin-old-columns.txt",
            "show security ipsec security-associations",
            3,
        ),
        (
            "show-security-ipsec-security-associations",
            "csrx-0x-spi.txt",
            "show security ipsec security-associations",
            3,
        ),
        (
            "show-security-ike-security-associations",
            "aws-netadmin-old-columns.txt",
            "show security ike security-associations",
            2,
        ),
    ],
)
def test_row_cut_short_is_left_unplaced(folder: str, case: str, command: str, row: int) -> None:
    lines = (HERE / folder / case).read_text(encoding="utf-8").splitlines()
    # the row keeps its first columns only (index, address, state, one cookie for IKE;
    # direction and ID, then two more columns for IPsec): no column order reads it
    words = 4 if command.endswith("ike security-associations") else 3
    cut_row = " ".join(lines[row - 1].split()[:words])
    lines[row - 1] = cut_row
    result, fragment = base.parse_text("juniper_junos", command, "\n".join(lines) + "\n")
    assert result.status == ParseStatus.PARTIAL, result.reason
    assert [(u.line, u.text) for u in fragment.unplaced] == [(row, cut_row.strip())]
    assert fragment.ike_sas  # the other rows are still read
