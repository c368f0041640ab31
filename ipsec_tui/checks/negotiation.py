"""Step 1: is there an IKE SA, who initiated, what notify errors flew, did anyone answer."""

from __future__ import annotations

from ipsec_tui.checks.liveness import dead_peer
from ipsec_tui.checks.pair import (
    Pair,
    connection,
    count_row,
    events,
    evidence_of,
    ike_sa,
    log_collected,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.causes import NOTIFY_ERRORS
from ipsec_tui.domain.model import CauseVote, Evidence, Finding, Status


@check("negotiation.ike_sa", "IKE SA on both peers")
def ike_sa_state(pair: Pair) -> Finding:
    sa_a, sa_b = ike_sa(pair.a, pair.b), ike_sa(pair.b, pair.a)
    rows = (
        row("state", sa_a.state if sa_a else "none", sa_b.state if sa_b else "none"),
        row("IKE version", sa_a and sa_a.version, sa_b and sa_b.version),
        row(
            "initiated by this peer",
            sa_a and sa_a.initiator,
            sa_b and sa_b.initiator,
            same=None
            if not (sa_a and sa_b) or sa_a.initiator is None or sa_b.initiator is None
            else sa_a.initiator != sa_b.initiator,
            explain="exactly one side initiates an IKE SA",
        ),
        row("local address", sa_a and sa_a.local_addr, sa_b and sa_b.local_addr, same=None),
        row("remote address", sa_a and sa_a.remote_addr, sa_b and sa_b.remote_addr, same=None),
    )
    states = [sa.state if sa else None for sa in (sa_a, sa_b)]
    present = [p for p in (pair.a, pair.b) if p is not None]
    up = [s == "ESTABLISHED" for s, p in zip(states, (pair.a, pair.b), strict=True) if p]
    if present and all(up):
        return verdict(
            Status.PASS,
            "IKE SA established" + ("" if pair.both else " on the collected peer"),
            rows,
        )
    if any(up):
        return verdict(
            Status.WARN,
            "IKE SA established on one peer only",
            rows,
            next_action="Look at the peer without an IKE SA: it may have deleted it, "
            "or hold a stale one; compare the logs around the same time.",
        )
    return verdict(
        Status.FAIL,
        "no IKE SA established",
        rows,
        next_action="Read the notify errors and retransmits below: they say which exchange fails.",
    )


@check("negotiation.peer_address", "Each peer points at the other")
def peer_address(pair: Pair) -> Finding:
    ca, cb = connection(pair.a, pair.b), connection(pair.b, pair.a)
    if not (ca and cb):
        return verdict(
            Status.UNKNOWN,
            "configuration of both peers needed to compare addresses",
            (row("remote address", ca and ca.remote_addrs, cb and cb.remote_addrs, same=None),),
        )
    a_ok = (
        not ca.remote_addrs
        or "%any" in ca.remote_addrs
        or bool(set(ca.remote_addrs) & set(cb.local_addrs))
    )
    b_ok = (
        not cb.remote_addrs
        or "%any" in cb.remote_addrs
        or bool(set(cb.remote_addrs) & set(ca.local_addrs))
    )
    rows = (
        row("local address", ca.local_addrs, cb.local_addrs, same=None),
        row("remote address (configured)", ca.remote_addrs, cb.remote_addrs, same=None),
        row("A's remote = B's local", ca.remote_addrs, cb.local_addrs, same=a_ok),
        row("B's remote = A's local", ca.local_addrs, cb.remote_addrs, same=b_ok),
    )
    if a_ok and b_ok:
        return verdict(
            Status.PASS,
            "each peer's remote address is the other's local address",
            rows,
        )
    wrong = pair.a if not a_ok else pair.b
    assert wrong is not None
    return verdict(
        Status.FAIL,
        f"{wrong.name} points at an address the other peer does not use",
        rows,
        next_action=f"Correct the remote (peer) address on {wrong.name}.",
        causes=(CauseVote("peer-unreachable", wrong.name, 2.0),),
    )


@check("negotiation.notify", "Notify errors sent and received")
def notify(pair: Pair) -> Finding:
    rows = []
    evidence: list[Evidence] = []
    seen = False
    for token in NOTIFY_ERRORS:
        sent = {p.name: len(events(p, token, direction="sent")) for p, _ in pair.sides()}
        got = {p.name: len(events(p, token, direction="received")) for p, _ in pair.sides()}
        if not any(sent.values()) and not any(got.values()):
            continue
        seen = True

        def cell(which: str, sent: dict[str, int] = sent, got: dict[str, int] = got) -> str:
            name = pair.name(which)
            return f"sent {sent.get(name, 0)}, received {got.get(name, 0)}"

        rows.append(row(token, cell("a"), cell("b"), same=None))
        for peer, _ in pair.sides():
            evidence += evidence_of(peer, events(peer, token), limit=3)
    causes: list[CauseVote] = []
    for peer, other in pair.sides():
        # AUTHENTICATION_FAILED alone cannot tell a PSK from an identity mismatch: only the
        # responder's log can. Vote for both, weakly, when the other side does not explain.
        if events(peer, "AUTHENTICATION_FAILED", direction="received") and not events(
            other, "psk_mismatch", "peer_id_mismatch", "cert_invalid"
        ):
            side = other.name if other else None
            causes += [
                CauseVote("psk-mismatch", side, 0.6),
                CauseVote("identity-mismatch", side, 0.5),
                CauseVote("cert-invalid", side, 0.2),
            ]
    if not seen:
        return verdict(
            Status.PASS,
            "no notify errors logged",
            next_action=""
            if all(log_collected(p) for p, _ in pair.sides())
            else "A peer's log was not collected: notify errors may be missing.",
        )
    ambiguous = bool(causes)
    return verdict(
        Status.FAIL,
        "notify errors exchanged"
        + (
            " (the responder's log would tell a PSK from an identity mismatch)" if ambiguous else ""
        ),
        tuple(rows),
        tuple(evidence),
        next_action="Each notify points at a step below: AUTHENTICATION_FAILED at "
        "identity, NO_PROPOSAL_CHOSEN at proposals, TS_UNACCEPTABLE at selectors.",
        causes=tuple(causes),
    )


@check("negotiation.retransmits", "Requests answered")
def retransmits(pair: Pair) -> Finding:
    rows = [count_row(pair, "retransmits", lambda p: len(events(p, "retransmit", "giving_up")))]
    evidence: list[Evidence] = []
    causes: list[CauseVote] = []
    status = Status.PASS
    title = "no retransmits"
    # a tunnel that was up and lost its peer is negotiation.liveness's (dpd-timeout): the
    # retransmits that follow are its consequence, not a path that never worked
    lost = any(dead_peer(p) for p, _ in pair.sides())
    scale = 0.15 if lost else 1.0
    for peer, other in pair.sides():
        tries = events(peer, "retransmit", "giving_up")
        if not tries:
            continue
        evidence += evidence_of(peer, tries, limit=4)
        sa = ike_sa(peer, other)
        if sa is not None and sa.state == "ESTABLISHED" and not events(peer, "giving_up"):
            status = max(status, Status.WARN, key=_rank)
            title = f"{peer.name} retransmitted, but got answers"
            continue
        status = Status.FAIL
        target = other.name if other else "the other peer"
        heard = _heard_from(other, peer)
        if other is None or not log_collected(other):
            title = f"{peer.name} retransmits and gets no answer"
            causes.append(CauseVote("peer-unreachable", other.name if other else None, 2.0 * scale))
        elif not heard:
            title = (
                f"{peer.name} retransmits; {target}'s log shows nothing from it: "
                "its packets do not arrive"
            )
            causes.append(CauseVote("peer-unreachable", other.name, 3.0 * scale))
            heard_row = ("no", None) if other is pair.a else (None, "no")
            rows.append(row("heard from the other peer", *heard_row, same=False))
        else:
            title = f"{peer.name} retransmits although {target} received its requests"
            causes.append(CauseVote("peer-unreachable", other.name, 1.0 * scale))
    return verdict(
        status,
        title,
        tuple(rows),
        tuple(evidence),
        next_action="Check the path both ways for UDP 500 and 4500: firewalls, "
        "NAT, routing; see the path step."
        if status == Status.FAIL
        else "",
        causes=tuple(causes),
    )


def _heard_from(listener: object, speaker: object) -> bool:
    """Does `listener`'s log mention any of `speaker`'s addresses?"""
    from ipsec_tui.checks.pair import _addresses
    from ipsec_tui.domain.model import PeerModel

    if not isinstance(listener, PeerModel) or not isinstance(speaker, PeerModel):
        return False
    addresses = _addresses(speaker)
    for conn in listener.connections:  # what the listener expects the speaker to use
        addresses.update(a for a in conn.remote_addrs if a not in ("%any",))
    addresses.discard("")
    return any(addr in event.message for event in listener.log for addr in addresses)


def _rank(status: Status) -> int:
    return {Status.PASS: 0, Status.UNKNOWN: 1, Status.WARN: 2, Status.FAIL: 3}[status]
