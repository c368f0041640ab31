"""CLI errors are platform data (`failure_indicators`), applied once by `parse_text` before
any parser runs: an output whose every line carries one is FAILED with the device's words.

Where the outputs come from:
- Linux: recorded for these tests from the real tools on Debian 12 (bash 5.2.15, dash, GNU
  coreutils 9.1 cat, iproute2 6.1.0 and nft run without the rights they need; cat given a
  directory); the strongSwan 5.9.8 swanctl lines from the same machine without a running
  charon.
- FortiOS: the FortiGate transcript in sky-cloud-tec/netd,
  cli/fortinet/fortigate/v5.6.x_test.go ("Command fail. Return code -361",
  "Unknown action 0"), prompts removed.
- Libreswan: whack without a running pluto, as in tests/parsers/test_libreswan.py.
- Cisco IOS: the refusal printed under a mistyped word, as in tests/vendors/test_cisco.py.
No real PAN-OS or Junos refusal was found to copy; their markers come from scrapli and
scrapli_community (see the platform files) and are exercised through the shared function.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers.base import cli_failure, parse_text
from ipsec_tui.platforms import available_platforms, load_platform

CAPTURE = Path(__file__).resolve().parent.parent / "data" / "captures" / "strongswan" / "baseline"


@pytest.mark.parametrize("platform", available_platforms())
def test_every_platform_names_its_failure_indicators(platform: str) -> None:
    assert load_platform(platform).failure_indicators


@pytest.mark.parametrize(
    ("platform", "command", "text", "reason"),
    [
        (
            "strongswan",
            "swanctl --list-sas",
            "/bin/bash: line 1: swanctl: command not found\n",
            "/bin/bash: line 1: swanctl: command not found",
        ),
        (
            "libreswan",
            "ipsec trafficstatus",
            "/bin/sh: 1: ipsec: not found\n",
            "/bin/sh: 1: ipsec: not found",
        ),
        (
            "libreswan",
            "ipsec status",
            'whack: Pluto is not running (no "/run/pluto/pluto.ctl")\n',
            'whack: Pluto is not running (no "/run/pluto/pluto.ctl")',
        ),
        (
            "libreswan",
            "cat /etc/ipsec.conf",
            "cat: ipsec.conf: Is a directory\n",
            "cat: ipsec.conf: Is a directory",
        ),
        (
            "libreswan",
            "cat /var/log/pluto.log",
            "cat: /var/log/pluto.log: No such file or directory\n",
            "cat: /var/log/pluto.log: No such file or directory",
        ),
        (
            "strongswan",
            "ip xfrm state",
            "RTNETLINK answers: Operation not permitted\nDump terminated\n",
            "RTNETLINK answers: Operation not permitted",
        ),
        (
            "strongswan",
            "nft list ruleset",
            "Operation not permitted (you must be root)\n"
            "netlink: Error: cache initialization failed: Operation not permitted\n",
            "Operation not permitted (you must be root)",
        ),
        (
            "fortinet",
            "diagnose vpn tunnel list",
            "Unknown action 0\n",
            "Unknown action 0",
        ),
        (
            "fortinet",
            "show vpn ipsec phase1-interface",
            "Command fail. Return code -361\n",
            "Command fail. Return code -361",
        ),
        (
            "cisco_ios",
            "show crypto isakmp sa",
            "                           ^\n% Invalid input detected at '^' marker.\n",
            "% Invalid input detected at '^' marker.",
        ),
    ],
)
def test_a_refused_command_fails_with_the_device_words(
    platform: str, command: str, text: str, reason: str
) -> None:
    result, fragment = parse_text(platform, command, text)
    assert result.status == ParseStatus.FAILED
    assert result.reason == f"`{command}` failed: {reason}"
    assert result.raw == text
    assert fragment.is_empty()


def test_the_echoed_command_is_not_an_output_line() -> None:
    text = (
        "show crypto isakmp sa\n                           ^\n"
        "% Invalid input detected at '^' marker.\n"
    )
    assert cli_failure(text, ("% Invalid input detected",), "show crypto isakmp sa") == (
        "% Invalid input detected at '^' marker."
    )


def test_an_output_with_an_error_line_among_others_is_parsed() -> None:
    # a real routing table with a real shell error after it: the output is not only an error
    routes = (CAPTURE / "siteA" / "ip-route-show-table-all.txt").read_text(encoding="utf-8")
    text = routes + "cat: /var/log/pluto.log: No such file or directory\n"
    assert cli_failure(text, load_platform("strongswan").failure_indicators) is None
    result, fragment = parse_text("strongswan", "ip route show table all", text)
    assert result.status != ParseStatus.FAILED
    assert fragment.routes


def test_markers_anchored_at_the_start_only_match_there() -> None:
    # the marker semantics on neutral text (not device output)
    assert cli_failure("alpha beta\n", ("^alpha",)) == "alpha beta"
    assert cli_failure("beta alpha\n", ("^alpha",)) is None
    assert cli_failure("beta alpha\n", ("alpha",)) == "beta alpha"
    # letter case aside: releases print `Invalid syntax.` and `Invalid Syntax.`
    assert cli_failure("ALPHA\n", ("alpha",)) == "ALPHA"


def test_no_indicators_means_no_failure() -> None:
    assert cli_failure("cat: /x: No such file or directory\n", ()) is None
    assert cli_failure("", ("No such file",)) is None
