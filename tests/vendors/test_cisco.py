"""Cisco IOS/IOS-XE and ASA: the platform specs (read-only allowlist, what Netmiko sends at
login, the driver methods skipped), every real fixture of tests/vendors/fixtures parsed and
cross-checked against the fixture's own expected parse, the algorithm names Cisco prints,
the log wording -> cause tokens, and the join of one box's several commands."""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipsec_tui.collectors.ssh import driver_class
from ipsec_tui.domain.causes import CAUSE_TOKENS
from ipsec_tui.domain.model import ChildSa, Connection, IkeSa, ParseStatus, PeerModel, Proposal
from ipsec_tui.parsers import base
from ipsec_tui.parsers import cisco_common as cc
from ipsec_tui.platforms import CommandRefused, load_platform

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # genieparser, ntc-templates: SOURCES.md
SAMPLES = ROOT / "tests" / "parsers"

# --- platform specs ----------------------------------------------------------------------------


def test_device_types_and_login_commands() -> None:
    ios, asa = load_platform("cisco_ios"), load_platform("cisco_asa")
    assert (ios.device_type, asa.device_type) == ("cisco_ios", "cisco_asa")
    assert not ios.shell and not asa.shell
    # netmiko 4.8 CiscoIosBase.session_preparation: width, paging, then find_prompt's Enter
    assert ios.login_commands == ("", "terminal width 511", "terminal length 0", "")
    assert asa.login_commands[:4] == ("", "show curpriv", "", "login")
    assert "terminal pager 0" in asa.login_commands
    # the ASA's `terminal width 511` needs configuration mode: skipped, never sent
    assert "terminal width 511" not in asa.login_commands
    assert "send_config_set" in asa.driver_skips and "config_mode" in asa.driver_skips


@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_asa"])
def test_driver_skips_configuration_methods(platform: str) -> None:
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    spec = load_platform(platform)
    cls = driver_class(spec)
    assert issubclass(cls, CLASS_MAPPER[spec.device_type])
    driver: Any = object.__new__(cls)  # no connection: a skipped method must not touch it
    for method in spec.driver_skips:
        assert getattr(driver, method)("terminal width 511") == ""


def test_asa_session_preparation_never_enters_configuration_mode() -> None:
    """Run the ASA driver's real session_preparation against a recording fake channel."""
    spec = load_platform("cisco_asa")
    cls = driver_class(spec)
    sent: list[str] = []
    driver: Any = object.__new__(cls)
    driver.allow_auto_change = True
    driver.secret = ""
    driver.global_cmd_verify = None
    calls = {
        "write_channel": lambda data: sent.append(data),
        "read_until_pattern": lambda *a, **k: "",
        "set_base_prompt": lambda *a, **k: "asa#",
        "asa_login": lambda: sent.append("login\n"),
        "disable_paging": lambda command="", **k: sent.append(command + "\n"),
    }
    for name, fn in calls.items():
        setattr(driver, name, fn)
    driver.session_preparation()
    assert "configure terminal\n" not in sent and "terminal width 511\n" not in sent
    assert sent == ["show curpriv\n", "login\n", "terminal pager 0\n"]


FACTS = {
    "cisco_ios": {
        "show crypto ikev2 sa detailed": "show-crypto-ikev2-sa-detailed",
        "show crypto isakmp sa": "show-crypto-isakmp-sa",
        "show crypto isakmp sa detail": "show-crypto-isakmp-sa-detail",
        "show crypto ipsec sa detail": "show-crypto-ipsec-sa-detail",
        "show crypto ikev2 session detailed": "show-crypto-ikev2-session-detailed",
        "show crypto session detail": "show-crypto-session-detail",
        "show crypto ikev2 proposal": "show-crypto-ikev2-proposal",
        "show crypto ikev2 policy": "show-crypto-ikev2-policy",
        "show crypto ikev2 profile": "show-crypto-ikev2-profile",
        "show crypto isakmp policy": "show-crypto-isakmp-policy",
        "show crypto ipsec profile": "show-crypto-ipsec-profile",
        "show crypto map": "show-crypto-map",
        "show crypto pki certificates": "show-crypto-pki-certificates",
        "show ip interface brief": "show-ip-interface-brief",
        "show ip route": "show-ip-route",
        "show logging": "show-logging",
        "show clock": "show-clock",
        "show version": "show-version",
    },
    "cisco_asa": {
        "show crypto ikev2 sa detail": "show-crypto-ikev2-sa-detail",
        "show crypto ikev1 sa detail": "show-crypto-ikev1-sa-detail",
        "show crypto ipsec sa": "show-crypto-ipsec-sa",
        "show vpn-sessiondb detail l2l": "show-vpn-sessiondb-detail-l2l",
        "show running-config crypto": "show-running-config-crypto",
        "show running-config tunnel-group": "show-running-config-tunnel-group",
        "show route": "show-route",
        "show logging": "show-logging",
        "show clock": "show-clock",
        "show version": "show-version",
    },
}


