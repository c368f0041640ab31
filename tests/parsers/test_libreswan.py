"""Libreswan parsers on every recorded siteB capture, and on the formats the recordings do not
show (IKEv1, established child SAs, trafficstatus, 3.x lines), quoted from their sources."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipsec_tui.collectors.capture_io import read_peer
from ipsec_tui.domain.causes import CAUSE_TOKENS
from ipsec_tui.domain.model import ChildSa, IkeSa, LogEvent, ParseStatus, PeerModel, SourceRef
from ipsec_tui.parsers import libreswan
from ipsec_tui.parsers.base import ParseContext, parse_peer, parse_text

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures" / "libreswan"
SCENARIOS = sorted(p.name for p in CAPTURES.iterdir() if (p / "siteB").is_dir())
CTX = ParseContext("peer", "case.txt", "test")


@cache
def peer(scenario: str) -> PeerModel:
    return parse_peer(read_peer(CAPTURES / scenario / "siteB"))


def events(model: PeerModel, cause: str, direction: str | None = None) -> list[LogEvent]:
    return [
        e
        for e in model.log
        if cause in e.causes and (direction is None or e.direction == direction)
    ]


def established(model: PeerModel) -> list[IkeSa]:
    return [sa for sa in model.ike_sas if sa.state == "ESTABLISHED"]


# --- the recorded captures --------------------------------------------------------------------


def test_every_scenario_is_here() -> None:
    assert set(SCENARIOS) >= {
        "baseline",
        "psk",
        "identity",
        "ike-proposal",
        "esp-proposal",
        "ts",
        "mode",
        "udp-blocked",
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_libreswan_result_failed(scenario: str) -> None:
    model = peer(scenario)
    mine = [r for r in model.parse_results if (r.parser or "").startswith("libreswan/")]
    assert {r.parser for r in mine} >= {
        "libreswan/ipsec-version",
        "libreswan/ipsec-status",
        "libreswan/ipsec-trafficstatus",
        "libreswan/ipsec-globalstatus",
        "libreswan/cat-log-file",
        "libreswan/cat-conn-file",
    }
    failed = [(r.command, r.reason) for r in mine if r.status == ParseStatus.FAILED]
    assert not failed
    assert model.software == "Libreswan 4.10"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_log_line_is_an_event(scenario: str) -> None:
    text = (CAPTURES / scenario / "siteB" / "cat-var-log-pluto.log.txt").read_text()
    model = peer(scenario)
    assert [e.line for e in model.log] == [
        n for n, line in enumerate(text.splitlines(), 1) if line.strip()
    ]
    for event in model.log:
        assert set(event.causes) <= set(CAUSE_TOKENS)
        assert event.time is not None and re.match(
            r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d", event.time
        )


def test_baseline() -> None:
    model = peer("baseline")
    (ike,) = established(model)
    assert ike.version == 2
    assert ike.unique_id == "#3"
    assert ike.remote_addr == "203.0.113.1"
    assert ike.remote_port == 4500
    assert ike.local_id == "siteB.lab"
    assert ike.remote_id == "siteA.lab"
    assert (ike.encryption, ike.integrity, ike.prf, ike.dh_group) == (
        "aes256",
        "sha256",
        "prfsha256",
        "modp2048",
    )
    assert ike.child_sas == ()  # the kernel refused the child SA
    install = events(model, "sa_install_failed")
    assert [e.line for e in install] == [6, 7]
    assert install[0].level == "error"
    assert events(model, "ike_established")
    (conn,) = model.connections
    (proposal,) = conn.proposals
    assert proposal.encryption == ("aes256",)
    assert proposal.integrity == ("sha256",)
    assert proposal.dh_groups == ("modp2048",)
    assert (conn.local_id, conn.remote_id) == ("siteB.lab", "siteA.lab")
    assert (conn.local_auth, conn.remote_auth) == ("psk", "psk")
    assert conn.psk_fingerprint is None  # the key is in ipsec.secrets, not collected
    (child,) = conn.children
    assert (child.local_ts, child.remote_ts, child.mode) == (
        ("10.2.0.0/24",),
        ("10.1.0.0/24",),
        "tunnel",
    )
    assert child.proposals[0].dh_groups == ("modp2048",)
    assert child.start_action == "none"  # auto=add, filled in from ipsec.conf


def test_psk() -> None:
    model = peer("psk")
    assert events(model, "psk_mismatch")
    assert events(model, "AUTHENTICATION_FAILED", "sent")
    assert not established(model)


def test_identity() -> None:
    model = peer("identity")
    assert events(model, "peer_id_mismatch")
    assert events(model, "AUTHENTICATION_FAILED", "sent")
    (conn,) = model.connections
    assert conn.remote_id == "siteX.lab"


def test_ike_proposal() -> None:
    model = peer("ike-proposal")
    (sent,) = events(model, "NO_PROPOSAL_CHOSEN", "sent")
    assert "ike_proposal_mismatch" in sent.causes
    assert "IKE_SA_INIT" in sent.message
    (received,) = events(model, "received_proposals")
    assert "ike_proposal_mismatch" in received.causes
    (conn,) = model.connections
    assert conn.proposals[0].encryption == ("aes128",)
    assert conn.proposals[0].dh_groups == ("ecp256",)


def test_esp_proposal() -> None:
    model = peer("esp-proposal")
    mismatch = events(model, "child_proposal_mismatch")
    assert len(mismatch) == 2
    assert events(model, "NO_PROPOSAL_CHOSEN", "sent")
    (conn,) = model.connections
    (child_proposal,) = conn.children[0].proposals
    assert child_proposal.encryption == ("aes128gcm16",)
    assert child_proposal.integrity == ()
    assert child_proposal.dh_groups == ("modp2048",)
    assert established(model)  # IKE came up; only the child failed


def test_ts() -> None:
    model = peer("ts")
    assert events(model, "ts_mismatch")
    (conn,) = model.connections
    assert conn.children[0].remote_ts == ("10.99.0.0/24",)


def test_mode() -> None:
    model = peer("mode")
    # pluto says traffic selectors; the request shows the transport-mode wish
    assert events(model, "ts_mismatch")
    assert any("N(USE_TRANSPORT_MODE)" in e.message for e in model.log)
    assert model.connections[0].children[0].mode == "tunnel"


def test_udp_blocked() -> None:
    model = peer("udp-blocked")
    log_result = next(r for r in model.parse_results if r.parser == "libreswan/cat-log-file")
    # collected, and pluto logged nothing: a silent log is evidence, kept as the log file
    assert (log_result.status, log_result.raw) == (ParseStatus.EMPTY, "")
    assert model.log == ()
    assert model.log_file == "cat-var-log-pluto.log.txt"
    # the connection is loaded and no IKE SA exists: nothing came back from siteA
    assert [conn.name for conn in model.connections] == ["lab"]
    assert model.ike_sas == ()


# --- formats the recordings do not show, quoted from their sources ----------------------------

# A public Libreswan 4.12 session log in the search code corpus (an AWS VPC-to-VPC lab, file
# id 43871589950): `ipsec status` with an established child SA; the `ip xfrm state` printed
# right after it in the same log shows "src 10.88.100.246 dst 3.85.251.173 proto esp spi
# 0x0b81df6e" (outbound) and "src 3.85.251.173 dst 10.88.100.246 ... spi 0xb9e564dc" (inbound).
STATUS_412_CHILD = """\
000 Connection list:
000
000 "vpc1-vpc2": 10.88.0.0/16===10.88.100.246[99.79.175.155]---10.88.100.1...3.85.251.173===10.2.0.0/16; erouted; eroute owner: #3
000 "vpc1-vpc2":     oriented; my_ip=unset; their_ip=unset; my_updown=ipsec _updown;
000 "vpc1-vpc2":   our auth:secret, their auth:secret, our autheap:none, their autheap:none;
000 "vpc1-vpc2":   ike_life: 28800s; ipsec_life: 3600s; ipsec_max_bytes: 2^63B; ipsec_max_packets: 2^63; replay_window: 128; rekey_margin: 540s; rekey_fuzz: 100%; keyingtries: 0;
000 "vpc1-vpc2":   policy: IKEv2+PSK+ENCRYPT+TUNNEL+PFS+UP+IKE_FRAG_ALLOW+ESN_NO+ESN_YES;
000 "vpc1-vpc2":   our idtype: ID_IPV4_ADDR; our id=99.79.175.155; their idtype: ID_IPV4_ADDR; their id=3.85.251.173
000 "vpc1-vpc2":   liveness: active; dpdaction:restart; dpddelay:30s; retransmit-timeout:60s
000 "vpc1-vpc2":   nat-traversal: encaps:auto; keepalive:20s
000 "vpc1-vpc2":   newest IKE SA: #2; newest IPsec SA: #3; conn serial: $1;
000 "vpc1-vpc2":   IKE algorithms: AES_CBC_256-HMAC_SHA2_256-MODP2048, AES_CBC_256-HMAC_SHA1-MODP2048, AES_CBC_128-HMAC_SHA2_256-MODP2048, AES_CBC_128-HMAC_SHA1-MODP2048
000 "vpc1-vpc2":   IKEv2 algorithm newest: AES_CBC_256-HMAC_SHA2_256-MODP2048
000 "vpc1-vpc2":   ESP algorithms: AES_GCM_16_256-NONE, CHACHA20_POLY1305-NONE, AES_CBC_256-HMAC_SHA2_512_256+HMAC_SHA1_96+HMAC_SHA2_256_128, AES_GCM_16_128-NONE, AES_CBC_128-HMAC_SHA1_96+HMAC_SHA2_256_128
000 "vpc1-vpc2":   ESP algorithm newest: AES_GCM_16_256-NONE; pfsgroup=<Phase1>
000
000 Total IPsec connections: loaded 1, active 1
000
000 State Information: DDoS cookies not required, Accepting new IKE connections
000 IKE SAs: total(1), half-open(0), open(0), authenticated(1), anonymous(0)
000 IPsec SAs: total(1), authenticated(1), anonymous(0)
000
000 #2: "vpc1-vpc2":4500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 27980s; REPLACE in 28250s; newest; idle;
000 #3: "vpc1-vpc2":4500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); LIVENESS in 20s; REKEY in 2780s; REPLACE in 3050s; newest; eroute owner; IKE SA #2; idle;
000 #3: "vpc1-vpc2" esp.b81df6e@3.85.251.173 esp.b9e564dc@10.88.100.246 tun.0@3.85.251.173 tun.0@10.88.100.246 Traffic: ESPin=8KB ESPout=4KB ESPmax=2^63B
000
000 Bare Shunt list:
000
"""  # noqa: E501


def test_status_with_an_established_child_sa() -> None:
    fragment = libreswan.parse_status(STATUS_412_CHILD, CTX)
    (ike,) = fragment.ike_sas
    assert (ike.unique_id, ike.state, ike.version) == ("#2", "ESTABLISHED", 2)
    assert (ike.local_addr, ike.remote_addr) == ("10.88.100.246", "3.85.251.173")
    assert (ike.local_id, ike.remote_id) == ("99.79.175.155", "3.85.251.173")
    assert (ike.rekey_in_s, ike.lifetime_s) == (27980, 28250)
    (child,) = ike.child_sas
    assert child == ChildSa(
        name="vpc1-vpc2",
        unique_id="#3",
        state="INSTALLED",
        mode="tunnel",
        protocol="ESP",
        spi_in="b9e564dc",
        spi_out="0b81df6e",  # padded as `ip xfrm state` prints it
        encryption="aes256gcm16",
        integrity=None,
        bytes_in=8 * 1024,  # pluto's ESPin=8KB, rounded down by pluto
        bytes_out=4 * 1024,
        rekey_in_s=2780,
        lifetime_s=3050,
        source=SourceRef("peer", "case.txt", 24, 25),  # the state line and its SA line
    )
    (conn,) = fragment.connections
    assert conn.local_addrs == ("10.88.100.246",)
    assert conn.remote_addrs == ("3.85.251.173",)
    assert conn.encap is False  # encaps:auto is strongSwan's encap=no
    assert len(conn.proposals) == 4
    assert conn.proposals[1].integrity == ("sha1",)
    (config,) = conn.children
    assert (config.local_ts, config.remote_ts) == (("10.88.0.0/16",), ("10.2.0.0/16",))
    assert config.start_action == "start"  # policy +UP: auto=start
    assert config.dpd_action == "restart"
    assert config.proposals[2].integrity == ("sha512", "sha1", "sha256")
    # pfs=yes without a group: the IKE SA's groups ("pfsgroup=<Phase1>")
    assert config.proposals[0].dh_groups == ("modp2048",)


# libreswan/libreswan.github.io HOWTO/Read-status-output.md: an IKEv1 connection's states.
STATUS_IKEV1 = """\
000 #2: "redhat":4500 STATE_QUICK_I2 (sent QI2, IPsec SA established); EVENT_SA_REPLACE_IF_USED in 28039s; newest IPSEC; eroute owner; isakmp#1; idle; import:admin initiate
000 #2: "redhat" esp.9c01f20f@209.132.183.55 esp.e12dd706@192.168.10.124 tun.0@209.132.183.55 tun.0@192.168.10.124 ref=0 refhim=0 Traffic: ESPin=0B ESPout=0B! ESPmax=4194303B username=pwouters
000 #1: "redhat":4500 STATE_MAIN_I4 (ISAKMP SA established); EVENT_SA_EXPIRE in 86390s; newest ISAKMP; lastdpd=-1s(seq in:0 out:0); idle; import:admin initiate
"""  # noqa: E501


def test_status_ikev1() -> None:
    fragment = libreswan.parse_status(STATUS_IKEV1, CTX)
    (ike,) = fragment.ike_sas
    assert (ike.unique_id, ike.state, ike.version, ike.initiator) == ("#1", "ESTABLISHED", 1, True)
    assert (ike.remote_port, ike.lifetime_s) == (4500, 86390)
    (child,) = ike.child_sas
    assert (child.state, child.mode, child.protocol) == ("INSTALLED", "tunnel", "ESP")
    assert (child.spi_out, child.spi_in) == ("9c01f20f", "e12dd706")
    assert (child.bytes_in, child.bytes_out, child.rekey_in_s) == (0, 0, 28039)


# libreswan.github.io HOWTO/Read-status-output.md: a 3.x IKEv2 SA still negotiating.
STATUS_HALF_OPEN = """\
000 #51231: "private-or-clear#193.110.157.0/24"[1] ...193.110.157.102:500 STATE_PARENT_I1 (sent v2I1, expected v2R1); EVENT_v2_RETRANSMIT in 8s; idle; import:local rekey
"""  # noqa: E501


def test_status_half_open_ikev2() -> None:
    (ike,) = libreswan.parse_status(STATUS_HALF_OPEN, CTX).ike_sas
    assert (ike.state, ike.version, ike.initiator) == ("CONNECTING", 2, True)
    assert (ike.name, ike.remote_addr, ike.remote_port) == (
        "private-or-clear#193.110.157.0/24",
        "193.110.157.102",
        500,
    )


# libreswan/libreswan testing/pluto/interop-ikev2-strongswan-35-initiator-rekey/
# west.console.txt, and Read-status-output.md (username=).
TRAFFICSTATUS = """\
006 #3: "westnet-eastnet", type=ESP, add_time=1234567890, inBytes=84, outBytes=84, id='@east'
006 #48971: "redhat", username=pwouters, type=ESP, add_time=1480687195, inBytes=12295525, outBytes=673668
"""  # noqa: E501


def test_trafficstatus() -> None:
    fragment = libreswan.parse_trafficstatus(TRAFFICSTATUS, CTX)
    first, second = fragment.ike_sas
    assert first.unique_id is None  # trafficstatus does not name the IKE SA
    assert first.remote_id == "east"
    (child,) = first.child_sas
    assert (child.name, child.state, child.protocol, child.bytes_in, child.bytes_out) == (
        "westnet-eastnet",
        "INSTALLED",
        "ESP",
        84,
        84,
    )
    assert second.child_sas[0].bytes_in == 12295525
    # no IKE SA is named: the note says which IPsec SAs came without one
    (note,) = fragment.notes
    assert "#3 (westnet-eastnet), #48971 (redhat)" in note


@pytest.mark.parametrize(
    ("command", "text", "reason"),
    [
        (
            "ipsec status",
            'whack: Pluto is not running (no "/run/pluto/pluto.ctl")\n',
            'not `ipsec status` output: whack: Pluto is not running (no "/run/pluto/pluto.ctl")',
        ),
        (
            "ipsec trafficstatus",
            'whack: Pluto is not running (no "/run/pluto/pluto.ctl")\n',
            "not `ipsec trafficstatus` output: whack: Pluto is not running"
            ' (no "/run/pluto/pluto.ctl")',
        ),
        (
            "cat /var/log/pluto.log",
            "cat: /var/log/pluto.log: No such file or directory\n",
            "not pluto log output: cat: /var/log/pluto.log: No such file or directory",
        ),
        (
            "ipsec --version",
            "Linux strongSwan U5.9.8/K6.1.0-18-amd64\n",
            "not Libreswan's `ipsec --version` output: Linux strongSwan U5.9.8/K6.1.0-18-amd64",
        ),
        (
            "cat /etc/ipsec.conf",
            "connections {\n  lab {\n  }\n}\n",
            "not an ipsec.conf (no conn or config section): connections {",
        ),
        (
            "ipsec status",
            "Security Associations (1 up, 0 connecting):\n",
            "not `ipsec status` output: Security Associations (1 up, 0 connecting):",
        ),
    ],
)
def test_not_the_commands_output_fails_and_keeps_the_text(
    command: str, text: str, reason: str
) -> None:
    result, fragment = parse_text("libreswan", command, text)
    assert result.status == ParseStatus.FAILED
    # the shared CLI-error detection may word the start of the reason: the device's own
    # line must end it, as the parser would say it
    assert result.reason is not None
    assert result.reason.endswith(reason.split(": ", 1)[1])
    assert result.raw == text
    assert fragment.is_empty()


def test_version_3x() -> None:
    # 3.x prints the stack and kernel after the version
    text = "Linux Libreswan 3.25 (netkey) on 4.18.0-80.el8.x86_64\n"
    assert libreswan.parse_version(text, CTX).software == "Libreswan 3.25"


# Log lines quoted from libreswan/libreswan testing/pluto/*/ *.console.txt (expected outputs)
# and, for the syslog shape, a forum log quoted in the code corpus; retransmit.c's formats
# ("%s: retransmission; will wait %s seconds for response") with their values filled in.
LOG_LINES = [
    (
        '"east"[1] 192.1.2.254 #1: ESTABLISHED_IKE_SA: 10 second timeout exceeded after 0'
        " retransmits.  No response (or no acceptable response) to our IKEv2 message",
        "east",
        ("giving_up",),
        None,
    ),
    (
        '"west-east" #1: ISAKMP SA established {auth=PRESHARED_KEY cipher=AES_CBC_256'
        " integ=HMAC_SHA2_256 group=MODP2048}",
        "west-east",
        ("ike_established",),
        None,
    ),
    (
        '"road-any-east"[1] 192.1.3.209 #4: IPsec SA established tunnel mode {ESP=>0xESPESP'
        " <0xESPESP xfrm=AES_CBC_128-HMAC_SHA1_96 DPD=passive username=xroad}",
        "road-any-east",
        ("child_established",),
        None,
    ),
    (
        '"westnet-eastnet-ikev2a" #1: initiator established IKE SA; authenticated peer using'
        " authby=secret and ID_FQDN '@east'",
        "westnet-eastnet-ikev2a",
        ("ike_established",),
        None,
    ),
    (
        '"westnet-eastnet-ikev2a" #2: initiator established Child SA using #1; IPsec tunnel'
        " [192.0.1.0-192.0.1.255:0-65535 0] -> [192.0.2.0-192.0.2.255:0-65535 0]"
        " {ESP/ESN=>0xESPESP <0xESPESP xfrm=AES_GCM_16_256-NONE DPD=active}",
        "westnet-eastnet-ikev2a",
        ("child_established",),
        None,
    ),
    (
        '"west" #1: IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED',
        "west",
        ("AUTHENTICATION_FAILED",),
        "received",
    ),
    (
        '"west" #2: IKE_AUTH response contained the error notification TS_UNACCEPTABLE',
        "west",
        ("TS_UNACCEPTABLE",),
        "received",
    ),
    (
        '"west" #1: STATE_V2_PARENT_I1: retransmission; will wait 0.5 seconds for response',
        "west",
        ("retransmit",),
        None,
    ),
    (
        '"west" #1: STATE_V2_PARENT_I1: 60 second timeout exceeded after 7 retransmits.  No'
        " response (or no acceptable response) to our first IKEv2 message",
        "west",
        ("giving_up",),
        None,
    ),
    (
        '"imatrix" #1: received Hash Payload does not match computed value',
        "imatrix",
        ("psk_mismatch",),
        None,
    ),
]


@pytest.mark.parametrize(("line", "sa_name", "causes", "direction"), LOG_LINES)
def test_log_formats(
    line: str, sa_name: str, causes: tuple[str, ...], direction: str | None
) -> None:
    (event,) = libreswan.parse_log(line + "\n", CTX).log
    assert (event.sa_name, event.causes, event.direction, event.time) == (
        sa_name,
        causes,
        direction,
        None,
    )
    assert event.message == line


def test_log_syslog_lines_keep_only_pluto() -> None:
    text = (
        "Aug  9 14:52:16 Ubuntu sshd[900]: Accepted publickey for root\n"
        'Aug  9 14:52:16 Ubuntu pluto[11036]: "L2TP-PSK-NAT"[16] 192.168.1.4 #21: received'
        " Delete SA payload: deleting ISAKMP State #21\n"
        "| debug line\n"
    )
    fragment = libreswan.parse_log(text, CTX)
    (event,) = fragment.log
    assert (event.line, event.time, event.sa_name) == (2, "Aug  9 14:52:16", "L2TP-PSK-NAT")
    assert event.causes == ("delete_received",)
    assert fragment.notes == [
        "pluto log: 1 debug line(s) ('| ...') not kept as events",
        "pluto log: 1 line(s) of other programs skipped",
    ]


# --- ipsec.conf features (ipsec.conf(5)): %default, also=, comments, quotes, auto=ignore -----

CONF = """\
# comment
config setup
\tlogfile=/var/log/pluto.log

