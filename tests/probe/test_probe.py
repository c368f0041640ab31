"""The path test offline: probes recorded on the lab (tests/data/probes/<scenario>/: the
snapshot capture, OUT/probe/ with every command the probe ran, the packet captures of both
gateways' WANs among them, OUT/probe/probe.json as the live run printed it, and
probe-scenario.yml with the fault and the expected verdict, written from the fault) replayed
through the same plan, counter reading, ping and capture parsing and judgement as a live
run; and the command line's refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.cli import main
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import PeerModel
from ipsec_tui.domain.probe import ProbeResult
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import CommandRefused, load_platform
from ipsec_tui.probe import (
    CAPTURE_COMMAND,
    ProbePlan,
    Ran,
    capture_command,
    first_usable,
    judge_direction,
    packet_rows,
    plan_probe,
    read_packets,
    replay,
    run_probe,
    summarise,
    to_dict,
)
from ipsec_tui.probe_cli import print_probe
from ipsec_tui.probe_run import has_probe, replay_probe

PROBES = Path(__file__).resolve().parents[1] / "data" / "probes"
SCENARIOS = sorted(p.name for p in PROBES.iterdir() if (p / "probe-scenario.yml").is_file())


def recorded_plan(name: str) -> tuple[dict[str, Any], ProbePlan, list[tuple[str, str | None]]]:
    """A recorded probe's scenario, the plan made from its snapshot with the targets it
    used, and the snapshot's diagnosis as hints."""
    folder = PROBES / name
    scenario = yaml.safe_load((folder / "probe-scenario.yml").read_text(encoding="utf-8"))
    snapshot = read_capture(folder)
    analysis = analyse_captures(snapshot)
    assert analysis.pair.a is not None and analysis.pair.b is not None
    plan = plan_probe(
        "lab", analysis.pair.a, analysis.pair.b, targets=scenario["targets"], captures=snapshot
    )
    return scenario, plan, [(ranked.cause, ranked.side) for ranked in analysis.diagnosis.causes]


def _replayed(
    name: str, capture: bool = True
) -> tuple[dict[str, Any], ProbeResult, list[PeerCapture]]:
    scenario, plan, hints = recorded_plan(name)
    run = replay(read_capture(PROBES / name / "probe"))
    result, captures = run_probe(plan, run, hints, capture=run if capture else None)
    return scenario, result, captures


