"""`ipsec-tui cockpit` (alias `tui`), `open FILE.zip` and `demo`: the commands that show the
cockpit.

Registering the subcommands imports no textual: the app is imported only when it runs, so
headless commands (`check`, `collect`) stay fast and work on a box without a terminal UI.
Without a terminal, `open` prints the headless check result and the operator's notes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ipsec_tui.errors import UserError


def register(sub: Any) -> None:
    cockpit = sub.add_parser(
        "cockpit",
        aliases=["tui"],
        help="the terminal UI: collect or open a capture, steps, evidence, diagnosis",
        description="Open the cockpit: pick a tunnel of an inventory (collected live over "
        "SSH), a capture folder, or a demo scenario; see the steps, both peers side by side, "
        "the evidence and the diagnosis.",
    )
    cockpit.add_argument(
        "capture",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="a capture folder (or an evidence bundle, FILE.zip) to open",
    )
    cockpit.add_argument("--inventory", type=Path, help="inventory file (tunnels and peers)")
    cockpit.add_argument("--tunnel", help="collect this tunnel of the inventory at once")
    cockpit.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for live collections, one subfolder each (default: new temp folders)",
    )
    cockpit.add_argument("--demo", metavar="SCENARIO", help="open an embedded demo scenario")
    cockpit.set_defaults(handler=cmd_cockpit)

    open_parser = sub.add_parser(
        "open",
        help="open a bundle: the cockpit, or the check result and notes without it",
        description="Open an evidence bundle (verified first). Runs the cockpit when there is "
        "a terminal; otherwise prints the headless check result and the operator's notes.",
    )
    open_parser.add_argument("bundle", type=Path, metavar="FILE.zip")
    open_parser.set_defaults(handler=cmd_open)

    demo = sub.add_parser(
        "demo",
        help="the cockpit on embedded captures of the lab (no root, network or inventory)",
        description="Open the cockpit on captures recorded from the real lab: a picker of the "
        "scenarios, the healthy one first. For the live lab: `sudo ipsec-tui lab up`, then "
        "`ipsec-tui cockpit --inventory /var/lib/ipsec-tui/lab/inventory.yml --tunnel lab`.",
    )
    demo.add_argument(
        "--scenario", default=None, help="open this scenario at once (e.g. strongswan-psk)"
    )
    demo.set_defaults(handler=cmd_demo)


def _load_ahead(path: Path | None) -> None:
    """A big capture folder or bundle: its analysis process starts now, first thing, so its
    start overlaps everything the cockpit loads (see ipsec_tui/ui/offload.py)."""
    if path is not None and has_terminal():
        from ipsec_tui.ui import offload

        offload.prestart_for(path)


def cmd_cockpit(args: argparse.Namespace) -> int:
    _load_ahead(args.capture)
    from ipsec_tui.ui.session import StartRequest

    if args.tunnel and not args.inventory:
        raise UserError("--tunnel needs --inventory FILE")
    if args.capture is not None and not args.capture.is_dir():
        from ipsec_tui.collectors.bundles import is_bundle_path

        if not (args.capture.is_file() and is_bundle_path(args.capture)):
            raise UserError(f"{args.capture}: neither a capture folder nor a bundle (.zip)")
    if args.inventory is not None:
        from ipsec_tui.collectors.inventory import load_inventory

        inventory = load_inventory(args.inventory)  # a bad file fails here, in plain text
        if args.tunnel:
            inventory.tunnel(args.tunnel)
    if args.demo:
        from ipsec_tui.ui.session import demo_scenario

        demo_scenario(args.demo)
    start = StartRequest(
        inventory=args.inventory,
        tunnel=args.tunnel,
        capture=args.capture,
        scenario=args.demo,
        out_dir=args.out,
    )
    return run_cockpit(start)


def cmd_demo(args: argparse.Namespace) -> int:
    """The cockpit on the embedded captures: a picker of the scenarios, the healthy first."""
    from ipsec_tui.ui.session import StartRequest, demo_scenario

    if args.scenario:
        demo_scenario(args.scenario)  # unknown names fail before the screen is taken over
    return run_cockpit(StartRequest(scenario=args.scenario))


def cmd_open(args: argparse.Namespace) -> int:
    """`ipsec-tui open FILE.zip`: the cockpit on an evidence bundle, verified first.

    A damaged or changed bundle is a UserError before the screen is taken over (exit 2);
    without a terminal, the headless check result and the notes (exit as `check`).
    """
    bundle: Path = args.bundle
    _load_ahead(bundle)
    from ipsec_tui.collectors.bundles import verified_bundle
    from ipsec_tui.ui.session import StartRequest

    verified_bundle(bundle)
    if not has_terminal():
        from ipsec_tui.report_text import print_bundle

        return print_bundle(bundle)
    return run_cockpit(StartRequest(capture=bundle))


def has_terminal() -> bool:
    terminal = sys.__stderr__  # where textual draws
    return sys.stdin.isatty() and terminal is not None and terminal.isatty()


def run_cockpit(start: Any) -> int:
    if not has_terminal():
        raise UserError(
            "the cockpit needs a terminal; without one use `ipsec-tui check DIR` "
            "(text or --json) on a capture"
        )
    from ipsec_tui.ui.session import warm_up

    warm_up(start)  # the analysis of a big capture starts loading beside the app's imports
    from ipsec_tui.ui.app import CockpitApp

    app = CockpitApp(start)
    app.run()
    return int(app.return_code or 0)
