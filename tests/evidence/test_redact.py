"""Redaction: every supported platform's secret syntax, fingerprints, failing closed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipsec_tui.evidence.redact import leaks, redact, repeatable_secrets

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
    # gaps found while building bundles
    ("cisco_asa", f"isakmp key {SECRET} address 10.0.0.1 netmask 255.255.255.255"),
    ("cisco_ios", f" password 7 {SECRET}"),
    ("cisco_ios", f" key-string 7 {SECRET}"),
    ("cisco_ios", f" ip ospf message-digest-key 1 md5 7 {SECRET}"),
    ("cisco_ios", f" ip ospf authentication-key 7 {SECRET}"),
    ("cisco_ios", f" neighbor 10.0.0.2 password 7 {SECRET}"),
    ("cisco_ios", f"snmp-server host 10.9.9.9 version 2c {SECRET}"),
    ("cisco_ios", f"snmp-server host 10.9.9.9 informs {SECRET}"),
    ("cisco_ios", f"snmp-server user ops grp v3 auth sha {SECRET} priv aes 128 other-{SECRET}"),
    ("juniper_junos", f'privacy-aes128 privacy-key "{SECRET}";'),
    (
        "juniper_junos",
        "set snmp community public authorization read-only".replace("public", SECRET),
    ),
    ("fortinet", f"        set ppk-secret ENC {SECRET}"),
    ("fortinet", f"        set auth-pwd ENC {SECRET}"),
    ("fortinet", f"        set secret ENC {SECRET}"),
    ("paloalto_panos", f"set mgt-config users admin phash {SECRET}"),
    ("paloalto_panos", f"<authpwd>{SECRET}</authpwd>"),
    ("paloalto_panos", f"  key -AQ=={SECRET};"),  # `show config running`, brace form
    ("linux", f"\tenc cbc(aes) 0x{'0123456789abcdef' * 2}"),
    ("linux", f"\taead rfc4106(gcm(aes)) 0x{'fedcba9876543210' * 2} 128"),
    ("strongswan", f"    database = mysql://charon:{SECRET}@localhost/ipsec"),
]

# values that are no secret: redaction must leave them (and the parsers' input) alone
HARMLESS = [
    "    auth = psk",
    '000 "lab":   our auth:secret, their auth:secret, our autheap:none',
    "\tauth-trunc hmac(sha256)",  # ip xfrm state without keys (not root)
    "2026-11-26T20:47:50 11[IKE] authentication of 'siteA.lab' (myself) with pre-shared key",
    "    authby=secret",
    "        set psksecret-remote",  # no value
]


@pytest.mark.parametrize(("platform", "line"), SAMPLES)
def test_each_platforms_secret_is_redacted(platform: str, line: str) -> None:
    result = redact(f"before\n{line}\nafter\n")
    assert SECRET not in result.text, platform
    assert "0123456789abcdef" not in result.text and "fedcba98" not in result.text
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


@pytest.mark.parametrize("line", HARMLESS)
def test_what_is_no_secret_stays(line: str) -> None:
    assert redact(f"{line}\n").text == f"{line}\n"
    assert leaks(f"{line}\n") == []


def test_salted_redaction_is_idempotent_and_keeps_the_fingerprint() -> None:
    """A capture redacted at collection, redacted again by a bundle with another salt, keeps
    its fingerprints: both peers' stay comparable."""
    once = redact(f'    secret = "{SECRET}"\n', b"collection").text
    assert redact(once, b"bundle").text == once
    quoted = redact(f'@a @b : PSK "{SECRET}"\n', b"collection").text
    assert redact(quoted, b"bundle").text == quoted


def test_repeatable_secrets_are_the_long_ones_the_rules_found() -> None:
    texts = [f'secret = "{SECRET}"\n', "snmp-server community public RO\n", "nothing\n"]
    assert repeatable_secrets(texts) == (SECRET,)  # "public" is too common to look for
    assert repeatable_secrets([redact(texts[0], b"s").text]) == ()  # redacted: nothing left
