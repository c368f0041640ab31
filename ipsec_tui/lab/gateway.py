"""A gateway's own namespaces: network (from `ip netns`), plus mount and UTS held open by a
small holder process, so /etc/swanctl, /var/log and /run are per gateway and plain commands
work over SSH as on a real box."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from ipsec_tui.lab.shell import LabCommandFailed, in_gateway, run

READY_TIMEOUT_S = 10.0


def start_holder(netns: str, hostname: str, mounts: Sequence[str], ready_file: Path) -> int:
    """Start the process that owns the gateway's mount and UTS namespaces; return its PID.

    `mounts` are shell lines (binds and overlays from the lab folder). /run becomes a
    fresh tmpfs so daemons' sockets and PID files never collide between gateways.
    """
    lines = ["set -e", f"hostname {hostname}"]
    lines += mounts
    lines += [
        "mount -t tmpfs -o mode=0755 tmpfs /run",
        "mkdir -p /run/sshd /run/pluto",
        "chmod 0755 /run/sshd",
        f"touch '{ready_file}'",
        "exec sleep infinity",
    ]
    ready_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            netns,
            "unshare",
            "--mount",
            "--uts",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            "\n".join(lines),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready_file.exists():
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise LabCommandFailed(f"gateway {hostname}: namespace set-up failed: {err.strip()}")
        if time.monotonic() > deadline:
            kill_pids([proc.pid])
            raise LabCommandFailed(f"gateway {hostname}: namespace set-up timed out")
        time.sleep(0.01)
    return proc.pid


def spawn(holder_pid: int, argv: Sequence[str], log_path: Path) -> int:
    """Start a long-running daemon inside the gateway; return its PID."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            in_gateway(holder_pid, argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc.pid


def gw_run(
    holder_pid: int, argv: Sequence[str], *, check: bool = True, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    return run(in_gateway(holder_pid, argv), check=check, timeout=timeout)


def gw_path(holder_pid: int, path: str) -> Path:
    """A path as the gateway sees it, reachable from the root namespace through /proc."""
    return Path(f"/proc/{holder_pid}/root") / path.lstrip("/")


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise LabCommandFailed(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours is not alive
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(live: list[int], grace_s: float) -> list[int]:
    """Wait (bounded) until the processes are gone, reaping any child of this process; return
    those still alive."""
    deadline = time.monotonic() + grace_s
    while live and time.monotonic() < deadline:
        for pid in live:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        live = [p for p in live if alive(p)]
        if live:
            time.sleep(0.02)
    return live


def kill_pids(pids: Sequence[int], grace_s: float = 2.0) -> None:
    """TERM, then KILL what is left: only the PIDs given, which the lab started."""
    live = [p for p in pids if p > 1 and alive(p)]
    # after KILL too, return only when they are gone: a killed process lingers while the
    # kernel tears it down
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        live = _wait_gone(live, grace_s)
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), None when there is no such process:
    with its PID it names one process, also after the PID is reused."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def start_helper(argv: Sequence[str]) -> list[int]:
    """Start a self-terminating helper in the root namespace; return [PID, start time]."""
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return [proc.pid, start_time(proc.pid) or 0]


def live_helpers(helpers: Sequence[Sequence[int]]) -> list[int]:
    """The PIDs of recorded helpers ([PID, start time]) that still run as those processes."""
    return [pid for pid, started in helpers if alive(pid) and start_time(pid) == started]


def wait_reaped(pids: Sequence[int], timeout_s: float = 5.0) -> list[int]:
    """Wait until exited processes have left the process table; return those still in it.

    A daemon whose starter has exited is a child of init, which reaps it when it next looks
    (about a second on some systems): until then it shows in `ps` as a zombie."""
    deadline = time.monotonic() + timeout_s
    left = [p for p in pids if p > 1]
    while left:
        for pid in left:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        left = [p for p in left if Path(f"/proc/{p}").exists()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return left
