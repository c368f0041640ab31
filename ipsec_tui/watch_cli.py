"""``ipsec-tui watch``: sample both peers of a tunnel every interval and keep a time line.

Logs in to both peers once and keeps the sessions open for every sample. A sample runs only
the platform's clock, SA / counter and log commands (:func:`ipsec_tui.watch.sample_commands`)
and is written as an ordinary capture folder, OUT/sample-0001, OUT/sample-0002... (redacted
like any collection, so `ipsec-tui check` and `ipsec-tui bundle` take each one); the time
line, rates and verdict go to OUT/watch.json; ``--bundle FILE.zip`` puts every sample into
one evidence bundle (ipsec_tui/evidence/watch_bundle.py). Ctrl+C stops between samples (or
cuts the running one short): what was collected is kept and judged.

Exit status as ``check``: 0 when the watch saw a healthy tunnel, 1 when it saw a problem
(or too little to say, or a peer could not be logged in to), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ipsec_tui.collectors.inventory import tunnel_command
from ipsec_tui.domain.watch import MAX_DURATION_S, MAX_SAMPLES, MIN_INTERVAL_S
from ipsec_tui.errors import UserError

if TYPE_CHECKING:
    from ipsec_tui.collectors.inventory import Tunnel
    from ipsec_tui.domain.watch import WatchEvent, WatchSample
    from ipsec_tui.watch import Watch, WatchRun

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0}


SUMMARY = "sample both peers every interval and show what happens over time"
DESCRIPTION = (
    "Log in to both peers once and read their SA state, counters and new log lines every "
    "interval: a time line of SAs up and down, rekeys and failed rekeys, DPD, retransmits, "
    "counters one way or stalled, bytes/s per child SA, and what only time shows (a PFS "
    "mismatch at the first rekey, lifetime churn, a flapping path). Ctrl+C stops it and keeps "
    "what was collected."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``watch`` subcommand."""
    parser = tunnel_command(subparsers, "watch", SUMMARY, DESCRIPTION)
    parser.add_argument(
        "--interval", type=float, default=10.0, metavar="S",
        help=f"seconds between samples, at least {MIN_INTERVAL_S:g} (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--duration", default="10m", metavar="D",
        help=f"how long to watch: seconds, or 90s, 15m, 2h (at most "
        f"{MAX_DURATION_S / 3600:g}h; default 10m)",
    )  # fmt: skip
    parser.add_argument(
        "--max-samples", type=int, default=None, metavar="N",
        help=f"stop after N samples (at most {MAX_SAMPLES})",
    )  # fmt: skip
    parser.add_argument(
        "--out", "-o", type=Path, metavar="DIR",
        help="folder for the samples and watch.json (default: a new temporary folder)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--bundle", "-b", type=Path, metavar="FILE.zip",
        help="also write one evidence bundle holding every sample (see `ipsec-tui bundle`)",
    )  # fmt: skip
    parser.set_defaults(handler=run_watch_cli)


def parse_duration(text: str) -> float:
    """`600`, `90s`, `15m`, `2h` -> seconds; UserError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise UserError(f"--duration {text!r}: write seconds, or a number with s, m or h")
    return float(match[1]) * _UNIT_S[match[2] or "s"]


def sample_count(interval: float, duration: float, max_samples: int | None) -> int:
    """How many samples a watch of ``duration`` every ``interval`` takes, within the bounds
    (UserError names the bound that was crossed)."""
    if not interval >= MIN_INTERVAL_S or interval != interval or interval == float("inf"):
        raise UserError(f"--interval must be at least {MIN_INTERVAL_S:g} seconds, not {interval}")
    if not 0 < duration <= MAX_DURATION_S:
        raise UserError(
            f"--duration must be more than 0 and at most {MAX_DURATION_S / 3600:g} hours"
        )
    if duration < interval:
        raise UserError(f"--duration ({duration:g} s) is shorter than --interval ({interval:g} s)")
    if max_samples is not None and not 2 <= max_samples <= MAX_SAMPLES:
        raise UserError(f"--max-samples must be 2-{MAX_SAMPLES}, not {max_samples}")
    count = int(duration // interval) + 1
    return min(count, max_samples or MAX_SAMPLES, MAX_SAMPLES)


class NotLoggedIn(Exception):
    """A peer could not be logged in to: nothing was sampled."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {error}" for name, error in errors.items()))
        self.errors = dict(errors)


