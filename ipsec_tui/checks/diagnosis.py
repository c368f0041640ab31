"""From findings to one named cause and the side to fix.

Each finding votes for causes with a weight and a side (the peer to fix, or None for
either). The diagnosis adds the votes up, ranks the causes (ties go to the more specific
cause, in the order of the vocabulary), and explains the top one in a sentence.
"""

from __future__ import annotations

from collections import defaultdict

from ipsec_tui.checks.pair import Pair, ike_sa, installed_children
from ipsec_tui.checks.scope import tunnel_pair
from ipsec_tui.domain.causes import DIAGNOSIS_CAUSES
from ipsec_tui.domain.model import Diagnosis, Finding, RankedCause, Status, StepResult

_ORDER = {cause: index for index, cause in enumerate(DIAGNOSIS_CAUSES)}


def diagnose(pair: Pair, steps: list[StepResult]) -> Diagnosis:
    findings = [f for step in steps for f in step.findings]
    score: dict[str, float] = defaultdict(float)
    sides: dict[str, dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    best: dict[str, tuple[float, Finding]] = {}
    backing: dict[str, list[tuple[float, Finding]]] = defaultdict(list)
    for finding in findings:
        for vote in finding.causes:
            score[vote.cause] += vote.weight
            sides[vote.cause][vote.side] += vote.weight
            backing[vote.cause].append((vote.weight, finding))
            if vote.cause not in best or vote.weight > best[vote.cause][0]:
                best[vote.cause] = (vote.weight, finding)
    if not score:
        # the SAs of the tunnel's own connection, as the checks read them (a peer without
        # one: its SAs towards the other peer, which ike_sa picks)
        named = any(peer.connection for peer, _ in pair.sides())
        return _no_votes(tunnel_pair(pair) if named else pair, findings)
    ranked = sorted(score, key=lambda c: (-score[c], _ORDER[c]))
    causes = tuple(
        RankedCause(c, _side(sides[c]), round(score[c], 2), best[c][1].title) for c in ranked
    )
    top = causes[0]
    finding = best[top.cause][1]
    where = f" Fix it on {top.side}." if top.side else " Either side may need the change."
    summary = f"{finding.title}.{where}"
    if pair.missing():
        summary += f" ({pair.missing()} was not collected: its side would confirm this.)"
    # the strongest findings behind the cause say what to do, most concrete first
    actions: list[str] = []
    for _, backer in sorted(backing[top.cause], key=lambda wf: -wf[0]):
        if backer.next_action and backer.next_action not in actions:
            actions.append(backer.next_action)
    return Diagnosis(top.cause, top.side, summary, " ".join(actions[:2]), causes)


def _side(votes: dict[str | None, float]) -> str | None:
    named = {side: weight for side, weight in votes.items() if side}
    if not named:
        return None
    return max(named, key=lambda s: named[s])


def _no_votes(pair: Pair, findings: list[Finding]) -> Diagnosis:
    failing = [
        f
        for f in findings
        if f.status in (Status.FAIL, Status.WARN) and f.check_id != "collection.peers"
    ]
    established = all(
        (sa := ike_sa(p, o)) is not None
        and sa.state == "ESTABLISHED"
        and bool(installed_children(p, o))
        for p, o in pair.sides()
    )
    counters = next((f for f in findings if f.check_id == "sa.counters"), None)
    flowing = counters is None or counters.status == Status.PASS
    if established and flowing and not failing and any(True for _ in pair.sides()):
        summary = "the tunnel is up and carries traffic both ways"
        if pair.missing():
            summary += f" (seen from one side only: {pair.missing()} was not collected)"
        return Diagnosis("healthy", None, summary[0].upper() + summary[1:] + ".", "")
    first = failing[0] if failing else None
    return Diagnosis(
        "unknown",
        None,
        "The evidence does not point at one cause"
        + (f"; first problem: {first.title}." if first else "."),
        first.next_action if first else "Collect both peers (with their logs) and check again.",
    )
