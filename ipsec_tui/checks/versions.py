"""Both peers speak the same IKE: the version (IKEv1 or IKEv2) and, for IKEv1, the exchange
mode (main or aggressive)."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    connection,
    events,
    evidence_of,
    ike_sa,
    responder_of,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import CauseVote, Evidence, Finding, PeerModel, Status

_NAMES = {0: "IKEv1 or IKEv2", 1: "IKEv1 only", 2: "IKEv2 only"}


def _version(peer: PeerModel | None, other: PeerModel | None) -> int | None:
    """The configured IKE version (0 = either), else the version of the SA it negotiated."""
    conn = connection(peer, other)
    if conn is not None and conn.version is not None:
        return conn.version
    sa = ike_sa(peer, other)
    return sa.version if sa is not None and sa.state == "ESTABLISHED" else None


@check("negotiation.ike_version", "Same IKE version")
def ike_version(pair: Pair) -> Finding:
    va, vb = _version(pair.a, pair.b), _version(pair.b, pair.a)
    clash = va in (1, 2) and vb in (1, 2) and va != vb
    rows = (
        row(
            "IKE version",
            _NAMES.get(va, va) if va is not None else None,
            _NAMES.get(vb, vb) if vb is not None else None,
            same=False if clash else None if va is None or vb is None else True,
            explain="each side accepts only its own version: they never meet" if clash else "",
        ),
    )
    evidence: list[Evidence] = []
    causes: list[CauseVote] = []
    logged: list[PeerModel] = []
    for peer, _ in pair.sides():
        found = events(peer, "ike_version_mismatch") + events(
            peer, "INVALID_MAJOR_VERSION", direction="sent"
        )
        if found:
            logged.append(peer)
            evidence += evidence_of(peer, found, limit=3)
    side: str | None = None
    if clash:
        # Both strict. The odd one out is the side configured differently from what the
        # other offers: the responder, which refused the initiator's only version (its log
        # says so; else the initiator is the side that retransmits or holds the half-open
        # SA). With nothing to tell, the IKEv1 side: IKEv2 is what current implementations
        # offer first and RFC 8247 recommends.
        responder = logged[0] if len(logged) == 1 else responder_of(pair)
        odd = responder or (pair.a if va == 1 else pair.b)
        side = odd.name if odd else None
        causes.append(CauseVote("ike-version-mismatch", side, 4.0))
    elif logged:
        # the side that refused the other's version logged it: its configuration is the one
        # that differs from what the other offered
        side = logged[0].name if len(logged) == 1 else None
        causes.append(CauseVote("ike-version-mismatch", side, 3.0))
    if not causes:
        if va is None or vb is None:
            return verdict(
                Status.UNKNOWN if va is None and vb is None else Status.PASS,
                "IKE version known on one side only"
                if va is not None or vb is not None
                else "IKE version not known",
                rows,
            )
        return verdict(Status.PASS, "the IKE versions meet", rows)
    title = (
        f"IKE version mismatch: {pair.name('a')} {_NAMES.get(va or -1, 'unknown')}, "
        f"{pair.name('b')} {_NAMES.get(vb or -1, 'unknown')}"
        if clash
        else f"{side or 'a peer'} refused the other's IKE version"
    )
    return verdict(
        Status.FAIL,
        title,
        rows,
        tuple(evidence),
        next_action=f"Configure the same IKE version on both peers: move {side or 'one side'}"
        " to IKEv2 (or, if the other cannot do IKEv2, allow IKEv1 on it).",
        causes=tuple(causes),
    )


@check("negotiation.exchange_mode", "Same IKEv1 exchange mode (main or aggressive)")
def exchange_mode(pair: Pair) -> Finding:
    ca, cb = connection(pair.a, pair.b), connection(pair.b, pair.a)
    ma = None if ca is None or ca.aggressive is None else ca.aggressive
    mb = None if cb is None or cb.aggressive is None else cb.aggressive
    ikev1 = any(
        c is not None and c.version in (1, 0) for c in (ca, cb)
    )  # aggressive mode exists in IKEv1 only

    def name(value: bool | None) -> str | None:
        return None if value is None else "aggressive" if value else "main"

    if not ikev1:  # no rows: an IKEv1 setting shown for an IKEv2 tunnel would mislead
        return verdict(Status.PASS, "IKEv2 has no exchange modes")
    rows = (row("IKEv1 exchange mode", name(ma), name(mb)),)
    if ma is None or mb is None:
        return verdict(
            Status.UNKNOWN,
            "exchange mode known on one side",
            rows,
        )
    if ma == mb:
        return verdict(Status.PASS, f"both use {name(ma)} mode", rows)
    aggressive = pair.a if ma else pair.b
    assert aggressive is not None
    return verdict(
        Status.FAIL,
        f"IKEv1 exchange mode mismatch: {aggressive.name} uses aggressive mode, the other "
        "main mode",
        rows,
        next_action=f"Set {aggressive.name} to main mode (aggressive mode with a PSK exposes "
        "a crackable hash and many daemons refuse it).",
        causes=(CauseVote("mode-mismatch", aggressive.name, 3.0),),
    )
