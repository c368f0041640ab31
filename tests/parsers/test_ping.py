"""The path test's ping: each platform's probe command passes its own allowlist in exactly the
form the tool builds, nothing else passes, and what the device prints goes to the `ping`
parser (the outputs themselves are golden cases under tests/parsers/*/ping/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.errors import UserError
from ipsec_tui.parsers import base
from ipsec_tui.platforms import (
    PROBE_MAX_COUNT,
    CommandRefused,
    PlatformSpec,
    available_platforms,
    load_platform,
)

HERE = Path(__file__).parent
TARGET, SOURCE, INTERFACE = "10.2.0.1", "10.1.0.1", "inside"
PROBED = tuple(name for name in available_platforms() if load_platform(name).probe is not None)


def _spec(name: str) -> PlatformSpec:
    return load_platform(name)


def _built(name: str, count: int = 7, target: str = TARGET, source: str = SOURCE) -> str:
    probe = _spec(name).probe
    assert probe is not None
    return probe.command(target, source, count, INTERFACE)


def _swap(command: str, old: str, new: str) -> str:
    """The command with one whole word replaced (the word must be there)."""
    words = command.split()
    assert old in words, (old, command)
    return " ".join(new if word == old else word for word in words)


def test_the_vendors_with_a_read_only_ping_have_a_probe() -> None:
    assert set(PROBED) == {
        "strongswan",
        "libreswan",
        "cisco_ios",
        "cisco_asa",
        "juniper_junos",
        "paloalto_panos",
    }
    # FortiOS sets a ping's source with `execute ping-options`, which changes session state
    assert _spec("fortinet").probe is None


@pytest.mark.parametrize("name", PROBED)
@pytest.mark.parametrize("count", [1, 5, PROBE_MAX_COUNT])
@pytest.mark.parametrize(("target", "source"), [(TARGET, SOURCE), ("fd00:2::1", "fd00:1::1")])
def test_the_built_command_is_allowed_and_goes_to_the_ping_parser(
    name: str, count: int, target: str, source: str
) -> None:
    spec = _spec(name)
    command = _built(name, count, target, source)
    assert spec.check_allowed(command) == command
    pattern = spec.pattern_of(command)
    assert pattern is not None
    assert base.template_key(pattern) == "ping"
    assert base.find_parser(name, "ping") is not None
    assert target in command.split() and str(count) in command.split()


@pytest.mark.parametrize("name", PROBED)
@pytest.mark.parametrize("count", [0, -1, PROBE_MAX_COUNT + 1, 100])
def test_counts_out_of_bounds_are_never_built(name: str, count: int) -> None:
    with pytest.raises(UserError, match="count"):
        _built(name, count)


@pytest.mark.parametrize("name", PROBED)
@pytest.mark.parametrize(
    "value",
    ["far-host", "host.example", "999.1.1.1", "10.2.0.1;reboot", "10.2.0.1 repeat 1000", ""],
)
def test_only_addresses_are_built_into_the_command(name: str, value: str) -> None:
    with pytest.raises(UserError, match="not an IP address"):
        _built(name, target=value)
    probe = _spec(name).probe
    assert probe is not None
    if "{source}" in probe.ping:  # the ASA names an interface instead
        with pytest.raises(UserError, match="not an IP address"):
            _built(name, source=value)


def test_an_interface_name_is_a_name_only() -> None:
    probe = _spec("cisco_asa").probe
    assert probe is not None
    for bad in ("inside;reboot", "in side", "inside|redirect", "-c", ""):
        with pytest.raises(UserError, match="interface"):
            probe.command(TARGET, SOURCE, 3, bad)


@pytest.mark.parametrize("name", PROBED)
@pytest.mark.parametrize("count", ["0", "11", "70", "1000"])
def test_the_allowlist_refuses_other_counts(name: str, count: str) -> None:
    with pytest.raises(CommandRefused):
        _spec(name).check_allowed(_swap(_built(name), "7", count))


@pytest.mark.parametrize("name", PROBED)
@pytest.mark.parametrize("target", ["far-host", "10.2.0.1;reboot", "10.2.0.1`id`", "$(id)"])
def test_the_allowlist_refuses_anything_but_an_address(name: str, target: str) -> None:
    with pytest.raises(CommandRefused):
        _spec(name).check_allowed(_swap(_built(name), TARGET, target))


# The network OS entries admit a dotted quad or a word with a colon only; the Linux entries
# admit any word of hex digits, dots and colons (the probe validates before building).
VENDORS = tuple(name for name in PROBED if not _spec(name).shell)


@pytest.mark.parametrize("name", VENDORS)
@pytest.mark.parametrize("target", ["beef", "10.2.0.1.5", "1.2.3", "cafe.fe"])
def test_the_vendor_allowlists_refuse_hex_words(name: str, target: str) -> None:
    with pytest.raises(CommandRefused):
        _spec(name).check_allowed(_swap(_built(name), TARGET, target))


@pytest.mark.parametrize("name", PROBED)
@pytest.mark.parametrize(
    "tail", ["; reboot", "| redirect flash:out.txt", "&& id", "size 18000", "repeat 1000"]
)
def test_the_allowlist_refuses_anything_more(name: str, tail: str) -> None:
    with pytest.raises(CommandRefused):
        _spec(name).check_allowed(f"{_built(name)} {tail}")


# A ping that did not run: the device's own words are the reason, never a 0/0 result.
REFUSED = [
    ("strongswan", "linux/ping/kernel-vrf-bind-error.txt", "Cannot assign requested address"),
    ("cisco_ios", "cisco_ios/ping/lab-writeup-invalid-source.txt", "% Invalid source address"),
    ("juniper_junos", "juniper_junos/ping/lab-notes-no-route.txt", "No route to host"),
]


@pytest.mark.parametrize(("name", "case", "words"), REFUSED)
def test_a_ping_that_did_not_run_fails_with_the_devices_words(
    name: str, case: str, words: str
) -> None:
    text = (HERE / case).read_text(encoding="utf-8")
    result, fragment = base.parse_text(name, _built(name), text, "siteA", case)
    assert result.status == ParseStatus.FAILED
    assert result.reason is not None and words in result.reason
    assert result.raw == text
    assert fragment.pings == []


def test_an_answered_ping_reads_as_sent_and_received() -> None:
    case = "linux/ping/lab-siteA-ok.txt"
    text = (HERE / case).read_text(encoding="utf-8")
    result, fragment = base.parse_text("libreswan", _built("libreswan"), text, "siteA", case)
    assert result.status == ParseStatus.OK
    (ping,) = fragment.pings
    assert (ping.sent, ping.received, ping.target, ping.source_addr) == (3, 3, TARGET, SOURCE)
    assert ping.source is not None and (ping.source.peer, ping.source.file) == ("siteA", case)
