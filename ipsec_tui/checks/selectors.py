"""Step 5: traffic selectors mirror (A's local = B's remote and the reverse); tunnel vs
transport mode."""

from __future__ import annotations

from ipsec_tui.checks.pair import (
    Pair,
    child_config,
    covers,
    events,
    evidence_of,
    installed_children,
    local_networks,
    networks,
    row,
)
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import CauseVote, Finding, PeerModel, Status


def _selectors(
    peer: PeerModel | None, other: PeerModel | None
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    child = child_config(peer, other)
    if child is not None:
        return child.local_ts, child.remote_ts
    installed = installed_children(peer, other)
    if installed:
        return installed[0].local_ts, installed[0].remote_ts
    return None


def _mode(peer: PeerModel | None, other: PeerModel | None) -> str | None:
    child = child_config(peer, other)
    if child is not None and child.mode:
        return child.mode.lower()
    installed = installed_children(peer, other)
    return installed[0].mode.lower() if installed and installed[0].mode else None


def _same(mine: tuple[str, ...], theirs: tuple[str, ...]) -> bool | None:
    if not networks(mine) or not networks(theirs):
        return None
    return covers(mine, theirs) and covers(theirs, mine)


@check("selectors.mirror", "Traffic selectors mirror")
def mirror(pair: Pair) -> Finding:
    sa, sb = _selectors(pair.a, pair.b), _selectors(pair.b, pair.a)
    rows = [
        row("local selectors", sa and sa[0], sb and sb[0], same=None),
        row("remote selectors", sa and sa[1], sb and sb[1], same=None),
    ]
    if not (sa and sb):
        return verdict(
            Status.UNKNOWN,
            "selectors known on one side only",
            tuple(rows),
        )
    a_to_b = _same(sa[0], sb[1])
    b_to_a = _same(sa[1], sb[0])
    rows += [
        row("A's local = B's remote", sa[0], sb[1], same=a_to_b),
        row("A's remote = B's local", sa[1], sb[0], same=b_to_a),
    ]
    if _mode(pair.a, pair.b) != _mode(pair.b, pair.a):
        return verdict(
            Status.WARN,
            "selectors differ because the modes differ: see selectors.mode",
            tuple(rows),
        )
    if a_to_b is not False and b_to_a is not False:
        return verdict(
            Status.PASS if a_to_b and b_to_a else Status.UNKNOWN,
            "the traffic selectors mirror",
            tuple(rows),
        )
    # the side to fix: whose selectors do not describe the real networks
    side = None
    assert pair.a is not None and pair.b is not None
    for peer, mine, other, theirs in ((pair.b, sb, pair.a, sa), (pair.a, sa, pair.b, sb)):
        real_other = local_networks(other)
        if (
            real_other
            and not covers(mine[1], theirs[0])
            and covers(real_other, theirs[0])
            and not covers(real_other, mine[1])
        ):
            side = peer.name  # expects a remote network the other side does not have
            break
    rejecting = [
        p
        for p, _ in pair.sides()
        if events(p, "ts_mismatch") or events(p, "TS_UNACCEPTABLE", direction="sent")
    ]
    side = side or (rejecting[0].name if rejecting else None)
    evidence = []
    for peer in rejecting:
        evidence += evidence_of(peer, events(peer, "ts_mismatch", "TS_UNACCEPTABLE"), limit=3)
    return verdict(
        Status.FAIL,
        "the traffic selectors do not mirror (TS_UNACCEPTABLE)",
        tuple(rows),
        tuple(evidence),
        next_action=f"Fix the selectors on {side or 'one side'}: its remote "
        "selector must be the other's local one, and the reverse.",
        causes=(CauseVote("selector-mismatch", side, 3.0),),
    )


@check("selectors.mode", "Same mode (tunnel or transport)")
def mode(pair: Pair) -> Finding:
    ma, mb = _mode(pair.a, pair.b), _mode(pair.b, pair.a)
    rows = (row("mode", ma, mb),)
    if ma is None or mb is None:
        return verdict(Status.UNKNOWN, "mode known on one side only", rows)
    if ma == mb:
        return verdict(Status.PASS, f"both use {ma} mode", rows)
    assert pair.a is not None and pair.b is not None
    # transport mode protects the gateways' own traffic only; with networks behind a
    # gateway (the tunnel-mode side's selectors are subnets), the transport side is wrong
    transport = pair.a if ma == "transport" else pair.b
    evidence = []
    for peer, _ in pair.sides():
        evidence += evidence_of(
            peer, events(peer, "TS_UNACCEPTABLE", "ts_mismatch", "mode_mismatch"), limit=3
        )
    return verdict(
        Status.FAIL,
        f"mode mismatch: {transport.name} uses transport mode, the other tunnel mode"
        " (shows as TS_UNACCEPTABLE)",
        rows,
        tuple(evidence),
        next_action=f"Set {transport.name} to tunnel mode: site-to-site traffic "
        "between networks needs it.",
        causes=(CauseVote("mode-mismatch", transport.name, 4.0),),
    )
