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
from ipsec_tui.lab import topology as topo
from ipsec_tui.lab.topology import lab_dir


def folder_name(name: str, child: int | None, ike_version: int, auth: str, children: int) -> str:
    """A scenario's folder: the fault's name behind the baseline's options that differ from
    the default (`ikev1-psk`, `cert-mtu`, `children3-child-proposal-lan2`)."""
    prefix = ""
    if ike_version != 2:
        prefix += f"ikev{ike_version}-"
    if auth != "psk":
        prefix += f"{auth}-"
    if children != 1:
        prefix += f"children{children}-"
    return prefix + name + (f"-{topo.child_name(child)}" if child else "")


def recorded_with(impl_b: str, spec: str, ike_version: int, auth: str, children: int) -> str:
    """The command that records this scenario again from the lab."""
    flags = f" --impl-b {impl_b}" if impl_b != "strongswan" else ""
    flags += f" --ike-version {ike_version}" if ike_version != 2 else ""
    flags += f" --auth {auth}" if auth != "psk" else ""
    flags += f" --children {children}" if children != 1 else ""
    return f"ipsec-tui lab record{flags} OUT {spec}"


def record(
    out_dir: Path,
    impl_b: str,
    names: list[str] | None = None,
    say: Callable[[str], None] = print,
    *,
    ike_version: int = 2,
    auth: str = "psk",
    children: int = 1,
) -> list[Path]:
    """Bring the lab up with `impl_b` on siteB and record each scenario into out_dir/<name>;
    a name NAME:N records per-child fault NAME on child N."""
    from ipsec_tui.collectors.inventory import load_inventory
    from ipsec_tui.collectors.run import collect_tunnel

    lab, _ = core.up(impl_b, ike_version=ike_version, auth=auth, children=children)
    tunnel = load_inventory(lab_dir() / "inventory.yml").tunnel("lab")
    # a fault that shows only over time (a watch) has no snapshot of its own to record
    wanted = names or ["baseline", *(n for n, f in faults.FAULTS.items() if not f.over_time)]
    written = []
    for spec in wanted:
        name, _, child_text = spec.partition(":")
        child = int(child_text) if child_text.isdigit() else None
        fault = faults.FAULTS.get(name)
        if fault and fault.per_child and child is None:
            child = 2
        target = out_dir / folder_name(name, child, ike_version, auth, children)
        if target.exists():
            raise UserError(f"{target}: already exists; remove it or choose another folder")
        if fault and fault.needs_child_sa and not lab.child_sa_supported:
            say(f"skip {name}: {lab.limitation()}")
            continue
        if fault and lab.state.children < fault.min_children:
            say(f"skip {name}: needs {fault.min_children}+ children")
            continue
        changed = faults.reset(lab) if fault is None else faults.inject(lab, name, child)
        result = collect_tunnel(tunnel, target, passwords={})
        if not result.ok:
            raise UserError(f"{name}: collection failed: {'; '.join(result.failures)}")
        scenario = {
            "scenario": target.name,
            # where these outputs came from: the real lab, and how to record them again
            "recorded_with": recorded_with(impl_b, spec, ike_version, auth, children),
            "fault": name if fault else None,
            "impl_b": impl_b,
            "esp_backend": lab.state.esp_backend,
            "ike_version": ike_version,
            "auth": auth,
            "children": children,
            "fault_side": fault.site.name if fault else None,
            "summary": fault.summary if fault else "healthy baseline",
            "expected_cause": fault.expected_cause if fault else "healthy",
            # what the fault changed, not the lab's own housekeeping before it
            "changed": [c for c in changed if not c.startswith("reset the previous")]
            if fault
            else [],
        }
        if fault and fault.fix_side:
            scenario["expected_side"] = fault.fix_side.name
        if child:
            scenario["child"] = topo.child_name(child)
            scenario["summary"] = (
                str(scenario["summary"])
                .replace("one child's", f"child {topo.child_name(child)}'s")
                .replace(".N.", f".{child}.")
                + " (the other children are up)"
            )
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
