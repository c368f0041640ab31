"""A cloud peer of the inventory, read on this machine: its documents (saved CLI outputs,
downloaded configuration files) and the cloud CLI's read-only commands (`aws ...`, `az ...`,
`gcloud ...`), run here with the user's own CLI login. No cloud SDK, no credentials of ours:
the CLI is a program like any other, started without a shell after the platform's allowlist
admitted the command, bounded in time and output. Nothing is ever sent to a device.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable

from ipsec_tui import __version__
from ipsec_tui.collectors.capture_io import output_file_name
from ipsec_tui.collectors.inventory import PeerConfig
from ipsec_tui.domain.capture import CommandRecord, PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec
from ipsec_tui.yamlfile import MAX_FILE_BYTES, read_regular_text

# What one command may print: a cloud's status of a few tunnels is kilobytes
MAX_OUTPUT_BYTES = 16 * 1024 * 1024

Runner = Callable[[list[str], float], tuple[int, str, str]]


def run_local(argv: list[str], timeout: float) -> tuple[int, str, str]:
    """Run a program (no shell) and return (exit status, stdout, stderr), bounded."""
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: command not found"
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {timeout:g} s"
    out = done.stdout[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace")
    err = done.stderr[:65536].decode("utf-8", errors="replace")
    return done.returncode, out, err


def read_cloud_peer(
    peer: PeerConfig, spec: PlatformSpec, *, runner: Runner = run_local
) -> PeerCapture:
    """The peer's documents and its commands' outputs as a capture (what each document is
    comes from its content, by the platform's `detect` patterns). A document that cannot be
    read or recognised, or a command that fails, is recorded as that command's error; the
    rest is kept."""
    if spec.transport != "files":
        raise UserError(f"{peer.name}: platform {spec.name} is collected over SSH, not read here")
    records: list[CommandRecord] = []
    outputs: dict[str, str] = {}
    for path in peer.documents:
        try:
            text = read_regular_text(path, "document", MAX_FILE_BYTES, follow_links=True)
        except UserError as exc:
            records.append(CommandRecord(command=f"document {path.name}", error=str(exc)))
            continue
        command = spec.detect_command(text)
        if command is None:
            records.append(
                CommandRecord(
                    command=f"document {path.name}",
                    error=f"{path}: not a document {spec.name} reads",
                )
            )
            continue
        file_name = output_file_name(command, outputs)
        outputs[file_name] = text
        records.append(CommandRecord(command=command, file=file_name))
    for command in peer.local_commands:
        canonical = spec.check_allowed(command)  # CommandRefused: never run
        status, out, err = runner(shlex.split(canonical), peer.command_timeout)
        if status != 0:
            reason = (err.strip().splitlines() or [f"exit status {status}"])[-1]
            records.append(CommandRecord(command=canonical, error=reason[:300]))
            continue
        file_name = output_file_name(canonical, outputs)
        outputs[file_name] = out
        records.append(CommandRecord(command=canonical, file=file_name))
    return PeerCapture(
        name=peer.name,
        platform=spec.name,
        commands=tuple(records),
        outputs=outputs,
        tool_version=f"ipsec-tui {__version__} (read from {spec.description or spec.name})",
    )
