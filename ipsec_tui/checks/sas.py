"""Step 2: child SAs on both sides, installed, SPIs mirrored, packets both ways."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    child_sas,
    count_row,
    events,
    ike_sa,
    installed_children,
    logged_votes,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import CauseVote, ChildSa, Finding, PeerModel, Status


def _first(children: list[ChildSa]) -> ChildSa | None:
    return children[0] if children else None


@check("sa.child_sa", "Child SAs installed on both peers")
def child_sa(pair: Pair) -> Finding:
    ca = _first(installed_children(pair.a, pair.b)) or _first(child_sas(pair.a, pair.b))
    cb = _first(installed_children(pair.b, pair.a)) or _first(child_sas(pair.b, pair.a))
    rows = (
        row("child SA", ca and ca.name, cb and cb.name, same=None),
        row("state", ca.state if ca else "none", cb.state if cb else "none"),
        row("mode", ca and ca.mode, cb and cb.mode),
        row("protocol", ca and ca.protocol, cb and cb.protocol),
        row("UDP encapsulation", ca and ca.encap, cb and cb.encap),
    )
    up = [bool(installed_children(p, o)) for p, o in pair.sides()]
    if up and all(up):
        return verdict(Status.PASS, "child SA installed", rows)
    ike_up = [
        bool(ike_sa(p, o) and ike_sa(p, o).state == "ESTABLISHED")  # type: ignore[union-attr]
        for p, o in pair.sides()
    ]
    if any(up):
        return verdict(
            Status.WARN,
            "child SA on one peer only",
            rows,
            next_action="The peer without it refused or lost it: read its log.",
        )
    if any(ike_up):
        return verdict(
            Status.FAIL,
            "IKE SA up but no child SA: the child negotiation failed",
            rows,
            next_action="See proposals (ESP), selectors and mode: one of them "
            "refused the child SA.",
        )
    return verdict(Status.FAIL, "no child SA (no IKE SA either)", rows)


@check("sa.install", "Negotiated SAs installed by the kernel")
def install(pair: Pair) -> Finding:
    rows = [count_row(pair, "SA install failures", lambda p: len(events(p, "sa_install_failed")))]
    causes, evidence = logged_votes(pair, "sa_install_failed", "sa-install-failed", 4.0, limit=4)
    if causes:
        names = ", ".join(vote.side or "" for vote in causes)
        return verdict(
            Status.FAIL,
            f"{names} negotiated the SA but its kernel refused to install it",
            tuple(rows),
            tuple(evidence),
            next_action=f"On {names}: check the kernel's IPsec support (ESP, XFRM, "
            "the algorithms) and the daemon's log around these lines.",
            causes=tuple(causes),
        )
    return verdict(Status.PASS, "no SA install failures logged", tuple(rows))


@check("sa.spi_mirror", "SPIs mirror across the peers")
def spi_mirror(pair: Pair) -> Finding:
    ca = _first(installed_children(pair.a, pair.b))
    cb = _first(installed_children(pair.b, pair.a))
    # a cloud's status shows an SA as up without its SPIs: nothing to compare
    if not (ca and cb and (ca.spi_in or ca.spi_out) and (cb.spi_in or cb.spi_out)):
        return verdict(
            Status.UNKNOWN,
            "needs an installed child SA with its SPIs on both peers",
            (
                row("SPI in", ca and ca.spi_in, cb and cb.spi_in, same=None),
                row("SPI out", ca and ca.spi_out, cb and cb.spi_out, same=None),
            ),
        )
    a_out_b_in = ca.spi_out == cb.spi_in
    a_in_b_out = ca.spi_in == cb.spi_out
    rows = (
        row(
            "A out = B in",
            ca.spi_out,
            cb.spi_in,
            same=a_out_b_in,
            explain="A's outbound SPI must be B's inbound SPI",
        ),
        row(
            "A in = B out",
            ca.spi_in,
            cb.spi_out,
            same=a_in_b_out,
            explain="B's outbound SPI must be A's inbound SPI",
        ),
    )
    if a_out_b_in and a_in_b_out:
        return verdict(Status.PASS, "SPIs mirror", rows)
    return verdict(
        Status.WARN,
        "SPIs do not mirror: one side holds a stale SA or several SAs exist",
        rows,
        next_action="Compare all child SAs of both peers; a peer that missed a "
        "DELETE keeps sending on an SA the other has dropped.",
    )


def _packets(peer: PeerModel | None, other: PeerModel | None) -> tuple[int, int] | None:
    children = installed_children(peer, other)
    if not children or all(c.packets_in is None and c.packets_out is None for c in children):
        return None  # nothing installed, or no count shown (a cloud's status): not zero
    pin = sum(c.packets_in or 0 for c in children)
    pout = sum(c.packets_out or 0 for c in children)
    return pin, pout


@check("sa.counters", "Packets flow both ways")
def counters(pair: Pair) -> Finding:
    a = _packets(pair.a, pair.b)
    b = _packets(pair.b, pair.a)
    rows = (
        row("packets in", a and a[0], b and b[0], same=None),
        row("packets out", a and a[1], b and b[1], same=None),
    )
    if a is None and b is None:
        return verdict(Status.UNKNOWN, "no installed child SA to count on", rows)
    causes: list[CauseVote] = []
    name_a, name_b = pair.name("a"), pair.name("b")
    if a is not None and b is not None:
        a_in, a_out = a
        b_in, b_out = b
        if a_in and a_out and b_in and b_out:
            return verdict(Status.PASS, "packets flow both ways", rows)
        if not (a_in or a_out or b_in or b_out):
            causes.append(CauseVote("no-traffic", None, 2.0))
            title = "tunnel up, but no packets either way"
            action = (
                "Send traffic that matches the selectors; check the LAN routes towards "
                "each gateway and that the selectors cover the hosts."
            )
        else:
            title, action = "traffic flows one way only", ""
            for sender, receiver, sent, received, back in (
                (name_a, name_b, a_out, b_in, b_out),
                (name_b, name_a, b_out, a_in, a_out),
            ):
                if sent and not received:
                    causes.append(CauseVote("esp-blocked", receiver, 3.0))
                    title = f"{sender} sends ESP that {receiver} never receives"
                    action = (
                        f"Look for a firewall or NAT dropping ESP / UDP 4500 between "
                        f"them, nearest {receiver}."
                    )
                elif sent and received and not back:
                    causes.append(CauseVote("no-return-path", receiver, 3.0))
                    title = (
                        f"{receiver} decrypts {sender}'s packets but sends nothing back:"
                        " mirror-image counters"
                    )
                    action = (
                        f"On {receiver}: is forwarding on, and does the LAN host behind "
                        f"it route replies back to {receiver}?"
                    )
        return verdict(Status.FAIL, title, rows, next_action=action, causes=tuple(causes))
    only = a if a is not None else b
    assert only is not None
    me, other = (name_a, name_b) if a is not None else (name_b, name_a)
    if only[0] and only[1]:
        return verdict(Status.PASS, f"{me}: packets flow both ways", rows)
    if only[1] and not only[0]:
        causes += [CauseVote("no-return-path", other, 1.0), CauseVote("esp-blocked", other, 1.0)]
        return verdict(
            Status.FAIL,
            f"{me} sends but receives nothing; {other}'s counters would tell "
            "whether its packets arrive",
            rows,
            causes=tuple(causes),
            next_action=f"Get {other}'s counters: received there means its return "
            "path, not received means ESP is blocked on the way.",
        )
    return verdict(Status.WARN, f"{me}: traffic one way or none", rows)
