"""strongSwan parsers on forms the recorded captures do not show.

The recorded captures (golden cases) are the main evidence; these texts are written from
the formats in strongSwan's sources (src/swanctl/commands/list_sas.c, list_conns.c,
command.c; the charon messages quoted in each test) and the strongswan.conf/swanctl.conf
documentation, for the variants the lab does not produce.
"""

from __future__ import annotations

import pytest

from ipsec_tui.domain.model import LogEvent, ParseStatus, Proposal
from ipsec_tui.parsers.base import Fragment, parse_text

PLUGIN_NOISE = (
    "plugin 'test-vectors': failed to load - test_vectors_plugin_create not found and no "
    "plugin file available\n"
)


def parse(command: str, text: str) -> tuple[ParseStatus, str | None, Fragment]:
    result, fragment = parse_text("strongswan", command, text, peer="moon", file="out.txt")
    if result.status != ParseStatus.OK:
        assert result.raw == text
    return result.status, result.reason, fragment


# --- swanctl failures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["swanctl --list-sas", "swanctl --list-conns", "swanctl --stats"]
)
def test_swanctl_without_charon_fails_with_the_reason(command: str) -> None:
    # src/swanctl/command.c: usage text, then "error: connecting to '%s' URI failed: %s"
    text = (
        PLUGIN_NOISE + "connecting to 'unix:///var/run/charon.vici' failed: No such file or "
        "directory\nError: connecting to 'default' URI failed: No such file or directory\n"
    )
    status, reason, fragment = parse(command, text)
    assert status == ParseStatus.FAILED
    assert reason is not None and "connecting to 'unix:///var/run/charon.vici' failed" in reason
    assert fragment.is_empty()


def test_swanctl_not_installed_fails() -> None:
    status, reason, _ = parse("swanctl --list-sas", "bash: swanctl: command not found\n")
    assert status == ParseStatus.FAILED
    assert reason is not None and "command not found" in reason


def test_plugin_noise_alone_is_empty() -> None:
    status, reason, _ = parse("swanctl --list-sas", PLUGIN_NOISE * 3)
    assert status == ParseStatus.EMPTY
    assert reason == "nothing in the output matched the template"


# --- swanctl --list-sas -----------------------------------------------------------------------

LIST_SAS = """\
gw: #7, ESTABLISHED, IKEv2, 0123456789abcdef_i 89ABCDEF01234567_r*
  local  'C=CH, O=strongSwan, CN=moon' @ 2001:db8::1[4500] [10.3.0.1]
  remote 'carol@strongswan.org' @ 2001:db8::2[4500] EAP: 'carol'
  AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384
  established 120s ago, rekeying in 3000s, reauth in 9000s, expires in 10000s
  queued:  CHILD_REKEY
  net: #9, reqid 3, INSTALLED, TUNNEL, ESP:AES_GCM_16-128/CURVE_25519/ESN
    installed 60s ago, rekeying in 2900s, expires in 3540s
    in  c0ffee01/1234 (0x01/0xff),  10240 bytes,    20 packets,     5s ago
    out C0FFEE02,  20480 bytes,    40 packets,     1s ago
    local  10.1.0.0/24 10.3.0.0/16[tcp/http]
    remote 10.2.0.0/24
  net: #8, reqid 3, REKEYED, TRANSPORT, ESP:AES_CBC-128/HMAC_SHA1_96
    installed 3600s ago
    in  0000abcd,      0 bytes,     0 packets
    out 0000abce,      0 bytes,     0 packets
    local  2001:db8::1/128
    remote 2001:db8::2/128
"""


