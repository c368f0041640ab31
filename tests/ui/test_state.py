"""The main screen's frozen state, without a terminal: what a collection, a paste hint, a
bundle's notes and the table's cursor do to it, and what the banner says about it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Finding, Row, Status
from ipsec_tui.ui.live import PeerProgress
from ipsec_tui.ui.screens.dialogs import quick_tunnel
from ipsec_tui.ui.session import CaptureInfo, Session, demo_source, folder_source, live_source, load
from ipsec_tui.ui.state import CockpitState, Selection

PSK = Path(__file__).resolve().parents[1] / "data" / "captures" / "strongswan" / "psk"
QUICK = {
    "host_a": "198.51.100.11",
    "platform_a": "strongswan",
    "host_b": "198.51.100.12",
    "platform_b": "strongswan",
    "username": "ops",
    "auth": "agent",
    "key_file": "",
    "known_hosts": "",
}


@pytest.fixture(scope="module")
def both() -> Session:
    return load(demo_source("strongswan-psk"))


@pytest.fixture(scope="module")
def one() -> Session:
    return load(folder_source(PSK / "siteA"))


def test_a_collection_moves_the_banner_from_credentials_to_the_peer_still_awaited(
    tmp_path: Path, both: Session
) -> None:
    tunnel = quick_tunnel(QUICK, tmp_path)
    a_name, b_name = (peer.name for peer in tunnel.peers)
    state = CockpitState(live_source(tunnel, tmp_path)).waiting("looking up credentials…")
    assert state.banner_waiting() == "looking up credentials…" and not state.collecting

    start = (PeerProgress(a_name, "198.51.100.11"), PeerProgress(b_name, "198.51.100.12"))
    state = state.collection_started(tmp_path / "c1", start)
    assert state.collecting and state.out_dir == tmp_path / "c1"
    assert state.banner_waiting() == "collecting both peers…  (c cancels)"

    # B fails first: its progress and capture land on B's side, A's stay
    failed_b = start[1].with_capture(PeerCapture(b_name, "strongswan", error="cannot reach"))
    state = state.progressed(failed_b)
    assert state.progress[0] is start[0] and state.progress[1] is failed_b
    capture_b = PeerCapture(b_name, "strongswan", error="cannot reach")
    state = state.collected(capture_b)
    assert state.captures == (None, capture_b)
    # once a first analysis shows, the banner names the peer still being collected
    state = state.showing(both)
    assert state.banner_waiting() == f"collecting {a_name}…"
    cancelling = replace(state, cancelling=True)
    assert cancelling.banner_waiting() == "cancelling: waiting for the running command to end…"

    ended = cancelling.collection_ended()
    assert not ended.collecting and not ended.cancelling and ended.banner_waiting() == ""
    refused = ended.failed("not collected: no password given for ops@198.51.100.11")
    assert refused.error.startswith("not collected") and refused.session is both
    assert refused.showing(both).error == ""
    # a peer that is not the tunnel's changes nothing
    assert state.progressed(PeerProgress("elsewhere", "h")) is state
    assert state.collected(PeerCapture("elsewhere", "strongswan")) is state


def test_one_peer_only_is_hinted_once_and_never_while_collecting(
    one: Session, both: Session
) -> None:
    state = CockpitState(one.source).showing(one)
    assert state.paste_side == 1  # siteA printed, siteB is missing
    hinted = state.hinting_paste()
    assert hinted.paste_hinted and hinted.hinting_paste() is hinted
    collecting = replace(state, collecting=True)
    assert collecting.paste_side is None and not collecting.hinting_paste().paste_hinted
    assert not state.showing(replace(one, partial=True)).hinting_paste().paste_hinted
    full = state.showing(both)
    assert full.paste_side is None and not full.hinting_paste().paste_hinted


def test_a_bundles_notes_are_taken_over_once_unless_notes_were_typed(both: Session) -> None:
    carried = replace(both, info=CaptureInfo(notes="partner rotated the PSK\n"))
    state = CockpitState(both.source)
    assert state.adopting_notes(both) is state  # nothing carried: nothing to take over
    adopted = state.adopting_notes(carried)
    assert adopted.notes == "partner rotated the PSK\n" and adopted.notes_adopted
    again = replace(carried, info=CaptureInfo(notes="other\n"))
    assert adopted.adopting_notes(again) is adopted
    typed = replace(state, notes="mine\n").adopting_notes(carried)
    assert typed.notes == "mine\n" and typed.notes_adopted


def test_the_evidence_page_stays_on_the_same_finding_and_restarts_on_another() -> None:
    psk = Finding("identity", "identity.psk", Status.FAIL, "psk")
    ids = Finding("identity", "identity.ids", Status.PASS, "ids")
    start = Selection()
    on_psk = start.moved_to(psk, None)
    assert on_psk.highlighted and not on_psk.same_evidence(start)
    paged = on_psk.paged(1, 2).paged(0, -1)
    assert paged.choices == (-1, 2) and not paged.same_evidence(on_psk)
    row = Row("pre-shared key", "a", "b", False)
    on_row = paged.moved_to(psk, row)
    assert on_row.choices == (-1, 2) and on_row.same_evidence(paged)
    assert not on_row.same_row(paged)
    on_ids = on_row.moved_to(ids, None)
    assert on_ids.choices == (0, 0) and not on_ids.same_evidence(on_row)
    # an equal finding from a new analysis is another finding: its evidence is shown again
    twin = Finding("identity", "identity.psk", Status.FAIL, "psk")
    assert twin == psk
    assert not on_psk.moved_to(twin, None).same_evidence(on_psk)
