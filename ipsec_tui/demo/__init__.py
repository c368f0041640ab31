"""Embedded captures recorded from the real lab, so the cockpit runs with no root, network
or inventory: a healthy tunnel and a few faults to choose from."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml


@dataclass(frozen=True)
class DemoScenario:
    name: str  # folder name, e.g. strongswan-psk
    summary: str
    expected_cause: str
    path: Path


def demo_root() -> Path:
    return Path(str(resources.files("ipsec_tui.demo") / "captures"))


def demo_scenarios() -> list[DemoScenario]:
    """The embedded scenarios, healthy first."""
    found = []
    for folder in sorted(demo_root().iterdir()):
        meta_file = folder / "scenario.yml"
        if not meta_file.is_file():
            continue
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
        impl = meta.get("impl_b", "")
        found.append(
            DemoScenario(
                folder.name,
                f"{meta.get('summary', folder.name)} (siteB: {impl})",
                str(meta.get("expected_cause", "")),
                folder,
            )
        )
    found.sort(key=lambda s: (s.expected_cause != "healthy", s.name))
    return found
