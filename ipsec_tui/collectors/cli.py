"""``ipsec-tui collect``: collect a tunnel's two peers over SSH into a capture folder.

Exit status: 0 when both peers were fully collected, 1 when something failed (the capture is
still written, with the errors in each peer.yml), 2 on bad input (inventory, arguments).
Netmiko is imported only inside the handler so that ``ipsec-tui --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ipsec_tui.errors import UserError

if TYPE_CHECKING:
    from ipsec_tui.collectors.run import CollectionResult
    from ipsec_tui.collectors.ssh import ProgressEvent


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``collect`` subcommand."""
    parser = subparsers.add_parser(
        "collect",
        help="collect both peers of a tunnel over SSH into a capture folder",
        description=(
            "Log in to both peers of a tunnel at once (SSH, host keys verified), run the "
            "platform's read-only commands and write a capture folder: "
            "OUT/<peer>/peer.yml plus one .txt per command."
        ),
    )
    parser.add_argument(
        "--inventory", "-i", required=True, type=Path, metavar="FILE",
        help="inventory YAML naming tunnels and their two peers",
    )  # fmt: skip
    parser.add_argument(
        "--tunnel", "-t", metavar="NAME",
        help="tunnel to collect (may be omitted when the inventory has only one)",
    )  # fmt: skip
    parser.add_argument(
        "--out", "-o", required=True, type=Path, metavar="DIR",
        help="capture folder to create (must not exist, or be empty)",
    )  # fmt: skip
    parser.set_defaults(handler=run_collect)


def run_collect(args: argparse.Namespace) -> int:
    """Handler of ``collect``."""
    from ipsec_tui.collectors.inventory import load_inventory

    inventory = load_inventory(args.inventory)
    tunnel = inventory.tunnel(args.tunnel)
    out_dir: Path = args.out
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError(f"{out_dir}: already exists and is not empty; choose a new folder")

    from ipsec_tui.collectors.run import collect_tunnel  # imports netmiko: only now

    lock = threading.Lock()

    def progress(peer: str, index: int, total: int, command: str, event: ProgressEvent) -> None:
        if not sys.stderr.isatty():
            return
        with lock:
            step = f"[{index}/{total}] {command} " if index else ""
            print(f"  {peer}: {step}{event.value}", file=sys.stderr)

    peers = " and ".join(peer.name for peer in tunnel.peers)
    print(f"Collecting tunnel {tunnel.name} from {peers} into {out_dir}", file=sys.stderr)
    result = collect_tunnel(tunnel, out_dir, progress=progress)
    print_result(result)
    return 0 if result.ok else 1


def print_result(result: CollectionResult) -> None:
    """One line per peer (status, commands ok/failed, elapsed, path), then the problems."""
    from ipsec_tui.collectors.run import summary_lines

    for line in summary_lines(result):
        print(line)
