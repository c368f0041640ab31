"""The checks for the causes the field hits (NAT exemption, size, lost peers, stale SAs, IKE
versions), children judged one by one, and narrowing: pure models in, cause and side out.

The models are built by hand; every log line in them is quoted from a real source, named next
to it: the lab's recorded captures (tests/data/captures) or a public issue thread.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ipsec_tui.analysis import analyse_models
from ipsec_tui.checks.pair import Pair, child_pairs, ts_covers
from ipsec_tui.domain.causes import AUTH_EXCHANGES, FIRST_EXCHANGES, ON_SA_EXCHANGES
from ipsec_tui.domain.model import (
    CauseVote,
    ChildConfig,
    ChildSa,
    Connection,
    Finding,
    IkeSa,
    LogEvent,
    NatRule,
    ParseResult,
    ParseStatus,
    PeerModel,
    Proposal,
    Status,
    XfrmPolicy,
)
from ipsec_tui.parsers import base
from ipsec_tui.parsers.log_signatures import exchange_of

A_WAN, B_WAN = "203.0.113.1", "203.0.113.2"
A_LAN, B_LAN = "10.1.0.0/24", "10.2.0.0/24"
ESP = Proposal(("aes256",), ("sha256",), (), ("modp2048",))

# tests/data/captures/strongswan/baseline/siteA/cat-var-log-charon.log.txt, line 16
ESTABLISHED_A = "IKE_SA lab[2] established between 203.0.113.1[siteA.lab]...203.0.113.2[siteB.lab]"
# tests/data/captures/strongswan/baseline/siteB/cat-var-log-charon.log.txt, line 14
ESTABLISHED_B = "IKE_SA lab[2] established between 203.0.113.2[siteB.lab]...203.0.113.1[siteA.lab]"
# tests/data/captures/strongswan/udp-blocked/siteA/cat-var-log-charon.log.txt, line 5
RETRANSMIT_INIT = "retransmit 1 of request with message ID 0"
RETRANSMIT_INIT_2 = "retransmit 2 of request with message ID 0"  # the same file, line 8
# tests/data/captures/strongswan/dpd/siteA/cat-var-log-charon.log.txt, lines 51 and 59
RETRANSMIT_ON_SA = "retransmit 1 of request with message ID 2"
GIVING_UP_4 = "giving up after 4 retransmits"
# tests/data/captures/strongswan/cert-mtu/siteA/cat-var-log-charon.log.txt, line 34
RETRANSMIT_AUTH = "retransmit 1 of request with message ID 1"
# https://github.com/opnsense/core/issues/3821 (strongSwan)
GIVING_UP = "giving up after 5 retransmits"
# https://github.com/hwdsl2/setup-ipsec-vpn/issues/1574 (Libreswan, an established SA)
LIBRESWAN_ESTABLISHED_TIMEOUT = (
    '"ikev2-cp"[1] 112.97.81.132 #1: STATE_V2_ESTABLISHED_IKE_SA: 300 second timeout '
    "exceeded after 10 retransmits.  No response (or no acceptable response) to our IKEv2 "
    "message"
)
# https://github.com/libreswan/libreswan/issues/913
LIBRESWAN_INIT_RETRANSMIT = (
    '"mtntest" #1056: STATE_PARENT_I1: retransmission; will wait 0.5 seconds for response'
)
# https://github.com/libreswan/libreswan/issues/3033
LIBRESWAN_REKEY_RETRANSMIT = (
    '+"intermediate-fragmentation-no" #1: retransmitting CREATE_CHILD_SA rekey ike; will '
    "wait 0.5 seconds for response"
)
# https://github.com/libreswan/libreswan/issues/256
LIBRESWAN_MAIN_I1 = (
    '"US_AUS/1x1" #3: STATE_MAIN_I1: retransmission; will wait 16 seconds for response'
)
# https://github.com/xelerance/Openswan/issues/85
MESSAGE_TOO_LONG = (
    "ERROR: asynchronous network error report on eth0 (sport=4500) for message to "
    "54.92.xxx.xxx port 4500, complainant 10.89.1.129: Message too long [errno 90, origin "
    "ICMP type 3 code 4 (not authenticated)]"
)
# https://github.com/apache/cloudstack/issues/4153 (strongSwan IKEv1 responder, wrong PSK)
DECRYPTION_FAILED = "16[ENC] invalid ID_V1 payload length, decryption failed?"

# the masquerade the lab's nat-exempt fault loads (ipsec_tui/lab/faults.py)
MASQUERADE = "ip saddr 10.2.0.0/24 counter masquerade"


def _logged(line: int, message: str, *causes: str, platform: str = "strongswan") -> LogEvent:
    """A log event as the parsing layer types it: its exchange from the platform's signatures
    (the checks read that field, never the wording)."""
    return LogEvent(line, message, causes=causes, exchange=exchange_of(message, platform))


def _child(name: str, local: str, remote: str, **kw: object) -> ChildConfig:
    return ChildConfig(name, (local,), (remote,), mode="tunnel", proposals=(ESP,), **kw)  # type: ignore[arg-type]


def _sa_child(name: str, local: str, remote: str, **kw: object) -> ChildSa:
    values: dict[str, object] = {
        "state": "INSTALLED",
        "mode": "TUNNEL",
        "packets_in": 6,
        "packets_out": 6,
    }
    values.update(kw)
    return ChildSa(name=name, local_ts=(local,), remote_ts=(remote,), **values)  # type: ignore[arg-type]


def _peer(
    name: str,
    *,
    mine: str,
    theirs: str,
    lan: str,
    remote_lan: str,
    children: tuple[ChildConfig, ...] | None = None,
    sas: tuple[IkeSa, ...] | None = None,
    log: tuple[LogEvent, ...] = (),
    **kw: object,
) -> PeerModel:
    """A strongSwan peer with one tunnel towards the other, up with one child by default."""
    children = children if children is not None else (_child("lan", lan, remote_lan),)
    if sas is None:
        sas = (
            IkeSa(
                name="lab",
                state="ESTABLISHED",
                version=2,
                local_addr=mine,
                remote_addr=theirs,
                established_s=10,
                child_sas=tuple(_sa_child(c.name, lan, remote_lan) for c in children),
            ),
        )
    conn = Connection(
        "lab",
        version=2,
        local_addrs=(mine,),
        remote_addrs=(theirs,),
        local_auth="psk",
        remote_auth="psk",
        children=children,
    )
    values: dict[str, object] = {
        "ike_sas": sas,
        "connections": (conn,),
        "addresses": (f"{mine}/24", f"{lan.split('/')[0][:-1]}1/24"),
        "forwarding": True,
        "xfrm_policies": (XfrmPolicy(lan, remote_lan, "out"),),
        "log": log,
        "log_file": "cat-var-log-charon.log.txt",
        "parse_results": (ParseResult("swanctl --list-sas", "x.txt", ParseStatus.OK),),
    }
    values.update(kw)
    return PeerModel(name, "strongswan", **values)  # type: ignore[arg-type]


def _pair(**b_changes: object) -> tuple[PeerModel, PeerModel]:
    a = _peer("siteA", mine=A_WAN, theirs=B_WAN, lan=A_LAN, remote_lan=B_LAN)
    b = _peer("siteB", mine=B_WAN, theirs=A_WAN, lan=B_LAN, remote_lan=A_LAN)
    return a, replace(b, **b_changes)  # type: ignore[arg-type]


def _finding(a: PeerModel | None, b: PeerModel | None, check_id: str) -> Finding:
    analysis = analyse_models(a, b)
    return next(f for s in analysis.steps for f in s.findings if f.check_id == check_id)


def test_the_healthy_model_is_healthy() -> None:
    a, b = _pair()
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("healthy", None), d


# --- nat-exemption-missing ---------------------------------------------------------------------


def _masquerade(*before: NatRule, **kw: object) -> tuple[NatRule, ...]:
    rule = NatRule("inet ipsec-tui-lab", "postrouting", "postrouting", "masquerade",
                   src=(B_LAN,), text=MASQUERADE, **kw)  # type: ignore[arg-type]  # fmt: skip
    return (*before, rule)


def test_a_masquerade_of_the_lan_without_exception_is_a_missing_nat_exemption() -> None:
    a, b = _pair(nat_rules=_masquerade())
    # what the lab's fault shows: B encrypts nothing, A receives nothing
    b = replace(b, ike_sas=(replace(b.ike_sas[0], child_sas=(
        replace(b.ike_sas[0].child_sas[0], packets_out=0),)),))  # fmt: skip
    a = replace(a, ike_sas=(replace(a.ike_sas[0], child_sas=(
        replace(a.ike_sas[0].child_sas[0], packets_in=0),)),))  # fmt: skip
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("nat-exemption-missing", "siteB"), d
    finding = _finding(a, b, "path.nat_exemption")
    assert finding.status == Status.FAIL
    assert finding.rows[0].b == MASQUERADE and finding.rows[0].match is False
    assert finding.evidence and finding.evidence[0].peer == "siteB"
    assert "exempt" in finding.next_action


@pytest.mark.parametrize(
    "rules",
    [
        # an exemption above the masquerade: accept what goes to the remote LAN
        _masquerade(NatRule("ip nat", "postrouting", "postrouting", "accept", dst=(A_LAN,))),
        # ... or everything IPsec will encrypt
        _masquerade(NatRule("ip nat", "postrouting", "postrouting", "accept", ipsec="ipsec")),
        # the masquerade itself spares IPsec traffic, or the remote LAN
        _masquerade(ipsec="none"),
        _masquerade(dst=(f"!{A_LAN}",)),
    ],
)
def test_an_exemption_before_or_in_the_rule_lets_the_tunnel_traffic_pass(
    rules: tuple[NatRule, ...],
) -> None:
    a, b = _pair(nat_rules=rules)
    assert _finding(a, b, "path.nat_exemption").status == Status.PASS
    assert analyse_models(a, b).diagnosis.cause == "healthy"


def test_a_masquerade_of_another_lan_does_not_touch_the_tunnel() -> None:
    other = NatRule("ip nat", "postrouting", "postrouting", "masquerade", src=("10.9.0.0/24",))
    a, b = _pair(nat_rules=(other,))
    assert _finding(a, b, "path.nat_exemption").status == Status.PASS


# --- dpd-timeout --------------------------------------------------------------------------------


def test_an_established_sa_that_stops_answering_is_a_dpd_timeout_of_the_silent_peer() -> None:
    a, b = _pair(log=(LogEvent(14, ESTABLISHED_B, causes=("ike_established",)),))
    log = (
        LogEvent(16, ESTABLISHED_A, causes=("ike_established",)),
        _logged(40, LIBRESWAN_ESTABLISHED_TIMEOUT, "giving_up", platform="libreswan"),
    )
    a = replace(a, ike_sas=(), log=log)
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("dpd-timeout", "siteB"), d
    finding = _finding(a, b, "negotiation.liveness")
    assert finding.status == Status.FAIL and [e.line_start for e in finding.evidence] == [40]


def test_retransmits_that_never_got_an_sa_up_are_not_a_dpd_timeout() -> None:
    a, b = _pair(ike_sas=(), log=())
    log = (
        _logged(5, RETRANSMIT_INIT, "retransmit"),
        _logged(8, RETRANSMIT_INIT_2, "retransmit"),
    )
    a = replace(a, ike_sas=(), log=log)
    assert _finding(a, b, "negotiation.liveness").status == Status.PASS
    assert analyse_models(a, b).diagnosis.cause == "peer-unreachable"


def test_a_new_ike_sa_init_after_the_sa_was_up_starts_over() -> None:
    log = (
        LogEvent(16, ESTABLISHED_A, causes=("ike_established",)),
        _logged(30, RETRANSMIT_INIT, "retransmit"),
        _logged(40, GIVING_UP, "giving_up"),
    )
    a, b = _pair()
    a = replace(a, log=log)
    assert _finding(a, b, "negotiation.liveness").status == Status.PASS


# tests/data/captures/strongswan/ikev1-dpd/siteA/cat-var-log-charon.log.txt, line 72
IKEV1_RETRANSMIT = "sending retransmit 1 of request message ID 0, seq 1"
# https://github.com/libreswan/libreswan/issues/1657
LIBRESWAN_LIVENESS_RETRANSMIT = (
    '"westnet-eastnet-ipv4-psk-ikev2" #1: STATE_V2_ESTABLISHED_IKE_SA: retransmission; will '
    "wait 1 seconds for response"
)


@pytest.mark.parametrize(
    ("platform", "line", "exchange", "stage"),
    [
        ("strongswan", RETRANSMIT_INIT, "IKE_SA_INIT", FIRST_EXCHANGES),
        ("strongswan", RETRANSMIT_AUTH, "IKE_AUTH", AUTH_EXCHANGES),
        ("strongswan", RETRANSMIT_ON_SA, "on-sa", ON_SA_EXCHANGES),
        ("strongswan", IKEV1_RETRANSMIT, "main", FIRST_EXCHANGES),
        ("strongswan", GIVING_UP, None, None),
        ("libreswan", LIBRESWAN_INIT_RETRANSMIT, "IKE_SA_INIT", FIRST_EXCHANGES),
        ("libreswan", LIBRESWAN_MAIN_I1, "main", FIRST_EXCHANGES),
        ("libreswan", LIBRESWAN_ESTABLISHED_TIMEOUT, "on-sa", ON_SA_EXCHANGES),
        ("libreswan", LIBRESWAN_LIVENESS_RETRANSMIT, "on-sa", ON_SA_EXCHANGES),
        ("libreswan", LIBRESWAN_REKEY_RETRANSMIT, "CREATE_CHILD_SA", ON_SA_EXCHANGES),
        ("libreswan", MESSAGE_TOO_LONG, None, None),
    ],
)
def test_the_parsed_log_names_the_exchange_a_retransmit_is_about(
    platform: str, line: str, exchange: str | None, stage: tuple[str, ...] | None
) -> None:
    # through the platform's log parser, as a capture is read
    # each daemon's line prefix as it prints it (the strongSwan line above, a lab pluto log)
    command, prefix = {
        "strongswan": ("cat /var/log/charon.log", "2026-12-02T06:05:20 10[IKE] <lab|8> "),
        "libreswan": ("cat /var/log/pluto.log", "Dec  2 05:37:50.609935: "),
    }[platform]
    result, fragment = base.parse_text(platform, command, prefix + line + "\n")
    assert result.status.value == "ok" and len(fragment.log) == 1, result.reason
    assert fragment.log[0].exchange == exchange
    assert stage is None or exchange in stage


def test_the_checks_read_the_exchange_not_the_wording() -> None:
    # the same retransmits, typed as IKE_AUTH or as IKE_SA_INIT: only the field differs
    a, b = _pair(ike_sas=())
    b = replace(b, connections=(replace(b.connections[0], fragmentation="no"),))
    log = tuple(
        LogEvent(34 + i, RETRANSMIT_AUTH, causes=("retransmit",), exchange="IKE_AUTH")
        for i in range(3)
    )
    auth = replace(a, ike_sas=(), log=log)
    init = replace(auth, log=tuple(replace(e, exchange="IKE_SA_INIT") for e in log))
    assert analyse_models(auth, b).diagnosis.cause == "mtu-fragmentation"
    assert analyse_models(init, b).diagnosis.cause == "peer-unreachable"


# --- stale-sa -----------------------------------------------------------------------------------


def test_sas_older_than_the_other_daemon_are_stale_on_the_side_holding_them() -> None:
    a, b = _pair(ike_sas=(), daemon_uptime_s=3)
    a = replace(a, ike_sas=(replace(a.ike_sas[0], established_s=40),))
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("stale-sa", "siteA"), d
    finding = _finding(a, b, "sa.stale")
    assert "siteA" in finding.title and "swanctl --terminate" in finding.next_action


def test_a_daemon_that_started_after_the_sa_on_its_own_side_is_not_stale() -> None:
    a, b = _pair(daemon_uptime_s=3)
    a = replace(a, daemon_uptime_s=3)
    # both SAs are 10 s old, B's daemon only 3 s: B's SA cannot be older than its daemon,
    # but A's is, while B holds the other half: still stale on A (B restarted, reconnected
    # SAs are new); the check names A only when B has none
    assert _finding(a, b, "sa.stale").causes[0].side == "siteA"


def test_an_invalid_spi_notify_names_the_stale_side() -> None:
    a, b = _pair(ike_sas=())
    # the token alone (no device wording is needed to reason on it)
    a = replace(a, log=(LogEvent(3, "", causes=("INVALID_SPI",), direction="received"),))
    finding = _finding(a, b, "sa.stale")
    assert finding.status == Status.FAIL
    assert {vote.side for vote in finding.causes} == {"siteA"}


# --- ike-version-mismatch -----------------------------------------------------------------------


def _versions(va: int, vb: int) -> tuple[PeerModel, PeerModel]:
    a, b = _pair(ike_sas=())
    a = replace(a, ike_sas=(), connections=(replace(a.connections[0], version=va),))
    b = replace(b, connections=(replace(b.connections[0], version=vb),))
    return a, b


def test_ikev1_only_against_ikev2_only_names_the_responder_that_refused() -> None:
    a, b = _versions(2, 1)
    a = replace(a, ike_sas=(IkeSa(name="lab", state="CONNECTING", version=2, initiator=True,
                                  local_addr=A_WAN, remote_addr=B_WAN),))  # fmt: skip
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("ike-version-mismatch", "siteB"), d
    a, b = _versions(1, 2)  # the lab's IKEv1 baseline with B moved to IKEv2
    a = replace(a, ike_sas=(IkeSa(name="lab", state="CONNECTING", version=1, initiator=True,
                                  local_addr=A_WAN, remote_addr=B_WAN),))  # fmt: skip
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("ike-version-mismatch", "siteB"), d


def test_with_nothing_to_tell_the_initiator_the_ikev1_side_is_the_odd_one() -> None:
    a, b = _versions(1, 2)
    finding = _finding(a, b, "negotiation.ike_version")
    assert finding.causes == (CauseVote("ike-version-mismatch", "siteA", 4.0),)


@pytest.mark.parametrize(("va", "vb"), [(0, 1), (2, 0), (2, 2), (1, 1)])
def test_a_side_accepting_either_version_meets_the_other(va: int, vb: int) -> None:
    a, b = _versions(va, vb)
    assert _finding(a, b, "negotiation.ike_version").status == Status.PASS


# --- mtu-fragmentation --------------------------------------------------------------------------


def test_a_message_too_long_with_fragmentation_off_is_packets_lost_to_size() -> None:
    a, b = _pair(ike_sas=())
    a = replace(a, ike_sas=(), log=(LogEvent(9, MESSAGE_TOO_LONG, causes=("fragmentation",)),))
    b = replace(b, connections=(replace(b.connections[0], fragmentation="no"),))
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("mtu-fragmentation", "siteB"), d
    finding = _finding(a, b, "negotiation.fragmentation")
    assert [r.b for r in finding.rows if r.field == "IKE fragmentation"] == ["no"]


def test_ike_auth_unanswered_after_ike_sa_init_is_lost_to_size_not_unreachable() -> None:
    a, b = _pair(ike_sas=())
    log = tuple(_logged(34 + 2 * i, RETRANSMIT_AUTH, "retransmit") for i in range(3))
    a = replace(a, ike_sas=(), log=log)
    b = replace(b, connections=(replace(b.connections[0], fragmentation="no"),))
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("mtu-fragmentation", "siteB"), d
    assert "IKE_AUTH was never answered" in d.summary
    # the same retransmits of IKE_SA_INIT are an unreachable peer
    a = replace(a, log=tuple(_logged(e.line, RETRANSMIT_INIT, *e.causes) for e in log))
    assert analyse_models(a, b).diagnosis.cause == "peer-unreachable"


def _counters(peer: PeerModel, **counts: int) -> PeerModel:
    sa = peer.ike_sas[0]
    child = replace(sa.child_sas[0], **counts)  # type: ignore[arg-type]
    return replace(peer, ike_sas=(replace(sa, child_sas=(child,)),))


def test_only_big_esp_packets_lost_is_an_esp_black_hole() -> None:
    a, b = _pair()
    a = replace(a, ike_sas=(replace(a.ike_sas[0], child_sas=(
        replace(a.ike_sas[0].child_sas[0], spi_in="d7c6f182", spi_out="62bc02d5"),)),))  # fmt: skip
    b = replace(b, ike_sas=(replace(b.ike_sas[0], child_sas=(
        replace(b.ike_sas[0].child_sas[0], spi_in="62bc02d5", spi_out="d7c6f182"),)),))  # fmt: skip
    # the counters of the lab's mtu capture: 3 pings of 100 and 3 of 1300 bytes sent
    a = _counters(a, packets_out=6, bytes_out=4368, packets_in=3, bytes_in=384)
    b = _counters(b, packets_in=3, bytes_in=384, packets_out=3, bytes_out=384)
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("mtu-fragmentation", "siteB"), d
    finding = _finding(a, b, "negotiation.fragmentation")
    lost = next(r for r in finding.rows if r.field == "ESP packets lost, by size")
    assert lost.a == "siteA -> siteB: 3 packet(s) of ~1328 bytes lost, those of ~128 bytes arrived"
    # small packets lost as well: not a matter of size
    a = _counters(a, packets_out=6, bytes_out=768)
    assert _finding(a, b, "negotiation.fragmentation").status == Status.PASS


def test_fragmentation_off_alone_is_a_warning_not_a_cause() -> None:
    a, b = _pair()
    b = replace(b, connections=(replace(b.connections[0], fragmentation="no"),))
    finding = _finding(a, b, "negotiation.fragmentation")
    assert finding.status == Status.WARN and not finding.causes


# --- children, one by one -----------------------------------------------------------------------


def _three_children(b_children: tuple[ChildConfig, ...]) -> tuple[PeerModel, PeerModel]:
    nets = [("10.1.1.0/24", "10.2.1.0/24"), ("10.1.2.0/24", "10.2.2.0/24"),
            ("10.1.3.0/24", "10.2.3.0/24")]  # fmt: skip
    a_children = tuple(_child(f"net{i}", lo, re) for i, (lo, re) in enumerate(nets, 1))
    a = _peer("siteA", mine=A_WAN, theirs=B_WAN, lan=A_LAN, remote_lan=B_LAN,
              children=a_children)  # fmt: skip
    b = _peer("siteB", mine=B_WAN, theirs=A_WAN, lan=B_LAN, remote_lan=A_LAN,
              children=b_children)  # fmt: skip
    # children 1 and 3 are up on both sides; the second is not
    up = {"net1": nets[0], "net3": nets[2]}
    a = replace(a, ike_sas=(replace(a.ike_sas[0], child_sas=tuple(
        _sa_child(n, lr[0], lr[1]) for n, lr in up.items())),))  # fmt: skip
    b = replace(b, ike_sas=(replace(b.ike_sas[0], child_sas=tuple(
        _sa_child(n.replace("net", "site"), lr[1], lr[0]) for n, lr in up.items())),))  # fmt: skip
    return a, b


def test_one_child_failing_its_proposal_is_named_with_its_cause() -> None:
    gcm = Proposal(("aes128gcm16",), (), (), ("modp2048",))
    b_children = (
        _child("site1", "10.2.1.0/24", "10.1.1.0/24"),
        replace(_child("site2", "10.2.2.0/24", "10.1.2.0/24"), proposals=(gcm,)),
        _child("site3", "10.2.3.0/24", "10.1.3.0/24"),
    )
    a, b = _three_children(b_children)
    finding = _finding(a, b, "sa.children")
    assert finding.status == Status.FAIL
    assert "net2 / site2: no ESP proposal in common" in finding.title
    assert [r.match for r in finding.rows] == [True, False, True]
    d = analyse_models(a, b).diagnosis
    assert d.cause == "child-proposal-mismatch", d


def test_one_child_with_a_wrong_selector_is_a_selector_mismatch_on_that_side() -> None:
    b_children = (
        _child("site1", "10.2.1.0/24", "10.1.1.0/24"),
        _child("site2", "10.2.2.0/24", "10.99.2.0/24"),  # the lab's child-ts fault
        _child("site3", "10.2.3.0/24", "10.1.3.0/24"),
    )
    a, b = _three_children(b_children)
    a = replace(a, addresses=(*a.addresses, "10.1.2.1/24"))
    finding = _finding(a, b, "sa.children")
    assert finding.causes == (CauseVote("selector-mismatch", "siteB", 3.0),), finding
    assert "net2 / site2" in finding.title


def test_children_pair_by_selectors_when_their_names_differ() -> None:
    a, b = _three_children(
        tuple(_child(f"x{i}", f"10.2.{i}.0/24", f"10.1.{i}.0/24") for i in (3, 1, 2))
    )
    pairs = child_pairs(Pair(a, b))
    assert [(x.name if x else None, y.name if y else None) for x, y in pairs] == [
        ("net1", "x1"),
        ("net2", "x2"),
        ("net3", "x3"),
    ]


# --- narrowing ----------------------------------------------------------------------------------


def test_a_responder_that_narrowed_the_selectors_is_a_selector_mismatch() -> None:
    a, b = _pair()
    b = replace(b, connections=(replace(b.connections[0], children=(
        _child("lan", "10.2.0.0/24[tcp/443]", A_LAN),)),))  # fmt: skip
    a = replace(a, ike_sas=(replace(a.ike_sas[0], child_sas=(
        _sa_child("lan", A_LAN, "10.2.0.0/24[tcp/443]"),)),))  # fmt: skip
    finding = _finding(a, b, "selectors.narrowing")
    assert finding.status == Status.FAIL
    assert "siteB accepted only 10.2.0.0/24[tcp/443] of 10.2.0.0/24" in finding.title
    assert finding.causes == (CauseVote("selector-mismatch", "siteB", 2.0),)


def test_selectors_cover_by_network_protocol_and_port() -> None:
    assert ts_covers(["10.2.0.0/16"], ["10.2.0.0/24[tcp/443]"])
    assert not ts_covers(["10.2.0.0/24[tcp/443]"], ["10.2.0.0/24"])
    assert ts_covers(["10.2.0.0/24[tcp/443]"], ["10.2.0.0/24[tcp/443]"])
    assert not ts_covers(["10.2.0.0/24[udp/53]"], ["10.2.0.0/24[tcp/53]"])


# --- IKEv1 psk, lifetimes, raw keys -------------------------------------------------------------


def test_an_ikev1_decryption_failure_on_the_responder_is_a_psk_mismatch() -> None:
    a, b = _pair(ike_sas=())
    a = replace(a, ike_sas=())
    b = replace(b, log=(LogEvent(7, DECRYPTION_FAILED, causes=("decrypt_failed",)),))
    d = analyse_models(a, b).diagnosis
    assert (d.cause, d.side) == ("psk-mismatch", "siteB"), d


def test_lifetimes_that_differ_without_churn_lose_to_any_real_cause() -> None:
    a, b = _pair(nat_rules=_masquerade())
    b = replace(b, connections=(replace(b.connections[0], children=(
        _child("lan", B_LAN, A_LAN, rekey_time_s=300),)),))  # fmt: skip
    a = replace(a, connections=(replace(a.connections[0], children=(
        _child("lan", A_LAN, B_LAN, rekey_time_s=3600),)),))  # fmt: skip
    finding = _finding(a, b, "rekey.lifetimes")
    assert finding.causes and all(vote.weight < 1 for vote in finding.causes)
    assert "no churn" in finding.title
    assert analyse_models(a, b).diagnosis.cause == "nat-exemption-missing"


@pytest.mark.parametrize(
    ("fa", "fb", "verdict"),
    [
        ("mem:1a2b3c4d", "mem:1a2b3c4d", Status.PASS),
        ("mem:1a2b3c4d", "mem:ffffffff", Status.FAIL),
        ("1a2b3c4d", "mem:1a2b3c4d", Status.UNKNOWN),  # kinds differ: not comparable
    ],
)
def test_raw_key_fingerprints_compare_only_with_their_own_kind(
    fa: str, fb: str, verdict: Status
) -> None:
    a, b = _pair()
    a = replace(a, connections=(replace(a.connections[0], psk_fingerprint=fa),))
    b = replace(b, connections=(replace(b.connections[0], psk_fingerprint=fb),))
    finding = _finding(a, b, "identity.psk")
    assert finding.status == (Status.PASS if verdict == Status.UNKNOWN else verdict)
    if verdict == Status.UNKNOWN:
        assert finding.title.startswith("no PSK mismatch seen")


def test_a_partly_understood_output_is_an_unknown_finding_with_its_lines() -> None:
    from ipsec_tui.parsers.base import Fragment, unplaced_summary

    fragment = Fragment()
    fragment.leave_unplaced(7, "  lan{9}:  INSTALLED, TUNNEL", "child SA without its IKE SA")
    reason, raw = unplaced_summary(fragment.unplaced)
    assert reason.startswith("1 line(s) not understood: child SA without its IKE SA")
    assert raw == "7:   lan{9}:  INSTALLED, TUNNEL"
    result = ParseResult("swanctl --list-sas", "x.txt", ParseStatus.PARTIAL, "p", reason, raw)
    a, b = _pair(parse_results=(result,))
    finding = _finding(a, b, "collection.parse")
    assert finding.status == Status.UNKNOWN
    assert "partly understood" in str(finding.rows) and raw in finding.evidence[0].text
