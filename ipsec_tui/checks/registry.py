"""Checks register themselves under a stable dotted id; playbooks refer to those ids.

A check is a function of the two peers that returns its `verdict`: a finding whose step and
check id the engine fills in, so a check never writes its own id. Every module of this
package is imported once to register its checks: a new check module is a new file, nothing
to list here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

from ipsec_tui.checks.pair import Pair
from ipsec_tui.domain.model import Finding

# What a check returns: verdict(status, title, rows, evidence, next_action, causes), a
# Finding whose step and check id stay empty until the engine stamps them.
verdict = partial(Finding, "", "")

CheckFn = Callable[[Pair], Finding]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    fn: CheckFn


CHECKS: dict[str, Check] = {}


def check(check_id: str, title: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        if check_id in CHECKS:
            raise ValueError(f"check {check_id} registered twice")
        CHECKS[check_id] = Check(check_id, title, fn)
        return fn

    return register


@cache
def _load_checks() -> None:
    """Import every module of this package once: importing registers its checks."""
    import importlib
    import pkgutil

    import ipsec_tui.checks as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"ipsec_tui.checks.{info.name}")


def all_checks() -> dict[str, Check]:
    _load_checks()
    return CHECKS
