"""NAT exemption: a source-NAT rule that rewrites the LAN's tunnel traffic before the IPsec
policy sees it, so the packets no longer match and leave unencrypted.

Linux (nftables and iptables-nft) gives the rules in order. Cisco ASA (identity NAT for the
crypto ACL) and FortiOS/PAN-OS (a NAT policy above the VPN one) need their NAT tables parsed
into `PeerModel.nat_rules` first; until a parser fills them, this check says it cannot tell.
"""

from __future__ import annotations

import ipaddress

from ipsec_tui.checks.pair import (
    Pair,
    connection,
    installed_children,
    networks,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import CauseVote, Evidence, Finding, NatRule, PeerModel, Status

_SOURCE_NAT = ("masquerade", "snat")
_EXEMPT = ("accept", "return")


def _matches(addresses: tuple[str, ...], selector: str) -> bool:
    """Does a rule's address match (empty: any) cover the whole selector network?"""
    nets = networks([selector])
    if not nets:
        return False
    net = nets[0]
    wanted = [a for a in addresses if not a.startswith("!")]
    excluded = [a[1:] for a in addresses if a.startswith("!")]
    for text in excluded:
        try:
            if net.overlaps(ipaddress.ip_network(text, strict=False)):
                return False
        except ValueError:
            continue
    if not wanted:
        return True
    for text in wanted:
        try:
            outer = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if outer.version == net.version and net.subnet_of(outer):  # type: ignore[arg-type]
            return True
    return False


def first_nat_rule(peer: PeerModel, local: str, remote: str) -> NatRule | None:
    """The source-NAT rule that catches local -> remote traffic bound for IPsec, unless an
    exemption before it (accept/return, or an IPsec condition) lets it pass untouched."""
    for rule in peer.nat_rules:
        if rule.hook not in (None, "postrouting"):
            continue
        if rule.ipsec == "none":
            continue  # matches only traffic that IPsec will not encrypt
        if not (_matches(rule.src, local) and _matches(rule.dst, remote)):
            continue
        if rule.action in _EXEMPT:
            return None
        if rule.action in _SOURCE_NAT:
            return rule
    return None


def _selectors(peer: PeerModel, other: PeerModel | None) -> list[tuple[str, str]]:
    """(local, remote) selector pairs of every child, configured or installed."""
    conn = connection(peer, other)
    found: dict[tuple[str, str], None] = {}  # ordered and each once, in one pass
    children = [(c.local_ts, c.remote_ts) for c in (conn.children if conn else ())]
    children += [(c.local_ts, c.remote_ts) for c in installed_children(peer, other)]
    for local, remote in children:
        for pair in ((ls, rs) for ls in local for rs in remote):
            found.setdefault(pair, None)
    return list(found)


@check("path.nat_exemption", "Tunnel traffic is not source-NATed")
def nat_exemption(pair: Pair) -> Finding:
    caught: dict[str, NatRule] = {}
    for peer, other in pair.sides():
        for ls, rs in _selectors(peer, other):
            rule = first_nat_rule(peer, ls, rs)
            if rule is not None and peer.name not in caught:
                caught[peer.name] = rule

    def cell(peer: PeerModel | None) -> str | None:
        if peer is None:
            return None
        if peer.name in caught:
            return caught[peer.name].text
        return "exempt or no NAT" if peer.nat_rules else "no NAT rule"

    rows = [
        row(
            "source NAT of LAN -> remote LAN",
            cell(pair.a),
            cell(pair.b),
            same=False if caught else None,
            explain="NAT runs before the IPsec policy lookup: a rewritten source no longer "
            "matches the tunnel's selectors",
        )
    ]
    if not caught:
        return verdict(
            Status.PASS,
            "no source-NAT rule catches the tunnel traffic",
            tuple(rows),
        )
    causes: list[CauseVote] = []
    evidence: list[Evidence] = []
    for peer, other in pair.sides():
        rule = caught.get(peer.name)
        if rule is None:
            continue
        weight = 2.5
        mine = installed_children(peer, other)
        if mine:
            sent = sum(c.packets_out or 0 for c in mine)
            received = sum(c.packets_in or 0 for c in mine)
            rows.append(
                row(
                    f"{peer.name} packets in / out",
                    f"{received} / {sent}" if peer is pair.a else None,
                    f"{received} / {sent}" if peer is pair.b else None,
                    same=False if not sent else None,
                )
            )
            if not sent:
                # corroborated: the tunnel is up, yet nothing is encrypted on this side
                weight += 2.0
        causes.append(CauseVote("nat-exemption-missing", peer.name, weight))
        src = rule.source
        evidence.append(
            Evidence(
                peer.name,
                src.file if src else None,
                src.line_start if src else None,
                src.line_end if src else None,
                rule.text,
            )
        )
    names = ", ".join(caught)
    return verdict(
        Status.FAIL,
        f"{names}: a source-NAT rule rewrites the tunnel traffic before IPsec sees it",
        tuple(rows),
        tuple(evidence),
        next_action=f"On {names}: exempt the tunnel traffic from NAT, above the masquerade/"
        "snat rule (nftables `rt ipsec exists accept` or `ip daddr <remote LAN> accept` in "
        "postrouting; iptables `-m policy --dir out --pol ipsec -j ACCEPT`).",
        causes=tuple(causes),
    )
