"""Each vendor platform end to end over real SSH: collect -> capture -> parse -> check.

No Cisco, Juniper, Palo Alto or Fortinet device can run here, so ``emulated.py`` runs one
per platform: a FakeNOS SSH server on 127.0.0.1 that logs in, prompts, pages and answers
like the device, with real recorded outputs (tests/parsers/<platform>/). The collector
reaches it exactly as it would reach the device: ``collect_tunnel`` with an inventory peer
(password, host key pinned in a known_hosts file) and Netmiko's own driver for the
platform's device_type (with the platform's ``driver_skips``).

For every platform a tunnel between two emulated devices is collected (``collect_tunnel``
collects a tunnel's two peers at once), and the tests check that every command came back
exactly as recorded, that what the devices received at login is what the platform YAML's
``login_commands`` say and no configuration command was ever sent, and that the capture
on disk parses into the model the recorded samples hold. Then a mixed pair (the emulated
IOS router and the lab's strongSwan) goes through the checks and an evidence bundle, and
the embedded demo made from it is checked against what it claims.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.collectors import ssh
from ipsec_tui.collectors.bundles import load_captures, verify_bundle
from ipsec_tui.collectors.capture_io import read_capture, read_capture_index, read_peer
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.collectors.progress import ProgressEvent
from ipsec_tui.collectors.run import CollectionResult, collect_tunnel
from ipsec_tui.collectors.ssh import collect_peer, host_key_of
from ipsec_tui.demo import demo_scenarios
from ipsec_tui.domain.capture import CommandRecord, PeerCapture
from ipsec_tui.domain.model import ParseStatus, PeerModel, Status
from ipsec_tui.evidence.bundle import bundle_capture, bundle_collection
from ipsec_tui.parsers.base import parse_peer
from ipsec_tui.platforms import load_platform
from ipsec_tui.redact import redact

from .emulated import (
    NO_SAMPLE,
    STRONGSWAN_SITE_A,
    VENDOR_PLATFORMS,
    EmulatedDevice,
    collect_pair,
    emulate,
    recorded_outputs,
)

DEMO = Path(__file__).resolve().parents[2] / "ipsec_tui" / "demo" / "captures"
VENDOR_DEMO = DEMO / "cisco-ios-strongswan"

# Written into configuration mode, or by what the platform's driver_skips keep from running:
# IOS/ASA `configure terminal`, the ASA's `terminal width 511` (a configuration-mode command
# there), Junos/PAN-OS `configure`/`edit`/`commit`, FortiOS `config system console` /
# `set output ...` / `end` and `config global`, and what reads the console mode for them.
CONFIGURATION = re.compile(
    r"^(?:conf(?:ig(?:ure)?)?\b|end$|edit\b|commit\b|set output\b|"
    r"get system console$|show full-configuration\b)"
)
NEVER_SENT: Mapping[str, tuple[str, ...]] = {"cisco_asa": ("terminal width 511",)}


@dataclass(frozen=True)
class Collected:
    """One platform's tunnel of two emulated devices, collected."""

    platform: str
    devices: Mapping[str, EmulatedDevice]  # peer name -> the device it reached
    result: CollectionResult
    logged_in: Mapping[str, int]  # peer name -> lines its device had received when logged in

    @property
    def folder(self) -> Path:
        return self.result.out_dir


@pytest.fixture(scope="module", params=VENDOR_PLATFORMS)
def collected(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Collected]:
    platform: str = request.param
    folder = tmp_path_factory.mktemp(platform)
    password = "pw-" + platform.replace("_", "-")  # both devices: one host, one username
    with (
        emulate(platform, folder / "device-a", password=password) as device_a,
        emulate(platform, folder / "device-b", password=password) as device_b,
    ):
        devices = {"siteA": device_a, "siteB": device_b}
        logged_in: dict[str, int] = {}

        def progress(peer: str, index: int, total: int, command: str, event: Any) -> None:
            # CONNECTED is reported when Netmiko's login returned: it has read the prompt
            # after its last login command, so the device has received all of them.
            if event is ProgressEvent.CONNECTED:
                logged_in[peer] = len(devices[peer].sessions[-1].lines)

        tunnel = Tunnel(
            name=f"emulated-{platform}",
            peers=(device_a.peer("siteA"), device_b.peer("siteB")),
            description=f"two emulated {platform} devices (FakeNOS, recorded outputs)",
        )
        result = collect_tunnel(
            tunnel,
            folder / "capture",
            passwords={**device_a.passwords, **device_b.passwords},
            progress=progress,
        )
        yield Collected(platform, devices, result, logged_in)


