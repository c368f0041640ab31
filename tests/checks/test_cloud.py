"""The cloud end of a hybrid tunnel as a peer: documents imported, tunnels' status compared,
who starts the tunnel, an idle policy-based gateway; on the real documented samples of
tests/parsers/{aws_vpn,azure_vpngw,gcp_vpn} and the lab's recorded strongSwan."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ipsec_tui.analysis import analyse_captures, analyse_models
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.collectors.transcript import import_documents, import_transcript
from ipsec_tui.demo import demo_scenarios
from ipsec_tui.domain.model import Finding, PeerModel, Status
from ipsec_tui.errors import UserError
from ipsec_tui.parsers.base import parse_peer

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
    for check_id in ("cloud.tunnels", "cloud.initiation", "cloud.idle"):
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
