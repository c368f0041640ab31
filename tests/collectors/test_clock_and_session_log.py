"""The clock offset measured at collection, Netmiko's session log kept in memory only, and
a PSK repeated where no rule sees it (collected over the session's real sshd)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sshd_server import SshServer, inventory_peer, peer_config

from ipsec_tui.cli import main
from ipsec_tui.collectors.bundles import open_bundle
from ipsec_tui.collectors.capture_io import read_capture, read_peer, write_peer
from ipsec_tui.collectors.inventory import PeerConfig
from ipsec_tui.collectors.ssh import collect_peer
from ipsec_tui.domain.capture import (
    ClockReading,
    CommandRecord,
    PeerCapture,
    clock_reading,
    parse_device_time,
)
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, load_platform

CLOCK = load_platform("strongswan").facts["clock"][0].canonical()


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("2026-11-26T21:47:51.123456789+0100", datetime(2026, 11, 26, 20, 47, 51, 123456, UTC)),
        ("2026-11-26T20:47:51.%N+0000", datetime(2026, 11, 26, 20, 47, 51, tzinfo=UTC)),
        ("2026-11-26T20:47:51Z", datetime(2026, 11, 26, 20, 47, 51, tzinfo=UTC)),
        ("Thu Nov 26 20:47:51 UTC 2026", datetime(2026, 11, 26, 20, 47, 51, 500000, UTC)),
        ("Thu Nov  6 20:47:51 UTC 2026", datetime(2026, 11, 6, 20, 47, 51, 500000, UTC)),
        ("date: invalid option", None),
        ("Thu Nov 26 21:47:51 CET 2026", None),  # a zone name: its offset is unknown
    ],
)
def test_device_times_read(printed: str, expected: datetime | None) -> None:
    assert parse_device_time(printed) == expected


def test_offset_is_device_minus_the_midpoint() -> None:
    reading = clock_reading(
        "2026-11-26T21:47:53.150+0100", "2026-11-26T20:47:51.100Z", "2026-11-26T20:47:51.200Z"
    )
    assert reading == ClockReading("2026-11-26T21:47:53.150000+01:00", 2.0)
    assert reading.zone == timezone(timedelta(hours=1))  # the zone its logs are written in
    assert clock_reading("garbage", "2026-11-26T20:47:51.100Z", "x") is None


def test_clock_round_trips_through_peer_yml(tmp_path: Path) -> None:
    capture = PeerCapture(
        name="siteA",
        platform="strongswan",
        commands=(CommandRecord(CLOCK, "date.txt"),),
        outputs={"date.txt": "2026-11-26T20:47:51.000000000+0000"},
        clock=ClockReading("2026-11-26T20:47:51.000000+00:00", -0.25),
    )
    write_peer(tmp_path / "siteA", capture)
    assert (
        "clock:\n  device_time: '2026-11-26T20:47:51.000000+00:00'\n  offset_s: -0.25\n"
        in (tmp_path / "siteA" / "peer.yml").read_text()
    )
    assert read_peer(tmp_path / "siteA") == capture
    peer_yml = tmp_path / "siteA" / "peer.yml"
    peer_yml.write_text(peer_yml.read_text().replace("offset_s: -0.25", "offset_s: soon"))
    with pytest.raises(UserError, match="'clock' must be a mapping with device_time and offset_s"):
        read_peer(tmp_path / "siteA")


def _spec() -> PlatformSpec:
    return PlatformSpec.from_dict(
        {
            "name": "clocklinux",
            "device_type": "linux",
            "shell": "posix",
            "login_commands": ["", ""],
            "facts": {"clock": [CLOCK], "kernel": ["uname -a"]},
        }
    )


def _peer(server: SshServer) -> PeerConfig:
    return peer_config(server, platform="clocklinux")


def test_collection_measures_the_clock_and_keeps_the_session_log_in_memory(
    sshd: SshServer, tmp_path: Path
) -> None:
    capture = collect_peer(_peer(sshd), _spec())
    assert capture.error is None, capture.error
    assert capture.clock is not None
    assert abs(capture.clock.offset_s) < 1.0  # the same machine's clock, within latency
    record = capture.commands[0]
    assert record.command == CLOCK and record.started_at and record.finished_at
    # the session log shows the prompts and what the device printed
    log = capture.session_log or ""
    assert CLOCK in log and "uname -a" in log and (capture.output_of(record) or "") in log
    written = write_peer(tmp_path / "siteA", capture).parent
    assert sorted(p.name for p in written.iterdir()) == [
        "date-y-m-dt-h-m-s.-n-z.txt",
        "peer.yml",
        "uname-a.txt",
    ]
    assert read_peer(written, platforms=["clocklinux"]).clock == capture.clock


def test_a_psk_repeated_where_no_rule_sees_it_is_not_written(tmp_path: Path) -> None:
    key = "repeated-Key-4711-abcdef"
    conf, log = "cat-etc-swanctl-swanctl.conf.txt", "cat-var-log-charon.log.txt"
    capture = PeerCapture(
        name="siteB",
        platform="strongswan",
        commands=(
            CommandRecord("cat /etc/swanctl/swanctl.conf", conf),
            CommandRecord("cat /var/log/charon.log", log),
        ),
        outputs={
            conf: f'secrets {{\n  ike {{\n    secret = "{key}"\n  }}\n}}',
            log: f"12[CFG] loaded {key}",
        },
    )
    with pytest.raises(UserError, match=r"cat-var-log-charon\.log\.txt: refusing to write"):
        write_peer(tmp_path / "siteB", capture)
    assert not (tmp_path / "siteB").exists()


def test_collect_with_bundle(
    sshd: SshServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    peer = inventory_peer(sshd)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        yaml.safe_dump({"tunnels": {"t": {"peers": {"siteA": peer, "siteB": peer}}}})
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("collected for the test\n")
    out, bundle = tmp_path / "capture", tmp_path / "t.zip"
    argv = ["collect", "-i", str(inventory), "--out", str(out), "--bundle", str(bundle)]
    code = main([*argv, "--notes", str(notes)])
    printed = capsys.readouterr().out
    assert f"bundle {bundle}:" in printed
    captures, read_notes, manifest = open_bundle(bundle)
    assert captures == read_capture(out)  # the capture as collected
    assert read_notes == "collected for the test\n"
    assert {"session/siteA.log", "session/siteB.log"} <= set(manifest.paths)
    assert all(c.clock is not None for c in captures)
    assert code in (0, 1)  # this box is no IPsec gateway: swanctl may be missing
    # --notes alone is a mistake; an existing bundle is never replaced
    assert (
        main(
            ["collect", "-i", str(inventory), "--out", str(tmp_path / "o2"), "--notes", str(notes)]
        )
        == 2
    )
    assert main([*argv[:-3], str(tmp_path / "o3"), "--bundle", str(bundle)]) == 2