def _commands_of(lines: list[str]) -> list[str]:
    """The lines but the bare Enters."""
    return [line for line in lines if line]


def _fingerprints_out(text: str) -> str:
    """Redacted text with the per-run fingerprints of its redaction marks left out."""
    return re.sub(r"<redacted(?::fp=[0-9a-f]+)?>", "<redacted>", text)


def _reference(device: EmulatedDevice, capture: PeerCapture) -> PeerModel:
    """The model the recorded samples hold: the same commands, each file the sample itself."""
    outputs = {
        record.file: device.outputs[record.command].text
        for record in capture.commands
        if record.file is not None
    }
    records = tuple(CommandRecord(command=r.command, file=r.file) for r in capture.commands)
    return parse_peer(
        PeerCapture(name=capture.name, platform=capture.platform, commands=records, outputs=outputs)
    )


def _comparable(model: PeerModel) -> PeerModel:
    """What a collection adds to the samples' model left out: where and when it was
    collected, and the PSK fingerprints of this run's redaction."""
    connections = tuple(dataclasses.replace(c, psk_fingerprint=None) for c in model.connections)
    return dataclasses.replace(model, host=None, collected_at=None, connections=connections)


# --- collection: every command, as recorded ---------------------------------------------------


def test_every_command_is_collected_and_comes_back_as_recorded(collected: Collected) -> None:
    spec = load_platform(collected.platform)
    assert collected.result.ok, collected.result.failures
    for peer in collected.result.peers:
        device = collected.devices[peer.name]
        assert [record.command for record in peer.capture.commands] == list(
            spec.commands(device.overrides)
        )
        for record in peer.capture.commands:
            assert record.ok, (record.command, record.error)
            collected_text = peer.capture.output_of(record)
            expected = device.collected(record.command)
            assert collected_text == expected, (record.command, device.outputs[record.command])
        # on disk: the same text, with the secrets redacted (FortiOS's PSK and ESP keys)
        on_disk = read_peer(collected.folder / peer.name)
        for record in on_disk.commands:
            expected = redact(device.collected(record.command)).text
            disk_text = on_disk.output_of(record) or ""
            assert _fingerprints_out(disk_text) == expected, record.command


def test_what_the_devices_received_at_login_is_what_the_platform_says(
    collected: Collected,
) -> None:
    spec = load_platform(collected.platform)
    for peer in collected.result.peers:
        device = collected.devices[peer.name]
        (session,) = device.sessions  # one login per device, nothing else
        typed = {"<username>": device.username, "<password>": device.password}
        expected_login = [typed.get(command, command) for command in spec.login_commands]
        at_login = session.lines[: collected.logged_in[peer.name]]
        # Exactly, Enters included. Only on a very slow run may Netmiko's find_prompt write
        # one more Enter (when its first read, after 0.25 s, comes back empty): then the
        # commands must still come in this order.
        assert at_login == expected_login or _commands_of(at_login) == _commands_of(
            expected_login
        ), (at_login, expected_login)
        # peer.yml records the platform's login commands (placeholders, never the values)
        assert read_peer(collected.folder / peer.name).login_commands == spec.login_commands
        # after the login: the facts' commands in order (each after the Enter Netmiko's
        # find_prompt sends when the platform has no pager), and the logout's `exit`
        after = [line for line in session.lines[len(at_login) :] if line]
        commands = list(spec.commands(device.overrides))
        assert after in (commands, [*commands, "exit"]), after
        # nothing that enters configuration mode or changes the device, ever
        for line in session.lines:
            assert not CONFIGURATION.match(line), line
            assert line not in NEVER_SENT.get(collected.platform, ()), line
        assert set(session.lines) <= {*expected_login, *commands, "", "exit"}
        # the password was typed only where the device asked for it (ASA `login`)
        assert session.lines.count(device.password) == spec.login_commands.count("<password>")
        # FortiOS: the pager was answered with its continue key, read-only
        assert session.pager_keys == [" "] * session.pager_prompts
        if collected.platform == "fortinet":
            assert session.pager_prompts >= 1, "no output was long enough to page"


