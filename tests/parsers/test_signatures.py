"""Vendor log signatures (ipsec_tui/parsers/signatures/<platform>.yml), discovered from the files.

Every entry's example line goes through its platform's own log parser (`base.parse_text` on
the platform's log command, as a capture is parsed) with a line prefix recorded from a real
log of that platform, and must come out with the entry's cause tokens (and direction), or
the exchange it names.
Every entry names a source; an example taken from a file of this project must be a line of
that file; no two entries of a platform share a regex.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ipsec_tui.domain.causes import AUTH_EXCHANGES, EXCHANGES, FIRST_EXCHANGES, ON_SA_EXCHANGES
from ipsec_tui.domain.model import LogEvent
from ipsec_tui.parsers import base, log_signatures
from ipsec_tui.parsers.log_signatures import Signature, exchange_of, match_causes, signatures
from ipsec_tui.platforms import load_platform

ROOT = Path(__file__).resolve().parents[2]

# Real line prefixes, each from a recorded log of the platform:
_CHARON_TIME = "2026-11-26T20:47:50 "  # tests/parsers/strongswan/cat-log-file/psk-siteB.txt
_CHARON_THREAD = "14[IKE] <lab|4> "  # same file, same line
_CHARON_SYSLOG = "Nov 26 20:31:24 siteA "  # syslog form: strongswan cat-log-file.ttp's <doc>
_PLUTO_TIME = "Nov 26 20:48:38.938961: "  # tests/parsers/libreswan/cat-log-file/psk-siteB.txt
_IOS_TIME = "*Mar  1 00:42:09.431: "  # tests/parsers/cisco_ios/show-logging/lab-notes-...
_ASA_TIME = "Dec 04 2014 12:37:51: "  # tests/parsers/cisco_asa/show-logging/blog-aws-...


def _charon_line(example: str) -> str:
    if re.match(r"\d{4}-\d\d-\d\dT", example):
        return example
    if example.startswith("charon"):
        return _CHARON_SYSLOG + example
    if re.match(r"\d+\[[A-Z]{3}\d?\] ", example):
        return _CHARON_TIME + example
    return _CHARON_TIME + _CHARON_THREAD + example


def _pluto_line(example: str) -> str:
    return example if re.match(r"[A-Z][a-z]{2} [ \d]\d \d\d:", example) else _PLUTO_TIME + example


def _syslog(prefix: str) -> Callable[[str], str]:
    return lambda example: prefix + example if example.startswith("%") else example


LOG_LINE: dict[str, Callable[[str], str]] = {
    "strongswan": _charon_line,
    "libreswan": _pluto_line,
    "cisco_ios": _syslog(_IOS_TIME),
    "cisco_asa": _syslog(_ASA_TIME),
    # a tunnel activity record: AWS's wording is its `details` field (log-contents.md)
    "aws_vpn": lambda example: json.dumps({"details": example}),
    # a gateway IKE message is a line of its own (IKElogs.txt)
    "azure_vpngw": lambda example: example,
}
# Platforms whose log no parser reads yet (no read-only log command, or no real sample of
# its CLI output: docs/platforms/<platform>.md): their wordings are checked by the matcher.
NO_LOG_PARSER = {"fortinet", "paloalto_panos", "gcp_vpn"}

CASES = [
    pytest.param(platform, index, signature, id=f"{platform}-{index}")
    for platform in log_signatures.platforms()
    for index, signature in enumerate(signatures(platform))
]


def test_every_platform_file_is_known() -> None:
    found = set(log_signatures.platforms())
    assert found, "no signature files found"
    assert found <= set(LOG_LINE) | NO_LOG_PARSER


def _parsed(platform: str, example: str) -> LogEvent:
    """The example line as the platform's log parser reads it (with a real line prefix)."""
    spec = load_platform(platform)
    command = spec.facts["log"][0].canonical(spec.resolve_variables())
    line = LOG_LINE[platform](example)
    result, fragment = base.parse_text(platform, command, line + "\n")
    assert result.status.value == "ok", (result.reason, line)
    assert len(fragment.log) == 1, line
    return fragment.log[0]


