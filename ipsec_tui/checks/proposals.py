"""Step 4: IKE and child proposals, what each side offers and accepts, PFS."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    child_config,
    connection,
    events,
    evidence_of,
    ike_sa,
    installed_children,
    responder_of,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.algorithms import is_aead
from ipsec_tui.domain.model import CauseVote, Evidence, Finding, PeerModel, Proposal, Row, Status


def _dh(p: Proposal) -> set[str]:
    return set(p.dh_groups) or {"none"}


def compatible(pa: Proposal, pb: Proposal, kind: str, with_dh: bool = True) -> bool:
    """Could these two proposals agree (IKEv2 rules: one of each transform type in common)?"""
    common_enc = set(pa.encryption) & set(pb.encryption)
    if not common_enc:
        return False
    if not all(is_aead(e) for e in common_enc) and not (set(pa.integrity) & set(pb.integrity)):
        return False
    if kind == "ike":
        if pa.prf and pb.prf and not set(pa.prf) & set(pb.prf):
            return False
        return not (with_dh and not _dh(pa) & _dh(pb))
    return not (with_dh and not _dh(pa) & _dh(pb))


def intersect(
    a: tuple[Proposal, ...], b: tuple[Proposal, ...], kind: str, with_dh: bool = True
) -> bool | None:
    if not a or not b:
        return None
    return any(compatible(pa, pb, kind, with_dh) for pa in a for pb in b)


def _union(proposals: tuple[Proposal, ...], family: str) -> tuple[str, ...]:
    seen: list[str] = []
    for p in proposals:
        for alg in getattr(p, family):
            if alg not in seen:
                seen.append(alg)
    return tuple(seen)


def _offer_rows(
    a: tuple[Proposal, ...], b: tuple[Proposal, ...], families: list[tuple[str, str]], prefix: str
) -> list[Row]:
    rows = []
    for family, label in families:
        ua, ub = _union(a, family), _union(b, family)
        same = None if not (a and b) else bool(set(ua) & set(ub)) or (not ua and not ub)
        rows.append(row(f"{prefix} {label}", ua, ub, same=same))
    return rows


def _rejecting(pair: Pair, *tokens: str) -> PeerModel | None:
    """The peer whose log shows it refusing (its own words, or NO_PROPOSAL_CHOSEN sent)."""
    for peer, _ in pair.sides():
        if events(peer, *tokens):
            return peer
    for peer, _ in pair.sides():
        if events(peer, "NO_PROPOSAL_CHOSEN", direction="sent"):
            return peer
    # the initiator's log alone: the refusal it received came from the other side
    for peer, other in pair.sides():
        if other is not None and events(peer, "NO_PROPOSAL_CHOSEN", direction="received"):
            return other
    return None


def _ike_proposals(peer: PeerModel | None, other: PeerModel | None) -> tuple[Proposal, ...]:
    conn = connection(peer, other)
    return conn.proposals if conn else ()


def _child_proposals(peer: PeerModel | None, other: PeerModel | None) -> tuple[Proposal, ...]:
    child = child_config(peer, other)
    return child.proposals if child else ()


IKE_FAMILIES = [
    ("encryption", "encryption"),
    ("integrity", "integrity"),
    ("prf", "PRF"),
    ("dh_groups", "DH group"),
]
CHILD_FAMILIES = [("encryption", "encryption"), ("integrity", "integrity")]


@check("proposal.ike", "IKE proposals intersect")
def ike(pair: Pair) -> Finding:
    pa, pb = _ike_proposals(pair.a, pair.b), _ike_proposals(pair.b, pair.a)
    sa_a, sa_b = ike_sa(pair.a, pair.b), ike_sa(pair.b, pair.a)
    rows = _offer_rows(pa, pb, IKE_FAMILIES, "offers")
    rows += [
        row(f"negotiated {label}", sa_a and getattr(sa_a, f), sa_b and getattr(sa_b, f))
        for f, label in (
            ("encryption", "encryption"),
            ("integrity", "integrity"),
            ("prf", "PRF"),
            ("dh_group", "DH group"),
        )
        if (sa_a and getattr(sa_a, f)) or (sa_b and getattr(sa_b, f))
    ]
    ok = intersect(pa, pb, "ike")
    rejecting = _rejecting(pair, "ike_proposal_mismatch")
    if rejecting is None and ok is False:
        # the responder refuses what the initiator offers; its log need not say so (IKEv1),
        # or says it found no peer config (strongSwan, with other connections to that peer)
        rejecting = responder_of(pair) or _rejecting(pair, "peer_id_mismatch")
    evidence = []
    for peer, _ in pair.sides():
        evidence += evidence_of(
            peer,
            events(peer, "ike_proposal_mismatch", "received_proposals", "configured_proposals"),
            limit=4,
        )
    return _intersection(
        "IKE", ok, rejecting, rows, evidence,
        "Align the IKE proposals (encryption, integrity/PRF, DH group) on "
        "{side} with what the other offers.",
        "ike-proposal-mismatch",
    )  # fmt: skip


@check("proposal.child", "Child (ESP) proposals intersect")
def child(pair: Pair) -> Finding:
    pa, pb = _child_proposals(pair.a, pair.b), _child_proposals(pair.b, pair.a)
    rows = _offer_rows(pa, pb, CHILD_FAMILIES, "offers")
    ca = installed_children(pair.a, pair.b)
    cb = installed_children(pair.b, pair.a)
    if ca or cb:
        rows += [
            row("negotiated encryption", ca and ca[0].encryption, cb and cb[0].encryption),
            row("negotiated integrity", ca and ca[0].integrity, cb and cb[0].integrity),
        ]
    ok = intersect(pa, pb, "child", with_dh=False)
    rejecting = _rejecting(pair, "child_proposal_mismatch")
    evidence = []
    for peer, _ in pair.sides():
        evidence += evidence_of(peer, events(peer, "child_proposal_mismatch"), limit=4)
    return _intersection(
        "ESP", ok, rejecting, rows, evidence,
        "Align the ESP proposals on {side}: same encryption and integrity (or the same AEAD "
        "cipher).",
        "child-proposal-mismatch",
    )  # fmt: skip


def _intersection(
    kind: str,
    ok: bool | None,
    rejecting: PeerModel | None,
    rows: list[Row],
    evidence: list[Evidence],
    action: str,
    cause: str,
) -> Finding:
    """The verdict on a proposal intersection: none in common (config says so, or the log
    of a refusing peer when the config is unknown), unknown, or pass."""
    if ok is False or (ok is None and rejecting):
        side = rejecting.name if rejecting else None
        return verdict(
            Status.FAIL,
            f"no {kind} proposal in common",
            tuple(rows),
            tuple(evidence),
            next_action=action.format(side=side or "one side"),
            causes=(CauseVote(cause, side, 3.0 if ok is False else 2.0),),
        )
    if ok is None:
        return verdict(Status.UNKNOWN, f"{kind} proposals known on one side only", tuple(rows))
    return verdict(Status.PASS, f"the {kind} proposals intersect", tuple(rows))


@check("proposal.pfs", "PFS agrees (shows at the first rekey)")
def pfs(pair: Pair) -> Finding:
    pa, pb = _child_proposals(pair.a, pair.b), _child_proposals(pair.b, pair.a)
    rows = [
        row(
            "PFS groups",
            _union(pa, "dh_groups") or ("none",) if pa else None,
            _union(pb, "dh_groups") or ("none",) if pb else None,
        )
    ]
    without = intersect(pa, pb, "child", with_dh=False)
    with_dh = intersect(pa, pb, "child", with_dh=True)
    if without is None:
        return verdict(
            Status.UNKNOWN,
            "child proposals known on one side only",
            tuple(rows),
        )
    if not without:
        return verdict(
            Status.UNKNOWN,
            "no ESP proposal in common at all: see proposal.child",
            tuple(rows),
        )
    if with_dh:
        return verdict(Status.PASS, "the PFS groups agree", tuple(rows))
    rejecting = _rejecting(pair, "child_proposal_mismatch", "rekey_failed")
    no_pfs = [
        p.name
        for p, o in pair.sides()
        if _child_proposals(p, o)
        and "none" in set().union(*(_dh(x) for x in _child_proposals(p, o)))
    ]
    side = (
        rejecting.name
        if rejecting and rejecting.name in no_pfs
        else no_pfs[0]
        if no_pfs
        else rejecting.name
        if rejecting
        else None
    )
    evidence = []
    for peer, _ in pair.sides():
        evidence += evidence_of(
            peer, events(peer, "rekey_failed", "child_proposal_mismatch"), limit=4
        )
    return verdict(
        Status.FAIL,
        "PFS mismatch: the first child SA works, every rekey fails",
        tuple(rows),
        tuple(evidence),
        next_action=f"Configure the same PFS group on both peers (on {side or 'one'}"
        " side); the tunnel drops at the next child rekey otherwise.",
        causes=(CauseVote("pfs-mismatch", side, 3.0),),
    )
