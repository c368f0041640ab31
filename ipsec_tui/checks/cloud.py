"""The cloud end of a hybrid tunnel (AWS Site-to-Site VPN, Azure VPN Gateway, Google Cloud
VPN): what its own status says, what its own log says went wrong, who starts the tunnel, and
what an idle tunnel does.

A cloud peer is a peer of a platform read from documents (`transport: files`); its tunnels'
status is what the cloud reports (the parsers' TUNNEL_STATUS events). A pair without a cloud
peer passes these checks with nothing to say.
"""

from __future__ import annotations

from ipsec_tui.checks.pair import Pair, child_config, connection, events, evidence_of, ike_sa, row
from ipsec_tui.checks.registry import check, verdict
from ipsec_tui.domain.model import (
    TUNNEL_STATUS,
    CauseVote,
    ChildConfig,
    Finding,
    LogEvent,
    PeerModel,
    Status,
)
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import load_platform

# The status words the clouds use for a tunnel that carries traffic
UP_WORDS = frozenset({"UP", "CONNECTED", "ESTABLISHED"})
# How the on-premises side starts a tunnel (strongSwan start_action, ipsec.conf / Libreswan
# auto): `start` at once, `trap`/`route`/`ondemand` on the first matching packet
_STARTS = frozenset({"start"})
_ON_TRAFFIC = frozenset({"trap", "route", "ondemand"})
# Azure: a policy-based gateway drops an IKE SA idle for five minutes
AZURE_POLICY_BASED_IDLE_S = 300
# What the cloud's own words name (cause tokens of its log and status, by the platform's
# signatures) -> (diagnosis cause, weight, what to change on the customer gateway). The cloud
# runs the configuration it generated for both ends, within its documented options: a
# mismatch it reports is fixed on the other side, by the cloud's configuration. The weight
# outvotes a check that names the refusing side alone (the cloud, where its log is the only
# one that says so).
_CLOUD_SAYS: dict[str, tuple[str, float, str]] = {
    "ike_proposal_mismatch": (
        "ike-proposal-mismatch",
        3.5,
        "offer the IKE (phase 1) encryption, integrity and DH group of the cloud's tunnel "
        "options or downloaded configuration",
    ),
    "child_proposal_mismatch": (
        "child-proposal-mismatch",
        3.5,
        "offer the ESP (phase 2) encryption, integrity and PFS group the cloud accepts",
    ),
    "child_failed": (
        "child-proposal-mismatch",
        1.5,
        "check the phase 2 proposal and selectors against the cloud's configuration",
    ),
    "psk_mismatch": ("psk-mismatch", 3.5, "use the tunnel's pre-shared key as the cloud shows it"),
    "decrypt_failed": (
        "psk-mismatch",
        2.0,
        "use the tunnel's pre-shared key as the cloud shows it",
    ),
    "peer_id_mismatch": (
        "identity-mismatch",
        3.0,
        "present the identity the cloud expects (its public address, unless configured)",
    ),
    "ts_mismatch": ("selector-mismatch", 3.0, "propose the selectors the cloud's tunnel has"),
    "TS_UNACCEPTABLE": ("selector-mismatch", 3.0, "propose the selectors the cloud's tunnel has"),
    "dpd_timeout": ("dpd-timeout", 2.0, "answer the cloud's dead peer detection"),
    "retransmit": ("peer-unreachable", 1.5, "let the cloud's IKE packets in and answer them"),
    "giving_up": ("peer-unreachable", 2.0, "let the cloud's IKE packets in and answer them"),
}


def is_cloud(peer: PeerModel | None) -> bool:
    """A peer read from a cloud's documents rather than collected from a device."""
    if peer is None:
        return False
    try:
        return load_platform(peer.platform).transport == "files"
    except UserError:
        return False


def cloud_sides(pair: Pair) -> list[tuple[PeerModel, PeerModel | None]]:
    """(cloud peer, the other peer) for each cloud peer of the pair."""
    return [(peer, other) for peer, other in pair.sides() if is_cloud(peer)]


def tunnel_status(peer: PeerModel) -> dict[str, LogEvent]:
    """Each tunnel's latest status the cloud reports, by tunnel name, in the cloud's order."""
    latest: dict[str, LogEvent] = {}
    for event in peer.log:
        if event.subsystem == TUNNEL_STATUS and event.sa_name:
            latest[event.sa_name] = event
    return latest


def is_up(event: LogEvent) -> bool:
    return (event.level or "").upper() in UP_WORDS


