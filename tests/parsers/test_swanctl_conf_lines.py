"""swanctl.conf's lines are read by `line_items` (one pass) rather than through TTP's results:
the items must be TTP's, item for item, on every swanctl.conf the tests hold (golden cases,
recorded captures, lab probes), on hand-made files with the corners of the format (comments
and quotes, one-line sections, stray braces, includes, CR line ends, form feeds) and on
generated files made of those lines in any order."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipsec_tui.parsers.base import numbered_items
from ipsec_tui.parsers.strongswan import _conf_lines

TESTS = Path(__file__).resolve().parents[1]
REAL = sorted(
    path
    for path in TESTS.rglob("*")
    if path.is_file()
    and path.suffix == ".txt"
    and (path.name == "cat-etc-swanctl-swanctl.conf.txt" or path.parent.name == "cat-swanctl-conf")
    and path.name != "_command.txt"
)

CORNERS = [
    'connections {\n  a {\n    secret = "x # y" # a comment\n  }\n}\n',
    "x{ }\n}\ninclude conf.d/*.conf\n  # only a comment\n\tk=v\r\nq = {\n",
    "a { b = 1 }\nc {\n\x0cd = 2\n}",
    "junk = \n= nothing\n{\n}}\n",
    "",
    "\n\n\n",
    "children {\n  lan {\n    local_ts = 10.1.0.0/24, 10.3.0.0/24\n  }\n}",
]

LINE = st.sampled_from(
    [
        "connections {",
        "  lab {",
        "    local_ts = 10.1.0.0/24",
        '    secret = "a # b"',
        "  }",
        "}",
        "include /etc/swanctl/conf.d/*.conf",
        "# comment",
        "",
        "   ",
        "name { key = value }",
        "= stray",
        "{",
        "odd text here",
        "\tk=v",
    ]
)


def test_real_files_are_found() -> None:
    assert len(REAL) >= 20


@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(TESTS)))
def test_real_files_read_as_ttp_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    expected = numbered_items("strongswan", "cat-swanctl-conf", text)
    assert expected  # the file has lines the template reads
    assert _conf_lines(text) == expected


@pytest.mark.parametrize("text", CORNERS)
def test_corners_read_as_ttp_reads_them(text: str) -> None:
    assert _conf_lines(text) == numbered_items("strongswan", "cat-swanctl-conf", text)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(LINE, max_size=30), end=st.sampled_from(["\n", "\r\n"]))
def test_generated_files_read_as_ttp_reads_them(lines: list[str], end: str) -> None:
    text = end.join(lines)
    assert _conf_lines(text) == numbered_items("strongswan", "cat-swanctl-conf", text)
