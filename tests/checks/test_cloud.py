"""The cloud end of a hybrid tunnel as a peer: documents imported, tunnels' status compared,
who starts the tunnel, an idle policy-based gateway; on the real documented samples of
tests/parsers/{aws_vpn,azure_vpngw,gcp_vpn} and the lab's recorded strongSwan."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_captures, analyse_models
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.transcript import import_documents, import_transcript
from ipsec_tui.demo import demo_scenarios
from ipsec_tui.domain.model import Finding, LogEvent, PeerModel, Status
from ipsec_tui.errors import UserError
from ipsec_tui.parsers.base import parse_peer, parse_text

TESTS = Path(__file__).parents[1]
SAMPLES = TESTS / "parsers"
DESCRIBE = SAMPLES / "aws_vpn/aws-ec2-describe-vpn-connections"
CONFIG = SAMPLES / "aws_vpn/aws-ec2-get-vpn-connection-device-sample-configuration"
AZURE = SAMPLES / "azure_vpngw"
GCP = SAMPLES / "gcp_vpn/gcloud-compute-vpn-tunnels-describe"
LAB = TESTS / "data/captures/strongswan/baseline"


def _site_a() -> PeerModel:
    return parse_peer(next(c for c in read_capture(LAB) if c.name == "siteA"))


def _cloud(tmp_path: Path, platform: str, *files: Path, name: str = "cloud") -> PeerModel:
    documents = [(str(f), f.read_text(encoding="utf-8")) for f in files]
    imported = import_documents(documents, platform, tmp_path / "capture", peer_name=name)
    return parse_peer(next(c for c in imported.captures if c.name == name))


def _finding(a: PeerModel | None, b: PeerModel | None, check_id: str) -> Finding:
    analysis = analyse_models(a, b)
    return next(f for s in analysis.steps for f in s.findings if f.check_id == check_id)


def test_one_aws_tunnel_down_is_a_warning_with_its_reason_not_an_outage(tmp_path: Path) -> None:
    aws = _cloud(tmp_path, "aws_vpn", DESCRIBE / "one-tunnel-up.txt")
    finding = _finding(_site_a(), aws, "cloud.tunnels")
    assert finding.status == Status.WARN
    assert "1 of 2" in finding.title and "tunnel1: DOWN" in finding.title
    assert {r.field: r.b for r in finding.rows} == {
        "tunnel vpn-1122334455aabbccd-tunnel1": "DOWN",
        "tunnel vpn-1122334455aabbccd-tunnel2": "UP",
    }
    # the evidence points at the status lines of the cloud's own output
    assert [(e.peer, e.line_start) for e in finding.evidence] == [("cloud", 29), ("cloud", 36)]


def test_both_aws_tunnels_down_fails_with_the_clouds_message(tmp_path: Path) -> None:
    aws = _cloud(tmp_path, "aws_vpn", DESCRIBE / "both-tunnels-down.txt")
    finding = _finding(aws, _site_a(), "cloud.tunnels")
    assert finding.status == Status.FAIL
    assert "IPSEC IS DOWN" in finding.title
    assert all(r.a == "DOWN (IPSEC IS DOWN)" and r.b is None for r in finding.rows)


def test_an_established_google_tunnel_passes_and_a_handshaking_one_does_not(
    tmp_path: Path,
) -> None:
    up = _cloud(tmp_path / "up", "gcp_vpn", GCP / "gcpdiag-established.txt")
    assert _finding(_site_a(), up, "cloud.tunnels").status == Status.PASS
    both = _cloud(
        tmp_path / "both",
        "gcp_vpn",
        GCP / "gcpdiag-established.txt",
        GCP / "gcpdiag-first-handshake.txt",
    )
    finding = _finding(_site_a(), both, "cloud.tunnels")
    assert finding.status == Status.WARN and "vpn-tunnel-down: FIRST_HANDSHAKE" in finding.title


def test_a_pair_without_a_cloud_peer_has_nothing_to_say() -> None:
    site_a = _site_a()
    for check_id in ("cloud.tunnels", "cloud.initiation", "cloud.idle", "cloud.log"):
        finding = _finding(site_a, None, check_id)
        assert finding.status == Status.PASS and not finding.rows, check_id


def _with_start(peer: PeerModel, action: str) -> PeerModel:
    """The peer with every child's start action set (the samples do not print AWS's)."""
    return replace(
        peer,
        connections=tuple(
            replace(c, children=tuple(replace(ch, start_action=action) for ch in c.children))
            for c in peer.connections
        ),
    )


def test_aws_waiting_and_an_on_premises_side_that_only_answers_means_nobody_starts(
    tmp_path: Path,
) -> None:
    aws = _with_start(_cloud(tmp_path, "aws_vpn", DESCRIBE / "both-tunnels-down.txt"), "add")
    site_a = _with_start(_site_a(), "none")
    finding = _finding(site_a, aws, "cloud.initiation")
    assert finding.status == Status.FAIL and "nobody initiates" in finding.title
    assert [(v.cause, v.side) for v in finding.causes] == [("no-traffic", "siteA")]
    # on traffic only: the tunnel stays down while nothing is sent
    trapping = _finding(_with_start(_site_a(), "trap"), aws, "cloud.initiation")
    assert trapping.status == Status.WARN and "with no traffic" in trapping.title
    # the on-premises side starts it at once, or AWS does: nothing to fix
    assert _finding(_with_start(_site_a(), "start"), aws, "cloud.initiation").status == (
        Status.PASS
    )
    aws_starts = _with_start(aws, "start")
    assert _finding(site_a, aws_starts, "cloud.initiation").status == Status.PASS


def test_aws_startup_action_not_shown_is_unknown(tmp_path: Path) -> None:
    aws = _cloud(tmp_path, "aws_vpn", DESCRIBE / "one-tunnel-up.txt")
    assert _finding(_site_a(), aws, "cloud.initiation").status == Status.UNKNOWN


def test_a_policy_based_azure_gateway_warns_about_the_idle_drop(tmp_path: Path) -> None:
    azure = _cloud(
        tmp_path,
        "azure_vpngw",
        AZURE / "az-network-vpn-connection-show/default-policy.txt",
        AZURE / "az-network-vnet-gateway-show/route-based-standard.txt",
    )
    assert azure.software == "Azure VPN Gateway (RouteBased, Standard)"
    assert _finding(_site_a(), azure, "cloud.idle").status == Status.PASS
    policy_based = replace(azure, software="Azure VPN Gateway (PolicyBased, Basic)")
    finding = _finding(_site_a(), policy_based, "cloud.idle")
    assert finding.status == Status.WARN and "5 minutes" in finding.title
    assert "start_action = trap" in finding.next_action
    # without the gateway document the type is not known
    alone = _cloud(
        tmp_path / "alone",
        "azure_vpngw",
        AZURE / "az-network-vpn-connection-show/default-policy.txt",
    )
    assert _finding(_site_a(), alone, "cloud.idle").status == Status.UNKNOWN


def test_import_recognises_each_document_and_redacts_the_key(tmp_path: Path) -> None:
    config = (CONFIG / "generic-bgp.txt").read_text(encoding="utf-8")
    raw = config.replace("<redacted:fp=", "key-").replace(">", "")  # the keys as downloaded
    keys = {
        line.split(":", 1)[1].strip() for line in raw.splitlines() if "- Pre-Shared Key" in line
    }
    assert len(keys) == 2
    imported = import_documents(
        [
            ("describe.json", (DESCRIBE / "one-tunnel-up.txt").read_text(encoding="utf-8")),
            ("vpn-config.txt", raw),
        ],
        "aws_vpn",
        tmp_path / "capture",
    )
    (cloud,) = imported.captures
    assert cloud.name == "aws_vpn" and cloud.platform == "aws_vpn"
    assert [r.command for r in cloud.commands] == [
        "aws ec2 describe-vpn-connections",
        "aws ec2 get-vpn-connection-device-sample-configuration",
    ]
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "capture").rglob("*.txt"))
    assert not any(key in written for key in keys)
    # an import redacts without a run's key: the mark carries no fingerprint to compare
    model = parse_peer(cloud)
    config_tunnels = [c for c in model.connections if c.name.startswith("vpn-44a8938f")]
    assert len(config_tunnels) == 2
    assert all(c.local_auth == "psk" and c.psk_fingerprint is None for c in config_tunnels)


def test_an_unrecognised_document_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"notes\.txt: not a document aws_vpn reads"):
        import_documents(
            [
                ("describe.json", (DESCRIBE / "one-tunnel-up.txt").read_text(encoding="utf-8")),
                ("notes.txt", "the tunnel went down at noon\n"),
            ],
            "aws_vpn",
            tmp_path / "capture",
        )
    assert not (tmp_path / "capture").exists()


def test_the_cockpits_paste_takes_a_cloud_document_too(tmp_path: Path) -> None:
    out = tmp_path / "capture"
    import_transcript(
        (LAB / "siteA/swanctl-list-sas.txt")
        .read_text(encoding="utf-8")
        .join(["root@siteA:~# swanctl --list-sas\n", "root@siteA:~# "]),
        "strongswan",
        out,
    )
    pasted = import_transcript(
        (AZURE / "az-network-vpn-connection-show/ipsec-policy-ikev2.txt").read_text(
            encoding="utf-8"
        ),
        "azure_vpngw",
        out,
        peer_name="azure",
    )
    assert [c.name for c in pasted.captures] == ["siteA", "azure"]
    analysis = analyse_captures(list(pasted.captures))
    assert analysis.pair.b is not None and analysis.pair.b.connections[0].name == "conn1"


def test_import_on_the_command_line_takes_several_files(tmp_path: Path) -> None:
    out = tmp_path / "capture"
    done = subprocess.run(
        [sys.executable, "-m", "ipsec_tui.cli", "import", "--platform", "gcp_vpn",
         str(GCP / "gcpdiag-established.txt"), str(GCP / "gcpdiag-first-handshake.txt"),
         "--out", str(out), "--peer", "gcp"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "imported 2 commands of gcp (gcp_vpn)" in done.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "ipsec_tui.cli", "import", "--platform", "gcp_vpn",
         str(DESCRIBE / "one-tunnel-up.txt"), "--out", str(tmp_path / "other")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and "not a document gcp_vpn reads" in refused.stderr


def test_the_demo_pairs_the_lab_with_a_recorded_cloud_side() -> None:
    scenario = next(s for s in demo_scenarios() if s.name == "aws-vpn-strongswan")
    captures = read_capture(scenario.path)
    assert [(c.name, c.platform) for c in captures] == [("siteA", "strongswan"), ("aws", "aws_vpn")]
    analysis = analyse_captures(captures)
    assert analysis.diagnosis.cause == scenario.expected_cause
    tunnels = next(f for s in analysis.steps for f in s.findings if f.check_id == "cloud.tunnels")
    assert tunnels.status == Status.WARN


def test_google_hearing_nothing_from_the_peer_names_the_on_premises_side(tmp_path: Path) -> None:
    # NO_INCOMING_PACKETS ("No incoming packets from peer") in a real VpnTunnel
    gcp = _cloud(tmp_path, "gcp_vpn", GCP / "api-pprint-no-incoming-packets.txt")
    [status] = gcp.log
    assert status.causes == ("retransmit",)
    finding = _finding(_site_a(), gcp, "cloud.log")
    assert finding.status == Status.FAIL and "peer-unreachable" in finding.title
    assert [(v.cause, v.side) for v in finding.causes] == [("peer-unreachable", "siteA")]
    assert [(e.peer, e.line_start) for e in finding.evidence] == [("cloud", 14)]
    # an established tunnel says nothing of the kind
    up = _cloud(tmp_path / "up", "gcp_vpn", GCP / "gcpdiag-established.txt")
    assert _finding(_site_a(), up, "cloud.log").status == Status.PASS


def _aws_said(aws: PeerModel, *details: str, phase1: str | None = None) -> PeerModel:
    """The AWS peer with tunnel activity events as the log parser makes them of records whose
    `details` are AWS's documented wordings (log-contents.md: no real record is public)."""
    events: list[LogEvent] = []
    for number, said in enumerate(details, 1):
        record = {"details": said, **({"ike_phase1_state": phase1} if phase1 else {})}
        _, fragment = parse_text("aws_vpn", "aws logs filter-log-events", json.dumps(record))
        events += [replace(e, line=number) for e in fragment.log]
    return replace(aws, log=aws.log + tuple(events))


