"""Record the lab's scenarios as captures: the baseline and every fault, collected over SSH.

These captures are the project's ground truth for offline work: test data for the parsers
and checks, and the demo's embedded captures. Each scenario folder is an ordinary capture
plus `scenario.yml` saying what was injected and what the diagnosis should be.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from ipsec_tui.errors import UserError
from ipsec_tui.lab import core, faults
from ipsec_tui.lab.topology import lab_dir


def record(
    out_dir: Path, impl_b: str, names: list[str] | None = None, say: Callable[[str], None] = print
) -> list[Path]:
    """Bring the lab up with `impl_b` on siteB and record each scenario into out_dir/<name>."""
    from ipsec_tui.collectors.inventory import load_inventory
    from ipsec_tui.collectors.run import collect_tunnel

    lab, _ = core.up(impl_b)
    tunnel = load_inventory(lab_dir() / "inventory.yml").tunnel("lab")
    wanted = names or ["baseline", *faults.FAULTS]
    written = []
    for name in wanted:
        target = out_dir / name
        if target.exists():
            raise UserError(f"{target}: already exists; remove it or choose another folder")
        fault = faults.FAULTS.get(name)
        if fault and fault.needs_child_sa and not lab.child_sa_supported:
            say(f"skip {name}: {lab.limitation()}")
            continue
        changed = faults.reset(lab) if fault is None else faults.inject(lab, name)
        result = collect_tunnel(tunnel, target, passwords={})
        if not result.ok:
            raise UserError(f"{name}: collection failed: {'; '.join(result.failures)}")
        scenario = {
            "scenario": name,
            "impl_b": impl_b,
            "esp_backend": lab.state.esp_backend,
            "fault_side": fault.site.name if fault else None,
            "summary": fault.summary if fault else "healthy baseline",
            "expected_cause": fault.expected_cause if fault else "healthy",
            "changed": changed if fault else [],
        }
        if lab.limitation():
            scenario["limitation"] = lab.limitation()
            if fault is None:  # the baseline itself cannot install its child SA here
                scenario["expected_cause"] = "sa-install-failed"
                scenario["fault_side"] = "siteB"
                scenario["summary"] = (
                    "baseline on a kernel without ESP, Libreswan cannot install the child SA"
                )
        (target / "scenario.yml").write_text(yaml.safe_dump(scenario, sort_keys=False))
        say(f"recorded {name} -> {target}")
        written.append(target)
    faults.reset(lab)
    return written