def watch_tunnel(
    tunnel: Tunnel,
    out_dir: Path,
    *,
    interval: float,
    samples: int,
    passwords: Mapping[tuple[str, str], str],
    stop: threading.Event | None = None,
    on_sample: Callable[[WatchSample, list[WatchEvent], Watch], None] | None = None,
) -> WatchRun:
    """Log in to both peers once, watch ``tunnel`` over those sessions (each sample collected
    into OUT/sample-NNNN, see :func:`ipsec_tui.watch.run_watch`), log out. NotLoggedIn when
    a peer cannot be logged in to (nothing is sampled then)."""
    from ipsec_tui.collectors.run import open_sessions
    from ipsec_tui.watch import collect_over, run_watch

    stop = stop or threading.Event()
    sessions, errors = open_sessions(tunnel, passwords)
    try:
        if errors:
            raise NotLoggedIn(errors)
        collect = collect_over(tunnel, out_dir, sessions, passwords, stop)
        names = [peer.name for peer in tunnel.peers]
        return run_watch(
            tunnel.name, names, collect, interval=interval, samples=samples, stop=stop,
            on_sample=on_sample,
        )  # fmt: skip
    finally:
        for session in sessions.values():
            session.close()


def run_watch_cli(args: argparse.Namespace) -> int:
    """Handler of ``watch``."""
    from ipsec_tui.collectors.capture_io import check_new_folder, new_capture_dir
    from ipsec_tui.collectors.inventory import load_inventory
    from ipsec_tui.platforms import load_platform
    from ipsec_tui.watch import sample_commands

    samples = sample_count(args.interval, parse_duration(args.duration), args.max_samples)
    inventory = load_inventory(args.inventory)
    tunnel = inventory.tunnel(args.tunnel)
    out_dir: Path | None = args.out
    if out_dir is not None:
        check_new_folder(out_dir)
    bundle: Path | None = args.bundle
    if bundle is not None and (bundle.exists() or not bundle.parent.is_dir()):
        raise UserError(f"{bundle}: already exists, or its folder does not; choose another")
    for peer in tunnel.peers:  # every command is allowed before anything connects
        spec = load_platform(peer.platform)
        for command in sample_commands(spec, peer.overrides):
            spec.check_allowed(command, peer.overrides)

    from ipsec_tui.collectors.run import resolve_passwords
    from ipsec_tui.watch import event_line, to_dict

    folder = out_dir if out_dir is not None else new_capture_dir(None, tunnel.name, "watch")
    folder.mkdir(parents=True, exist_ok=True)
    names = " and ".join(peer.name for peer in tunnel.peers)
    print(
        f"Watching tunnel {tunnel.name} ({names}): {samples} samples every {args.interval:g} s "
        f"into {folder} (Ctrl+C stops and keeps what was collected)",
        file=sys.stderr,
    )
    passwords = resolve_passwords(tunnel)

    def shown(sample: WatchSample, events: list[WatchEvent], _: Watch) -> None:
        print(f"sample {sample.index}/{samples}: {len(events)} events", file=sys.stderr)
        if not args.json:
            for event in events:
                print(event_line(event))

    try:
        run = watch_tunnel(
            tunnel, folder, interval=args.interval, samples=samples, passwords=passwords,
            on_sample=shown,
        )  # fmt: skip
    except NotLoggedIn as failed:
        for name, error in failed.errors.items():
            print(f"ipsec-tui: {name}: {error}", file=sys.stderr)
        print("ipsec-tui: the watch needs both peers; nothing was sampled", file=sys.stderr)
        return 1
    data = to_dict(run.result)
    data["stopped"] = run.stopped
    data["lost"] = list(run.lost)
    (folder / "watch.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if bundle is not None and run.result.samples:
        from ipsec_tui.evidence.bundle import bundle_capture  # a watch folder: every sample

        written = bundle_capture(folder, bundle, known_secrets=tuple(passwords.values()))
        print(f"bundle {written.path}: {len(written.manifest.files)} files", file=sys.stderr)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_verdict(run)
        print(f"samples: {folder} (one capture folder per sample; watch.json)")
    return 0 if run.result.verdict.cause == "healthy" else 1


def print_verdict(run: WatchRun) -> None:
    """The verdict with its evidence, after the time line."""
    result = run.result
    verdict = result.verdict
    how = "stopped" if run.stopped else "done"
    print(f"\n{result.samples} samples over {result.elapsed_s:.0f} s ({how})")
    for peer in run.lost:
        print(f"  ! {peer}: session lost")
    side = f"  (fix on {verdict.side})" if verdict.side else ""
    print(f"watch: {verdict.cause}{side}\n  {verdict.summary}")
    for line in verdict.evidence:
        print(f"    {line}")