def _column(pair: Pair, peer: PeerModel, value: object) -> tuple[object, object]:
    return (value, None) if peer is pair.a else (None, value)


@check("cloud.tunnels", "The cloud's tunnels are up")
def tunnels(pair: Pair) -> Finding:
    sides = cloud_sides(pair)
    if not sides:
        return verdict(Status.PASS, "no cloud peer: nothing to check")
    rows = []
    evidence = []
    up: list[str] = []
    down: list[LogEvent] = []
    for peer, _ in sides:
        status = tunnel_status(peer)
        for name, event in status.items():
            # "DOWN (IPSEC IS DOWN)": the status and the cloud's message, without the name
            shown = event.message.split(": ", 1)[-1]
            rows.append(row(f"tunnel {name}", *_column(pair, peer, shown), same=None))
            if is_up(event):
                up.append(name)
            else:
                down.append(event)
        evidence += evidence_of(peer, status.values())
    total = len(up) + len(down)
    if not total:
        return verdict(
            Status.UNKNOWN,
            "the cloud's documents give no tunnel status",
            next_action="Add the cloud's status output (aws ec2 describe-vpn-connections, az "
            "network vpn-connection show, gcloud compute vpn-tunnels describe).",
        )
    if not down:
        return verdict(Status.PASS, f"all {total} cloud tunnel(s) up", tuple(rows), tuple(evidence))
    reasons = "; ".join(event.message for event in down)
    if up:
        return verdict(
            Status.WARN,
            f"{len(down)} of {total} cloud tunnels down, traffic uses the other: {reasons}",
            tuple(rows),
            tuple(evidence),
            next_action="Not an outage, but the redundancy is gone: bring up the down tunnel "
            "(configure both tunnels on the customer gateway; the cloud replaces one tunnel's "
            "endpoint during its maintenance, and traffic then needs the other).",
        )
    return verdict(
        Status.FAIL,
        f"no cloud tunnel is up: {reasons}",
        tuple(rows),
        tuple(evidence),
        next_action="The cloud sees no working tunnel: follow the negotiation findings on "
        "the on-premises peer, whose log says why.",
    )


def _start(config: ChildConfig | None) -> str | None:
    return config.start_action.lower() if config and config.start_action else None


@check("cloud.initiation", "Someone starts the tunnel")
def initiation(pair: Pair) -> Finding:
    sides = cloud_sides(pair)
    if not sides:
        return verdict(Status.PASS, "no cloud peer: nothing to check")
    cloud, other = sides[0]
    cloud_start = _start(child_config(cloud, other))
    other_start = _start(child_config(other, cloud)) if other is not None else None
    rows = (
        row(
            "starts the tunnel",
            *((cloud_start, other_start) if cloud is pair.a else (other_start, cloud_start)),
            same=None,
            explain="add: waits for the other side; start: initiates at once; "
            "trap/route: initiates on the first matching packet",
        ),
    )
    status = tunnel_status(cloud)
    all_up = bool(status) and all(is_up(e) for e in status.values())
    if cloud_start is None:
        return verdict(
            Status.UNKNOWN,
            "the cloud's startup action is not shown (AWS's default, add, waits for the "
            "customer gateway to initiate)",
            rows,
        )
    if cloud_start == "start":
        return verdict(Status.PASS, "the cloud initiates the tunnel itself", rows)
    # the cloud only answers
    if other_start in _STARTS:
        return verdict(Status.PASS, f"{other.name if other else 'the other peer'} initiates", rows)
    if all_up:
        return verdict(Status.PASS, "the tunnel is up (started by the other side)", rows)
    down = [e for e in status.values() if not is_up(e)]
    evidence = tuple(evidence_of(cloud, down, limit=4))
    side = other.name if other is not None else None
    sa = ike_sa(other, cloud)
    if other_start in _ON_TRAFFIC or other_start is None:
        why = "on traffic only" if other_start in _ON_TRAFFIC else "(its start action unknown)"
        return verdict(
            Status.WARN,
            f"the cloud waits (startup action {cloud_start}) and {side or 'the other side'} "
            f"initiates {why}: with no traffic the tunnel stays down",
            rows,
            evidence,
            next_action=f"Send traffic that matches the selectors from behind {side or 'it'}, "
            "or make it initiate at once (strongSwan start_action = start, ipsec.conf "
            "auto=start), or set the cloud tunnel's startup action to start.",
            causes=(CauseVote("no-traffic", side, 1.5),) if sa is None else (),
        )
    return verdict(
        Status.FAIL,
        f"nobody initiates: the cloud waits (startup action {cloud_start}) and "
        f"{side or 'the other side'} only answers ({other_start})",
        rows,
        evidence,
        next_action=f"Make {side or 'the on-premises peer'} initiate (start_action = start or "
        "trap, ipsec.conf auto=start or route), or set the cloud tunnel's startup action to "
        "start.",
        causes=(CauseVote("no-traffic", side, 2.0),),
    )