def test_aws_refusing_the_proposal_names_the_customer_gateway_to_fix(tmp_path: Path) -> None:
    aws = _aws_said(
        _cloud(tmp_path, "aws_vpn", DESCRIBE / "both-tunnels-down.txt"),
        "No Proposal Match Found by AWS",
    )
    site_a = _site_a()
    finding = _finding(site_a, aws, "cloud.log")
    assert finding.status == Status.FAIL
    assert [(v.cause, v.side) for v in finding.causes] == [("ike-proposal-mismatch", "siteA")]
    assert "On siteA: offer the IKE (phase 1)" in finding.next_action
    analysis = analyse_models(site_a, aws)
    assert (analysis.diagnosis.cause, analysis.diagnosis.side) == ("ike-proposal-mismatch", "siteA")


def test_aws_notifying_no_proposal_chosen_is_phase_2_once_phase_1_is_up(tmp_path: Path) -> None:
    aws = _cloud(tmp_path, "aws_vpn", DESCRIBE / "both-tunnels-down.txt")
    said = 'No Proposal Match Found. Notifying with "No proposal chosen"'
    for phase1, cause in (
        ("established", "child-proposal-mismatch"),
        ("down", "ike-proposal-mismatch"),
    ):
        finding = _finding(_site_a(), _aws_said(aws, said, phase1=phase1), "cloud.log")
        assert [(v.cause, v.side) for v in finding.causes] == [(cause, "siteA")], phase1


