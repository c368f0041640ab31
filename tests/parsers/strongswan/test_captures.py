"""Every recorded capture through base.parse_peer, as `ipsec-tui check` reads it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.model import ParseStatus, PeerModel
from ipsec_tui.parsers.base import find_parser, parse_peer

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
CAPTURE_DIRS = sorted(path for path in CAPTURES.glob("*/*") if path.is_dir())


def expected_cause(capture_dir: Path) -> str | None:
    """The cause the recorded scenario was made to show (its scenario.yml; None for a
    capture of many tunnels, whose cause is each tunnel's)."""
    if not (capture_dir / "scenario.yml").is_file():
        return None
    scenario = yaml.safe_load((capture_dir / "scenario.yml").read_text())
    return scenario.get("expected_cause") if isinstance(scenario, dict) else None


@cache
def peers(capture_dir: Path) -> dict[str, PeerModel]:
    return {capture.name: parse_peer(capture) for capture in read_capture(capture_dir)}


def test_captures_are_there() -> None:
    assert len(CAPTURE_DIRS) >= 20


def _linux_parser(platform: str, parser_id: str | None) -> bool:
    """Whether a result came from a parser shared by every Linux platform."""
    key = (parser_id or "").partition("/")[2]
    shared = find_parser("linux", key)
    return shared is not None and find_parser(platform, key) is shared


@pytest.mark.parametrize("capture_dir", CAPTURE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_strongswan_or_linux_output_fails(capture_dir: Path) -> None:
    for model in peers(capture_dir).values():
        for result in model.parse_results:
            if model.platform == "strongswan" or _linux_parser(model.platform, result.parser):
                assert result.status != ParseStatus.FAILED, (
                    f"{capture_dir.name}/{model.name}: `{result.command}` failed: {result.reason}"
                )
            if result.status != ParseStatus.OK:
                assert result.raw is not None


def test_baseline_site_a() -> None:
    site_a = peers(CAPTURES / "strongswan" / "baseline")["siteA"]
    established = [sa for sa in site_a.ike_sas if sa.state == "ESTABLISHED"]
    assert len(established) == 1
    (ike,) = established
    assert (ike.encryption, ike.integrity, ike.prf, ike.dh_group) == (
        "aes256",
        "sha256",
        "prfsha256",
        "modp2048",
    )
    installed = [child for child in ike.child_sas if child.state == "INSTALLED"]
    assert len(installed) == 1
    (child,) = installed
    assert child.packets_in and child.packets_in > 0
    assert child.packets_out and child.packets_out > 0
    assert (child.encryption, child.integrity) == ("aes256", "sha256")


@pytest.mark.parametrize(
    "capture_dir",
    [p for p in CAPTURE_DIRS if p.parent.name == "strongswan"],
    ids=lambda p: p.name,
)
def test_spis_mirror_between_the_peers(capture_dir: Path) -> None:
    models = peers(capture_dir)
    children_a = [c for sa in models["siteA"].ike_sas for c in sa.child_sas]
    children_b = [c for sa in models["siteB"].ike_sas for c in sa.child_sas]
    if expected_cause(capture_dir) == "stale-sa":  # one side lost its SAs, the other kept them
        assert bool(children_a) != bool(children_b)
        return
    assert len(children_a) == len(children_b)
    for child_a in children_a:
        (mirror,) = [c for c in children_b if c.spi_in == child_a.spi_out]
        assert mirror.spi_out == child_a.spi_in


def test_baseline_spi_out_is_site_b_spi_in() -> None:
    models = peers(CAPTURES / "strongswan" / "baseline")
    (child_a,) = models["siteA"].ike_sas[0].child_sas
    (child_b,) = models["siteB"].ike_sas[0].child_sas
    assert child_a.spi_out == child_b.spi_in


def test_psk_scenario_site_b_logs_a_psk_mismatch() -> None:
    site_b = peers(CAPTURES / "strongswan" / "psk")["siteB"]
    assert any("psk_mismatch" in event.causes for event in site_b.log)
    assert site_b.log_file == "cat-var-log-charon.log.txt"


def test_baseline_site_a_connection_config() -> None:
    site_a = peers(CAPTURES / "strongswan" / "baseline")["siteA"]
    (connection,) = site_a.connections
    (child,) = connection.children
    assert child.local_ts == ("10.1.0.0/24",)
    assert child.remote_ts == ("10.2.0.0/24",)
    assert [proposal.dh_groups for proposal in child.proposals] == [("modp2048",)]
    # list-conns came first and won; swanctl.conf filled what it cannot show
    assert connection.psk_fingerprint is not None
    assert connection.proposals[0].encryption == ("aes256",)


def test_psk_fingerprints_differ_only_in_the_psk_scenarios() -> None:
    for capture_dir in (p for p in CAPTURE_DIRS if p.parent.name == "strongswan"):
        models = peers(capture_dir)
        fingerprints = {name: m.connections[0].psk_fingerprint for name, m in models.items()}
        differ = fingerprints["siteA"] != fingerprints["siteB"]
        wanted = expected_cause(capture_dir) == "psk-mismatch"
        assert differ == wanted, (capture_dir.name, fingerprints)
