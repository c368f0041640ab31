"""The probe's packet capture ends when the pings are done (plus CAPTURE_GRACE_S), not at its
cap, and probe.json says how long it ran. The capture is the real one, `timeout 8 tcpdump`
exactly as the tool builds it, run over a real sshd on 127.0.0.1 on the loopback interface;
the counters and pings are the recorded baseline probe (tests/data/probes/baseline)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.ssh import PeerSession
from ipsec_tui.platforms import load_platform
from ipsec_tui.probe import (
    CAPTURE_ENDED,
    CAPTURE_GRACE_S,
    CAPTURE_LISTENING,
    CAPTURE_SECONDS,
    Ran,
    replay,
    run_probe,
    to_dict,
)
from tests.collectors.sshd_server import SshServer, peer_config, start_sshd

from .test_probe import PROBES, recorded_plan

BASELINE = PROBES / "baseline"


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    yield from start_sshd(tmp_path_factory.mktemp("probe-sshd"))


def test_the_capture_ends_after_the_pings_and_says_how_long_it_ran(sshd: SshServer) -> None:
    if shutil.which("tcpdump") is None:
        pytest.skip("tcpdump is not installed")
    scenario, plan, _ = recorded_plan("baseline")
    plan = replace(plan, a=replace(plan.a, wan_if="lo"), b=replace(plan.b, wan_if="lo"))
    spec = load_platform("strongswan")
    sessions = {
        name: PeerSession(peer_config(sshd, name, platform="strongswan"), spec)
        for name in ("siteA", "siteB")
    }
    ended: list[str] = []
    # per peer, in order: "listening" when the capture said so, "returned" when it ended
    moments: dict[str, list[str]] = {"siteA": [], "siteB": []}

    class Noted(threading.Event):
        """The probe's event, noting when the session sets it."""

        def __init__(self, peer: str, probe_waits_on: threading.Event) -> None:
            super().__init__()
            self.peer, self.probe_waits_on = peer, probe_waits_on

        def set(self) -> None:
            moments[self.peer].append("listening")
            super().set()
            self.probe_waits_on.set()

    def capture(peer: str, command: str, listening: threading.Event) -> Ran:
        heard = (CAPTURE_LISTENING, Noted(peer, listening))
        sent = sessions[peer].send(command, heard=heard)
        moments[peer].append("returned")
        return Ran(sent.text, sent.error, sent.started_at, sent.finished_at)

    def end(peer: str) -> None:
        ended.append(peer)
        sessions[peer].end_soon(CAPTURE_GRACE_S, CAPTURE_ENDED)

    try:
        started = time.monotonic()
        result, captures = run_probe(
            plan, replay(read_capture(BASELINE / "probe")), capture=capture, end=end
        )
        took = time.monotonic() - started
        # the sessions are usable again: the capture was interrupted and the prompt found
        assert sessions["siteA"].send("date -u").error is None
    finally:
        for session in sessions.values():
            session.close()
    assert sorted(ended) == ["siteA", "siteB"]
    # each capture said it was listening while it ran: the probe waited for that, not for
    # the capture to end
    assert moments == {"siteA": ["listening", "returned"], "siteB": ["listening", "returned"]}
    assert result.verdict.cause == scenario["expected_cause"]  # the recorded pings judged
    assert took < CAPTURE_SECONDS - 2, took  # not the 8 s cap
    for summary in result.packets:
        assert summary.error is None and summary.interface == "lo"
        assert summary.ended == "after the pings"
        assert summary.seconds is not None and CAPTURE_GRACE_S <= summary.seconds < 5
    data = to_dict(result)
    packets = data["packets"]
    assert isinstance(packets, dict)
    assert {peer: packets[peer]["ended"] for peer in packets} == {
        "siteA": "after the pings",
        "siteB": "after the pings",
    }
    for capture_of_peer in captures:  # the record says the capture was ended, and when
        (record,) = [r for r in capture_of_peer.commands if "tcpdump" in r.command]
        assert (record.error or "").startswith(CAPTURE_ENDED)
