"""An emulated hub with spokes: an IOS hub and one spoke per tunnel (Junos, FortiOS, ASA and
PAN-OS in turn), each a FakeNOS server of its own on 127.0.0.1 (tests/vendors/emulated.py),
all with one account password. Used by tests/fleet and benchmarks/test_fleet.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.vendors.emulated import EmulatedDevice, emulate

SPOKE_PLATFORMS = ("juniper_junos", "fortinet", "cisco_asa", "paloalto_panos")


class DevicePool:
    """An emulated hub and spokes started on demand: ``take(n)`` is the hub and n spokes."""

    def __init__(self, stack: contextlib.ExitStack, folder: Path, password: str) -> None:
        self.stack, self.folder, self.password = stack, folder, password
        self.devices = [
            stack.enter_context(emulate("cisco_ios", folder / "hub", password=password))
        ]

    def take(self, spokes: int) -> list[EmulatedDevice]:
        while len(self.devices) <= spokes:
            n = len(self.devices) - 1
            spoke = emulate(
                SPOKE_PLATFORMS[n % 4], self.folder / f"spoke{n}", password=self.password
            )
            self.devices.append(self.stack.enter_context(spoke))
        return self.devices[: spokes + 1]


@contextlib.contextmanager
def hub_and_spokes(folder: Path, spokes: int, password: str) -> Iterator[list[EmulatedDevice]]:
    """The hub first, then ``spokes`` spokes, running until the block ends."""
    with device_pool(folder, password) as pool:
        yield pool.take(spokes)


@contextlib.contextmanager
def device_pool(folder: Path, password: str) -> Iterator[DevicePool]:
    """A pool that starts devices as they are asked for, all stopped when the block ends."""
    with contextlib.ExitStack() as stack:
        yield DevicePool(stack, folder, password)
