"""Playbooks: the ordered troubleshooting steps as YAML, validated on load.

The default playbook ships with the package (playbooks/default.yml). An expert can reorder
steps or checks, drop or add them, in a copy passed with `--playbook`, without touching
Python; the check ids must be known (`ipsec-tui check --list-checks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ipsec_tui.errors import UserError
from ipsec_tui.yamlfile import load_yaml, mapping_problem

_STEP_KEYS = {"id", "title", "checks", "description"}
_TOP_KEYS = {"name", "description", "steps"}


@dataclass(frozen=True)
class PlaybookStep:
    id: str
    title: str
    checks: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Playbook:
    name: str
    steps: tuple[PlaybookStep, ...]
    description: str = ""
    source: str = ""


def default_playbook_path() -> Path:
    shipped = resources.files("ipsec_tui") / "playbooks" / "default.yml"
    if shipped.is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "playbooks" / "default.yml"  # source tree


def load_playbook(path: Path | None = None, known_checks: set[str] | None = None) -> Playbook:
    """Read and validate a playbook; every problem names the file and the step."""
    path = path or default_playbook_path()
    data = load_yaml(path, "playbook")
    return parse_playbook(data, str(path), known_checks)


@cache
def default_playbook() -> Playbook:
    """The shipped playbook, read and validated once per process (it is package data)."""
    return load_playbook()


def parse_playbook(data: Any, source: str, known_checks: set[str] | None = None) -> Playbook:
    if known_checks is None:
        from ipsec_tui.checks.registry import all_checks

        known_checks = set(all_checks())

    def fail(msg: str) -> UserError:
        return UserError(f"{source}: {msg}")

    problem = mapping_problem(data, _TOP_KEYS)
    if problem:
        raise fail(f"a playbook {problem}")
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise fail("`steps` must be a non-empty list")
    steps = []
    seen_steps: set[str] = set()
    seen_checks: set[str] = set()
    for index, item in enumerate(steps_data, 1):
        where = f"step {index}"
        problem = mapping_problem(item, _STEP_KEYS)
        if problem:
            raise fail(f"{where}: {problem}")
        step_id, title, checks = item.get("id"), item.get("title"), item.get("checks")
        if not isinstance(step_id, str) or not step_id:
            raise fail(f"{where}: `id` must be a non-empty string")
        where = f"step {step_id!r}"
        if step_id in seen_steps:
            raise fail(f"{where}: the id is used twice")
        if not isinstance(title, str) or not title:
            raise fail(f"{where}: `title` must be a non-empty string")
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            raise fail(f"{where}: `checks` must be a list of check ids")
        for check_id in checks:
            if check_id not in known_checks:
                raise fail(
                    f"{where}: unknown check {check_id!r} (known: "
                    f"{', '.join(sorted(known_checks))})"
                )
            if check_id in seen_checks:
                raise fail(f"{where}: check {check_id!r} appears twice in the playbook")
            seen_checks.add(check_id)
        seen_steps.add(step_id)
        steps.append(PlaybookStep(step_id, title, tuple(checks), str(item.get("description", ""))))
    name = data.get("name", "playbook")
    if not isinstance(name, str):
        raise fail("`name` must be a string")
    return Playbook(name, tuple(steps), str(data.get("description", "")), source)
