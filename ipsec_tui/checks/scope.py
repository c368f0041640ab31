"""A hub's log scoped to one tunnel: the lines of a peer's log that the checks read for the
tunnel to the other peer.

A device that serves many tunnels (a hub) writes the lines of all of them into one log. For
one tunnel, a line that names another tunnel is left out: another of the device's
connections (the line's connection name, or a name it quotes), an IKE SA id or SPI of the
device's other SAs, or a peer address that is not this tunnel's (nor the device's own, nor
inside this tunnel's selectors, where those are a /8 or narrower). So a PSK failure on
tunnel 7 never makes tunnel 3's cause. A line that names this tunnel is kept; so is a line
that names no tunnel, which the checks read and show as evidence as before (nothing tells
whose it is). Lines of one IKE SA id (``LogEvent.sa_id``) share the verdict of those among
them that name a tunnel.

Only a device that shows more than one remote peer (its connections and SAs) is scoped: for
a device with one peer every line is the tunnel's, and its log is read whole. The other
peer's addresses are the ones its own outputs show and the host it is reached at; the
device's own, the ones its outputs show and its host.

Several tunnels between the same two devices share the remote peer, so that cannot tell
them apart: there the inventory names, per peer, the device's own connection for the tunnel
(``PeerModel.connection``, recorded in the capture's peer.yml; the name the platform's
parser gives ``Connection.name``). Such a peer is read as that connection alone
(:func:`connection_view`): its configuration and the entries a box keeps once for all
tunnels (``Connection.shared``); the IKE SAs and their children that are its, by name
(the SA's, a child's), identity or selectors, an SA that nothing attributes kept; the
kernel's SAs of the SPIs left out, and the policies of other connections' selectors,
dropped; and its log as above, by names (connections, children, identities: charon's
``[lab7.siteB.lab]``) and keys, not by the remote peer's address, which every connection
has. A name two connections share (one identity for all) names neither.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from ipsec_tui.checks.pair import Pair, networks
from ipsec_tui.domain.model import TUNNEL_STATUS, ChildSa, Connection, IkeSa, LogEvent, PeerModel

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_QUOTED = re.compile(r"""['"]([^'"\s]+)['"]""")
_BRACKETED = re.compile(r"\[([^\[\]\s]+)\]")  # charon's identities: 203.0.113.2[lab7.siteB.lab]
_HEX_KEY = re.compile(r"\b(?:0x)?([0-9a-f]{8})(?:_[io])?\b")
_SERIAL = re.compile(r"(?<![\w&])#(\d+)\b")  # pluto's '"lab" #3:', the IKE SA's unique id
_KEEP_CACHE = 16


def tunnel_pair(pair: Pair) -> Pair:
    """The pair with each peer's log scoped to the tunnel between them (the same pair when
    neither peer serves other tunnels)."""
    a = tunnel_view(pair.a, pair.b)
    b = tunnel_view(pair.b, pair.a)
    return pair if a is pair.a and b is pair.b else Pair(a, b)


def tunnel_view(peer: PeerModel | None, other: PeerModel | None) -> PeerModel | None:
    """``peer`` with only what may be about its tunnel to ``other``: its own connection's
    configuration, SAs and log lines where the inventory names it (``peer.connection``),
    else the log lines that may be about the tunnel's remote peer."""
    if peer is not None and peer.connection:
        return connection_view(peer, other)
    if peer is None or other is None or not peer.log or len(_remote_peers(peer)) < 2:
        return peer
    scope = _Scope.of(peer, other)
    return peer if scope is None else _scoped_log(peer, scope)


def _scoped_log(peer: PeerModel, scope: _Scope) -> PeerModel:
    dropped = scope.others_lines(_index_of(peer.log))
    if not dropped:
        return peer
    kept = tuple(
        event
        for at, event in enumerate(peer.log)
        if at not in dropped or event.subsystem == TUNNEL_STATUS
    )
    return replace(peer, log=kept)


