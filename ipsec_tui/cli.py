"""Entry point of ``ipsec-tui``. Subcommands register themselves; heavy imports happen lazily
inside each handler so that headless commands start fast."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ipsec_tui import __version__
from ipsec_tui.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    from ipsec_tui.analysis_cli import register as register_analysis
    from ipsec_tui.collect_cli import register as register_collect
    from ipsec_tui.evidence.cli import register as register_evidence
    from ipsec_tui.fleet_cli import register as register_fleet
    from ipsec_tui.lab.cli import register as register_lab
    from ipsec_tui.probe_cli import register as register_probe
    from ipsec_tui.ui.cli import register as register_cockpit
    from ipsec_tui.watch_cli import register as register_watch

    parser = argparse.ArgumentParser(
        prog="ipsec-tui",
        description="Troubleshoot an IPsec tunnel from both peers at once.",
    )
    parser.add_argument("--version", action="version", version=f"ipsec-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_collect(sub)
    register_analysis(sub)
    register_probe(sub)
    register_watch(sub)
    register_fleet(sub)
    register_evidence(sub)
    register_lab(sub)
    register_cockpit(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except UserError as exc:
        print(f"ipsec-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ipsec-tui: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line; the traceback only when asked
        if os.environ.get("IPSEC_TUI_DEBUG"):
            raise
        print(
            f"ipsec-tui: internal error: {type(exc).__name__}: {exc} "
            "(set IPSEC_TUI_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
