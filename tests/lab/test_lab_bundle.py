"""Bundles made live from the lab for the baseline and every fault, both implementations of
siteB: `collect --bundle` replays to the same check as its folder, and neither the PSKs nor
the login password (a password login, tunnel lab-password) reach any file or session log."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from ipsec_tui.cli import main
from ipsec_tui.collectors.bundles import verify_bundle
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.inventory import load_inventory
from ipsec_tui.collectors.run import collect_tunnel
from ipsec_tui.collectors.transcript import split_transcript
from ipsec_tui.evidence.bundle import bundle_collection
from ipsec_tui.lab import core, faults, topology

pytestmark = pytest.mark.lab
# per-child faults need a lab of several children (test_lab_shapes); one that shows only over
# time (flapping) has no snapshot verdict of its own (test_lab_watch)
SCENARIOS = [
    "baseline",
    *sorted(n for n, f in faults.FAULTS.items() if not f.per_child and not f.over_time),
]


def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    main(["check", str(path), "--json"])
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _fingerprints_blind(text: str) -> str:
    return re.sub(r"<redacted[^>]*>", "<redacted>", text)


@pytest.mark.parametrize("name", SCENARIOS)
def test_live_bundle_replays_and_holds_no_secret(
    lab: core.Lab, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fault = faults.FAULTS.get(name)
    if fault is not None and fault.needs_child_sa and not lab.child_sa_supported:
        pytest.skip(f"{name}: {lab.limitation()}")
    if fault is None:
        faults.reset(lab)
    else:
        faults.inject(lab, name)
    inventory = topology.lab_dir() / "inventory.yml"

    # `collect --bundle` with key logins; the bundle checks exactly as its folder does
    out, bundle = tmp_path / "capture", tmp_path / "lab.zip"
    argv = ["collect", "-i", str(inventory), "-t", "lab", "-o", str(out), "--bundle", str(bundle)]
    assert main(argv) == 0, capsys.readouterr()
    capsys.readouterr()
    replay = _check(bundle, capsys)
    assert replay == _check(out, capsys)
    expected = (
        (fault.expected_cause, (fault.fix_side or fault.site).name) if fault else ("healthy", None)
    )
    if fault is None and not lab.child_sa_supported:
        expected = ("sa-install-failed", "siteB")
    diagnosis = replay["diagnosis"]
    assert isinstance(diagnosis, dict)
    assert (diagnosis["cause"], diagnosis["side"]) == expected, diagnosis["summary"]
    assert verify_bundle(bundle).ok

    # a password login: neither the password nor any PSK reaches a file or a session log
    password = core.login_password()
    tunnel = load_inventory(inventory).tunnel(core.PASSWORD_TUNNEL)
    logins = {(peer.username, peer.host): password for peer in tunnel.peers}
    result = collect_tunnel(tunnel, tmp_path / "by-password", passwords=logins)
    assert result.ok, result.failures
    assert all(peer.capture.session_log for peer in result.peers)
    written = bundle_collection(result, tmp_path / "by-password.zip", passwords=[password])
    secrets = {password, lab.state.psk, *(lab.config(site).psk for site in topology.SITES)}
    assert all(len(secret) >= 16 for secret in secrets)
    members = {**_members(bundle), **{f"pw:{k}": v for k, v in _members(written.path).items()}}
    assert {"session/siteA.log", "session/siteB.log"} <= set(members)
    for member, body in members.items():
        for secret in secrets:
            assert secret.encode() not in body, member
    for folder in (out, tmp_path / "by-password"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert not any(secret.encode() in path.read_bytes() for secret in secrets), path
    config = members["pw:capture/siteA/cat-etc-swanctl-swanctl.conf.txt"].decode()
    assert "<redacted:fp=" in config  # the key was there, and was redacted
    assert json.loads(members["pw:analysis.json"])["diagnosis"]["cause"] == diagnosis["cause"]
    # the bundle's session log, imported as a transcript, is the capture as collected
    if name == "baseline":
        for capture in read_capture(tmp_path / "by-password"):
            log = members[f"pw:session/{capture.name}.log"].decode()
            assert re.search(r"^ITUI[0-9a-f]+-E1 0$", log, re.M), "not one compound line"
            imported = split_transcript(log, capture.platform, capture.name).capture
            assert [r.command for r in imported.commands] == [r.command for r in capture.commands]
            assert [r.exit_status for r in imported.commands] == [
                r.exit_status for r in capture.commands
            ]
            for record in capture.commands:
                assert _fingerprints_blind(imported.output_of(record) or "") == (
                    _fingerprints_blind(capture.output_of(record) or "")
                ), record.command


def test_password_login_is_the_only_change_to_the_gateways(lab: core.Lab) -> None:
    """The lab's /etc/shadow is the gateways' own (bind-mounted); the host's is untouched."""
    for site in topology.SITES:
        seen = lab.gw(site, ["head", "-1", "/etc/shadow"]).stdout
        assert seen.startswith("root:$6$")
    host = Path("/etc/shadow").read_text().splitlines()[0]
    assert host != lab.gw(topology.SITE_A, ["head", "-1", "/etc/shadow"]).stdout.strip()
    assert oct(core.password_path().stat().st_mode & 0o777) == "0o600"