def test_aws_key_mismatch_and_dead_peer_are_named(tmp_path: Path) -> None:
    aws = _aws_said(
        _cloud(tmp_path, "aws_vpn", DESCRIBE / "both-tunnels-down.txt"),
        "AWS tunnel detected a pre-shared key mismatch with cgw: xxxx",
        "AWS tunnel DPD timed out after {retry_count} retransmits",
    )
    finding = _finding(_site_a(), aws, "cloud.log")
    assert sorted((v.cause, v.side) for v in finding.causes) == [
        ("dpd-timeout", "siteA"),
        ("psk-mismatch", "siteA"),
    ]
    assert {r.field: r.b for r in finding.rows} == {
        "cloud says psk-mismatch": "1",
        "cloud says dpd-timeout": "1",
    }


def test_the_google_demo_names_the_path_to_the_peer_on_the_lab_side() -> None:
    scenario = next(s for s in demo_scenarios() if s.name == "gcp-vpn-strongswan")
    captures = read_capture(scenario.path)
    assert [(c.name, c.platform) for c in captures] == [("siteA", "strongswan"), ("gcp", "gcp_vpn")]
    analysis = analyse_captures(captures)
    assert (analysis.diagnosis.cause, analysis.diagnosis.side) == (scenario.expected_cause, "siteA")
    said = next(f for s in analysis.steps for f in s.findings if f.check_id == "cloud.log")
    assert said.status == Status.FAIL and said.evidence[0].peer == "gcp"


