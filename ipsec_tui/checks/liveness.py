"""A tunnel that was up and went away: the peer stopped answering (dead peer detection), or
one side lost its SAs while the other still holds them (stale SAs)."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    events,
    evidence_of,
    ike_sa,
    row,
)
from ipsec_tui.checks.path import blocking_rules
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.causes import FIRST_EXCHANGES, ON_SA_EXCHANGES
from ipsec_tui.domain.model import (
    CauseVote,
    Evidence,
    Finding,
    IkeSa,
    LogEvent,
    ParseStatus,
    PeerModel,
    Status,
)


def dead_peer(peer: PeerModel) -> list[LogEvent]:
    """The lines where `peer` gave up on an IKE SA that had been established: a DPD/liveness
    timeout, or retransmits of a request on the established SA that ended in giving up.
    Empty when the SA never came up (that is peer-unreachable, not a lost peer)."""
    up = False
    retrying: list[LogEvent] = []
    found: list[LogEvent] = []
    for event in peer.log:
        if "ike_established" in event.causes:
            # established again: the peer answers; what was lost before is history (an
            # IKEv1 quick mode left unanswered, a flap that healed), not the state now
            up, retrying, found = True, [], []
            continue
        if "dpd_timeout" in event.causes and up:
            found += [*retrying, event]
            up, retrying = False, []
            continue
        if "retransmit" in event.causes:
            if event.exchange in FIRST_EXCHANGES:
                # a new IKE_SA_INIT (main mode): the daemon starts over, the old SA is gone
                up, retrying = False, []
            elif up and (event.exchange is None or event.exchange in ON_SA_EXCHANGES):
                retrying.append(event)
            continue
        # Libreswan logs only the end: "STATE_V2_ESTABLISHED_IKE_SA: ... timeout exceeded
        # after 10 retransmits"; strongSwan each retransmit, then "giving up"
        if "giving_up" in event.causes and up and (retrying or event.exchange in ON_SA_EXCHANGES):
            found += [*retrying, event]
            up, retrying = False, []
    return found


@check("negotiation.liveness", "Established SAs stay alive")
def liveness(pair: Pair) -> Finding:
    dead = {p.name: dead_peer(p) for p, _ in pair.sides()}
    established = {p.name: len(events(p, "ike_established")) for p, _ in pair.sides()}
    rows = (
        row(
            "IKE SAs established (log)",
            established.get(pair.name("a")),
            established.get(pair.name("b")),
            same=None,
        ),
        row(
            "declared the other dead",
            "yes" if dead.get(pair.name("a")) else "no" if pair.a else None,
            "yes" if dead.get(pair.name("b")) else "no" if pair.b else None,
            same=False if any(dead.values()) else None,
            explain="DPD/liveness timed out, or requests on an established SA went unanswered",
        ),
    )
    declaring = [p for p, _ in pair.sides() if dead.get(p.name)]
    if not declaring:
        return verdict(
            Status.PASS,
            "no established SA lost its peer",
            rows,
        )
    evidence: list[Evidence] = []
    for peer in declaring:
        evidence += evidence_of(peer, dead[peer.name], limit=6)
    if len(declaring) == 1:
        other = pair.other(declaring[0])
        silent = other.name if other else None
        title = (
            f"{declaring[0].name} lost {silent or 'its peer'}: the tunnel was up, then "
            "its requests went unanswered (dead peer detection)"
        )
        action = (
            f"Find why {silent or 'the peer'} stopped answering: is its IKE daemon running, "
            "did its address or the path change (UDP 500/4500 both ways)? Then bring the "
            "tunnel up again."
        )
    else:
        # Both timed out: the path failed both ways. A firewall on one gateway that drops
        # IKE or ESP is where it failed (the lab's and the field's commonest case).
        blocking = [p for p, _ in pair.sides() if blocking_rules(p)]
        silent = blocking[0].name if len(blocking) == 1 else None
        title = "both peers declared the other dead: the path between them stopped carrying IKE"
        if silent:
            title += f" ({silent}'s firewall drops IKE or ESP)"
        action = (
            "Check the path between the gateways (UDP 500/4500 and ESP both ways, NAT state "
            "timeouts); both daemons ran, neither heard the other."
            + (f" Start with {silent}'s firewall rules (see the path step)." if silent else "")
        )
    return verdict(
        Status.FAIL,
        title,
        rows,
        tuple(evidence),
        next_action=action,
        causes=(CauseVote("dpd-timeout", silent, 5.0),),
    )


def _listing_ok(peer: PeerModel) -> bool:
    """Was the peer collected in full, every output parsed (then no SA listed means none)?"""
    return (
        peer.collection_error is None
        and bool(peer.parse_results)
        and all(r.status != ParseStatus.FAILED for r in peer.parse_results)
    )


def _up(sa: IkeSa | None) -> bool:
    return sa is not None and sa.state == "ESTABLISHED"


def _older_than_daemon(holder: PeerModel, other: PeerModel) -> list[IkeSa]:
    """The holder's established SAs towards the other that are older than the other's IKE
    daemon: the other cannot hold their other half."""
    uptime = other.daemon_uptime_s
    if uptime is None:
        return []
    # uptime is printed rounded down to its unit (5 minutes = 300-359 s): allow the unit,
    # and a second or two between the two collections
    slack = 2 if uptime < 60 else 60 if uptime < 3600 else 3600 if uptime < 86400 else 86400
    theirs = {a.split("/")[0] for a in other.addresses} | {
        sa.local_addr for sa in other.ike_sas if sa.local_addr
    }
    return [
        sa
        for sa in holder.ike_sas
        if sa.state == "ESTABLISHED"
        and sa.established_s is not None
        and sa.established_s > uptime + slack
        and (not theirs or sa.remote_addr in theirs)
    ]


@check("sa.stale", "No side holds SAs the other has lost")
def stale(pair: Pair) -> Finding:
    causes: list[CauseVote] = []
    evidence: list[Evidence] = []
    reasons: list[str] = []
    sa_a, sa_b = ike_sa(pair.a, pair.b), ike_sa(pair.b, pair.a)
    rows = [
        row("IKE SA", sa_a.state if sa_a else "none", sa_b.state if sa_b else "none"),
        row("IKE SA age (s)", sa_a and sa_a.established_s, sa_b and sa_b.established_s, same=None),
        row(
            "IKE daemon uptime (s)",
            pair.a and pair.a.daemon_uptime_s,
            pair.b and pair.b.daemon_uptime_s,
            same=None,
        ),
    ]
    for holder, other in pair.sides():
        if other is None:
            continue
        older = _older_than_daemon(holder, other)
        if older:
            causes.append(CauseVote("stale-sa", holder.name, 3.0))
            reasons.append(
                f"{holder.name}'s IKE SA is {older[0].established_s}s old, "
                f"{other.name}'s daemon only {other.daemon_uptime_s}s"
            )
            if older[0].source:
                src = older[0].source
                evidence.append(
                    Evidence(holder.name, src.file, src.line_start, src.line_end, "older SA")
                )
        mine, theirs = ike_sa(holder, other), ike_sa(other, holder)
        if (
            _up(mine)
            and not _up(theirs)
            and _listing_ok(other)
            and not (theirs is not None and theirs.state in ("CONNECTING", "REKEYING"))
        ):
            # one side up, the other without any SA and not negotiating: a restart, a crash
            # or a cleared SA on the other side, or a DELETE the holder never got
            causes.append(CauseVote("stale-sa", holder.name, 2.0))
            reasons.append(f"{holder.name} holds an IKE SA, {other.name} none")
        # the other side answers with INVALID_SPI / logs an unknown SPI: it has no SA for
        # what the holder sends, so the holder's SAs are the stale ones
        told = events(holder, "INVALID_SPI", "INVALID_IKE_SPI", direction="received")
        unknown = events(other, "unknown_spi") + events(
            other, "INVALID_SPI", "INVALID_IKE_SPI", direction="sent"
        )
        if told or unknown:
            causes.append(CauseVote("stale-sa", holder.name, 3.0))
            reasons.append(f"{other.name} knows no SA for the SPIs {holder.name} uses")
            evidence += evidence_of(holder, told, limit=3) + evidence_of(other, unknown, limit=3)
    if not causes:
        return verdict(Status.PASS, "no stale SAs seen", tuple(rows))
    weights: dict[str, float] = {}
    for vote in causes:
        weights[vote.side or ""] = weights.get(vote.side or "", 0.0) + vote.weight
    holder_name = max(weights, key=lambda s: weights[s])
    return verdict(
        Status.FAIL,
        f"{holder_name} holds SAs the other side no longer has: " + "; ".join(reasons),
        tuple(rows),
        tuple(evidence),
        next_action=f"Clear the IKE and child SAs towards the peer on {holder_name} (for "
        "strongSwan `swanctl --terminate --ike <name>`) and let the tunnel come up fresh; "
        "enable DPD so a restart of the other side is noticed.",
        causes=tuple(causes),
    )
