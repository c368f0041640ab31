"""Every child of a tunnel judged on its own (paired across the peers by name and by
selectors), and selectors the responder narrowed."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    child_pairs,
    children_towards,
    covers,
    events,
    evidence_of,
    installed_children,
    installed_towards,
    local_networks,
    row,
    same_ts,
    show,
    ts_covers,
)
from ipsec_tui.checks.proposals import intersect
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import (
    CauseVote,
    ChildConfig,
    ChildSa,
    Evidence,
    Finding,
    PeerModel,
    Row,
    Status,
)

_CHILD_FAILURES = (
    "child_failed",
    "ts_mismatch",
    "child_proposal_mismatch",
    "TS_UNACCEPTABLE",
    "NO_PROPOSAL_CHOSEN",
)


def _label(x: ChildConfig | None, y: ChildConfig | None) -> str:
    names = [c.name for c in (x, y) if c is not None]
    return "child " + (names[0] if len(set(names)) == 1 else " / ".join(names))


def _state(config: ChildConfig | None, sa: ChildSa | None) -> str:
    if config is None:
        return "not configured"
    ts = f"{show(config.local_ts)} === {show(config.remote_ts)}"
    return f"{sa.state if sa else 'not installed'}: {ts}"


def _rejecting(peers: list[PeerModel], *tokens: str, sent: str | None = None) -> str | None:
    for peer in peers:
        if events(peer, *tokens):
            return peer.name
    if sent:
        for peer in peers:
            if events(peer, sent, direction="sent"):
                return peer.name
    return None


def _why(
    pair: Pair, x: ChildConfig | None, y: ChildConfig | None
) -> tuple[str, str | None, str] | None:
    """(cause, side, reason) for a child pair that did not come up, from its configuration."""
    assert pair.a is not None and pair.b is not None
    peers = [pair.a, pair.b]
    if x is None or y is None:
        lacking = pair.a if x is None else pair.b
        only = y if x is None else x
        assert only is not None
        return (
            "selector-mismatch",
            lacking.name,
            f"{lacking.name} has no child for {show(only.remote_ts)} === {show(only.local_ts)}",
        )
    if x.mode and y.mode and x.mode.lower() != y.mode.lower():
        transport = pair.a if x.mode.lower() == "transport" else pair.b
        return (
            "mode-mismatch",
            transport.name,
            f"{transport.name} wants transport mode, the other tunnel mode",
        )
    mirrored = same_ts(x.local_ts, y.remote_ts) and same_ts(x.remote_ts, y.local_ts)
    if not mirrored and x.local_ts and y.local_ts:
        side = None
        for peer, mine, other, theirs in ((pair.b, y, pair.a, x), (pair.a, x, pair.b, y)):
            real = local_networks(other)
            if real and covers(real, theirs.local_ts) and not covers(real, mine.remote_ts):
                side = peer.name  # expects a remote network the other side does not have
                break
        side = side or _rejecting(peers, "ts_mismatch", sent="TS_UNACCEPTABLE")
        return ("selector-mismatch", side, "the selectors do not mirror")
    if x.proposals and y.proposals:
        if intersect(x.proposals, y.proposals, "child", with_dh=False) is False:
            side = _rejecting(peers, "child_proposal_mismatch", sent="NO_PROPOSAL_CHOSEN")
            return ("child-proposal-mismatch", side, "no ESP proposal in common")
        if intersect(x.proposals, y.proposals, "child", with_dh=True) is False:
            without = [
                p.name
                for p, c in ((pair.a, x), (pair.b, y))
                if any("none" in (q.dh_groups or ("none",)) for q in c.proposals)
            ]
            return (
                "pfs-mismatch",
                without[0] if len(without) == 1 else None,
                "the PFS groups differ",
            )
    return None


@check("sa.children", "Every child SA of the tunnel up")
def children(pair: Pair) -> Finding:
    pairs = child_pairs(pair)
    installed_a = installed_towards(pair.a, pair.b)
    installed_b = installed_towards(pair.b, pair.a)
    rows: list[Row] = []
    up: list[str] = []
    down: list[tuple[ChildConfig | None, ChildConfig | None]] = []
    for x, y in pairs:
        sa_a = installed_a.of(x)
        sa_b = installed_b.of(y)
        label = _label(x, y)
        both = sa_a is not None and sa_b is not None
        rows.append(
            row(
                label,
                _state(x, sa_a) if pair.a else None,
                _state(y, sa_b) if pair.b else None,
                same=True if both else False if pair.both else None,
            )
        )
        if both or (not pair.both and (sa_a or sa_b)):
            up.append(label)
        else:
            down.append((x, y))
    if len(pairs) < 2:
        return verdict(
            Status.PASS if not down else Status.UNKNOWN,
            "one child configured: see the child SA and the steps below"
            if pairs
            else "no child configuration known",
            tuple(rows),
        )
    if not down:
        return verdict(Status.PASS, f"all {len(pairs)} children are up", tuple(rows))
    if not up or not pair.both:
        return verdict(
            Status.FAIL,
            f"{len(down)} of {len(pairs)} children down",
            tuple(rows),
            next_action="See the proposals and selectors steps: the children fail together.",
        )
    causes: list[CauseVote] = []
    reasons = []
    evidence: list[Evidence] = []
    for x, y in down:
        why = _why(pair, x, y)
        label = _label(x, y)
        if why is None:
            reasons.append(f"{label}: not installed, reason not in the configuration")
            continue
        cause, side, reason = why
        causes.append(CauseVote(cause, side, 3.0))
        reasons.append(f"{label}: {reason}")
    for peer, _ in pair.sides():
        failed = events(peer, *_CHILD_FAILURES)
        evidence += evidence_of(peer, failed, limit=4)
    return verdict(
        Status.FAIL,
        f"{', '.join(up)} up, but " + "; ".join(reasons),
        tuple(rows),
        tuple(evidence),
        next_action="Fix the failing child only (its row says why); the children that are up "
        "show the IKE SA and the rest of the configuration are fine.",
        causes=tuple(causes),
    )


def _config_of(
    configs: list[ChildConfig], named: dict[str, ChildConfig], sa: ChildSa
) -> ChildConfig | None:
    """The configured child of an installed one: by name (`named`, the first config of each
    name), else the first of `configs` whose selectors hold the SA's."""
    if sa.name is not None and sa.name in named:
        return named[sa.name]
    for config in configs:
        if ts_covers(config.local_ts, sa.local_ts) and ts_covers(config.remote_ts, sa.remote_ts):
            return config
    return None


