"""The faults engineers meet in the field, on the real lab (strongSwan both sides, IKEv2,
PSK): each is injected on the running baseline, both peers are collected over SSH, and the
collected outputs must show the fault's own symptom. The diagnosis of these faults is
asserted by the checks' own tests on the captures recorded from this lab."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipsec_tui.lab import core, faults, topology
from tests.lab.conftest import bring_up, collect, swanctl_packets

pytestmark = pytest.mark.lab
A, B = "siteA", "siteB"
SAS = "swanctl --list-sas"
CONF = "cat /etc/swanctl/swanctl.conf"


@pytest.fixture(scope="module")
def lab() -> Iterator[core.Lab]:
    yield from bring_up("strongswan")


def test_nat_exempt_rewrites_lan_traffic_before_ipsec(lab: core.Lab, tmp_path: Path) -> None:
    printed = faults.inject(lab, "nat-exempt")
    assert any("masquerade" in line for line in printed)
    assert "traffic: 3 pings hostB->hostA: unanswered" in printed
    assert "traffic: 3 pings hostA->hostB: answered" in printed
    c = collect(tmp_path)
    # the rule, and that it caught traffic
    assert re.search(
        r"ip saddr 10\.2\.0\.0/24 counter packets [1-9]\d* bytes \d+ masquerade",
        c.text(B, "nft list ruleset"),
    )
    # the tunnel is up on both sides ...
    for peer in (A, B):
        assert "ESTABLISHED" in c.text(peer, SAS) and "INSTALLED" in c.text(peer, SAS)
    # ... but B's LAN traffic leaves with B's own address and matches no IPsec policy
    assert "no matching outbound IPsec policy for 203.0.113.2 == 10.1.0.10" in c.log(B)
    b = swanctl_packets(c.text(B, SAS))
    assert b["in"] == b["out"] > 0  # only A's pings and their answers went through


def test_mtu_black_holes_large_packets(lab: core.Lab, tmp_path: Path) -> None:
    printed = faults.inject(lab, "mtu")
    assert "traffic: 100-byte pings with DF set hostA->hostB: answered" in printed
    assert "traffic: 1300-byte pings with DF set hostA->hostB: unanswered" in printed
    c = collect(tmp_path)
    assert "fragmentation = no" in c.text(B, CONF)
    assert "fragmentation = yes" in c.text(A, CONF)
    # B offered no IKE fragmentation: its IKE_SA_INIT response has no FRAG_SUP
    response = re.search(r"parsed IKE_SA_INIT response 0 \[(.*)\]", c.log(A))
    assert response and "FRAG_SUP" not in response.group(1)
    # A sent more than reached B: the large ESP packets were lost on the way
    a, b = swanctl_packets(c.text(A, SAS)), swanctl_packets(c.text(B, SAS))
    assert a["out"] > b["in"] > 0


def test_dpd_tears_down_an_established_tunnel(lab: core.Lab, tmp_path: Path) -> None:
    printed = faults.inject(lab, "dpd")
    assert "siteA: DPD declared the peer dead" in printed
    c = collect(tmp_path)
    log = c.log(A)
    established = log.index("IKE_SA lab[")
    dpd = log.index("sending DPD request")
    gave_up = log.index("giving up after 4 retransmits")
    assert established < dpd < gave_up  # up first, then the peer stopped answering
    assert "retransmit 4 of request with message ID" in log
    assert "INSTALLED" not in c.text(A, SAS)
    assert "dpd_delay = 10s" in c.text(A, CONF)
    assert re.search(
        r"udp dport \{ 500, 4500 \} counter packets [1-9]", c.text(B, "nft list ruleset")
    )


def test_ike_version_mismatch(lab: core.Lab, tmp_path: Path) -> None:
    faults.inject(lab, "ike-version")
    c = collect(tmp_path)
    assert "version = 2" in c.text(A, CONF) and "version = 1" in c.text(B, CONF)
    assert "received NO_PROPOSAL_CHOSEN notify error" in c.log(A)
    assert "no IKE config found for 203.0.113.2...203.0.113.1, sending NO_PROPOSAL_CHOSEN" in c.log(
        B
    )
    assert "ESTABLISHED" not in c.text(A, SAS)


def test_stale_sa_after_a_restart_without_notice(lab: core.Lab, tmp_path: Path) -> None:
    before = list(lab.state.daemons["siteB"])
    printed = faults.inject(lab, "stale-sa")
    assert "traffic: 3 pings hostA->hostB: unanswered" in printed
    assert lab.state.daemons["siteB"][0] != before[0]  # the new daemon is the lab's to stop
    c = collect(tmp_path)
    a_sas, b_sas = c.text(A, SAS), c.text(B, SAS)
    assert "ESTABLISHED" in a_sas and "INSTALLED" in a_sas  # A still holds its SAs
    assert "ESTABLISHED" not in b_sas and "INSTALLED" not in b_sas  # B has none
    out_spi = re.search(r"out ([0-9a-f]{8})", a_sas)
    assert out_spi
    b_log = c.log(B)
    assert "Starting IKE charon daemon" in b_log  # a fresh daemon
    # A's traffic arrives at B under an SPI B no longer knows
    assert f"parsed ESP header with SPI {out_spi.group(1)}" in b_log
    assert "inbound ESP packet does not belong to an installed SA" in b_log
    assert swanctl_packets(a_sas)["out"] > swanctl_packets(a_sas)["in"]


def test_reset_undoes_the_field_faults(lab: core.Lab, tmp_path: Path) -> None:
    faults.inject(lab, "mtu")
    faults.reset(lab)
    assert core.ping(topology.SITE_A, topology.SITE_B, size=1300)
    faults.inject(lab, "stale-sa")
    faults.reset(lab)
    c = collect(tmp_path)
    assert "itl_fault" not in c.text(B, "nft list ruleset")
    assert "fragmentation = yes" in c.text(B, CONF)
    a = swanctl_packets(c.text(A, SAS))
    assert a["in"] > 0 and a["out"] > 0