def test_list_sas_variants() -> None:
    status, _, fragment = parse("swanctl --list-sas", PLUGIN_NOISE + LIST_SAS)
    assert status == ParseStatus.OK
    (ike,) = fragment.ike_sas
    assert (ike.name, ike.unique_id, ike.state, ike.version) == ("gw", "7", "ESTABLISHED", 2)
    assert ike.initiator is False  # the * is on the responder SPI: we responded
    assert (ike.spi_i, ike.spi_r) == ("0123456789abcdef", "89abcdef01234567")
    assert ike.local_id == "C=CH, O=strongSwan, CN=moon"
    assert (ike.local_addr, ike.local_port) == ("2001:db8::1", 4500)
    assert (ike.remote_id, ike.remote_addr) == ("carol@strongswan.org", "2001:db8::2")
    assert (ike.encryption, ike.integrity, ike.prf, ike.dh_group) == (
        "aes256gcm16",
        None,
        "prfsha384",
        "ecp384",
    )
    assert (ike.established_s, ike.rekey_in_s, ike.lifetime_s) == (120, 3000, 10000)
    assert ike.nat_t is True
    assert ike.source is not None and (ike.source.line_start, ike.source.line_end) == (2, 19)
    new, old = ike.child_sas
    assert (new.name, new.state, new.mode, new.encap, new.protocol) == (
        "net",
        "INSTALLED",
        "tunnel",
        False,
        "ESP",
    )
    assert (new.encryption, new.integrity, new.pfs_group) == ("aes128gcm16", None, "curve25519")
    assert (new.spi_in, new.spi_out) == ("c0ffee01", "c0ffee02")
    assert (new.bytes_in, new.packets_in, new.bytes_out, new.packets_out) == (10240, 20, 20480, 40)
    assert new.local_ts == ("10.1.0.0/24", "10.3.0.0/16[tcp/http]")
    assert (new.installed_s, new.rekey_in_s, new.lifetime_s, new.reqid) == (60, 2900, 3540, 3)
    assert new.source is not None and (new.source.line_start, new.source.line_end) == (8, 13)
    assert (old.state, old.mode, old.rekey_in_s, old.lifetime_s) == (
        "REKEYED",
        "transport",
        None,
        None,
    )
    assert (old.encryption, old.integrity, old.pfs_group) == ("aes128", "sha1", None)
    assert old.source is not None and (old.source.line_start, old.source.line_end) == (14, 19)


def test_list_sas_connecting_has_no_responder_spi_yet() -> None:
    text = (
        "lab: #20, CONNECTING, IKEv2, af3fb03aa8124670_i* 0000000000000000_r\n"
        "  local  '%any' @ 203.0.113.1[500]\n"
        "  remote '%any' @ 203.0.113.2[500]\n"
        "  active:  IKE_VENDOR IKE_INIT IKE_NATD\n"
    )
    (ike,) = parse("swanctl --list-sas", text)[2].ike_sas
    assert ike.initiator is True
    assert (ike.spi_i, ike.spi_r) == ("af3fb03aa8124670", None)
    assert ike.nat_t is None  # NAT detection has not happened yet
    assert ike.encryption is None and ike.child_sas == ()


# --- swanctl --list-conns ---------------------------------------------------------------------


def test_list_conns_variants() -> None:
    text = (
        "rw: IKEv1/2, reauthentication every 10800s, no rekeying, dpd delay 30s\n"
        "  local:  198.51.100.1\n"
        "  local:  2001:db8::1\n"
        "  remote: %any\n"
        "  local public key authentication:\n"
        "    id: moon.strongswan.org\n"
        "    certs: C=CH, O=strongSwan Project, CN=moon.strongswan.org\n"
        "  remote EAP_MSCHAPV2 authentication:\n"
        "    eap_id: %any\n"
        "  net: TUNNEL, rekeying every 3600s or 1000000 bytes, dpd action is clear\n"
        "    local:  10.1.0.0/16\n"
        "    remote: dynamic\n"
        "  host: TRANSPORT, no rekeying\n"
        "    local:  dynamic[tcp/22]\n"
        "    remote: dynamic\n"
    )
    status, _, fragment = parse("swanctl --list-conns", PLUGIN_NOISE + text)
    assert status == ParseStatus.OK
    (conn,) = fragment.connections
    assert (conn.name, conn.version, conn.rekey_time_s) == ("rw", 0, 0)
    assert conn.local_addrs == ("198.51.100.1", "2001:db8::1")
    assert conn.remote_addrs == ("%any",)
    assert (conn.local_auth, conn.local_id) == ("pubkey", "moon.strongswan.org")
    assert (conn.remote_auth, conn.remote_id) == ("eap-mschapv2", None)
    net, host = conn.children
    assert (net.mode, net.rekey_time_s, net.dpd_action) == ("tunnel", 3600, "clear")
    assert (net.local_ts, net.remote_ts) == (("10.1.0.0/16",), ("dynamic",))
    assert (host.mode, host.rekey_time_s, host.local_ts) == ("transport", 0, ("dynamic[tcp/22]",))
    assert conn.source is not None and (conn.source.line_start, conn.source.line_end) == (2, 16)
    assert host.source is not None and host.source.line_start == 14


# --- swanctl --stats, --version ---------------------------------------------------------------