@check("cloud.idle", "An idle tunnel stays up")
def idle(pair: Pair) -> Finding:
    sides = [(p, o) for p, o in cloud_sides(pair) if p.platform == "azure_vpngw"]
    if not sides:
        return verdict(Status.PASS, "no cloud peer that drops idle tunnels")
    cloud, other = sides[0]
    policy_based = "policybased" in (cloud.software or "").replace("-", "").lower()
    conn = connection(cloud, other)
    rows = (
        row("gateway", *_column(pair, cloud, cloud.software), same=None),
        row(
            "IKE version",
            *_column(pair, cloud, f"IKEv{conn.version}" if conn and conn.version else None),
            same=None,
        ),
    )
    if not policy_based:
        known = cloud.software is not None
        return verdict(
            Status.PASS if known else Status.UNKNOWN,
            "route-based gateway: no idle timeout"
            if known
            else "the gateway's VPN type is not known (policy-based gateways drop idle tunnels)",
            rows,
            next_action="" if known else "Add `az network vnet-gateway show` to the documents.",
        )
    status = tunnel_status(cloud)
    down = [e for e in status.values() if not is_up(e)]
    other_start = _start(child_config(other, cloud)) if other is not None else None
    if not down:
        return verdict(
            Status.PASS,
            f"up; this policy-based gateway drops it after {AZURE_POLICY_BASED_IDLE_S // 60} "
            "idle minutes",
            rows,
        )
    return verdict(
        Status.WARN,
        f"policy-based gateway, tunnel not connected: it drops a tunnel idle for "
        f"{AZURE_POLICY_BASED_IDLE_S // 60} minutes and the other side must bring it back",
        rows,
        tuple(evidence_of(cloud, down, limit=4)),
        next_action=(
            f"Let {other.name if other else 'the on-premises peer'} initiate on traffic "
            f"(start_action = trap, auto=route; now {other_start or 'unknown'}) or keep "
            "traffic flowing; a route-based gateway has no idle timeout."
        ),
    )


def _proposal_token(event: LogEvent) -> str:
    """A NO_PROPOSAL_CHOSEN the cloud sent refuses phase 1 while phase 1 is not up (AWS
    writes the phase's state beside its words), phase 2 once it is."""
    phase_1_up = (event.level or "").lower() == "established"
    return "child_proposal_mismatch" if phase_1_up else "ike_proposal_mismatch"


@check("cloud.log", "The cloud's own log names no failure")
def cloud_log(pair: Pair) -> Finding:
    sides = cloud_sides(pair)
    votes: dict[tuple[str, str | None], tuple[float, str]] = {}
    evidence = []
    rows = []
    for cloud, other in sides:
        side = other.name if other is not None else None
        said: dict[str, int] = {}
        found = events(cloud, "NO_PROPOSAL_CHOSEN", *_CLOUD_SAYS)
        for event in found:
            tokens = [t for t in event.causes if t in _CLOUD_SAYS]
            if "NO_PROPOSAL_CHOSEN" in event.causes and event.direction == "sent":
                tokens.append(_proposal_token(event))
            for token in tokens:
                cause, weight, action = _CLOUD_SAYS[token]
                said[cause] = said.get(cause, 0) + 1
                if votes.get((cause, side), (0.0, ""))[0] < weight:
                    votes[(cause, side)] = (weight, action)
        rows += [
            row(f"{cloud.name} says {cause}", *_column(pair, cloud, n)) for cause, n in said.items()
        ]
        evidence += evidence_of(cloud, found, limit=6)
    if not votes:
        return verdict(Status.PASS, "the cloud's documents name no failure")
    named = sorted({cause for cause, _ in votes})
    fixes = sorted({(side, action) for (_, side), (_, action) in votes.items()}, key=str)
    return verdict(
        Status.FAIL,
        f"the cloud's own log names {', '.join(named)}",
        tuple(rows),
        tuple(evidence),
        next_action=" ".join(
            f"On {side or 'the customer gateway'}: {action}." for side, action in fixes
        ),
        causes=tuple(
            CauseVote(cause, side, weight) for (cause, side), (weight, _) in votes.items()
        ),
    )