@pytest.mark.parametrize(("platform", "index", "signature"), CASES)
def test_example_matches_its_own_regex(platform: str, index: int, signature: Signature) -> None:
    # an anchored wording is matched where the parser matches it: in the message without
    # the line prefix (and, for pluto, without the '"conn" #serial: ' prefix)
    text = signature.example
    if signature.pattern.pattern.startswith("^") and platform not in NO_LOG_PARSER:
        text = re.sub(r'^"[^"]*"[^:]*: ', "", _parsed(platform, text).message)
    assert signature.pattern.search(text), (platform, index, text)


@pytest.mark.parametrize(("platform", "index", "signature"), CASES)
def test_example_through_the_platform_log_parser(
    platform: str, index: int, signature: Signature
) -> None:
    if platform in NO_LOG_PARSER:
        causes, direction = match_causes(signature.example, platform)
        exchange = exchange_of(signature.example, platform)
    else:
        event = _parsed(platform, signature.example)
        causes, direction, exchange = event.causes, event.direction, event.exchange
    assert set(signature.causes) <= set(causes), (signature.example, causes)
    if signature.direction:
        assert direction == signature.direction
    if signature.exchange:
        # the first entry naming an exchange wins: an earlier, wider one would shadow this
        assert exchange == signature.exchange, (signature.example, exchange)


@pytest.mark.parametrize(("platform", "index", "signature"), CASES)
def test_source_is_named_and_local_examples_are_real_lines(
    platform: str, index: int, signature: Signature
) -> None:
    assert signature.source.startswith(("https://", "http://", "tests/")), signature.source
    if signature.source.startswith("tests/"):
        path = ROOT / signature.source.split()[0]
        assert path.is_file(), signature.source
        lines = path.read_text(encoding="utf-8").splitlines()
        assert signature.example in lines, (signature.example, path)


@pytest.mark.parametrize("platform", log_signatures.platforms())
def test_no_two_entries_share_a_regex(platform: str) -> None:
    regexes = [signature.pattern.pattern for signature in signatures(platform)]
    assert len(regexes) == len(set(regexes))


def test_a_bad_entry_is_refused() -> None:
    good = {
        "causes": ["psk_mismatch"],
        "match": "x",
        "example": "x",
        "source": "https://example.org",
        "evidence": "log",
    }
    assert log_signatures._signature("p", 0, good).causes == ("psk_mismatch",)
    typed = log_signatures._signature("p", 0, {**good, "causes": [], "exchange": "IKE_AUTH"})
    assert (typed.causes, typed.exchange) == ((), "IKE_AUTH")
    for change in (
        {"causes": ["no_such_token"]},
        {"evidence": "hearsay"},
        {"direction": "sideways"},
        {"source": ""},
        {"match": "("},
        {"extra": 1},
        {"exchange": "PHASE_3"},
        {"causes": []},
    ):
        with pytest.raises(ValueError):
            log_signatures._signature("p", 0, {**good, **change})


def test_the_ikev1_psk_mismatch_wordings_say_decrypt_failed() -> None:
    # the IKEv1 main mode key mismatch as each daemon words it (issue: logs before configs)
    for platform, message in (
        # verbatim: pfSense docs, hwdsl2/docker-ipsec-vpn-server#123, Cisco lab notes
        ("strongswan", "invalid HASH_V1 payload length, decryption failed?"),
        (
            "libreswan",
            "probable authentication failure (mismatch of preshared secrets?): "
            "malformed payload in packet",
        ),
        ("cisco_ios", "IKE message from 192.1.20.2 failed its sanity check or is malformed"),
    ):
        assert "decrypt_failed" in match_causes(message, platform)[0]
    assert match_causes("IKE_SA lab[2] established between a...b", "libreswan") == ((), None)


def test_every_exchange_is_named_by_some_wording_and_has_one_meaning_for_the_checks() -> None:
    named = {sig.exchange for p in log_signatures.platforms() for sig in signatures(p)}
    assert named - {None} == set(EXCHANGES)
    groups = (FIRST_EXCHANGES, AUTH_EXCHANGES, ON_SA_EXCHANGES)
    assert sorted(e for group in groups for e in group) == sorted(EXCHANGES)
