"""The cockpit's Textual-free core: merged time line, evidence documents, progress snapshots,
the quick-connect form, and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ipsec_tui.collectors.run import ProgressEvent
from ipsec_tui.domain.capture import CommandRecord, PeerCapture
from ipsec_tui.domain.model import Evidence, Finding, LogEvent, PeerModel, Row, Status
from ipsec_tui.errors import UserError
from ipsec_tui.timeline import device_log_time, filter_timeline, merge_logs
from ipsec_tui.ui.evidence import evidence_doc, explain_row
from ipsec_tui.ui.live import PeerProgress
from ipsec_tui.ui.screens.dialogs import quick_tunnel
from ipsec_tui.ui.session import demo_source, load


def peer(name: str, *events: tuple[str | None, str], causes: tuple[str, ...] = ()) -> PeerModel:
    log = tuple(
        LogEvent(line=i, message=message, time=time, causes=causes if "!" in message else ())
        for i, (time, message) in enumerate(events, 1)
    )
    return PeerModel(name=name, platform="strongswan", log=log, log_file="log.txt")


def test_time_line_sorts_by_time_and_keeps_each_peers_order() -> None:
    a = peer(
        "A", ("2026-11-26T20:47:50", "a1"), (None, "a2 (no time)"), ("2026-11-26T20:47:53", "a3")
    )
    b = peer(
        "B",
        ("Nov 26 20:47:49.5", "b1"),
        ("Nov 26 20:47:51", "b2"),
        ("garbled", "b3"),
        ("Nov 26 20:47:52", "b4"),
    )
    merged = [e.event.message for e in merge_logs((a, b))]
    assert merged == ["b1", "a1", "a2 (no time)", "b2", "b3", "b4", "a3"]


def test_time_line_without_any_parsable_time_keeps_peer_blocks() -> None:
    a = peer("A", ("x", "a1"), ("y", "a2"))
    b = peer("B", ("10:00:01", "b1"))
    assert [e.event.message for e in merge_logs((a, b))] == ["b1", "a1", "a2"]
    assert [e.event.message for e in merge_logs((a, None))] == ["a1", "a2"]


def test_log_time_forms() -> None:
    def read(printed: str | None) -> object:
        return device_log_time(printed, zone=None, year_hint=2026)

    assert read("2026-11-26T20:47:50Z") is not None
    assert read("Nov 26 20:48:31.492046") is not None
    assert read("*Mar  1 00:01:02.123") is not None
    assert read("20:48:31") is not None
    assert read("Feb 30 10:00:00") is None
    assert read("soon") is None and read(None) is None


def test_filter_keeps_lines_holding_every_word() -> None:
    a = peer(
        "siteA",
        ("1", "received AUTHENTICATION_FAILED !"),
        ("2", "sending packet"),
        causes=("AUTHENTICATION_FAILED",),
    )
    events = merge_logs((a, None))
    assert [e.event.message for e in filter_timeline(events, "SITEA auth")] == [
        "received AUTHENTICATION_FAILED !"
    ]
    assert len(filter_timeline(events, "")) == 2
    assert [e.has_causes for e in filter_timeline(events, causes_only=True)] == [True]


def capture_with(text: str) -> PeerCapture:
    return PeerCapture(
        name="siteA",
        platform="strongswan",
        commands=(
            CommandRecord("swanctl --list-sas", "swanctl-list-sas.txt"),
            CommandRecord("cat /var/log/charon.log", "log.txt"),
        ),
        outputs={"log.txt": text, "swanctl-list-sas.txt": "sas\n"},
    )


def test_evidence_doc_marks_the_lines_and_scrolls_to_them() -> None:
    text = "\n".join(f"line {n}" for n in range(1, 41))
    finding = Finding(
        "identity",
        "identity.psk",
        Status.FAIL,
        "psk",
        evidence=(
            Evidence("siteA", "log.txt", 30, 31, "line 30"),
            Evidence("siteA", "log.txt", 5, 5, "line 5"),
            Evidence("siteB", "log.txt", 1, 1, "other peer"),
        ),
    )
    doc = evidence_doc(finding, "siteA", capture_with(text))
    assert doc.focus == 29 and doc.marked == {29, 30, 4}
    assert doc.title.startswith("charon.log  lines 30-31") and "1/2" in doc.title
    second = evidence_doc(finding, "siteA", capture_with(text), choice=1)
    assert second.focus == 4 and second.position == 1
    # no evidence from this peer: its outputs, the log first, one per choice
    none = Finding("sas", "sa.child_sa", Status.FAIL, "no child SA")
    fallback = evidence_doc(none, "siteA", capture_with(text), preferred="log.txt")
    assert "no evidence" in fallback.note and fallback.lines[0] == "line 1"
    assert evidence_doc(none, "siteA", capture_with(text), 1, "log.txt").lines == ("sas",)
    assert "not collected" in evidence_doc(none, "siteB", None).note


def test_evidence_doc_quotes_text_when_the_file_is_not_in_the_capture() -> None:
    finding = Finding(
        "x",
        "x.y",
        Status.WARN,
        "t",
        evidence=(Evidence("siteA", None, None, None, "quoted\ntext"),),
    )
    doc = evidence_doc(finding, "siteA", capture_with(""))
    assert doc.lines == ("quoted", "text") and doc.marked == {0, 1}


def test_explain_row_falls_back_to_what_the_values_say() -> None:
    names = ("siteA", "siteB")
    assert explain_row(Row("f", "1", "2", False, "the checks' words"), names) == "the checks' words"
    assert "differ" in explain_row(Row("dh group", "modp2048", "ecp256", False), names)
    assert "agree" in explain_row(Row("f", "x", "x", True), names)
    assert "siteB only" in explain_row(Row("f", None, "x", None), names)


def test_progress_snapshots_follow_the_events() -> None:
    p = PeerProgress("siteA", "h")
    p = p.advanced(0, 3, "", ProgressEvent.CONNECTING, now=10.0)
    assert p.state == "connecting" and p.started == 10.0 and p.active
    p = p.advanced(1, 3, "uname -a", ProgressEvent.COMMAND_STARTED, now=11.0)
    p = p.advanced(1, 3, "uname -a", ProgressEvent.COMMAND_OK, now=11.5)
    p = p.advanced(2, 3, "sleep 5", ProgressEvent.COMMAND_FAILED, now=12.0)
    assert (p.index, p.ok, p.failed, p.command) == (2, 1, 1, "sleep 5")
    p = p.advanced(0, 3, "", ProgressEvent.PEER_DONE, now=13.0)
    assert p.state == "done" and p.elapsed() == 3.0 and not p.active
    failed = p.with_capture(PeerCapture("siteA", "strongswan", error="cannot reach"))
    assert failed.state == "failed" and failed.error == "cannot reach" and failed.captured
    cancelled = p.with_capture(PeerCapture("siteA", "strongswan", error="cancelled"))
    assert cancelled.state == "cancelled"


def test_quick_connect_builds_a_validated_tunnel(tmp_path: Path) -> None:
    fields = {
        "host_a": "198.51.100.11",
        "platform_a": "strongswan",
        "host_b": "198.51.100.12:2222",
        "platform_b": "libreswan",
        "username": "ops",
        "auth": "agent",
        "key_file": "",
        "known_hosts": "",
    }
    tunnel = quick_tunnel(fields, tmp_path)
    a, b = tunnel.peers
    assert (a.name, a.host, a.port, a.platform, a.auth) == (
        "198.51.100.11",
        "198.51.100.11",
        22,
        "strongswan",
        "agent",
    )
    assert (b.host, b.port, b.platform) == ("198.51.100.12", 2222, "libreswan")
    with pytest.raises(UserError, match="username"):
        quick_tunnel({**fields, "username": ""}, tmp_path)
    with pytest.raises(UserError, match="host"):
        quick_tunnel({**fields, "host_a": ""}, tmp_path)


def test_demo_sessions_reach_their_expected_cause() -> None:
    session = load(demo_source("strongswan-psk"))
    assert session.analysis.diagnosis.cause == "psk-mismatch"
    assert session.analysis.diagnosis.side == "siteB"
    assert session.capture_of("siteB") is not None and session.timeline
    with pytest.raises(UserError, match="no demo scenario"):
        demo_source("nope")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipsec_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_the_cli_says_plainly_when_there_is_no_terminal() -> None:
    proc = run_cli("demo")
    assert proc.returncode == 2
    assert "needs a terminal" in proc.stderr and "ipsec-tui check" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_cli_checks_its_arguments_before_taking_the_screen(tmp_path: Path) -> None:
    assert "no demo scenario 'nope'" in run_cli("demo", "--scenario", "nope").stderr
    assert "--tunnel needs --inventory" in run_cli("cockpit", "--tunnel", "lab").stderr
    missing = run_cli("cockpit", "--inventory", str(tmp_path / "none.yml"))
    assert missing.returncode == 2 and "none.yml" in missing.stderr
    help_text = run_cli("cockpit", "--help").stdout
    assert "--inventory" in help_text and "--tunnel" in help_text
