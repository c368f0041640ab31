"""A cloud peer in the inventory: named by its documents and by the cloud CLI's read-only
commands, read on this machine; the collection writes it beside the SSH peer, redacted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ipsec_tui.collectors.cloud import read_cloud_peer, run_local
from ipsec_tui.collectors.inventory import parse_inventory
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import CommandRefused, load_platform

SAMPLES = Path(__file__).parents[1] / "parsers"
DESCRIBE = SAMPLES / "aws_vpn/aws-ec2-describe-vpn-connections/one-tunnel-up.txt"


def _inventory(cloud: dict[str, object], tmp_path: Path) -> object:
    data = {
        "defaults": {"username": "ops"},
        "tunnels": {
            "hybrid": {
                "peers": {
                    "siteA": {"host": "198.51.100.11", "platform": "strongswan"},
                    "aws": {"platform": "aws_vpn", **cloud},
                }
            }
        },
    }
    return parse_inventory(data, tmp_path / "inventory.yml")


def test_a_cloud_peer_is_named_by_documents_and_local_commands(tmp_path: Path) -> None:
    inventory = _inventory(
        {
            "documents": [str(DESCRIBE)],
            "commands": ["aws ec2 describe-vpn-connections --vpn-connection-ids vpn-0123"],
        },
        tmp_path,
    )
    aws = inventory.tunnel("hybrid").peers[1]  # type: ignore[attr-defined]
    assert (aws.host, aws.platform, aws.documents) == ("", "aws_vpn", (DESCRIBE,))
    assert aws.local_commands == ("aws ec2 describe-vpn-connections --vpn-connection-ids vpn-0123",)


@pytest.mark.parametrize(
    ("cloud", "message"),
    [
        ({}, "needs `documents` or `commands`"),
        ({"host": "203.0.113.9", "documents": ["x"]}, "field 'host' does not apply"),
        ({"commands": ["aws ec2 delete-vpn-connection --vpn-connection-id x"]}, "refused"),
        ({"commands": ["aws ec2 describe-vpn-connections; rm -rf /"]}, "refused"),
    ],
)
def test_a_cloud_peer_that_is_not_read_only_or_incomplete_is_refused(
    cloud: dict[str, object], message: str, tmp_path: Path
) -> None:
    with pytest.raises(UserError, match=message):
        _inventory(cloud, tmp_path)


def test_documents_and_command_outputs_are_read_and_recognised(tmp_path: Path) -> None:
    inventory = _inventory(
        {
            "documents": [str(DESCRIBE), str(tmp_path / "missing.json")],
            "commands": [
                "aws ec2 describe-vpn-connections --vpn-connection-ids vpn-0123",
                "aws ec2 describe-vpn-connections --vpn-connection-ids vpn-9999",
            ],
        },
        tmp_path,
    )
    aws = inventory.tunnel("hybrid").peers[1]  # type: ignore[attr-defined]
    ran: list[list[str]] = []

    def runner(argv: list[str], timeout: float) -> tuple[int, str, str]:
        ran.append(argv)
        if argv[-1] == "vpn-9999":
            return 254, "", "\nAn error occurred (InvalidVpnConnectionID.NotFound) when calling"
        return 0, DESCRIBE.read_text(encoding="utf-8"), ""

    capture = read_cloud_peer(aws, load_platform("aws_vpn"), runner=runner)
    assert ran[0] == ["aws", "ec2", "describe-vpn-connections", "--vpn-connection-ids", "vpn-0123"]
    errors = [r.error for r in capture.commands if r.error]
    assert len(errors) == 2 and "InvalidVpnConnectionID.NotFound" in errors[1]
    assert [r.file for r in capture.commands if r.ok] == [
        "aws-ec2-describe-vpn-connections.txt",
        "aws-ec2-describe-vpn-connections-vpn-connection-ids-vpn-0123.txt",
    ]


def test_a_program_is_run_without_a_shell_and_bounded() -> None:
    status, out, _ = run_local([sys.executable, "-c", "print('x'); import sys; sys.exit(3)"], 10)
    assert (status, out) == (3, "x\n")
    assert run_local(["no-such-cloud-cli-here"], 5)[0] == 127
    status, _, err = run_local([sys.executable, "-c", "import time; time.sleep(5)"], 0.5)
    assert status == -1 and "timed out" in err


def test_an_ssh_platform_is_never_read_as_documents(tmp_path: Path) -> None:
    inventory = _inventory({"documents": [str(DESCRIBE)]}, tmp_path)
    site_a = inventory.tunnel("hybrid").peers[0]  # type: ignore[attr-defined]
    with pytest.raises(UserError, match="collected over SSH"):
        read_cloud_peer(site_a, load_platform("strongswan"))
    assert issubclass(CommandRefused, UserError)


def test_a_collection_reads_cloud_peers_and_their_bundle_carries_them_redacted(
    tmp_path: Path,
) -> None:
    import zipfile

    from ipsec_tui.collectors.capture_io import read_capture
    from ipsec_tui.collectors.run import collect_tunnel
    from ipsec_tui.evidence.bundle import bundle_capture
    from ipsec_tui.parsers.base import parse_peer

    config = SAMPLES / "aws_vpn/aws-ec2-get-vpn-connection-device-sample-configuration"
    raw = (config / "generic-bgp.txt").read_text(encoding="utf-8")
    raw = raw.replace("<redacted:fp=", "key-").replace(">", "")  # the file as downloaded
    keys = [
        line.split(":", 1)[1].strip() for line in raw.splitlines() if "- Pre-Shared Key" in line
    ]
    downloaded = tmp_path / "vpn-config.txt"
    downloaded.write_text(raw, encoding="utf-8")
    gcp = SAMPLES / "gcp_vpn/gcloud-compute-vpn-tunnels-describe/gcpdiag-established.txt"
    data = {
        "tunnels": {
            "clouds": {
                "peers": {
                    "aws": {"platform": "aws_vpn", "documents": [str(DESCRIBE), str(downloaded)]},
                    "gcp": {"platform": "gcp_vpn", "documents": [str(gcp)]},
                }
            }
        }
    }
    tunnel = parse_inventory(data, tmp_path / "inventory.yml").tunnel("clouds")
    result = collect_tunnel(tunnel, tmp_path / "capture", passwords={})
    assert all(p.capture.error is None and p.write_error is None for p in result.peers), result
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "capture").rglob("*.txt"))
    assert keys and not any(key in written for key in keys)
    aws = parse_peer(next(c for c in read_capture(tmp_path / "capture") if c.name == "aws"))
    # one salt per collection: the two keys give two comparable fingerprints
    assert len({c.psk_fingerprint for c in aws.connections if c.psk_fingerprint}) == 2
    bundle = bundle_capture(tmp_path / "capture", tmp_path / "ticket.zip")
    with zipfile.ZipFile(bundle.path) as archive:
        names = archive.namelist()
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in names)
    assert any(
        n.endswith("aws-ec2-get-vpn-connection-device-sample-configuration.txt") for n in names
    )
    assert not any(key in text for key in keys)
