"""Juniper SRX, Palo Alto and FortiGate: a peer model built from the real samples of
tests/parsers/<platform>/ (as a capture of that peer would hold them), compared with the
strongSwan baseline through the analysis; and the FortiOS pager answered read-only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_models
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.ssh import driver_class, send_read_only
from ipsec_tui.domain.capture import CommandRecord, PeerCapture, slug
from ipsec_tui.domain.model import IkeSa, PeerModel
from ipsec_tui.parsers.base import parse_peer
from ipsec_tui.platforms import load_platform

SAMPLES = Path(__file__).resolve().parent.parent / "parsers"
BASELINE = Path(__file__).resolve().parent.parent / "data" / "captures" / "strongswan" / "baseline"

# (command as collected, sample file under tests/parsers/<platform>/): one peer per platform,
# every sample of it from the same device
PEERS = {
    "fortinet": [
        ("get system status", "get-system-status/ntc-templates-7.4.8.txt"),
        (
            "diagnose vpn ike gateway list",
            "diagnose-vpn-ike-gateway-list/handbook-natt-responder.txt",
        ),
        ("diagnose vpn tunnel list", "diagnose-vpn-tunnel-list/handbook-natt-responder.txt"),
        ("show vpn ipsec phase1-interface", "show-vpn-ipsec-phase1-interface/handbook-natt.txt"),
        ("show vpn ipsec phase2-interface", "show-vpn-ipsec-phase2-interface/handbook-natt.txt"),
    ],
    "juniper_junos": [
        (
            "show security ike security-associations detail",
            "show-security-ike-security-associations-detail/blog-azure-cluster.txt",
        ),
        (
            "show security ipsec security-associations detail",
            "show-security-ipsec-security-associations-detail/blog-azure-cluster.txt",
        ),
    ],
    "paloalto_panos": [
        ("show vpn ike-sa", "show-vpn-ike-sa/zscaler-docs-ikev2.txt"),
        ("show vpn ipsec-sa", "show-vpn-ipsec-sa/zscaler-docs.txt"),
        ("show vpn flow", "show-vpn-flow/zscaler-docs.txt"),
        ("show vpn gateway", "show-vpn-gateway/zscaler-docs.txt"),
    ],
}


def peer_model(platform: str) -> PeerModel:
    records, outputs = [], {}
    for command, sample in PEERS[platform]:
        name = f"{slug(command)}.txt"
        outputs[name] = (SAMPLES / platform / sample).read_text(encoding="utf-8")
        records.append(CommandRecord(command=command, file=name))
    return parse_peer(
        PeerCapture(name=platform, platform=platform, commands=tuple(records), outputs=outputs)
    )


def the_sa(model: PeerModel) -> IkeSa:
    assert len(model.ike_sas) == 1, model.ike_sas
    return model.ike_sas[0]


def test_fortinet_model_joins_gateway_and_tunnel() -> None:
    model = peer_model("fortinet")
    assert all(r.status == "ok" for r in model.parse_results), model.parse_results
    sa = the_sa(model)
    assert (sa.name, sa.state, sa.version, sa.nat_t) == ("VPN-to-BJ", "ESTABLISHED", 1, True)
    assert (sa.spi_i, sa.spi_r) == ("df473084a6cd160a", "fd52b18f1451abed")
    assert (sa.encryption, sa.integrity, sa.prf) == ("aes128", "sha256", "prfsha256")
    (child,) = sa.child_sas
    assert (child.spi_in, child.spi_out) == ("e9cb7b26", "f77af5f3")
    assert (child.encryption, child.integrity, child.state) == ("aes128", "sha1", "INSTALLED")
    assert child.local_ts == ("192.168.1.0/24",) and child.remote_ts == ("192.168.0.0/24",)
    (conn,) = model.connections
    assert conn.remote_addrs == ("100.1.1.2",) and conn.proposals[0].encryption == ("aes128",)
    assert conn.children[0].proposals[-1].encryption == ("chacha20poly1305",)
    assert model.software and "v7.4.8" in model.software


@pytest.mark.parametrize(
    ("platform", "ike", "child"),
    [
        # Junos: the IKE and IPsec SAs joined by peer
        (
            "juniper_junos",
            {
                "name": "azure-gateway",
                "unique_id": "6226807",
                "state": "ESTABLISHED",
                "version": 2,
                "spi_i": "77034040d34a7428",
                "spi_r": "2dfe60279d917d73",
                "remote_id": "Y.Y.Y.Y",
                "encryption": "aes256",
                "integrity": "sha1",
                "prf": "prfsha1",
                "dh_group": "modp1024",
            },
            {
                "spi_in": "8512d6f5",
                "spi_out": "32c3a32a",
                "interface": "st0.10",
                "remote_ts": ("10.0.0.0/20",),
                "encryption": "aes256",
            },
        ),
        # PAN-OS: the IKE SA, the IPsec SA and the flow joined
        (
            "paloalto_panos",
            {
                "name": "localzs3",
                "state": "ESTABLISHED",
                "version": 2,
                "local_addr": "10.96.19.238",
                "encryption": "aes128",
                "integrity": "sha1",
                "dh_group": "modp1024",
            },
            {
                "spi_in": "cbf7dc1d",
                "spi_out": "5d1568fd",
                "state": "INSTALLED",
                "encryption": "aes256",
                "integrity": "md5",
            },
        ),
    ],
)
def test_model_joins_the_ike_sa_and_its_child(
    platform: str, ike: dict[str, object], child: dict[str, object]
) -> None:
    sa = the_sa(peer_model(platform))
    assert {key: getattr(sa, key) for key in ike} == ike
    (found,) = sa.child_sas
    assert {key: getattr(found, key) for key in child} == child


CANONICAL = re.compile(
    r"^(aes\d{3}(gcm16|ctr)?|3des|null|chacha20poly1305|sha\d+|md5|prfsha\d+|modp\d+|ecp\d+)$"
)


@pytest.mark.parametrize("platform", sorted(PEERS))
def test_cross_vendor_rows_use_canonical_names(platform: str) -> None:
    strongswan = parse_peer(read_capture(BASELINE)[0])
    analysis = analyse_models(strongswan, peer_model(platform))
    rows = [
        row
        for step in analysis.steps
        for finding in step.findings
        for row in finding.rows
        if re.search(r"encryption|integrity|prf|dh", row.field)
    ]
    assert rows, "the proposal checks compared no algorithm"
    for row in rows:
        for value in (row.a, row.b):
            for name in re.split(r"[,\s]+", value or ""):
                if name and name not in ("none", "(none)", "-", "yes", "no"):
                    assert CANONICAL.match(name), (row.field, value)


# --- FortiOS pager --------------------------------------------------------------------------


class PagingFortiGate:
    """A fake channel that pages its output the way FortiOS does with `set output more`:
    ` --More-- ` at the end of a page, erased with `\\r` + blanks + `\\r` after the key."""

    base_prompt = "FGT #"

    def __init__(self, pages: list[str]) -> None:
        self.pages = pages
        self.sent: list[str] = []

    def _page(self, index: int) -> str:
        last = index == len(self.pages) - 1
        erase = "\r          \r" if index else ""
        return erase + self.pages[index] + ("FGT # " if last else " --More-- ")

    def send_command(self, command: str, **kwargs: object) -> str:
        self.sent.append(command)
        self.shown = 0
        return self._page(0)

    def write_channel(self, data: str) -> None:
        self.sent.append(data)

    def read_until_pattern(self, pattern: str, read_timeout: float) -> str:
        self.shown += 1
        return self._page(self.shown)

    def strip_prompt(self, text: str) -> str:
        return text.rsplit("FGT #", 1)[0]


def test_fortios_pager_is_answered_with_a_space_and_its_debris_stripped() -> None:
    spec = load_platform("fortinet")
    pages = [
        "name=a ver=1\n  src: 0:10.1.0.0/255.255.255.0:0\n",
        "  dst: 0:10.2.0.0/255.255.255.0:0\n",
        "run_tally=0\n",
    ]
    device = PagingFortiGate(pages)
    text = send_read_only(device, "diagnose vpn tunnel list", spec, timeout=5)
    assert text == "".join(pages)
    assert device.sent == ["diagnose vpn tunnel list", " ", " "]  # nothing but spaces answered


def test_fortios_driver_skips_what_changes_the_console_config() -> None:
    cls = driver_class(load_platform("fortinet"))
    for method in ("disable_paging", "_get_output_mode", "cleanup"):
        assert getattr(cls, method)(object()) == ""


@pytest.mark.parametrize(
    ("platform", "command"),
    [
        ("juniper_junos", "show log messages | save /var/tmp/x"),
        ("juniper_junos", "show security ike security-associations | save x"),
        ("juniper_junos", "show configuration security ike | display set"),
        ("juniper_junos", "request security ike debug-enable"),
        ("paloalto_panos", "show vpn ike-sa | save x"),
        ("paloalto_panos", "test vpn ike-sa gateway GW"),
        ("paloalto_panos", "clear vpn ike-sa gateway GW"),
        ("fortinet", "execute log filter category event"),
        ("fortinet", "execute log display"),
        ("fortinet", "diagnose vpn ike log-filter dst-addr4 198.51.100.1"),
        ("fortinet", "diagnose vpn tunnel flush"),
        ("fortinet", "get vpn ipsec tunnel summary | grep x"),
    ],
)
def test_writing_or_stateful_commands_are_refused(platform: str, command: str) -> None:
    from ipsec_tui.platforms import CommandRefused

    with pytest.raises(CommandRefused):
        load_platform(platform).check_allowed(command)


@pytest.mark.parametrize(
    ("platform", "command"),
    [
        ("juniper_junos", "show security ipsec security-associations index 1234 detail"),
        ("juniper_junos", "show log kmd-logs | match KMD"),
        ("paloalto_panos", "show vpn ike-sa gateway GW"),
        ("fortinet", "diagnose vpn tunnel list name X"),
    ],
)
def test_filters_read_by_the_same_parser_are_allowed(platform: str, command: str) -> None:
    assert load_platform(platform).check_allowed(command)
