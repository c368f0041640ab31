"""The path test's ping (`ipsec-tui probe`): what a bounded ping from a gateway got back.

One parser for every platform with a probe, under the template key `ping` (the slug of the
allowlist entry `ping` with its arguments). Outputs come in three layouts, one template each:
iputils (`templates/linux/ping.ttp`: Linux, and PAN-OS, whose `ping source S host T` runs
iputils on the management plane), Cisco (`templates/cisco_ios/ping.ttp`: IOS, IOS-XE and the
ASA) and FreeBSD's ping under Junos (`templates/juniper_junos/ping.ttp`).

Each run's summary becomes a `PingResult` (sent, received, target, source address, the lines
it was read from). A ping never comes out as 0/0 when it did not run: an output without a
summary fails with the device's error line as the reason (`ping: bind: Cannot assign
requested address`, `% Invalid source address- ...`), and error lines beside a summary
(`ping: sendto: No route to host`) make the result partial with those lines as its raw text.
ICMP errors that came back instead of replies (`From A icmp_seq=1 Destination Host
Unreachable`) are kept as notes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ipsec_tui.domain.probe import PingResult
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    ParseError,
    leave_unmatched,
    numbered_items,
    parser,
    source_ref,
    to_int,
)

KEY = "ping"

# The platforms with a probe, and the template that reads their ping's layout.
LAYOUTS = {
    "linux": "linux",
    "paloalto_panos": "linux",
    "cisco_ios": "cisco_ios",
    "cisco_asa": "cisco_ios",
    "juniper_junos": "juniper_junos",
}


def _address(value: Any) -> str | None:
    """An address as printed, without the trailing `:`/`,` of a reply line or the `%VRF` of
    an IOS-XE IPv6 source (`1700::1%vpn-101`)."""
    if not value:
        return None
    return str(value).strip().rstrip(":,").split("%", 1)[0] or None


def _source_from_header(header: Any) -> str | None:
    """iputils' header tail `from 10.1.0.1 : 56(84) bytes of data.` -> 10.1.0.1."""
    words = str(header or "").split()
    if len(words) >= 2 and words[0] == "from":
        return _address(words[1])
    return None


def _word_after(text: str, keyword: str) -> str | None:
    """The address after a keyword of an echoed command (`ping T source S ...` -> S)."""
    words = text.split()
    if keyword in words[:-1]:
        return _address(words[words.index(keyword) + 1])
    return None


def parse_ping(layout: str, text: str, ctx: ParseContext) -> Fragment:
    """pings: one PingResult per summary line, with the target and source address of the
    run it closes (from its header, the source line, the statistics header or the command
    echoed before it)."""
    # published outputs are often indented; the line numbers stay those of the text
    stripped = "\n".join(line.strip() for line in text.splitlines())
    items = numbered_items(layout, KEY, stripped)
    fragment = Fragment()
    run: dict[str, Any] = {}
    failures: list[tuple[int, str]] = []
    icmp_errors: Counter[tuple[str, str]] = Counter()
    echoed: str | None = None  # the source address of the command echoed before a run
    for item in items:
        line = int(item["line"])
        if item.get("echo"):
            echoed = _word_after(str(item["echo"]), "source")
        if item.get("target") or item.get("stats_for"):
            if item.get("target"):  # a header opens a run
                run = {"first": line}
                run["target"] = _address(item.get("target_addr") or item["target"])
                if echoed:
                    run["source"], echoed = echoed, None
            else:
                run.setdefault("first", line)
                run.setdefault("target", _address(item["stats_for"]))
        source = _address(item.get("source_addr")) or _source_from_header(item.get("header"))
        if source:
            run["source"] = source
        if item.get("failure"):
            failures.append((line, str(item["failure"])))
        if item.get("icmp_error"):
            icmp_errors[(_address(item.get("icmp_from")) or "?", str(item["icmp_error"]))] += 1
        sent, received = to_int(item.get("sent")), to_int(item.get("received"))
        if sent is not None and received is not None:
            fragment.pings.append(
                PingResult(
                    sent=sent,
                    received=received,
                    target=run.get("target"),
                    source_addr=run.get("source"),
                    source=source_ref(ctx, run.get("first", line), line),
                )
            )
            run = {}
    if not fragment.pings:
        if failures:
            raise ParseError(f"the ping printed no summary, only an error: {failures[0][1]}")
        raise ParseError("no ping summary (packets sent and received) in the output")
    for line, failure in failures:
        fragment.leave_unplaced(line, failure, f"the ping reported an error: {failure}")
    fragment.notes += [
        f"ping: {count} ICMP error(s) from {sender}: {error}"
        for (sender, error), count in icmp_errors.items()
    ]
    leave_unmatched(fragment, text, items, "not a line of a ping's output")
    return fragment


def _register(platform: str, layout: str) -> None:
    @parser(platform, KEY)
    def parse(text: str, ctx: ParseContext) -> Fragment:
        return parse_ping(layout, text, ctx)


for _platform, _layout in LAYOUTS.items():
    _register(_platform, _layout)
