"""Fixtures for the collector tests: a real OpenSSH server (see sshd_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sshd_server import SshServer, start_sshd


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """One real sshd on 127.0.0.1 for the whole session, stopped by PID at the end."""
    yield from start_sshd(tmp_path_factory.mktemp("sshd"))
