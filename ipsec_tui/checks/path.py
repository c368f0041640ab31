"""Step 6: the network path: firewall rules on IKE/ESP, NAT-T, routes into the tunnel,
forwarding."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    child_config,
    count_row,
    covers,
    ike_sa,
    installed_children,
    networks,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import CauseVote, Evidence, Finding, FirewallRule, PeerModel, Status

IKE_PORTS = {500, 4500}


def blocking_rules(peer: PeerModel) -> list[FirewallRule]:
    """The peer's firewall rules that drop or reject IKE (UDP 500/4500, or all UDP) or ESP."""
    return [
        r
        for r in peer.firewall
        if r.action in ("drop", "reject")
        and (
            r.protocol == "esp" or IKE_PORTS & set(r.ports) or (r.protocol == "udp" and not r.ports)
        )
    ]


@check("path.firewall", "Firewalls let IKE and ESP through")
def firewall(pair: Pair) -> Finding:
    evidence = []
    causes: list[CauseVote] = []
    blocking_of = {}
    for peer, _ in pair.sides():
        blocking = blocking_rules(peer)
        blocking_of[peer.name] = len(blocking)
        for rule in blocking:
            evidence.append(
                Evidence(
                    peer.name,
                    rule.source.file if rule.source else None,
                    rule.source.line_start if rule.source else None,
                    rule.source.line_end if rule.source else None,
                    rule.text,
                )
            )
            incoming = rule.hook in (None, "input", "prerouting")
            if rule.protocol == "esp":
                causes.append(CauseVote("esp-blocked", peer.name, 2.0))
            elif incoming:
                causes.append(CauseVote("peer-unreachable", peer.name, 2.0))
            else:
                causes.append(CauseVote("peer-unreachable", peer.name, 1.0))
    rows = [count_row(pair, "rules dropping IKE/ESP", lambda p: blocking_of.get(p.name, 0))]
    if causes:
        names = sorted({vote.side or "" for vote in causes})
        return verdict(
            Status.FAIL,
            f"{', '.join(names)}: firewall drops IKE or ESP",
            tuple(rows),
            tuple(evidence),
            next_action=f"Allow UDP 500, UDP 4500 and ESP from the peer on {', '.join(names)}.",
            causes=tuple(causes),
        )
    return verdict(Status.PASS, "no local firewall rule drops IKE or ESP", tuple(rows))


@check("path.nat_t", "NAT traversal")
def nat_t(pair: Pair) -> Finding:
    sa_a, sa_b = ike_sa(pair.a, pair.b), ike_sa(pair.b, pair.a)
    ca, cb = installed_children(pair.a, pair.b), installed_children(pair.b, pair.a)
    rows = (
        row("NAT detected / UDP 4500", sa_a and sa_a.nat_t, sa_b and sa_b.nat_t),
        row("ESP in UDP", ca[0].encap if ca else None, cb[0].encap if cb else None),
        row("IKE port", sa_a and sa_a.local_port, sa_b and sa_b.local_port),
    )
    if (
        ca
        and cb
        and ca[0].encap is not None
        and cb[0].encap is not None
        and ca[0].encap != cb[0].encap
    ):
        return verdict(
            Status.WARN,
            "one side encapsulates ESP in UDP, the other not",
            rows,
            next_action="Make UDP encapsulation (NAT-T, forced encap) agree.",
        )
    return verdict(Status.PASS, "NAT-T consistent", rows)


@check("path.routes", "Routes to the remote network point into the tunnel")
def routes(pair: Pair) -> Finding:
    missing = []
    via_of: dict[str, str | None] = {}
    for peer, other in pair.sides():
        child = child_config(peer, other)
        remote = child.remote_ts if child else ()
        if (
            not installed_children(peer, other)
            or not networks(remote)
            or peer.platform not in ("strongswan", "libreswan")
        ):
            via_of[peer.name] = None
            continue
        routed = [
            r for r in peer.routes if r.destination != "default" and covers([r.destination], remote)
        ]
        by_policy = any(covers([p.dst], remote) for p in peer.xfrm_policies if p.direction == "out")
        via = ", ".join(f"{r.destination} dev {r.device} table {r.table}" for r in routed)
        via_of[peer.name] = via or ("XFRM policy" if by_policy else "none")
        if not (routed or by_policy):
            missing.append(peer.name)
    a = via_of.get(pair.a.name) if pair.a else None
    b = via_of.get(pair.b.name) if pair.b else None
    rows = [row("route to the remote network", a, b, same=False if missing else None)]
    if missing:
        return verdict(
            Status.WARN,
            f"{', '.join(missing)}: no route or policy sends the remote network into the tunnel",
            tuple(rows),
            next_action=f"Add the route (or let the daemon install it) on {', '.join(missing)}.",
        )
    return verdict(
        Status.PASS,
        "the remote networks are routed into the tunnel where known",
        tuple(rows),
    )


@check("path.forwarding", "Gateways forward packets")
def forwarding(pair: Pair) -> Finding:
    rows = row(
        "IP forwarding", pair.a and pair.a.forwarding, pair.b and pair.b.forwarding, same=None
    )
    off = [p for p, _ in pair.sides() if p.forwarding is False]
    if off:
        names = ", ".join(p.name for p in off)
        causes = []
        for peer in off:
            children = installed_children(peer, pair.other(peer))
            receives = any((c.packets_in or 0) > 0 for c in children)
            causes.append(CauseVote("no-return-path", peer.name, 2.0 if receives else 1.0))
        return verdict(
            Status.FAIL,
            f"{names}: IP forwarding is off: decrypted packets go nowhere",
            (rows,),
            next_action=f"Enable forwarding on {names} (sysctl net.ipv4.ip_forward=1 on Linux).",
            causes=tuple(causes),
        )
    known = [p.forwarding for p, _ in pair.sides() if p.platform in ("strongswan", "libreswan")]
    if known and all(known):
        return verdict(Status.PASS, "forwarding is on", (rows,))
    return verdict(
        Status.PASS if not known else Status.UNKNOWN,
        "forwarding not shown by this platform" if not known else "forwarding unknown on one side",
        (rows,),
    )