@pytest.mark.parametrize("platform", sorted(FACTS))
def test_every_fact_command_has_its_parser(platform: str) -> None:
    spec = load_platform(platform)
    commands = {c: base.template_key(spec.pattern_of(c) or "") for c in spec.commands()}
    assert commands == FACTS[platform]
    for key in commands.values():
        assert base.find_parser(platform, key) is not None, key


@pytest.mark.parametrize("platform", sorted(FACTS))
def test_every_allowlisted_pattern_has_a_parser(platform: str) -> None:
    spec = load_platform(platform)
    for pattern in spec.allowlist:
        key = base.template_key(pattern.canonical())
        assert base.find_parser(platform, key) is not None, f"{pattern.text} -> {key}"


ALLOWED = [
    ("cisco_ios", "sh cry ipsec sa peer 10.0.0.1 detail", "show-crypto-ipsec-sa"),
    ("cisco_ios", "show crypto ikev2 sa local 10.0.0.2 detailed", "show-crypto-ikev2-sa"),
    ("cisco_ios", "show crypto ipsec sa interface Tunnel10", "show-crypto-ipsec-sa"),
    ("cisco_ios", "show crypto ipsec sa ipv6 detail", "show-crypto-ipsec-sa"),
    ("cisco_ios", "show crypto ikev2 sa remote 2001:db8::1 detailed", "show-crypto-ikev2-sa"),
    ("cisco_ios", "sh cry isa sa det", "show-crypto-isakmp-sa-detail"),
    ("cisco_ios", "show crypto isakmp sa peer 198.51.100.1 detail", "show-crypto-isakmp-sa"),
    ("cisco_ios", "show crypto session remote 198.51.100.1 detail", "show-crypto-session"),
    ("cisco_ios", "sh cry ikev2 sa det", "show-crypto-ikev2-sa-detailed"),
    ("cisco_ios", "show crypto ikev2 diagnose error", "show-crypto-ikev2-diagnose-error"),
    ("cisco_ios", "show logging | include %IKEV2", "show-logging"),
    ("cisco_ios", "sh log | i CRYPTO", "show-logging"),
    ("cisco_ios", "show ip route vrf INET", "show-ip-route"),
    ("cisco_asa", "show crypto ipsec sa peer 198.51.100.2", "show-crypto-ipsec-sa"),
    ("cisco_asa", "show running-config crypto map", "show-running-config-crypto"),
    ("cisco_asa", "show run crypto ikev2", "show-running-config-crypto"),
    ("cisco_asa", "show running-config all crypto map", "show-running-config-all-crypto"),
    (
        "cisco_asa",
        "show running-config tunnel-group 198.51.100.2",
        "show-running-config-tunnel-group",
    ),
    (
        "cisco_asa",
        "show vpn-sessiondb detail l2l filter ipaddress 198.51.100.2",
        "show-vpn-sessiondb-detail-l2l",
    ),
    ("cisco_asa", "show logging | include 750003", "show-logging"),
    ("cisco_asa", "show crypto ikev2 sa", "show-crypto-ikev2-sa"),
]


@pytest.mark.parametrize(("platform", "command", "key"), ALLOWED)
def test_argument_and_filter_forms_reach_the_same_parser(
    platform: str, command: str, key: str
) -> None:
    spec = load_platform(platform)
    spec.check_allowed(command)
    assert base.template_key(spec.pattern_of(command) or "") == key


REFUSED = [
    "show logging | redirect flash:log.txt",
    "show logging | append flash:log.txt",
    "show logging | tee flash:log.txt",
    "show logging | include x | redirect flash:y",
    "show running-config",
    "more system:running-config",
    "show crypto isakmp key",  # IOS prints pre-shared keys in clear
    "show crypto ikev2 keyring",
    "show crypto ipsec transform-set",  # read-only, but the generic deny words refuse 'set'
    "configure terminal",
    "conf t",
    "clear crypto sa",
    "clear crypto ikev2 sa",
    "debug crypto ikev2",
    "show crypto ikev2 sa detailed | redirect x",
    "terminal width 511",
    "write memory",
    "show logging | include DOWN",  # a deny word inside the filter is refused too
]


