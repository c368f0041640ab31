"""A watch of one tunnel among several between the same two devices reads that tunnel only.

The samples are the lab's twelve-tunnel capture (tests/data/captures/strongswan/
tunnels12-three-faults, see its SOURCES.md), taken twice: each gateway serves twelve
connections to the same remote peer, so only the inventory's ``connection`` (recorded in
peer.yml) tells them apart, as it does for the checks (tests/checks/test_connection_scope.py).
"""

from __future__ import annotations

import dataclasses
from functools import cache

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.watch import build_watch, sample_of
from tests.conftest import CAPTURES

TWELVE = CAPTURES / "strongswan" / "tunnels12-three-faults"


@cache
def _captures() -> tuple[PeerCapture, ...]:
    return tuple(read_capture(TWELVE))


def _on(connection: str | None) -> list[PeerCapture]:
    return [dataclasses.replace(c, connection=connection) for c in _captures()]


def _children(connection: str | None) -> list[list[str | None]]:
    sample = sample_of(1, _on(connection), "2026-01-01T00:00:00Z")
    return [
        [child.name for sa in peer.model.ike_sas for child in sa.child_sas]
        for peer in sample.peers
        if peer.model is not None
    ]


def test_each_peer_of_a_sample_holds_only_its_connections_child_sas() -> None:
    assert _children("lab5") == [["lab5-lan"], ["lab5-lan"]]


def test_without_a_connection_the_sample_holds_every_tunnels_child_sas() -> None:
    """Older inventories: the whole gateway, the gap the field closes."""
    assert all(len(children) > 5 for children in _children(None))


def _events(connection: str | None) -> list[str]:
    captures = _on(connection)
    taken = ("2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z")
    samples = [sample_of(i + 1, captures, at) for i, at in enumerate(taken)]
    return [f"{event.subject}: {event.detail}" for event in build_watch("lab5", samples).events]


def test_the_watch_events_are_the_connections_own() -> None:
    """The SAs the first sample finds up are lab5's alone, on both sides."""
    scoped = _events("lab5")
    assert (
        scoped
        == [
            "lab5: IKE SA established",
            "lab5/lab5-lan: child SA installed",
        ]
        * 2
    )
    assert len(_events(None)) > len(scoped) * 5  # every tunnel's, unscoped
