"""Golden parser tests, discovered from folders (the layout of ttp_templates/ntc-templates).

Layout::

    tests/parsers/<platform>/<key>/<case>.txt    raw output, copied from a real capture
    tests/parsers/<platform>/<key>/<case>.yml    what the parser must make of it
    tests/parsers/<platform>/<key>/_command.txt  optional: `command: ...`, `platform: ...`

<platform> is a platform name or `linux` (parsers shared by every Linux platform), <key> the
template key (`swanctl-list-sas`, `cat-log-file`...). The command a case is parsed as comes
from `_command.txt` when the folder has one (`command:` the command as collected, and for
`linux` folders optionally `platform:` the platform to parse it as, default strongswan);
otherwise it is derived from the folder key: the platform's allowlisted command whose
template key is <key>, with the platform's default variables (`cat /var/log/charon.log`).
Every case goes through `base.parse_text`, exactly as a capture does, with file = the case's
file name and peer = "peer".

The .yml holds::

    status: ok | empty | failed
    reason: ...          # only when not ok: base's or the parser's reason, compared exactly
    fragment:            # the Fragment as plain data: each non-empty field; list items are
      ike_sas: [...]     # dataclasses.asdict() with None, "" and empty lists dropped
                         # (recursively), tuples as lists; False and 0 are kept

A .yml written as a bare fragment mapping (its top-level keys are Fragment fields) is read
too, with status ok when it is not empty. New cases: copy the .txt, run
`python3 tests/parsers/regen.py` to write the .yml from the current parser, then check every
value against the raw text by eye before committing it. regen never overwrites an existing
.yml unless given --force.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipsec_tui.domain.model import ParseResult
from ipsec_tui.parsers import base
from ipsec_tui.platforms import available_platforms, load_platform

HERE = Path(__file__).parent
COMMAND_FILE = "_command.txt"
FRAGMENT_FIELDS = tuple(field.name for field in dataclasses.fields(base.Fragment))


@dataclass(frozen=True)
class Case:
    platform: str  # the folder: a platform or "linux"
    key: str
    raw: Path

    @property
    def expected(self) -> Path:
        return self.raw.with_suffix(".yml")

    @property
    def id(self) -> str:
        return f"{self.platform}/{self.key}/{self.raw.stem}"


def discover(root: Path = HERE) -> list[Case]:
    """Every <platform>/<key>/<case>.txt under root, in a stable order."""
    cases = []
    for raw in sorted(root.glob("*/*/*.txt")):
        if raw.name == COMMAND_FILE:
            continue
        cases.append(Case(raw.parent.parent.name, raw.parent.name, raw))
    return cases


def _command_file(folder: Path) -> dict[str, str]:
    path = folder / COMMAND_FILE
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition(":")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def command_for(platform: str, key: str) -> tuple[str, str] | None:
    """(platform to parse as, command) whose template key is `key`, from the allowlist."""
    names = base.LINUX_PLATFORMS if platform == "linux" else (platform,)
    for name in names:
        if name not in available_platforms():
            continue
        spec = load_platform(name)
        for pattern in spec.allowlist:
            placeholders = {variable: f"{{{variable}}}" for variable in pattern.variables}
            if base.template_key(pattern.canonical(placeholders)) != key:
                continue
            command = pattern.canonical(dict(spec.variables))
            # an entry whose arguments are required has no bare command that maps back
            back = spec.pattern_of(command)
            if back is not None and base.template_key(back) == key:
                return name, command
    return None


def case_command(case: Case) -> tuple[str, str]:
    """(platform to parse as, command) for a case: _command.txt, else the folder key."""
    declared = _command_file(case.raw.parent)
    if "command" in declared:
        default = base.LINUX_PLATFORMS[0] if case.platform == "linux" else case.platform
        return declared.get("platform", default), declared["command"]
    found = command_for(case.platform, case.key)
    if found is None:
        raise AssertionError(
            f"{case.raw.parent}: no command of {case.platform} has the key {case.key!r}; "
            f"add a {COMMAND_FILE} with a `command:` line"
        )
    return found


def read_raw(path: Path) -> str:
    # newline="": the text exactly as the device printed it, line endings included
    with open(path, encoding="utf-8", newline="") as stream:
        return stream.read()


def plain(value: Any) -> Any:
    """Plain data for YAML: dataclasses as dicts, tuples as lists, without None, "" and
    empty containers (recursively). False and 0 are facts and stay."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        pruned = {str(k): plain(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def case_data(result: ParseResult, fragment: base.Fragment) -> dict[str, Any]:
    """What a .yml holds for a parse: status, reason when not ok, the fragment."""
    data: dict[str, Any] = {"status": str(result.status)}
    if result.reason and str(result.status) != "ok":
        data["reason"] = result.reason
    fragment_data = {
        name: plain(getattr(fragment, name))
        for name in FRAGMENT_FIELDS
        if getattr(fragment, name) not in (None, "", [], ())
        and not (name == "understood" and not fragment.understood)  # the status says it
    }
    if fragment_data:
        data["fragment"] = fragment_data
    return data


