"""`ipsec-tui fleet` over real SSH on Nornir: an emulated IOS hub with eleven emulated spokes
and one spoke that does not answer (tests/vendors/emulated.py: FakeNOS servers replaying
real recorded outputs). The hub is logged in to once for its twelve tunnels, the dead spoke
is isolated and reported, the JSON/CSV/bundles agree with `check`, and Ctrl+C keeps what was
collected."""

from __future__ import annotations

import _thread
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipsec_tui import cli
from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors import credentials
from ipsec_tui.collectors.bundles import load_captures
from ipsec_tui.collectors.inventory import load_inventory
from ipsec_tui.collectors.nornir_run import NOT_STARTED, collect_devices
from ipsec_tui.fleet import FleetResult, collect_fleet, plan_fleet, write_tunnel_capture
from tests.fleet.emulated_hub import hub_and_spokes
from tests.vendors.emulated import EmulatedDevice, free_port

PASSWORD = "pw-fleet-7f3a9c"  # the emulated accounts' (never a real one)
SPOKES = 11


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[EmulatedDevice]]:
    """The hub first, then the live spokes."""
    with hub_and_spokes(tmp_path_factory.mktemp("emulated"), SPOKES, PASSWORD) as devices:
        yield devices


def peer_entry(device: EmulatedDevice) -> dict[str, object]:
    entry: dict[str, object] = {
        "host": device.host, "port": device.port, "platform": device.platform,
        "username": device.username, "auth": "password", "known_hosts": str(device.known_hosts),
        "timeout": 10, "command_timeout": 30,
    }  # fmt: skip
    if device.overrides:
        entry["overrides"] = dict(device.overrides)
    return entry


@pytest.fixture
def inventory(devices: list[EmulatedDevice], tmp_path: Path) -> Path:
    hub, *spokes = devices
    dead = {**peer_entry(spokes[0]), "port": free_port(), "timeout": 3}  # nothing listens
    tunnels = {
        f"spoke-{n + 1:02d}": {"peers": {"hub-1": peer_entry(hub),
                                         f"spoke-{n + 1:02d}": peer_entry(spoke)}}
        for n, spoke in enumerate(spokes)
    }  # fmt: skip
    tunnels["spoke-12"] = {"peers": {"hub-1": peer_entry(hub), "spoke-12": dead}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"tunnels": tunnels}, sort_keys=False))
    return path


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The keyring or the prompt, answered with the emulated accounts' password."""
    asked: list[tuple[str, str]] = []

    def answer(username: str, host: str, *args: object, **kwargs: object) -> str:
        asked.append((username, host))
        return PASSWORD

    monkeypatch.setattr(credentials, "get_password", answer)
    return asked