# --- parsing: the model the samples hold ------------------------------------------------------

# (IKE SAs, a remote, its encryption/integrity/DH, an IKE SPI, a child SPI, software), each
# value as printed in the sample (tests/parsers/<platform>/, the files emulated.CHOSEN picks)
EXPECTED: Mapping[str, tuple[int, str, tuple[str, str, str | None], str | None, str, str]] = {
    "cisco_ios": (  # show crypto ikev2 sa detailed genie-golden-output6, ikev2 session
        13,
        "1.1.1.2",
        ("aes256", "sha256", "modp2048"),
        "98184ff7319bfc85",
        "232cb82d",
        "Cisco IOS Software 15.8(3)M3b",
    ),
    "cisco_asa": (  # vpn-sessiondb ntc-1 (IKEv1 aes-256 sha1 group 5), ipsec sa ntc
        9,
        "172.16.0.1",
        ("aes256", "sha1", "modp1536"),
        None,
        "1e8246fc",
        "Cisco Adaptive Security Appliance Software 9.9(2)32",
    ),
    "juniper_junos": (  # blog-azure-cluster: cookie 77034040d34a7428, inbound SPI 8512d6f5
        1,
        "Y.Y.Y.Y",
        ("aes256", "sha1", "modp1024"),
        "77034040d34a7428",
        "8512d6f5",
        "Junos 19.4R3-S1.3 (srx1500)",
    ),
    "paloalto_panos": (  # zscaler-docs: localzs3 IKEv2, ESP/A256/MD5 CBF7DC1D
        1,
        "10.66.88.108",
        ("aes128", "sha1", "modp1024"),
        None,
        "cbf7dc1d",
        "PAN-OS 7.0.1 (PA-VM)",
    ),
    "fortinet": (  # handbook-asa-ikev1: id/spi 71 e412d996a3f9731b, dec spi 24c2aad2
        1,
        "101.100.1.1",
        ("aes256", "sha1", None),
        "e412d996a3f9731b",
        "24c2aad2",
        "FortiGate-60F v7.4.8,build2795,250523 (GA.M)",
    ),
}


def test_the_capture_parses_into_the_model_the_samples_hold(collected: Collected) -> None:
    count, remote, (encryption, integrity, dh_group), ike_spi, child_spi, software = EXPECTED[
        collected.platform
    ]
    for peer in read_capture(collected.folder):
        device = collected.devices[peer.name]
        model = parse_peer(peer)
        # the same model as the samples parsed on their own (tests/parsers' golden cases)
        assert _comparable(model) == _comparable(_reference(device, peer))
        by_status = {r.command: r.status for r in model.parse_results}
        assert ParseStatus.FAILED not in by_status.values(), model.parse_results
        # empty only where no sample exists (emulated.NO_SAMPLE says why): it printed nothing
        empty = {command for command, status in by_status.items() if status is ParseStatus.EMPTY}
        assert empty == set(NO_SAMPLE.get(collected.platform, {}))
        assert model.software == software
        assert len(model.ike_sas) == count
        ike = next(sa for sa in model.ike_sas if sa.remote_addr == remote and sa.encryption)
        assert (ike.encryption, ike.integrity, ike.dh_group) == (encryption, integrity, dh_group)
        if ike_spi is not None:
            assert ike_spi in {ike.spi_i, ike.spi_r}
        child_spis = {c.spi_in for sa in model.ike_sas for c in sa.child_sas}
        assert child_spi in child_spis


def test_the_capture_checks_and_bundles_like_any_other(
    collected: Collected, tmp_path: Path
) -> None:
    analysis = analyse_captures(load_captures([collected.folder]))
    assert [p.name for p in (analysis.pair.a, analysis.pair.b) if p] == ["siteA", "siteB"]
    parse = next(f for s in analysis.steps for f in s.findings if f.check_id == "collection.parse")
    assert parse.status is Status.PASS, parse
    passwords = {device.password for device in collected.devices.values()}
    written = bundle_collection(collected.result, tmp_path / "ticket.zip", passwords=passwords)
    assert verify_bundle(written.path).ok
    replayed = analyse_captures(load_captures([written.path]))
    assert replayed.to_dict() == analysis.to_dict()