def test_stats_are_notes() -> None:
    text = (
        "uptime: 2 seconds, since Nov 26 20:47:46 2026\n"
        "worker threads: 16 total, 7 idle, working: 4/0/5/0\n"
        "IKE_SAs: 1 total, 0 half-open\n"
        "loaded plugins: charon aes sha2 kernel-netlink socket-default vici\n"
    )
    _, _, fragment = parse("swanctl --stats", text)
    assert fragment.notes == [
        "charon uptime: 2 seconds, since Nov 26 20:47:46 2026",
        "charon IKE_SAs: 1 total, 0 half-open",
        "charon kernel interface plugins: kernel-netlink",
    ]


def test_version() -> None:
    status, _, fragment = parse("swanctl --version", PLUGIN_NOISE + "strongSwan swanctl 6.0.1")
    assert status == ParseStatus.OK
    assert fragment.software == "strongSwan swanctl 6.0.1"


# --- the charon log ---------------------------------------------------------------------------


def log_events(text: str) -> list[LogEvent]:
    status, _, fragment = parse("cat /var/log/charon.log", text)
    assert status == ParseStatus.OK
    return fragment.log


def test_log_line_formats() -> None:
    events = log_events(
        "Nov  6 20:31:24 moon charon: 11[IKE] <lab|1> initiating IKE_SA lab[1] to 198.51.100.2\n"
        "Nov 26 20:31:25 12[CFG] <lab|1> selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128\n"
        "Nov 26 20:31:26 moon charon-systemd[812]: 13[NET] <7> received packet\n"
        "2026-11-26T20:31:27.123456+01:00 moon charon[1]: 14[ENC] parsed IKE_AUTH request 1 [ ]\n"
        "2026-11-26T20:31:28 15[IKE2] <rw-eap|12> EAP method EAP_MSCHAPV2 succeeded\n"
        "16[KNL] interface eth0 activated\n"
    )
    assert [(e.line, e.time, e.subsystem, e.level, e.sa_name) for e in events] == [
        (1, "Nov  6 20:31:24", "IKE", None, "lab"),
        (2, "Nov 26 20:31:25", "CFG", None, "lab"),
        (3, "Nov 26 20:31:26", "NET", None, None),  # `<7>`: an SA without a name yet
        (4, "2026-11-26T20:31:27.123456+01:00", "ENC", None, None),
        (5, "2026-11-26T20:31:28", "IKE", "2", "rw-eap"),  # filelog log_level = yes
        (6, None, "KNL", None, None),
    ]
    assert events[0].message == "initiating IKE_SA lab[1] to 198.51.100.2"
    assert events[2].message == "received packet"


def test_log_keeps_other_lines_in_a_note() -> None:
    text = (
        "Nov 26 20:31:24 moon sshd[77]: Accepted publickey for root\n"
        "Nov 26 20:31:25 moon charon: 11[IKE] <lab|1> IKE_SA deleted\n"
    )
    status, _, fragment = parse("cat /var/log/syslog", text)
    assert status == ParseStatus.OK
    assert [event.line for event in fragment.log] == [2]
    assert fragment.notes == [
        "out.txt: 1 line(s) are not charon log lines and were skipped (first: line 1)"
    ]


def test_log_file_missing_fails() -> None:
    status, reason, _ = parse(
        "cat /var/log/charon.log", "cat: /var/log/charon.log: No such file or directory\n"
    )
    assert status == ParseStatus.FAILED
    assert reason is not None and "No such file or directory" in reason


def causes_of(lines: list[str]) -> list[tuple[tuple[str, ...], str | None]]:
    text = "".join(f"2026-11-26T20:00:00 11[IKE] <lab|3> {line}\n" for line in lines)
    return [(event.causes, event.direction) for event in log_events(text)]


