"""A compound line read back from a session log (``ipsec-tui import``, a bundle's replay):
recorded on the lab (strongSwan and Libreswan, the echo wrapped at the terminal's width) and
live over the session's real sshd on 127.0.0.1. The same commands and outputs as the
collector split from the same line; each command still passes the allowlist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sshd_server import SshServer, peer_config

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.ssh import collect_peer
from ipsec_tui.collectors.transcript import split_transcript
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import load_platform

LAB = Path(__file__).parent / "data" / "compound-lab"


def _blind(text: str) -> str:
    """Redaction fingerprints differ between two writes of one run; the rest must not."""
    return re.sub(r"<redacted[^>]*>", "<redacted>", text)


@pytest.mark.parametrize("peer", ["siteA", "siteB"])
def test_a_lab_session_log_reads_back_as_its_capture(peer: str) -> None:
    (capture,) = [c for c in read_capture(LAB / "capture") if c.name == peer]
    log = (LAB / f"{peer}.log").read_text(encoding="utf-8")
    imported = split_transcript(log, capture.platform, peer)
    (warning,) = imported.warnings
    assert re.fullmatch(r"line \d+: session command 'exit' skipped", warning)
    assert [r.command for r in imported.capture.commands] == [r.command for r in capture.commands]
    for record, read in zip(capture.commands, imported.capture.commands, strict=True):
        assert read.exit_status == record.exit_status, record.command
        assert _blind(imported.capture.output_of(read) or "") == _blind(
            capture.output_of(record) or ""
        ), record.command


def test_what_a_person_reads_off_the_libreswan_log() -> None:
    """Read off siteB.log by eye: fourteen commands on one line, wrapped over four rows."""
    log = (LAB / "siteB.log").read_text(encoding="utf-8")
    capture = split_transcript(log, "libreswan", "siteB").capture
    outputs = {r.command: capture.output_of(r) for r in capture.commands}
    assert len(outputs) == 14
    assert list(outputs)[:4] == [
        "date +%Y-%m-%dT%H:%M:%S.%N%z",
        "ipsec --version",
        "ipsec status",
        "ipsec trafficstatus",
    ]
    assert outputs["date +%Y-%m-%dT%H:%M:%S.%N%z"] == "2026-12-02T12:43:32.987871678+0000"
    assert outputs["ipsec --version"] == "Libreswan 4.10"
    assert outputs["sysctl net.ipv4.ip_forward"] == "net.ipv4.ip_forward = 1"
    assert outputs["ipsec trafficstatus"] == ""
    status = outputs["ipsec status"] or ""
    assert status.startswith("000 using kernel interface: xfrm\n")
    assert "000 interface wanB UDP 203.0.113.2:500" in status
    assert {r.exit_status for r in capture.commands} == {0}


def test_a_changed_component_is_dropped_and_a_broken_line_imports_nothing() -> None:
    log = (LAB / "siteB.log").read_text(encoding="utf-8")
    nonce = "577218e6d983cc7dd22decf0"
    # a component edited into something off the allowlist: dropped, with a warning
    edited = log.replace("S10; ip rule; ", "S10; ip rule add; ", 1)
    assert edited != log
    imported = split_transcript(edited, "libreswan", "siteB")
    commands = [r.command for r in imported.capture.commands]
    assert "ip rule" not in commands and len(commands) == 13
    assert "line 6: 'ip rule add' is not on the libreswan read-only allowlist" in "\n".join(
        imported.warnings
    )
    # markers out of their one order (an end repeated): the line is not read at all
    broken = log.replace(f"ITUI{nonce}-E3 0", f"ITUI{nonce}-E2 0", 1)
    with pytest.raises(UserError, match="no command found"):
        split_transcript(broken, "libreswan", "siteB")
    # the line's echo cut short (a part missing): not read either
    cut = log.replace(f"; printf '\\n%s-%s\\n' ITUI{nonce} S2; timeout 30 ipsec --version", "", 1)
    assert cut != log
    with pytest.raises(UserError, match="no command found"):
        split_transcript(cut, "libreswan", "siteB")


def test_a_live_compound_line_reads_back_as_collected(sshd: SshServer) -> None:
    """strongSwan's fourteen commands over the local sshd (most fail there: no daemon),
    their outputs and exit statuses as the collector split them."""
    spec = load_platform("strongswan")
    assert spec.compound is not None
    capture = collect_peer(peer_config(sshd, platform="strongswan"), spec)
    assert capture.error is None and capture.session_log
    assert all(r.timing == "block" for r in capture.commands)
    imported = split_transcript(capture.session_log, "strongswan", "siteA").capture
    assert [r.command for r in imported.commands] == [r.command for r in capture.commands]
    for record, read in zip(capture.commands, imported.commands, strict=True):
        assert read.exit_status == record.exit_status is not None
        assert imported.output_of(read) == capture.output_of(record), record.command
