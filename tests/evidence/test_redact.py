"""Redaction: every supported platform's secret syntax, fingerprints, failing closed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipsec_tui.evidence.redact import leaks, redact

SECRET = "S3cr3t-Value_42"

# (platform, a configuration or output line carrying SECRET)
SAMPLES = [
    ("strongswan", f'    secret = "{SECRET}"'),
    ("strongswan", f"    secret = {SECRET}"),
    ("ipsec.secrets", f'@siteA.lab @siteB.lab : PSK "{SECRET}"'),
    ("libreswan", f": PSK {SECRET}"),
    ("cisco_ios", f"crypto isakmp key {SECRET} address 10.0.0.1"),
    ("cisco_ios", f"crypto isakmp key 6 {SECRET} address 10.0.0.1"),
    ("cisco_ios", f" pre-shared-key local {SECRET}"),
    ("cisco_ios", f" pre-shared-key address 10.1.1.1 key 0 {SECRET}"),
    ("cisco_ios", f"enable secret 5 {SECRET}"),
    ("cisco_ios", f"username admin privilege 15 secret 9 {SECRET}"),
    ("cisco_ios", f"snmp-server community {SECRET} RO"),
    ("cisco_asa", f" ikev1 pre-shared-key {SECRET}"),
    ("cisco_asa", f" ikev2 remote-authentication pre-shared-key {SECRET}"),
    ("juniper_junos", f'set security ike policy p pre-shared-key ascii-text "{SECRET}"'),
    ("juniper_junos", f'    pre-shared-key hexadecimal "{SECRET}";'),
    ("juniper_junos", f'set system root-authentication encrypted-password "{SECRET}"'),
    ("fortinet", f"        set psksecret ENC {SECRET}"),
    ("fortinet", f"        set password ENC {SECRET}"),
    ("paloalto_panos", f"set network ike gateway gw authentication pre-shared-key key {SECRET}"),
    ("paloalto_panos", f"<pre-shared-key><key>{SECRET}</key></pre-shared-key>"),
    ("any", f"-----BEGIN RSA PRIVATE KEY-----\nMIIB{SECRET}\n-----END RSA PRIVATE KEY-----"),
]


@pytest.mark.parametrize(("platform", "line"), SAMPLES)
def test_each_platforms_secret_is_redacted(platform: str, line: str) -> None:
    result = redact(f"before\n{line}\nafter\n")
    assert SECRET not in result.text, platform
    assert "<redacted>" in result.text
    assert result.text.startswith("before\n") and result.text.endswith("after\n")
    assert leaks(result.text) == []
    assert redact(result.text).text == result.text  # idempotent


def test_fingerprints_compare_without_revealing() -> None:
    salt = b"one-run"
    a = redact('secret = "same"\n', salt).text
    b = redact('secret = "same"\n', salt).text
    c = redact('secret = "other"\n', salt).text
    assert a == b and a != c
    assert redact('secret = "same"\n', b"another-run").text != a


def test_device_masked_values_are_left_alone() -> None:
    assert redact(" ikev1 pre-shared-key *****\n").text == " ikev1 pre-shared-key *****\n"


def test_known_secret_is_removed_and_a_leak_is_reported() -> None:
    text = "banner: the password is Tr0ub4dor&3\n"
    assert leaks(text, ["Tr0ub4dor&3"]) == ["a known secret"]
    assert "Tr0ub4dor&3" not in redact(text, known_secrets=["Tr0ub4dor&3"]).text


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.from_regex(r"[A-Za-z0-9_+=/-]{6,30}", fullmatch=True),
)
def test_random_text_around_a_secret(noise: str, secret: str) -> None:
    text = f"{noise}\n    secret = {secret}\n{noise}"
    result = redact(text)
    assert f"secret = {secret}" not in result.text
    assert leaks(result.text) == []
    assert redact(result.text).text == result.text
