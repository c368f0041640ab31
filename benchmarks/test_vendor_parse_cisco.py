"""Parse time of the largest real sample of each Cisco IOS/IOS-XE and ASA command, scaled up
to 2,000 peers (the per-peer block repeated with new addresses and SPIs), and the same text
through ntc-templates' TextFSM template where ntc-templates has one for the command. The
ratio ours / TextFSM goes to extra_info and is printed; nothing is asserted about time,
only that the scaled output still parses into one entry per peer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers.base import Fragment, parse_text

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "parsers"
PEERS = 2000


def _sas(fragment: Fragment) -> int:
    return len(fragment.ike_sas)


def _children(fragment: Fragment) -> int:
    return sum(len(sa.child_sas) for sa in fragment.ike_sas)


def _connections(fragment: Fragment) -> int:
    return len(fragment.connections)


def _routes(fragment: Fragment) -> int:
    return len(fragment.routes)


def _events(fragment: Fragment) -> int:
    return len(fragment.log)


def _notes(fragment: Fragment) -> int:
    return len(fragment.notes)


# (platform, command, sample, where a peer's block starts (regex, None: the whole sample),
#  ntc-templates command or None, what to count, how many per repeated block)
CASES: list[tuple[str, str, str, str | None, str | None, Callable[[Fragment], int], int]] = [
    (
        "cisco_ios",
        "show crypto ikev2 sa detailed",
        "show-crypto-ikev2-sa-detailed/genie-golden-output4.txt",
        r"^Tunnel-id",
        None,
        _sas,
        3,
    ),
    (
        "cisco_ios",
        "show crypto ikev2 session detailed",
        "show-crypto-ikev2-session-detailed/genie-csr8kv-detailed.txt",
        None,
        None,
        _sas,
        2,
    ),
    (
        "cisco_ios",
        "show crypto isakmp sa detail",
        "show-crypto-isakmp-sa-detail/genie-isakmp.txt",
        None,
        None,
        _sas,
        4,
    ),
    (
        "cisco_ios",
        "show crypto ipsec sa detail",
        "show-crypto-ipsec-sa-detail/ntc-detail-2.txt",
        None,
        "show crypto ipsec sa detail",
        _children,
        3,
    ),
    (
        "cisco_ios",
        "show crypto session detail",
        "show-crypto-session-detail/ntc-detail.txt",
        r"^Interface:",
        "show crypto session detail",
        _sas,
        5,
    ),
    (
        "cisco_ios",
        "show crypto ikev2 proposal",
        "show-crypto-ikev2-proposal/genie-golden-output.txt",
        None,
        None,
        _connections,
        2,
    ),
    (
        "cisco_ios",
        "show crypto ipsec profile",
        "show-crypto-ipsec-profile/genie-golden-output-1.txt",
        None,
        None,
        _connections,
        3,
    ),
    (
        "cisco_ios",
        "show crypto map",
        "show-crypto-map/genie-golden-output-1.txt",
        None,
        None,
        _connections,
        1,
    ),
    (
        "cisco_ios",
        "show crypto pki certificates",
        "show-crypto-pki-certificates/ntc-1.txt",
        None,
        "show crypto pki certificates",
        _notes,
        3,
    ),
    (
        "cisco_ios",
        "show ip route",
        "show-ip-route/ntc-classful.txt",
        r"^\s+1\.0\.0\.0/32",
        "show ip route",
        _routes,
        19,
    ),
    (
        "cisco_ios",
        "show logging",
        "show-logging/ntc-5-crypto-wrapped.txt",
        r"^\*Sep 14 05:59",
        "show logging",
        _events,
        3,
    ),
    (
        "cisco_asa",
        "show crypto ikev2 sa",
        "show-crypto-ikev2-sa/genie-golden-output1-ipv6.txt",
        r"^Session-id",
        None,
        _children,
        2,
    ),
    (
        "cisco_asa",
        "show crypto ikev1 sa detail",
        "show-crypto-ikev1-sa-detail/ntc-table-layout.txt",
        None,
        "show crypto ikev1 sa detail",
        _sas,
        4,
    ),
    (
        "cisco_asa",
        "show crypto ipsec sa",
        "show-crypto-ipsec-sa/ntc.txt",
        None,
        "show crypto ipsec sa",
        _children,
        3,
    ),
    (
        "cisco_asa",
        "show vpn-sessiondb detail l2l",
        "show-vpn-sessiondb-detail-l2l/ntc-4-ikev2-natt.txt",
        r"^Connection",
        "show vpn-sessiondb detail l2l",
        _sas,
        2,
    ),
    (
        "cisco_asa",
        "show running-config crypto",
        "show-running-config-crypto/forum-ikev2-l2l.txt",
        r"^crypto map",
        None,
        _connections,
        1,
    ),
    (
        "cisco_asa",
        "show running-config tunnel-group",
        "show-running-config-tunnel-group/forum-ikev2-l2l.txt",
        None,
        "show running-config tunnel-group",
        _connections,
        1,
    ),
    ("cisco_asa", "show route", "show-route/ntc-vpn-routes.txt", r"^V ", "show route", _routes, 6),
    ("cisco_asa", "show logging", "show-logging/ntc-1.txt", r"^Aug 15", "show logging", _events, 4),
]


def _vary(line: str, peer: int) -> str:
    """One peer's copy of a line: IPv4 addresses moved into that peer's own /16-ish space,
    names made unique, hex SPIs given the peer's number in their first digits."""
    line = re.sub(  # addresses, not masks nor 0.0.0.0
        r"\b(?!255\.|0\.0\.0\.0)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b",
        lambda m: f"{m.group(1)}.{m.group(2)}.{peer // 250}.{peer % 250 + 1}",
        line,
    )
    line = re.sub(  # SPIs: 0x-prefixed, or bare 8/16-digit hex words with a letter in them
        r"\b(0x)([0-9A-Fa-f]{4})([0-9A-Fa-f]{3,4})\b|"
        r"\b(?=[0-9]*[A-Fa-f])([0-9A-Fa-f]{4})([0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})\b",
        lambda m: f"0x{peer:04X}{m.group(3)}" if m.group(1) else f"{peer:04X}{m.group(5)}",
        line,
    )
    # tunnel ids, crypto map entries, proposal/profile names, tunnel-group and session ids
    line = re.sub(
        r"^(\s*)(\d{1,7})(\s{2,}|\s+\S+/\d+\s)",
        lambda m: f"{m.group(1)}{peer * 10 + int(m.group(2)) % 10}{m.group(3)}",
        line,
    )
    line = re.sub(
        r"((?:IKEv2 proposal|IPSEC profile|Crypto Map IPv4|tunnel-group|Interface|crypto map) "
        r"\"?)([A-Za-z_][\w-]*)",
        lambda m: f"{m.group(1)}{m.group(2)}{peer}",
        line,
    )
    return re.sub(r"(Session-id:)(\d+)", lambda m: f"{m.group(1)}{peer}", line)


