"""Checks register themselves under a stable dotted id; playbooks refer to those ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ipsec_tui.checks.pair import Pair
from ipsec_tui.domain.model import Finding

CheckFn = Callable[[Pair, str], Finding]  # (pair, step id) -> finding


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


def all_checks() -> dict[str, Check]:
    # importing the modules registers their checks
    from ipsec_tui.checks import (  # noqa: F401
        children,
        collection,
        fragmentation,
        identity,
        liveness,
        nat,
        negotiation,
        path,
        proposals,
        rekey,
        sas,
        selectors,
        versions,
    )

    return CHECKS