@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_asa"])
@pytest.mark.parametrize("command", REFUSED)
def test_state_changing_or_secret_commands_are_refused(platform: str, command: str) -> None:
    with pytest.raises(CommandRefused):
        load_platform(platform).check_allowed(command)


# --- the fixtures: every real output parses, and agrees with the fixture's own parse ------------

_PLATFORMS = {
    "iosxe": "cisco_ios",
    "ios": "cisco_ios",
    "asa": "cisco_asa",
    "cisco_asa": "cisco_asa",
    "cisco_ios": "cisco_ios",
}


def fixture_rows() -> list[dict[str, str]]:
    with (FIXTURES / "INDEX.tsv").open(encoding="utf-8") as stream:
        return [
            row for row in csv.DictReader(stream, delimiter="\t") if row["platform"] in _PLATFORMS
        ]


def fixture_params() -> Iterator[Any]:
    for row in fixture_rows():
        yield pytest.param(row, id=row["fixture_path"].removesuffix(".raw"))


def test_every_fixture_of_the_index_is_in_the_repository() -> None:
    rows = fixture_rows()
    # both projects, both Cisco families; each output with the parse its project expects
    assert {row["source"] for row in rows} == {"genieparser", "ntc-templates"}
    assert {_PLATFORMS[row["platform"]] for row in rows} == {"cisco_ios", "cisco_asa"}
    for row in rows:
        raw = FIXTURES / row["fixture_path"]
        assert len(raw.read_text(encoding="utf-8").splitlines()) == int(row["line_count"]), raw
        assert raw.with_name(raw.name.replace(".raw", ".expected.yml")).is_file(), raw
    listed = {row["fixture_path"] for row in rows}
    on_disk = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.raw")}
    assert listed == on_disk


def command_of(row: dict[str, str]) -> str:
    """The fixture's command as it was typed (genieparser passes arguments apart)."""
    command = row["command"]
    args = FIXTURES / row["fixture_path"].replace(".raw", ".args.json")
    if args.is_file() and "detail" in args.read_text() and "detail" not in command:
        command += " detailed"
    return command


def values(data: Any, *keys: str) -> list[Any]:
    """Every value stored under one of `keys`, anywhere in a nested expected parse."""
    found: list[Any] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in keys:
                found.append(value)
            found += values(value, *keys)
    elif isinstance(data, list):
        for item in data:
            found += values(item, *keys)
    return found


def dict_keys(data: Any, parent: str) -> list[Any]:
    """The keys of every mapping stored under `parent` (genieparser keys by tunnel id...)."""
    return [k for value in values(data, parent) if isinstance(value, dict) for k in value]


def spis(sas: tuple[IkeSa, ...]) -> set[str]:
    return {s for sa in sas for c in sa.child_sas for s in (c.spi_in, c.spi_out) if s}


def hex_spi(value: Any) -> str:
    return cc.spi(str(value)) or ""


@pytest.mark.parametrize("row", fixture_params())
def test_fixture_parses_and_agrees(row: dict[str, str]) -> None:
    platform = _PLATFORMS[row["platform"]]
    command = command_of(row)
    text = (FIXTURES / row["fixture_path"]).read_text(encoding="utf-8")
    result, fragment = base.parse_text(platform, command, text, "peer", "fixture.raw")
    assert result.status in (ParseStatus.OK, ParseStatus.EMPTY), result.reason
    expected = yaml.safe_load(
        (FIXTURES / row["fixture_path"].replace(".raw", ".expected.yml")).read_text()
    )
    check = CHECKS.get((platform, re.sub(r" (detailed|detail)$", "", command)))
    assert check is not None, f"no cross-check for {platform} {command!r}"
    check(fragment, expected)


def _ikev2(fragment: base.Fragment, expected: Any) -> None:
    ids = {str(k) for k in dict_keys(expected, "tunnel_id") + dict_keys(expected, "ipv4")}
    ids |= {str(v) for v in values(expected, "tunnel_id") if not isinstance(v, dict)}
    assert {sa.unique_id for sa in fragment.ike_sas} == ids
    for spi in values(expected, "local_spi", "remote_spi"):
        assert any(str(spi).lower() in (sa.spi_i, sa.spi_r) for sa in fragment.ike_sas) or all(
            sa.initiator is None for sa in fragment.ike_sas
        )
    locals_ = {
        str(v).split("/")[0] for v in values(expected, "local", "local_ip") if isinstance(v, str)
    }
    assert locals_ <= {sa.local_addr for sa in fragment.ike_sas}
    assert all(sa.state == "ESTABLISHED" for sa in fragment.ike_sas)


