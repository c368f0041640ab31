"""The lab's own life cycle: up, down, crash clean-up, refusals. Runs before the tests that
share a running lab (module name sorts first)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ipsec_tui.errors import UserError
from ipsec_tui.lab import core, topology
from ipsec_tui.lab.gateway import alive

pytestmark = pytest.mark.lab


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipsec_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_up_status_down_leaves_nothing() -> None:
    core.down(quiet=True)
    up = _cli("lab", "up")
    assert up.returncode == 0, up.stderr
    assert "lab up in" in up.stdout
    assert "inventory: " in up.stdout and "next: ipsec-tui collect" in up.stdout
    state = core.LabState.load()
    assert state is not None
    pids = [*state.holders.values(), *(p for ps in state.daemons.values() for p in ps)]
    assert pids and all(alive(p) for p in pids)
    status = _cli("lab", "status")
    assert status.returncode == 0
    assert "ESTABLISHED" in status.stdout and "INSTALLED" in status.stdout
    assert (topology.lab_dir() / "inventory.yml").exists()
    # every process inside the lab's namespaces (charon, pluto, sshd, the daemons' helpers)
    inside = [
        int(pid)
        for ns in core._netns_names()
        for pid in subprocess.run(
            ["ip", "netns", "pids", ns], capture_output=True, text=True, check=False
        ).stdout.split()
    ]
    assert len(inside) > len(state.holders)
    down = _cli("lab", "down")
    assert down.returncode == 0, down.stderr
    assert core.leftovers() == []
    # `down` returns only when what it stopped is gone, not while a daemon is still exiting
    # or still shows in ps as a zombie
    assert not any(alive(p) for p in pids + inside)
    assert not [p for p in pids + inside if os.path.exists(f"/proc/{p}")]
    assert _cli("lab", "status").returncode == 1


def test_down_after_a_crash_mid_up_leaves_nothing() -> None:
    core.down(quiet=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipsec_tui.cli", "lab", "up"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    # kill it once the first daemon runs: namespaces, links, mounts and processes exist
    while time.monotonic() < deadline:
        state = core.LabState.load()
        if state and state.daemons:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = core.LabState.load()
    assert state is not None and state.daemons, "the crash came too late to test anything"
    pids = [*state.holders.values(), *(p for ps in state.daemons.values() for p in ps)]
    assert core.leftovers(), "a crash mid-up leaves something for `down` to clean"
    down = _cli("lab", "down")
    assert down.returncode == 0, down.stderr
    assert core.leftovers() == []
    assert not any(alive(p) for p in pids)


def test_fault_needs_a_running_lab() -> None:
    core.down(quiet=True)
    res = _cli("lab", "fault", "psk")
    assert res.returncode == 2
    assert "the lab is not up" in res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_fault_is_refused_by_name() -> None:
    from ipsec_tui.lab import faults

    with pytest.raises(UserError, match="unknown fault 'bogus'"):
        faults.inject(None, "bogus")  # type: ignore[arg-type]


def test_not_root_gets_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(UserError, match="needs root"):
        core.up()


def test_missing_package_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(core, "_which", lambda cmd: cmd != "swanctl")
    with pytest.raises(UserError, match=r"strongswan-swanctl.*ipsec-tui lab deps"):
        core.require_packages()
