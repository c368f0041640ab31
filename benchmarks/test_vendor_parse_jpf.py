"""Parse time of the largest real sample of each Juniper / Palo Alto / FortiGate command,
scaled up to 2,000 peers, and the same text through ntc-templates' TextFSM template where
ntc-templates has one for the command (only routes and version/status: it has no IPsec
templates for these platforms). The ratio ours / TextFSM goes to extra_info and is printed
with how many rows each parser read; nothing is asserted about time, only that the scaled
output still parses into as many facts per peer as the sample holds."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers.base import Fragment, parse_text

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "parsers"
PEERS = 2000
_ADDRESS_OR_SPI = r"\d+\.\d+\.\d+\.\d+|\b[0-9A-Fa-f]{8}\b"


@dataclass(frozen=True)
class Case:
    """One command's sample and how it grows with the number of peers."""

    platform: str
    command: str
    sample: str
    # Tables: the lines (regex) that are one peer's rows, each repeated in place per peer.
    rows: str | None = None
    # Blocks: where one peer's block starts (regex); the block runs to `footer` (a regex for
    # the printed-once trailer) or the end. Neither rows nor block: the whole sample after
    # its first lines without an address is the block.
    block: str | None = None
    footer: str | None = None
    # Names (regex) made unique per peer: a hub's peers have gateways of their own.
    names: str | None = None
    ntc: str | None = None

    @property
    def id(self) -> str:
        return f"{self.platform}: {self.command}"


CASES = [
    Case(
        "fortinet",
        "diagnose vpn ike gateway list",
        "diagnose-vpn-ike-gateway-list/handbook-natt-responder.txt",
        block=r"^vd: ",
        names=r"(?<=^name: )\S+",
    ),
    Case(
        "fortinet",
        "get vpn ike gateway",
        "get-vpn-ike-gateway/blog-mikrotik-ikev2.txt",
        block=r"^vd: ",
        names=r"(?<=^name: )\S+",
    ),
    Case(
        "fortinet",
        "diagnose vpn tunnel list",
        "diagnose-vpn-tunnel-list/blog-mikrotik-ikev2-gcm-rekey.txt",
        block=r"^name=",
        names=r"(?<=^name=)\S+",
    ),
    Case(
        "fortinet",
        "show vpn ipsec phase1-interface",
        "show-vpn-ipsec-phase1-interface/handbook-natt.txt",
        block=r"^\s+edit ",
        footer=r"^end",
        names=r'(?<=edit ")[^"]+',
    ),
    Case(
        "fortinet",
        "show vpn ipsec phase2-interface",
        "show-vpn-ipsec-phase2-interface/handbook-natt.txt",
        block=r"^\s+edit ",
        footer=r"^end",
        names=r'(?<=edit ")[^"]+|(?<=phase1name ")[^"]+',
    ),
    Case(
        "fortinet",
        "get router info routing-table all",
        "get-router-info-routing-table-all/ntc-templates.txt",
        block=r"^\S.* \d+\.\d+\.\d+\.\d+/\d+",
        ntc="get router info routing-table all",
    ),
    Case(
        "juniper_junos",
        "show security ike security-associations detail",
        "show-security-ike-security-associations-detail/blog-azure-cluster.txt",
        block=r"^IKE peer ",
        names=r"(?<=Gateway Name: )\S+",
    ),
    Case(
        "juniper_junos",
        "show security ipsec security-associations detail",
        "show-security-ipsec-security-associations-detail/blog-azure-cluster.txt",
        block=r"^ID: ",
        names=r"(?<=VPN Name: )\S+",
    ),
    Case(
        "paloalto_panos",
        "show vpn ike-sa",
        "show-vpn-ike-sa/zscaler-docs-ikev2.txt",
        rows=_ADDRESS_OR_SPI,
        names=r"\blocalzs3\b",
    ),
    Case(
        "paloalto_panos",
        "show vpn ike-sa",
        "show-vpn-ike-sa/vyos-docs-ikev1.txt",
        rows=_ADDRESS_OR_SPI,
        names=r"\bVyOS\b",
    ),
    Case(
        "paloalto_panos",
        "show vpn ipsec-sa",
        "show-vpn-ipsec-sa/vyos-docs.txt",
        rows=_ADDRESS_OR_SPI,
        names=r"\bVyOS\b",
    ),
    Case(
        "paloalto_panos",
        "show vpn flow",
        "show-vpn-flow/zscaler-docs.txt",
        rows=r"^\d+ ",
        names=r"\blocalzs3\b",
    ),
    Case(
        "paloalto_panos",
        "show vpn gateway",
        "show-vpn-gateway/zscaler-docs.txt",
        rows=r"^\d+ ",
        names=r"\bVPN-\d+\b",
    ),
    Case(
        "paloalto_panos",
        "show vpn tunnel",
        "show-vpn-tunnel/zscaler-docs.txt",
        rows=r"^\d+ ",
        names=r"\b(?:Zscaler-Tunnel|Zscaler-backup-tunnel|VPN-\d+)\b",
    ),
    Case(
        "paloalto_panos",
        "show routing route",
        "show-routing-route/ntc-templates.txt",
        rows=r"^[0-9a-fA-F.:]+/\d+ ",
        ntc="show routing route",
    ),
]


