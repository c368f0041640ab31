"""``ipsec-tui probe``: prove the packet path of a tunnel from both of its gateways.

Logs in to both peers once, collects them (the snapshot the probe is planned from, written
as a capture), then over the same sessions reads the child SA counters, pings from each
gateway to the far LAN and reads the counters again (see :mod:`ipsec_tui.probe`). On Linux
gateways a second session per peer captures IKE and ESP on the WAN interface meanwhile
(bounded tcpdump, started a second before the first reading). The probe's commands,
outputs (the capture text too) and times go into OUT/probe/ (a capture folder of its own)
and OUT/probe/probe.json.

Exit status as ``check``: 0 when the test went through both ways, 1 when it did not (or a
peer could not be probed), 2 on bad input (inventory, arguments, a platform with no probe).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ipsec_tui.collectors.inventory import tunnel_command
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PROBE_MAX_COUNT

if TYPE_CHECKING:
    from ipsec_tui.domain.probe import PacketSummary, ProbeResult


SUMMARY = "send a small test through the tunnel both ways and show where it vanishes"
DESCRIPTION = (
    "Read both peers' child SA counters, ping from each gateway (its own address in the near "
    "LAN as source) to the far LAN, read the counters again and show the deltas side by side: "
    "where the packets vanish names the cause and the side. Only read-only commands and a "
    "bounded ping built by the tool are sent."
)

# the options given per peer, PEER=VALUE
_PER_PEER = (
    ("--source", "PEER=ADDR",
     "the gateway's address to ping from (default: its own address in its LAN)"),
    ("--target", "PEER=ADDR",
     "the far host PEER pings (default: the first usable address of the far LAN)"),
    ("--source-if", "PEER=IFNAME",
     "the interface to ping from, where the platform pings from one (Cisco ASA)"),
)  # fmt: skip


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``probe`` subcommand."""
    parser = tunnel_command(subparsers, "probe", SUMMARY, DESCRIPTION)
    parser.add_argument(
        "--out", "-o", type=Path, metavar="DIR",
        help="capture folder to create (default: a new temporary folder, printed)",
    )  # fmt: skip
    parser.add_argument(
        "--count", "-c", type=int, default=3, metavar="N",
        help=f"pings per direction, 1-{PROBE_MAX_COUNT} (default 3)",
    )  # fmt: skip
    for option, metavar, text in _PER_PEER:  # each given once per peer
        parser.add_argument(option, action="append", default=[], metavar=metavar, help=text)
    parser.add_argument(
        "--no-capture", action="store_true",
        help="no packet capture on the gateways' WAN interfaces (Linux peers)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_probe_cli)


def _per_peer(values: list[str], option: str, peers: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        name, sep, given = value.partition("=")
        if not sep or not given.strip():
            raise UserError(f"{option} {value!r}: write it as PEER=VALUE")
        if name not in peers:
            raise UserError(f"{option} {value!r}: no peer {name!r} (peers: {', '.join(peers)})")
        found[name] = given.strip()
    return found


def run_probe_cli(args: argparse.Namespace) -> int:
    """Handler of ``probe``."""
    from ipsec_tui.collectors.capture_io import check_new_folder, new_capture_dir
    from ipsec_tui.collectors.inventory import load_inventory

    if not 1 <= args.count <= PROBE_MAX_COUNT:
        raise UserError(f"--count must be 1-{PROBE_MAX_COUNT}, not {args.count}")
    inventory = load_inventory(args.inventory)
    tunnel = inventory.tunnel(args.tunnel)
    names = tuple(peer.name for peer in tunnel.peers)
    sources = _per_peer(args.source, "--source", names)
    targets = _per_peer(args.target, "--target", names)
    source_ifs = _per_peer(args.source_if, "--source-if", names)
    out_dir: Path | None = args.out
    if out_dir is not None:
        check_new_folder(out_dir)
    from ipsec_tui.probe_run import ProbeOptions, check_probeable, probe_tunnel

    check_probeable(tunnel)  # a platform without a probe is known before anything connects
    from ipsec_tui.collectors.run import resolve_passwords

    folder = out_dir if out_dir is not None else new_capture_dir(None, tunnel.name, "probe")
    print(f"Probing tunnel {tunnel.name} ({' and '.join(names)}) into {folder}", file=sys.stderr)
    options = ProbeOptions(
        count=args.count,
        sources=sources,
        targets=targets,
        source_ifs=source_ifs,
        capture=not args.no_capture,
    )
    probe = probe_tunnel(tunnel, folder, resolve_passwords(tunnel), options)
    if probe.collected is not None and not probe.collected.ok:
        for failure in probe.collected.failures:
            print(f"ipsec-tui: {failure}", file=sys.stderr)
    if args.json:
        print(json.dumps(probe.to_dict(), indent=2))
    else:
        print_probe(probe.result)
        print(f"capture: {folder} (probe outputs in {folder / 'probe'})")
    return 0 if probe.result.verdict.cause == "healthy" else 1


def print_probe(result: ProbeResult) -> None:
    """The deltas side by side, one row per direction, then the verdict with its evidence."""
    header = ("direction", "ping", "enc (sender)", "dec (receiver)", "enc back", "dec back")
    rows = [header]
    for d in result.directions:
        ping = f"{d.ping.received}/{d.ping.sent}" if d.ping else "-"
        unit = "" if d.sender_delta.unit == "packets" else " B"

        def shown(value: int | None, unit: str = unit) -> str:
            return "?" if value is None else f"{value}{unit}"

        rows.append(
            (
                f"{d.sender} -> {d.receiver} ({d.source_addr or '?'} -> {d.target})",
                ping,
                shown(d.sender_delta.encrypted),
                shown(d.receiver_delta.decrypted),
                shown(d.receiver_delta.encrypted),
                shown(d.sender_delta.decrypted),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print_packets(result)
    verdict = result.verdict
    side = f"  (fix on {verdict.side})" if verdict.side else ""
    print(f"\nprobe: {verdict.cause}{side}\n  {verdict.summary}")
    for line in verdict.evidence:
        print(f"    {line}")


def _summary_line(summary: PacketSummary) -> str:
    if summary.error:
        return f"{summary.peer}: no packet capture ({summary.error})"

    def spis(counts: tuple[tuple[str, int], ...]) -> str:
        return ", ".join(f"{spi} x{n}" for spi, n in counts) or "none"

    def ike(total: int, requests: int, responses: int) -> str:
        # IKEv2 says request or response; IKEv1 as tcpdump prints it does not
        return (
            f"{total} ({requests} req, {responses} resp)" if requests or responses else str(total)
        )

    out = ike(summary.ike_out, summary.ike_requests_out, summary.ike_responses_out)
    into = ike(summary.ike_in, summary.ike_requests_in, summary.ike_responses_in)
    ran = f" [{summary.seconds:.1f} s, ended {summary.ended}]" if summary.seconds else ""
    return (
        f"{summary.peer} on {summary.interface} ({summary.address}): IKE out {out}, in "
        f"{into}; ESP out {spis(summary.esp_out)}; ESP in {spis(summary.esp_in)}{ran}"
    )


def print_packets(result: ProbeResult) -> None:
    """Each gateway's WAN capture over the whole probe, then per direction where ESP went;
    or, once, why there is no packet evidence."""
    from ipsec_tui.probe import packet_rows

    if not result.packets:
        print(f"\npackets: no capture ({result.packet_note or 'none was taken'})")
        return
    print("\npackets on the WAN (tcpdump on each gateway during the probe):")
    for summary in result.packets:
        print(f"  {_summary_line(summary)}")
    if result.packet_note:
        print(f"  {result.packet_note}")
    for d in result.directions:
        rows = packet_rows(d)
        if rows:
            print(f"  during {d.sender} -> {d.receiver}:")
            for row in rows:
                print(f"    {row}")