def _asa_ikev2(fragment: base.Fragment, expected: Any) -> None:
    assert {sa.unique_id for sa in fragment.ike_sas} == {
        str(v) for v in values(expected, "tunnel_id")
    }
    wanted = {hex_spi(v) for v in values(expected, "esp_in", "esp_out")}
    assert wanted and wanted <= spis(tuple(fragment.ike_sas))


def _isakmp(fragment: base.Fragment, expected: Any) -> None:
    ids = {str(v) for v in values(expected, "conn_id", "c_id")}
    found = {sa.unique_id for sa in fragment.ike_sas}
    assert found and found <= ids
    if values(expected, "c_id"):
        assert found == {str(v) for v in values(expected, "c_id")}
        assert {sa.remote_addr for sa in fragment.ike_sas} == set(values(expected, "remote_ip"))


def _ipsec_sa(fragment: base.Fragment, expected: Any) -> None:
    wanted = {hex_spi(k) for k in dict_keys(expected, "spi")}
    wanted |= {
        hex_spi(v)
        for v in values(expected, "sa_spi_hex", "inbound_spi_hex", "outbound_spi_hex")
        if v
    }
    assert wanted and wanted == spis(tuple(fragment.ike_sas))
    children = [c for sa in fragment.ike_sas for c in sa.child_sas if c.packets_out is not None]
    encaps = {int(v) for v in values(expected, "pkts_encaps", "packets_encapsulated")}
    decaps = {int(v) for v in values(expected, "pkts_decaps", "packets_decapsulated")}
    assert {c.packets_out for c in children} == encaps
    assert {c.packets_in for c in children} == decaps
    peers = {str(v) for v in values(expected, "peer_ip", "current_peer") if v}
    assert peers <= {sa.remote_addr for sa in fragment.ike_sas}


def _session(fragment: base.Fragment, expected: Any) -> None:
    # the IKE SA's remote: genieparser's ike_sa.remote, or ntc's peer (one ntc sample's
    # anonymisation changed the Peer line's address and not the SA's: count either)
    remotes = {cc.address(v) for v in values(expected, "remote") if isinstance(v, str)}
    peers = {cc.address(v) for v in values(expected, "peer") if isinstance(v, str)}
    found = {sa.remote_addr for sa in fragment.ike_sas}
    assert remotes <= found
    assert not peers or peers & found or (len(peers) == 1 and len(found) == 1)
    decrypted = {int(v) for v in values(expected, "inbound_pkts_decrypted")}
    counted = {
        c.packets_in for sa in fragment.ike_sas for c in sa.child_sas if c.packets_in is not None
    }
    assert decrypted <= counted


def _ikev2_session(fragment: base.Fragment, expected: Any) -> None:
    assert {str(v) for v in values(expected, "tunnel_id")} == {
        sa.unique_id for sa in fragment.ike_sas
    }
    wanted = {
        hex_spi(v) for v in values(expected, "spi_in", "spi_out", "esp_spi_in", "esp_spi_out")
    }
    assert wanted <= spis(tuple(fragment.ike_sas))


def _named(
    fragment: base.Fragment, expected: Any, key: str, prefix: str
) -> list[tuple[Connection, Any]]:
    """The connections are named `prefix <name>`, one per name under `key` in the sample's
    expectation: each connection paired with its expected entry."""
    names = set(dict_keys(expected, key))
    assert {c.name for c in fragment.connections} == {f"{prefix} {n}" for n in names}
    return [(c, expected[key][c.name.split()[-1]]) for c in fragment.connections]


def _proposal(fragment: base.Fragment, expected: Any) -> None:
    for conn, entry in _named(fragment, expected, "proposal_name", "IKEv2 proposal"):
        assert len(conn.proposals[0].dh_groups) == len(entry["dh_group"])


def _ipsec_profile(fragment: base.Fragment, expected: Any) -> None:
    for conn, entry in _named(fragment, expected, "ipsec_profile_name", "IPsec profile"):
        assert len(conn.children[0].proposals) == len(entry["tranform_sets"])


def _crypto_map(fragment: base.Fragment, expected: Any) -> None:
    peers = {str(p) for v in values(expected, "peer") for p in (v if isinstance(v, list) else [v])}
    assert peers == {a for c in fragment.connections for a in c.remote_addrs}


