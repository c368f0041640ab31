"""Running commands for the lab: in the root namespace, a gateway's namespaces or a LAN host."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

from ipsec_tui.errors import UserError


class LabCommandFailed(UserError):
    """A lab set-up command failed; the message carries the command and its stderr."""


def run(
    argv: Sequence[str], *, check: bool = True, timeout: float = 30.0, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input_text,
            check=False,
        )
    except FileNotFoundError as exc:
        raise LabCommandFailed(f"{argv[0]} is not installed (run `ipsec-tui lab deps`)") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabCommandFailed(f"timed out after {timeout:.0f}s: {shlex.join(argv)}") from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise LabCommandFailed(f"`{shlex.join(argv)}` failed ({proc.returncode}): {detail}")
    return proc


def in_netns(netns: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv]


def in_gateway(holder_pid: int, argv: Sequence[str]) -> list[str]:
    """A command inside a gateway's network, mount and UTS namespaces."""
    return ["nsenter", "-t", str(holder_pid), "-m", "-u", "-n", "--", *argv]
