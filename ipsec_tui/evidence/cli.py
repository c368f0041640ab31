"""``ipsec-tui bundle``, ``bundle verify``, ``open`` and ``import``: evidence in and out.

- ``bundle CAPTURE --out FILE.zip [--notes FILE]``: one zip for the ticket (see
  ``ipsec_tui.evidence.bundle``). Exit 0, or 2 with a message (bad input, a secret left).
- ``bundle verify FILE.zip``: every file against the manifest. Exit 0 intact, 1 damaged or
  changed (each problem printed), 2 not readable as a bundle at all (missing, not a zip,
  truncated, no manifest).
- ``open FILE.zip``: the cockpit on a bundle when it can run (``ipsec_tui.ui.app.run_bundle``
  exists), otherwise the headless check result and the operator's notes.
- ``import --platform P TRANSCRIPT --out DIR [--peer NAME]``: a terminal transcript of the
  partner's side as a peer of a capture folder (new, or an existing capture missing it).

Handlers import their heavy parts lazily so that ``ipsec-tui --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ipsec_tui.errors import UserError


def register(sub: Any) -> None:
    """Add the ``bundle``, ``open`` and ``import`` subcommands."""
    bundle = sub.add_parser(
        "bundle",
        help="put a capture, its analysis and a report into one zip; or verify one",
        description="ipsec-tui bundle CAPTURE --out FILE.zip [--notes FILE]: the capture as "
        "collected, each peer's parsed model, the findings and diagnosis, a report (Markdown "
        "and HTML), clock offsets, versions and notes, with a SHA-256 manifest. Secrets are "
        "redacted; the writer refuses if one remains. "
        "ipsec-tui bundle verify FILE.zip: check every file against the manifest "
        "(exit 0 intact, 1 damaged or changed, 2 not a readable bundle).",
    )
    bundle.add_argument(
        "target",
        nargs="+",
        metavar="CAPTURE | verify FILE",
        help="the capture folder to bundle, or `verify` and a bundle",
    )
    bundle.add_argument("--out", "-o", type=Path, metavar="FILE.zip", help="the bundle to write")
    bundle.add_argument(
        "--notes", type=Path, metavar="FILE", help="the operator's notes to include (text)"
    )
    bundle.add_argument("--force", action="store_true", help="replace an existing FILE.zip")
    bundle.set_defaults(handler=run_bundle)

    open_parser = sub.add_parser(
        "open",
        help="open a bundle: the cockpit, or the check result and notes without it",
        description="Open an evidence bundle (verified first). Runs the cockpit when it is "
        "available; otherwise prints the headless check result and the operator's notes.",
    )
    open_parser.add_argument("bundle", type=Path, metavar="FILE.zip")
    open_parser.set_defaults(handler=run_open)

    imported = sub.add_parser(
        "import",
        help="turn a terminal transcript of the other side into a capture's peer",
        description="Split a terminal transcript (prompts, commands, outputs; paging, "
        "escapes and echoes are cleaned up) into a peer folder of a capture, so the side "
        "someone else ran the commands on stands in as a peer. Commands map to the "
        "platform's canonical ones; unknown commands are kept, with a warning.",
    )
    imported.add_argument(
        "transcript", type=Path, metavar="TRANSCRIPT", help="the text file, or - for stdin"
    )
    imported.add_argument(
        "--platform", "-p", required=True, help="the platform the commands ran on"
    )
    imported.add_argument(
        "--out",
        "-o",
        required=True,
        type=Path,
        metavar="DIR",
        help="capture folder: created, or an existing capture the peer is added to",
    )
    imported.add_argument(
        "--peer", metavar="NAME", help="the peer's name (default: the host in the prompts)"
    )
    imported.set_defaults(handler=run_import)


def _read_text(path: Path, what: str) -> str:
    """A text file given on the command line (a regular file, bounded), or stdin for ``-``.

    Read exactly as stored: a transcript's lone carriage returns (a pager's erase, an
    overwrite) are part of what the terminal showed; universal newlines would make lines."""
    from ipsec_tui.yamlfile import MAX_FILE_BYTES, read_regular_text

    if str(path) != "-":
        return read_regular_text(path, what, MAX_FILE_BYTES, follow_links=True)
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"stdin: the {what} is larger than {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"stdin: the {what} is not UTF-8 text ({exc}); save it as UTF-8") from None


def run_bundle(args: argparse.Namespace) -> int:
    """Handler of ``bundle``: write one, or verify one."""
    target: list[str] = args.target
    if target[0] == "verify":
        if len(target) != 2:
            raise UserError("usage: ipsec-tui bundle verify FILE.zip")
        return verify(Path(target[1]))
    if len(target) != 1:
        raise UserError("usage: ipsec-tui bundle CAPTURE --out FILE.zip [--notes FILE]")
    if args.out is None:
        raise UserError("bundle needs --out FILE.zip: where to write the bundle")
    from ipsec_tui.evidence.bundle import bundle_capture

    notes = _read_text(args.notes, "notes file") if args.notes else ""
    written = bundle_capture(Path(target[0]), args.out, notes=notes, overwrite=args.force)
    print_written(written)
    return 0


def print_written(written: Any) -> None:
    """One line for a bundle just written: where, how many files, the diagnosis."""
    d = written.analysis.diagnosis
    side = f" on {d.side}" if d.side else ""
    print(f"bundle {written.path}: {len(written.manifest.files)} files; diagnosis: {d.cause}{side}")


def verify(path: Path) -> int:
    """``bundle verify``: 0 intact, 1 damaged or changed; UserError (2) if not a bundle."""
    from ipsec_tui.evidence.bundle import verify_bundle

    verification = verify_bundle(path)
    if verification.ok:
        print(
            f"{path}: intact: {len(verification.manifest.files)} files match the manifest "
            f"(made {verification.manifest.created_at} by {verification.manifest.tool})"
        )
        return 0
    print(f"{path}: DAMAGED OR CHANGED since the export:", file=sys.stderr)
    for problem in verification.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def run_open(args: argparse.Namespace) -> int:
    """Handler of ``open``: the cockpit's ``run_bundle(path)`` when there is one.

    The cockpit lives in ``ipsec_tui.ui.app``; when that module cannot be imported (no
    terminal UI on this box, or not written yet) or has no ``run_bundle``, the headless check
    result and the notes are printed instead. Exit: the cockpit's, else as ``check``.
    """
    import importlib

    try:
        app = importlib.import_module("ipsec_tui.ui.app")
    except ImportError:
        app = None
    if app is not None and hasattr(app, "run_bundle"):
        return int(app.run_bundle(args.bundle) or 0)
    return print_bundle(args.bundle)


def print_bundle(path: Path) -> int:
    """A bundle without the cockpit: the check result and the operator's notes (exit as
    ``check``). The cockpit's ``run_bundle`` calls it too when there is no terminal."""
    from ipsec_tui.analysis import analyse_captures
    from ipsec_tui.evidence.bundle import open_bundle
    from ipsec_tui.report_text import print_analysis

    captures, notes, manifest = open_bundle(path)
    print(f"{path}: made {manifest.created_at} by {manifest.tool}")
    analysis = analyse_captures(captures)
    print_analysis(analysis)
    print("\nOperator's notes:")
    print(notes.rstrip("\n") if notes.strip() else "(none)")
    return 0 if analysis.healthy else 1