def connection_view(peer: PeerModel, other: PeerModel | None = None) -> PeerModel:
    """``peer`` reduced to the connection ``peer.connection`` names: that connection (and
    the entries a box keeps once for all its tunnels), the IKE and child SAs that are its
    (by name, identity or selectors; one that nothing attributes is kept), the kernel's SAs
    and policies of the others left out, and its log lines: a line that names another
    connection (its name, a child's, an identity), or an SA id or SPI of the SAs left out,
    goes with the lines of its IKE SA id; a line naming only the remote peer, which all the
    device's connections share here, is kept. A device without a connection of that name
    keeps none, and says so in a note."""
    wanted = peer.connection or ""
    tunnels = [c for c in peer.connections if c.shared is None]
    mine = _Side.of(c for c in tunnels if c.name == wanted)
    others = _Side.of(c for c in tunnels if c.name != wanted)
    mine, others = replace(mine, names=mine.names | {wanted}) - others, others - mine
    kept: list[IkeSa] = []
    dropped: list[IkeSa] = []
    for sa in peer.ike_sas:
        children = [_owner([ch.name], _selectors(ch), mine, others) for ch in sa.child_sas]
        names = [sa.name, sa.local_id, sa.remote_id, *(ch.name for ch in sa.child_sas)]
        selectors = [ts for ch in sa.child_sas for ts in _selectors(ch)]
        if _owner(names, selectors, mine, others) is False:
            dropped.append(sa)
            continue
        theirs = tuple(
            ch for ch, owner in zip(sa.child_sas, children, strict=True) if owner is False
        )
        if theirs:
            # their children go; the SA's own ids stay this tunnel's
            dropped.append(replace(sa, name=None, unique_id=None, spi_i=None, spi_r=None,
                                   child_sas=theirs))  # fmt: skip
            sa = replace(sa, child_sas=tuple(ch for ch in sa.child_sas if ch not in theirs))
        kept.append(sa)
    gone = _keys(dropped) - _keys(kept)
    notes = peer.notes
    if tunnels and not any(c.name == wanted for c in tunnels):
        shown = ", ".join(sorted(c.name for c in tunnels)[:8])
        notes += (
            f"the inventory names connection {wanted!r} for this tunnel; the device shows "
            f"none of that name (it shows {shown}): its other connections are not read",
        )
    scoped = replace(
        peer,
        connections=tuple(c for c in peer.connections if c.shared is not None or c.name == wanted),
        ike_sas=tuple(kept),
        xfrm_states=tuple(x for x in peer.xfrm_states if _key(x.spi) not in gone),
        xfrm_policies=tuple(
            x for x in peer.xfrm_policies if _owner((), [x.src, x.dst], mine, others) is not False
        ),
        notes=notes,
    )
    if not peer.log:
        return scoped
    mine_names = mine.names | (_names((), kept) - others.names)
    remote = _parsed(sa.remote_addr for sa in kept)
    nets = mine.nets
    if other is not None:  # the other end's addresses and its own connection's selectors
        remote |= _addresses_of(other)
        if other.connection:
            nets += _Side.of(c for c in other.connections if c.name == other.connection).nets
    scope = _Scope(
        mine_names=mine_names,
        mine_keys=_keys(kept),
        mine_addresses=frozenset(remote),
        other_names=others.names | (_names((), dropped) - mine_names),
        other_keys=gone,
        own=frozenset(_addresses_of(peer) - remote),
        selectors=nets,
        by_address=False,
    )
    return _scoped_log(scoped, scope)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class _Side:
    """What names one side of a device's connections (the tunnel's own, or all the others):
    their names, their children's, their identities, and their selectors' networks."""

    names: frozenset[str]
    nets: tuple[Network, ...]

    @classmethod
    def of(cls, connections: Iterable[Connection]) -> _Side:
        conns = list(connections)
        names = {c.name for c in conns} | {ch.name for c in conns for ch in c.children}
        names |= {i for c in conns for i in (c.local_id, c.remote_id) if i}
        selectors = [ts for c in conns for ch in c.children for ts in (*ch.local_ts, *ch.remote_ts)]
        return cls(frozenset(n for n in names if n), tuple(networks(selectors)))

    def __sub__(self, other: _Side) -> _Side:
        """Only what names this side and not the other (a shared identity names neither)."""
        return _Side(self.names - other.names, self.nets)


def _selectors(child: ChildSa) -> tuple[str, ...]:
    return (*child.local_ts, *child.remote_ts)


