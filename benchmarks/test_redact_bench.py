"""Redaction time for 1x and 10x inputs of several shapes; linear time means a ratio near 10."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ipsec_tui.redact import leaks, redact

BASE = 2_000_000  # characters of the 1x input
_WORDS = [
    *("interface", "crypto", "map", "set", "peer", "203.0.113.9", "transform-set", "esp-aes"),
    *("show", "key", "password", "community", "secret", "=", ":", "PSK", "pre-shared-key"),
    *("isakmp", "address", "established", "rekeying"),
]
_SECRETS = (
    "crypto isakmp key {} address 203.0.113.9",
    '    secret = "{}"',
    "%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:username x password 0 {}",
    "10.1.0.1 10.2.0.1 : psk {}",
)


def _random_text(size: int) -> str:
    rng = random.Random(9)
    lines: list[str] = []
    total = 0
    while total < size:
        if rng.random() < 0.05:
            line = rng.choice(_SECRETS).format(f"S{rng.getrandbits(48):x}")
        else:
            line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 12)))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


SHAPES: dict[str, Callable[[int], str]] = {
    "blank-lines": lambda size: "\n" * size,
    "one-long-line": lambda size: "x" * size,
    "pem-begins": lambda size: "-----BEGIN RSA PRIVATE KEY-----\n" * (size // 32),
    "random-with-secrets": _random_text,
}


def _seconds(text: str) -> float:
    start = time.perf_counter()
    clean = redact(text).text
    leaks(clean)
    return time.perf_counter() - start


@pytest.mark.parametrize("shape", SHAPES)
def test_redact_and_leaks_are_linear(benchmark: BenchmarkFixture, shape: str) -> None:
    small = SHAPES[shape](BASE)
    large = SHAPES[shape](10 * BASE)
    one = _seconds(small)
    ten = benchmark.pedantic(_seconds, args=(large,), rounds=1, iterations=1)
    ratio = ten / one if one else float("inf")
    benchmark.extra_info.update(
        {"shape": shape, "1x_s": round(one, 3), "10x_s": round(ten, 3), "ratio": round(ratio, 1)}
    )
    print(
        f"\n{shape}: {len(small) / 1e6:.0f} MB {one:.2f}s, {len(large) / 1e6:.0f} MB {ten:.2f}s,"
        f" ratio {ratio:.1f} (linear: ~10)"
    )
