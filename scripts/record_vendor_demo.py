#!/usr/bin/env python3
"""Regenerate the embedded demo `cisco-ios-strongswan` by collecting it (never by hand).

    python3 scripts/record_vendor_demo.py [--out ipsec_tui/demo/captures/cisco-ios-strongswan]

siteB is collected now, over SSH with Netmiko's `cisco_ios` driver, from the emulated Cisco
IOS router of tests/vendors/emulated.py (a FakeNOS SSH server answering with the real
recorded outputs of tests/parsers/cisco_ios/); siteA is strongSwan's siteA of the lab's
healthy baseline (tests/data/captures/strongswan/baseline/siteA), copied as recorded. The
two halves come from different real networks, so the checks find mismatches; scenario.yml
records what `ipsec-tui check --json` says about the pair (expected_cause, fault_side) and
names the checks that failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from vendors.emulated import STRONGSWAN_SITE_A, collect_pair, emulate  # noqa: E402

NAME = "cisco-ios-strongswan"
DEFAULT_OUT = ROOT / "ipsec_tui" / "demo" / "captures" / NAME
DESCRIPTION = (
    "ipsec-tui demo: siteA (strongswan, recorded in the lab) <-> siteB (cisco_ios, an "
    "emulated IOS router answering with real recorded outputs)"
)


def check(folder: Path) -> dict[str, object]:
    """What `ipsec-tui check FOLDER --json` prints (exit code 0 healthy, 1 a problem)."""
    done = subprocess.run(
        [sys.executable, "-m", "ipsec_tui.cli", "check", str(folder), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr.strip()}")
    result: dict[str, object] = json.loads(done.stdout)
    return result


def scenario(result: dict[str, object]) -> dict[str, object]:
    diagnosis = result["diagnosis"]
    steps = result["steps"]
    assert isinstance(diagnosis, dict) and isinstance(steps, list)
    failed = [
        finding["check_id"]
        for step in steps
        for finding in step["findings"]
        if finding["status"] == "fail"
    ]
    return {
        "scenario": "vendor-pair",
        "impl_b": "cisco_ios (emulated)",
        "fault_side": diagnosis["side"],
        "summary": (
            "strongSwan against a Cisco IOS router, two halves from different real networks "
            f"(not one tunnel), so they disagree: {', '.join(failed)}"
        ),
        "expected_cause": diagnosis["cause"],
        "changed": [],
        "recorded_with": (
            "scripts/record_vendor_demo.py: siteB collected over SSH (Netmiko cisco_ios) from "
            "the FakeNOS router of tests/vendors/emulated.py, which answers with the samples "
            "of tests/parsers/cisco_ios/; siteA copied from "
            "tests/data/captures/strongswan/baseline/siteA"
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    out: Path = args.out.resolve()
    with tempfile.TemporaryDirectory(prefix="vendor-demo-") as scratch:
        work = Path(scratch)
        with emulate("cisco_ios", work / "device") as device:
            collect_pair(
                device,
                work / NAME,
                tunnel="vendor-pair",
                description=DESCRIPTION,
                strongswan=STRONGSWAN_SITE_A,
            )
        meta = scenario(check(work / NAME))
        (work / NAME / "scenario.yml").write_text(
            yaml.safe_dump(meta, sort_keys=False, width=100), encoding="utf-8"
        )
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(work / NAME, out)
    print(f"{out}: {meta['expected_cause']} (fix on {meta['fault_side']})")
    print(f"  {meta['summary']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