def test_vendor_secrets_are_redacted_and_nothing_else() -> None:
    # FortiOS prints each SA's ESP keys (`esp=aes key=16 HEX`, `ah=sha1 key=20 HEX`)
    tunnels = recorded_outputs("fortinet")["diagnose vpn tunnel list"]
    keys = re.findall(r"key=\d+ ([0-9a-f]{16,})", tunnels)
    assert len(keys) == 4
    clean = redact(tunnels).text
    assert not any(key in clean for key in keys)
    assert "esp=aes key=16 <redacted>" in clean  # the key length stays: it names the cipher
    # IOS-XE ends a line with "Auth verify: PSK"; the next line's "Life/Active" is no secret
    # (it was taken for one, and then refused as a leak in every output that prints it)
    sessions = recorded_outputs("cisco_ios")["show crypto ikev2 session detailed"]
    assert "Auth verify: PSK\n" in sessions
    assert redact(sessions).secrets == ()


# --- the emulation itself ---------------------------------------------------------------------


def test_fortios_pager_is_answered_on_every_page(tmp_path: Path) -> None:
    page = 4
    with emulate("fortinet", tmp_path, page_lines=page) as device:
        capture = collect_peer(device.peer(), password=device.password)
    assert capture.error is None
    for record in capture.commands:
        assert capture.output_of(record) == device.collected(record.command), record.command
    (session,) = device.sessions
    # every fact's output pauses once per full page; the login's two grep lines never do
    pauses = sum(
        (len(device.collected(command).splitlines()) - 1) // page for command in device.outputs
    )
    assert session.pager_prompts == pauses > 5
    assert session.pager_keys == [" "] * pauses


