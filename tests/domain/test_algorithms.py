"""Canonical algorithm names: the spellings of strongSwan, Libreswan, Cisco, Juniper, Palo Alto
and FortiOS agree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import Proposal


@pytest.mark.parametrize(
    ("text", "keysize", "expected"),
    [
        # AES-CBC-256 in every spelling we read
        ("AES_CBC-256", None, "aes256"),  # swanctl --list-sas
        ("AES_CBC_256", None, "aes256"),  # charon log, Libreswan
        ("aes256", None, "aes256"),  # strongSwan keyword
        ("AES-CBC, keysize: 256", None, "aes256"),  # Cisco show crypto ikev2 sa detail
        ("AES-CBC", 256, "aes256"),  # Cisco, key size in another column
        ("esp-256-aes", None, "aes256"),  # Cisco transform set
        ("aes-256", None, "aes256"),
        ("aes", None, "aes128"),  # AES without a key size is AES-128
        ("AES_CBC", None, "aes128"),
        ("aes192", None, "aes192"),
        # GCM / CCM (AEAD): the ICV length is part of the name
        ("AES_GCM_16-256", None, "aes256gcm16"),  # swanctl
        ("AES_GCM_16_128", None, "aes128gcm16"),  # charon log, Libreswan
        ("aes128gcm16", None, "aes128gcm16"),
        ("aes256gcm16", None, "aes256gcm16"),
        ("AES_GCM_12-128", None, "aes128gcm12"),
        ("AES_GCM_8_256", None, "aes256gcm8"),
        ("aes_gcm128", None, "aes128gcm16"),  # Libreswan: aes_gcm is aes_gcm_c
        ("aes_gcm_c256", None, "aes256gcm16"),
        ("aes_gcm_b256", None, "aes256gcm12"),  # _b: 12-octet ICV (ESP transform 19)
        ("aes_gcm_a128", None, "aes128gcm8"),  # _a: 8-octet ICV (ESP transform 18)
        ("AES-GCM", 256, "aes256gcm16"),  # Cisco
        ("esp-gcm 256", None, "aes256gcm16"),  # Cisco transform set
        ("AES_CCM_16_256", None, "aes256ccm16"),
        # others
        ("AES_CTR_128", None, "aes128ctr"),
        ("aes128ctr", None, "aes128ctr"),
        ("3DES", None, "3des"),
        ("3DES_CBC", None, "3des"),
        ("CHACHA20_POLY1305", None, "chacha20poly1305"),
        ("CAMELLIA_CBC_256", None, "camellia256"),
        ("null", None, "null"),
        # Cisco
        ("AES-CBC", None, "aes128"),
        ("esp-192-aes", None, "aes192"),
        ("esp-aes", None, "aes128"),
        ("esp-aes 256", None, "aes256"),
        ("esp-gcm", None, "aes128gcm16"),
        ("esp-gmac 256", None, "aes256gmac"),
        ("esp-aes-256", None, "aes256"),  # ASA transform
        ("esp-aes-gcm-256", None, "aes256gcm16"),
        ("esp-aes-gmac-256", None, "aes256gmac"),
        ("aes-gmac-192", None, "aes192gmac"),
        ("aes-gcm-256", None, "aes256gcm16"),  # ASA ipsec-proposal and ikev2 policy
        ("AES-CBC-256", None, "aes256"),  # IOS ikev2 proposal
        ("AES-GCM-128", None, "aes128gcm16"),  # ASA vpn-sessiondb
        ("AES256", None, "aes256"),
        ("3des", None, "3des"),
        ("esp-3des", None, "3des"),
        # Juniper, Palo Alto
        ("aes-256-cbc", None, "aes256"),  # Junos/PAN-OS configuration
        ("aes256-cbc", None, "aes256"),  # Junos IKE SA detail
        ("aes-cbc (256 bits)", None, "aes256"),  # Junos IPsec SA detail
        ("aes-gcm (128 bits)", None, "aes128gcm16"),
        ("aes-cbc-256", None, "aes256"),  # Junos IPsec SA brief
        ("aes-gcm-128", None, "aes128gcm16"),
        ("aes-128-gcm", None, "aes128gcm16"),
        # unknown: None, never a guess
        ("blowfish", None, None),
        ("foo", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_encryption(text: str | None, keysize: int | None, expected: str | None) -> None:
    assert algorithms.encryption(text, keysize) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HMAC_SHA2_256_128", "sha256"),
        ("sha256", "sha256"),
        ("SHA256", "sha256"),
        ("SHA-256", "sha256"),
        ("sha2_256", "sha256"),  # Libreswan
        ("esp-sha256-hmac", "sha256"),  # Cisco
        ("HMAC_SHA1_96", "sha1"),
        ("sha1", "sha1"),
        ("sha", "sha1"),
        ("esp-sha-hmac", "sha1"),
        ("HMAC_SHA2_384_192", "sha384"),
        ("HMAC_SHA2_512_256", "sha512"),
        ("sha2_512", "sha512"),
        ("HMAC_MD5_96", "md5"),
        ("esp-md5-hmac", "md5"),
        ("AES_XCBC_96", "aesxcbc"),
        ("sha256_96", "sha256_96"),
        ("HMAC_SHA2_256_96", "sha256_96"),  # strongSwan's name of sha256_96
        # Cisco
        ("esp-sha512-hmac", "sha512"),
        ("SHA96", "sha1"),
        ("sha-512", "sha512"),
        ("None", None),
        ("none", None),
        ("null", None),
        # Juniper, Palo Alto, FortiOS
        ("hmac-sha1-96", "sha1"),
        ("hmac-sha-256-128", "sha256"),
        ("hmac-sha256-128", "sha256"),
        # AEAD or no integrity, PRFs and unknown: None
        ("NULL", None),
        ("prfsha256", None),
        ("whirlpool", None),
        (None, None),
    ],
)
def test_integrity(text: str | None, expected: str | None) -> None:
    assert algorithms.integrity(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PRF_HMAC_SHA2_256", "prfsha256"),  # swanctl, charon log
        ("prfsha256", "prfsha256"),  # keyword
        ("SHA256", "prfsha256"),  # Cisco `PRF: SHA256`
        ("HMAC_SHA2_256", "prfsha256"),
        ("sha2_256", "prfsha256"),  # Libreswan
        ("HMAC_SHA2_256_128", "prfsha256"),  # an integrity name names its PRF
        ("PRF_HMAC_SHA1", "prfsha1"),
        ("sha1", "prfsha1"),
        ("PRF_HMAC_SHA2_384", "prfsha384"),
        ("PRF_HMAC_SHA2_512", "prfsha512"),
        ("prfmd5", "prfmd5"),
        ("PRF_AES128_XCBC", "prfaesxcbc"),
        ("PRF_AES128_CMAC", "prfaescmac"),
        ("hmac-sha256", "prfsha256"),  # Juniper
        ("foo", None),
        (None, None),
    ],
)
def test_prf(text: str | None, expected: str | None) -> None:
    assert algorithms.prf(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MODP_2048", "modp2048"),
        ("modp2048", "modp2048"),
        ("group 14", "modp2048"),
        ("DH Group 14", "modp2048"),
        ("dh14", "modp2048"),
        ("14", "modp2048"),
        (14, "modp2048"),
        ("group2", "modp1024"),
        ("MODP_1024", "modp1024"),
        ("MODP_3072", "modp3072"),
        ("DH19", "ecp256"),
        ("19", "ecp256"),
        ("ECP_256", "ecp256"),
        ("ECP_384", "ecp384"),
        ("ECP_521", "ecp521"),
        ("ECP_256_BP", "ecp256bp"),
        ("modp2048s256", "modp2048s256"),
        ("CURVE_25519", "curve25519"),
        ("x25519", "curve25519"),
        (31, "curve25519"),
        ("CURVE_448", "curve448"),
        # Cisco
        ("DH Grp:19", "ecp256"),
        ("DH_GROUP_256_ECP/Group 19", "ecp256"),
        ("DH_GROUP_2048_MODP/Group 14", "modp2048"),
        ("group14", "modp2048"),
        ("group 21", "ecp521"),
        ("24", "modp2048s256"),
        ("none", "none"),
        # Juniper, Palo Alto, FortiOS
        ("DH-group-2", "modp1024"),
        ("group19", "ecp256"),
        ("DH20", "ecp384"),
        # no PFS
        ("NONE", "none"),
        ("nopfs", "none"),
        # unknown
        ("99", None),
        (99, None),
        ("modp9999", None),
        ("foo", None),
        (None, None),
    ],
)
def test_dh_group(text: str | int | None, expected: str | None) -> None:
    assert algorithms.dh_group(text) == expected


@pytest.mark.parametrize("number", sorted(algorithms.DH_GROUPS))
def test_dh_numbers_round_trip(number: int) -> None:
    name = algorithms.DH_GROUPS[number]
    assert algorithms.dh_group(number) == name
    assert algorithms.dh_group(str(number)) == name
    assert algorithms.dh_group(name) == name
    assert algorithms.dh_number(name) == number


def test_dh_number_unknown() -> None:
    assert algorithms.dh_number(None) is None
    assert algorithms.dh_number("modp9999") is None


@pytest.mark.parametrize(
    ("name", "aead"),
    [
        ("aes256gcm16", True),
        ("aes128ccm8", True),
        ("chacha20poly1305", True),
        ("aes256gmac", True),  # Cisco esp-gmac
        ("aes256", False),
    ],
)
def test_is_aead(name: str, aead: bool) -> None:
    assert algorithms.is_aead(name) is aead
    assert algorithms.is_aead(None) is False


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "aes256-sha256-modp2048",
            "ike",
            Proposal(("aes256",), ("sha256",), ("prfsha256",), ("modp2048",)),
        ),
        ("aes256-sha256-modp2048", "esp", Proposal(("aes256",), ("sha256",), (), ("modp2048",))),
        ("aes128gcm16-modp2048", "esp", Proposal(("aes128gcm16",), (), (), ("modp2048",))),
        ("aes256-sha256", "esp", Proposal(("aes256",), ("sha256",), (), ())),
        ("aes256-sha256-none", "esp", Proposal(("aes256",), ("sha256",), (), ("none",))),
        (
            "aes128gcm16-prfsha256-ecp256",
            "ike",
            Proposal(("aes128gcm16",), (), ("prfsha256",), ("ecp256",)),
        ),
        (
            "aes256-aes128-sha256-sha1-modp2048-ecp256",
            "ike",
            Proposal(
                ("aes256", "aes128"),
                ("sha256", "sha1"),
                ("prfsha256", "prfsha1"),
                ("modp2048", "ecp256"),
            ),
        ),
        (  # Libreswan's ike= / esp= syntax
            "aes256-sha2_256;modp2048",
            "ike",
            Proposal(("aes256",), ("sha256",), ("prfsha256",), ("modp2048",)),
        ),
        ("default", "ike", Proposal()),  # not expanded: nothing recognised
    ],
)
def test_proposal_from_keywords(text: str, kind: str, expected: Proposal) -> None:
    assert algorithms.proposal_from_keywords(text, kind=kind) == expected


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",  # swanctl --list-sas
            "ike",
            Proposal(("aes256",), ("sha256",), ("prfsha256",), ("modp2048",)),
        ),
        (
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",  # charon log
            "ike",
            Proposal(("aes256",), ("sha256",), ("prfsha256",), ("modp2048",)),
        ),
        (
            "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384",
            "ike",
            Proposal(("aes256gcm16",), (), ("prfsha384",), ("ecp384",)),
        ),
        (
            "ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ",
            "esp",
            Proposal(("aes128gcm16",), (), (), ("modp2048",)),
        ),
        ("ESP:AES_CBC-256/HMAC_SHA2_256_128", "esp", Proposal(("aes256",), ("sha256",), (), ())),
    ],
)
def test_proposal_from_suite(text: str, kind: str, expected: Proposal) -> None:
    assert algorithms.proposal_from_suite(text, kind=kind) == expected


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


@given(st.text(max_size=40))
def test_unknown_text_never_raises(text: str) -> None:
    for function in (algorithms.encryption, algorithms.integrity, algorithms.prf):
        result = function(text)
        assert result is None or isinstance(result, str)
    assert algorithms.dh_group(text) is None or algorithms.dh_group(text) in (
        *algorithms.DH_NUMBERS,
        "none",
    )
    assert isinstance(algorithms.proposal_from_keywords(text), Proposal)
    assert isinstance(algorithms.proposal_from_suite(text), Proposal)
