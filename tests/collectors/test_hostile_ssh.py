"""Hostile peers over real SSH (the session's sshd on 127.0.0.1): a command that floods
output, a TCP port that accepts and never speaks, a closed port.

The flood is `yes`, allowed only by a test platform defined here; nothing is made up: what
is checked is what the real sshd and shell send.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sshd_server import SshServer, free_port, inventory_peer, peer_config

from ipsec_tui.collectors.ssh import collect_peer
from ipsec_tui.platforms import PlatformSpec

FLOOD = PlatformSpec.from_dict(
    {
        "name": "floodlinux",
        "device_type": "linux",
        "shell": "posix",
        "login_commands": ["", ""],
        "facts": {"flood": ["yes"], "after": ["echo after-the-flood"]},
    }
)


def seconds(started: str | None, finished: str | None) -> float:
    assert started is not None and finished is not None
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # noqa: E731
    return (parse(finished) - parse(started)).total_seconds()


def test_a_flooding_command_stops_at_its_own_timeout_and_the_session_goes_on(
    sshd: SshServer,
) -> None:
    timeout = 3.0
    started = time.monotonic()
    capture = collect_peer(
        peer_config(sshd, command_timeout=timeout), FLOOD, max_output_chars=50_000_000
    )
    assert time.monotonic() - started < 30  # connect, the flood, the resync, one more command
    assert capture.error is None, capture.error
    flood, after = capture.commands
    assert flood.error is not None and flood.error.startswith("timed out after 3 s")
    assert "partial output" in flood.error
    # the bound holds for the whole read: the timeout, then at most the resync's wait
    assert seconds(flood.started_at, flood.finished_at) < timeout + 7
    partial = capture.output_of(flood) or ""
    assert partial.startswith("y\ny\ny\n") and set(partial) <= {"y", "\n"}
    assert after.ok and (capture.output_of(after) or "").strip() == "after-the-flood"


def test_a_flooding_command_is_cut_at_the_output_limit(sshd: SshServer) -> None:
    limit = 200_000
    capture = collect_peer(peer_config(sshd, command_timeout=30), FLOOD, max_output_chars=limit)
    flood, after = capture.commands
    assert flood.error is not None
    assert flood.error.startswith(f"stopped after {limit} characters (output limit)")
    assert seconds(flood.started_at, flood.finished_at) < 15  # long before its 30 s timeout
    partial = capture.output_of(flood) or ""
    assert 0 < len(partial) <= limit and partial.startswith("y\n")
    assert after.ok and (capture.output_of(after) or "").strip() == "after-the-flood"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


def test_a_silent_and_a_closed_port_give_one_line_each_and_no_traceback(
    sshd: SshServer, silent_port: int, tmp_path: Path
) -> None:
    peer = inventory_peer(sshd, timeout=2, command_timeout=5)
    inventory = tmp_path / "inventory.yml"
    peers = {"siteA": {**peer, "port": silent_port}, "siteB": {**peer, "port": free_port()}}
    inventory.write_text(yaml.safe_dump({"tunnels": {"t": {"peers": peers}}}))
    # paramiko's transport thread logs the banner failure after the peer has failed: wait
    # for every thread to end before exiting, so nothing it prints is cut off
    code = (
        "import sys, threading\n"
        "from ipsec_tui.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "for thread in threading.enumerate():\n"
        "    if thread is not threading.main_thread():\n"
        "        thread.join(timeout=20)\n"
        "sys.exit(status)\n"
    )
    argv = ["collect", "-i", str(inventory), "-o", str(tmp_path / "capture")]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120
    )
    assert time.monotonic() - started < 60
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout
    problems = [line for line in done.stdout.splitlines() if line.strip().startswith("!")]
    assert len(problems) == 2, done.stdout
    # which of paramiko's errors ends the wait depends on timing; either says what happened
    assert problems[0].strip().startswith("! siteA: siteA:")
    assert "no SSH handshake followed" in problems[0] or "timed out" in problems[0]
    assert problems[1].strip().startswith("! siteB: siteB: cannot reach 127.0.0.1:")
