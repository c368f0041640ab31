"""The probe tests the tunnel it was asked for, on a device that carries several.

The models are the lab's twelve-tunnel capture (tests/data/captures/strongswan/
tunnels12-three-faults, see its SOURCES.md): both gateways serve twelve connections to each
other, `labN` with the LANs 10.1.10N.0/24 <-> 10.2.10N.0/24 (`lab` with 10.1.0.0/24).
"""

from __future__ import annotations

import dataclasses
from functools import cache

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.model import PeerModel
from ipsec_tui.parsers.base import parse_peer
from ipsec_tui.probe import ProbePlan, plan_probe
from tests.conftest import CAPTURES

TWELVE = CAPTURES / "strongswan" / "tunnels12-three-faults"


@cache
def _models() -> tuple[PeerModel, ...]:
    return tuple(parse_peer(capture) for capture in read_capture(TWELVE))


def _plan(connection_a: str | None, connection_b: str | None) -> ProbePlan:
    a, b = _models()
    return plan_probe(
        "t",
        dataclasses.replace(a, connection=connection_a),
        dataclasses.replace(b, connection=connection_b),
    )


def test_the_connection_named_by_the_inventory_is_the_one_probed() -> None:
    plan = _plan("lab5", "lab5")
    assert (plan.a.local_ts, plan.a.remote_ts) == (("10.1.105.0/24",), ("10.2.105.0/24",))
    assert (plan.a.source_addr, plan.a.target) == ("10.1.105.1", "10.2.105.1")
    assert (plan.b.local_ts, plan.b.target) == (("10.2.105.0/24",), "10.1.105.1")


def test_another_connection_is_another_probe() -> None:
    assert _plan("lab5", "lab5").a.local_ts != _plan("lab9", "lab9").a.local_ts
    assert _plan("lab9", "lab9").a.local_ts == ("10.1.109.0/24",)


def test_a_device_with_several_tunnels_probes_the_one_the_other_peer_carries() -> None:
    """SiteA without the field (a hub as older inventories name it), siteB scoped to lab5:
    siteA's child whose selectors mirror siteB's comes first."""
    plan = _plan(None, "lab5")
    assert plan.a.local_ts == ("10.1.105.0/24",)
    assert plan.b.local_ts == ("10.2.105.0/24",)
