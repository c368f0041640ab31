"""Collect both lab gateways over real SSH with Netmiko; the outputs must show the baseline
and each fault's own symptom, for strongSwan and for Libreswan on siteB."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.lab import core, faults
from ipsec_tui.platforms import load_platform
from tests.lab.conftest import Collected, collect, swanctl_packets

pytestmark = pytest.mark.lab
A, B = "siteA", "siteB"


def _b_status(c: Collected, impl: str) -> str:
    return c.text(B, "swanctl --list-sas" if impl == "strongswan" else "ipsec status")


def test_baseline_is_established_with_traffic_both_ways(lab: core.Lab, tmp_path: Path) -> None:
    faults.reset(lab)
    c = collect(tmp_path)
    a_sas = c.text(A, "swanctl --list-sas")
    assert "ESTABLISHED" in a_sas
    if lab.child_sa_supported:
        assert "INSTALLED" in a_sas
        a = swanctl_packets(a_sas)
        assert a["in"] > 0 and a["out"] > 0, a_sas
    if lab.state.impl_b == "strongswan":
        b_sas = c.text(B, "swanctl --list-sas")
        assert "ESTABLISHED" in b_sas and "INSTALLED" in b_sas
        b = swanctl_packets(b_sas)
        assert b["in"] > 0 and b["out"] > 0, b_sas
        # the SPIs mirror: A's outbound SPI is B's inbound one
        a_out = re.search(r"out ([0-9a-f]{8})", a_sas)
        b_in = re.search(r"in\s+([0-9a-f]{8})", b_sas)
        assert a_out and b_in and a_out.group(1) == b_in.group(1)
    else:
        status = c.text(B, "ipsec status")
        assert "ESTABLISHED_IKE_SA" in status or "established IKE SA" in status
        if lab.child_sa_supported:
            traffic = c.text(B, "ipsec trafficstatus")
            assert re.search(r"inBytes=[1-9]", traffic) and re.search(r"outBytes=[1-9]", traffic)
        else:  # the honest symptom of this kernel: SA install refused
            assert "Protocol not supported" in c.log(B)
    # the login commands of Netmiko's driver are recorded as evidence
    assert c.peers[A].login_commands == load_platform("strongswan").login_commands
    # each command is time-stamped
    assert all(r.started_at and r.finished_at for r in c.peers[A].commands)
    # the PSK is in both gateways' configs, yet reaches no file of the capture
    files = [p for p in c.result.out_dir.rglob("*") if p.is_file()]
    assert files and all(lab.state.psk not in p.read_text() for p in files)
    conf = _show(c, A, "config")
    assert "<redacted:fp=" in conf
    # and the engine reads the live capture as the lab built it
    d = analyse_captures(list(c.peers.values())).diagnosis
    if lab.child_sa_supported:
        assert (d.cause, d.side) == ("healthy", None), d.summary
    else:
        assert (d.cause, d.side) == ("sa-install-failed", B), d.summary


# what the captured text must show: (fault, IKE implementations on siteB, peer, where, text)
SWAN, LIBRE = ("strongswan",), ("libreswan",)
BOTH = SWAN + LIBRE
SYMPTOMS = [
    ("psk", BOTH, A, "log", "received AUTHENTICATION_FAILED"),
    ("psk", SWAN, B, "log", "MAC mismatched"),
    ("psk", LIBRE, B, "log", "computed hash does not match"),
    ("identity", BOTH, A, "log", "received AUTHENTICATION_FAILED"),
    ("identity", SWAN, B, "log", "no matching peer config found"),
    ("identity", LIBRE, B, "log", "Peer ID '@siteA.lab' mismatched"),
    ("ike-proposal", BOTH, A, "log", "received NO_PROPOSAL_CHOSEN notify error"),
    ("ike-proposal", LIBRE, B, "log", "unencrypted notification NO_PROPOSAL_CHOSEN"),
    ("esp-proposal", BOTH, A, "log", "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built"),
    ("esp-proposal", SWAN, B, "log", "no acceptable proposal found"),
    ("esp-proposal", LIBRE, B, "log", "matching remote ESP/AH proposals failed"),
    ("pfs", BOTH, A, "log", "CHILD_SA rekeying failed"),
    ("pfs", SWAN, B, "log", "no acceptable proposal found"),
    ("ts", BOTH, A, "log", "received TS_UNACCEPTABLE notify"),
    ("ts", SWAN, B, "config", "remote_ts = 10.99.0.0/24"),
    ("ts", LIBRE, B, "log", "No IKEv2 connection found with compatible Traffic Selectors"),
    ("mode", BOTH, A, "log", "received TS_UNACCEPTABLE notify"),
    ("mode", BOTH, A, "config", "mode = transport"),
    ("udp-blocked", BOTH, A, "log", "retransmit 1 of request with message ID 0"),
    ("udp-blocked", BOTH, B, "nft list ruleset", "udp dport { 500, 4500 }"),
]


def _show(c: Collected, peer: str, where: str) -> str:
    if where == "log":
        return c.log(peer)
    if where == "config":
        conf = next(r.command for r in c.peers[peer].commands if r.command.startswith("cat /etc/"))
        return c.text(peer, conf)
    return c.text(peer, where)


# the field faults (test_lab_field_faults) and the per-child ones (test_lab_shapes) have
# their own modules with the lab shape they need
OWN_MODULE = {"nat-exempt", "mtu", "dpd", "ike-version", "stale-sa"}


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, f in faults.FAULTS.items()
        if n not in OWN_MODULE and not f.per_child and not f.over_time
    ),
)
def test_fault_shows_its_own_symptom(lab: core.Lab, name: str, tmp_path: Path) -> None:
    fault = faults.FAULTS[name]
    if fault.needs_child_sa and not lab.child_sa_supported:
        pytest.skip(f"{name}: {lab.limitation()}")
    impl = lab.state.impl_b
    printed = faults.inject(lab, name)
    assert printed, "a fault says what it changed"
    c = collect(tmp_path)
    a_sas = c.text(A, "swanctl --list-sas")
    for peer, where, needle in [(p, w, n) for f, i, p, w, n in SYMPTOMS if f == name and impl in i]:
        assert needle in _show(c, peer, where), f"{name}/{impl}: {peer} {where}: {needle!r}"
    d = analyse_captures(list(c.peers.values())).diagnosis
    assert (d.cause, d.side) == (fault.expected_cause, fault.site.name), (d.summary, d.causes)
    if name == "udp-blocked":
        assert "ESTABLISHED" not in a_sas
        assert "203.0.113.1" not in c.log(B)  # the responder never heard a thing
    if name in ("psk", "identity", "ike-proposal"):
        assert "ESTABLISHED" not in a_sas and "INSTALLED" not in a_sas
    if name in ("esp-proposal", "ts", "mode"):
        assert "ESTABLISHED" in a_sas and "INSTALLED" not in a_sas
    if name == "lifetime":
        rekey = [int(s) for s in re.findall(r"rekeying in (\d+)s, expires", a_sas)]
        assert rekey and min(rekey) > 1800  # siteA: about an hour
        if impl == "strongswan":
            b_rekey = [
                int(s)
                for s in re.findall(r"rekeying in (\d+)s, expires", c.text(B, "swanctl --list-sas"))
            ]
            assert b_rekey and max(b_rekey) <= 300  # siteB: five minutes
    if name in ("no-return-route", "forwarding-off"):
        a = swanctl_packets(a_sas)
        assert a["out"] > 0 and a["in"] == 0, a_sas  # one way only
        if impl == "strongswan":
            b = swanctl_packets(c.text(B, "swanctl --list-sas"))
            assert b["in"] > 0 and b["out"] == 0  # the mirror image on the other side
    if name == "forwarding-off":
        assert "net.ipv4.ip_forward = 0" in c.text(B, "sysctl net.ipv4.ip_forward")
    if name == "pfs":
        assert "esp_proposals = aes256-sha256-modp2048" in _show(c, A, "config")
        if impl == "strongswan":
            assert "esp_proposals = aes256-sha256\n" in _show(c, B, "config")
            assert "INSTALLED" in a_sas  # the first child SA came up: only the rekey failed
