"""Step 7: rekeying: lifetime asymmetry, rekey failures and churn in the logs."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    child_config,
    connection,
    events,
    evidence_of,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import CauseVote, Finding, PeerModel, Status

ASYMMETRY = 2.0  # one side rekeys at least twice as often as the other


def _child_rekey(peer: PeerModel | None, other: PeerModel | None) -> int | None:
    child = child_config(peer, other)
    if child and child.rekey_time_s:
        return child.rekey_time_s
    return child.life_time_s if child else None


def _ike_rekey(peer: PeerModel | None, other: PeerModel | None) -> int | None:
    conn = connection(peer, other)
    return (conn.rekey_time_s or conn.life_time_s) if conn else None


# What shows a lifetime difference hurting: rekeys that fail. (A DELETE alone is routine,
# every reset and rekey sends one.) Timers that differ alone break nothing (pfSense:
# "Lifetime mismatches do not cause a failure in Phase 1 or Phase 2").
CHURN = ("rekey_failed",)
WEAK = 0.3  # differing timers without churn: named only when nothing else explains


@check("rekey.lifetimes", "Lifetimes agree")
def lifetimes(pair: Pair) -> Finding:
    rows = []
    causes: list[CauseVote] = []
    worst = None
    churn = [(p, events(p, *CHURN)) for p, _ in pair.sides()]
    churned = any(found for _, found in churn)
    for label, getter in (("child SA rekey (s)", _child_rekey), ("IKE SA rekey (s)", _ike_rekey)):
        va, vb = getter(pair.a, pair.b), getter(pair.b, pair.a)
        if va and vb:
            ratio = max(va, vb) / min(va, vb)
            shorter = pair.a if va < vb else pair.b
            rows.append(
                row(
                    label,
                    va,
                    vb,
                    same=ratio < ASYMMETRY,
                    explain=f"{ratio:.1f}x apart" if ratio >= ASYMMETRY else "",
                )
            )
            if ratio >= ASYMMETRY and shorter is not None:
                causes.append(
                    CauseVote("lifetime-mismatch", shorter.name, 1.5 if churned else WEAK)
                )
                worst = shorter.name
        else:
            rows.append(row(label, va, vb, same=None))
    if causes:
        evidence = []
        for peer, found in churn:
            evidence += evidence_of(peer, found, limit=3)
        return verdict(
            Status.WARN,
            f"lifetimes differ a lot: {worst} rekeys much sooner"
            + (
                ", and SAs churn (rekeys failing or deleted)"
                if churned
                else " (no churn seen: alone this breaks nothing in IKEv2)"
            ),
            tuple(rows),
            tuple(evidence),
            next_action=f"Align the lifetimes; {worst}'s are the short ones.",
            causes=tuple(causes),
        )
    if all(r.match is None for r in rows):
        return verdict(Status.UNKNOWN, "lifetimes known on one side only", tuple(rows))
    return verdict(Status.PASS, "lifetimes agree", tuple(rows))


@check("rekey.failures", "Rekeys succeed")
def failures(pair: Pair) -> Finding:
    rows = []
    evidence = []
    causes: list[CauseVote] = []
    for peer, other in pair.sides():
        failed = events(peer, "rekey_failed")
        rows.append(
            row(
                f"{peer.name} rekey failures", len(failed), None, same=None if not failed else False
            )
        )
        if failed:
            evidence += evidence_of(peer, failed, limit=3)
            causes.append(CauseVote("rekey-failure", other.name if other else None, 1.0))
    if causes:
        return verdict(
            Status.FAIL,
            "rekeying fails",
            tuple(rows),
            tuple(evidence),
            next_action="Compare PFS groups and child proposals: a rekey "
            "negotiates them again (with a DH exchange when PFS is on).",
            causes=tuple(causes),
        )
    return verdict(Status.PASS, "no rekey failures logged", tuple(rows))