def run_import(args: argparse.Namespace) -> int:
    """Handler of ``import``: exit 0 imported (warnings on stderr), 2 bad input."""
    from ipsec_tui.collectors.capture_io import (
        CAPTURE_FILE,
        PEER_FILE,
        check_peer_folder_name,
        read_capture_index,
        write_capture_index,
        write_peer,
    )
    from ipsec_tui.collectors.transcript import split_transcript
    from ipsec_tui.platforms import available_platforms

    if args.platform not in available_platforms():
        raise UserError(
            f"unknown platform {args.platform!r} (known: {', '.join(available_platforms())})"
        )
    text = _read_text(args.transcript, "transcript")
    imported = split_transcript(text, args.platform, args.peer)
    capture = imported.capture
    check_peer_folder_name(capture.name, "--peer" if args.peer else "the prompts' host name")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    index = read_capture_index(out) if out.is_dir() else None
    if (out / capture.name).exists():
        raise UserError(
            f"{out / capture.name}: already exists; import under another name with --peer, "
            "or remove that folder first"
        )
    if index is None and out.is_dir() and any(out.iterdir()):
        if (out / PEER_FILE).is_file():
            raise UserError(f"{out}: is a peer folder; give the capture folder above it")
        raise UserError(f"{out}: not empty and not a capture (no {CAPTURE_FILE})")
    if index is not None and len(index.peers) >= 2:
        raise UserError(f"{out}: already holds two peers ({', '.join(index.peers)})")
    for warning in imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    path = write_peer(out / capture.name, capture)
    peers = [*(index.peers if index else ()), capture.name]
    write_capture_index(
        out, index.tunnel if index else None, peers, index.description if index else None
    )
    print(
        f"imported {len(capture.commands)} commands of {capture.name} ({capture.platform}) "
        f"into {path.parent}; capture {out} now holds {', '.join(peers)}"
    )
    return 0
