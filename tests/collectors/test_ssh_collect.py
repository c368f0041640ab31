"""Collecting over real SSH (the session's sshd on 127.0.0.1) with Netmiko's linux driver."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sshd_server import SshServer, free_port, keygen, peer_config

from ipsec_tui.collectors.capture_io import read_capture, read_peer, write_peer
from ipsec_tui.collectors.inventory import JumpHost, PeerConfig, Tunnel
from ipsec_tui.collectors.progress import ProgressEvent
from ipsec_tui.collectors.run import collect_tunnel
from ipsec_tui.collectors.ssh import collect_peer
from ipsec_tui.platforms import CommandRefused, PlatformSpec

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOTES = "first line of notes\nsecond line: ü and tabs\there\n"


def harmless_spec(notes: Path, *, extra_facts: dict[str, Any] | None = None) -> PlatformSpec:
    """A harmless Linux platform: its allowlist also permits `sleep 5` for the timeout."""
    facts: dict[str, Any] = {
        "kernel": ["uname -a"],
        "notes": ["cat {notes_file}"],
        "slow": ["sleep 5"],
        "after": ["echo after-the-timeout"],
    }
    if extra_facts is not None:
        facts = extra_facts
    return PlatformSpec.from_dict(
        {
            "name": "testlinux",
            "device_type": "linux",
            "shell": "posix",
            "login_commands": ["", ""],
            "variables": {"notes_file": str(notes)},
            "readable_files": ["notes_file"],
            "facts": facts,
        }
    )


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text(NOTES, encoding="utf-8")
    return path


def peer_of(server: SshServer, name: str = "siteA", **changes: Any) -> PeerConfig:
    return peer_config(server, name, **{"command_timeout": 1.5, **changes})


def test_full_collection_records_outputs_timestamps_and_timeout(
    sshd: SshServer, notes: Path, tmp_path: Path
) -> None:
    events: list[tuple[str, int, int, str, ProgressEvent]] = []
    capture = collect_peer(
        peer_of(sshd),
        harmless_spec(notes),
        progress=lambda *event: events.append(event),
    )
    assert capture.error is None
    assert [r.command for r in capture.commands] == [
        "uname -a",
        f"cat {notes}",
        "sleep 5",
        "echo after-the-timeout",
    ]
    uname, cat, sleep, after = capture.commands
    assert uname.ok and "Linux" in (capture.output_of(uname) or "")
    cat_lines = (capture.output_of(cat) or "").splitlines()
    assert cat_lines[-2:] == NOTES.splitlines()
    # the timeout is recorded, with no output file, and the session went on
    assert not sleep.ok and sleep.file is None
    assert sleep.error is not None and "timed out" in sleep.error
    assert after.ok and (capture.output_of(after) or "").strip() == "after-the-timeout"
    # every command is time-stamped, in order, ISO 8601 UTC with milliseconds
    stamps = [s for r in capture.commands for s in (r.started_at, r.finished_at)]
    assert all(s is not None and ISO_MS.match(s) for s in stamps)
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    assert capture.collected_at is not None and capture.collected_at <= stamps[0]  # type: ignore[operator]
    assert capture.login_commands == ("", "")
    # progress: connecting, connected, per command started + ok/failed, done
    kinds = [event[4] for event in events]
    assert kinds[:2] == [ProgressEvent.CONNECTING, ProgressEvent.CONNECTED]
    assert kinds[-1] == ProgressEvent.PEER_DONE
    assert (
        "siteA",
        3,
        4,
        "sleep 5",
        ProgressEvent.COMMAND_FAILED,
    ) in events
    # what is written reads back identically
    write_peer(tmp_path / "cap" / "siteA", capture, port=sshd.port)
    again = read_peer(tmp_path / "cap" / "siteA", platforms={"testlinux"})
    assert again == capture


def test_unknown_host_key_is_refused_with_its_fingerprint(
    sshd: SshServer, notes: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    before = sshd.logins()
    capture = collect_peer(peer_of(sshd, known_hosts=empty), harmless_spec(notes))
    assert capture.error is not None
    assert "unknown host key" in capture.error
    assert sshd.fingerprint in capture.error
    assert sshd.host_key_type in capture.error
    assert f"ssh-keyscan -p {sshd.port} 127.0.0.1 >> {empty}" in capture.error
    assert f"[127.0.0.1]:{sshd.port}" in capture.error
    assert all(not r.ok and r.error == "not run: host-key-unknown" for r in capture.commands)
    assert sshd.logins() == before  # never authenticated


def test_missing_known_hosts_file_is_refused_too(
    sshd: SshServer, notes: Path, tmp_path: Path
) -> None:
    capture = collect_peer(peer_of(sshd, known_hosts=tmp_path / "nope"), harmless_spec(notes))
    assert capture.error is not None
    assert "unknown host key" in capture.error and "does not exist yet" in capture.error


def test_changed_host_key_is_refused_loudly(sshd: SshServer, notes: Path, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other_host_key").with_suffix(".pub")
    key_type, key_data = other.read_text().split()[:2]
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {key_type} {key_data}\n")
    capture = collect_peer(peer_of(sshd, known_hosts=wrong), harmless_spec(notes))
    assert capture.error is not None
    assert "HOST KEY CHANGED" in capture.error
    assert sshd.fingerprint in capture.error  # what the server presents now
    assert "man in the middle" in capture.error
    assert all(r.error == "not run: host-key-changed" for r in capture.commands)


def test_refused_command_is_never_sent(sshd: SshServer, notes: Path, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    # A sloppy allowlist entry ("ls" with any arguments) still cannot chain a command.
    sloppy = PlatformSpec.from_dict(
        {
            "name": "sloppy",
            "device_type": "linux",
            "shell": "posix",
            "facts": {"kernel": ["uname -a"]},
            "allow": [{"command": "ls", "args": ".*"}],
        }
    )
    before = sshd.logins()
    for command in (f"touch {marker}", f"ls; touch {marker}", f"ls && touch {marker}"):
        with pytest.raises(CommandRefused) as refused:
            collect_peer(peer_of(sshd), sloppy, commands=["uname -a", command])
        assert repr(command) in str(refused.value)
    assert not marker.exists()
    assert sshd.logins() == before  # refused before connecting at all
    # and at the tunnel level nothing connects either, nor is a folder written
    tunnel = Tunnel("t", (peer_of(sshd), peer_of(sshd, name="siteB")))
    with pytest.raises(CommandRefused):
        collect_tunnel(
            tunnel,
            tmp_path / "out",
            specs={"siteA": sloppy, "siteB": sloppy},
            commands={"siteB": [f"touch {marker}"]},
        )
    assert not marker.exists() and not (tmp_path / "out").exists()
    assert sshd.logins() == before


def test_authentication_refused(sshd: SshServer, notes: Path, tmp_path: Path) -> None:
    stranger = keygen(tmp_path / "id_stranger")
    capture = collect_peer(peer_of(sshd, key_file=stranger), harmless_spec(notes))
    assert capture.error is not None
    assert capture.error.startswith("siteA: authentication refused for")
    assert all(r.error == "not run: auth" for r in capture.commands)


def test_peers_are_collected_concurrently(sshd: SshServer, notes: Path, tmp_path: Path) -> None:
    spec = harmless_spec(notes, extra_facts={"kernel": ["uname -a"], "wait": ["sleep 1"]})
    tunnel = Tunnel(
        "pair",
        (peer_of(sshd, command_timeout=10), peer_of(sshd, name="siteB", command_timeout=10)),
    )
    result = collect_tunnel(
        tunnel, tmp_path / "cap", specs={"siteA": spec, "siteB": spec}, passwords={}
    )
    assert result.ok, result.failures
    a, b = result.peers
    # Structural, not timing thresholds: each peer's commands ran while the other's did.
    a_first, a_last = a.capture.commands[0], a.capture.commands[-1]
    b_first, b_last = b.capture.commands[0], b.capture.commands[-1]
    assert a_first.started_at < b_last.finished_at  # type: ignore[operator]
    assert b_first.started_at < a_last.finished_at  # type: ignore[operator]
    assert a.started_at < b.finished_at and b.started_at < a.finished_at
    # written as a capture, in inventory order
    assert [p.name for p in read_capture(tmp_path / "cap", platforms={"testlinux"})] == [
        "siteA",
        "siteB",
    ]


def test_one_peer_down_does_not_stop_the_other(
    sshd: SshServer, notes: Path, tmp_path: Path
) -> None:
    spec = harmless_spec(notes, extra_facts={"kernel": ["uname -a"]})
    down = peer_of(sshd, name="siteB", port=free_port())
    result = collect_tunnel(
        Tunnel("t", (peer_of(sshd), down)),
        tmp_path / "cap",
        specs={"siteA": spec, "siteB": spec},
        passwords={},
    )
    assert not result.ok
    a, b = result.peers
    assert a.ok and a.commands_ok == 1
    assert not b.ok and b.commands_ok == 0
    assert b.capture.error is not None and "cannot reach" in b.capture.error
    assert any("siteB: siteB: cannot reach" in failure for failure in result.failures)
    written_b = read_peer(tmp_path / "cap" / "siteB", platforms={"testlinux"})
    assert written_b.error == b.capture.error
    assert read_peer(tmp_path / "cap" / "siteA", platforms={"testlinux"}).error is None


def test_cancel_between_commands(sshd: SshServer, notes: Path) -> None:
    cancel = threading.Event()

    def progress(peer: str, index: int, total: int, command: str, event: ProgressEvent) -> None:
        if event is ProgressEvent.COMMAND_OK and index == 1:
            cancel.set()

    capture = collect_peer(peer_of(sshd), harmless_spec(notes), cancel=cancel, progress=progress)
    assert capture.error == "cancelled"
    first, *rest = capture.commands
    assert first.ok
    assert rest and all(r.error == "cancelled before it was sent" for r in rest)


def test_session_lost_marks_the_remaining_commands(sshd: SshServer, notes: Path) -> None:
    # `exit` ends the shell: no prompt comes back, Ctrl-C cannot resync.
    spec = harmless_spec(notes, extra_facts={"leave": ["exit"], "kernel": ["uname -a"]})
    capture = collect_peer(peer_of(sshd, command_timeout=2), spec)
    leave, kernel = capture.commands
    assert not leave.ok and leave.error
    assert kernel.error is not None and kernel.error.startswith("session lost")
    assert capture.error is not None and capture.error.startswith("session lost")


def test_jump_host_to_itself(sshd: SshServer, notes: Path) -> None:
    before = sshd.logins()
    peer = peer_of(sshd, jump_host=JumpHost(host=sshd.host, port=sshd.port))
    capture = collect_peer(peer, harmless_spec(notes, extra_facts={"kernel": ["uname -a"]}))
    assert capture.error is None, capture.error
    assert "Linux" in (capture.output_of(capture.commands[0]) or "")
    assert sshd.logins() == before + 2  # the jump host, then the peer through it


def test_jump_host_key_is_verified(sshd: SshServer, notes: Path, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    peer = peer_of(sshd, known_hosts=empty, jump_host=JumpHost(host=sshd.host, port=sshd.port))
    capture = collect_peer(peer, harmless_spec(notes, extra_facts={"kernel": ["uname -a"]}))
    assert capture.error is not None
    assert "jump host" in capture.error and "unknown host key" in capture.error
    assert sshd.fingerprint in capture.error


def test_ssh_config_file_with_proxycommand(sshd: SshServer, notes: Path, tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(
        "Host lab-peer\n"
        f"  HostName {sshd.host}\n"
        f"  Port {sshd.port}\n"
        f"  ProxyCommand ssh -F /dev/null -i {sshd.client_key} -o BatchMode=yes "
        f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={sshd.known_hosts} "
        f"-p {sshd.port} -W %h:%p {sshd.username}@{sshd.host}\n"
    )
    peer = peer_of(sshd, host="lab-peer", port=22, ssh_config_file=config)
    capture = collect_peer(peer, harmless_spec(notes, extra_facts={"kernel": ["uname -a"]}))
    assert capture.error is None, capture.error
    assert capture.commands[0].ok


def test_missing_ssh_config_file_is_a_peer_error(
    sshd: SshServer, notes: Path, tmp_path: Path
) -> None:
    peer = peer_of(sshd, ssh_config_file=tmp_path / "missing_config")
    capture = collect_peer(peer, harmless_spec(notes, extra_facts={"kernel": ["uname -a"]}))
    assert capture.error is not None and "does not exist" in capture.error
    assert capture.commands[0].error == "not run: config"


def test_each_command_waits_for_the_prompt_found_at_login(sshd: SshServer, notes: Path) -> None:
    """One command at a time, nothing but the command is typed: no Enter per command to ask
    the device for its prompt again (the session log shows every line the shell read)."""
    from ipsec_tui.collectors.ssh import PeerSession
    from ipsec_tui.collectors.transcript import split_blocks

    commands = ["uname -a", f"cat {notes}", "echo after-the-timeout"]
    facts = {"kernel": ["uname -a"], "notes": ["cat {notes_file}"], "after": [commands[2]]}
    spec = harmless_spec(notes, extra_facts=facts)
    with PeerSession(peer_of(sshd), spec) as session:
        assert session.prompt is not None and session.prompt.endswith(("$", "#"))
        sent = [session.send(command) for command in commands]
        logged = session.logged
    assert [s.error for s in sent] == [None] * 3
    assert sent[1].text == NOTES.removesuffix("\n") and sent[2].text == "after-the-timeout"
    blocks, _ = split_blocks(logged)
    # the Enters of the login (peer.yml's login_commands), the commands, the last prompt
    typed = [block.command for block in blocks]
    assert typed == [*spec.login_commands, *commands, ""]
