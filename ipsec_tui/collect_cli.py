"""``ipsec-tui collect``: collect a tunnel's two peers over SSH into a capture folder.

Exit status: 0 when both peers were fully collected, 1 when something failed (the capture is
still written, with the errors in each peer.yml), 2 on bad input (inventory, arguments) or
when the bundle (``--bundle``) cannot be written.
Netmiko is imported only inside the handler so that ``ipsec-tui --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ipsec_tui.collectors.inventory import tunnel_command
from ipsec_tui.errors import UserError

if TYPE_CHECKING:
    from ipsec_tui.collectors.progress import ProgressEvent
    from ipsec_tui.collectors.run import CollectionResult


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``collect`` subcommand."""
    parser = tunnel_command(
        subparsers,
        "collect",
        "collect both peers of a tunnel over SSH into a capture folder",
        "Log in to both peers of a tunnel at once (SSH, host keys verified), run the platform's "
        "read-only commands and write a capture folder: OUT/<peer>/peer.yml plus one .txt per "
        "command.",
    )
    parser.add_argument(
        "--out", "-o", required=True, type=Path, metavar="DIR",
        help="capture folder to create (must not exist, or be empty)",
    )  # fmt: skip
    parser.add_argument(
        "--bundle", "-b", type=Path, metavar="FILE.zip",
        help="also write an evidence bundle of the collection (see `ipsec-tui bundle`)",
    )  # fmt: skip
    parser.add_argument(
        "--notes", type=Path, metavar="FILE",
        help="the operator's notes to put into the bundle (with --bundle)",
    )  # fmt: skip
    parser.set_defaults(handler=run_collect)


def run_collect(args: argparse.Namespace) -> int:
    """Handler of ``collect``."""
    from ipsec_tui.collectors.capture_io import check_new_folder
    from ipsec_tui.collectors.inventory import load_inventory

    inventory = load_inventory(args.inventory)
    tunnel = inventory.tunnel(args.tunnel)
    out_dir: Path = args.out
    check_new_folder(out_dir)
    bundle: Path | None = args.bundle
    if args.notes is not None and bundle is None:
        raise UserError("--notes goes into a bundle: add --bundle FILE.zip")
    notes = ""
    if bundle is not None:
        if bundle.exists():
            raise UserError(f"{bundle}: already exists; choose another bundle name")
        if not bundle.parent.is_dir():
            raise UserError(f"{bundle.parent}: no such folder for the bundle")
        if args.notes is not None:
            try:
                notes = args.notes.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UserError(f"{args.notes}: cannot read the notes: {exc}") from None

    from ipsec_tui.collectors.run import collect_tunnel, resolve_passwords  # netmiko: only now

    lock = threading.Lock()

    def progress(peer: str, index: int, total: int, command: str, event: ProgressEvent) -> None:
        if not sys.stderr.isatty():
            return
        with lock:
            step = f"[{index}/{total}] {command} " if index else ""
            print(f"  {peer}: {step}{event.value}", file=sys.stderr)

    peers = " and ".join(peer.name for peer in tunnel.peers)
    print(f"Collecting tunnel {tunnel.name} from {peers} into {out_dir}", file=sys.stderr)
    passwords = resolve_passwords(tunnel)  # asked once, here, before any thread starts
    result = collect_tunnel(tunnel, out_dir, passwords=passwords, progress=progress)
    print_result(result)
    if bundle is not None:
        from ipsec_tui.evidence.bundle import bundle_collection
        from ipsec_tui.evidence.cli import print_written

        # made even when a peer failed: what was collected, and the failure, is the evidence
        written = bundle_collection(
            result, bundle, notes=notes, passwords=tuple(passwords.values())
        )
        print_written(written)
    return 0 if result.ok else 1


def print_result(result: CollectionResult) -> None:
    """One line per peer (status, commands ok/failed, elapsed, path), then the problems."""
    from ipsec_tui.collectors.run import summary_lines

    for line in summary_lines(result):
        print(line)
