"""`ipsec-tui check` and `ipsec-tui parse`: the engine without a terminal UI.

check exit codes: 0 healthy, 1 a problem found, 2 bad input (missing folder, unknown
platform, unreadable or empty file) with a message and no traceback.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ipsec_tui.errors import UserError


def register(sub: Any) -> None:
    check = sub.add_parser(
        "check",
        help="check a capture: steps, side-by-side findings, diagnosis",
        description="Run the troubleshooting steps on a capture of both peers (or of one: the "
        "checks say what the other side would show).",
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="DIR",
        help="a capture folder, two peer folders (A then B), or a bundle (.zip, verified)",
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--playbook", type=Path, help="a playbook YAML instead of the default")
    check.add_argument("--list-checks", action="store_true", help="list the check ids")
    check.add_argument("--all", action="store_true", help="show passing findings too")
    check.set_defaults(handler=run_check)

    parse = sub.add_parser(
        "parse",
        help="parse one command's output into the model",
        description="Parse one saved output with the platform's template.",
    )
    parse.add_argument("file", type=Path, help="the output, as the device printed it")
    parse.add_argument("--platform", required=True)
    parse.add_argument(
        "--command",
        required=True,
        help='the command that printed it, e.g. "swanctl --list-sas" (abbreviations accepted)',
    )
    parse.add_argument("--json", action="store_true", help="print the model as JSON")
    parse.set_defaults(handler=run_parse)


def run_check(args: argparse.Namespace) -> int:
    from ipsec_tui.analysis import analyse_captures
    from ipsec_tui.collectors.bundles import load_captures
    from ipsec_tui.playbooks import load_playbook

    if args.list_checks:
        from ipsec_tui.checks.registry import all_checks

        for check in all_checks().values():
            print(f"{check.id:26} {check.title}")
        return 0
    if not args.paths or len(args.paths) > 2:
        raise UserError("check takes a capture folder, two peer folders, or a bundle (.zip)")
    playbook = load_playbook(args.playbook) if args.playbook else None
    analysis = analyse_captures(load_captures(args.paths), playbook)
    if args.json:
        print(analysis.to_json())
    else:
        from ipsec_tui.report_text import print_analysis

        print_analysis(analysis, show_all=args.all)
    return 0 if analysis.healthy else 1


def run_parse(args: argparse.Namespace) -> int:
    from ipsec_tui.parsers.base import parse_text
    from ipsec_tui.platforms import available_platforms

    if args.platform not in available_platforms():
        raise UserError(
            f"unknown platform {args.platform!r} (known: {', '.join(available_platforms())})"
        )
    from ipsec_tui.yamlfile import read_regular_bytes

    text = read_regular_bytes(args.file, "output", follow_links=True).decode(
        "utf-8", errors="replace"
    )
    result, fragment = parse_text(args.platform, args.command, text, "peer", args.file.name)
    data = {
        "status": result.status.value,
        "parser": result.parser,
        "reason": result.reason,
        **{
            k: v
            for k, v in asdict(fragment).items()
            if v not in (None, [], "") and k != "understood"  # the status says it
        },
    }
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(
            f"{result.status.value}: {result.parser or '-'}"
            + (f" ({result.reason})" if result.reason else "")
        )
        for key, value in data.items():
            if key in ("status", "parser", "reason"):
                continue
            print(f"{key}: {len(value) if isinstance(value, list) else value}")
    return 0 if result.status.value != "failed" else 1
