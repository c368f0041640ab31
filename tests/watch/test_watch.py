"""The watch's core on sequences of real snapshots (tests/watch/recorded.py says where they
come from). Every expectation is read off the recorded text by hand: the SPIs and counters
of `swanctl --list-sas`, the lines of charon's log."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.watch import EVENT_KINDS, WATCH_CAUSES, WatchEvent, WatchResult
from ipsec_tui.platforms import load_platform
from ipsec_tui.watch import (
    Watch,
    build_watch,
    event_line,
    run_watch,
    sample_commands,
    to_dict,
)

from .recorded import DATA, probe_samples, scenario_samples


def _events(result: WatchResult, kind: str, peer: str | None = None) -> list[WatchEvent]:
    return [e for e in result.events if e.kind == kind and (peer is None or e.peer == peer)]


def test_a_pfs_mismatch_is_named_at_the_first_rekey() -> None:
    # baseline: the child SA lan is up (siteA in 67631eee, out 754773e6); pfs, 14 s later:
    # the tunnel came back (siteA in 1eebfefc, out 2b45755c), then its rekey was refused:
    # siteB "generating CREATE_CHILD_SA response 2 [ N(NO_PROP) ]", siteA "received
    # NO_PROPOSAL_CHOSEN notify, no CHILD_SA built".
    result = build_watch("lab", scenario_samples("baseline", "pfs"))
    verdict = result.verdict
    assert (verdict.cause, verdict.side) == ("pfs-mismatch", "siteB")
    assert "NO_PROPOSAL_CHOSEN" in verdict.summary
    assert any("generating CREATE_CHILD_SA response 2 [ N(NO_PROP) ]" in line
               for line in verdict.evidence)  # fmt: skip
    # what siteB refused: it is configured without a DH group for the child SA
    assert any(
        line.startswith("siteB:")
        and "configured proposals: ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ" in line
        for line in verdict.evidence
    )
    rekeys = _events(result, "child-rekey", "siteA")
    assert [e.detail for e in rekeys] == ["SPIs in/out 67631eee/754773e6 -> 1eebfefc/2b45755c"]
    failed = {e.peer: e for e in _events(result, "rekey-failed")}
    assert set(failed) == {"siteA", "siteB"}
    assert failed["siteA"].sample == 2
    assert "NO_PROPOSAL_CHOSEN" in failed["siteA"].detail
    # siteA sent the rekey's request ("generating CREATE_CHILD_SA request 2"), siteB none
    assert dict(result.rekeys_initiated) == {"siteA": 1, "siteB": 0}


def test_the_same_failure_without_a_working_child_first_is_not_called_pfs() -> None:
    # esp-proposal: IKE up, the first child SA refused in IKE_AUTH (no rekey ever happened)
    result = build_watch("lab", scenario_samples("esp-proposal", "esp-proposal"))
    assert result.verdict.cause != "pfs-mismatch"
    assert not _events(result, "rekey-failed")


def test_lifetime_churn_names_the_side_that_rekeys_far_more_often() -> None:
    # lifetime: siteB "installed 2s ago, rekeying in 267s", siteA "installed 2s ago,
    # rekeying in 3256s": siteB rekeys every ~269 s, siteA every ~3258 s
    result = build_watch("lab", scenario_samples("baseline", "lifetime"))
    verdict = result.verdict
    assert (verdict.cause, verdict.side) == ("lifetime-mismatch", "siteB")
    assert "~269 s" in verdict.summary and "~3258 s" in verdict.summary


def test_baseline_lifetimes_are_no_churn() -> None:
    # baseline: siteA rekeys its child in 3243 s, siteB in 3568 s (both installed 1 s ago)
    result = build_watch("lab", scenario_samples("baseline", "baseline"))
    assert result.verdict.cause == "healthy"
    assert not _events(result, "child-rekey")


def test_a_flapping_path_is_sas_down_and_up_again() -> None:
    # one lab session, in the order recorded: up (baseline), down (psk: AUTHENTICATION_FAILED),
    # up (lifetime), down (udp-blocked: A retransmits IKE_SA_INIT), up (no-return-route)
    result = build_watch(
        "lab",
        scenario_samples("baseline", "psk", "lifetime", "udp-blocked", "no-return-route"),
    )
    assert result.verdict.cause == "flapping-path"
    assert [e.sample for e in _events(result, "ike-down", "siteA")] == [2, 4]
    assert [e.sample for e in _events(result, "ike-up", "siteA")] == [1, 3, 5]
    assert "2 times" in result.verdict.summary
    # udp-blocked: siteA's log "retransmit 1 of request with message ID 0", "retransmit 2"
    assert [e.sample for e in _events(result, "retransmit", "siteA")] == [4]
    assert result.elapsed_s == pytest.approx(33.0, abs=1.0)  # 20:47:48 -> 20:48:21


def test_dpd_takes_the_tunnel_down() -> None:
    # dpd: both logs end "giving up after 4 retransmits"; siteA's IKE SA is CONNECTING again
    result = build_watch("lab", scenario_samples("nat-exempt", "mtu", "dpd"))
    assert result.verdict.cause == "dpd-timeout"
    dead = _events(result, "dpd")
    assert {e.peer for e in dead} == {"siteA", "siteB"}
    assert all(e.sample == 3 for e in dead)
    assert any("giving up after 4 retransmits" in line for e in dead for line in e.evidence)
    assert {e.peer for e in _events(result, "ike-down")} == {"siteA", "siteB"}


def test_sas_lost_on_one_side_make_the_other_side_stale() -> None:
    # stale-sa: siteB's daemon restarted and lists no SA; siteA still lists lab and lan
    result = build_watch("lab", scenario_samples("nat-exempt", "stale-sa"))
    assert (result.verdict.cause, result.verdict.side) == ("stale-sa", "siteA")
    assert [(e.peer, e.subject) for e in _events(result, "child-down")] == [("siteB", "lab/lan")]


def test_log_lines_already_seen_are_not_counted_again() -> None:
    # the same capture twice: its log holds the same lines, nothing new happened
    result = build_watch("lab", scenario_samples("dpd", "dpd"))
    assert [e.sample for e in _events(result, "dpd")] == [1, 1]
    assert [e.sample for e in _events(result, "retransmit")] == [1, 1]


def test_one_sample_is_too_little_to_say() -> None:
    result = build_watch("lab", scenario_samples("baseline"))
    assert result.verdict.cause == "unknown"
    assert result.samples == 1


def test_rates_are_bytes_per_second_between_readings() -> None:
    # baseline probe, siteA: before (10:12:17.131) in/out 504 bytes; after the ping from A
    # (10:12:17.876) in/out 756 bytes: 252 bytes in 0.745 s each way
    result = build_watch("lab", probe_samples("baseline"))
    series = {(s.peer, s.child): s for s in result.series}
    points = {p.sample: p for p in series[("siteA", "lab/lan")].points}
    assert points[3].in_bps == pytest.approx(252 / 0.745)
    assert points[3].out_bps == pytest.approx(252 / 0.745)
    assert points[2].in_bps == 0 and points[2].out_bps == 0  # snapshot -> before: no traffic
    assert result.verdict.cause == "healthy"


@pytest.mark.parametrize(
    ("scenario", "cause", "one_way"),
    [
        # siteB before: in 252 bytes, out 0; after A's ping: in 504, out 0
        ("no-return-route", "no-return-path", "decrypted 252 B, encrypted nothing back"),
        ("forwarding-off", "no-return-path", "decrypted 252 B, encrypted nothing back"),
        # siteB before and after A's ping: in 0 bytes; siteA out 0 -> 252
        ("esp-blocked", "esp-blocked", None),
    ],
)
def test_one_way_counters_name_the_side(scenario: str, cause: str, one_way: str | None) -> None:
    result = build_watch("lab", probe_samples(scenario))
    assert (result.verdict.cause, result.verdict.side) == (cause, "siteB")
    first = _events(result, "one-way", "siteA")[0]
    assert (first.sample, first.detail) == (3, "encrypted 252 B, decrypted nothing")
    if one_way is not None:
        assert [e.detail for e in _events(result, "one-way", "siteB")] == [one_way]


def test_the_watch_result_is_the_same_one_sample_at_a_time() -> None:
    samples = scenario_samples("baseline", "psk", "lifetime")
    watch = Watch("lab", ["siteA", "siteB"])
    counts = []
    for sample in samples:
        watch.add(sample)
        counts.append(len(watch.events))
    assert counts == sorted(counts) and counts[0] == 4  # ike-up, child-up on each side
    assert watch.result() == build_watch("lab", samples)


def test_a_sample_reads_only_the_clock_the_sas_and_the_log() -> None:
    assert sample_commands(load_platform("strongswan")) == [
        "date +%Y-%m-%dT%H:%M:%S.%N%z",
        "swanctl --list-sas",
        "cat /var/log/charon.log",
    ]
    libreswan = sample_commands(load_platform("libreswan"))
    assert libreswan[:3] == ["date +%Y-%m-%dT%H:%M:%S.%N%z", "ipsec status", "ipsec trafficstatus"]
    for platform in ("strongswan", "libreswan", "cisco_ios", "juniper_junos", "fortinet"):
        spec = load_platform(platform)
        commands = sample_commands(spec)
        assert commands, platform
        assert all(spec.check_allowed(command) == command for command in commands)
        every = spec.commands()
        assert len(commands) < len(every), platform  # not a whole collection


def test_the_json_names_the_verdict_first_and_every_kind_is_known() -> None:
    result = build_watch("lab", scenario_samples("baseline", "pfs"))
    data = to_dict(result)
    assert next(iter(data)) == "tunnel" and list(data)[1] == "diagnosis"
    assert json.loads(json.dumps(data))["diagnosis"]["cause"] == "pfs-mismatch"
    assert {e.kind for e in result.events} <= set(EVENT_KINDS)
    assert result.verdict.cause in WATCH_CAUSES
    line = event_line(result.events[-1])
    assert line.startswith("+00:14 #2") and "rekey-failed" in line


def _replayed(*scenarios: str) -> list[list[PeerCapture]]:
    return [read_capture(DATA / "captures" / "strongswan" / name) for name in scenarios]


def test_run_watch_keeps_the_samples_taken_before_ctrl_c() -> None:
    recorded = _replayed("baseline", "psk", "lifetime")

    def collect(index: int) -> tuple[list[PeerCapture], str | None]:
        if index == 3:
            raise KeyboardInterrupt  # Ctrl+C while the third sample was being collected
        return recorded[index - 1], None

    run = run_watch("lab", ["siteA", "siteB"], collect, interval=0, samples=5)
    assert run.stopped and run.result.samples == 2
    # what the two samples showed is kept: baseline up, psk down
    assert [e.sample for e in run.result.events if e.kind == "ike-down"] == [2, 2]


def test_run_watch_ends_when_every_session_is_lost_or_the_replay_runs_out() -> None:
    recorded = _replayed("baseline", "baseline")
    lost = [replace(c, error="session lost: EOF during the read") for c in recorded[1]]
    samples = [recorded[0], lost, recorded[0]]
    run = run_watch("lab", ["siteA", "siteB"], lambda i: (samples[i - 1], None), interval=0,
                    samples=3)  # fmt: skip
    assert run.stopped and run.result.samples == 2 and run.lost == ("siteA", "siteB")
    replay = run_watch(
        "lab", ["siteA", "siteB"], lambda i: (recorded[i - 1] if i <= 2 else [], None),
        interval=0, samples=10,
    )  # fmt: skip
    assert not replay.stopped and replay.result.samples == 2
