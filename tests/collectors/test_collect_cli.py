"""`ipsec-tui collect`: exit statuses, what it prints, and that --help stays light."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sshd_server import SshServer, free_port, inventory_peer

from ipsec_tui.cli import main
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.platforms import load_platform

COMMANDS = len(load_platform("strongswan").commands())  # every fact's command, each once


def inventory(tmp_path: Path, sshd: SshServer, port_b: int, log: Path) -> Path:
    peer = inventory_peer(sshd, overrides={"log_file": str(log)})
    data = {
        "tunnels": {
            "lab": {
                "description": "two peers on the test sshd",
                "peers": {"siteA": {**peer, "port": sshd.port}, "siteB": {**peer, "port": port_b}},
            }
        }
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def log_dir() -> Iterator[Path]:
    """A folder of our own below /var/log: a log_file override must point into the daemon's
    log folders (the platform refuses any other path), and the test sshd reads this box."""
    if not os.access("/var/log", os.W_OK):
        pytest.skip("needs to write below /var/log (run as root)")
    folder = Path(tempfile.mkdtemp(prefix="ipsec-tui-test-", dir="/var/log"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_module_imports_no_netmiko() -> None:
    code = (
        "import argparse, sys\n"
        "from ipsec_tui.collect_cli import register\n"
        "register(argparse.ArgumentParser().add_subparsers())\n"
        "heavy = [m for m in ('netmiko', 'paramiko', 'keyring') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_both_peers_collected_exit_0(
    sshd: SshServer, tmp_path: Path, log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = log_dir / "charon.log"
    log.write_text("12[IKE] IKE_SA lab[1] established\n")
    path = inventory(tmp_path, sshd, sshd.port, log)
    out = tmp_path / "capture"
    assert main(["collect", "--inventory", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"siteA  ok      {COMMANDS} ok, 0 failed" in printed
    assert f"siteB  ok      {COMMANDS} ok, 0 failed" in printed
    assert str(out / "siteA") in printed
    a, b = read_capture(out)
    assert (a.name, b.name) == ("siteA", "siteB")
    cat = next(r for r in a.commands if r.command == f"cat {log}")
    assert "established" in (a.output_of(cat) or "")


def test_one_peer_down_exit_1_capture_still_written(
    sshd: SshServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = inventory(tmp_path, sshd, free_port(), Path("/var/log/charon.log"))
    out = tmp_path / "capture"
    status = main(["collect", "-i", str(path), "-t", "lab", "-o", str(out)])
    assert status == 1
    printed = capsys.readouterr().out
    assert "siteA  ok" in printed
    assert f"siteB  FAILED  0 ok, {COMMANDS} failed" in printed
    assert "! siteB: siteB: cannot reach 127.0.0.1:" in printed
    a, b = read_capture(out)
    assert a.error is None and all(r.ok for r in a.commands)
    assert b.error is not None and "cannot reach" in b.error
    assert all(r.error == "not run: unreachable" for r in b.commands)
    peer_yml = yaml.safe_load((out / "siteB" / "peer.yml").read_text())
    assert peer_yml["error"] == b.error and peer_yml["port"] != sshd.port


def test_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yml"
    assert main(["collect", "--inventory", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert "inventory file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.yml"
    bad.write_text("tunnels: {lab: {peers: {a: {host: x, platform: strongswan}}}}\n")
    assert main(["collect", "--inventory", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "exactly two" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["collect", "probe", "watch"])
def test_existing_capture_folder_is_not_overwritten(
    command: str, sshd: SshServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = inventory(tmp_path, sshd, sshd.port, Path("/var/log/charon.log"))
    out = tmp_path / "capture"
    out.mkdir()
    (out / "old.txt").write_text("evidence")
    before = sshd.logins()
    assert main([command, "--inventory", str(path), "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sshd.logins() == before  # refused before logging in
    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_an_override_outside_the_daemons_paths_is_refused_before_connecting(
    sshd: SshServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sshd.logins()
    for secret_file in ("/etc/shadow", "/root/.ssh/id_rsa", str(tmp_path / "charon.log")):
        path = inventory(tmp_path, sshd, sshd.port, Path(secret_file))
        out = tmp_path / "capture"
        assert main(["collect", "--inventory", str(path), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"field 'overrides': log_file '{secret_file}' is not a log or configuration" in err
        assert len(err.strip().splitlines()) == 1 and not out.exists()
    assert sshd.logins() == before  # nothing connected, nothing was sent