def scaled(text: str, block_start: str | None, peers: int) -> str:
    """The sample's per-peer block repeated for `peers` peers (`block_start`: where the
    first block begins; the text before it is a header printed once)."""
    lines = text.splitlines()
    start = 0
    if block_start is not None:
        start = next(i for i, line in enumerate(lines) if re.match(block_start, line))
    header, body = lines[:start], lines[start:]
    out = list(header)
    for peer in range(peers):
        out += [_vary(line, peer) for line in body]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("platform", "command", "sample", "block", "ntc_command", "count", "per_block"),
    CASES,
    ids=[f"{c[0]}: {c[1]}" for c in CASES],
)
def test_cisco_parse_2000_peers(
    benchmark: BenchmarkFixture,
    platform: str,
    command: str,
    sample: str,
    block: str | None,
    ntc_command: str | None,
    count: Callable[[Fragment], int],
    per_block: int,
) -> None:
    text = scaled((SAMPLES / platform / sample).read_text(encoding="utf-8"), block, PEERS)
    result, fragment = benchmark.pedantic(  # type: ignore[no-untyped-call]
        parse_text, args=(platform, command, text), rounds=1, iterations=1
    )
    assert result.status in (ParseStatus.OK, ParseStatus.EMPTY), result.reason
    assert count(fragment) >= PEERS * per_block * 0.99, (count(fragment), PEERS * per_block)
    ours = benchmark.stats.stats.median if benchmark.stats else None
    if ours is None:  # --benchmark-disable: time ours once the same way
        start = time.perf_counter()
        parse_text(platform, command, text)
        ours = time.perf_counter() - start
    lines = text.count("\n")
    if ntc_command is None:
        benchmark.extra_info.update(ours_s=ours, lines=lines, textfsm="no ntc-templates template")
        print(f"\n{platform} `{command}` x{PEERS} ({lines} lines): ours {ours:.2f}s; no TextFSM")
        return
    ntc = pytest.importorskip("ntc_templates.parse")
    start = time.perf_counter()
    try:
        ntc.parse_output(platform=platform, command=ntc_command, data=text)
    except Exception as exc:  # TextFSM's Error state on a line its template does not expect
        benchmark.extra_info.update(ours_s=ours, lines=lines, textfsm=f"raised {exc!s:.120}")
        print(
            f"\n{platform} `{command}` x{PEERS} ({lines} lines): ours {ours:.2f}s; TextFSM raised"
        )
        return
    textfsm = time.perf_counter() - start
    ratio = ours / textfsm if textfsm else None
    benchmark.extra_info.update(
        ours_s=ours, textfsm_s=textfsm, ratio_ours_over_textfsm=ratio, lines=lines
    )
    print(
        f"\n{platform} `{command}` x{PEERS} ({lines} lines): ours {ours:.2f}s, "
        f"TextFSM {textfsm:.2f}s, ratio {ratio:.2f}"
    )