@pytest.mark.parametrize(
    ("message", "causes", "direction"),
    [
        # ike_auth.c / ike_init.c: "received %N notify error"; IKEv1: "received %N error notify"
        ("received AUTHENTICATION_FAILED notify error", ("AUTHENTICATION_FAILED",), "received"),
        ("received NO_PROPOSAL_CHOSEN error notify", ("NO_PROPOSAL_CHOSEN",), "received"),
        # child_create.c: "received %N notify, no CHILD_SA built"
        ("received TS_UNACCEPTABLE notify, no CHILD_SA built", ("TS_UNACCEPTABLE",), "received"),
        (
            "received INVALID_KE_PAYLOAD notify, no CHILD_SA built",
            ("INVALID_KE_PAYLOAD",),
            "received",
        ),
        # ike_init.c: "peer didn't accept DH group %N, it requested %N"
        (
            "peer didn't accept DH group MODP_2048, it requested ECP_256",
            ("INVALID_KE_PAYLOAD",),
            "received",
        ),
        # notify_type_short_names in the generated message
        ("generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]", ("AUTHENTICATION_FAILED",), "sent"),
        (
            "generating IKE_AUTH response 1 [ IDr AUTH N(TS_UNACCEPT) ]",
            ("TS_UNACCEPTABLE",),
            "sent",
        ),
        ("generating IKE_SA_INIT response 0 [ N(NO_PROP) ]", ("NO_PROPOSAL_CHOSEN",), "sent"),
        ("generating IKE_SA_INIT response 0 [ N(INVAL_KE) ]", ("INVALID_KE_PAYLOAD",), "sent"),
        ("generating CREATE_CHILD_SA response 5 [ N(TEMP_FAIL) ]", ("TEMPORARY_FAILURE",), "sent"),
        ("generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr ]", (), None),
        # local conclusions
        ("tried 2 shared keys for 'moon' - 'sun', but MAC mismatched", ("psk_mismatch",), None),
        ("no matching peer config found", ("peer_id_mismatch",), None),
        ("IDir '198.51.100.10' does not match to '203.0.113.245'", ("peer_id_mismatch",), None),
        ("no trusted RSA public key found for 'sun.strongswan.org'", ("cert_invalid",), None),
        ("no matching CHILD_SA config found", ("ts_mismatch",), None),
        ("traffic selectors 10.2.0.0/24 === 10.1.0.0/24 inacceptable", ("ts_mismatch",), None),
        ("traffic selectors 10.2.0.0/24 === 10.1.0.0/24 unacceptable", ("ts_mismatch",), None),
        ("retransmit 3 of request with message ID 0", ("retransmit",), None),
        ("giving up after 5 retransmits", ("giving_up",), None),
        (
            "unable to install inbound and outbound IPsec SA (SAD) in kernel",
            ("sa_install_failed",),
            None,
        ),
        ("unable to install inbound IPsec SA (SAD) in kernel", ("sa_install_failed",), None),
        ("unable to install IPsec policies (SPD) in kernel", ("sa_install_failed",), None),
        ("CHILD_SA rekeying failed, trying again in 14 seconds", ("rekey_failed",), None),
        ("failed to establish CHILD_SA, keeping IKE_SA", ("child_failed",), None),
        (
            "IKE_SA lab[3] established between 198.51.100.1[moon]...198.51.100.2[sun]",
            ("ike_established",),
            None,
        ),
        (
            "CHILD_SA net{4} established with SPIs c1a2b3c4_i c5d6e7f8_o and TS 10.1.0.0/24 === "
            "10.2.0.0/24",
            ("child_established",),
            None,
        ),
        ("received DELETE for IKE_SA lab[3]", ("delete_received",), None),
        (
            "received proposals: ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ",
            ("received_proposals",),
            None,
        ),
        ("configured proposals: ESP:AES_GCM_16_128/NO_EXT_SEQ", ("configured_proposals",), None),
        (
            "selected proposal: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
            (),
            None,
        ),
    ],
)
def test_log_causes(message: str, causes: tuple[str, ...], direction: str | None) -> None:
    assert causes_of([message]) == [(causes, direction)]


def test_proposal_mismatch_follows_the_proposals_received_before() -> None:
    assert causes_of(
        [
            "received proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
            "no acceptable proposal found",
        ]
    )[1] == (("ike_proposal_mismatch",), None)
    assert causes_of(
        ["received proposals: ESP:AES_CBC_256/HMAC_SHA2_256_128", "no acceptable proposal found"]
    )[1] == (("child_proposal_mismatch",), None)


def test_proposal_mismatch_follows_the_exchange_without_proposals_logged() -> None:
    assert causes_of(["parsed IKE_SA_INIT request 0 [ SA KE No ]", "no acceptable proposal found"])[
        1
    ] == (("ike_proposal_mismatch",), None)
    assert causes_of(
        ["parsed CREATE_CHILD_SA request 2 [ SA No KE TSi TSr ]", "no acceptable proposal found"]
    )[1] == (("child_proposal_mismatch",), None)
    # strongSwan 5.9 words the IKE_SA_INIT refusal itself
    assert causes_of(["received proposals unacceptable"]) == [(("ike_proposal_mismatch",), None)]


