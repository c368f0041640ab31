"""A watch reads a Linux peer's log whole once, then only from where it left off
(`tail -n +N FILE`), over a real sshd on 127.0.0.1 (tests/collectors/sshd_server.py).

The log files grow between samples by real charon logs recorded on the lab
(tests/data/captures/strongswan/<scenario>/<peer>/cat-var-log-charon.log.txt), appended one
scenario after another. The same watch with the tail form taken off the allowlist reads the
whole log every time: both must see the same events.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.collectors.run import open_sessions
from ipsec_tui.domain.watch import WatchEvent, WatchSample
from ipsec_tui.platforms import CommandRefused, PlatformSpec, load_platform
from ipsec_tui.watch import (
    LOG_OVERLAP_LINES,
    LogCursor,
    Watch,
    WatchRun,
    collect_over,
    log_from_command,
    run_watch,
)
from tests.collectors.sshd_server import SshServer, peer_config, start_sshd

from .recorded import DATA

# what the log holds before each sample: scenarios recorded one after the other
GROWTH = (("baseline", "pfs"), ("dpd",), ("lifetime",))
PEERS = ("siteA", "siteB")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    yield from start_sshd(tmp_path_factory.mktemp("watch-sshd"))


def _recorded(scenario: str, peer: str) -> str:
    path = DATA / "captures" / "strongswan" / scenario / peer / "cat-var-log-charon.log.txt"
    text = path.read_text(encoding="utf-8")
    return text if text.endswith("\n") else text + "\n"  # as charon writes its lines


def _spec(log_file: Path, *, tail: bool) -> PlatformSpec:
    """strongSwan reading its log at ``log_file``; a sample's clock and log only (this host
    runs no charon); ``tail`` False: without the tail form (the log is read whole)."""
    shipped = load_platform("strongswan")
    facts = {fact: shipped.facts[fact] for fact in ("clock", "log")}
    allow = shipped.allow if tail else tuple(p for p in shipped.allow if p.text != "tail -n")
    variables = {**shipped.variables, "log_file": str(log_file)}
    paths = {**shipped.override_paths, "log_file": (f"{log_file.parent}/*",)}
    return replace(shipped, facts=facts, allow=allow, variables=variables, override_paths=paths)


def _watch(sshd: SshServer, folder: Path, *, tail: bool) -> tuple[WatchRun, dict[str, Path]]:
    logs = {peer: folder / f"{peer}.log" for peer in PEERS}
    folder.mkdir()

    def grow(step: int) -> None:
        for peer, path in logs.items():
            with path.open("a", encoding="utf-8") as log:
                for scenario in GROWTH[step]:
                    log.write(_recorded(scenario, peer))

    grow(0)
    tunnel = Tunnel("lab", tuple(peer_config(sshd, peer, platform="strongswan") for peer in PEERS))
    specs = {peer: _spec(path, tail=tail) for peer, path in logs.items()}
    sessions, errors = open_sessions(tunnel, {}, specs=specs)
    assert not errors

    def on_sample(sample: WatchSample, _: list[WatchEvent], __: Watch) -> None:
        if sample.index < len(GROWTH):
            grow(sample.index)

    stop = threading.Event()
    try:
        collect = collect_over(tunnel, folder / "samples", sessions, {}, stop, specs)
        run = run_watch("lab", PEERS, collect, interval=0, samples=3, stop=stop,
                        on_sample=on_sample)  # fmt: skip
    finally:
        for session in sessions.values():
            session.close()
    return run, logs


def _log_commands(folder: str) -> dict[str, list[str]]:
    """Each peer's log command in a sample (the other one reads the clock)."""
    return {
        capture.name: [r.command for r in capture.commands if not r.command.startswith("date")]
        for capture in read_capture(folder)
    }


def test_later_samples_read_only_the_new_lines_and_see_the_same_events(
    sshd: SshServer, tmp_path: Path
) -> None:
    tailed, logs = _watch(sshd, tmp_path / "tail", tail=True)
    whole, _ = _watch(sshd, tmp_path / "whole", tail=False)
    assert tailed.result.samples == whole.result.samples == 3
    lines = {
        peer: [
            sum(len(_recorded(s, peer).splitlines()) for step in GROWTH[:n] for s in step)
            for n in (1, 2, 3)
        ]
        for peer in PEERS
    }
    for number, folder in enumerate(tailed.result.folders):
        commands = _log_commands(folder)
        for peer in PEERS:
            if number == 0:  # the first sample reads the log as a snapshot does
                assert commands[peer] == [f"cat {logs[peer]}"]
                continue
            first = lines[peer][number - 1] - LOG_OVERLAP_LINES + 1
            assert commands[peer] == [f"tail -n +{first} {logs[peer]}"]
            (capture,) = [c for c in read_capture(folder) if c.name == peer]
            (record,) = [r for r in capture.commands if r.command.startswith("tail")]
            text = capture.output_of(record) or ""
            # the overlap and the scenario appended since: not the whole file again
            assert len(text.splitlines()) == lines[peer][number] - first + 1
    for folder in whole.result.folders:
        assert all(c[0].startswith("cat ") for c in _log_commands(folder).values())

    def seen(run: WatchRun) -> list[tuple[object, ...]]:
        return [(e.sample, e.peer, e.kind, e.subject, e.detail, e.evidence)
                for e in run.result.events]  # fmt: skip

    assert seen(tailed) == seen(whole)
    # the rekey that the recorded pfs log refuses, seen once, in the first sample; the
    # dpd scenario's retransmits in the second (no line counted twice)
    kinds = [(e.sample, e.kind) for e in tailed.result.events]
    assert (1, "rekey-failed") in kinds
    assert [k for k in kinds if k[1] == "rekey-failed" and k[0] > 1] == []
    assert any(sample == 2 for sample, _ in kinds), kinds


def test_a_replaced_log_is_read_whole_again() -> None:
    cursor = LogCursor()
    text = _recorded("pfs", "siteA")
    cursor.advance(1, text)
    assert cursor.lines == len(text.splitlines())
    spec = load_platform("strongswan")
    first = cursor.lines - LOG_OVERLAP_LINES + 1
    assert cursor.command(spec, None) == f"tail -n +{first} /var/log/charon.log"
    # the file now holds another log (rotated): the next read is whole
    cursor.advance(first, _recorded("baseline", "siteA"))
    assert cursor.command(spec, None) is None and cursor.lines == 0
    cursor.advance(1, None)  # a failed read counts nothing
    assert cursor.command(spec, None) is None


def test_the_line_number_is_an_integer_and_the_form_is_allowlisted() -> None:
    spec = load_platform("strongswan")
    for bad in (0, -3, True, "5"):
        with pytest.raises(ValueError):
            log_from_command(spec, None, bad)  # type: ignore[arg-type]
    assert log_from_command(load_platform("cisco_ios"), None, 5) is None  # no such form there
    for refused in (
        "tail -n 5 /var/log/charon.log",
        "tail -n +5 /etc/swanctl/x.secrets",
        "tail -f /var/log/charon.log",
        "tail -n +5 /var/log/charon.log /etc/passwd",
    ):
        with pytest.raises(CommandRefused):
            spec.check_allowed(refused)
