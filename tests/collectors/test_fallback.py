"""strongSwan: swanctl first, the legacy stroke interface where swanctl does not answer.

Over real SSH (an sshd of this module's own on 127.0.0.1): each peer logs in with its own key,
whose authorized_keys entry starts a shell with a PATH of its own, so one box has a working
`swanctl`, one has none at all (the shell really says `command not found`) and one has a
swanctl that lists no connections. The programs on those PATHs print real recorded outputs
(sources in tests/parsers/strongswan/SOURCES.md): the project's lab for swanctl, a strongSwan
5.2.1 box's `ipsec statusall` (danos/vyatta-security-vpn) and strongSwan 5.5.0's own test
suite's ipsec.conf (testing/tests/ikev2/net2net-psk/hosts/moon/etc/ipsec.conf).
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sshd_server import SshServer, keygen, peer_config, start_sshd

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import PeerConfig, Tunnel
from ipsec_tui.collectors.progress import ProgressEvent
from ipsec_tui.collectors.run import collect_tunnel
from ipsec_tui.collectors.ssh import collect_peer
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers.base import parse_peer
from ipsec_tui.platforms import Compound, load_platform

STRONGSWAN = Path(__file__).parents[1] / "parsers" / "strongswan"
STATUSALL = STRONGSWAN / "ipsec-statusall" / "vyatta-5.2.1-up-up.txt"
IPSEC_CONF = STRONGSWAN / "cat-ipsec-conf" / "strongswan-5.5.0-ikev2-net2net-psk-moon.txt"
SWANCTL = {  # recorded from the lab's siteA (strongSwan 5.9.8)
    option: STRONGSWAN / folder / "baseline-siteA.txt"
    for option, folder in {
        "--version": "swanctl-version",
        "--list-sas": "swanctl-list-sas",
        "--list-conns": "swanctl-list-conns",
        "--stats": "swanctl-stats",
    }.items()
}
SPEC = load_platform("strongswan")
# strongSwan with its whole command set in one compound line (off in the shipped YAML until a
# transcript import reads compound lines back: see strongswan.yml)
LINES = replace(SPEC, compound=Compound(("swanctl", "ipsec", "nft", "cat", "journalctl")))
# the clock and every swanctl command of the platform, in its order: enough to show the
# fallback without reading the test machine's own logs, routes and firewall
COMMANDS = [c for c in SPEC.commands() if c.split()[0] in ("date", "swanctl")]
FALLBACK = ["ipsec statusall", "cat /etc/ipsec.conf"]


def script(path: Path, cases: dict[str, Path | None], fallthrough: str) -> None:
    """An executable shell script printing a recorded file per argument list ("" for
    None), or running ``fallthrough`` (with the arguments) for anything else. A recording
    kept without its last line end gets it back, as the program printed it."""
    lines = ["#!/bin/sh", 'case "$*" in']
    for arguments, printed in cases.items():
        action = f"exec /bin/sed -e '$a\\' '{printed}'" if printed is not None else "exit 0"
        lines.append(f"  '{arguments}') {action} ;;")
    lines += [f'  *) exec {fallthrough} "$@" ;;', "esac", ""]
    path.write_text("\n".join(lines))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def box(folder: Path, *, swanctl: dict[str, Path | None] | None, timeout: bool = False) -> Path:
    """A folder for PATH: `date`, a `cat` that shows ``IPSEC_CONF`` as /etc/ipsec.conf,
    `ipsec statusall`, and `swanctl` answering ``swanctl`` (absent when None); coreutils'
    `timeout` only with ``timeout``."""
    folder.mkdir()
    (folder / "date").symlink_to(shutil.which("date") or "/bin/date")
    if timeout:
        (folder / "timeout").symlink_to(shutil.which("timeout") or "/usr/bin/timeout")
    script(folder / "cat", {"/etc/ipsec.conf": IPSEC_CONF}, "/bin/cat")
    script(folder / "ipsec", {"statusall": STATUSALL}, "/bin/false")
    if swanctl is not None:
        script(folder / "swanctl", swanctl, "/bin/false")
    return folder


@pytest.fixture(scope="module")
def boxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SshServer, dict[str, Path]]]:
    """This module's sshd and a client key per box; each key's login gets the box's PATH."""
    folder = tmp_path_factory.mktemp("fallback-sshd")
    servers = start_sshd(folder)
    server = next(servers)
    paths = {
        "swanctl": box(folder / "swanctl-box", swanctl=dict(SWANCTL)),
        "stroke": box(folder / "stroke-box", swanctl=None),
        "stroke-timeout": box(folder / "stroke-timeout-box", swanctl=None, timeout=True),
        "empty": box(
            folder / "empty-box",
            swanctl={**SWANCTL, "--list-conns": None, "--list-sas": None},
        ),
    }
    keys: dict[str, Path] = {}
    entries = []
    for name, path in paths.items():
        keys[name] = keygen(folder / f"id_{name}")
        # a clean interactive shell (no profile to reset PATH) seeing only this box's programs
        shell = f"exec /usr/bin/env -i HOME={folder} TERM=dumb PATH={path} /bin/bash --norc -i"
        public = keys[name].with_suffix(".pub").read_text().strip()
        entries.append(f'command="{shell}",no-agent-forwarding {public}')
    (folder / "authorized_keys").write_text("\n".join(entries) + "\n")
    try:
        yield server, keys
    finally:
        next(servers, None)  # start_sshd's own end: stops sshd by its PID


