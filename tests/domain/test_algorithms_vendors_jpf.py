"""Juniper, Palo Alto and FortiOS spellings of algorithms -> canonical names."""

from __future__ import annotations

import pytest

from ipsec_tui.domain import algorithms


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("aes-256-cbc", "aes256"),  # Junos/PAN-OS configuration
        ("aes256-cbc", "aes256"),  # Junos IKE SA detail
        ("aes-cbc (256 bits)", "aes256"),  # Junos IPsec SA detail
        ("aes-gcm (128 bits)", "aes128gcm16"),
        ("aes-cbc-256", "aes256"),  # Junos IPsec SA brief
        ("aes-gcm-128", "aes128gcm16"),
        ("aes-128-gcm", "aes128gcm16"),
    ],
)
def test_vendor_encryption(text: str, name: str) -> None:
    assert algorithms.encryption(text) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("hmac-sha1-96", "sha1"),
        ("hmac-sha-256-128", "sha256"),
        ("hmac-sha256-128", "sha256"),
        ("sha256", "sha256"),
    ],
)
def test_vendor_integrity(text: str, name: str) -> None:
    assert algorithms.integrity(text) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("DH-group-2", "modp1024"),
        ("group14", "modp2048"),
        ("group19", "ecp256"),
        ("DH20", "ecp384"),
    ],
)
def test_vendor_dh_groups(text: str, name: str) -> None:
    assert algorithms.dh_group(text) == name


def test_vendor_prf() -> None:
    assert algorithms.prf("hmac-sha256") == "prfsha256"


@pytest.mark.parametrize(
    ("text", "encryption", "integrity"),
    [
        ("aes256-sha1", ("aes256",), ("sha1",)),
        ("aes-256-sha512", ("aes256",), ("sha512",)),  # FortiOS 7.2 IKEv2 display
        ("aes128gcm", ("aes128gcm16",), ()),
        ("chacha20poly1305", ("chacha20poly1305",), ()),
    ],
)
def test_fortios_proposals(
    text: str, encryption: tuple[str, ...], integrity: tuple[str, ...]
) -> None:
    proposal = algorithms.proposal_from_fortios(text)
    assert (proposal.encryption, proposal.integrity) == (encryption, integrity)
