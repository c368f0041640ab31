"""Fixtures for the cockpit tests: a real sshd on 127.0.0.1 (tests/collectors' server),
harmless test platforms and tunnels (the helpers that drive the app are in driving.py)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ipsec_tui.collectors.inventory import PeerConfig, Tunnel
from ipsec_tui.platforms import PlatformSpec
from tests.collectors.sshd_server import SshServer, free_port, peer_config, start_sshd

from .driving import wait_for as wait_for  # tests/fleet and others wait the same way


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests in a fresh event loop (the project has no pytest-asyncio)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A real OpenSSH server on 127.0.0.1 for the whole session, stopped by its PID."""
    yield from start_sshd(tmp_path_factory.mktemp("ui-sshd"))


def harmless_spec(*commands: str) -> PlatformSpec:
    """A Linux platform named like a shipped one (so its captures parse as that platform),
    whose only commands are harmless ones: `uname -a`, `sleep N`, `echo ...`."""
    facts: dict[str, Any] = {f"fact{i}": [command] for i, command in enumerate(commands)}
    return PlatformSpec.from_dict(
        {
            "name": "strongswan",
            "device_type": "linux",
            "shell": "posix",
            "login_commands": ["", ""],
            "facts": facts,
        }
    )


def peer_of(server: SshServer, name: str, **changes: Any) -> PeerConfig:
    return peer_config(server, name, **{"platform": "strongswan", "command_timeout": 15, **changes})


def tunnel_to_nowhere(server: SshServer) -> Tunnel:
    """siteA is the real sshd; siteB points at a closed port on 127.0.0.1."""
    return Tunnel("t", (peer_of(server, "siteA"), peer_of(server, "siteB", port=free_port())))


def password_tunnel(server: SshServer) -> Tunnel:
    """Both peers log in by password, which the test sshd refuses (it accepts keys only);
    siteB points at a closed port on 127.0.0.1."""
    peer_a = peer_of(server, "siteA", auth="password", key_file=None, timeout=5)
    return Tunnel("t", (peer_a, replace(peer_a, name="siteB", port=free_port())))


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "collections"
    folder.mkdir()
    return folder