def _narrowed(configured: tuple[str, ...], negotiated: tuple[str, ...]) -> bool:
    return (
        bool(configured)
        and bool(negotiated)
        and ts_covers(configured, negotiated)
        and not ts_covers(negotiated, configured)
    )


@check("selectors.narrowing", "Negotiated selectors as configured (no narrowing)")
def narrowing(pair: Pair) -> Finding:
    rows: list[Row] = []
    causes: list[CauseVote] = []
    lost: list[str] = []
    evidence: list[Evidence] = []
    for peer, other in pair.sides():
        narrower = other.name if other else "the peer"
        # the peer's configs gathered and named once, not once per SA (thousands at a hub)
        configs = children_towards(peer, other)
        named: dict[str, ChildConfig] = {}
        for each in configs:
            named.setdefault(each.name, each)
        for sa in installed_children(peer, other):
            config = _config_of(configs, named, sa)
            if config is None:
                continue
            for label, configured, negotiated in (
                ("remote", config.remote_ts, sa.remote_ts),
                ("local", config.local_ts, sa.local_ts),
            ):
                if not _narrowed(configured, negotiated):
                    continue
                text = (
                    f"{narrower} accepted only {show(negotiated)} of {show(configured)}"
                    f" ({peer.name}'s {label} selector, child {config.name})"
                )
                lost.append(text)
                rows.append(
                    row(
                        f"{config.name} {label} selector on {peer.name}",
                        f"configured {show(configured)}" if peer is pair.a else show(negotiated),
                        f"configured {show(configured)}" if peer is pair.b else show(negotiated),
                        same=False,
                        explain=text,
                    )
                )
                causes.append(CauseVote("selector-mismatch", other.name if other else None, 2.0))
                established = [
                    e for e in events(peer, "child_established") if sa.name and sa.name in e.message
                ]
                evidence += evidence_of(peer, established[-1:], limit=1)
    if not causes:
        return verdict(
            Status.PASS,
            "the negotiated selectors are the configured ones",
            tuple(rows),
        )
    side = causes[0].side
    return verdict(
        Status.FAIL,
        "selectors narrowed: " + "; ".join(lost),
        tuple(rows),
        tuple(evidence),
        next_action=f"Make {side or 'the narrowing side'}'s selectors cover what the other "
        "side proposes (or narrow the other side's to match): traffic outside the accepted "
        "part is not carried.",
        causes=tuple(causes),
    )