def test_import_recognises_aws_log_records_by_their_fields(tmp_path: Path) -> None:
    records = SAMPLES / "aws_vpn/aws-logs-filter-log-events/bgp-status-route-status.txt"
    imported = import_documents(
        [("vpn-logs.json", records.read_text(encoding="utf-8"))],
        "aws_vpn",
        tmp_path / "capture",
        peer_name="aws",
    )
    (aws,) = imported.captures
    assert [r.command for r in aws.commands] == ["aws logs filter-log-events"]
    model = parse_peer(aws)
    assert [e.subsystem for e in model.log] == ["BGPStatus", "RouteStatus"]
    assert model.log[1].message.endswith(
        "172.31.0.0/16: DENIED due to: as-path contains our own AS"
    )


def test_the_azure_gateways_ike_log_names_the_phase_2_proposal(tmp_path: Path) -> None:
    # Network Watcher's IKElogs.txt as Microsoft documents it, imported with the gateway's
    # own `show` output: recognised by its content, the quick mode's policy match error is
    # the customer side's ESP proposal (DES/MD5 offered)
    ike_log = AZURE / "az-monitor-log-analytics-query/network-watcher-ikelogs.txt"
    azure = _cloud(
        tmp_path,
        "azure_vpngw",
        AZURE / "az-network-vpn-connection-show/default-policy.txt",
        ike_log,
    )
    assert [e.causes for e in azure.log if e.subsystem == "ike" and e.causes] == [
        ("received_proposals",),
        ("child_proposal_mismatch",),
    ]
    finding = _finding(_site_a(), azure, "cloud.log")
    assert finding.status == Status.FAIL
    assert [(v.cause, v.side) for v in finding.causes] == [("child-proposal-mismatch", "siteA")]
    assert "On siteA: offer the ESP (phase 2)" in finding.next_action
    # the evidence is the cleanup line of the gateway's log
    [line] = [e.line_start for e in finding.evidence if e.peer == "cloud"]
    assert (
        ike_log.read_text(encoding="utf-8")
        .splitlines()[line - 1]
        .startswith("IkeCleanupQMNegotiation called with error 13868")
    )


def test_the_azure_ike_errors_name_the_key(tmp_path: Path) -> None:
    errors = AZURE / "az-monitor-log-analytics-query/network-watcher-ikeerrors.txt"
    azure = _cloud(tmp_path, "azure_vpngw", errors)
    finding = _finding(_site_a(), azure, "cloud.log")
    assert [(v.cause, v.side) for v in finding.causes] == [("psk-mismatch", "siteA")]


def test_gclouds_default_yaml_is_recognised_and_read(tmp_path: Path) -> None:
    gcp = _cloud(tmp_path, "gcp_vpn", GCP / "ha-vpn-azure-yaml.txt")
    [connection] = gcp.connections
    assert (connection.name, connection.version, connection.remote_addrs) == (
        "azure-tunnel-1",
        2,
        ("203.0.113.1",),
    )
    assert _finding(_site_a(), gcp, "cloud.tunnels").status == Status.PASS