def _owner(
    names: Iterable[str | None], selectors: Iterable[str], mine: _Side, others: _Side
) -> bool | None:
    """True when the names or selectors are the tunnel's connection's, False when they are
    only another connection's, None when nothing tells (an SA that names nothing)."""
    given = {name for name in names if name}
    if given & mine.names:
        return True
    if given & others.names:
        return False
    nets = networks(selectors)
    for test in (_same, _overlaps):
        if any(test(net, mine.nets) for net in nets):
            return True
        if any(test(net, others.nets) for net in nets):
            return False
    return None


def _same(net: Network, nets: Sequence[Network]) -> bool:
    return net in nets


def _overlaps(net: Network, nets: Sequence[Network]) -> bool:
    return any(net.version == n.version and net.overlaps(n) for n in nets)


@dataclass(frozen=True)
class _LogIndex:
    """Where in one log each name, key (IKE SA ids and SPIs, lowercase, without '#' / '0x')
    and address stands, and the lines of each IKE SA id: built once per log, so a hub's log
    of many tunnels is read once, and each tunnel's scope is a few set operations."""

    names: dict[str, set[int]]
    keys: dict[str, set[int]]
    addresses: dict[Address, set[int]]
    ids: dict[str, set[int]]

    def lines(
        self, names: Iterable[str], keys: Iterable[str], addresses: Iterable[Address]
    ) -> set[int]:
        found: set[int] = set()
        for name in names:
            found |= self.names.get(name, set())
        for key in keys:
            found |= self.keys.get(key, set())
        for address in addresses:
            found |= self.addresses.get(address, set())
        return found


