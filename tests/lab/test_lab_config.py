"""The lab's configuration as data: what each shape and per-child fault renders (no root)."""

from __future__ import annotations

import re

import pytest

from ipsec_tui.cli import main
from ipsec_tui.lab import topology as topo
from ipsec_tui.lab.config import baseline, describe_changes, with_changes
from ipsec_tui.lab.faults import FAULTS
from ipsec_tui.lab.libreswan import ipsec_conf
from ipsec_tui.lab.record import folder_name, recorded_with
from ipsec_tui.lab.strongswan import strongswan_conf, swanctl_conf


def test_three_children_have_their_own_selector_pairs() -> None:
    a = baseline(topo.SITE_A, "k" * 24, True, children=3)
    b = baseline(topo.SITE_B, "k" * 24, True, children=3)
    assert [(c.name, c.local_ts, c.remote_ts) for c in a.all_children()] == [
        ("lan", "10.1.0.0/24", "10.2.0.0/24"),
        ("lan2", "10.1.1.0/24", "10.2.1.0/24"),
        ("lan3", "10.1.2.0/24", "10.2.2.0/24"),
    ]
    # the mirror image on the other side
    assert [(c.local_ts, c.remote_ts) for c in b.all_children()][2] == (
        "10.2.2.0/24",
        "10.1.2.0/24",
    )
    conf = swanctl_conf([a])
    assert re.findall(r"^      (lan\d?) \{", conf, re.M) == ["lan", "lan2", "lan3"]


def test_a_per_child_change_touches_that_child_only() -> None:
    b = baseline(topo.SITE_B, "k" * 24, True, children=3)
    broken = with_changes(b, child_changes={"lan2": {"esp_proposal": "aes128gcm16-modp2048"}})
    proposals = {c.name: c.esp_proposal for c in broken.all_children()}
    assert proposals == {
        "lan": "aes256-sha256-modp2048",
        "lan2": "aes128gcm16-modp2048",
        "lan3": "aes256-sha256-modp2048",
    }
    assert describe_changes(b, broken) == [
        ("child lan2: esp_proposal", "aes256-sha256-modp2048", "aes128gcm16-modp2048")
    ]


def test_ikev1_certificates_dpd_and_fragmentation_render() -> None:
    a = baseline(topo.SITE_A, "k" * 24, True, ike_version=1, auth="cert")
    conf = swanctl_conf([a])
    assert "version = 1" in conf
    assert conf.count("auth = pubkey") == 2 and "certs = gateway.pem" in conf
    assert "secret" not in conf  # no PSK section with certificates
    assert "dpd_delay = 10s" in conf and "fragmentation = yes" in conf
    assert "fragmentation = no" in swanctl_conf([with_changes(a, fragmentation=False)])
    libreswan = ipsec_conf(baseline(topo.SITE_B, "k" * 24, True, ike_version=1))
    assert "ikev2=no" in libreswan and "ikev1-policy=accept" in libreswan


def test_psk_is_shown_as_a_fingerprint_only() -> None:
    b = baseline(topo.SITE_B, "secret-one-" + "k" * 12, True)
    rows = describe_changes(b, with_changes(b, psk="secret-two-" + "k" * 12))
    assert rows == [("psk", "<secret #1>", "<secret #2, different>")]


def test_userspace_esp_logs_unknown_spis() -> None:
    assert "esp = 2" in strongswan_conf(libipsec=True)
    assert "esp = 2" not in strongswan_conf(libipsec=False)


def test_the_field_faults_are_listed_with_their_causes() -> None:
    expected = {
        "nat-exempt": "nat-exemption-missing",
        "mtu": "mtu-fragmentation",
        "dpd": "dpd-timeout",
        "ike-version": "ike-version-mismatch",
        "stale-sa": "stale-sa",
        "child-proposal": "child-proposal-mismatch",
        "child-ts": "selector-mismatch",
    }
    assert {name: FAULTS[name].expected_cause for name in expected} == expected
    assert FAULTS["stale-sa"].fix_side is topo.SITE_A
    assert all(FAULTS[n].per_child for n in ("child-proposal", "child-ts"))


