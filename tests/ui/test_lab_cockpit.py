"""The cockpit against the real lab (root): collect the healthy baseline live, inject the
psk fault, re-collect by key, and reach the new diagnosis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipsec_tui.lab import core, faults, topology
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.session import StartRequest
from tests.conftest import lab_skip_reason

from .conftest import wait_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab() -> Iterator[core.Lab]:
    reason = lab_skip_reason("strongswan")
    if reason:
        pytest.skip(reason)
    core.down(quiet=True)
    running, _ = core.up("strongswan")
    try:
        yield running
    finally:
        core.down(quiet=True)
    assert core.leftovers() == []


def done(screen: MainScreen) -> bool:
    session = screen.session
    return not screen.state.collecting and session is not None and not session.partial


async def test_live_lab_to_a_psk_diagnosis_and_back(lab: core.Lab, tmp_path: Path) -> None:
    inventory = topology.lab_dir() / "inventory.yml"
    app = CockpitApp(StartRequest(inventory=inventory, tunnel="lab", out_dir=tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.source.live
        await wait_for(pilot, lambda: done(screen), timeout=180)
        session = screen.session
        assert session is not None
        assert [c.error for c in session.captures if c] == [None, None]
        assert session.analysis.diagnosis.cause == "healthy", session.analysis.diagnosis

        # `sudo ipsec-tui lab fault psk`, then r in the cockpit
        await asyncio.to_thread(faults.inject, lab, "psk")
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.state.collecting)
        await wait_for(pilot, lambda: done(screen), timeout=180)
        session = screen.session
        assert session is not None
        diagnosis = session.analysis.diagnosis
        assert (diagnosis.cause, diagnosis.side) == ("psk-mismatch", "siteB"), diagnosis
        assert len(list(tmp_path.iterdir())) == 2  # one capture folder per collection
        # the evidence behind it is on screen: siteB's log, at the MAC mismatch
        await pilot.press("n")
        assert "psk-mismatch" in str(screen.query_one("#banner").render())


async def test_live_probe_from_the_cockpit(lab: core.Lab, tmp_path: Path) -> None:
    """P on a live tunnel logs in to both gateways again, probes, and shows the result; the
    probe's capture goes below the cockpit's folder for collections."""
    from textual.widgets import DataTable

    from ipsec_tui.ui.screens.probe import ProbeScreen

    await asyncio.to_thread(faults.reset, lab)
    inventory = topology.lab_dir() / "inventory.yml"
    app = CockpitApp(StartRequest(inventory=inventory, tunnel="lab", out_dir=tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_for(pilot, lambda: done(screen), timeout=180)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ProbeScreen))
        probe = app.screen
        assert isinstance(probe, ProbeScreen)
        await wait_for(pilot, lambda: probe.probe is not None, timeout=120, what="the probe")
        assert probe.probe is not None
        assert probe.probe.result.verdict.cause == "healthy", probe.probe.result.verdict
        assert probe.query_one("#probe-table", DataTable).row_count == 2
        assert (probe.probe.folder / "probe" / "probe.json").is_file()
        assert probe.probe.folder.parent == tmp_path
