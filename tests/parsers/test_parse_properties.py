"""Property tests: whatever a device prints, parsing never raises and never loses the text.

Every parser is reached the way a capture reaches it: for every platform and every template
key of its allowlist that has a parser (`base.find_parser`), the allowlisted command (its
arguments filled from the platform's defaults) goes through `base.parse_text` with random
text, real outputs of that command cut at random points, and lines of its real outputs mixed
with lines of every other. The result must be a ParseResult whose status agrees with what it
holds: ok (something placed, nothing left over), partial (each line left over numbered in
raw, a line of the output), empty or failed (the raw text kept whole, with a reason); and a
failure is never a crash inside a parser ("parser error: ...").

The real outputs of a parser are the golden cases of every key it is registered for
(tests/parsers/<platform>/<key>/*.txt, `linux` for the parsers every Linux platform shares)
and the recorded captures (tests/data/captures); a parser without one of its own gets those
of its command on another platform, never unrelated text (a test checks that each has some).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers import base
from ipsec_tui.platforms import available_platforms, load_platform
from ipsec_tui.probe import CAPTURE_COMMAND, can_capture

from .test_golden import discover, read_raw

CAPTURES = Path(__file__).resolve().parent.parent / "data" / "captures"


@dataclass(frozen=True)
class Reached:
    """A parser as a capture reaches it: the platform, the template key, the command."""

    platform: str
    key: str
    command: str

    @property
    def owner(self) -> str:
        """The platform the parser is registered for: the platform, or `linux`."""
        return self.platform if (self.platform, self.key) in base._REGISTRY else "linux"

    @property
    def id(self) -> str:
        return f"{self.platform}/{self.key}"


def pattern_key(pattern: Any) -> str:
    return base.template_key(pattern.canonical({name: f"{{{name}}}" for name in pattern.variables}))


@cache
def reached() -> tuple[Reached, ...]:
    """Every platform x every template key of its allowlist that has a parser, with the
    command that reaches it (arguments from the platform's defaults)."""
    base.load_parsers()
    found: dict[tuple[str, str], Reached] = {}
    for platform in available_platforms():
        spec = load_platform(platform)
        for pattern in spec.allowlist:
            key = pattern_key(pattern)
            if (platform, key) in found or base.find_parser(platform, key) is None:
                continue
            command = pattern.canonical(
                {name: spec.variables.get(name, "x") for name in pattern.variables}
            )
            back = spec.pattern_of(command)
            if back is not None and base.template_key(back) == key:
                found[(platform, key)] = Reached(platform, key, command)
        if spec.probe is not None:  # the probe's ping: its entry's arguments are required
            command = spec.probe.command("10.2.0.1", "10.1.0.1", source_if="inside")
            key = base.template_key(spec.pattern_of(command) or "")
            if base.find_parser(platform, key) is not None:
                found.setdefault((platform, key), Reached(platform, key, command))
        if can_capture(platform):  # the probe's packet capture: its arguments are required
            command = CAPTURE_COMMAND.format(interface="wanA")
            key = base.template_key(spec.pattern_of(command) or "")
            found.setdefault((platform, key), Reached(platform, key, command))
    return tuple(found[entry] for entry in sorted(found))


@cache
def recorded_outputs() -> dict[tuple[str, str], list[str]]:
    """Every real output by (registered platform or `linux`, template key): the golden cases
    and the recorded captures."""
    found: dict[tuple[str, str], list[str]] = {}
    for case in discover():
        found.setdefault((case.platform, case.key), []).append(read_raw(case.raw))
    for capture_dir in sorted(CAPTURES.glob("*/*")):
        for capture in read_capture(capture_dir):
            spec = load_platform(capture.platform)
            for record in capture.commands:
                text = capture.output_of(record)
                pattern = spec.pattern_of(record.command)
                if not text or pattern is None:
                    continue
                key = base.template_key(pattern)
                owner = capture.platform if (capture.platform, key) in base._REGISTRY else "linux"
                found.setdefault((owner, key), []).append(text)
    return found


@cache
def real_outputs(owner: str, key: str) -> tuple[str, ...]:
    """The real outputs a parser reads: those of every key its function is registered for,
    else those of the same key on any platform; () when there are none."""
    base.load_parsers()
    parse = base._REGISTRY.get((owner, key))
    keys = {k for (p, k), fn in base._REGISTRY.items() if p == owner and fn is parse}
    outputs = recorded_outputs()
    own = [text for k in sorted(keys) for text in outputs.get((owner, k), [])]
    if own:
        return tuple(own)
    return tuple(text for (_, k), texts in sorted(outputs.items()) if k == key for text in texts)


@cache
def all_lines() -> tuple[str, ...]:
    return tuple(
        line
        for texts in recorded_outputs().values()
        for text in texts
        for line in text.splitlines()
    )


REACHED = reached()
EXAMPLES = max(3, min(25, 6000 // (3 * max(len(REACHED), 1))))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True, scope="module")
def ttp_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # ttp re-reads its own sources on every call unless its cache folder exists; give it one
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TTPCACHEFOLDER", str(tmp_path_factory.mktemp("ttp-cache")))
        yield


def params() -> list[Any]:
    return [pytest.param(entry, id=entry.id) for entry in REACHED]


def check(entry: Reached, text: str) -> None:
    """One output through the parser as a capture sends it: a ParseResult that agrees with
    what it holds, never a crash."""
    result, fragment = base.parse_text(entry.platform, entry.command, text, peer="p", file="f")
    assert result.parser == entry.id
    assert result.command == entry.command and result.file == "f"
    assert not (result.reason or "").startswith("parser error:"), result.reason
    if result.status == ParseStatus.FAILED:
        assert fragment.is_empty() and result.reason
        assert result.raw == text, "output that was not parsed must be kept whole"
        return
    # what the fragment holds decides the status
    if fragment.is_empty():
        assert result.status == ParseStatus.EMPTY, (result.status, result.reason)
        assert result.raw == text and result.reason
    elif fragment.unplaced:
        assert result.status == ParseStatus.PARTIAL, (result.status, result.reason)
        assert result.reason and result.raw
        assert len(result.raw.splitlines()) == len(fragment.unplaced)
        for unplaced in fragment.unplaced:
            assert unplaced.text in text, "an unplaced line must be a line of the output"
    else:
        assert result.status == ParseStatus.OK, (result.status, result.reason)
        assert result.raw is None and result.reason is None


def truncated_real_output(entry: Reached, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(real_outputs(entry.owner, entry.key)), label="output")
    cut = data.draw(st.integers(min_value=0, max_value=len(text)), label="cut")
    check(entry, text[:cut])


def mixed_real_lines(entry: Reached, picks: list[int], seed: int, newline: str) -> None:
    # lines of this command's outputs and of every other, shuffled together
    own = [line for text in real_outputs(entry.owner, entry.key) for line in text.splitlines()]
    pool = own + list(all_lines())
    chosen = [pool[pick % len(pool)] for pick in picks]
    random.Random(seed).shuffle(chosen)
    check(entry, newline.join(chosen))


TEXT = st.text(max_size=400)
PICKS = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
NEWLINES = st.sampled_from(["\n", "\r\n"])


@pytest.mark.parametrize("entry", params())
@SETTINGS
@given(text=TEXT)
def test_random_text(entry: Reached, text: str) -> None:
    check(entry, text)


@pytest.mark.parametrize("entry", params())
@SETTINGS
@given(data=st.data())
def test_truncated_real_output(entry: Reached, data: st.DataObject) -> None:
    truncated_real_output(entry, data)


@pytest.mark.parametrize("entry", params())
@SETTINGS
@given(picks=PICKS, seed=SEEDS, newline=NEWLINES)
def test_mixed_real_lines(entry: Reached, picks: list[int], seed: int, newline: str) -> None:
    mixed_real_lines(entry, picks, seed, newline)


@pytest.mark.parametrize("entry", params())
def test_each_real_output_whole(entry: Reached) -> None:
    """Every real output of the command, whole: what the parser is for, not a random cut."""
    for text in real_outputs(entry.owner, entry.key):
        check(entry, text)


def test_every_registered_parser_is_reached_by_an_allowlisted_command() -> None:
    covered = {(entry.owner, entry.key) for entry in REACHED}
    missing = sorted(f"{p}/{k}" for p, k in base._REGISTRY if (p, k) not in covered)
    assert REACHED and not missing, f"parsers no allowlisted command reaches: {missing}"


def test_every_parser_is_fed_real_outputs_of_its_command() -> None:
    """The cut and mixed strategies draw from the parser's own command: a parser without a
    single real output of it would only ever see unrelated text."""
    missing = [entry.id for entry in REACHED if not real_outputs(entry.owner, entry.key)]
    assert not missing, f"parsers without a real output of their command: {missing}"


def test_the_check_refuses_a_status_that_disagrees_with_the_fragment() -> None:
    """The property's own judge can fail: an OK result of an empty fragment is refused."""
    entry = next(e for e in REACHED if e.id == "strongswan/swanctl-list-sas")
    text = real_outputs(entry.owner, entry.key)[0]
    real_parse_text: Callable[..., Any] = base.parse_text

    def lying_parse_text(*args: Any, **kwargs: Any) -> Any:
        result, _ = real_parse_text(*args, **kwargs)
        return result, base.Fragment()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base, "parse_text", lying_parse_text)
        with pytest.raises(AssertionError):
            check(entry, text)
