"""Step 0: did we get both peers, and did every output parse? Nothing collected disappears."""

from __future__ import annotations

from ipsec_tui.checks.pair import Pair, row
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import CauseVote, Evidence, Finding, ParseStatus, Status


@check("collection.peers", "Both peers collected")
def peers(pair: Pair) -> Finding:
    missing = pair.missing()
    rows = []
    problems = []
    for which in ("a", "b"):
        peer = pair.a if which == "a" else pair.b
        if peer is None:
            continue
        state = peer.collection_error or "collected"
        rows.append(
            row(f"{peer.name}", f"{peer.platform} {peer.host or ''}".strip(), state, same=None)
        )
        if peer.collection_error:
            problems.append(f"{peer.name}: {peer.collection_error}")
    if missing:
        return verdict(
            Status.WARN,
            f"only one peer: {missing} was not collected",
            tuple(rows),
            next_action=f"Ask for {missing}'s outputs (or paste them in a capture "
            "folder): its log tells apart causes this side cannot.",
        )
    if problems:
        return verdict(
            Status.WARN,
            "a peer was collected only in part: " + "; ".join(problems),
            tuple(rows),
            next_action="Fix the access problem and collect again; the checks use "
            "what was collected.",
            causes=(CauseVote("peer-unreachable", None, 0.2),),
        )
    return verdict(Status.PASS, "both peers collected", tuple(rows))


@check("collection.parse", "Every output understood")
def parsed(pair: Pair) -> Finding:
    rows = []
    evidence = []
    for peer, _ in pair.sides():
        for result in peer.parse_results:
            if result.status in (ParseStatus.FAILED, ParseStatus.PARTIAL):
                reason = f"{result.reason} [{result.parser or '-'}]"
                if result.status == ParseStatus.PARTIAL:
                    reason = f"partly understood: {reason}"
                rows.append(
                    row(
                        result.command,
                        reason if peer is pair.a else None,
                        reason if peer is pair.b else None,
                        same=False,
                    )
                )
                evidence.append(
                    Evidence(peer.name, result.file, None, None, (result.raw or "")[:4000])
                )
    if rows:
        return verdict(
            Status.UNKNOWN,
            f"{len(rows)} output(s) not (fully) understood: kept as raw text",
            tuple(rows),
            tuple(evidence),
            next_action="Read the raw output in the evidence pane; the checks below "
            "could not use it.",
        )
    return verdict(Status.PASS, "every collected output was parsed")
