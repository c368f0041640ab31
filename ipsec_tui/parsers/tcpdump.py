"""The probe's packet evidence (`ipsec-tui probe`): what a bounded capture of IKE and ESP on a
Linux gateway's WAN interface printed.

The capture is `timeout 8 tcpdump -nn -tt -l -c 400 -i IF udp port 500 or udp port 4500 or
esp` (text mode, numeric, epoch times), its allowlist entry `timeout 8 tcpdump` with the rest
as arguments, hence the key `timeout-8-tcpdump`; the template is `templates/linux/tcpdump.ttp`.
Each IKE or ESP line becomes a `Packet`: addresses and ports, ESP's SPI and sequence number,
IKE's exchange and, for IKEv2, whether it is a response (tcpdump prints the header's flags:
`ikev2_init[I]` a request of the original initiator, `inf2[R]` a response, `inf2[IR]` the
initiator's response, `inf2` a request of the original responder). IKEv1 lines say I, R or
`?` after the phase by what tcpdump saw of the cookies, not whether the message answers one,
so their `response` stays unknown.

An output without tcpdump's `listening on` line and without packets fails with tcpdump's own
error (`tcpdump: wanX: No such device exists`); one that started and caught nothing is an
understood, empty capture: no packet is evidence too.
"""

from __future__ import annotations

import re
from typing import Any

from ipsec_tui.domain.probe import Packet
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    ParseError,
    group_items,
    leave_unmatched,
    numbered_items,
    parser,
    source_ref,
    to_int,
    ttp_records,
)

KEY = "timeout-8-tcpdump"
TEMPLATE = "tcpdump"

# what follows `isakmp: ` (print-isakmp.c, ikev2_print / ikev1_print, without -v)
_IKEV2 = re.compile(r"^(?:parent_sa|child_sa)\s+(?P<exchange>[^\s\[]+)(?:\[(?P<flags>[IVR]*)\])?$")
_IKEV1 = re.compile(r"^phase \d(?:/others)? [IR?] (?P<exchange>[^\s\[]+)(?:\[[EC]*\])?$")
_INFO = "verbose output suppressed"


def _endpoint(value: str) -> tuple[str, int | None]:
    """`203.0.113.1.4500` -> (203.0.113.1, 4500); `203.0.113.1` (ESP) -> (it, None); IPv6
    `2001:db8::1.500` -> (2001:db8::1, 500): tcpdump -nn joins the port with a dot."""
    if ":" in value:
        address, dot, port = value.rpartition(".")
        return (address, int(port)) if dot and port.isdigit() else (value, None)
    parts = value.split(".")
    if len(parts) == 5 and parts[4].isdigit():
        return ".".join(parts[:4]), int(parts[4])
    return value, None


def _spi(value: str) -> str:
    """`0xf9cd9ccc` -> `f9cd9ccc` (8 hex digits, as swanctl prints SPIs)."""
    return value.lower().removeprefix("0x").zfill(8)


def _packet(item: dict[str, Any], ctx: ParseContext) -> Packet | None:
    src, sport = _endpoint(str(item["src"]))
    dst, dport = _endpoint(str(item["dst"]))
    common: dict[str, Any] = {
        "time": float(item["time"]),
        "src": src,
        "dst": dst,
        "sport": sport,
        "dport": dport,
        "encapsulated": bool(item.get("encap")),
        "source": source_ref(ctx, int(item["line"])),
    }
    if item.get("spi"):
        return Packet(
            kind="esp",
            spi=_spi(str(item["spi"])),
            seq=int(str(item["seq"]), 16),
            length=to_int(item.get("length")),
            **common,
        )
    if item.get("keepalive"):
        return Packet(kind="keepalive", **common)
    rest = " ".join(str(item.get("ike") or "").split())
    v2 = _IKEV2.match(rest)
    if v2:
        flags = v2["flags"] or ""
        return Packet(kind="ike", exchange=v2["exchange"], response="R" in flags, **common)
    v1 = _IKEV1.match(rest)
    if v1:
        return Packet(kind="ike", exchange=v1["exchange"], **common)
    return None


@parser("linux", KEY)
def parse_tcpdump(text: str, ctx: ParseContext) -> Fragment:
    """packets: every IKE and ESP packet, in order; tcpdump's statistics as a note."""
    items = numbered_items("linux", TEMPLATE, text)
    fragment = Fragment(understood=True)
    read: list[dict[str, Any]] = []
    listening = False
    errors: list[tuple[int, str]] = []
    stats: dict[str, int] = {}
    for item in items:
        line = int(item["line"])
        if item.get("time"):
            packet = _packet(item, ctx)
            if packet is None:
                fragment.leave_unplaced(
                    line, text.splitlines()[line - 1], "an IKE header tcpdump printed unlike 4.x"
                )
            else:
                fragment.packets.append(packet)
        elif item.get("interface"):
            listening = True
        elif item.get("message"):
            message = str(item["message"])
            if not message.startswith(_INFO):
                errors.append((line, message))
        for name in ("captured", "by_filter", "dropped"):
            if item.get(name) is not None:
                stats[name] = to_int(item[name]) or 0
        read.append(item)
    if not listening and not fragment.packets:
        if errors:
            raise ParseError(f"the capture did not start: tcpdump: {errors[0][1]}")
        raise ParseError("no `listening on` line and no packet: not a tcpdump capture")
    for line, message in errors:
        fragment.leave_unplaced(line, f"tcpdump: {message}", f"tcpdump reported: {message}")
    if stats:
        fragment.notes.append(
            f"tcpdump: {stats.get('captured', '?')} packets captured, "
            f"{stats.get('dropped', '?')} dropped by kernel"
        )
    leave_unmatched(fragment, text, read, "not a line of tcpdump's IKE/ESP capture")
    return fragment


def wan_interface(ip_br_addr: str, address: str) -> str | None:
    """The interface (`ip -br addr`) that holds `address`, without the `@peer` suffix iproute2
    prints for veth pairs (`wanA@if2` -> `wanA`): where the gateway's IKE packets go out."""
    for item in group_items(ttp_records("linux", "ip-br-addr", ip_br_addr), "interfaces"):
        held = {token.split("/", 1)[0] for token in str(item.get("addresses") or "").split()}
        if address in held:
            return str(item.get("interface") or "").split("@", 1)[0] or None
    return None
