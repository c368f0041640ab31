"""The `flapping` fault's helper: takes one gateway's WAN link down and up again a bounded
number of times, then exits by itself.

The lab starts it (`python -m ipsec_tui.lab.flap ...`), records its PID with its start time
in the lab's state, and on `reset` and `down` stops it by that PID (never by name). It only
runs `ip link set LINK down|up` inside the gateway's network namespace.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from ipsec_tui.lab.shell import run

MAX_TIMES = 10
MAX_SECONDS = 120.0


def _bounded(limit: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if not 0 < value <= limit:
            raise argparse.ArgumentTypeError(f"{text}: choose more than 0 and at most {limit}")
        return value

    return parse


def set_link(holder: int, link: str, state: str) -> None:
    """`ip link set LINK STATE` in the network namespace of the gateway's holder process."""
    run(["nsenter", "-t", str(holder), "-n", "--", "ip", "link", "set", link, state], check=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ipsec_tui.lab.flap")
    parser.add_argument("--holder", type=int, required=True, help="the gateway's holder PID")
    parser.add_argument("--link", required=True, help="the WAN link in the gateway")
    parser.add_argument("--times", type=_bounded(MAX_TIMES), required=True)
    parser.add_argument("--down", type=_bounded(MAX_SECONDS), required=True, help="seconds")
    parser.add_argument("--up", type=_bounded(MAX_SECONDS), required=True, help="seconds")
    args = parser.parse_args(argv)
    times = int(args.times)
    for number in range(times):
        set_link(args.holder, args.link, "down")
        time.sleep(args.down)
        set_link(args.holder, args.link, "up")
        if number + 1 < times:
            time.sleep(args.up)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