@dataclass(frozen=True)
class _Scope:
    """One tunnel seen from a device: what names it, and what names the device's others."""

    mine_names: frozenset[str]
    mine_keys: frozenset[str]
    mine_addresses: frozenset[Address]
    other_names: frozenset[str]
    other_keys: frozenset[str]
    own: frozenset[Address]  # the peer's own addresses: they name no tunnel
    selectors: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    # a line naming this tunnel's remote peer is its line (False where every tunnel of the
    # device has that peer: the connection's names and keys decide)
    by_address: bool = True

    @classmethod
    def of(cls, peer: PeerModel, other: PeerModel) -> _Scope | None:
        """This tunnel's names, keys and addresses on ``peer``, and the other tunnels'
        names and keys; None when nothing on ``peer`` tells which tunnel is this one."""
        theirs = _addresses_of(other)
        their_ids = {c.local_id for c in other.connections if c.local_id}
        their_ids |= {sa.local_id for sa in other.ike_sas if sa.local_id}
        conns = [
            c
            for c in peer.connections
            if theirs & _parsed(c.remote_addrs) or (c.remote_id and c.remote_id in their_ids)
        ]
        sas = [
            sa
            for sa in peer.ike_sas
            if theirs & _parsed([sa.remote_addr]) or (sa.remote_id and sa.remote_id in their_ids)
        ]
        mine_addresses = theirs | _parsed(a for c in conns for a in c.remote_addrs)
        mine_addresses |= _parsed(sa.remote_addr for sa in sas)
        mine_names = _names(conns, sas)
        if not mine_addresses and not mine_names:
            return None
        configured = [ch for c in (*conns, *other.connections) for ch in c.children]
        installed = [ch for sa in sas for ch in sa.child_sas]
        selectors = [ts for ch in configured for ts in (*ch.local_ts, *ch.remote_ts)]
        selectors += [ts for ch in installed for ts in (*ch.local_ts, *ch.remote_ts)]
        mine_keys = _keys(sas)
        return cls(
            mine_names=mine_names,
            mine_keys=mine_keys,
            mine_addresses=frozenset(mine_addresses),
            other_names=_names(peer.connections, peer.ike_sas) - mine_names,
            other_keys=_keys(peer.ike_sas) - mine_keys,
            own=frozenset(_addresses_of(peer) - mine_addresses),
            selectors=tuple(n for n in networks(selectors) if n.prefixlen >= n.max_prefixlen // 4),
        )

    def others_lines(self, index: _LogIndex) -> set[int]:
        """The positions of the lines that name another tunnel and not this one; then the
        lines of an IKE SA id whose named lines all name another tunnel."""
        mine = index.lines(
            self.mine_names, self.mine_keys, self.mine_addresses if self.by_address else ()
        )
        foreign = [address for address in index.addresses if self._foreign(address)]
        theirs = index.lines(self.other_names, self.other_keys, foreign) - mine
        for group in index.ids.values():
            if group & theirs and not group & mine:
                theirs |= group
        return theirs

    def _foreign(self, address: Address) -> bool:
        """An address that is a peer of another tunnel: not this tunnel's, not the device's
        own, not inside this tunnel's selectors, and not a mask or a special address."""
        if address in self.mine_addresses or address in self.own or _special(address):
            return False
        return not any(address.version == net.version and address in net for net in self.selectors)


def _remote_peers(peer: PeerModel) -> set[Address]:
    """The remote peers the device's connections and SAs name."""
    return _parsed(a for c in peer.connections for a in c.remote_addrs) | _parsed(
        sa.remote_addr for sa in peer.ike_sas
    )


def _addresses_of(peer: PeerModel) -> set[Address]:
    """A peer's own addresses: its interfaces, SAs and connections, and the host it is
    reached at."""
    found = _parsed(a.split("/")[0] for a in peer.addresses)
    found |= _parsed(sa.local_addr for sa in peer.ike_sas)
    found |= _parsed(a for c in peer.connections for a in c.local_addrs)
    return found | _parsed([peer.host])


def _names(connections: Sequence[Connection], sas: Sequence[IkeSa]) -> frozenset[str]:
    """The connections' and SAs' names, and their children's."""
    names: set[str | None] = {c.name for c in connections}
    names |= {ch.name for c in connections for ch in c.children}
    names |= {sa.name for sa in sas} | {ch.name for sa in sas for ch in sa.child_sas}
    return frozenset(name for name in names if name)


def _keys(sas: Sequence[IkeSa]) -> frozenset[str]:
    """The SAs' ids and SPIs, and their children's."""
    keys = {k for sa in sas for k in (sa.unique_id, sa.spi_i, sa.spi_r)}
    keys |= {k for sa in sas for ch in sa.child_sas for k in (ch.unique_id, ch.spi_in, ch.spi_out)}
    return frozenset(_key(k) for k in keys if k) - {""}


def _key(text: str) -> str:
    return text.strip().lstrip("#").lower().removeprefix("0x")


def _parsed(texts: Iterable[str | None]) -> set[Address]:
    return {address for text in texts if text for address in _address(text.strip())}


@functools.lru_cache(maxsize=65536)
def _address(text: str) -> tuple[Address, ...]:
    try:
        return (ipaddress.ip_address(text),)
    except ValueError:
        return ()


def _special(address: Address) -> bool:
    if address.is_unspecified or address.is_loopback or address.is_multicast:
        return True
    if address.is_link_local:
        return True
    value = int(address)
    inverted = ~value & (2**address.max_prefixlen - 1)
    return address.version == 4 and value >> 31 == 1 and inverted & (inverted + 1) == 0


_INDEXES: dict[int, tuple[tuple[LogEvent, ...], _LogIndex]] = {}


def _index_of(log: tuple[LogEvent, ...]) -> _LogIndex:
    """The log's index, made once per log (by the identity of its tuple, which is
    immutable): a hub's log serves all its tunnels."""
    cached = _INDEXES.get(id(log))
    if cached is not None and cached[0] is log:
        return cached[1]
    index = _LogIndex({}, {}, {}, {})
    for at, event in enumerate(log):
        message = event.message
        names = {event.sa_name} if event.sa_name else set()
        names.update(_QUOTED.findall(message), _BRACKETED.findall(message))
        keys = {_key(event.sa_id)} if event.sa_id else set()
        keys.update(_HEX_KEY.findall(message.lower()), _SERIAL.findall(message))
        packet = event.packet
        found = [packet.source, packet.destination] if packet else []
        for name in names:
            index.names.setdefault(name, set()).add(at)
        for key in keys:
            index.keys.setdefault(key, set()).add(at)
        for address in _parsed(_addresses_in(message, found)):
            index.addresses.setdefault(address, set()).add(at)
        if event.sa_id:
            index.ids.setdefault(event.sa_id, set()).add(at)
    if len(_INDEXES) >= _KEEP_CACHE:
        _INDEXES.clear()
    _INDEXES[id(log)] = (log, index)
    return index


def _addresses_in(message: str, found: list[str | None]) -> Iterator[str | None]:
    yield from found
    yield from _IPV4.findall(message)
    if message.count(":") >= 2:
        yield from _IPV6.findall(message)
