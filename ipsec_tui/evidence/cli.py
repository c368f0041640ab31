"""``ipsec-tui bundle``, ``bundle verify`` and ``import``: evidence in and out.

- ``bundle CAPTURE --out FILE.zip [--notes FILE]``: one zip for the ticket (see
  ``ipsec_tui.evidence.bundle``). Exit 0, or 2 with a message (bad input, a secret left).
- ``bundle verify FILE.zip``: every file against the manifest. Exit 0 intact, 1 damaged or
  changed (each problem printed), 2 not readable as a bundle at all (missing, not a zip,
  truncated, no manifest).
- ``import --platform P TRANSCRIPT --out DIR [--peer NAME]``: a terminal transcript of the
  partner's side as a peer of a capture folder (new, or an existing capture missing it); for
  a cloud platform, ``FILE...``: its CLI outputs and documents, each recognised by content.

Handlers import their heavy parts lazily so that ``ipsec-tui --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ipsec_tui.errors import UserError


def register(sub: Any) -> None:
    """Add the ``bundle`` and ``import`` subcommands (``open`` is the cockpit's, ui/cli.py)."""
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
        help="the capture (or watch) folder to bundle, or `verify` and a bundle",
    )
    bundle.add_argument("--out", "-o", type=Path, metavar="FILE.zip", help="the bundle to write")
    bundle.add_argument(
        "--notes", type=Path, metavar="FILE", help="the operator's notes to include (text)"
    )
    bundle.add_argument("--force", action="store_true", help="replace an existing FILE.zip")
    bundle.set_defaults(handler=run_bundle)

    imported = sub.add_parser(
        "import",
        help="turn a terminal transcript of the other side into a capture's peer",
        description="Split a terminal transcript (prompts, commands, outputs; paging, "
        "escapes and echoes are cleaned up) into a peer folder of a capture, so the side "
        "someone else ran the commands on stands in as a peer. Commands map to the "
        "platform's canonical ones; unknown commands are kept, with a warning.",
    )
    imported.add_argument(
        "transcript",
        type=Path,
        nargs="+",
        metavar="TRANSCRIPT",
        help="the text file, or - for stdin; for a cloud platform (aws_vpn, azure_vpngw, "
        "gcp_vpn) one or more of its documents, each recognised by its content",
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
    from ipsec_tui.collectors.bundles import verify_bundle

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


def run_import(args: argparse.Namespace) -> int:
    """Handler of ``import``: exit 0 imported (warnings on stderr), 2 bad input."""
    from ipsec_tui.collectors.transcript import import_transcript
    from ipsec_tui.platforms import load_platform

    spec = load_platform(args.platform)  # an unknown one fails before stdin is read
    files: list[Path] = args.transcript
    if spec.transport == "files":
        from ipsec_tui.collectors.transcript import import_documents

        documents = [(str(path), _read_text(path, "document")) for path in files]
        imported = import_documents(documents, args.platform, args.out, peer_name=args.peer)
    elif len(files) != 1:
        raise UserError(f"platform {spec.name!r} imports one terminal transcript at a time")
    else:
        text = _read_text(files[0], "transcript")
        imported = import_transcript(text, args.platform, args.out, peer_name=args.peer)
    for warning in imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    peer = next(c for c in imported.captures if c.name == imported.peer)
    print(
        f"imported {imported.commands} commands of {peer.name} ({peer.platform}) "
        f"into {imported.folder / peer.name}; capture {imported.folder} now holds "
        f"{', '.join(c.name for c in imported.captures)}"
    )
    return 0
