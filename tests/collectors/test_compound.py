"""One compound line per command set (Linux peers), over the session's real sshd on 127.0.0.1:
the same outputs as one command at a time, markers no output can forge, each command's own
exit status and error, `timeout` on a command that hangs, and a refusal before anything
is sent."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from sshd_server import SshServer, peer_config
from test_ssh_collect import harmless_spec

from ipsec_tui.collectors import compound
from ipsec_tui.collectors.capture_io import read_peer, write_peer
from ipsec_tui.collectors.ssh import PeerSession, Sent, collect_peer
from ipsec_tui.platforms import CommandPattern, CommandRefused, Compound, PlatformSpec

# blank lines at the end, a tab, non-ASCII, a line that looks like a marker of another line
NOTES = "first line\n\tindented ü\nITUI0123456789abcdef01234567-E1 0\n\n\n"


def spec_of(notes: Path, *, lines: bool = True) -> PlatformSpec:
    """A harmless Linux platform; with ``lines`` its commands go out as compound lines."""
    facts = {
        "kernel": ["uname -a"],
        "notes": ["cat {notes_file}"],
        "empty": ["true"],
        "missing": ["ls /nonexistent-itui"],
        "words": ["echo one two"],
    }
    alone = replace(harmless_spec(notes, extra_facts=facts), allow=(CommandPattern("sleep 5"),))
    return replace(alone, compound=Compound(("cat", "ls", "sleep"))) if lines else alone


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text(NOTES, encoding="utf-8")
    return path


def test_a_compound_line_gives_the_same_outputs_as_one_by_one(
    sshd: SshServer, notes: Path, tmp_path: Path
) -> None:
    peer = peer_config(sshd)
    alone = collect_peer(peer, spec_of(notes, lines=False))
    together = collect_peer(peer, spec_of(notes))
    assert alone.error is None and together.error is None
    assert [r.command for r in together.commands] == [r.command for r in alone.commands]
    assert together.outputs == alone.outputs  # byte for byte, file names too
    (cat,) = [r for r in together.commands if r.command == f"cat {notes}"]
    assert together.output_of(cat) == NOTES.removesuffix("\n")  # as a person reads it
    # the line's own facts: one send time for all, end markers arriving in order
    started = {r.started_at for r in together.commands}
    assert len(started) == 1
    finished = [r.finished_at or "" for r in together.commands]
    assert finished == sorted(finished)
    assert all(r.timing == "block" for r in together.commands)
    assert all(r.timing is None and r.exit_status is None for r in alone.commands)
    status = {r.command: r.exit_status for r in together.commands}
    assert status["uname -a"] == 0 and status["true"] == 0
    # a failing command gets its own status and text; the others are untouched
    assert status["ls /nonexistent-itui"] == 2
    (missing,) = [r for r in together.commands if r.command == "ls /nonexistent-itui"]
    assert "No such file or directory" in (together.output_of(missing) or "")
    assert missing.error is None  # a CLI error is the parsers' to read, as one by one
    # peer.yml says so, and reads back the same
    write_peer(tmp_path / "siteA", together)
    assert "timing: block" in (tmp_path / "siteA" / "peer.yml").read_text()
    assert read_peer(tmp_path / "siteA", platforms={"testlinux"}) == together


def test_a_marker_in_an_output_cannot_split_the_line(sshd: SshServer, notes: Path) -> None:
    spec = spec_of(notes)
    nonce = "0123456789abcdef01234567"
    # the notes forge the end of command 1 with this very nonce: the split is refused
    with PeerSession(peer_config(sshd), spec) as session:
        forged = session.send_block([f"cat {notes}", "echo one two"], nonce=nonce)
        assert all(isinstance(result, str) for result in forged)
        assert "did not split" in str(forged[0])
        # a line of its own nonce is sent alone afterwards and reads whole
        fresh = session.send_block([f"cat {notes}", "echo one two"])
        assert all(isinstance(result, Sent) for result in fresh)
        cat, echo = (result for result in fresh if isinstance(result, Sent))
        assert cat.text == NOTES.removesuffix("\n") and echo.text == "one two"


def test_a_refused_component_refuses_the_whole_line_before_anything_is_sent(
    sshd: SshServer, notes: Path, tmp_path: Path
) -> None:
    with PeerSession(peer_config(sshd), spec_of(notes)) as session:
        before = session.logged
        for bad in ("ls; touch marker-file", "rm -rf /tmp/x", "uname -a $(touch marker-file)"):
            with pytest.raises(CommandRefused):
                session.send_block(["uname -a", bad])
        assert session.logged == before  # nothing reached the shell
    assert not (tmp_path / "marker-file").exists()


def test_a_hanging_command_is_cut_by_timeout_and_the_line_goes_on(
    sshd: SshServer, notes: Path
) -> None:
    peer = peer_config(sshd, command_timeout=1.5)
    with PeerSession(peer, spec_of(notes)) as session:
        began = time.monotonic()
        results = session.send_block(["sleep 5", "echo one two"])
        took = time.monotonic() - began
    sleep, echo = results
    assert isinstance(sleep, Sent) and isinstance(echo, Sent)
    assert sleep.exit_status == compound.TIMED_OUT
    assert sleep.error is not None and "timed out after 2 s" in sleep.error
    assert echo.error is None and echo.text == "one two"
    assert took < 4.5  # stopped on the device at 2 s, not after sleep's 5


def test_a_line_longer_than_a_tty_takes_goes_out_as_several(notes: Path) -> None:
    spec = spec_of(notes)
    commands = ["echo one two", "uname -a", "true"] * 20
    lines = compound.batches(spec, commands, 30)
    assert len(lines) > 1 and [c for line in lines for c in line] == commands
    assert all(
        len(compound.build(spec, line, 30).text) <= compound.MAX_LINE_CHARS for line in lines
    )


def test_split_accepts_markers_only_in_their_order(notes: Path) -> None:
    block = compound.build(spec_of(notes), ["uname -a", "true"], 30, nonce="ab" * 12)
    mark = f"ITUI{'ab' * 12}"
    good = f"echo\n\n{mark}-S1\nLinux x\n\n{mark}-E1 0\n\n{mark}-S2\n\n{mark}-E2 0"
    parts = compound.split(block, good)
    assert [(p.text, p.exit_status) for p in parts] == [("Linux x", 0), ("", 0)]
    for bad in (
        good.replace(f"{mark}-S2", f"{mark}-E1 0"),  # an end repeated
        good.replace("Linux x", f"Linux x\n{mark}-E1 0\n"),  # forged inside an output
        good + f"\n{mark}-S3\n",  # more than there are commands
        good.replace(f"\n{mark}-E2 0", ""),  # the last end missing
    ):
        with pytest.raises(compound.SplitError):
            compound.split(block, bad)
    # cut short: the commands that ended are kept
    assert len(compound.split(block, good.split(f"{mark}-S2")[0], complete=False)) == 1