def facts(fragment: Fragment) -> int:
    """How many things a parse found: SAs, child SAs, connections, children, routes."""
    return (
        len(fragment.ike_sas)
        + sum(len(sa.child_sas) for sa in fragment.ike_sas)
        + len(fragment.connections)
        + sum(len(c.children) for c in fragment.connections)
        + len(fragment.routes)
    )


def _vary(line: str, peer: int, names: str | None) -> str:
    """One peer's copy of a line: the last IPv4 octet, the first half of 8-digit hex SPIs
    and the names given the peer's number."""
    line = re.sub(r"(\d+\.\d+\.)(\d+)\.(\d+)", rf"\g<1>{peer // 250}.{peer % 250 + 1}", line)
    line = re.sub(r"\b([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})\b", rf"{peer:04X}\g<2>", line)
    if names:
        line = re.sub(names, lambda m: f"{m.group(0)}-{peer}", line, flags=re.M)
    return line


def scaled(text: str, case: Case, peers: int) -> str:
    """The sample grown to `peers` peers: its rows repeated in place, or its per-peer block
    repeated between the printed-once header and footer."""
    lines = text.splitlines()
    if case.rows is not None:
        out: list[str] = []
        for line in lines:
            if re.search(case.rows, line):
                out += [_vary(line, peer, case.names) for peer in range(peers)]
            else:
                out.append(line)
        return "\n".join(out) + "\n"
    if case.block is not None:
        start = next(i for i, line in enumerate(lines) if re.search(case.block, line))
    else:
        start = len(
            [line for line in lines[:3] if not re.search(r"\d+\.\d+\.\d+\.\d+|[0-9a-f]{8}", line)]
        )
    end = len(lines)
    if case.footer is not None:
        end = next(i for i, line in enumerate(lines) if i > start and re.search(case.footer, line))
    out = lines[:start]
    for peer in range(peers):
        out += [_vary(line, peer, case.names) for line in lines[start:end]]
    return "\n".join(out + lines[end:]) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.id} ({Path(c.sample).stem})" for c in CASES])
def test_vendor_parse_2000_peers(benchmark: BenchmarkFixture, case: Case) -> None:
    sample = (SAMPLES / case.platform / case.sample).read_text(encoding="utf-8")
    text = scaled(sample, case, PEERS)
    _, one_peer = parse_text(case.platform, case.command, sample)
    result, fragment = benchmark.pedantic(  # type: ignore[no-untyped-call]
        parse_text, args=(case.platform, case.command, text), rounds=2, iterations=1
    )
    assert result.status == ParseStatus.OK, result.reason
    assert facts(fragment) >= facts(one_peer) * PEERS * 0.99, (facts(fragment), facts(one_peer))
    ours = benchmark.stats.stats.median if benchmark.stats else None
    if ours is None:  # --benchmark-disable: time ours once the same way
        start = time.perf_counter()
        parse_text(case.platform, case.command, text)
        ours = time.perf_counter() - start
    lines = text.count("\n")
    if case.ntc is None:
        benchmark.extra_info.update(ours_s=ours, lines=lines, textfsm="no ntc-templates template")
        print(f"\n{case.id} x{PEERS} ({lines} lines): ours {ours:.3f}s; no TextFSM template")
        return
    ntc = pytest.importorskip("ntc_templates.parse")
    start = time.perf_counter()
    rows = ntc.parse_output(platform=case.platform, command=case.ntc, data=text)
    textfsm = time.perf_counter() - start
    ratio = ours / textfsm if textfsm else None
    benchmark.extra_info.update(
        ours_s=ours,
        textfsm_s=textfsm,
        ratio_ours_over_textfsm=ratio,
        lines=lines,
        rows_ours=facts(fragment),
        rows_textfsm=len(rows),
    )
    print(
        f"\n{case.id} x{PEERS} ({lines} lines): ours {ours:.3f}s ({facts(fragment)} rows), "
        f"TextFSM {textfsm:.3f}s ({len(rows)} rows), ratio {ratio:.2f}"
    )
