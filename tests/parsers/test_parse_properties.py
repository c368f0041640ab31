"""Property tests: whatever a device prints, parsing never raises and never loses the text.

For every registered parser (read from the registry, so every platform's parsers are in):
random text, real outputs cut at random points, and lines of several real outputs mixed
together go through `base.parse_text`, which must return ok / empty / failed, keep the raw
text when not ok, and return something when ok. A parser no allowlisted command reaches
without arguments is called directly: it must return a Fragment or raise ParseError. For
the strongSwan and Linux parsers a failure must also be a reasoned one, not a crash inside
the parser ("parser error: ..."), and they get more examples; the other platforms share a
fixed budget so the file stays fast however many parsers there are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers import base
from ipsec_tui.platforms import load_platform

from .test_golden import command_for

CAPTURES = Path(__file__).resolve().parent.parent / "data" / "captures"
STRICT_PLATFORMS = ("strongswan", "linux")  # ours: a crash is a bug, not just a FAILED


def registered() -> list[tuple[str, str]]:
    base.load_parsers()  # importing the modules registers their parsers
    return sorted(base._REGISTRY)


OURS = [entry for entry in registered() if entry[0] in STRICT_PLATFORMS]
OTHERS = [entry for entry in registered() if entry[0] not in STRICT_PLATFORMS]
# examples per (parser, strategy): ours a fixed number, the others share ~600 in all
OUR_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
OTHER_SETTINGS = settings(
    OUR_SETTINGS, max_examples=max(2, min(10, 600 // (3 * max(len(OTHERS), 1))))
)


@pytest.fixture(autouse=True, scope="module")
def ttp_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # ttp re-reads its own sources on every call unless its cache folder exists; give it one
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TTPCACHEFOLDER", str(tmp_path_factory.mktemp("ttp-cache")))
        yield


@cache
def outputs() -> dict[tuple[str, str], list[str]]:
    """Every recorded output, by (platform, command): the corpus to cut and mix."""
    found: dict[tuple[str, str], list[str]] = {}
    for capture_dir in sorted(CAPTURES.glob("*/*")):
        for capture in read_capture(capture_dir):
            for record in capture.commands:
                text = capture.output_of(record)
                if text:
                    found.setdefault((capture.platform, record.command), []).append(text)
    return found


@cache
def all_lines() -> list[str]:
    return [line for texts in outputs().values() for text in texts for line in text.splitlines()]


@cache
def real_outputs(platform: str, key: str) -> list[str]:
    """Recorded outputs parsed by this key, or every recorded output when there is none."""
    names = base.LINUX_PLATFORMS if platform == "linux" else (platform,)
    same = []
    for (recorded_platform, command), texts in outputs().items():
        if recorded_platform not in names:
            continue
        pattern = load_platform(recorded_platform).pattern_of(command)
        if pattern is not None and base.template_key(pattern) == key:
            same.extend(texts)
    return same or [text for texts in outputs().values() for text in texts]


def params(entries: list[tuple[str, str]]) -> list[Any]:
    return [pytest.param(platform, key, id=f"{platform}/{key}") for platform, key in entries]


def check(platform: str, key: str, text: str) -> None:
    found = command_for(platform, key)
    if found is None:
        check_direct(platform, key, text)
        return
    parse_platform, command = found
    result, fragment = base.parse_text(parse_platform, command, text, peer="p", file="f.txt")
    assert result.status in (
        ParseStatus.OK,
        ParseStatus.PARTIAL,
        ParseStatus.EMPTY,
        ParseStatus.FAILED,
    )
    assert result.parser == f"{parse_platform}/{key}"
    if result.status == ParseStatus.OK:
        assert not fragment.is_empty()
        assert result.raw is None
    elif result.status == ParseStatus.PARTIAL:
        # what was placed is kept; every line that was not is in raw, numbered, with why
        assert fragment.unplaced and result.reason and result.raw
        assert len(result.raw.splitlines()) == len(fragment.unplaced)
        for unplaced in fragment.unplaced:
            assert unplaced.text in text, "an unplaced line must be a line of the output"
    else:
        assert result.raw == text, "output that was not parsed must be kept whole"
        assert result.reason
    if result.status == ParseStatus.FAILED:
        assert fragment.is_empty()
        if platform in STRICT_PLATFORMS:
            assert not (result.reason or "").startswith("parser error:"), result.reason


def check_direct(platform: str, key: str, text: str) -> None:
    """A parser no bare command reaches: a Fragment, or ParseError, nothing else."""
    parse = base.find_parser(platform, key)
    assert parse is not None
    try:
        fragment = parse(text, base.ParseContext("p", "f.txt", key))
    except base.ParseError:
        return
    assert isinstance(fragment, base.Fragment)


def random_text(platform: str, key: str, text: str) -> None:
    check(platform, key, text)


def truncated_real_output(platform: str, key: str, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(real_outputs(platform, key)), label="output")
    cut = data.draw(st.integers(min_value=0, max_value=len(text)), label="cut")
    check(platform, key, text[:cut])


def mixed_real_lines(platform: str, key: str, picks: list[int], seed: int, newline: str) -> None:
    # lines of this command's outputs and of any other, shuffled together
    own = [line for text in real_outputs(platform, key) for line in text.splitlines()]
    pool = own + all_lines()
    chosen = [pool[pick % len(pool)] for pick in picks]
    random.Random(seed).shuffle(chosen)
    check(platform, key, newline.join(chosen))


TEXT = st.text(max_size=400)
PICKS = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
NEWLINES = st.sampled_from(["\n", "\r\n"])


def _tests(
    entries: list[tuple[str, str]], chosen: settings
) -> tuple[Callable[..., None], Callable[..., None], Callable[..., None]]:
    @pytest.mark.parametrize(("platform", "key"), params(entries))
    @chosen
    @given(text=TEXT)
    def test_random_text(platform: str, key: str, text: str) -> None:
        random_text(platform, key, text)

    @pytest.mark.parametrize(("platform", "key"), params(entries))
    @chosen
    @given(data=st.data())
    def test_truncated_real_output(platform: str, key: str, data: st.DataObject) -> None:
        truncated_real_output(platform, key, data)

    @pytest.mark.parametrize(("platform", "key"), params(entries))
    @chosen
    @given(picks=PICKS, seed=SEEDS, newline=NEWLINES)
    def test_mixed_real_lines(
        platform: str, key: str, picks: list[int], seed: int, newline: str
    ) -> None:
        mixed_real_lines(platform, key, picks, seed, newline)

    return test_random_text, test_truncated_real_output, test_mixed_real_lines


test_ours_random_text, test_ours_truncated_real_output, test_ours_mixed_real_lines = _tests(
    OURS, OUR_SETTINGS
)
test_others_random_text, test_others_truncated_real_output, test_others_mixed_real_lines = _tests(
    OTHERS, OTHER_SETTINGS
)


def test_every_strongswan_and_linux_parser_is_reached_by_a_command() -> None:
    assert OURS
    missing = [f"{platform}/{key}" for platform, key in OURS if command_for(platform, key) is None]
    assert not missing