def _pki(fragment: base.Fragment, expected: Any) -> None:
    assert len(fragment.notes) == len(expected["parsed_sample"])
    for note, cert in zip(fragment.notes, expected["parsed_sample"], strict=True):
        assert cert["status"] in note


def _diagnose(fragment: base.Fragment, expected: Any) -> None:
    errors = [n for n in fragment.notes if n.startswith("IKEv2 error")]
    assert len(errors) == len(dict_keys(expected, "errors")) or len(errors) == len(
        values(expected, "error")
    )


def _asa_ikev1(fragment: base.Fragment, expected: Any) -> None:
    assert [sa.remote_addr for sa in fragment.ike_sas] == values(expected, "peer")


def _sessiondb_l2l(fragment: base.Fragment, expected: Any) -> None:
    connections = {str(v) for v in values(expected, "connection") if v}
    assert connections <= {sa.name for sa in fragment.ike_sas}
    wanted = {int(v) for v in values(expected, "bytes_transmitted") if v}
    found = {c.bytes_out for sa in fragment.ike_sas for c in sa.child_sas}
    assert wanted and wanted <= found, "the IPsec byte counters do not agree"


def _sessiondb_summary(fragment: base.Fragment, expected: Any) -> None:
    assert fragment.notes


def _asa_config(fragment: base.Fragment, expected: Any) -> None:
    peers = {str(v) for v in values(expected, "peer") if v}
    found = {a for c in fragment.connections for a in c.remote_addrs}
    assert peers <= found
    names = {str(v) for v in values(expected, "name") if v}
    assert all(any(name in note for note in fragment.notes) for name in names)
    policies = {str(v) for v in values(expected, "policy_id") if v}
    assert {f"IKEv1 policy {p}" for p in policies} <= {c.name for c in fragment.connections}


def _tunnel_group(fragment: base.Fragment, expected: Any) -> None:
    l2l = {str(v) for v in values(expected, "name")} - {"tun01"}  # tun01 is remote-access
    assert {c.name for c in fragment.connections} == l2l


def _asa_route(fragment: base.Fragment, expected: Any) -> None:
    assert [r.destination.split("/")[0] for r in fragment.routes] == values(expected, "network")


CHECKS = {
    ("cisco_ios", "show crypto ikev2 sa"): _ikev2,
    ("cisco_ios", "show crypto isakmp sa"): _isakmp,
    ("cisco_ios", "show crypto ipsec sa"): _ipsec_sa,
    ("cisco_ios", "show crypto ipsec sa interface Tunnel10"): _ipsec_sa,
    ("cisco_ios", "show crypto session"): _session,
    ("cisco_ios", "show crypto ikev2 session"): _ikev2_session,
    ("cisco_ios", "show crypto ikev2 proposal"): _proposal,
    ("cisco_ios", "show crypto ipsec profile"): _ipsec_profile,
    ("cisco_ios", "show crypto map"): _crypto_map,
    ("cisco_ios", "show crypto pki certificates"): _pki,
    ("cisco_ios", "show crypto ikev2 diagnose error"): _diagnose,
    ("cisco_asa", "show crypto ikev2 sa"): _asa_ikev2,
    ("cisco_asa", "show crypto ikev1 sa"): _asa_ikev1,
    ("cisco_asa", "show crypto ipsec sa"): _ipsec_sa,
    ("cisco_asa", "show vpn-sessiondb detail l2l"): _sessiondb_l2l,
    ("cisco_asa", "show vpn-sessiondb"): _sessiondb_summary,
    ("cisco_asa", "show running-config crypto map"): _asa_config,
    ("cisco_asa", "show running-config all crypto map"): _asa_config,
    ("cisco_asa", "show running-config crypto ikev1"): _asa_config,
    ("cisco_asa", "show running-config ipsec"): _asa_config,
    ("cisco_asa", "show running-config tunnel-group"): _tunnel_group,
    ("cisco_asa", "show route"): _asa_route,
}


def test_fixture_commands_are_all_allowed() -> None:
    for row in fixture_rows():
        platform = _PLATFORMS[row["platform"]]
        load_platform(platform).check_allowed(command_of(row))


# --- algorithms, as Cisco prints them -----------------------------------------------------------


@pytest.mark.parametrize(
    ("transforms", "expected"),
    [
        ("esp-256-aes esp-sha256-hmac ,", ("aes256", "sha256")),
        ("esp-gcm ,", ("aes128gcm16", None)),
        ("esp-gcm 256 ,", ("aes256gcm16", None)),
        ("esp-aes 256 esp-sha-hmac", ("aes256", "sha1")),
        ("esp-aes-256 esp-md5-hmac no compression", ("aes256", "md5")),
        ("esp-3des esp-md5-hmac", ("3des", "md5")),
    ],
)
def test_transform_sets(transforms: str, expected: tuple[str | None, str | None]) -> None:
    assert cc.transform_algorithms(transforms) == expected