def peer_of(boxes: tuple[SshServer, dict[str, Path]], name: str, kind: str) -> PeerConfig:
    server, keys = boxes
    return peer_config(server, name, platform="strongswan", key_file=keys[kind])


def lines_of(capture: PeerCapture, command: str) -> list[str]:
    (record,) = [r for r in capture.commands if r.command == command]
    return (capture.output_of(record) or "").splitlines()


def test_missing_swanctl_falls_back_to_stroke_and_the_other_peer_does_not(
    boxes: tuple[SshServer, dict[str, Path]], tmp_path: Path
) -> None:
    tunnel = Tunnel("t", (peer_of(boxes, "siteA", "swanctl"), peer_of(boxes, "siteB", "stroke")))
    events: list[tuple[str, int, int, str, ProgressEvent]] = []
    result = collect_tunnel(
        tunnel,
        tmp_path / "cap",
        commands={"siteA": COMMANDS, "siteB": COMMANDS},
        passwords={},
        progress=lambda *event: events.append(event),
    )
    site_a, site_b = (peer.capture for peer in result.peers)
    assert site_a.error is None and site_b.error is None

    # swanctl answered on siteA: nothing else ran, nothing is marked as a fallback
    assert [r.command for r in site_a.commands] == COMMANDS
    assert all(r.fallback_for is None and r.fallback_when is None for r in site_a.commands)
    assert "strongSwan swanctl 5.9.8" in lines_of(site_a, "swanctl --version")

    # siteB has no swanctl: the shell says so, and the stroke commands follow at once
    conns = COMMANDS.index("swanctl --list-conns")
    assert [r.command for r in site_b.commands] == [
        *COMMANDS[: conns + 1],
        *FALLBACK,
        *COMMANDS[conns + 1 :],
    ]
    assert any(
        "swanctl: command not found" in line for line in lines_of(site_b, "swanctl --list-conns")
    )
    by_command = {r.command: r for r in site_b.commands}
    for command in FALLBACK:
        assert by_command[command].ok
        assert by_command[command].fallback_for == "swanctl --list-conns"
        assert by_command[command].fallback_when == "missing"
    assert lines_of(site_b, "ipsec statusall") == STATUSALL.read_text().splitlines()
    assert lines_of(site_b, "cat /etc/ipsec.conf") == IPSEC_CONF.read_text().splitlines()
    assert all(r.fallback_for is None for r in site_b.commands if r.command not in FALLBACK)
    # progress counts the added commands: siteB ends at 7 of 7, siteA at 5 of 5
    done = [e for e in events if e[4] == ProgressEvent.COMMAND_OK]
    assert {(e[0], e[1], e[2]) for e in done} >= {("siteB", 7, 7), ("siteA", 5, 5)}
    assert ("siteB", 5, 7, "ipsec statusall", ProgressEvent.COMMAND_OK) in events

    # peer.yml says which command answered and why; it reads back the same
    written = yaml.safe_load((tmp_path / "cap" / "siteB" / "peer.yml").read_text())
    entry = next(item for item in written["commands"] if item["command"] == "ipsec statusall")
    assert entry["fallback_for"] == "swanctl --list-conns"
    assert entry["fallback_when"] == "missing"
    untouched = yaml.safe_load((tmp_path / "cap" / "siteA" / "peer.yml").read_text())
    assert all("fallback_for" not in item for item in untouched["commands"])
    again = read_capture(tmp_path / "cap")
    assert [c.commands for c in again] == [site_a.commands, site_b.commands]

    # the analysis reads the stroke outputs: what a person reads off `ipsec statusall`
    # (one IKEv1 SA 192.168.103.12...192.168.103.11, ESP SPIs c5cf9e28_i c983bf65_o) and
    # ipsec.conf (conn net-net, leftsubnet=10.1.0.0/16, rightsubnet=10.2.0.0/16)
    model = parse_peer(again[1])
    status = {r.command: r.status for r in model.parse_results}
    assert status["ipsec statusall"] == ParseStatus.OK
    assert status["cat /etc/ipsec.conf"] == ParseStatus.OK
    assert status["swanctl --list-conns"] == ParseStatus.FAILED  # said so, not hidden
    (ike_sa,) = model.ike_sas
    assert (ike_sa.local_addr, ike_sa.remote_addr) == ("192.168.103.12", "192.168.103.11")
    assert ike_sa.version == 1
    assert [(c.spi_in, c.spi_out) for c in ike_sa.child_sas] == [("c5cf9e28", "c983bf65")]
    net_net = next(c for c in model.connections if c.name == "net-net")
    assert [(ch.local_ts, ch.remote_ts) for ch in net_net.children] == [
        (("10.1.0.0/16",), ("10.2.0.0/16",))
    ]


