"""A Cisco peer against a strongSwan peer, both from real outputs, compared by the checks.

The Cisco IOS-XE peer is built from real samples (tests/parsers/cisco_ios/: a CSR's
`show crypto ikev2 sa detailed` with the IKEv2 proposals and IPsec profiles of IOS-XE
devices), the ASA peer from a real ASA's configuration and SA samples, the strongSwan peer
from tests/data/captures/strongswan/baseline/siteA. They are not the two ends of one
tunnel, so mismatches are expected: what this checks is that both sides are named the same
way (canonical algorithm names) and that a difference shows as a mismatch, not as two
spellings of one algorithm.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipsec_tui.analysis import Analysis, analyse_models
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.capture import CommandRecord, PeerCapture, slug
from ipsec_tui.domain.model import PeerModel, Row
from ipsec_tui.parsers.base import parse_peer
from ipsec_tui.parsers.cisco_common import join_peer_model

TESTS = Path(__file__).resolve().parent.parent
BASELINE = TESTS / "data" / "captures" / "strongswan" / "baseline"

PEERS = {
    "cisco_ios": [
        ("show crypto ikev2 sa detailed", "show-crypto-ikev2-sa-detailed/genie-golden-output6.txt"),
        ("show crypto ipsec sa detail", "show-crypto-ipsec-sa-detail/genie-golden-output-3.txt"),
        ("show crypto ikev2 proposal", "show-crypto-ikev2-proposal/genie-golden-output-1.txt"),
        ("show crypto ipsec profile", "show-crypto-ipsec-profile/genie-golden-output-1.txt"),
    ],
    "cisco_asa": [
        ("show crypto ikev2 sa", "show-crypto-ikev2-sa/genie-golden-output1-ipv6.txt"),
        ("show running-config crypto", "show-running-config-crypto/forum-ikev2-l2l.txt"),
        (
            "show running-config tunnel-group",
            "show-running-config-tunnel-group/forum-ikev2-l2l.txt",
        ),
    ],
}

# strongSwan's proposal keywords, the canonical names (ipsec_tui.domain.algorithms)
CANONICAL = re.compile(
    r"^(aes\d{3}(gcm16|gmac|ctr)?|3des|des|null|chacha20poly1305|sha1|sha\d{3}|md5|"
    r"prf(sha1|sha\d{3}|md5)|modp\d+(s\d+)?|ecp\d+(bp)?|curve25519|none)$"
)


def cisco_peer(platform: str) -> PeerModel:
    records, outputs = [], {}
    for command, sample in PEERS[platform]:
        name = f"{slug(command)}.txt"
        outputs[name] = (TESTS / "parsers" / platform / sample).read_text(encoding="utf-8")
        records.append(CommandRecord(command=command, file=name))
    model = parse_peer(
        PeerCapture(name=platform, platform=platform, commands=tuple(records), outputs=outputs)
    )
    return join_peer_model(model)


def strongswan_peer() -> PeerModel:
    return parse_peer(read_capture(BASELINE)[0])


def algorithm_rows(analysis: Analysis) -> list[Row]:
    return [
        row
        for step in analysis.steps
        for finding in step.findings
        if finding.check_id.startswith("proposal.")
        for row in finding.rows
        if re.search(r"encryption|integrity|PRF|DH|PFS", row.field)
    ]


def names(cell: str | None) -> list[str]:
    if cell in (None, "(none)"):
        return []
    return [name.strip() for name in str(cell).split(",")]


@pytest.mark.parametrize("platform", sorted(PEERS))
def test_proposal_rows_use_canonical_names_on_both_sides(platform: str) -> None:
    analysis = analyse_models(strongswan_peer(), cisco_peer(platform))
    rows = algorithm_rows(analysis)
    assert rows, "the proposal checks compared no algorithm"
    for row in rows:
        for cell in (row.a, row.b):
            for name in names(cell):
                assert CANONICAL.match(name), f"{row.field}: {name!r} is not a canonical name"
    cisco_side = [name for row in rows for name in names(row.b)]
    assert cisco_side, "the Cisco side offered nothing to compare"


def field(analysis: Analysis, check_id: str, name: str) -> Row:
    for step in analysis.steps:
        for finding in step.findings:
            if finding.check_id == check_id:
                for row in finding.rows:
                    if row.field == name:
                        return row
    raise AssertionError(f"no row {name!r} in {check_id}")


def test_ios_negotiated_suite_matches_strongswan_by_name() -> None:
    # the CSR's SA: Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14;
    # siteA's: AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048: the same suite
    analysis = analyse_models(strongswan_peer(), cisco_peer("cisco_ios"))
    for name, value in [
        ("negotiated encryption", "aes256"),
        ("negotiated integrity", "sha256"),
        ("negotiated PRF", "prfsha256"),
        ("negotiated DH group", "modp2048"),
    ]:
        row = field(analysis, "proposal.ike", name)
        assert (row.a, row.b, row.match) == (value, value, True), row


def test_ios_offers_differ_and_are_reported_as_mismatches() -> None:
    analysis = analyse_models(strongswan_peer(), cisco_peer("cisco_ios"))
    # IOS-XE's proposals offer SHA-512/384 only; siteA offers SHA-256
    integrity = field(analysis, "proposal.ike", "offers integrity")
    assert (integrity.a, integrity.match) == ("sha256", False)
    assert set(names(integrity.b)) == {"sha512", "sha384"}
    groups = field(analysis, "proposal.ike", "offers DH group")
    assert groups.match is True and "modp2048" in names(groups.b)
    # the IPsec profile's transform set is esp-gcm 256: AES-GCM, not siteA's AES-CBC
    child = field(analysis, "proposal.child", "offers encryption")
    assert (child.a, child.b, child.match) == ("aes256", "aes256gcm16", False)
    verdicts = {f.check_id: f.status.value for s in analysis.steps for f in s.findings}
    assert verdicts["proposal.ike"] == "fail" and verdicts["proposal.child"] == "fail"


def test_asa_offers_are_named_like_strongswan() -> None:
    analysis = analyse_models(strongswan_peer(), cisco_peer("cisco_asa"))
    encryption = field(analysis, "proposal.ike", "offers encryption")
    assert set(names(encryption.b)) == {"aes256gcm16", "aes256"}
    assert encryption.match is True  # aes256 offered by both
    groups = field(analysis, "proposal.ike", "offers DH group")
    assert set(names(groups.b)) == {"ecp521", "modp2048s256"} and groups.match is False
    child = field(analysis, "proposal.child", "offers encryption")
    assert (child.b, child.match) == ("aes256gcm16", False)