def test_ikev2_suite_line() -> None:
    suite = cc.ikev2_suite(
        "Encr: AES-CBC, keysize: 256, PRF: SHA512, Hash: SHA512, DH Grp:21, Auth sign: PSK, "
        "Auth verify: PSK, QR"
    )
    assert cc.ikev2_algorithms(suite) == {
        "encryption": "aes256",
        "integrity": "sha512",
        "prf": "prfsha512",
        "dh_group": "ecp521",
    }
    assert "qr" in suite and cc.auth_method(suite["auth sign"]) == "psk"


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        ("0x31CA189(52208009)", 8, "031ca189"),
        ("0x1E8246FC (511854332)", 8, "1e8246fc"),
        ("DC15BF68", 8, "dc15bf68"),
        ("000D3669857A0F82", 16, "000d3669857a0f82"),
    ],
)
def test_spis_are_lowercase_padded_hex(value: str, width: int, expected: str) -> None:
    assert cc.spi(value, width) == expected


def test_selectors() -> None:
    assert cc.selector("11.0.10.131", "255.255.255.255", "47", "0") == "11.0.10.131/32[gre]"
    assert cc.selector("0.0.0.0", "0.0.0.0", "0", "0") == "0.0.0.0/0"
    assert cc.flow_selectors("permit 47 host 10.1.1.4 host 10.1.1.3") == (
        "10.1.1.4/32[gre]",
        "10.1.1.3/32[gre]",
    )
    assert cc.flow_selectors("permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255") == (
        "10.1.0.0/16",
        "10.2.0.0/16",
    )
    assert cc.range_selectors("10.1.1.0/0", "10.1.1.255/65535") == ("10.1.1.0/24",)


# --- logs: the device's wording -> cause tokens ----------------------------------------------

LOG_LINES = [
    # (message as printed after the code, causes, direction) -- sources in SOURCES.md
    (
        "IKE message from 192.1.20.2 failed its sanity check or is malformed",
        ("decrypt_failed",),
        None,
    ),
    (
        "Local:2.2.2.2:500 Remote:1.1.1.1:500 Username:Username IKEv2 Negotiation aborted due to "
        "ERROR: Failed to authenticate the IKE SA",
        ("psk_mismatch",),
        None,
    ),
    (
        "Local:2.2.2.2:500 Remote:HOSTNAME:500 Username:User1 IKEv2 Negotiation aborted due to "
        "ERROR: There was no IPSEC policy found for received TS",
        ("ts_mismatch",),
        None,
    ),
    (
        "Local:9.8.7.6:500 Remote:2.3.4.5:500 Username:Unknown IKEv2 Negotiation aborted due to "
        "ERROR: Failed to receive the AUTH msg before the timer expired",
        ("giving_up",),
        None,
    ),
    (
        "Local:2.2.2.2:4500 Remote:1.1.1.1:55543 Username:admin IKEv2 SA UP. Reason: New "
        "Connection Established",
        ("ike_established",),
        None,
    ),
    ("decrypt: replay check failed connection id=29, sequence number=219", (), None),
    ("Group = 77.88.99.100, IP = 77.88.99.100, PHASE 1 COMPLETED", ("ike_established",), None),
    (
        "Group = 77.88.99.100, IP = 77.88.99.100, Rejecting IPSec tunnel: no matching crypto map "
        "entry for remote proxy 0.0.0.0/0.0.0.0/0/0 local proxy 0.0.0.0/0.0.0.0/0/0 on interface "
        "OUTSIDE",
        ("ts_mismatch",),
        None,
    ),
    (
        "Group = 77.88.99.100, IP = 77.88.99.100, QM FSM error (P2 struct &0x00007fff33763a70, "
        "mess id 0x2c44baec)!",
        ("child_failed",),
        None,
    ),
    (
        "Group = 46.37.188.24, IP = 46.37.188.24, PHASE 2 COMPLETED (msgid=033c8971)",
        ("child_established",),
        None,
    ),
    # Cisco ASA syslog guide, 713123 (with the guide's placeholders filled in)
    (
        "Group = g, Username = u, IP = 198.51.100.1 IKE lost contact with remote peer, deleting "
        "connection (keepalive type: DPD)",
        ("dpd_timeout",),
        None,
    ),
    # IOS `debug crypto isakmp` line quoted in lab notes as a key-mismatch symptom
    ("ISAKMP:(1002): retransmitting phase 1 MM_KEY_EXCH...", ("retransmit",), None),
    # synthetic, for the generic rule: an RFC 7296 notify named with the direction it went
    (
        "Received Packet [From 198.51.100.2:500/To 198.51.100.1:500] NOTIFY(NO_PROPOSAL_CHOSEN)",
        ("NO_PROPOSAL_CHOSEN",),
        "received",
    ),
]


