"""Selector containment and the per-config lookups the children checks make, held to the plain
algorithms they replace.

`covers` and `ts_covers` read each selector once into integer spans; the reference below
builds ipaddress networks and asks `subnet_of`, as the checks did. Both run on generated
selectors (IPv4 and IPv6, host and wide prefixes, ports, `dynamic`, junk) and must agree on
every pair. The installed child SA of a configured child, and the configured child of an
installed SA, are found through name indexes built once per peer: the first of a name wins,
and a name no one has falls back to the selectors, as a scan of every SA found them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from ipsec_tui.checks.children import narrowing
from ipsec_tui.checks.pair import Pair, _network, covers, installed_towards, ts_covers
from ipsec_tui.domain.model import ChildConfig, ChildSa, Connection, IkeSa, PeerModel, Status

# --- the reference: ipaddress objects, as the checks computed containment before -------------


def _ref_network(selector: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    return _network(selector.split("[", 1)[0].strip())  # the checks' own parse, ports cut


def _ref_covers(outer: Iterable[str], inner: Iterable[str]) -> bool:
    outs = [n for n in map(_ref_network, outer) if n is not None]
    ins = [n for n in map(_ref_network, inner) if n is not None]
    return bool(ins) and all(
        any(n.version == o.version and n.subnet_of(o) for o in outs)  # type: ignore[arg-type]
        for n in ins
    )


def _ref_ports(selector: str) -> str:
    if "[" not in selector or "]" not in selector.split("[", 1)[1]:
        return ""
    return selector.split("[", 1)[1].split("]", 1)[0].strip()


def _ref_ts_covers(outer: Iterable[str], inner: Iterable[str]) -> bool:
    outs = [(s.split("[", 1)[0].strip(), _ref_ports(s)) for s in outer]
    ins = [(s.split("[", 1)[0].strip(), _ref_ports(s)) for s in inner]
    if not ins or not outs:
        return False
    return all(
        any(
            _ref_covers([o_net], [net]) and (not o_ports or o_ports in ("0/0", ports))
            for o_net, o_ports in outs
        )
        for net, ports in ins
    )


# --- generated selectors -----------------------------------------------------------------------

_V4 = st.builds(
    lambda a, b, p: f"10.{a}.{b}.0/{p}",
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from([8, 16, 22, 24, 25, 32]),
)
_V6 = st.builds(
    lambda a, p: f"fd00:{a}::/{p}", st.integers(0, 3), st.sampled_from([16, 32, 48, 64, 128])
)
_ODD = st.sampled_from(
    ["dynamic", "%any", "", "0.0.0.0/0", "::/0", "10.1.0.5", "not-a-net", "10.1.0.0/33"]
)
_PORTS = st.sampled_from(["", "[tcp/443]", "[udp/53]", "[0/0]", "[tcp]", "[ tcp/443 ]"])
SELECTOR = st.builds(lambda net, ports: net + ports, st.one_of(_V4, _V6, _ODD), _PORTS)
SELECTORS = st.lists(SELECTOR, max_size=3)


@settings(max_examples=400, deadline=None)
@given(outer=SELECTORS, inner=SELECTORS)
def test_covers_agrees_with_ipaddress(outer: list[str], inner: list[str]) -> None:
    assert covers(outer, inner) == _ref_covers(outer, inner)


@settings(max_examples=400, deadline=None)
@given(outer=SELECTORS, inner=SELECTORS)
def test_ts_covers_agrees_with_ipaddress(outer: list[str], inner: list[str]) -> None:
    assert ts_covers(outer, inner) == _ref_ts_covers(outer, inner)


def test_containment_edges() -> None:
    assert covers(["10.0.0.0/8"], ["10.2.3.0/24"])
    assert not covers(["10.2.3.0/24"], ["10.0.0.0/8"])
    assert not covers(["::/0"], ["10.2.3.0/24"])  # another version is never inside
    assert covers(["0.0.0.0/0"], ["10.2.3.4"])
    assert not covers(["10.0.0.0/8"], ["dynamic"])
    assert not ts_covers(["10.0.0.0/8"], ["dynamic"])
    assert not ts_covers(["dynamic"], ["10.2.0.0/24"])


# --- the lookups by name, then by selectors ------------------------------------------------------

A_WAN, B_WAN = "203.0.113.1", "203.0.113.2"


def _sa(name: str, local: str, remote: str, state: str = "INSTALLED") -> ChildSa:
    return ChildSa(name=name, state=state, local_ts=(local,), remote_ts=(remote,))


def _peer(name: str, children: tuple[ChildSa, ...], configs: tuple[ChildConfig, ...]) -> PeerModel:
    mine, theirs = (A_WAN, B_WAN) if name == "siteA" else (B_WAN, A_WAN)
    return PeerModel(
        name=name,
        platform="strongswan",
        ike_sas=(
            IkeSa(
                name="hub",
                state="ESTABLISHED",
                local_addr=mine,
                remote_addr=theirs,
                child_sas=children,
            ),
        ),
        connections=(
            Connection(name="hub", local_addrs=(mine,), remote_addrs=(theirs,), children=configs),
        ),
    )


def _reference_installed_for(peer: PeerModel, config: ChildConfig) -> ChildSa | None:
    installed = [
        c for sa in peer.ike_sas for c in sa.child_sas if c.state in ("INSTALLED", "ESTABLISHED")
    ]
    named = [c for c in installed if c.name == config.name]
    if named:
        return named[0]
    return next(
        (
            c
            for c in installed
            if ts_covers(config.local_ts, c.local_ts) and ts_covers(config.remote_ts, c.remote_ts)
        ),
        None,
    )


def test_installed_child_found_by_first_name_then_by_selectors() -> None:
    children = (
        _sa("lan", "10.1.0.0/24", "10.2.0.0/24", state="REKEYED"),  # not installed: skipped
        _sa("lan", "10.1.0.0/25", "10.2.0.0/25"),
        _sa("lan", "10.1.0.128/25", "10.2.0.128/25"),  # a second of the name: the first wins
        _sa("other", "10.9.1.0/24", "10.8.1.0/24"),
        _sa("wide", "10.9.0.0/24", "10.8.0.0/24"),
    )
    configs = (
        ChildConfig("lan", ("10.1.0.0/24",), ("10.2.0.0/24",)),
        ChildConfig("renamed", ("10.9.0.0/16",), ("10.8.0.0/16",)),  # by selectors: "other"
        ChildConfig("absent", ("172.16.0.0/24",), ("172.17.0.0/24",)),
    )
    a = _peer("siteA", children, configs)
    b = _peer("siteB", (), ())
    index = installed_towards(a, b)
    found = [index.of(config) for config in configs]
    assert found == [children[1], children[3], None]
    assert found == [_reference_installed_for(a, config) for config in configs]
    assert index.of(None) is None


def test_narrowing_names_the_first_config_of_a_name() -> None:
    """The SA `lan` was narrowed against the first config called `lan` (a /16); the second
    of the name (the SA's own /24) is not the one compared, as before the index."""
    a = _peer(
        "siteA",
        (_sa("lan", "10.1.0.0/24", "10.2.0.0/24"),),
        (
            ChildConfig("lan", ("10.1.0.0/16",), ("10.2.0.0/16",)),
            ChildConfig("lan", ("10.1.0.0/24",), ("10.2.0.0/24",)),
        ),
    )
    b = _peer("siteB", (_sa("lan", "10.2.0.0/24", "10.1.0.0/24"),), ())
    finding = narrowing(Pair(a, b))
    assert finding.status == Status.FAIL
    assert "child lan" in finding.title and "10.1.0.0/16" in finding.title
    # a config of another name whose selectors hold the SA's is found when no name matches
    a2 = _peer(
        "siteA",
        (_sa("lan7", "10.1.0.0/24", "10.2.0.0/24"),),
        (
            ChildConfig("elsewhere", ("172.16.0.0/16",), ("172.17.0.0/16",)),
            ChildConfig("wide", ("10.1.0.0/16",), ("10.2.0.0/16",)),
        ),
    )
    finding = narrowing(Pair(a2, b))
    assert finding.status == Status.FAIL
    assert "child wide" in finding.title
