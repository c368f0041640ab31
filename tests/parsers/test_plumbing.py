"""The parsers' shared plumbing: the TTP runner pauses the process's cyclic garbage collector
while a template runs (its results are trees without cycles) and must always put it back as
it was; numbers read from templates; one record filled from another. The text is a golden
case's real output (cisco_ios/SOURCES.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipsec_tui.domain.model import ChildSa
from ipsec_tui.parsers import base
from ipsec_tui.parsers.base import filled, to_int
from ipsec_tui.parsers.cisco_common import line_records

CLOCK = (Path(__file__).parent / "cisco_ios" / "show-clock" / "ntc-unsynchronised.txt").read_text(
    encoding="utf-8"
)


@pytest.fixture
def collector_states(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether the collector ran, as each template run found it."""
    seen: list[bool] = []
    engine = base._ttp_engine

    def spy(platform: str, key: str) -> Any:
        seen.append(gc.isenabled())
        return engine(platform, key)

    monkeypatch.setattr(base, "_ttp_engine", spy)
    yield seen
    gc.enable()


def test_the_collector_is_paused_during_a_template_and_back_after_it(
    collector_states: list[bool],
) -> None:
    assert gc.isenabled()
    assert line_records("cisco_ios", "show-clock", CLOCK)  # the real output still parses
    assert collector_states == [False]
    assert gc.isenabled()


def test_the_collector_comes_back_when_a_template_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(platform: str, key: str) -> Any:
        raise RuntimeError("template broke")

    monkeypatch.setattr(base, "_ttp_engine", broken)
    with pytest.raises(RuntimeError, match="template broke"):
        base.run_ttp("cisco_ios", "show-clock", CLOCK)
    assert gc.isenabled()


def test_a_collector_the_caller_paused_stays_paused(collector_states: list[bool]) -> None:
    gc.disable()
    try:
        line_records("cisco_ios", "show-clock", CLOCK)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert collector_states == [False]


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (7, 7),
        (" 42 ", 42),
        ("1,234,567", 1234567),  # Cisco counters
        ("", None),
        ("-1", None),
        ("4.5", None),
        ("²", None),  # a digit to str.isdigit, not to int()
        ("١٢", None),  # Arabic-Indic digits
        (None, None),
    ],
)
def test_to_int(value: object, number: int | None) -> None:
    assert to_int(value) == number


def test_filled_takes_only_what_is_unknown() -> None:
    brief = ChildSa(name="net", spi_in="c1a2b3c4", local_ts=(), encryption=None, mode="tunnel")
    detailed = ChildSa(
        name="other", spi_in="ffffffff", local_ts=("10.1.0.0/24",), encryption="aes256"
    )
    merged = filled(brief, detailed)
    assert (merged.name, merged.spi_in, merged.mode) == ("net", "c1a2b3c4", "tunnel")
    assert (merged.local_ts, merged.encryption) == (("10.1.0.0/24",), "aes256")
    assert filled(detailed, detailed) is detailed