def test_the_asa_answers_show_commands_only_at_privilege_15(tmp_path: Path) -> None:
    """What Netmiko's `asa_login` is for: at `asa1>` the show commands are not there."""
    with emulate("cisco_asa", tmp_path) as device:
        client = paramiko.SSHClient()
        client.load_host_keys(str(device.known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(
            device.host,
            device.port,
            device.username,
            device.password,
            look_for_keys=False,
            allow_agent=False,
        )
        try:
            shell = client.invoke_shell()
            transcript = ""

            def send_and_read(text: str, until: str) -> str:
                nonlocal transcript
                shell.send(text.encode())
                got = ""
                deadline = time.monotonic() + 10
                while not got.endswith(until) and time.monotonic() < deadline:
                    if shell.recv_ready():
                        got += shell.recv(65536).decode()
                    else:
                        time.sleep(0.01)
                transcript += got
                return got

            version = device.outputs["show version"].text.splitlines()[1]
            assert send_and_read("", "asa1> ").endswith("asa1> ")
            assert version not in send_and_read("show version\n", "asa1> ")
            send_and_read("login\n", "Username: ")
            send_and_read(f"{device.username}\n", "Password: ")
            assert send_and_read(f"{device.password}\n", "asa1# ").endswith("asa1# ")
            assert version in send_and_read("show version\n", "asa1# ")
            assert device.password not in transcript  # typed without echo
        finally:
            client.close()


@pytest.mark.parametrize("platform", VENDOR_PLATFORMS)
def test_the_event_driven_login_sends_what_netmikos_own_waits_send(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector's driver waits for the device's answers instead of Netmiko's fixed
    sleeps: it must type exactly the lines Netmiko's own driver types (login and commands),
    find the same prompt and read the same outputs."""
    spec = load_platform(platform)
    seen: dict[bool, tuple[list[str], str | None, list[str | None]]] = {}
    with emulate(platform, tmp_path) as device:
        commands = list(spec.commands(device.overrides))[:3]
        for netmiko_waits in (True, False):
            driver = functools.partial(ssh.driver_class, netmiko_waits=netmiko_waits)
            monkeypatch.setattr(ssh, "driver_class", driver)
            peer = device.peer()
            with ssh.PeerSession(peer, spec, password=device.password) as session:
                # its login returned once it read the prompt after its last login line
                logged_in = len(device.sessions[-1].lines)
                outputs = [session.send(command).text for command in commands]
            seen[netmiko_waits] = (device.sessions[-1].lines[:logged_in], session.prompt, outputs)
    typed = {"<username>": device.username, "<password>": device.password}
    expected = [typed.get(command, command) for command in spec.login_commands]
    assert seen[False][0] == seen[True][0] == expected
    assert seen[False][1] == seen[True][1] is not None
    assert seen[False][2] == seen[True][2]
    assert seen[False][2] == [device.collected(command) for command in commands]


def test_an_unknown_host_key_is_refused_before_any_login(tmp_path: Path) -> None:
    with emulate("cisco_ios", tmp_path / "device") as device:
        empty = tmp_path / "known_hosts"
        empty.write_text("")
        capture = collect_peer(device.peer(known_hosts=empty), password=device.password)
    assert capture.error is not None and "unknown host key" in capture.error
    assert str(host_key_of(device.host_key)) in capture.error
    assert device.sessions == []  # no shell was ever opened: nothing was sent
    assert all(record.error == "not run: host-key-unknown" for record in capture.commands)


# --- a vendor and strongSwan: the checks, a bundle, the demo ----------------------------------


@pytest.fixture(scope="module")
def mixed_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    with emulate("cisco_ios", folder / "device") as device:
        collect_pair(
            device, folder / "capture", tunnel="mixed", description="strongSwan and Cisco IOS"
        )
    return folder / "capture"


def test_a_cisco_and_strongswan_pair_runs_through_every_step(mixed_pair: Path) -> None:
    analysis = analyse_captures(load_captures([mixed_pair]))
    platforms = [p.platform for p in (analysis.pair.a, analysis.pair.b) if p]
    assert platforms == ["strongswan", "cisco_ios"]
    for step in analysis.steps:
        assert step.findings, f"step {step.id} has no findings"
    parse = next(f for s in analysis.steps for f in s.findings if f.check_id == "collection.parse")
    assert parse.status is Status.PASS, parse
    # two different real networks: the diagnosis is a mismatch, named and sided
    assert analysis.diagnosis.cause != "healthy"
    assert analysis.diagnosis.side in ("siteA", "siteB", None)


def test_a_cisco_and_strongswan_pair_bundles_and_replays(mixed_pair: Path, tmp_path: Path) -> None:
    written = bundle_capture(mixed_pair, tmp_path / "ticket.zip")
    verification = verify_bundle(written.path)
    assert verification.ok, verification.problems
    from_folder = analyse_captures(load_captures([mixed_pair])).to_json()
    assert analyse_captures(load_captures([written.path])).to_json() == from_folder
    assert written.analysis.to_json() == from_folder  # what the bundle's analysis.json holds


def test_the_vendor_demo_is_an_emulated_collection_and_says_what_check_says() -> None:
    scenario = next(s for s in demo_scenarios() if s.path == VENDOR_DEMO)
    meta = yaml.safe_load((VENDOR_DEMO / "scenario.yml").read_text(encoding="utf-8"))
    analysis = analyse_captures(load_captures([VENDOR_DEMO]))
    assert (analysis.diagnosis.cause, analysis.diagnosis.side) == (
        meta["expected_cause"],
        meta["fault_side"],
    )
    assert scenario.expected_cause == meta["expected_cause"]
    index = read_capture_index(VENDOR_DEMO)
    assert index is not None and index.peers == ("siteA", "siteB")
    # siteA is the lab's strongSwan as recorded; siteB what the emulated router printed
    for path in STRONGSWAN_SITE_A.iterdir():
        assert (VENDOR_DEMO / "siteA" / path.name).read_bytes() == path.read_bytes()
    site_b = read_peer(VENDOR_DEMO / "siteB")
    assert site_b.platform == "cisco_ios" and site_b.error is None
    assert site_b.login_commands == load_platform("cisco_ios").login_commands
    recorded = recorded_outputs("cisco_ios")
    for record in site_b.commands:
        assert record.ok
        expected = redact(recorded[record.command]).text
        assert _fingerprints_out(site_b.output_of(record) or "") == expected, record.command
