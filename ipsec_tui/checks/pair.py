"""The two peers side by side, and the small questions every check asks of them."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ipsec_tui.domain.model import (
    CauseVote,
    ChildConfig,
    ChildSa,
    Connection,
    Evidence,
    IkeSa,
    LogEvent,
    ParseStatus,
    PeerModel,
    Row,
)


@dataclass(frozen=True)
class Pair:
    """Peer A and peer B; either may be missing (a partner's side we could not collect)."""

    a: PeerModel | None
    b: PeerModel | None

    def sides(self) -> Iterator[tuple[PeerModel, PeerModel | None]]:
        """(peer, other) for each peer present."""
        if self.a:
            yield self.a, self.b
        if self.b:
            yield self.b, self.a

    @property
    def both(self) -> bool:
        return self.a is not None and self.b is not None

    def name(self, which: str) -> str:
        peer = self.a if which == "a" else self.b
        return peer.name if peer else f"peer {which.upper()}"

    def missing(self) -> str | None:
        if self.a is None:
            return self.name("a")
        if self.b is None:
            return self.name("b")
        return None

    def other(self, peer: PeerModel) -> PeerModel | None:
        return self.b if peer is self.a else self.a


def show(value: object) -> str | None:
    """A model value as a table cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return str(value)


_COMPARE = object()  # default of `row(same=...)`: compare the two values


def row(field: str, a: object, b: object, *, same: object = _COMPARE, explain: str = "") -> Row:
    """A comparison row. By default the two values are compared (None when a side is
    unknown); `same=None` marks a row that is shown, not compared (a local address differs
    from the other's by design); True/False states a verdict the check computed (mirrors)."""
    sa, sb = show(a), show(b)
    if same is _COMPARE:
        match: bool | None = None if sa is None or sb is None else sa == sb
    else:
        match = same if isinstance(same, bool) else None
    return Row(field, sa, sb, match, explain)


def count_row(pair: Pair, field: str, count: Callable[[PeerModel], int], explain: str = "") -> Row:
    """A row counting bad things per peer: a mismatch as soon as either side has any."""
    a = count(pair.a) if pair.a else None
    b = count(pair.b) if pair.b else None
    bad = any(v for v in (a, b) if v)
    return row(field, a, b, same=False if bad else None, explain=explain)


# --- what each peer has ---------------------------------------------------------------------


def _addresses(peer: PeerModel | None) -> set[str]:
    if peer is None:
        return set()
    found = {a.split("/")[0] for a in peer.addresses}
    for sa in peer.ike_sas:
        if sa.local_addr:
            found.add(sa.local_addr)
    for conn in peer.connections:
        found.update(a for a in conn.local_addrs if a not in ("%any", "0.0.0.0"))
    return found


def ike_sa(peer: PeerModel | None, other: PeerModel | None = None) -> IkeSa | None:
    """The IKE SA towards the other peer: established first, else the newest attempt."""
    if peer is None or not peer.ike_sas:
        return None
    theirs = _addresses(other)
    candidates = [sa for sa in peer.ike_sas if not theirs or sa.remote_addr in theirs] or list(
        peer.ike_sas
    )
    established = [sa for sa in candidates if sa.state == "ESTABLISHED"]
    return (established or candidates)[0]


def child_sas(peer: PeerModel | None, other: PeerModel | None = None) -> list[ChildSa]:
    sa = ike_sa(peer, other)
    return list(sa.child_sas) if sa else []


def installed_children(peer: PeerModel | None, other: PeerModel | None = None) -> list[ChildSa]:
    return [c for c in child_sas(peer, other) if c.state in ("INSTALLED", "ESTABLISHED")]


def connection(peer: PeerModel | None, other: PeerModel | None = None) -> Connection | None:
    """The configured connection towards the other peer (by its addresses), else the first."""
    if peer is None or not peer.connections:
        return None
    theirs = _addresses(other)
    for conn in peer.connections:
        if theirs & set(conn.remote_addrs):
            return conn
    return peer.connections[0]


def child_config(peer: PeerModel | None, other: PeerModel | None = None) -> ChildConfig | None:
    conn = connection(peer, other)
    return conn.children[0] if conn and conn.children else None


def responder_of(pair: Pair) -> PeerModel | None:
    """The peer that answered (or refused) the other's initiation: by the SA's initiator
    flag, else the other of the only peer that retransmits. None when nothing tells."""
    for peer, other in pair.sides():
        sa = ike_sa(peer, other)
        if sa is not None and sa.initiator is not None and other is not None:
            return other if sa.initiator else peer
    trying = [p for p, _ in pair.sides() if events(p, "retransmit", "giving_up")]
    if len(trying) == 1:
        return pair.other(trying[0])
    return None


def events(peer: PeerModel | None, *tokens: str, direction: str | None = None) -> list[LogEvent]:
    """Log events carrying any of `tokens` (and, if given, that direction)."""
    if peer is None:
        return []
    index = _events_by_cause(peer.log)
    positions = sorted({at for token in tokens for at in index.get(token, ())})
    return [
        peer.log[at] for at in positions if direction is None or peer.log[at].direction == direction
    ]


# The checks ask a peer's log for its events by cause a hundred times per analysis; a log of
# half a million lines is indexed once (by the identity of its tuple, which is immutable).
_INDEXES: dict[int, tuple[tuple[LogEvent, ...], dict[str, list[int]]]] = {}


def _events_by_cause(log: tuple[LogEvent, ...]) -> dict[str, list[int]]:
    """Positions in `log` of the events carrying each cause token."""
    cached = _INDEXES.get(id(log))
    if cached is not None and cached[0] is log:
        return cached[1]
    index: dict[str, list[int]] = {}
    for at, event in enumerate(log):
        for token in event.causes:
            index.setdefault(token, []).append(at)
    if len(_INDEXES) >= 16:
        _INDEXES.clear()
    _INDEXES[id(log)] = (log, index)
    return index


def log_collected(peer: PeerModel | None) -> bool:
    return bool(peer and peer.log_file)


def evidence_of(peer: PeerModel, found: Iterable[LogEvent], limit: int = 6) -> list[Evidence]:
    """Log lines as evidence, consecutive lines merged into one range."""
    out: list[Evidence] = []
    for event in list(found)[:limit]:
        if out and out[-1].peer == peer.name and out[-1].line_end == event.line - 1:
            last = out[-1]
            out[-1] = Evidence(
                last.peer, last.file, last.line_start, event.line, last.text + "\n" + event.message
            )
        else:
            out.append(Evidence(peer.name, peer.log_file, event.line, event.line, event.message))
    return out


def logged_votes(
    pair: Pair, token: str, cause: str, weight: float, limit: int
) -> tuple[list[CauseVote], list[Evidence]]:
    """A vote for `cause` against each peer whose log holds `token`, its lines as evidence."""
    causes: list[CauseVote] = []
    evidence: list[Evidence] = []
    for peer, _ in pair.sides():
        found = events(peer, token)
        if found:
            causes.append(CauseVote(cause, peer.name, weight))
            evidence += evidence_of(peer, found, limit=limit)
    return causes, evidence


def output_evidence(peer: PeerModel, command_prefix: str, text: str = "") -> Evidence | None:
    """A whole command output as evidence (the file behind a row)."""
    for result in peer.parse_results:
        if result.command.startswith(command_prefix) and result.status != ParseStatus.FAILED:
            return Evidence(peer.name, result.file, None, None, text)
    return None


# --- networks -------------------------------------------------------------------------------


def networks(selectors: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of traffic selectors (ports and protocols dropped; `dynamic` skipped)."""
    nets = []
    for ts in selectors:
        net = _network(ts.split("[", 1)[0].strip())
        if net is not None:
            nets.append(net)
    return nets


@functools.lru_cache(maxsize=65536)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """One selector's network, parsed once (a hub's checks ask for the same ones often)."""
    if text in ("dynamic", "%any", ""):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def covers(outer: Iterable[str], inner: Iterable[str]) -> bool:
    """Every network of `inner` lies inside some network of `outer`."""
    outs = [span for span in map(_span, outer) if span is not None]
    ins = [span for span in map(_span, inner) if span is not None]
    return bool(ins) and all(_inside(n, outs) for n in ins)


# (IP version, first address, last address) as integers: containment is two comparisons
_Span = tuple[int, int, int]


@functools.lru_cache(maxsize=65536)
def _span(selector: str) -> _Span | None:
    """A selector's network as a span, read once per distinct text: a hub's checks hold
    thousands of child SAs' selectors against their configuration's, and building
    ipaddress objects (and their `subnet_of`) each time cost more than the rest together."""
    net = _network(selector.split("[", 1)[0].strip())
    if net is None:
        return None
    return net.version, int(net.network_address), int(net.broadcast_address)


def _inside(span: _Span, outs: Iterable[_Span]) -> bool:
    """`span` lies inside one of `outs` (as ipaddress's `subnet_of`, same version only)."""
    version, first, last = span
    return any(v == version and f <= first and last <= t for v, f, t in outs)


def local_networks(peer: PeerModel | None) -> list[str]:
    """Networks on the peer's own interfaces (from `ip -br addr` and the like)."""
    if peer is None:
        return []
    nets = []
    for addr in peer.addresses:
        try:
            iface = ipaddress.ip_interface(addr)
        except ValueError:
            continue
        if not iface.is_loopback and not iface.is_link_local:
            nets.append(str(iface.network))
    return nets


# --- children across the peers ----------------------------------------------------------------

_PORTS = re.compile(r"\[([^\]]*)\]")


def _ts_parts(selector: str) -> tuple[str, str]:
    """'10.2.0.0/24[tcp/443]' -> ('10.2.0.0/24', 'tcp/443'); no brackets: any protocol."""
    found = _PORTS.search(selector)
    return selector.split("[", 1)[0].strip(), (found.group(1).strip() if found else "")


@functools.lru_cache(maxsize=65536)
def _selector(selector: str) -> tuple[_Span | None, str]:
    """A selector's network span and its protocol/port part, read once per distinct text."""
    net, ports = _ts_parts(selector)
    return _span(net), ports


def ts_covers(outer: Iterable[str], inner: Iterable[str]) -> bool:
    """Every selector of `inner` lies inside one of `outer`, protocol and port included (a
    selector without brackets allows every protocol and port)."""
    outs = [_selector(s) for s in outer]
    ins = [_selector(s) for s in inner]
    if not ins or not outs:
        return False
    for net, ports in ins:
        if net is None:  # no network (`dynamic`): inside nothing
            return False
        if not any(
            o_net is not None
            and _inside(net, (o_net,))
            and (not o_ports or o_ports in ("0/0", ports))
            for o_net, o_ports in outs
        ):
            return False
    return True


def same_ts(one: Iterable[str], two: Iterable[str]) -> bool:
    one, two = tuple(one), tuple(two)
    return ts_covers(one, two) and ts_covers(two, one)


def _overlaps(one: Iterable[str], two: Iterable[str]) -> bool:
    return any(
        a.version == b.version and a.overlaps(b) for a in networks(one) for b in networks(two)
    )


def children_towards(peer: PeerModel | None, other: PeerModel | None) -> list[ChildConfig]:
    """Every configured child towards the other peer: of all its connections to the other's
    addresses (Libreswan and Cisco write one connection per child), else of the first."""
    if peer is None:
        return []
    theirs = _addresses(other)
    conns = [c for c in peer.connections if theirs & set(c.remote_addrs)]
    if not conns:
        first = connection(peer, other)
        conns = [first] if first else []
    return [child for conn in conns for child in conn.children]


def child_pairs(
    pair: Pair,
) -> list[tuple[ChildConfig | None, ChildConfig | None]]:
    """The configured children of the tunnel, paired across the peers: by name, then by
    selectors that mirror, then by selectors that overlap; what is left stands alone."""
    left = children_towards(pair.a, pair.b)
    right = children_towards(pair.b, pair.a)
    pairs: list[tuple[ChildConfig | None, ChildConfig | None]] = []
    tests: list[Callable[[ChildConfig, ChildConfig], bool]] = [
        lambda x, y: x.name == y.name,
        lambda x, y: same_ts(x.local_ts, y.remote_ts) and same_ts(x.remote_ts, y.local_ts),
        lambda x, y: _overlaps(x.local_ts, y.remote_ts) and _overlaps(x.remote_ts, y.local_ts),
        lambda x, y: _overlaps(x.local_ts, y.remote_ts) or _overlaps(x.remote_ts, y.local_ts),
    ]
    for test in tests:
        for x in list(left):
            match = next((y for y in right if test(x, y)), None)
            if match is not None:
                pairs.append((x, match))
                left.remove(x)
                right.remove(match)
    pairs += [(x, None) for x in left]
    pairs += [(None, y) for y in right]
    return pairs


@dataclass(frozen=True)
class Installed:
    """A peer's installed child SAs towards the other, and the first of each name: the
    children check looks one up per configured child (thousands at a hub), and gathering
    and scanning them all for each was quadratic."""

    children: tuple[ChildSa, ...]
    by_name: dict[str | None, ChildSa]

    def of(self, config: ChildConfig | None) -> ChildSa | None:
        """The installed child SA of a configured child: by name, else by selectors inside
        it."""
        if config is None:
            return None
        named = self.by_name.get(config.name)
        if named is not None:
            return named
        for child in self.children:
            if (
                child.local_ts
                and child.remote_ts
                and ts_covers(config.local_ts, child.local_ts)
                and ts_covers(config.remote_ts, child.remote_ts)
            ):
                return child
        return None


def installed_towards(peer: PeerModel | None, other: PeerModel | None) -> Installed:
    """The installed child SAs of the peer's IKE SAs towards the other, to look up by config."""
    children = tuple(
        c
        for sa in _ike_sas_to(peer, other)
        for c in sa.child_sas
        if c.state in ("INSTALLED", "ESTABLISHED")
    )
    by_name: dict[str | None, ChildSa] = {}
    for child in children:
        by_name.setdefault(child.name, child)
    return Installed(children, by_name)


def _ike_sas_to(peer: PeerModel | None, other: PeerModel | None) -> list[IkeSa]:
    if peer is None:
        return []
    theirs = _addresses(other)
    return [sa for sa in peer.ike_sas if not theirs or sa.remote_addr in theirs] or list(
        peer.ike_sas
    )
