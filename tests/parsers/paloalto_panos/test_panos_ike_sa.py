"""`show vpn ike-sa`: each child row under exactly one IKE SA, and nothing dropped: a child
row whose IKE SA row is absent, or a line the template does not know, makes the result
partial with the line kept. Inputs are the real samples of this folder (see SOURCES.md),
cut or put together line by line; no line is written here."""

from __future__ import annotations

from pathlib import Path

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers.base import parse_text

HERE = Path(__file__).parent
COMMAND = "show vpn ike-sa"


def sample(folder: str, name: str) -> list[str]:
    return (HERE / folder / f"{name}.txt").read_text(encoding="utf-8").splitlines()


def test_children_of_two_gateways_go_to_their_own_sa() -> None:
    # the IKEv2 tables of two real outputs in one: both SA rows, then both child rows
    zscaler = sample("show-vpn-ike-sa", "zscaler-docs-ikev2")
    cloudflare = [line for line in sample("show-vpn-ike-sa", "cloudflare-docs-gateway") if line]
    sa_rows = [zscaler[3], cloudflare[5]]
    child_rows = [cloudflare[9], zscaler[7]]  # in the other order
    text = "\n".join([*zscaler[:3], *sa_rows, *zscaler[4:7], *child_rows]) + "\n"
    result, fragment = parse_text("paloalto_panos", COMMAND, text)
    assert result.status == ParseStatus.OK, result.reason
    children = {sa.name: [c.name for c in sa.child_sas] for sa in fragment.ike_sas}
    assert children == {
        "localzs3": ["localzs3:primarytunnel"],
        "CF_Magic_WAN_IKE_01": ["CF_Magic_WAN_IPsec_01"],
    }


def test_a_child_without_its_ike_sa_row_is_kept_and_said() -> None:
    zscaler = sample("show-vpn-ike-sa", "zscaler-docs-ikev2")
    cloudflare = [line for line in sample("show-vpn-ike-sa", "cloudflare-docs-gateway") if line]
    # the Zscaler output with the Cloudflare child row added to its child table
    text = "\n".join([*zscaler[:8], cloudflare[9], *zscaler[8:]]) + "\n"
    result, fragment = parse_text("paloalto_panos", COMMAND, text)
    assert result.status == ParseStatus.PARTIAL
    (sa,) = fragment.ike_sas
    assert [c.name for c in sa.child_sas] == ["localzs3:primarytunnel"]
    (unplaced,) = fragment.unplaced
    assert (unplaced.line, unplaced.text) == (9, cloudflare[9])
    assert "CF_Magic_WAN_IKE_01" in unplaced.reason and "IKE SA row" in unplaced.reason
    assert result.raw == f"9: {cloudflare[9]}"


def test_a_line_not_understood_makes_it_partial() -> None:
    zscaler = sample("show-vpn-ike-sa", "zscaler-docs-ikev2")
    flow = sample("show-vpn-flow", "zscaler-docs")
    # a `show vpn flow` row inside the IKE SA table
    text = "\n".join([*zscaler[:4], flow[6], *zscaler[4:]]) + "\n"
    result, fragment = parse_text("paloalto_panos", COMMAND, text)
    assert result.status == ParseStatus.PARTIAL
    assert [u.line for u in fragment.unplaced] == [5]
    assert fragment.ike_sas[0].child_sas  # what was understood is kept


def test_every_line_of_the_real_samples_is_understood() -> None:
    for name in ("zscaler-docs-ikev2", "vyos-docs-ikev1", "cloudflare-docs-gateway"):
        text = "\n".join(sample("show-vpn-ike-sa", name)) + "\n"
        result, fragment = parse_text("paloalto_panos", COMMAND, text)
        assert result.status in (ParseStatus.OK, ParseStatus.EMPTY), (name, result.reason)
        assert not fragment.unplaced
