"""strongSwan release variants and the stroke interface: what the parsers cannot place is
kept (PARTIAL), never dropped. Inputs are the real outputs of the golden cases (see
SOURCES.md), cut or spliced as a truncated or interleaved capture would be."""

from __future__ import annotations

from pathlib import Path

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers import base

HERE = Path(__file__).parent
LIST_SAS = HERE / "swanctl-list-sas" / "rancher-4825-5.3-no-ports.txt"
STATUSALL = HERE / "ipsec-statusall" / "vyatta-5.3.5-hub-two-spokes.txt"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_list_sas_line_of_another_listing_inside_a_block_is_kept_as_partial() -> None:
    lines = _lines(LIST_SAS)
    # a stroke line (same daemon, other command) interleaved after the first child
    stray = "vpnprof-tunnel-tun0[2]: IKE proposal: AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1536"
    spliced = [*lines[:11], stray, *lines[11:]]
    result, fragment = base.parse_text("strongswan", "swanctl --list-sas", "\n".join(spliced))
    assert result.status == ParseStatus.PARTIAL
    assert "not understood" in (result.reason or "")
    assert stray in (result.raw or "")
    assert [u.line for u in fragment.unplaced] == [12]
    # the SAs around it are still read
    assert [sa.unique_id for sa in fragment.ike_sas] == ["2732", "2731"]


def test_list_sas_old_and_new_headers_give_the_same_spis() -> None:
    lines = _lines(LIST_SAS)
    _, old = base.parse_text("strongswan", "swanctl --list-sas", "\n".join(lines[:11]))
    assert old.ike_sas[0].spi_i == "adbf8bd39b23fd5b"
    assert old.ike_sas[0].spi_r == "cf503a5ea2e22817"
    assert old.ike_sas[0].initiator is None  # before 5.5 swanctl does not say
    assert old.ike_sas[0].local_port is None


def test_statusall_child_lines_without_their_ike_sa_are_partial() -> None:
    lines = _lines(STATUSALL)
    header = lines.index("Security Associations (2 up, 0 connecting):")
    # the capture lost the first IKE SA's three lines: its child has no IKE SA to join
    cut = [*lines[: header + 1], *lines[header + 4 :]]
    result, fragment = base.parse_text("strongswan", "ipsec statusall", "\n".join(cut))
    assert result.status == ParseStatus.PARTIAL
    assert "child SA before any IKE SA" in (result.reason or "")
    assert len(fragment.unplaced) == 3
    assert [sa.unique_id for sa in fragment.ike_sas] == ["1"]


def test_statusall_of_a_failed_command_is_failed() -> None:
    result, _ = base.parse_text("strongswan", "ipsec statusall", "bash: ipsec: command not found")
    assert result.status == ParseStatus.FAILED


def test_ipsec_conf_also_and_default_are_applied() -> None:
    text = (HERE / "cat-ipsec-conf" / "strongswan-5.5.0-ikev2-net2net-psk-moon.txt").read_text()
    # ipsec.conf(5) `also=`: the same file with its conn split in two, as operators write it
    shared = text.replace("conn net-net\n", "conn moon-side\n").replace(
        "\tright=PH_IP_SUN", "\nconn net-net\n\talso=moon-side\n\tright=PH_IP_SUN"
    )
    _, fragment = base.parse_text("strongswan", "cat /etc/ipsec.conf", shared)
    by_name = {c.name: c for c in fragment.connections}
    assert by_name["net-net"].local_id == "@moon.strongswan.org"
    assert by_name["net-net"].remote_addrs == ("PH_IP_SUN",)
    assert by_name["net-net"].local_auth == "psk"
    assert by_name["net-net"].version == 2
