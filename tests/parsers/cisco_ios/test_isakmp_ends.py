"""IOS `show crypto isakmp sa` names an SA's ends by role (src initiated, dst responded):
the parser keeps both, and the Cisco finisher turns them into local/remote once it knows the
device's own addresses. Checked on both routers of one real tunnel (the outputs in pairs/,
see ../SOURCES.md), and on real outputs cut short (the cut SA is left unplaced)."""

from __future__ import annotations

from pathlib import Path

from ipsec_tui.domain.model import ParseStatus, PeerModel
from ipsec_tui.parsers import base
from ipsec_tui.parsers import cisco_common as cc

HERE = Path(__file__).parent


def _model(router: str) -> PeerModel:
    ike_sas = []
    for command, suffix in (("show crypto isakmp sa", "isakmp"), ("show crypto ipsec sa", "ipsec")):
        text = (HERE / "pairs" / f"{router}.{suffix}.out").read_text(encoding="utf-8")
        result, fragment = base.parse_text("cisco_ios", command, text, file=f"{router}.{suffix}")
        assert result.status == ParseStatus.OK, result.reason
        ike_sas += fragment.ike_sas
    return PeerModel(name=router, platform="cisco_ios", ike_sas=tuple(ike_sas))


def test_brief_rows_keep_both_ends_by_role() -> None:
    text = (HERE / "pairs" / "customer-a3.isakmp.out").read_text(encoding="utf-8")
    _, fragment = base.parse_text("cisco_ios", "show crypto isakmp sa", text)
    (sa,) = fragment.ike_sas
    assert (sa.initiator_addr, sa.responder_addr) == ("20.0.0.14", "20.0.0.10")
    assert sa.local_addr is None and sa.remote_addr is None and sa.initiator is None


def test_responder_router_gets_dst_as_local() -> None:
    (sa,) = cc.join_peer_model(_model("customer-a3")).ike_sas
    assert (sa.local_addr, sa.remote_addr, sa.initiator) == ("20.0.0.10", "20.0.0.14", False)
    assert sa.state == "ESTABLISHED" and sa.unique_id == "1001"
    assert [child.spi_in for child in sa.child_sas] == ["c2cbe9c4"]


def test_initiator_router_gets_src_as_local() -> None:
    (sa,) = cc.join_peer_model(_model("customer-a4")).ike_sas
    assert (sa.local_addr, sa.remote_addr, sa.initiator) == ("20.0.0.14", "20.0.0.10", True)
    assert [child.spi_in for child in sa.child_sas] == ["9d43b506"]


def test_interface_addresses_orient_the_sa_without_other_commands() -> None:
    text = (HERE / "pairs" / "customer-a4.isakmp.out").read_text(encoding="utf-8")
    _, fragment = base.parse_text("cisco_ios", "show crypto isakmp sa", text)
    model = PeerModel(
        name="a4",
        platform="cisco_ios",
        ike_sas=tuple(fragment.ike_sas),
        addresses=("20.0.0.14/30",),
    )
    (sa,) = cc.join_peer_model(model).ike_sas
    assert (sa.local_addr, sa.remote_addr, sa.initiator) == ("20.0.0.14", "20.0.0.10", True)


def test_unknown_own_addresses_leave_the_ends_by_role() -> None:
    text = (HERE / "pairs" / "customer-a4.isakmp.out").read_text(encoding="utf-8")
    _, fragment = base.parse_text("cisco_ios", "show crypto isakmp sa", text)
    model = PeerModel(name="a4", platform="cisco_ios", ike_sas=tuple(fragment.ike_sas))
    (sa,) = cc.join_peer_model(model).ike_sas
    assert sa.local_addr is None and sa.initiator is None
    assert (sa.initiator_addr, sa.responder_addr) == ("20.0.0.14", "20.0.0.10")


def test_ipv6_sa_cut_before_its_state_line_is_left_unplaced() -> None:
    text = (HERE / "show-crypto-isakmp-sa" / "dmvpn-hub-ipv6.txt").read_text(encoding="utf-8")
    cut = "\n".join(text.splitlines()[:14])  # the third SA's dst: line is the last kept
    result, fragment = base.parse_text("cisco_ios", "show crypto isakmp sa", cut)
    assert result.status == ParseStatus.PARTIAL
    assert [sa.unique_id for sa in fragment.ike_sas] == ["1001", "1003"]
    assert [(u.line, u.text) for u in fragment.unplaced] == [(14, "dst: 2001:32:19:86::252")]