def test_lab_faults_lists_the_new_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "faults"]) == 0
    listed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    for name in ("nat-exempt", "mtu", "dpd", "ike-version", "stale-sa"):
        assert listed[name].split()[2] == "siteB:", listed[name]
    assert "--child N" in listed["child-proposal"] and "--child N" in listed["child-ts"]


def test_record_folder_names_say_the_shape() -> None:
    assert folder_name("psk", None, 1, "psk", 1) == "ikev1-psk"
    assert folder_name("mtu", None, 2, "cert", 1) == "cert-mtu"
    assert folder_name("child-ts", 3, 2, "psk", 3) == "children3-child-ts-lan3"
    assert recorded_with("libreswan", "psk", 1, "psk", 1) == (
        "ipsec-tui lab record --impl-b libreswan --ike-version 1 OUT psk"
    )


def test_each_tunnel_is_its_own_connection() -> None:
    a = [baseline(topo.SITE_A, "k" * 24, True, tunnel=t) for t in (1, 2, 12)]
    conf = swanctl_conf(a)
    assert re.findall(r"^  (\w+) \{", conf, re.M) == ["lab", "lab2", "lab12"]
    assert re.findall(r"^      ([\w-]+) \{", conf, re.M) == ["lan", "lab2-lan", "lab12-lan"]
    assert re.findall(r"local_ts = (\S+)\n\s+remote_ts = (\S+)", conf) == [
        ("10.1.0.0/24", "10.2.0.0/24"),
        ("10.1.102.0/24", "10.2.102.0/24"),
        ("10.1.112.0/24", "10.2.112.0/24"),
    ]
    # its own identities and PSK entry, so siteB finds the connection by the IDs alone
    assert re.findall(r"ike-(\w+) \{\n\s+id-local = (\S+)", conf) == [
        ("lab", "siteA.lab"),
        ("lab2", "lab2.siteA.lab"),
        ("lab12", "lab12.siteA.lab"),
    ]
    assert topo.child_addr(topo.SITE_B.host_addr, 1, 12) == "10.2.112.10"
    # tunnel 1 alone renders exactly as the one-tunnel lab always did
    assert swanctl_conf(a[:1]).count("connections {") == 1 and "lab2" not in swanctl_conf(a[:1])


def test_only_per_connection_faults_take_a_tunnel() -> None:
    scoped = {n for n, f in FAULTS.items() if f.per_tunnel}
    assert {"psk", "identity", "ike-proposal", "esp-proposal", "pfs", "ts"} <= scoped
    assert not scoped & {"udp-blocked", "mtu", "dpd", "stale-sa", "nat-exempt", "flapping"}
    assert {n for n, f in FAULTS.items() if f.timers} == {"pfs", "lifetime"}
    with pytest.raises(SystemExit, match="2"):  # neither a number nor labN
        main(["lab", "fault", "psk", "--tunnel", "lab-x"])


def test_keyingtries_renders_only_when_changed() -> None:
    a = baseline(topo.SITE_A, "k" * 24, True)
    assert "keyingtries" not in swanctl_conf([a])
    assert "    keyingtries = 0\n" in swanctl_conf([with_changes(a, keyingtries=0)])
    assert "keyingtries=0" in ipsec_conf(with_changes(a, keyingtries=0))


def test_the_flapping_helper_is_bounded() -> None:
    from ipsec_tui.lab import flap

    base = ["--holder", "1", "--link", "wanB", "--down", "1", "--up", "1"]
    for times in ("0", "11"):
        with pytest.raises(SystemExit):
            flap.main([*base, "--times", times])
    with pytest.raises(SystemExit):
        flap.main([*base[:-2], "--up", "121", "--times", "1"])
