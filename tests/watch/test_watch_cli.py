"""`ipsec-tui watch`: bad input is refused before anything connects (exit 2, one line, no
traceback), and a watch against emulated devices (FakeNOS over real SSH, tests/vendors/
emulated.py) samples over one login per peer for all of its samples."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from ipsec_tui.cli import main
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.domain.watch import MIN_INTERVAL_S, WatchEvent, WatchSample
from ipsec_tui.platforms import load_platform
from ipsec_tui.watch import Watch, sample_commands
from ipsec_tui.watch_cli import NotLoggedIn, parse_duration, sample_count, watch_tunnel
from tests.collectors.sshd_server import free_port
from tests.vendors.emulated import emulate


def _inventory(tmp_path: Path) -> Path:
    inventory = tmp_path / "inventory.yml"
    peer = {"platform": "strongswan", "host": "127.0.0.1", "username": "ops"}
    tunnel = {"peers": {"siteA": peer, "siteB": peer}}
    inventory.write_text(yaml.safe_dump({"tunnels": {"lab": tunnel}}), encoding="utf-8")
    return inventory


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--interval", "1"], "--interval must be at least 2 seconds"),
        (["--interval", "nan"], "--interval must be at least 2 seconds"),
        (["--duration", "0"], "--duration must be more than 0"),
        (["--duration", "25h"], "at most 24 hours"),
        (["--duration", "ten"], "write seconds, or a number with s, m or h"),
        (["--interval", "30", "--duration", "10s"], "shorter than --interval"),
        (["--max-samples", "1"], "--max-samples must be 2-5000"),
        (["--tunnel", "nope"], "nope"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["watch", "-i", str(_inventory(tmp_path))]
    if "--tunnel" not in argv:
        args += ["-t", "lab"]
    code = main([*args, *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_missing_inventory_or_a_used_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", "-i", str(tmp_path / "none.yml"), "-t", "lab"]) == 2
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine\n", encoding="utf-8")
    inventory = _inventory(tmp_path)
    assert main(["watch", "-i", str(inventory), "-t", "lab", "--out", str(used)]) == 2
    err = capsys.readouterr().err
    assert "already exists and is not empty" in err and "Traceback" not in err
    assert sorted(p.name for p in used.iterdir()) == ["notes.txt"]


def test_the_bounds() -> None:
    assert parse_duration("90") == 90 and parse_duration("15m") == 900
    assert parse_duration("2h") == 7200
    assert sample_count(10, 60, None) == 7  # at 0, 10 ... 60 s
    assert sample_count(2, 24 * 3600, None) == 5000  # the cap
    assert sample_count(10, 600, 3) == 3


def test_a_watch_of_emulated_devices_logs_in_once_per_peer(tmp_path: Path) -> None:
    platform = "cisco_ios"
    with (
        emulate(platform, tmp_path / "device-a", password="pw-watch") as device_a,
        emulate(platform, tmp_path / "device-b", password="pw-watch") as device_b,
    ):
        tunnel = Tunnel(name="emulated", peers=(device_a.peer("siteA"), device_b.peer("siteB")))
        passwords = {**device_a.passwords, **device_b.passwords}
        stop = threading.Event()
        seen: list[int] = []

        def on_sample(sample: WatchSample, events: list[WatchEvent], watch: Watch) -> None:
            seen.append(sample.index)
            if sample.index == 2:
                stop.set()  # as Ctrl+C or the cockpit's `c` would

        run = watch_tunnel(
            tunnel, tmp_path / "watch", interval=MIN_INTERVAL_S, samples=5, passwords=passwords,
            stop=stop, on_sample=on_sample,
        )  # fmt: skip
        # one SSH session per device for both samples: the sessions stayed open
        assert len(device_a.sessions) == 1 and len(device_b.sessions) == 1
        wanted = sample_commands(load_platform(platform))
        typed = [line for line in device_a.sessions[0].lines if line in wanted]
        assert typed == wanted * 2
        # a peer that cannot be logged in to: nothing is sampled, the other is logged out
        with pytest.raises(NotLoggedIn, match="siteA"):
            watch_tunnel(
                replace(tunnel, peers=(replace(tunnel.peers[0], port=free_port()),
                                       tunnel.peers[1])),
                tmp_path / "nowhere", interval=MIN_INTERVAL_S, samples=2, passwords=passwords,
            )  # fmt: skip
        assert len(device_b.sessions) == 2
        assert not [line for line in device_b.sessions[1].lines if line in wanted]
    assert seen == [1, 2] and run.stopped and run.result.samples == 2
    assert [Path(folder).name for folder in run.result.folders] == ["sample-0001", "sample-0002"]
    for folder in run.result.folders:
        captures = read_capture(folder)  # an ordinary capture folder each
        assert [c.name for c in captures] == ["siteA", "siteB"]
        assert [r.command for r in captures[0].commands] == wanted
        assert all(r.ok for c in captures for r in c.commands)
    # both samples read the same recorded outputs: nothing changed, nothing went down
    assert not [e for e in run.result.events if e.kind.endswith("-down")]
