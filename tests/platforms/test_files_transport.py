"""Platforms read from files (a cloud's VPN): no device type or login, their commands are the
cloud CLI's read-only ones, and `detect` says which command a document is the output of."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, load_platform

SAMPLES = Path(__file__).parents[1] / "parsers"
CONFIG = "aws-ec2-get-vpn-connection-device-sample-configuration"

BASE = {
    "name": "cloudy",
    "transport": "files",
    "facts": {"connections": [{"command": "cloudy show", "args": "(--id [a-z0-9-]+)?"}]},
    "detect": {"cloudy show": ['"tunnels"\\s*:']},
}


def test_the_cloud_platforms_load_as_files_platforms() -> None:
    for name in ("aws_vpn", "azure_vpngw", "gcp_vpn"):
        spec = load_platform(name)
        assert spec.transport == "files" and spec.device_type == "" and not spec.login_commands
        assert set(spec.detect) <= set(spec.commands())
    assert load_platform("strongswan").transport == "ssh"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"transport": "telnet"}, "transport must be one of"),
        ({"transport": "files", "device_type": "linux"}, "no device_type"),
        ({"transport": "ssh"}, "needs a device_type"),
        ({"detect": {"cloudy delete": ["x"]}}, "not a canonical allowed command"),
        ({"detect": {"cloudy show": ["(unclosed"]}}, "invalid platform definition"),
    ],
)
def test_a_files_platform_definition_is_checked(change: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        PlatformSpec.from_dict({**BASE, **change})


@pytest.mark.parametrize(
    ("platform", "sample", "command"),
    [
        ("aws_vpn", "aws_vpn/aws-ec2-describe-vpn-connections/one-tunnel-up.txt",
         "aws ec2 describe-vpn-connections"),
        ("aws_vpn", f"aws_vpn/{CONFIG}/generic-static.txt", CONFIG.replace("-", " ", 2)),
        ("azure_vpngw", "azure_vpngw/az-network-vpn-connection-show/default-policy.txt",
         "az network vpn-connection show"),
        ("azure_vpngw", "azure_vpngw/az-network-vnet-gateway-show/route-based-standard.txt",
         "az network vnet-gateway show"),
        ("gcp_vpn", "gcp_vpn/gcloud-compute-vpn-tunnels-describe/gcpdiag-established.txt",
         "gcloud compute vpn-tunnels describe"),
    ],
)  # fmt: skip
def test_each_real_sample_is_recognised_by_its_content(
    platform: str, sample: str, command: str
) -> None:
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    assert load_platform(platform).detect_command(text) == command
    others = {"aws_vpn", "azure_vpngw", "gcp_vpn"} - {platform}
    assert all(load_platform(other).detect_command(text) is None for other in others)


def test_cloud_cli_commands_that_change_something_are_refused() -> None:
    aws = load_platform("aws_vpn")
    for command in (
        "aws ec2 delete-vpn-connection --vpn-connection-id vpn-1",
        "aws ec2 modify-vpn-tunnel-options --vpn-connection-id vpn-1",
        "aws ec2 describe-vpn-connections --vpn-connection-ids vpn-1 | tee x",
    ):
        with pytest.raises(UserError):
            aws.check_allowed(command)
