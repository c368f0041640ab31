"""What one IOS box configures once for its tunnels travels as typed fields, not as prose:
IKEv2 proposals and ISAKMP policies are `shared` "ike-proposal", IKEv2 policies name the
proposals they use in `uses`, crypto maps and IPsec profiles name their IKEv2 profile in
`uses`. The Cisco finisher joins them from those fields; the notes are for people only.
Checked on real outputs (see ../SOURCES.md)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ipsec_tui.domain.model import ParseStatus, PeerModel
from ipsec_tui.parsers import base
from ipsec_tui.parsers.cisco_common import join_peer_model

HERE = Path(__file__).parent


def _peer(samples: list[tuple[str, str]]) -> PeerModel:
    """The samples parsed as one peer's outputs, before the finisher joins anything."""
    connections, notes = [], []
    for command, sample in samples:
        text = (HERE / sample).read_text(encoding="utf-8")
        result, fragment = base.parse_text("cisco_ios", command, text, file=sample)
        assert result.status == ParseStatus.OK, result.reason
        connections += fragment.connections
        notes += fragment.notes
    return PeerModel(
        name="r1", platform="cisco_ios", connections=tuple(connections), notes=tuple(notes)
    )


def test_proposals_reach_the_profiles_through_typed_fields_not_notes() -> None:
    model = _peer(
        [
            ("show crypto ikev2 proposal", "show-crypto-ikev2-proposal/genie-golden-output.txt"),
            ("show crypto ikev2 policy", "show-crypto-ikev2-policy/genie-golden-output.txt"),
            ("show crypto ipsec profile", "show-crypto-ipsec-profile/genie-golden-output.txt"),
        ]
    )
    by_name = {conn.name: conn for conn in model.connections}
    assert by_name["IKEv2 proposal default"].shared == "ike-proposal"
    assert by_name["IKEv2 policy ikev2policy"].uses == ("IKEv2 proposal ikev2proposal",)
    assert by_name["IPsec profile nil_ips"].uses == ("IKEv2 profile nil_ike_prof",)
    assert any("uses IKEv2 profile nil_ike_prof" in note for note in model.notes)  # for people

    joined = join_peer_model(model)
    silent = join_peer_model(replace(model, notes=()))
    assert silent.connections == joined.connections
    tunnels = {conn.name: conn for conn in joined.connections}
    # the proposals and policies went into the IKEv2 tunnel and are gone as connections
    assert set(tunnels) == {"IPsec profile default", "IPsec profile nil_ips"}
    encryptions = {e for p in tunnels["IPsec profile nil_ips"].proposals for e in p.encryption}
    assert encryptions == {"aes256", "aes128"}  # both proposals, both named by a policy
    assert tunnels["IPsec profile default"].proposals == ()  # IKEv1: no ISAKMP policy here
