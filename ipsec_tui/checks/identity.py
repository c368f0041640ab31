"""Step 3: identities mirror, authentication methods agree, the same PSK on both sides."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    connection,
    count_row,
    events,
    evidence_of,
    ike_sa,
    logged_votes,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import MEMORY_FINGERPRINT_MARK, CauseVote, Finding, PeerModel, Status


def _ids(peer: PeerModel | None, other: PeerModel | None) -> tuple[str | None, str | None]:
    """(local id, expected remote id): configuration first, the SA where it says more."""
    conn = connection(peer, other)
    sa = ike_sa(peer, other)
    local = (conn and conn.local_id) or (sa and sa.local_id) or None
    remote = (conn and conn.remote_id) or (sa and sa.remote_id) or None
    return _plain(local), _plain(remote)


def _plain(identity: str | None) -> str | None:
    """Compare identities by meaning: Libreswan's @fqdn and strongSwan's fqdn are one ID."""
    if identity is None:
        return None
    text = identity.strip().strip("'\"")
    return text[1:] if text.startswith("@") and not text.startswith("@#") else text


def _matches(expected: str | None, presented: str | None) -> bool | None:
    if expected is None or presented is None:
        return None
    return expected in ("%any", "%", "*") or expected == presented


@check("identity.ids", "Identities mirror")
def ids(pair: Pair) -> Finding:
    a_local, a_remote = _ids(pair.a, pair.b)
    b_local, b_remote = _ids(pair.b, pair.a)
    a_ok = _matches(b_remote, a_local)  # does B expect what A presents?
    b_ok = _matches(a_remote, b_local)
    rows = (
        row("local id", a_local, b_local, same=None),
        row("expected remote id", a_remote, b_remote, same=None),
        row("A presents what B expects", a_local, b_remote, same=a_ok),
        row(
            "B presents what A expects",
            a_remote,
            b_local,
            same=b_ok,
            explain="A's expected remote id against B's local id",
        ),
    )
    # a peer that found no config for identities both configurations mirror refused it for
    # something else (strongSwan picks the IKE proposals by address before it reads the ids:
    # a tunnel beside others to the same peer): the line is shown, it weighs little
    weight = 1.0 if a_ok and b_ok else 3.0
    causes, evidence = logged_votes(pair, "peer_id_mismatch", "identity-mismatch", weight, limit=3)
    # the side to fix is the one whose expectation does not match what the other presents
    if a_ok is False and pair.b:
        causes.append(CauseVote("identity-mismatch", pair.b.name, 2.0))
    if b_ok is False and pair.a:
        causes.append(CauseVote("identity-mismatch", pair.a.name, 2.0))
    if causes:
        side = max(causes, key=lambda vote: vote.weight).side
        return verdict(
            Status.FAIL,
            f"identity mismatch: {side} does not accept the identity presented",
            rows,
            tuple(evidence),
            next_action=f"Make {side}'s expected remote id equal the other's "
            "local id (or the reverse), with the same ID type (FQDN, IP, DN).",
            causes=tuple(causes),
        )
    if a_ok is None or b_ok is None:
        return verdict(Status.UNKNOWN, "identities known on one side only", rows)
    return verdict(Status.PASS, "identities mirror", rows)


@check("identity.auth_method", "Authentication methods agree")
def auth_method(pair: Pair) -> Finding:
    ca, cb = connection(pair.a, pair.b), connection(pair.b, pair.a)
    rows = (
        row("local auth", ca and ca.local_auth, cb and cb.local_auth, same=None),
        row("A's local = B's remote", ca and ca.local_auth, cb and cb.remote_auth),
        row("B's local = A's remote", ca and ca.remote_auth, cb and cb.local_auth),
    )
    verdicts = [r.match for r in rows[1:]]
    if False in verdicts:
        return verdict(
            Status.FAIL,
            "the peers authenticate with different methods",
            rows,
            next_action="Use the same method (PSK or certificates) on both sides.",
            causes=(CauseVote("identity-mismatch", None, 1.0),),
        )
    if None in verdicts:
        return verdict(
            Status.UNKNOWN,
            "authentication method known on one side only",
            rows,
        )
    return verdict(Status.PASS, "same authentication method", rows)


def _comparable(fa: str | None, fb: str | None) -> bool:
    """Two fingerprints of the same kind: both from one collection, or both from raw keys."""
    mark = MEMORY_FINGERPRINT_MARK
    return bool(fa and fb) and (fa or "").startswith(mark) == (fb or "").startswith(mark)


@check("identity.psk", "Same pre-shared key")
def psk(pair: Pair) -> Finding:
    ca, cb = connection(pair.a, pair.b), connection(pair.b, pair.a)
    fa = ca.psk_fingerprint if ca else None
    fb = cb.psk_fingerprint if cb else None
    rows = [
        row(
            "PSK fingerprint (keyed, same run)",
            fa,
            fb,
            explain="fingerprints of one collection compare; the keys never leave the devices",
        )
    ]
    causes: list[CauseVote] = []
    evidence = []
    rejecting = None
    for peer, _ in pair.sides():
        mismatched = events(peer, "psk_mismatch")
        if mismatched:
            rejecting = peer.name
            causes.append(CauseVote("psk-mismatch", peer.name, 3.0))
            evidence += evidence_of(peer, mismatched, limit=3)
            rows.append(
                row(f"{peer.name}: AUTH payload did not verify", len(mismatched), None, same=False)
            )
    if rejecting is None:
        # IKEv1 main mode: message 5 is encrypted with keys derived from the PSK, so a
        # mismatch shows as a decryption failure. The responder's (it could not decrypt
        # the initiator's ID/HASH) outweighs the initiator's, which follows from it.
        decrypting = [(p, events(p, "decrypt_failed")) for p, _ in pair.sides()]
        failed = [(p, found) for p, found in decrypting if found]
        if failed:
            responders = [
                (p, found)
                for p, found in failed
                if (sa := ike_sa(p, pair.other(p))) is None or sa.initiator is not True
            ]
            peer, found = (responders or failed)[0]
            rejecting = peer.name
            causes.append(CauseVote("psk-mismatch", peer.name, 3.0))
            for p, more in failed:
                evidence += evidence_of(p, more, limit=3)
            rows.append(
                row(f"{peer.name}: IKEv1 message did not decrypt", len(found), None, same=False)
            )
    if _comparable(fa, fb) and fa != fb:
        causes.append(CauseVote("psk-mismatch", rejecting, 2.0))
    if causes:
        side = rejecting or "either side"
        return verdict(
            Status.FAIL,
            "the pre-shared keys differ"
            + (f" ({rejecting} rejected the other's AUTH)" if rejecting else ""),
            tuple(rows),
            tuple(evidence),
            next_action=f"Set the same pre-shared key on both peers (on {side}, or "
            "agree on a new one out of band) and re-initiate.",
            causes=tuple(causes),
        )
    if _comparable(fa, fb):
        return verdict(Status.PASS, "same pre-shared key on both peers", tuple(rows))
    return verdict(
        Status.UNKNOWN if not (fa or fb) else Status.PASS,
        "no PSK mismatch seen (the keys themselves are not readable on both sides)",
        tuple(rows),
    )


@check("identity.certificates", "Certificates valid")
def certificates(pair: Pair) -> Finding:
    methods = {c.local_auth for p, o in pair.sides() if (c := connection(p, o))}
    rows = [count_row(pair, "certificate errors", lambda p: len(events(p, "cert_invalid")))]
    causes, evidence = logged_votes(pair, "cert_invalid", "cert-invalid", 3.0, limit=3)
    if causes:
        return verdict(
            Status.FAIL,
            "a certificate did not verify",
            tuple(rows),
            tuple(evidence),
            next_action="Check validity dates, the CA chain and that the subject/SAN "
            "matches the identity the other side expects.",
            causes=tuple(causes),
        )
    if methods and methods <= {"psk", None}:
        return verdict(Status.PASS, "no certificates in use (pre-shared keys)")
    return verdict(Status.PASS, "no certificate errors logged")
