"""Packets lost to their size: IKE_AUTH (certificate chains) that never arrives after
IKE_SA_INIT went through, IKE fragmentation off, ESP too big for the path."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    connection,
    events,
    evidence_of,
    ike_sa,
    installed_children,
    output_evidence,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.causes import AUTH_EXCHANGES
from ipsec_tui.domain.model import CauseVote, Evidence, Finding, LogEvent, PeerModel, Status


def _auth_stalled(peer: PeerModel) -> list[LogEvent]:
    """Retransmits of the authentication exchange (IKE_AUTH, main mode message 5) that were
    never answered: the first exchange went through, so the path works for small packets."""
    stalled: list[LogEvent] = []
    for event in peer.log:
        if "ike_established" in event.causes:
            stalled = []  # answered in the end
        elif ("retransmit" in event.causes and event.exchange in AUTH_EXCHANGES) or (
            "giving_up" in event.causes and stalled
        ):
            stalled.append(event)
    return stalled


BIG = 1000  # bytes: a lost ESP packet this big, where small ones arrive, hit the path MTU


def _lost_big(sender: PeerModel, receiver: PeerModel) -> tuple[int, int, int] | None:
    """(packets lost, their average size, the delivered ones' average size) on the SA from
    sender to receiver, when only big packets went missing: an ESP black hole."""
    theirs = {c.spi_in: c for c in installed_children(receiver, sender) if c.spi_in}
    for child in installed_children(sender, receiver):
        other = theirs.get(child.spi_out or "")
        if other is None or None in (
            child.packets_out,
            child.bytes_out,
            other.packets_in,
            other.bytes_in,
        ):
            continue
        sent, received = child.packets_out or 0, other.packets_in or 0
        lost = sent - received
        if lost <= 0 or received <= 0:
            continue  # all arrived, or nothing did (that is esp-blocked, not size)
        lost_size = ((child.bytes_out or 0) - (other.bytes_in or 0)) // lost
        delivered_size = (other.bytes_in or 0) // received
        if lost_size >= BIG and lost_size > 2 * delivered_size:
            return lost, lost_size, delivered_size
    return None


def _setting(peer: PeerModel | None, other: PeerModel | None) -> str | None:
    conn = connection(peer, other)
    return conn.fragmentation if conn else None


@check("negotiation.fragmentation", "Big messages get through (IKE fragmentation, MTU)")
def fragmentation(pair: Pair) -> Finding:
    fa, fb = _setting(pair.a, pair.b), _setting(pair.b, pair.a)
    stalled = {p.name: _auth_stalled(p) for p, _ in pair.sides()}
    too_big = {p.name: events(p, "fragmentation") for p, _ in pair.sides()}

    def count(which: str, found: dict[str, list[LogEvent]]) -> int | None:
        peer = pair.a if which == "a" else pair.b
        return len(found.get(peer.name, [])) if peer else None

    rows = [
        row(
            "IKE fragmentation",
            fa,
            fb,
            same=None if fa is None or fb is None else not ({fa, fb} & {"no"}),
            explain="both must support it; 'no' on one side turns it off for the tunnel",
        ),
        row(
            "IKE_AUTH retransmitted after IKE_SA_INIT",
            count("a", stalled),
            count("b", stalled),
            same=False if any(stalled.values()) else None,
        ),
        row(
            "size errors logged",
            count("a", too_big),
            count("b", too_big),
            same=False if any(too_big.values()) else None,
        ),
    ]
    off = [p for p, o in pair.sides() if _setting(p, o) == "no"]
    side = off[0].name if len(off) == 1 else None
    causes: list[CauseVote] = []
    evidence: list[Evidence] = []
    for peer, other in pair.sides():
        if stalled[peer.name] and not (
            (sa := ike_sa(peer, other)) is not None and sa.state == "ESTABLISHED"
        ):
            causes.append(CauseVote("mtu-fragmentation", side, 3.5 if off else 3.0))
            evidence += evidence_of(peer, stalled[peer.name], limit=4)
        up = (sa := ike_sa(peer, other)) is not None and sa.state == "ESTABLISHED"
        if too_big[peer.name] and (not up or stalled[peer.name]):
            # a size line on a tunnel that came up is often fragmentation doing its job
            # ("splitting IKE message into fragments"): it counts only beside a failure
            causes.append(CauseVote("mtu-fragmentation", side or peer.name, 2.0))
            evidence += evidence_of(peer, too_big[peer.name], limit=3)
    if pair.a is not None and pair.b is not None:
        for sender, receiver in ((pair.a, pair.b), (pair.b, pair.a)):
            found = _lost_big(sender, receiver)
            if found is None:
                continue
            lost, lost_size, delivered_size = found
            side_esp = side or receiver.name
            causes.append(CauseVote("mtu-fragmentation", side_esp, 3.0))
            text = (
                f"{sender.name} -> {receiver.name}: {lost} packet(s) of ~{lost_size} bytes "
                f"lost, those of ~{delivered_size} bytes arrived"
            )
            rows.append(
                row(
                    "ESP packets lost, by size",
                    text if sender is pair.a else None,
                    text if sender is pair.b else None,
                    same=False,
                    explain="the SA counters of both ends: only the big packets vanished",
                )
            )
            for peer in (sender, receiver):
                ev = output_evidence(peer, "swanctl --list-sas", text) or output_evidence(
                    peer, "ipsec ", text
                )
                if ev:
                    evidence.append(ev)
    if not causes:
        if off:
            return verdict(
                Status.WARN,
                f"IKE fragmentation is off on {', '.join(p.name for p in off)}: big "
                "IKE_AUTH messages (certificate chains) will be fragmented by IP",
                tuple(rows),
                next_action="Turn IKE fragmentation on (strongSwan `fragmentation = yes`, "
                "Libreswan `fragmentation=yes`).",
            )
        return verdict(Status.PASS, "no messages lost to size", tuple(rows))
    where = side or "the side whose messages are lost"
    ike_lost = any(stalled.values())
    return verdict(
        Status.FAIL,
        (
            "IKE_SA_INIT went through but IKE_AUTH was never answered: messages too big for "
            "the path"
            if ike_lost
            else "packets are lost to their size: big ones vanish, small ones arrive"
        )
        + (f" (IKE fragmentation is off on {side})" if side else ""),
        tuple(rows),
        tuple(evidence),
        next_action=f"Turn IKE fragmentation on, on {where}; check the path MTU between the "
        "peers (ICMP 'fragmentation needed' must pass) and lower the tunnel MTU/MSS for ESP.",
        causes=tuple(causes),
    )
