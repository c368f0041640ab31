"""Fleets from recorded outputs, for the fleet's tests, its benchmark and the fleet screen's
screenshot (scripts/screenshots.py imports this: no pytest here).

:func:`recorded_fleet` is triaged from the lab's recorded captures: eight tunnels, a hub
whose PSK changed (the lab's psk fault is on siteB; here siteB is the hub, so its four
spokes fail alike and the hub is the likely common root), a pair whose UDP 500/4500 is
blocked, a pair whose selectors do not mirror, and two healthy pairs. Each pair of gateways
is a pair of devices of its own; the hub is one device for its four tunnels. The fleet is
checked three minutes after the last recorded collection, so the age column says the same
on every run.

:func:`recorded_device` is an emulated device's recorded outputs as a capture.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import parse_inventory
from ipsec_tui.domain.capture import CommandRecord, PeerCapture, parse_utc, slug
from ipsec_tui.fleet import FleetResult, plan_fleet, triage

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures" / "strongswan"
HUB_SPOKES = ("dc-east-01", "dc-east-02", "dc-east-03", "dc-east-04")
# the emulated fleet's ASA, as a hub: it is 2.2.2.2 (`Local:` in its log), and its log names
# the peers 2.3.4.5 (giving up on it) and 1.1.1.1 (failing to authenticate it)
HUB_HOST = "2.2.2.2"
SPOKES = {"t03": "2.3.4.5", "t07": "1.1.1.1"}
PAIRS = {"branch-ams": "udp-blocked", "branch-lis": "ts", "branch-osl": "baseline",
         "branch-rix": "baseline"}  # fmt: skip


def recorded_fleet() -> FleetResult:
    """The eight tunnels triaged (see the module's docstring)."""
    tunnels: dict[str, object] = {
        name: {"peers": {name: {"host": f"198.51.100.{20 + n}"},
                         "hub-1": {"host": "203.0.113.100"}}}
        for n, name in enumerate(HUB_SPOKES)
    }  # fmt: skip
    for n, name in enumerate(PAIRS):
        tunnels[name] = {"peers": {f"{name}-a": {"host": f"198.51.100.{40 + n}"},
                                   f"{name}-b": {"host": f"203.0.113.{40 + n}"}}}  # fmt: skip
    data = {"defaults": {"username": "root", "platform": "strongswan"}, "tunnels": tunnels}
    plan = plan_fleet(parse_inventory(data, Path("inventory.yml")).tunnels.values())
    captures: dict[str, PeerCapture] = {}
    spoke, hub = read_capture(CAPTURES / "psk")
    captures["hub-1"] = hub
    captures.update({name: spoke for name in HUB_SPOKES})
    for name, scenario in PAIRS.items():
        captures.update(zip(plan.devices_of(name), read_capture(CAPTURES / scenario), strict=True))
    stamps = [parse_utc(c.collected_at) for c in captures.values() if c.collected_at]
    last = max(stamp for stamp in stamps if stamp is not None)
    return triage(plan, captures, now=last + timedelta(minutes=3))


def recorded_device(platform: str, name: str, host: str) -> PeerCapture:
    """An emulated device's recorded outputs (tests/vendors/emulated.py) as the capture of
    ``name`` reached at ``host``: what collecting it over SSH records, without the SSH."""
    from tests.vendors.emulated import recorded_outputs

    outputs = recorded_outputs(platform)
    records = tuple(CommandRecord(command, file=f"{slug(command)}.txt") for command in outputs)
    return PeerCapture(
        name=name, platform=platform, host=host, commands=records,
        outputs={f"{slug(command)}.txt": text for command, text in outputs.items()},
    )  # fmt: skip