# --- swanctl.conf -----------------------------------------------------------------------------

CONF = """\
# a hand-written swanctl.conf
connections {
  gw {  # the gateway
    version = 0
    local_addrs = 198.51.100.1, 2001:db8::1
    remote_addrs = 198.51.100.2
    proposals = aes256gcm16-prfsha384-ecp384, default
    rekey_time = 4h
    local-1 {
      auth = pubkey
      id = "moon.strongswan.org"
    }
    local-2 {
      auth = eap
    }
    remote {
      auth = pubkey
      id = sun.strongswan.org
    }
    children {
      net {
        local_ts = 10.1.0.0/16, 10.3.0.0/16
        remote_ts = 10.2.0.0/16
        esp_proposals = aes128gcm16-curve25519, aes256-sha256
        rekey_time = 90m
        life_time = 1d
        start_action = trap
      }
    }
  }
  other {
    local { id = x }
  }
}
include conf.d/*.conf
secrets {
  ike-any {
    secret = "<redacted:fp=aaaa1111>"
  }
  ike-gw {
    id-moon = moon.strongswan.org
    id-sun = sun.strongswan.org
    secret = "<redacted:fp=bbbb2222>"  # the one for gw
  }
  ike-plain {
    id = x
    secret = not-redacted-at-all
  }
}
"""


def test_swanctl_conf_tree() -> None:
    status, _, fragment = parse("cat /etc/swanctl/swanctl.conf", CONF)
    assert status == ParseStatus.OK
    gw, other = fragment.connections
    assert (gw.name, gw.version, gw.rekey_time_s) == ("gw", 0, 14400)
    assert gw.local_addrs == ("198.51.100.1", "2001:db8::1")
    assert gw.proposals == (Proposal(("aes256gcm16",), (), ("prfsha384",), ("ecp384",)),)
    assert (gw.local_id, gw.local_auth) == ("moon.strongswan.org", "pubkey")  # first round
    assert (gw.remote_id, gw.remote_auth) == ("sun.strongswan.org", "pubkey")
    assert gw.psk_fingerprint == "bbbb2222"  # the secret naming both ids beats the wildcard
    assert gw.source is not None and (gw.source.line_start, gw.source.line_end) == (3, 30)
    (net,) = gw.children
    assert net.local_ts == ("10.1.0.0/16", "10.3.0.0/16")
    assert net.proposals == (
        Proposal(("aes128gcm16",), (), (), ("curve25519",)),
        Proposal(("aes256",), ("sha256",), (), ("none",)),  # no DH group: no PFS
    )
    assert (net.rekey_time_s, net.life_time_s, net.start_action) == (5400, 86400, "trap")
    assert net.source is not None and (net.source.line_start, net.source.line_end) == (21, 28)
    # `local { id = x }` on one line is not read as settings; the secret for `x` is not
    # redacted: it is compared in memory only, by a fingerprint keyed for this process
    assert other.psk_fingerprint is not None and other.psk_fingerprint.startswith("mem:")
    notes = "\n".join(fragment.notes)
    assert "proposal 'default' not understood" in notes
    assert "not read: include conf.d/*.conf" in notes
    assert "secret ike-plain: not redacted in the capture, compared in memory" in notes
    assert "not-redacted-at-all" not in repr(fragment)


def test_swanctl_conf_only_wildcard_secret() -> None:
    text = (
        "connections {\n  a {\n    local { id = me }\n  }\n}\n"
        'secrets {\n  ike {\n    secret = "<redacted:fp=cafe0001>"\n  }\n}\n'
    )
    (conn,) = parse("cat /etc/swanctl/swanctl.conf", text)[2].connections
    assert conn.psk_fingerprint == "cafe0001"


def test_swanctl_conf_unbalanced_braces_are_noted() -> None:
    text = "connections {\n  a {\n    version = 2\n"
    status, _, fragment = parse("cat /etc/swanctl/swanctl.conf", text)
    assert status == ParseStatus.OK
    assert fragment.connections[0].version == 2
    assert any("is not closed" in note for note in fragment.notes)


def test_swanctl_conf_missing_file_fails() -> None:
    status, reason, _ = parse(
        "cat /etc/swanctl/swanctl.conf",
        "cat: /etc/swanctl/swanctl.conf: Permission denied\n",
    )
    assert status == ParseStatus.FAILED
    assert reason is not None and "Permission denied" in reason
