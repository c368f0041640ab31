"""A real OpenSSH server on 127.0.0.1 for the collector tests (no mocks of Netmiko).

One sshd per test session, on a free high port, with a generated ed25519 host key and an
authorized ed25519 client key for the current user; ``-D -e -f <config>`` in a temporary
folder, stopped by its PID at the end. Tests skip with a reason when sshd is not installed.
The ``sshd`` fixture (conftest.py) calls :func:`start_sshd`.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ipsec_tui.collectors.inventory import PeerConfig

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"


@dataclass(frozen=True)
class SshServer:
    """The running test sshd and the files a client needs."""

    host: str
    port: int
    username: str
    folder: Path
    host_key_pub: Path
    client_key: Path
    known_hosts: Path  # holds the right host key for [host]:port
    log: Path

    @property
    def host_key_type(self) -> str:
        return self.host_key_pub.read_text().split()[0]

    @property
    def fingerprint(self) -> str:
        """SHA256 fingerprint of the host key, as ssh-keygen -l prints it."""
        out = subprocess.run(
            [SSH_KEYGEN, "-l", "-E", "sha256", "-f", str(self.host_key_pub)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.split()[1]

    def logins(self) -> int:
        """How many logins sshd accepted so far."""
        return self.log.read_text(errors="replace").count("Accepted publickey")


def peer_config(server: SshServer, name: str = "siteA", **changes: Any) -> PeerConfig:
    """An inventory peer logging in to this test server with its key, host key verified."""
    fields: dict[str, Any] = {
        "name": name, "host": server.host, "platform": "testlinux",
        "username": server.username, "port": server.port, "auth": "key",
        "key_file": server.client_key, "known_hosts": server.known_hosts, "timeout": 10,
        "command_timeout": 10,
    }  # fmt: skip
    fields.update(changes)
    return PeerConfig(**fields)


def inventory_peer(server: SshServer, **changes: Any) -> dict[str, Any]:
    """The same login as a peer entry of an inventory YAML (strongSwan commands)."""
    return {
        "host": server.host, "port": server.port, "platform": "strongswan",
        "username": server.username, "auth": "key", "key_file": str(server.client_key),
        "known_hosts": str(server.known_hosts), "timeout": 10, "command_timeout": 10,
        **changes,
    }  # fmt: skip


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def keygen(path: Path) -> Path:
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "ipsec-tui-test", "-f", str(path)],
        check=True,
    )
    return path


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sshd exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"sshd did not listen on port {port}:\n{log.read_text()}")


def start_sshd(folder: Path) -> Iterator[SshServer]:
    """Run sshd in ``folder`` until the generator is closed; skip if it cannot run here."""
    if not Path(SSHD).is_file():
        pytest.skip(f"OpenSSH server not installed ({SSHD}); apt-get install openssh-server")
    if not Path(SSH_KEYGEN).is_file():
        pytest.skip("ssh-keygen not installed")
    try:
        # sshd needs its privilege-separation directory even with UsePAM no.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    except OSError as exc:
        pytest.skip(f"cannot create /run/sshd for sshd: {exc}")
    host_key = keygen(folder / "ssh_host_ed25519_key")
    client_key = keygen(folder / "id_ed25519")
    authorized = folder / "authorized_keys"
    shutil.copy(client_key.with_suffix(".pub"), authorized)
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"AuthorizedKeysFile {authorized}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "PidFile none",
                "PermitRootLogin prohibit-password",
                "AllowTcpForwarding yes",
                "PrintMotd no",
                "PrintLastLog no",
                "LogLevel VERBOSE",
                "",
            ]
        )
    )
    log = folder / "sshd.log"
    with open(log, "wb") as log_stream:
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=log_stream, stderr=subprocess.STDOUT
        )
    try:
        _wait_listening(port, process, log)
        host_key_pub = host_key.with_suffix(".pub")
        key_type, key_data = host_key_pub.read_text().split()[:2]
        known_hosts = folder / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {key_type} {key_data}\n")
        yield SshServer(
            host="127.0.0.1",
            port=port,
            username=getpass.getuser(),
            folder=folder,
            host_key_pub=host_key_pub,
            client_key=client_key,
            known_hosts=known_hosts,
            log=log,
        )
    finally:
        if process.poll() is None:
            os.kill(process.pid, 15)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, 9)
                process.wait()
