"""The lab in its other shapes, each brought up once for its tests: three children (faults
that break one child only), IKEv1 main mode, and certificates (an RSA-4096 chain per site).
The collected outputs must show each fault's own symptom, and the engine name its cause
and side."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.errors import UserError
from ipsec_tui.lab import core, faults
from tests.lab.conftest import Collected, bring_up, collect, swanctl_packets

pytestmark = pytest.mark.lab
A, B = "siteA", "siteB"
SAS = "swanctl --list-sas"
CONF = "cat /etc/swanctl/swanctl.conf"
SHAPES: dict[str, dict[str, object]] = {
    "children3": {"children": 3},
    "ikev1": {"ike_version": 1},
    "cert": {"auth": "cert"},
}


@pytest.fixture(scope="module", params=sorted(SHAPES))
def shaped(request: pytest.FixtureRequest) -> Iterator[tuple[str, core.Lab]]:
    for running in bring_up("strongswan", **SHAPES[request.param]):
        yield request.param, running


def _diagnosis(c: Collected) -> tuple[str, str | None]:
    d = analyse_captures(list(c.peers.values())).diagnosis
    return d.cause, d.side


def _installed(list_sas: str) -> set[str]:
    return set(re.findall(r"^\s+(\w+): #\d+, reqid \d+, INSTALLED", list_sas, re.M))


def test_baseline(shaped: tuple[str, core.Lab], tmp_path: Path) -> None:
    shape, lab = shaped
    faults.reset(lab)
    c = collect(tmp_path)
    for peer in (A, B):
        sas = c.text(peer, SAS)
        assert "ESTABLISHED" in sas
        packets = swanctl_packets(sas)
        assert packets["in"] > 0 and packets["out"] > 0
    assert _diagnosis(c) == ("healthy", None)
    if shape == "children3":
        for peer in (A, B):
            assert _installed(c.text(peer, SAS)) == {"lan", "lan2", "lan3"}
        for local, remote in (("10.1.1.0/24", "10.2.1.0/24"), ("10.1.2.0/24", "10.2.2.0/24")):
            assert re.search(rf"local\s+{local}\s*\n\s+remote\s+{remote}", c.text(A, SAS))
    if shape == "ikev1":
        assert "IKEv1" in c.text(A, SAS) and "version = 1" in c.text(B, CONF)
        assert "initiating Main Mode IKE_SA" in c.log(A)
    if shape == "cert":
        assert "auth = pubkey" in c.text(A, CONF) and "secret" not in c.text(A, CONF)
        log = c.log(A)
        assert 'sending issuer cert "C=CH, O=ipsec-tui lab, CN=siteA Issuing CA"' in log
        assert "splitting IKE message" in log  # the chain needs IKE fragmentation
        assert "PRIVATE KEY" not in "".join(c.text(p, CONF) + c.log(p) for p in (A, B))


def test_faults(shaped: tuple[str, core.Lab], tmp_path: Path) -> None:
    shape, lab = shaped
    if shape == "children3":
        printed = faults.inject(lab, "child-proposal", 2)
        assert "traffic on child lan2: unanswered" in printed
        assert "traffic on child lan3: answered" in printed
        c = collect(tmp_path / "proposal")
        assert _installed(c.text(A, SAS)) == {"lan", "lan3"}
        assert "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built" in c.log(A)
        assert "no acceptable proposal found" in c.log(B)
        assert re.search(r"lan2 \{[^}]*esp_proposals = aes128gcm16-modp2048", c.text(B, CONF))
        assert _diagnosis(c) == ("child-proposal-mismatch", B)

        printed = faults.inject(lab, "child-ts", 3)
        assert "traffic on child lan3: unanswered" in printed
        c = collect(tmp_path / "ts")
        assert _installed(c.text(A, SAS)) == {"lan", "lan2"}
        assert "received TS_UNACCEPTABLE notify, no CHILD_SA built" in c.log(A)
        assert "remote_ts = 10.99.3.0/24" in c.text(B, CONF)
        assert _diagnosis(c) == ("selector-mismatch", B)
        with pytest.raises(UserError, match="--child 4"):
            faults.inject(lab, "child-ts", 4)
    if shape == "ikev1":
        faults.inject(lab, "psk")
        c = collect(tmp_path / "psk")
        # main mode: the responder cannot decrypt message 5, it is no AUTH_FAILED notify
        # ("invalid ID_V1 payload length, decryption failed?" as a rule: which payload
        # the garbage breaks first can vary)
        assert re.search(r"invalid \w+ payload length, decryption failed\?", c.log(B))
        assert "could not decrypt payloads" in c.log(B)
        assert "ESTABLISHED" not in c.text(A, SAS)
        assert _diagnosis(c) == ("psk-mismatch", B)
        faults.inject(lab, "ike-proposal")
        c = collect(tmp_path / "proposal")
        assert "received NO_PROPOSAL_CHOSEN error notify" in c.log(A)
        assert _diagnosis(c) == ("ike-proposal-mismatch", B)
    if shape == "cert":
        printed = faults.inject(lab, "mtu")
        assert "siteA: re-initiated the tunnel: failed" in printed
        c = collect(tmp_path)
        log = c.log(A)
        # IKE_SA_INIT answered, then the whole (not IKE-fragmented) IKE_AUTH retransmitted
        assert "parsed IKE_SA_INIT response 0" in log
        assert "retransmit 2 of request with message ID 1" in log
        sizes = [int(s) for s in re.findall(r"to 203\.0\.113\.2\[4500\] \((\d+) bytes\)", log)]
        assert sizes and max(sizes) > 1500
        assert "ESTABLISHED" not in c.text(A, SAS)
        assert _diagnosis(c) == ("mtu-fragmentation", B)


def test_child_faults_need_several_children(shaped: tuple[str, core.Lab]) -> None:
    shape, lab = shaped
    if shape == "children3":
        pytest.skip("this lab has several children")
    with pytest.raises(UserError, match="--children 3"):
        faults.inject(lab, "child-proposal")
