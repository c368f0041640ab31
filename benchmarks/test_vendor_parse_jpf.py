"""Parse time of the largest real sample of each Juniper / Palo Alto / FortiGate command,
scaled up to 2,000 peers, and the same text through ntc-templates' TextFSM template where
ntc-templates has one for the command (only routes and version/status: it has no IPsec
templates for these platforms). The ratio ours / TextFSM goes to extra_info and is printed;
nothing is asserted about time."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers.base import parse_text

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "parsers"
PEERS = 2000

# (platform, command, sample, ntc-templates command or None, how a block repeats per peer)
CASES = [
    (
        "fortinet",
        "diagnose vpn ike gateway list",
        "diagnose-vpn-ike-gateway-list/handbook-natt-responder.txt",
        None,
    ),
    (
        "fortinet",
        "diagnose vpn tunnel list",
        "diagnose-vpn-tunnel-list/blog-mikrotik-ikev2-gcm-rekey.txt",
        None,
    ),
    (
        "fortinet",
        "get router info routing-table all",
        "get-router-info-routing-table-all/ntc-templates.txt",
        "get router info routing-table all",
    ),
    (
        "juniper_junos",
        "show security ike security-associations detail",
        "show-security-ike-security-associations-detail/blog-azure-cluster.txt",
        None,
    ),
    (
        "juniper_junos",
        "show security ipsec security-associations detail",
        "show-security-ipsec-security-associations-detail/blog-azure-cluster.txt",
        None,
    ),
    ("paloalto_panos", "show vpn ike-sa", "show-vpn-ike-sa/zscaler-docs-ikev2.txt", None),
    ("paloalto_panos", "show vpn ipsec-sa", "show-vpn-ipsec-sa/vyos-docs.txt", None),
    (
        "paloalto_panos",
        "show routing route",
        "show-routing-route/ntc-templates.txt",
        "show routing route",
    ),
]


def scaled(text: str, peers: int) -> str:
    """The sample's data lines repeated for `peers` peers, with the last IPv4 octet and
    hex SPIs varied so no two peers print the same line; headers stay once."""
    lines = text.splitlines()
    header = [line for line in lines[:3] if not re.search(r"\d+\.\d+\.\d+\.\d+|[0-9a-f]{8}", line)]
    body = lines[len(header) :]
    out = list(header)
    for peer in range(peers):
        for line in body:
            line = re.sub(
                r"(\d+\.\d+\.\d+\.)\d+", lambda m, peer=peer: f"{m.group(1)}{peer % 250 + 1}", line
            )
            out.append(
                re.sub(
                    r"\b([0-9a-f]{4})([0-9a-f]{4})\b",
                    lambda m, peer=peer: f"{peer:04x}{m.group(2)}",
                    line,
                )
            )
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("platform", "command", "sample", "ntc_command"), CASES, ids=[c[1] for c in CASES]
)
def test_vendor_parse_2000_peers(
    benchmark: BenchmarkFixture, platform: str, command: str, sample: str, ntc_command: str | None
) -> None:
    text = scaled((SAMPLES / platform / sample).read_text(encoding="utf-8"), PEERS)
    result, _ = benchmark.pedantic(
        parse_text, args=(platform, command, text), rounds=2, iterations=1
    )
    assert result.status == ParseStatus.OK, result.reason
    ours = benchmark.stats.stats.median if benchmark.stats else None
    if ntc_command is None:
        benchmark.extra_info["textfsm"] = "no ntc-templates template for this command"
        print(f"\n{platform} `{command}` x{PEERS}: ours {ours}s; ntc-templates has no template")
        return
    ntc = pytest.importorskip("ntc_templates.parse")
    start = time.perf_counter()
    ntc.parse_output(platform=platform, command=ntc_command, data=text)
    textfsm = time.perf_counter() - start
    if ours is None:  # --benchmark-disable: time ours once the same way
        start = time.perf_counter()
        parse_text(platform, command, text)
        ours = time.perf_counter() - start
    ratio = ours / textfsm if textfsm else None
    benchmark.extra_info.update(ours_s=ours, textfsm_s=textfsm, ratio_ours_over_textfsm=ratio)
    print(
        f"\n{platform} `{command}` x{PEERS}: ours {ours:.3f}s, TextFSM {textfsm:.3f}s, ratio {ratio:.2f}"  # noqa: E501
    )