def _live(name: str) -> dict[str, Any]:
    """What the live run printed with --json (OUT/probe/probe.json)."""
    data = json.loads((PROBES / name / "probe" / "probe.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_recorded_probes_exist() -> None:
    assert {"baseline", "esp-blocked", "nat-exempt"} <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_recorded_probe_gives_the_faults_verdict(name: str) -> None:
    scenario, result, captures = _replayed(name)
    verdict = result.verdict
    assert (verdict.cause, verdict.side) == (
        scenario["expected_cause"],
        scenario["expected_side"],
    ), verdict.summary
    # both directions ran, each with the tool's own command and a ping that was read
    pairs = [(d.sender, d.receiver) for d in result.directions]
    assert pairs == [("siteA", "siteB"), ("siteB", "siteA")]
    for d in result.directions:
        assert d.ping is not None and d.ping.sent == 3, d.error
        assert d.command.startswith("ping -n -c 3 ") and d.target in d.command
    # every command the probe replayed was found in the recording: nothing was missing
    for capture in captures:
        assert all(record.error is None for record in capture.commands)
    # the replay gives what the live run gave, the packet evidence included
    live, replayed = _live(name), to_dict(result)
    assert live["diagnosis"]["cause"] == replayed["diagnosis"]["cause"]
    assert live["diagnosis"]["side"] == replayed["diagnosis"]["side"]
    # (recorded before the probe said how long its capture ran: compared on what it has)
    shared = {
        peer: {key: value for key, value in summary.items() if key in live["packets"][peer]}
        for peer, summary in replayed["packets"].items()
    }
    assert live["packets"] == shared
    # these probes ran while the capture still ran to its cap, as their record times show
    for summary in result.packets:
        assert summary.ended == "at its cap" and 7.5 <= (summary.seconds or 0) < 9, summary


@pytest.mark.parametrize("name", SCENARIOS)
def test_both_gateways_wan_was_captured_during_the_probe(name: str) -> None:
    _, result, captures = _replayed(name)
    summaries = {summary.peer: summary for summary in result.packets}
    assert set(summaries) == {"siteA", "siteB"} and result.packet_note is None
    assert (summaries["siteA"].interface, summaries["siteA"].address) == ("wanA", "203.0.113.1")
    assert (summaries["siteB"].interface, summaries["siteB"].address) == ("wanB", "203.0.113.2")
    for summary in summaries.values():
        assert summary.error is None and summary.other == 0
    # what one side sent per SPI, the other received: nothing is lost on the lab's WAN
    a, b = summaries["siteA"], summaries["siteB"]
    assert dict(a.esp_out) == dict(b.esp_in) and dict(b.esp_out) == dict(a.esp_in)
    # the capture text is an output of each peer in OUT/probe/, recorded when it ended
    for capture in captures:
        last = capture.commands[-1]
        assert last.command.startswith("timeout 8 tcpdump ") and last.file
        assert "listening on wan" in (capture.output_of(last) or "")
        pings = [r for r in capture.commands if r.command.startswith("ping ")]
        assert all(last.started_at < r.started_at for r in pings)  # type: ignore[operator]


def test_healthy_probe_moves_every_counter_by_the_pings() -> None:
    _, result, _ = _replayed("baseline")
    for d in result.directions:
        assert d.ping is not None and d.ping.received == d.ping.sent == 3
        assert d.sender_delta.encrypted == d.receiver_delta.decrypted == 3
        assert d.receiver_delta.encrypted == d.sender_delta.decrypted == 3


def test_esp_blocked_rows_show_where_the_packets_vanish() -> None:
    _, result, _ = _replayed("esp-blocked")
    a_to_b = result.directions[0]
    assert a_to_b.sender_delta.encrypted == 3 and a_to_b.receiver_delta.decrypted == 0
    data = json.loads(json.dumps(to_dict(result)))  # plain data, as --json prints it
    assert data["diagnosis"]["cause"] == "esp-blocked"
    row = data["directions"][0]
    assert row["siteA_encrypted"] == 3 and row["siteB_decrypted"] == 0
    # the captures: siteA's ESP reached siteB's WAN, so siteB itself drops it
    spi = a_to_b.sender_delta.spi_out
    assert spi and spi in data["packets"]["siteA"]["esp_out"]
    assert data["packets"]["siteB"]["esp_in"][spi] == data["packets"]["siteA"]["esp_out"][spi]
    assert f"ESP arrives at siteB (spi {spi}, 3 packets), nothing comes back" in row["packet_rows"]
    assert "siteB itself drops it" in result.verdict.summary
    assert any(line.startswith("ESP leaves siteA") for line in result.verdict.evidence)


def test_forwarding_off_shows_esp_arriving_and_nothing_coming_back() -> None:
    _, result, _ = _replayed("forwarding-off")
    rows = to_dict(result)["directions"][0]["packet_rows"]
    assert isinstance(rows, list)
    assert any(r.startswith("ESP arrives at siteB") and "nothing comes back" in r for r in rows)
    assert not any(r.startswith("ESP leaves siteB") for r in rows)


def test_nat_exempt_shows_no_esp_leaving_the_sender() -> None:
    _, result, _ = _replayed("nat-exempt")
    b_to_a = result.directions[1]
    assert b_to_a.packets is not None
    sender, receiver = b_to_a.packets
    assert sender.peer == "siteB" and sender.esp_sent() == 0 and receiver.esp_received() == 0


def _judged_with(
    name: str, sender_out: tuple[tuple[str, int], ...], receiver_in: tuple[tuple[str, int], ...]
) -> tuple[str, str | None, str]:
    """The esp-blocked recording's first direction judged with its captures' counts replaced:
    which side the packet evidence names."""
    _, result, _ = _replayed(name)
    d = result.directions[0]
    assert d.packets is not None
    sender, receiver = d.packets
    d = replace(
        d,
        packets=(replace(sender, esp_out=sender_out), replace(receiver, esp_in=receiver_in)),
    )
    verdict = judge_direction(d)
    assert verdict is not None
    return verdict.cause, verdict.side, verdict.summary


def test_packet_evidence_sharpens_the_side_of_lost_esp() -> None:
    _, result, _ = _replayed("esp-blocked")
    spi = result.directions[0].sender_delta.spi_out
    assert spi
    # seen leaving siteA and arriving at siteB: siteB itself
    cause, side, _ = _judged_with("esp-blocked", ((spi, 3),), ((spi, 3),))
    assert (cause, side) == ("esp-blocked", "siteB")
    # seen leaving siteA, never at siteB: between them, neither gateway
    cause, side, summary = _judged_with("esp-blocked", ((spi, 3),), ())
    assert (cause, side) == ("esp-blocked", None) and "between them" in summary
    # encrypted by siteA but never on its WAN: siteA drops it itself
    cause, side, summary = _judged_with("esp-blocked", (), ())
    assert (cause, side) == ("esp-blocked", "siteA") and "wanA" in summary
    # another SPI's packets are not this SA's
    cause, side, _ = _judged_with("esp-blocked", (("0badc0de", 3),), (("0badc0de", 3),))
    assert side == "siteA"


def test_without_a_capture_the_counters_still_judge_and_it_is_said_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, result, captures = _replayed("esp-blocked", capture=False)
    assert (result.verdict.cause, result.verdict.side) == ("esp-blocked", "siteB")
    assert result.packets == () and result.packet_note
    assert all(d.packets is None for d in result.directions)
    assert not any("tcpdump" in r.command for c in captures for r in c.commands)
    print_probe(result)
    out = capsys.readouterr().out
    assert out.count("packets: no capture") == 1 and "ESP leaves" not in out


def test_printed_table_shows_each_wan_and_where_esp_went(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, result, _ = _replayed("esp-blocked")
    print_probe(result)
    out = capsys.readouterr().out
    assert "siteA on wanA (203.0.113.1)" in out and "siteB on wanB (203.0.113.2)" in out
    assert "during siteA -> siteB:" in out and "nothing comes back" in out


def test_capture_command_only_where_the_platform_allows_it() -> None:
    analysis = analyse_captures(read_capture(PROBES / "baseline"))
    assert analysis.pair.a and analysis.pair.b
    plan = plan_probe(
        "lab", analysis.pair.a, analysis.pair.b, captures=read_capture(PROBES / "baseline")
    )
    strongswan = load_platform("strongswan")
    command, why = capture_command(strongswan, plan.a)
    assert command == CAPTURE_COMMAND.format(interface="wanA") and why is None
    # a network CLI has no capture; a name that is not a plain interface name is not sent
    command, why = capture_command(load_platform("cisco_ios"), plan.a)
    assert command is None and why and "no packet capture" in why
    command, why = capture_command(strongswan, replace(plan.a, wan_if="wanA;id"))
    assert command is None and why and "not a plain name" in why
    command, why = capture_command(strongswan, replace(plan.a, wan_if=None))
    assert command is None and why and "interface" in why


@pytest.mark.parametrize(
    "command",
    [
        "timeout 9 tcpdump -nn -tt -l -c 400 -i wanA udp port 500 or udp port 4500 or esp",
        "timeout 8 tcpdump -nn -tt -l -c 4000 -i wanA udp port 500 or udp port 4500 or esp",
        "timeout 8 tcpdump -nn -tt -l -c 400 -i wanA -w /tmp/x udp port 500",
        "timeout 8 tcpdump -nn -tt -l -c 400 -i wanA tcp port 22",
        "tcpdump -nn -tt -l -c 400 -i wanA udp port 500 or udp port 4500 or esp",
    ],
)
def test_the_allowlist_takes_only_the_capture_the_tool_builds(command: str) -> None:
    for name in ("strongswan", "libreswan"):
        with pytest.raises(CommandRefused):
            load_platform(name).check_allowed(command)


def test_summary_counts_only_the_two_gateways_packets() -> None:
    """Packets between other addresses on the same WAN (other tunnels) are counted apart."""
    folder = PROBES / "baseline"
    snapshot = read_capture(folder)
    analysis = analyse_captures(snapshot)
    assert analysis.pair.a and analysis.pair.b
    plan = plan_probe("lab", analysis.pair.a, analysis.pair.b, captures=snapshot)
    site_a = next(c for c in read_capture(folder / "probe") if c.name == "siteA")
    record = site_a.commands[-1]
    packets, error = read_packets(plan.a, record.command, Ran(site_a.output_of(record)))
    assert error is None and packets
    ours = summarise(plan.a, packets)
    assert ours.other == 0 and ours.esp_sent() and ours.esp_received()
    theirs = summarise(replace(plan.a, far_addr="198.51.100.99"), packets)
    assert theirs.esp_sent() == theirs.esp_received() == theirs.ike_out == 0
    assert theirs.other == sum(1 for p in packets if p.kind != "keepalive")


def test_plan_defaults_to_own_lan_address_and_first_far_host() -> None:
    analysis = analyse_captures(read_capture(PROBES / "baseline"))
    a, b = analysis.pair.a, analysis.pair.b
    assert isinstance(a, PeerModel) and isinstance(b, PeerModel)
    plan = plan_probe("lab", a, b)
    assert (plan.a.source_addr, plan.a.target) == ("10.1.0.1", "10.2.0.1")
    assert (plan.b.source_addr, plan.b.target) == ("10.2.0.1", "10.1.0.1")


def test_plan_refuses_a_target_outside_every_selector() -> None:
    analysis = analyse_captures(read_capture(PROBES / "baseline"))
    assert analysis.pair.a and analysis.pair.b
    with pytest.raises(UserError, match="--target siteA=ADDR"):
        plan_probe("lab", analysis.pair.a, analysis.pair.b, targets={"siteA": "10.77.0.1"})


def test_first_usable_host() -> None:
    assert first_usable(["10.2.0.0/24"]) == "10.2.0.1"
    assert first_usable(["10.2.0.7/32"]) == "10.2.0.7"
    assert first_usable(["0.0.0.0/0", "10.9.0.0/16[tcp/443]"]) == "10.9.0.1"
    assert first_usable(["fd00:1::/64"]) == "fd00:1::1"


def test_probe_commands_are_built_from_validated_values_only() -> None:
    probe = load_platform("strongswan").probe
    assert probe is not None
    assert (
        probe.command("10.2.0.1", "10.1.0.1", 2) == "ping -n -c 2 -i 0.2 -W 1 -I 10.1.0.1 10.2.0.1"
    )
    for target, source, count in (
        ("10.2.0.1; reboot", "10.1.0.1", 3),
        ("10.2.0.1", "$(id)", 3),
        ("10.2.0.1", "10.1.0.1", 0),
        ("10.2.0.1", "10.1.0.1", 11),
    ):
        with pytest.raises(UserError):
            probe.command(target, source, count)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--count", "50"], "--count must be 1-10"),
        (["--target", "siteA"], "write it as PEER=VALUE"),
        (["--target", "siteC=10.2.0.1"], "no peer 'siteC'"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inventory.yml"
    peer = {"platform": "strongswan", "host": "127.0.0.1", "username": "ops"}
    tunnel = {"peers": {"siteA": peer, "siteB": peer}}
    inventory.write_text(yaml.safe_dump({"tunnels": {"lab": tunnel}}), encoding="utf-8")
    code = main(["probe", "-i", str(inventory), "-t", "lab", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_udp_blocked_ike_reaches_the_receiver_and_gets_no_answer() -> None:
    _, result, _ = _replayed("udp-blocked")
    summaries = {summary.peer: summary for summary in result.packets}
    a, b = summaries["siteA"], summaries["siteB"]
    assert a.ike_requests_out >= 1 and b.ike_requests_in == a.ike_requests_out
    assert b.ike_responses_out == 0 and a.ike_responses_in == 0
    assert (result.verdict.cause, result.verdict.side) == ("peer-unreachable", "siteB")
    row = f"IKE reaches siteB ({b.ike_requests_in} requests during the probe), siteB never answers"
    assert row in result.verdict.evidence
    # had siteB's WAN seen none of them, they were lost between the gateways
    unseen = replace(b, ike_in=0, ike_requests_in=0)
    verdict = judge_direction(result.directions[0], (a, unseen))
    assert verdict is not None and (verdict.cause, verdict.side) == ("peer-unreachable", None)
    assert "between them" in verdict.summary


def test_one_side_without_a_capture_is_said_once_and_gives_no_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = PROBES / "esp-blocked"
    snapshot = read_capture(folder)
    analysis = analyse_captures(snapshot)
    assert analysis.pair.a and analysis.pair.b
    plan = plan_probe("lab", analysis.pair.a, analysis.pair.b, captures=snapshot)
    plan = replace(plan, b=replace(plan.b, wan_if=None))
    run = replay(read_capture(folder / "probe"))
    result, _ = run_probe(plan, run, capture=run)
    b = next(summary for summary in result.packets if summary.peer == "siteB")
    assert b.error and "interface of its IKE address" in b.error
    assert all(packet_rows(d) == [] for d in result.directions)
    # without siteB's capture the counters alone judge, nearest the receiver
    assert (result.verdict.cause, result.verdict.side) == ("esp-blocked", "siteB")
    assert "siteB itself" not in result.verdict.summary
    print_probe(result)
    out = capsys.readouterr().out
    assert out.count("siteB: no packet capture") == 1


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_probed_folder_is_judged_again_offline_as_it_was_live(name: str) -> None:
    """`replay_probe` (what the cockpit shows for a probed capture folder) plans from the
    snapshot with the sources and targets the live run used, and gives the fault's verdict."""
    scenario = yaml.safe_load((PROBES / name / "probe-scenario.yml").read_text(encoding="utf-8"))
    probe = replay_probe(PROBES / name)
    verdict = probe.result.verdict
    assert (verdict.cause, verdict.side) == (scenario["expected_cause"], scenario["expected_side"])
    assert probe.to_dict()["snapshot"]["cause"] == probe.analysis.diagnosis.cause
    assert has_probe(PROBES / name)


def test_a_folder_without_a_probe_is_refused_by_name(tmp_path: Path) -> None:
    assert not has_probe(tmp_path)
    with pytest.raises(UserError, match="no recorded probe"):
        replay_probe(tmp_path)
