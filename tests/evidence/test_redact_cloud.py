"""Redaction of the cloud VPN documents: the AWS configuration file's key (as downloaded,
inside the CLI's JSON string and in its XML form) and the keys the clouds' JSON carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipsec_tui.parsers.base import parse_text
from ipsec_tui.redact import leaks, redact

SECRET = "Kx9_secret.Value42"
PARSERS = Path(__file__).parents[1] / "parsers"


@pytest.mark.parametrize(
    "line",
    [
        f"  - Pre-Shared Key           : {SECRET}",
        f"- Pre-Shared Key           : {SECRET} ",
        f'      "PreSharedKey": "{SECRET}",',
        f'    "sharedKey": "{SECRET}",',
        f'  "sharedSecret": "{SECRET}"',
        f"<ike><pre_shared_key>{SECRET}</pre_shared_key></ike>",
    ],
)
def test_cloud_keys_are_redacted(line: str) -> None:
    result = redact(f"before\n{line}\nafter\n", b"run")
    assert SECRET not in result.text
    assert "<redacted:fp=" in result.text
    assert leaks(result.text) == []
    assert redact(result.text, b"run").text == result.text  # idempotent


def test_the_key_inside_the_cli_json_string_keeps_the_next_line() -> None:
    """`get-vpn-connection-device-sample-configuration` prints the file as one JSON string:
    the key ends at the `\\n` escape, so the line after it stays a line of the file."""
    config = (
        PARSERS
        / "aws_vpn/aws-ec2-get-vpn-connection-device-sample-configuration"
        / "generic-static.txt"
    ).read_text(encoding="utf-8")
    raw = config.replace("<redacted:fp=", "").replace(">", "")  # a file with keys in it
    keys = [
        line.split(":", 1)[1].strip()
        for line in raw.splitlines()
        if "Pre-Shared Key " in line and ":" in line and "Authentication" not in line
    ]
    assert keys and all(keys)
    document = json.dumps({"VpnConnectionDeviceSampleConfiguration": raw}, indent=4)
    redacted = redact(document, b"run").text
    assert not any(key in redacted for key in keys)
    result, fragment = parse_text(
        "aws_vpn", "aws ec2 get-vpn-connection-device-sample-configuration", redacted
    )
    assert str(result.status) == "ok", result.reason
    assert [c.name for c in fragment.connections] == [
        "vpn-44a8938f-tunnel1",
        "vpn-44a8938f-tunnel2",
    ]
    # the line after the key is still read: the authentication algorithm, and the mark
    assert all(c.proposals[0].integrity == ("sha1",) for c in fragment.connections)
    assert all(c.psk_fingerprint for c in fragment.connections)


def test_masked_values_of_the_clouds_are_no_secret_to_find_again() -> None:
    text = "sharedSecret: '*************'\nsharedSecretHash: AOs4oVY4bX91gba6DIeg1DbtzWTj\n"
    assert redact(text, b"run").text == text