@pytest.mark.parametrize(("message", "causes", "direction"), LOG_LINES)
def test_log_wording_to_causes(
    message: str, causes: tuple[str, ...], direction: str | None
) -> None:
    assert cc.log_causes(message) == (causes, direction)
    assert set(causes) <= set(CAUSE_TOKENS)


def test_every_cause_token_is_known() -> None:
    tokens = {cause for cause, _, _ in cc._CAUSES}
    assert tokens <= set(CAUSE_TOKENS)


# --- one box, several commands ------------------------------------------------------------------


def _sample(platform: str, relative: str) -> str:
    return (SAMPLES / platform / relative).read_text(encoding="utf-8")


def test_join_puts_ipsec_sas_under_their_ike_sa_and_keeps_the_raw_state() -> None:
    ikev2 = IkeSa(
        unique_id="4",
        state="ESTABLISHED",
        version=2,
        local_addr="10.0.0.1",
        remote_addr="10.0.0.2",
        encryption="aes256",
    )
    child = ChildSa(spi_in="0000abcd", spi_out="0000dcba", state="INSTALLED")
    holder = IkeSa(local_addr="10.0.0.1", remote_addr="10.0.0.2", child_sas=(child,))
    session = IkeSa(
        name="PROF",
        state="ESTABLISHED",
        version=2,
        local_addr="10.0.0.1",
        remote_addr="10.0.0.2",
        remote_id="peer.example",
    )
    (joined,) = cc.join_ike_sas([ikev2, session, holder])
    assert joined.child_sas == (child,)
    assert (joined.name, joined.remote_id, joined.unique_id) == ("PROF", "peer.example", "4")


def test_join_gives_isakmp_brief_state_to_the_detail_row() -> None:
    detail = IkeSa(
        unique_id="29609",
        version=1,
        local_addr="100.0.10.2",
        remote_addr="100.13.220.2",
        integrity="sha1",
    )
    brief = IkeSa(unique_id="29609", version=1, state="ESTABLISHED")
    (joined,) = cc.join_ike_sas([detail, brief])
    assert joined.state == "ESTABLISHED" and joined.remote_addr == "100.13.220.2"


def test_join_connections_hands_out_global_proposals_and_profiles() -> None:
    proposal = Proposal(
        encryption=("aes256",), integrity=("sha256",), prf=("prfsha256",), dh_groups=("modp2048",)
    )
    unused = Proposal(encryption=("3des",), integrity=("sha1",), dh_groups=("modp1024",))
    shared = "ike-proposal"
    connections = [
        Connection(name="IKEv2 proposal P1", version=2, proposals=(proposal,), shared=shared),
        Connection(name="IKEv2 proposal P2", version=2, proposals=(unused,), shared=shared),
        Connection(
            name="IKEv2 policy default",
            version=2,
            shared="ike-policy",
            uses=("IKEv2 proposal P1",),
        ),
        Connection(
            name="IKEv2 profile PROF",
            version=2,
            remote_addrs=("198.51.100.2",),
            local_auth="psk",
            remote_auth="psk",
            remote_id="peer.example",
            shared="ike-profile",
        ),
        Connection(name="IPsec profile IPS", version=2, uses=("IKEv2 profile PROF",)),
    ]
    (joined,) = cc.join_connections(connections)
    assert joined.name == "IPsec profile IPS" and joined.shared is None
    assert joined.remote_addrs == ("198.51.100.2",) and joined.remote_id == "peer.example"
    assert joined.proposals == (proposal,)  # P2 is no policy's


def test_join_peer_model_leaves_other_platforms_alone() -> None:
    model = PeerModel(name="a", platform="strongswan", notes=("x",))
    assert cc.join_peer_model(model) is model