def normalise_expected(expected: Any) -> dict[str, Any]:
    """A .yml in either accepted form -> {status, reason?, fragment?}."""
    if not isinstance(expected, dict):
        raise AssertionError(f"expected a mapping, found {expected!r}")
    if set(expected) <= set(FRAGMENT_FIELDS):  # a bare fragment
        fragment = {k: v for k, v in expected.items() if v not in (None, "", [], {})}
        data: dict[str, Any] = {"status": "ok" if fragment else "empty"}
        if fragment:
            data["fragment"] = fragment
        return data
    return expected


def run_case(case: Case) -> tuple[ParseResult, base.Fragment, str]:
    platform, command = case_command(case)
    text = read_raw(case.raw)
    result, fragment = base.parse_text(platform, command, text, peer="peer", file=case.raw.name)
    return result, fragment, text


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _cases() -> Iterator[Any]:
    for case in discover():
        yield pytest.param(case, id=case.id)


@pytest.mark.parametrize("case", list(_cases()))
def test_golden(case: Case) -> None:
    assert case.expected.is_file(), (
        f"{case.expected} is missing: run `python3 tests/parsers/regen.py {case.raw}` and "
        "review what it wrote against the raw text"
    )
    result, fragment, text = run_case(case)
    platform, command = case_command(case)
    assert result.parser == f"{platform}/{case.key}", (
        f"{case.raw}: `{command}` went to {result.parser}, not to the folder's key {case.key}"
    )
    if str(result.status) in ("empty", "failed"):
        assert result.raw == text, "output that was not parsed must be kept whole"
    if str(result.status) == "partial":
        # the lines left unplaced, numbered, each a line of the output
        assert result.raw and all(u.text in text for u in fragment.unplaced)
    expected = normalise_expected(yaml.safe_load(case.expected.read_text(encoding="utf-8")))
    assert case_data(result, fragment) == expected


def test_golden_cases_exist() -> None:
    assert discover(), "no golden cases found under tests/parsers/<platform>/<key>/"


def test_golden_folders_name_registered_parsers() -> None:
    """A folder whose key no parser is registered for is a typo or a missing parser."""
    folders = {(case.platform, case.key) for case in discover()}
    missing = sorted(f"{p}/{k}" for p, k in folders if base.find_parser(p, k) is None)
    assert not missing, f"golden folders without a registered parser: {missing}"


def test_templates_are_compiled_once_and_leave_nothing_behind() -> None:
    """Every case parsed again in the reverse order, after every other output went through
    the same compiled templates, gives what it gave the first time."""
    cases = discover()
    first = [case_data(*run_case(case)[:2]) for case in cases]
    again = [case_data(*run_case(case)[:2]) for case in reversed(cases)]
    assert list(reversed(again)) == first


def test_templates_are_safe_to_share_between_threads() -> None:
    """The cockpit parses both peers in worker threads: one case per template, parsed in
    four threads at once in different orders, gives what it gives alone."""
    by_key = {(case.platform, case.key): case for case in discover()}
    cases = list(by_key.values())
    alone = {case.id: case_data(*run_case(case)[:2]) for case in cases}
    found: dict[int, dict[str, Any]] = {}

    def parse_all(worker: int) -> None:
        order = cases[worker:] + cases[:worker]
        found[worker] = {case.id: case_data(*run_case(case)[:2]) for case in order}

    threads = [threading.Thread(target=parse_all, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(found) == [0, 1, 2, 3]
    for results in found.values():
        assert results == alone