conn %default
\tikelifetime=8h
\tkeyexchange=ikev2

conn base
\tauthby=rsasig
\tleft=198.51.100.1
\tleftid="CN=left, O=Example"
\tright=%any
\tauto=ignore

conn roadwarriors
\talso=base
\tleftsubnet=10.0.0.0/24
\tleftprotoport=17/1701
\trightsubnets={10.9.0.0/24 10.8.0.0/24}
\tesp=aes_gcm256
\tpfs=no
\ttype = transport   # trailing comment
\tdpddelay=30
\tdpdaction=hold
\tauto=start
include /etc/ipsec.d/*.conf
"""


def test_conn_file_features() -> None:
    fragment = libreswan.parse_conn_file(CONF, CTX)
    (conn,) = fragment.connections  # base has auto=ignore
    assert conn.name == "roadwarriors"
    assert (conn.version, conn.life_time_s) == (2, 8 * 3600)
    assert (conn.local_auth, conn.remote_auth) == ("pubkey", "pubkey")
    assert conn.local_addrs == ("198.51.100.1",)
    assert conn.remote_addrs == ("%any",)
    assert (conn.local_id, conn.remote_id) == ("CN=left, O=Example", None)
    (child,) = conn.children
    assert child.local_ts == ("10.0.0.0/24[udp/1701]",)
    assert child.remote_ts == ("10.9.0.0/24", "10.8.0.0/24")
    assert child.mode == "transport"
    assert child.proposals[0].encryption == ("aes256gcm16",)
    assert child.proposals[0].dh_groups == ("none",)  # pfs=no
    assert (child.start_action, child.dpd_action) == ("start", "trap")
    assert any("auto=ignore" in note for note in fragment.notes)
    assert any("includes /etc/ipsec.d/*.conf" in note for note in fragment.notes)


@pytest.mark.parametrize(
    ("raw", "idtype", "expected"),
    [
        ("@siteB.lab", "ID_FQDN", "siteB.lab"),
        ("@siteB.lab", None, "siteB.lab"),
        ("203.0.113.2", "ID_IPV4_ADDR", "203.0.113.2"),
        ("user@example.org", "ID_USER_FQDN", "user@example.org"),
        ("@#0x0123abcd", None, "@#0x0123abcd"),
        ('"C=CA, O=Libreswan, CN=east"', None, "C=CA, O=Libreswan, CN=east"),
        ("%any", None, "%any"),
        ("%fromcert", None, None),
        ("(none)", None, None),
    ],
)
def test_normalise_id(raw: str, idtype: str | None, expected: str | None) -> None:
    assert libreswan.normalise_id(raw, idtype) == expected


# --- never a crash: whatever the text, the result is ok, empty or failed with a reason --------

REAL_LINES = [
    line
    for scenario in SCENARIOS
    for name in ("ipsec-status.txt", "cat-var-log-pluto.log.txt", "cat-etc-ipsec.conf.txt")
    for line in (CAPTURES / scenario / "siteB" / name).read_text().splitlines()
]
COMMANDS = [
    "ipsec status",
    "ipsec trafficstatus",
    "ipsec globalstatus",
    "ipsec --version",
    "cat /var/log/pluto.log",
    "cat /etc/ipsec.conf",
]
text_lines = st.lists(st.one_of(st.sampled_from(REAL_LINES), st.text(max_size=80)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(command=st.sampled_from(COMMANDS), lines=text_lines)
def test_any_text_gives_a_result_never_a_crash(command: str, lines: list[str]) -> None:
    text = "\n".join(lines)
    result, fragment = parse_text("libreswan", command, text)
    if result.status == ParseStatus.FAILED:
        assert result.reason and not result.reason.startswith("parser error")
        assert result.raw == text
        assert fragment.is_empty()
    # every event points at the line of the text its message was read from (the message
    # may lose a level marker such as "WARNING: ", never gain a word)
    numbered = text.split("\n")
    for event in fragment.log:
        assert 1 <= event.line <= len(numbered)
        assert set(event.message.split()) <= set(numbered[event.line - 1].split())


# --- Libreswan 5.x ----------------------------------------------------------------------------

# libreswan/libreswan v5.4 (5eb03b77), testing/pluto/delete-ikev1-sa-01-isakmp-initiator/
# east.console.txt lines 18-19, `ipsec showstates` after the ISAKMP SA #1 was deleted.
SHOWSTATES_54_ISAKMP_DELETED = """\
#2: "west-east":500 IPsec SA established; REPLACE in XXs; newest; eroute owner; ISAKMP SA #1; idle;
#2: "west-east" esp.ESPSPIi@192.1.2.45 esp.ESPSPIi@192.1.2.23 tun.0@192.1.2.45 tun.0@192.1.2.23 Traffic: ESPin=168B ESPout=168B ESPmax=2^63B 
"""  # noqa: E501, W291


def test_child_whose_ike_sa_is_gone_is_kept_and_the_result_is_partial() -> None:
    result, fragment = parse_text("libreswan", "ipsec showstates", SHOWSTATES_54_ISAKMP_DELETED)
    assert result.status == ParseStatus.PARTIAL
    assert result.reason is not None
    assert "IPsec SA whose IKE SA is not listed (#1)" in result.reason
    assert result.raw is not None
    assert result.raw.startswith('1: #2: "west-east":500 IPsec SA established;')
    (stand_in,) = fragment.ike_sas
    assert (stand_in.unique_id, stand_in.state) == (None, None)
    (child,) = stand_in.child_sas
    assert (child.unique_id, child.state, child.bytes_in, child.bytes_out) == (
        "#2",
        "INSTALLED",
        168,
        168,
    )


def test_a_cut_state_line_is_left_unplaced() -> None:
    """An output cut mid-line (the collector's output cap) keeps its last line as unplaced."""
    # v5.4 testing/pluto/crossing-streams-11-ewwew-ikev2-permanent/east.console.txt lines
    # 23-24, the second line cut before its first ';'
    text = (
        '#1: "east-west":500 established IKE SA; REKEY in XXs; REPLACE in XXs; newest; idle;\n'
        '#2: "east-west":500 established Child SA\n'
    )
    result, fragment = parse_text("libreswan", "ipsec showstates", text)
    assert result.status == ParseStatus.PARTIAL
    assert [(u.line, u.text) for u in fragment.unplaced] == [
        (2, '#2: "east-west":500 established Child SA')
    ]
    (ike,) = fragment.ike_sas
    assert (ike.unique_id, ike.state, ike.child_sas) == ("#1", "ESTABLISHED", ())


@pytest.mark.parametrize(
    ("state", "story", "rest", "expected"),
    [
        # the stories of programs/pluto/ikev1_states.c and ikev2_*.c (v5.4), which 5.4 prints
        # in place of the state name
        ("", "established IKE SA", " newest;", ("ike", "ESTABLISHED", None, 2)),
        ("", "established Child SA", " IKE SA #1;", ("child", "INSTALLED", None, 2)),
        ("", "ISAKMP SA established", " newest;", ("ike", "ESTABLISHED", None, 1)),
        ("", "IPsec SA established", " ISAKMP SA #1;", ("child", "INSTALLED", None, 1)),
        ("", "sent IKE_SA_INIT request", "", ("ike", "CONNECTING", True, 2)),
        (
            "",
            "sent IKE_SA_INIT response, waiting for IKE_INTERMEDIATE or IKE_AUTH request",
            "",
            ("ike", "CONNECTING", False, 2),
        ),
        ("", "sent Main Mode request", "", ("ike", "CONNECTING", True, 1)),
        ("", "expecting Main Mode request", "", ("ike", "CONNECTING", False, 1)),
        ("", "sent Quick Mode request", "", ("child", "INSTALLING", None, 1)),
        ("", "XAUTH client - possibly awaiting CFG_request", "", ("ike", "ESTABLISHED", None, 1)),
        ("", "sent CREATE_CHILD_SA request for new IPsec SA", "", ("child", "INSTALLING", None, 2)),
        ("", "deleted state", " IKE SA #1;", ("child", "DELETING", None, 2)),
        # 5.1-5.3 names without STATE_, 4.x and 3.x names
        ("IKE_SA_INIT_I", "sent IKE_SA_INIT request", "", ("ike", "CONNECTING", True, 2)),
        ("ESTABLISHED_IKE_SA", "established IKE SA", "", ("ike", "ESTABLISHED", None, 2)),
        (
            "STATE_V2_ESTABLISHED_CHILD_SA",
            "established Child SA",
            "",
            ("child", "INSTALLED", None, 2),
        ),
        ("STATE_PARENT_I3", "PARENT SA established", "", ("ike", "ESTABLISHED", True, 2)),
        ("STATE_MAIN_R3", "sent MR3, ISAKMP SA established", "", ("ike", "ESTABLISHED", False, 1)),
    ],
)
def test_state_kinds_of_every_generation(
    state: str, story: str, rest: str, expected: tuple[str, str, bool | None, int | None]
) -> None:
    kind = libreswan._classify(state or None, story, rest)
    assert kind is not None
    assert (kind.sa, kind.state, kind.initiator, kind.version) == expected


def test_a_story_no_version_tells_is_not_guessed() -> None:
    assert libreswan._classify(None, "holding the line", "") is None


@pytest.mark.parametrize(
    ("line", "causes", "direction"),
    [
        # every line verbatim from libreswan/libreswan v5.4 (5eb03b77) testing/pluto/<test>/
        (  # ikev2-child-restart-mismatch/west.console.txt line 56
            '"westnet-eastnet-ikev2b" #3: CREATE_CHILD_SA failed with error notification'
            " TS_UNACCEPTABLE",
            {"TS_UNACCEPTABLE"},
            "received",
        ),
        (  # ikev2-allow-narrow-02/west.console.txt line 54
            '"westnet-eastnet-ikev2" #1: response for Child SA #2 was rejected with'
            " TS_UNACCEPTABLE; initiating delete of Child SA (IKE SA will remain UP)",
            {"TS_UNACCEPTABLE"},
            "received",
        ),
        (  # auto-keep-02-revival-through-nat-cleanfail-ikev2/east.console.txt line 66
            '"road-eastnet-ikev2"[1] 192.1.2.254 #3: ignoring IKE_SA_INIT response containing'
            " NO_PROPOSAL_CHOSEN notification (Message ID 0; message payloads N, missing"
            " SA,KE,Ni)",
            {"NO_PROPOSAL_CHOSEN", "ike_proposal_mismatch"},
            "received",
        ),
        (  # basic-pluto-01-nokey/west.console.txt line 32
            '"westnet-eastnet" #1: sending notification AUTHENTICATION_FAILED to 192.1.2.23:500',
            {"AUTHENTICATION_FAILED"},
            "sent",
        ),
        (  # ikev2-labeled-ipsec-04-no-label-on-initiator/east.console.txt line 26
            '"labeled"[1] 192.1.2.45 #2: Child SA\'s Traffic Selector request'
            " {TSi=192.1.2.45/32;TSr=192.1.2.23/32} does not match the labeled IKEv2"
            " connection; responding with TS_UNACCEPTABLE",
            {"TS_UNACCEPTABLE", "ts_mismatch"},
            "sent",
        ),
    ],
)
def test_log_5x_notify_wordings(line: str, causes: set[str], direction: str) -> None:
    result, fragment = parse_text("libreswan", "cat /var/log/pluto.log", line + "\n")
    assert result.status == ParseStatus.OK
    (event,) = fragment.log
    assert causes <= set(event.causes)
    assert event.direction == direction


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("rsasig(RSASIG+RSASIG_v1_5)", "pubkey"),  # 4.x/5.x our auth: with its methods
        ("RSASIG+ECDSA+RSASIG_v1_5", "pubkey"),  # 4.x/5.x their auth:
        ("secret", "psk"),
        ("never", None),
    ],
)
def test_auth_of_every_generation(raw: str, expected: str | None) -> None:
    assert libreswan._auth(raw) == expected


@pytest.mark.parametrize(
    ("line", "causes"),
    [
        # libreswan/libreswan issue 2184 (v5.2), the description's pluto journal: only #2649
        # is established here; #2633 is dropped in favour of an IKE SA established before
        (
            'Apr 29 03:42:11 ip-X.Y.9-96 pluto[10770]: "ovn-4bfa90-0-in-1" #2649: responder'
            " established Child SA using #2632; IPsec transport"
            " [X.Y.9.96/32/UDP/6081===X.Y.77.217/32/UDP] {ESP/ESN=>0x15c4f0d7 <0x07ced431"
            " xfrm=AES_GCM_16_256-NONE DPD=passive}",
            ("child_established",),
        ),
        (
            'Apr 29 03:42:11 ip-X.Y.9-96 pluto[10770]: "ovn-4bfa90-0-in-1" #2633: dropping'
            " negotiation as superseeded by established IKE SA #2632",
            (),
        ),
        # libreswan/libreswan issue 1044: the delete of an established Child SA
        ('Mar 18 19:29:31.842759: "west" #2: deleting established Child SA using IKE SA #1', ()),
        (
            'Mar 18 19:29:30.384311: "west" #1: initiator established IKE SA; authenticated'
            " peer using authby=secret and ID_FQDN '@east'",
            ("ike_established",),
        ),
    ],
)
def test_a_line_naming_an_established_sa_is_not_an_establishment(
    line: str, causes: tuple[str, ...]
) -> None:
    (event,) = libreswan.parse_log(line + "\n", CTX).log
    assert event.causes == causes
    assert event.time is not None


def test_journal_lines_without_the_host_keep_their_time() -> None:
    """`journalctl --no-hostname` prints no host between the time and pluto[PID]: the time and
    the connection are still read (libreswan/libreswan issue 2520, a 5.x responder)."""
    text = (
        'Nov 04 14:35:21 pluto[7402]: "out-1" #1111: responder established IKE SA;'
        " authenticated peer certificate '@83d4491d-8af0-41d6-b1c3-ce525f09537f' and 2048-bit"
        " RSASSA-PSS with SHA2_512 digital signature issued by"
        " 'CN=openshift-ovn-kubernetes_signer-ca@1762252690'\n"
    )
    (event,) = libreswan.parse_log(text, CTX).log
    assert (event.time, event.sa_name, event.causes) == (
        "Nov 04 14:35:21",
        "out-1",
        ("ike_established",),
    )
    assert event.message.startswith('"out-1" #1111: responder established IKE SA;')
