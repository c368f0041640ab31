"""The capture folder format: slugs, round trips, hand-written captures and bad input."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsec_tui.collectors.capture_io import (
    CAPTURE_FILE,
    PEER_FILE,
    CaptureIndex,
    check_peer_folder_name,
    output_file_name,
    read_capture,
    read_capture_index,
    read_peer,
    write_capture,
    write_capture_index,
    write_peer,
)
from ipsec_tui.domain.capture import CommandRecord, PeerCapture, slug
from ipsec_tui.errors import UserError


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("swanctl --list-sas", "swanctl-list-sas"),
        ("show crypto ikev2 sa", "show-crypto-ikev2-sa"),
        ("cat /var/log/charon.log", "cat-var-log-charon.log"),
        ("ip -br addr", "ip-br-addr"),
        ("  Show  IP Route  ", "show-ip-route"),
        ("sysctl net.ipv4.ip_forward", "sysctl-net.ipv4.ip-forward"),
        ("---", ""),
    ],
)
def test_slug(command: str, expected: str) -> None:
    assert slug(command) == expected


@given(st.text(max_size=80))
def test_slug_is_always_a_safe_file_stem(command: str) -> None:
    stem = slug(command)
    assert set(stem) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")
    assert not stem.startswith("-") and not stem.endswith("-")
    assert "--" not in stem
    assert slug(stem) == stem


def test_output_file_names_are_unique() -> None:
    taken: set[str] = set()
    for _ in range(3):
        taken.add(output_file_name("ip xfrm state", taken))
    assert taken == {"ip-xfrm-state.txt", "ip-xfrm-state-2.txt", "ip-xfrm-state-3.txt"}
    assert output_file_name("ip-xfrm-state", {"ip-xfrm-state.txt"}) == "ip-xfrm-state-2.txt"
    assert output_file_name("!!!") == "output.txt"


def sample() -> PeerCapture:
    records = (
        CommandRecord(
            "swanctl --list-sas",
            "swanctl-list-sas.txt",
            "2024-05-01T12:00:00.123Z",
            "2024-05-01T12:00:00.456Z",
        ),
        CommandRecord(
            "cat /var/log/charon.log",
            "cat-var-log-charon.log.txt",
            "2024-05-01T12:00:00.456Z",
            "2024-05-01T12:00:01.000Z",
        ),
        CommandRecord(
            "sleep 5",
            None,
            "2024-05-01T12:00:01.000Z",
            "2024-05-01T12:00:02.000Z",
            "timed out: no prompt after 1s",
        ),
    )
    return PeerCapture(
        name="siteA",
        platform="strongswan",
        host="198.51.100.11",
        collected_at="2024-05-01T12:00:00.000Z",
        commands=records,
        outputs={
            "swanctl-list-sas.txt": "lab: #1, ESTABLISHED\r\n  local  'siteA'\n\tü ✓\n",
            "cat-var-log-charon.log.txt": "",
        },
        login_commands=("", ""),
    )


def test_round_trip(tmp_path: Path) -> None:
    capture = sample()
    peer_file = write_peer(tmp_path / "siteA", capture, port=22, tool_version="ipsec-tui test")
    assert peer_file == tmp_path / "siteA" / PEER_FILE
    raw = (tmp_path / "siteA" / "swanctl-list-sas.txt").read_bytes()
    assert raw == capture.outputs["swanctl-list-sas.txt"].encode("utf-8")  # exactly, CRLF kept
    assert read_peer(tmp_path / "siteA") == replace(capture, port=22, tool_version="ipsec-tui test")
    text = peer_file.read_text()
    assert "port: 22" in text and "tool_version: ipsec-tui test" in text
    assert not [p for p in (tmp_path / "siteA").iterdir() if p.name.startswith(".")]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    output=st.text(),
    command=st.text(min_size=1).filter(lambda c: c.strip() != ""),
    error=st.none() | st.text(),
)
def test_round_trip_any_text(tmp_path: Path, output: str, command: str, error: str | None) -> None:
    file_name = output_file_name(command)
    capture = PeerCapture(
        name="p",
        platform="strongswan",
        commands=(CommandRecord(command, file_name, error=error),),
        outputs={file_name: output},
        error=error,
    )
    write_peer(tmp_path / "p", capture)
    assert read_peer(tmp_path / "p") == capture


def test_write_refuses_a_record_without_its_output(tmp_path: Path) -> None:
    broken = PeerCapture(
        name="p", platform="strongswan", commands=(CommandRecord("ip rule", "ip-rule.txt"),)
    )
    with pytest.raises(ValueError, match="no output"):
        write_peer(tmp_path / "p", broken)
    assert not (tmp_path / "p" / PEER_FILE).exists()
    unsafe = PeerCapture(
        name="p",
        platform="strongswan",
        commands=(CommandRecord("ip rule", "../x.txt"),),
        outputs={"../x.txt": ""},
    )
    with pytest.raises(ValueError, match="not a plain file name"):
        write_peer(tmp_path / "p", unsafe)


def test_capture_order_from_capture_yml_else_folder_names(tmp_path: Path) -> None:
    b = PeerCapture(name="zulu", platform="strongswan")
    a = PeerCapture(name="alpha", platform="libreswan")
    write_capture(tmp_path / "cap", [b, a], tunnel="lab", description="d")
    assert read_capture_index(tmp_path / "cap") == CaptureIndex("lab", ("zulu", "alpha"), "d")
    assert [p.name for p in read_capture(tmp_path / "cap")] == ["zulu", "alpha"]
    (tmp_path / "cap" / CAPTURE_FILE).unlink()
    assert [p.name for p in read_capture(tmp_path / "cap")] == ["alpha", "zulu"]


def test_hand_written_capture(tmp_path: Path) -> None:
    peer = tmp_path / "cap" / "hq-router"
    peer.mkdir(parents=True)
    (peer / PEER_FILE).write_text(
        "name: hq-router\n"
        "platform: strongswan\n"
        "commands:\n"
        "  - command: swanctl --list-sas\n"
        "    file: sas.txt\n"
        "  - {command: 'ip xfrm state'}\n"  # file defaults to <slug>.txt
        "collected_at: 2024-05-01T12:00:00Z\n"  # unquoted: YAML reads a datetime
    )
    (peer / "sas.txt").write_text("pasted output\n")
    (peer / "ip-xfrm-state.txt").write_text("src 1.2.3.4 dst 5.6.7.8\n")
    (captured,) = read_capture(tmp_path / "cap")
    assert captured.name == "hq-router"
    assert [r.command for r in captured.commands] == ["swanctl --list-sas", "ip xfrm state"]
    assert captured.output_of(captured.commands[0]) == "pasted output\n"
    assert captured.output_of(captured.commands[1]) == "src 1.2.3.4 dst 5.6.7.8\n"
    assert all(r.ok and r.started_at is None for r in captured.commands)
    assert captured.collected_at is not None and captured.collected_at.startswith("2024-05-01")


def write_peer_yml(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    (folder / PEER_FILE).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: p\nplatform: vyos\n", r"field 'platform' must be one of .*strongswan.*'vyos'"),
        ("platform: strongswan\n", r"field 'name' is required"),
        ("name: p\nplatform: strongswan\ncommands: {a: b}\n", r"'commands' must be a list"),
        ("name: p\nplatform: strongswan\ncommands: [ip rule]\n", r"commands\[1\] must be a map"),
        ("name: p\nplatform: strongswan\ncommands: [{file: x.txt}]\n", r"'command' is required"),
        (
            "name: p\nplatform: strongswan\ncommands: [{command: ip rule, file: gone.txt}]\n",
            r"gone.txt: missing \(listed in .*peer.yml as the output of 'ip rule'\)",
        ),
        (
            "name: p\nplatform: strongswan\ncommands: [{command: ip rule, file: ../etc/passwd}]\n",
            r"field 'file' must be a file name",
        ),
        ("name: p\nplatform: [unclosed\n", r"peer.yml: not valid YAML"),
        ("just text\n", r"peer.yml: expected a mapping"),
        (
            "name: p\nplatform: strongswan\nclock: {device_time: x, offset_s: .nan}\n",
            r"field 'clock' must be a mapping",
        ),
        (
            "name: p\nplatform: strongswan\nclock: {device_time: x, offset_s: 1"
            + "0" * 400
            + "}\n",
            r"field 'clock' must be a mapping",
        ),
    ],
)
def test_bad_peer_yml(tmp_path: Path, text: str, message: str) -> None:
    folder = write_peer_yml(tmp_path, text)
    with pytest.raises(UserError, match=message) as error:
        read_peer(folder)
    assert str(folder) in str(error.value)


def test_missing_things(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="capture folder not found"):
        read_capture(tmp_path / "nope")
    with pytest.raises(UserError, match="capture folder not found"):
        read_peer(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no peer folders"):
        read_capture(tmp_path / "empty")
    with pytest.raises(UserError, match=r"peer\.yml: missing"):
        read_peer(tmp_path / "empty")
    write_capture_index(tmp_path / "listed", "lab", ["siteA"])
    with pytest.raises(UserError, match=r"capture.yml: lists peer 'siteA' but .* is missing"):
        read_capture(tmp_path / "listed")


def test_output_not_utf8(tmp_path: Path) -> None:
    folder = write_peer_yml(
        tmp_path, "name: p\nplatform: strongswan\ncommands: [{command: ip rule, file: r.txt}]\n"
    )
    (folder / "r.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(UserError, match=r"r.txt: not UTF-8"):
        read_peer(folder)


def test_secrets_are_redacted_before_anything_is_written(tmp_path: Path) -> None:
    conf = 'secrets {\n  ike-lab {\n    secret = "lab-psk-value-123"\n  }\n}\n'
    record = CommandRecord("cat /etc/swanctl/swanctl.conf", "conf.txt", "t0", "t1")
    capture = PeerCapture(
        name="siteA",
        platform="strongswan",
        commands=(record,),
        outputs={"conf.txt": conf + "login password was hunter2hunter2\n"},
    )
    write_peer(tmp_path / "siteA", capture, salt=b"run-salt", known_secrets=["hunter2hunter2"])
    written = (tmp_path / "siteA" / "conf.txt").read_text()
    assert "lab-psk-value-123" not in written and "hunter2hunter2" not in written
    assert 'secret = "<redacted:fp=' in written  # a comparable fingerprint, not the key
    for path in (tmp_path / "siteA").iterdir():
        assert "lab-psk-value-123" not in path.read_text()


def test_outputs_are_read_from_inside_the_folder_only(tmp_path: Path) -> None:
    folder = write_peer_yml(
        tmp_path, "name: p\nplatform: strongswan\ncommands: [{command: ip rule, file: r.txt}]\n"
    )
    (folder / "r.txt").symlink_to("/etc/hostname")
    with pytest.raises(UserError, match=r"r.txt: is a symbolic link; only regular files"):
        read_peer(folder)
    (folder / "r.txt").unlink()
    os.mkfifo(folder / "r.txt")  # opened without blocking, then refused
    with pytest.raises(UserError, match=r"r.txt: is a FIFO"):
        read_peer(folder)


def test_a_peer_name_that_cannot_be_a_folder_is_refused() -> None:
    for name in ("peer.yml", "capture.yml", "..", ".", ".hidden", "a/b", ""):
        with pytest.raises(UserError, match="cannot name a peer folder"):
            check_peer_folder_name(name)
    check_peer_folder_name("siteA")