def test_fleet_json_one_login_per_device(
    devices: list[EmulatedDevice],
    inventory: Path,
    password: list[tuple[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub = devices[0]
    before = [len(device.sessions) for device in devices]
    bundles = tmp_path / "bundles"
    table = tmp_path / "fleet.csv"
    code = cli.main(["fleet", "--inventory", str(inventory), "--workers", "6", "--json",
                     "--bundle-dir", str(bundles)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1, err  # the dead spoke's tunnel is not healthy
    # every device logged in to once: the hub for all twelve of its tunnels
    assert [len(d.sessions) - n for d, n in zip(devices, before, strict=True)] == [1] * 12
    assert len(set(password)) == len(password)  # each login's password asked once
    data = json.loads(out)
    rows = {row["tunnel"]: row for row in data["tunnels"]}
    assert len(rows) == 12
    assert rows["spoke-12"]["peers"] == ["hub-1", "spoke-12"]
    # the dead spoke's tunnel is not healthy, whatever the hub's half says; its error is kept
    assert rows["spoke-12"]["diagnosis"]["cause"] != "healthy"
    assert set(data["summary"]["device_errors"]) == {"spoke-12"}
    assert "cannot reach" in data["summary"]["device_errors"]["spoke-12"]
    assert "spoke-12" in err and "failed" in err  # reported, and the others carried on
    assert all(row["age_s"] is not None and row["age_s"] < 600 for row in rows.values())
    # each bundle (one per tunnel that is not healthy) checks as its row says
    written = sorted(path.stem for path in bundles.iterdir())
    assert written == sorted(t for t, row in rows.items() if row["diagnosis"]["cause"] != "healthy")
    for name in written:
        alone = analyse_captures(load_captures([bundles / f"{name}.zip"]))
        assert alone.diagnosis.cause == rows[name]["diagnosis"]["cause"]
        assert alone.diagnosis.side == rows[name]["diagnosis"]["side"]
    assert hub.sessions[-1].lines  # the hub really answered over SSH

    # the table and the CSV say the same as the JSON did
    code = cli.main(["fleet", "-i", str(inventory), "-t", "spoke-0[1-4]", "--csv", str(table)])
    out, _ = capsys.readouterr()
    assert code in (0, 1)
    lines = list(csv.DictReader(table.open()))
    assert [line["tunnel"] for line in lines] == ["spoke-01", "spoke-02", "spoke-03", "spoke-04"]
    for line in lines:
        assert line["cause"] == rows[line["tunnel"]]["diagnosis"]["cause"]
        assert line["tunnel"] in out and line["cause"] in out
    assert "tunnels," in out and "healthy" in out


def test_bad_input_exits_2(inventory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["fleet", "-i", str(inventory), "-t", "nothing-*"]) == 2
    assert cli.main(["fleet", "-i", str(inventory), "--workers", "0"]) == 2
    assert cli.main(["fleet", "-i", str(inventory.parent / "missing.yml")]) == 2
    assert "no tunnel matches 'nothing-*'" in capsys.readouterr().err


def test_ctrl_c_stops_and_keeps_what_was_collected(
    devices: list[EmulatedDevice], inventory: Path
) -> None:
    plan = plan_fleet(load_inventory(inventory).tunnels.values())
    reached = {device.port: len(device.sessions) for device in devices}

    def interrupt(device: str, event: str, done: int, failed: int, total: int) -> None:
        if event == "done" and done == 2:
            _thread.interrupt_main()  # what Ctrl+C does to the waiting main thread

    outcomes, interrupted = collect_devices(
        plan.peers(),
        workers=1,
        passwords={(devices[0].username, "127.0.0.1"): PASSWORD}
        | {(d.username, d.host): PASSWORD for d in devices},
        device_progress=interrupt,
    )
    assert interrupted
    states = [outcome.capture.error for outcome in outcomes.values()]
    assert states[:2] == [None, None]  # the hub and the first spoke, kept
    assert states[3:] == [NOT_STARTED] * (len(states) - 3)  # never logged in to
    assert all(outcome.capture.outputs for outcome in list(outcomes.values())[:2])
    not_reached = [d for d in devices[3:] if len(d.sessions) != reached[d.port]]
    assert not_reached == []


def test_a_cloud_peer_is_read_once_beside_devices_logged_in_to(
    devices: list[EmulatedDevice], tmp_path: Path
) -> None:
    """Two tunnels to one AWS VPN (its `describe-vpn-connections` document, a real sample):
    the document is read once, on this machine, and never logged in to; the two SSH devices
    are collected as usual."""
    document = (
        Path(__file__).resolve().parents[1] / "parsers" / "aws_vpn"
        / "aws-ec2-describe-vpn-connections" / "one-tunnel-up.txt"
    )  # fmt: skip
    aws = {"platform": "aws_vpn", "documents": [str(document)]}
    hub, spoke = devices[0], devices[1]
    data = {"tunnels": {
        "aws-a": {"peers": {"hub-1": peer_entry(hub), "aws-1": aws}},
        "aws-b": {"peers": {"spoke-01": peer_entry(spoke), "aws-1": aws}},
    }}  # fmt: skip
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    plan = plan_fleet(load_inventory(inventory).tunnels.values())
    assert [d.name for d in plan.devices] == ["hub-1", "aws-1", "spoke-01"]
    passwords = {(d.username, d.host): PASSWORD for d in (hub, spoke)}
    result = collect_fleet(plan, passwords=passwords, workers=3)
    assert result.summary.device_errors == {}
    assert result.parses == 3
    cloud = result.row("aws-b").captures[1]
    assert cloud.platform == "aws_vpn" and cloud.outputs and cloud.error is None
    assert result.row("aws-a").captures[1].outputs == cloud.outputs


def test_table_json_and_csv_say_what_check_says_on_every_tunnel(
    inventory: Path,
    password: list[tuple[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every tunnel of the fleet, healthy or not: its line of the printed table, of the CSV
    and of the JSON name the cause, the side and the failing step that `ipsec-tui check`
    names on that tunnel's two peers as collected (written as the cockpit opens them)."""
    from ipsec_tui import fleet_cli

    collected: list[FleetResult] = []
    real = fleet_cli.collect_and_triage

    def keep(*args: Any, **kwargs: Any) -> tuple[FleetResult, tuple[str, ...]]:
        result = real(*args, **kwargs)
        collected.append(result[0])
        return result

    monkeypatch.setattr(fleet_cli, "collect_and_triage", keep)
    table_file = tmp_path / "fleet.csv"
    assert cli.main(["fleet", "-i", str(inventory), "--csv", str(table_file)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert cli.main(["fleet", "-i", str(inventory), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)

    by_json = {row["tunnel"]: row for row in data["tunnels"]}
    by_csv = {line["tunnel"]: line for line in csv.DictReader(table_file.open())}
    by_table = {line.split()[0]: line for line in printed[1 : 1 + len(by_csv)]}
    assert (
        sorted(by_json)
        == sorted(by_csv)
        == sorted(by_table)
        == [f"spoke-{n:02d}" for n in range(1, 13)]
    )
    for result in collected:  # the table/CSV run's collection, then the JSON run's
        for row in result.rows:
            folder = write_tunnel_capture(row, tmp_path / f"{len(collected)}-{row.tunnel}")
            assert cli.main(["check", str(folder), "--json"]) in (0, 1)
            checked = json.loads(capsys.readouterr().out)
            cause, side = checked["diagnosis"]["cause"], checked["diagnosis"]["side"]
            step = _failing_step(checked)
            if result is collected[0]:
                line, cells = by_csv[row.tunnel], by_table[row.tunnel]
                assert (line["cause"], line["side"] or None, line["failing_step"]) == (
                    cause, side, step), row.tunnel  # fmt: skip
                assert line["summary"] == checked["diagnosis"]["summary"]
                assert f"  {cause}  " in cells and f"  {side or '-'}  " in cells, cells
            else:
                diagnosis = by_json[row.tunnel]["diagnosis"]
                assert (diagnosis["cause"], diagnosis["side"], diagnosis["failing_step"]) == (
                    cause, side, step or None), row.tunnel  # fmt: skip
                assert diagnosis["summary"] == checked["diagnosis"]["summary"]
                assert diagnosis["next_action"] == checked["diagnosis"]["next_action"]
    assert len(collected) == 2


def _failing_step(checked: dict[str, Any]) -> str:
    """What the fleet's "failing step" column means, read off `check --json`: the first step
    that failed, else the first that warned."""
    for wanted in ("fail", "warn"):
        for step in checked["steps"]:
            if step["status"] == wanted:
                return str(step["title"])
    return ""
