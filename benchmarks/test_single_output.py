"""Parse time of the commands a device prints once (version, system status, clock), where
ntc-templates has a TextFSM template for the same command: the real sample parsed many
times by ours (templates compiled once per process), by ntc-templates' parse_output as its
users call it (it reads its index and compiles the template on every call) and by the same
TextFSM template compiled once. The ratios go to extra_info and are printed; nothing is
asserted about time, only that the sample parses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers.base import parse_text

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "parsers"
TIMES = 200

# (platform, command, sample, ntc-templates command)
CASES = [
    ("paloalto_panos", "show system info", "show-system-info/ntc-templates.txt", None),
    ("fortinet", "get system status", "get-system-status/ntc-templates-7.4.8.txt", None),
    ("juniper_junos", "show version", "show-version/ntc-templates-srx-cluster.txt", None),
    ("cisco_ios", "show version", "show-version/ntc-c900.txt", None),
    ("cisco_ios", "show clock", "show-clock/ntc-unsynchronised.txt", None),
    ("cisco_asa", "show version", "show-version/ntc-asa5516.txt", None),
]


def _many(parse: object, times: int) -> float:
    start = time.perf_counter()
    for _ in range(times):
        parse()  # type: ignore[operator]
    return (time.perf_counter() - start) / times


@pytest.mark.parametrize(
    ("platform", "command", "sample", "ntc_command"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_single_output(
    benchmark: BenchmarkFixture, platform: str, command: str, sample: str, ntc_command: str | None
) -> None:
    text = (SAMPLES / platform / sample).read_text(encoding="utf-8")
    result, _ = parse_text(platform, command, text)  # compiles the template once
    assert result.status == ParseStatus.OK, result.reason
    benchmark.pedantic(  # type: ignore[no-untyped-call]
        parse_text, args=(platform, command, text), rounds=TIMES, iterations=1
    )
    ours = _many(lambda: parse_text(platform, command, text), TIMES)
    ntc = pytest.importorskip("ntc_templates.parse")
    textfsm = _many(
        lambda: ntc.parse_output(platform=platform, command=ntc_command or command, data=text),
        TIMES,
    )
    textfsm_module = pytest.importorskip("textfsm")
    name = f"{platform}_{(ntc_command or command).replace(' ', '_')}.textfsm"
    with open(Path(ntc.__file__).parent / "templates" / name, encoding="utf-8") as template:
        fsm = textfsm_module.TextFSM(template)

    def compiled() -> None:
        fsm.Reset()
        fsm.ParseText(text)

    textfsm_compiled = _many(compiled, TIMES)
    ratio, ratio_compiled = ours / textfsm, ours / textfsm_compiled
    benchmark.extra_info.update(
        ours_ms=ours * 1000,
        textfsm_ms=textfsm * 1000,
        textfsm_compiled_ms=textfsm_compiled * 1000,
        ratio=ratio,
        ratio_compiled=ratio_compiled,
    )
    print(
        f"\n{platform} `{command}` once: ours {ours * 1000:.2f} ms, ntc parse_output "
        f"{textfsm * 1000:.2f} ms (ratio {ratio:.2f}), TextFSM compiled once "
        f"{textfsm_compiled * 1000:.2f} ms (ratio {ratio_compiled:.2f})"
    )
