"""``ipsec-tui fleet``: every tunnel of an inventory (or those matching), each device once.

Exit status: 0 when every tunnel is healthy, 1 when any is not (a device that failed makes
its tunnels not healthy), 2 on bad input (inventory, arguments, a pattern matching nothing),
130 when interrupted (what was collected is still triaged and printed).
Nornir and Netmiko are imported only inside the handler so that ``ipsec-tui --help`` stays
fast.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ipsec_tui.errors import UserError

if TYPE_CHECKING:
    from ipsec_tui.collectors.progress import ProgressEvent
    from ipsec_tui.fleet import FleetPlan, FleetResult


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``fleet`` subcommand."""
    parser = subparsers.add_parser(
        "fleet",
        help="triage every tunnel of an inventory at once (Nornir), each device collected once",
        description="Collect every device that serves a tunnel of the inventory once (Nornir's "
        "threaded runner; a hub's outputs serve all its tunnels), check every tunnel as `check` "
        "does, and print one table and a summary grouping tunnels by cause.",
    )
    parser.add_argument(
        "--inventory",
        "-i",
        required=True,
        type=Path,
        metavar="INV",
        help="our inventory YAML, or a Nornir SimpleInventory (its folder or hosts.yaml)",
    )
    parser.add_argument(
        "--tunnel",
        "-t",
        action="append",
        default=[],
        metavar="GLOB",
        help="only tunnels whose name matches (shell glob; repeat for more)",
    )
    parser.add_argument(
        "--workers",
        "-w",
        type=int,
        default=None,
        metavar="N",
        help="devices collected at once (Nornir's threaded runner; default 20)",
    )
    parser.add_argument(
        "--bundle-dir",
        type=Path,
        metavar="DIR",
        help="write an evidence bundle DIR/<tunnel>.zip for each tunnel that is not healthy",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help='print {"tunnels": [...], "summary": {...}} instead of the table',
    )
    output.add_argument(
        "--csv", type=Path, metavar="FILE", help="also write the table as CSV to FILE"
    )
    parser.set_defaults(handler=run_fleet)


def run_fleet(args: argparse.Namespace) -> int:
    """Handler of ``fleet``."""
    from ipsec_tui.collectors.inventory import load_inventory
    from ipsec_tui.fleet import plan_fleet, select_tunnels

    plan = plan_fleet(select_tunnels(load_inventory(args.inventory), args.tunnel))
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, not {args.workers}")
    bundle_dir: Path | None = args.bundle_dir
    if bundle_dir is not None:
        taken = [t.name for t in plan.tunnels if (bundle_dir / f"{t.name}.zip").exists()]
        if taken:
            raise UserError(f"{bundle_dir / taken[0]}.zip: already exists; choose another folder")
        if bundle_dir.exists() and not bundle_dir.is_dir():
            raise UserError(f"{bundle_dir}: not a folder")
    if args.csv is not None and not args.csv.parent.is_dir():
        raise UserError(f"{args.csv.parent}: no such folder for the CSV")

    result, passwords = collect_and_triage(plan, workers=args.workers)
    if args.json:
        print(result.to_json())
    else:
        from ipsec_tui.fleet import summary_lines, table_lines

        for line in [*table_lines(result), "", *summary_lines(result)]:
            print(line)
    if args.csv is not None:
        from ipsec_tui.fleet import to_csv

        try:
            args.csv.write_text(to_csv(result), encoding="utf-8")
        except OSError as exc:
            raise UserError(f"{args.csv}: cannot write the CSV: {exc}") from None
    if bundle_dir is not None:
        write_bundles(result, bundle_dir, passwords)
    if result.interrupted:
        return 130
    return 0 if result.healthy else 1


def collect_and_triage(
    plan: FleetPlan, *, workers: int | None = None
) -> tuple[FleetResult, tuple[str, ...]]:
    """Ask each password once, collect every device on Nornir with progress on stderr, and
    triage; (the result, the passwords used, for the bundle writer's leak check)."""
    from ipsec_tui.collectors.credentials import get_password
    from ipsec_tui.collectors.nornir_run import DEFAULT_WORKERS
    from ipsec_tui.collectors.run import resolve_passwords
    from ipsec_tui.fleet import collect_fleet

    asked: dict[tuple[str, str], str] = {}

    def lookup(username: str, host: str) -> str:
        if (username, host) not in asked:  # a login shared by many tunnels is asked once
            asked[(username, host)] = get_password(username, host)
        return asked[(username, host)]

    passwords: dict[tuple[str, str], str] = {}
    for tunnel in plan.tunnels:
        passwords.update(resolve_passwords(tunnel, lookup))
    print(
        f"Fleet: {len(plan.tunnels)} tunnels on {len(plan.devices)} devices, "
        f"{workers or DEFAULT_WORKERS} at a time (Ctrl+C stops, keeping what was collected)",
        file=sys.stderr,
    )
    live = sys.stderr.isatty()
    lock = threading.Lock()

    def on_device(device: str, event: str, done: int, failed: int, total: int) -> None:
        if live or event == "failed":
            with lock:
                print(f"  [{done}/{total} done, {failed} failed] {device}: {event}",
                      file=sys.stderr)  # fmt: skip

    def on_command(peer: str, index: int, total: int, command: str, event: ProgressEvent) -> None:
        if live and index:
            with lock:
                bar = "#" * index + "." * max(0, total - index)
                print(f"    {peer} [{bar}] {index}/{total} {command}", file=sys.stderr)

    result = collect_fleet(
        plan, workers=workers, passwords=passwords, progress=on_command, device_progress=on_device
    )
    collected = len(plan.devices) - len(result.summary.device_errors)
    print(f"{len(plan.devices)} devices: {collected} collected, "
          f"{len(result.summary.device_errors)} with errors", file=sys.stderr)  # fmt: skip
    return result, tuple(passwords.values())


def write_bundles(result: FleetResult, folder: Path, passwords: tuple[str, ...]) -> None:
    """One bundle per tunnel that is not healthy: its two peers as collected (redacted)."""
    from ipsec_tui.evidence.bundle import bundle_captures, bundle_content

    folder.mkdir(parents=True, exist_ok=True)
    for row in result.rows:
        if row.healthy:
            continue
        out = folder / f"{row.tunnel}.zip"
        content = bundle_content(
            row.captures, tunnel=row.tunnel, known_secrets=passwords, where=out
        )
        written = bundle_captures(out, content)
        print(f"bundle: {written.path}", file=sys.stderr)