@pytest.mark.parametrize(
    ("platform", "command", "text"),
    [
        (
            "cisco_ios",
            "show crypto ikev2 sa detailed",
            " IPv4 Crypto IKEv2  SA \n\n IPv6 Crypto IKEv2  SA \n",
        ),
        (
            "cisco_ios",
            "show crypto isakmp sa",
            "IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status"
            "\n\nIPv6 Crypto ISAKMP SA\n",
        ),
        ("cisco_asa", "show crypto ikev2 sa detail", "There are no IKEv2 SAs\n"),
        ("cisco_asa", "show crypto ipsec sa", "There are no IPsec SAs\n"),
        ("cisco_asa", "show crypto ikev1 sa detail", "There are no IKEv1 SAs\n"),
        (
            "cisco_asa",
            "show vpn-sessiondb detail l2l",
            "INFO: There are presently no active sessions\n",
        ),
    ],
)
def test_empty_listings_are_empty_not_failed(platform: str, command: str, text: str) -> None:
    result, _ = base.parse_text(platform, command, text)
    assert result.status == ParseStatus.EMPTY, result.reason


@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_asa"])
def test_cli_errors_fail_with_the_device_words(platform: str) -> None:
    text = "                           ^\n% Invalid input detected at '^' marker.\n"
    if platform == "cisco_asa":
        text = "ERROR: % Invalid input detected at '^' marker.\n"
    command = "show crypto ipsec sa" if platform == "cisco_asa" else "show crypto ipsec sa detail"
    result, _ = base.parse_text(platform, command, text)
    assert result.status == ParseStatus.FAILED and "Invalid input detected" in (result.reason or "")


# --- robustness: no Cisco parser crashes on cut, shuffled or mixed real outputs ----------------


def _golden_cases() -> list[tuple[str, str, str]]:
    found = []
    for raw in sorted(SAMPLES.glob("cisco_*/*/*.txt")):
        if raw.name == "_command.txt":
            continue
        command_file = raw.parent / "_command.txt"
        if command_file.is_file():
            command = command_file.read_text().split(":", 1)[1].strip()
        else:
            spec = load_platform(raw.parent.parent.name)
            command = next(
                p.canonical()
                for p in spec.allowlist
                if base.template_key(p.canonical()) == raw.parent.name
            )
        found.append((raw.parent.parent.name, command, raw.read_text(encoding="utf-8")))
    return found


def test_no_parser_crash_on_cut_shuffled_or_mixed_outputs() -> None:
    cases = _golden_cases()
    assert len(cases) > 50
    every_line = [line for _, _, text in cases for line in text.splitlines()]
    rng = random.Random(20260101)
    for platform, command, text in cases:
        lines = text.splitlines()
        variants = [text[: rng.randint(0, len(text))] for _ in range(8)]
        for _ in range(4):
            shuffled = lines[:]
            rng.shuffle(shuffled)
            variants.append("\r\n".join(shuffled[: rng.randint(1, max(1, len(shuffled)))]))
            variants.append("\n".join(rng.choice(every_line) for _ in range(rng.randint(1, 40))))
        variants.append(text.replace("\n", "\n  "))  # deeper indentation everywhere
        variants.append(text * 3)  # the same blocks repeated (many peers)
        for variant in variants:
            result, fragment = base.parse_text(platform, command, variant, "p", "f.txt")
            assert not (result.reason or "").startswith("parser error"), (command, result.reason)
            if result.status == ParseStatus.OK:
                assert not fragment.is_empty()


def test_many_peers_scale_linearly_in_count() -> None:
    text = _sample("cisco_ios", "show-crypto-ipsec-sa-detail/ntc-detail.txt")
    result, fragment = base.parse_text("cisco_ios", "show crypto ipsec sa detail", text * 20)
    assert result.status == ParseStatus.OK
    assert sum(len(sa.child_sas) for sa in fragment.ike_sas) == 40


def test_join_model_from_the_capture_shape() -> None:
    """A peer built from one real device's outputs joins into IKE SAs with their children."""
    from ipsec_tui.domain.capture import CommandRecord, PeerCapture, slug

    commands = {
        "show crypto ikev2 session detailed": _sample(
            "cisco_ios", "show-crypto-ikev2-session-detailed/genie-csr8kv-detailed.txt"
        ),
    }
    records = tuple(CommandRecord(command=c, file=f"{slug(c)}.txt") for c in commands)
    outputs = {f"{slug(c)}.txt": text for c, text in commands.items()}
    model = cc.join_peer_model(
        base.parse_peer(
            PeerCapture(name="r1", platform="cisco_ios", commands=records, outputs=outputs)
        )
    )
    sa = model.ike_sas[0]
    assert sa.state == "ESTABLISHED" and sa.child_sas and sa.child_sas[0].spi_in == "232cb82d"
    assert replace(sa, child_sas=()).encryption == "aes256"
