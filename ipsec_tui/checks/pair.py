"""The two peers side by side, and the small questions every check asks of them."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ipsec_tui.domain.model import (
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


def events(peer: PeerModel | None, *tokens: str, direction: str | None = None) -> list[LogEvent]:
    """Log events carrying any of `tokens` (and, if given, that direction)."""
    if peer is None:
        return []
    wanted = set(tokens)
    return [
        e
        for e in peer.log
        if wanted.intersection(e.causes) and (direction is None or e.direction == direction)
    ]


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


def output_evidence(peer: PeerModel, command_prefix: str, text: str = "") -> Evidence | None:
    """A whole command output as evidence (the file behind a row)."""
    for result in peer.parse_results:
        if result.command.startswith(command_prefix) and result.status != ParseStatus.FAILED:
            return Evidence(peer.name, result.file, None, None, text)
    return None


# --- networks -------------------------------------------------------------------------------


def networks(selectors: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for ts in selectors:
        text = ts.split("[", 1)[0].strip()
        if text in ("dynamic", "%any", ""):
            continue
        try:
            nets.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue
    return nets


def covers(outer: Iterable[str], inner: Iterable[str]) -> bool:
    """Every network of `inner` lies inside some network of `outer`."""
    outs = networks(outer)
    ins = networks(inner)
    return bool(ins) and all(
        any(
            n.version == o.version and n.subnet_of(o)  # type: ignore[arg-type]
            for o in outs
        )
        for n in ins
    )


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