def test_swanctl_listing_no_connections_falls_back_as_empty(
    boxes: tuple[SshServer, dict[str, Path]],
) -> None:
    capture = collect_peer(peer_of(boxes, "siteB", "empty"), SPEC, commands=COMMANDS)
    assert capture.error is None
    assert lines_of(capture, "swanctl --list-conns") == []
    fallbacks = [(r.command, r.fallback_for, r.fallback_when) for r in capture.commands]
    assert [entry for entry in fallbacks if entry[1] is not None] == [
        ("ipsec statusall", "swanctl --list-conns", "empty"),
        ("cat /etc/ipsec.conf", "swanctl --list-conns", "empty"),
    ]
    assert lines_of(capture, "ipsec statusall") == STATUSALL.read_text().splitlines()


def test_a_fallback_command_is_not_run_twice(boxes: tuple[SshServer, dict[str, Path]]) -> None:
    # asked for explicitly before swanctl: it ran, and the fallback adds only what is left
    commands = ["ipsec statusall", *COMMANDS]
    capture = collect_peer(peer_of(boxes, "siteB", "stroke"), SPEC, commands=commands)
    ran = [r.command for r in capture.commands]
    assert ran.count("ipsec statusall") == 1
    assert ran.count("cat /etc/ipsec.conf") == 1
    (statusall,) = [r for r in capture.commands if r.command == "ipsec statusall"]
    assert statusall.fallback_for is None  # it was asked for, not a fallback
    (conf,) = [r for r in capture.commands if r.command == "cat /etc/ipsec.conf"]
    assert (conf.fallback_for, conf.fallback_when) == ("swanctl --list-conns", "missing")


def test_compound_lines_fall_back_in_a_second_line_under_timeout(
    boxes: tuple[SshServer, dict[str, Path]],
) -> None:
    # with `timeout` on the box, swanctl's absence is timeout's own message (exit 127)
    capture = collect_peer(peer_of(boxes, "siteB", "stroke-timeout"), LINES, commands=COMMANDS)
    assert capture.error is None
    conns = COMMANDS.index("swanctl --list-conns")
    ran = [r.command for r in capture.commands]
    assert ran == [*COMMANDS[: conns + 1], *FALLBACK, *COMMANDS[conns + 1 :]]
    by_command = {r.command: r for r in capture.commands}
    missing = by_command["swanctl --list-conns"]
    assert missing.exit_status == 127 and missing.timing == "block"
    assert "timeout: failed to run command" in "\n".join(lines_of(capture, missing.command))
    for command in FALLBACK:
        assert by_command[command].fallback_when == "missing"
        assert by_command[command].timing == "block" and by_command[command].exit_status == 0
    # the fallbacks went out as one more line, sent after the first one had come back
    # (times are to the millisecond: the second line may start in the millisecond the
    # first one ended, never before it, and never with it)
    (first_line,) = {by_command[c].started_at for c in COMMANDS}
    (second_line,) = {by_command[c].started_at for c in FALLBACK}
    first_done = max(r.finished_at or "" for r in (by_command[c] for c in COMMANDS))
    assert first_line < second_line and second_line >= first_done
    assert lines_of(capture, "ipsec statusall") == STATUSALL.read_text().splitlines()


def test_without_timeout_on_the_box_those_commands_are_sent_alone(
    boxes: tuple[SshServer, dict[str, Path]],
) -> None:
    capture = collect_peer(peer_of(boxes, "siteB", "stroke"), LINES, commands=COMMANDS)
    notes = {r.command: r.note for r in capture.commands}
    assert notes["date +%Y-%m-%dT%H:%M:%S.%N%z"] is None  # not under timeout: in the line
    assert (
        notes["swanctl --version"]
        == "sent alone: the device has no `timeout` for the compound line"
    )
    assert capture.clock is not None
