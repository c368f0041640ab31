"""Inventory loading and its validation messages (file, tunnel, peer and field named)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ipsec_tui.collectors.inventory import JumpHost, load_inventory
from ipsec_tui.errors import UserError

LAB = """
defaults: {username: ops, known_hosts: ./known_hosts}
tunnels:
  lab:
    description: the lab
    peers:
      siteA: {host: 198.51.100.11, port: 22, platform: strongswan, username: root,
              auth: key, key_file: ./id_ed25519, timeout: 20, command_timeout: 15,
              overrides: {log_file: /var/log/strongswan/charon.log}}
      siteB: {host: 198.51.100.12, platform: libreswan, auth: agent,
              jump_host: "jump@bastion.example:2222"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yml"
    path.write_text(text)
    return path


def lab_data() -> dict[str, Any]:
    data = yaml.safe_load(LAB)
    assert isinstance(data, dict)
    return data


def peer_a(data: dict[str, Any]) -> dict[str, Any]:
    peer = data["tunnels"]["lab"]["peers"]["siteA"]
    assert isinstance(peer, dict)
    return peer


def test_load_the_documented_shape(tmp_path: Path) -> None:
    inventory = load_inventory(write(tmp_path, LAB))
    tunnel = inventory.tunnel()  # the only one
    assert tunnel.name == "lab" and tunnel.description == "the lab"
    a, b = tunnel.peers
    assert (a.name, b.name) == ("siteA", "siteB")
    assert a.host == "198.51.100.11" and a.port == 22 and a.platform == "strongswan"
    assert a.username == "root"  # the peer's own value beats defaults
    assert b.username == "ops"
    assert a.key_file == tmp_path / "id_ed25519"  # relative to the inventory's folder
    assert a.known_hosts == b.known_hosts == tmp_path / "known_hosts"
    assert a.timeout == 20 and a.command_timeout == 15
    assert dict(a.overrides) == {"log_file": "/var/log/strongswan/charon.log"}
    assert b.auth == "agent" and b.key_file is None
    assert b.jump_host == JumpHost(host="bastion.example", port=2222, username="jump")
    assert b.jump_username == "jump" and a.jump_username == "root"
    assert str(b.jump_host) == "jump@bastion.example:2222"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bastion", JumpHost("bastion", 22, None)),
        ("u@bastion", JumpHost("bastion", 22, "u")),
        ("u@[2001:db8::1]:2200", JumpHost("2001:db8::1", 2200, "u")),
        ("10.0.0.1:2022", JumpHost("10.0.0.1", 2022, None)),
    ],
)
def test_jump_host_forms(tmp_path: Path, text: str, expected: JumpHost) -> None:
    data = lab_data()
    peer_a(data)["jump_host"] = text
    peer = load_inventory(write(tmp_path, yaml.safe_dump(data))).tunnel("lab").peers[0]
    assert peer.jump_host == expected
    peer_a(data)["jump_host"] = {"host": expected.host, "port": expected.port}
    jump = load_inventory(write(tmp_path, yaml.safe_dump(data))).tunnel().peers[0].jump_host
    assert jump == JumpHost(expected.host, expected.port, None)


def test_defaults_apply_and_home_expands(tmp_path: Path) -> None:
    data = lab_data()
    del data["defaults"]["known_hosts"]
    inventory = load_inventory(write(tmp_path, yaml.safe_dump(data)))
    assert inventory.tunnel().peers[0].known_hosts == Path("~/.ssh/known_hosts").expanduser()
    assert inventory.tunnel().peers[1].command_timeout == 30


def change(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node: Any = data
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()
A = "tunnels.lab.peers.siteA"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (f"{A}.password", "hunter2", r"peer 'siteA'.*'password' is not allowed.*keyring set"),
        ("defaults.password", "x", r"defaults: field 'password' is not allowed"),
        (f"{A}.secret", "x", r"'secret' is not allowed"),
        (f"{A}.host", DELETE, r"tunnel 'lab', peer 'siteA': field 'host' is required"),
        (f"{A}.platform", DELETE, r"field 'platform' is required"),
        (f"{A}.platform", "vyos", r"field 'platform': unknown platform 'vyos'"),
        (f"{A}.auth", "telnet", r"field 'auth' must be one of key, agent, password"),
        (f"{A}.port", 70000, r"field 'port' must be a TCP port"),
        (f"{A}.port", "ssh", r"field 'port' must be a TCP port"),
        (f"{A}.timeout", 0, r"field 'timeout' must be a number of seconds"),
        (f"{A}.command_timeout", "soon", r"field 'command_timeout' must be a number"),
        (f"{A}.conn_timeout", 5, r"give 'timeout' or 'conn_timeout', not both"),
        (f"{A}.hostname", "x", r"peer 'siteA': unknown field\(s\) hostname"),
        (f"{A}.device_type", "linux", r"unknown field\(s\) device_type"),
        (f"{A}.overrides", {"logfile": "/x"}, r"field 'overrides': unknown override 'logfile'"),
        (f"{A}.overrides", {"log_file": "/x;reboot"}, r"field 'overrides'.*metacharacters"),
        (f"{A}.jump_host", "a@b@c", r"field 'jump_host' must look like"),
        (f"{A}.ssh_config_file", "./cfg", r"'jump_host' and 'ssh_config_file' exclude"),
        ("tunnels.lab.peers.siteC", {"host": "x", "platform": "strongswan"}, r"exactly two"),
        ("tunnels.lab.peers.siteB", DELETE, r"tunnel 'lab': field 'peers' must name exactly two"),
        ("tunnels.lab.colour", "red", r"tunnel 'lab': unknown field\(s\) colour"),
        ("defaults.host", "x", r"defaults: field 'host' belongs to each peer"),
        ("defaults.username", DELETE, r"peer 'siteB': field 'username' is required"),
        ("tunnels", {}, r"no tunnels defined"),
        ("tunnels", DELETE, r"tunnels must be a mapping"),
        ("extra", 1, r"unknown field\(s\) extra"),
        ("tunnels.bad name", {"peers": {}}, r"tunnel name 'bad name'"),
    ],
)
def test_validation_errors_name_the_place(
    tmp_path: Path, path: str, value: Any, message: str
) -> None:
    data = change(lab_data(), path, value)
    if path.endswith("ssh_config_file"):
        change(data, f"{A}.jump_host", "bastion")
    inventory_path = write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(UserError, match=message) as error:
        load_inventory(inventory_path)
    assert str(inventory_path) in str(error.value)
    assert error.value.exit_code == 2


def test_key_file_only_with_auth_key(tmp_path: Path) -> None:
    data = change(lab_data(), f"{A}.auth", "password")
    with pytest.raises(UserError, match="'key_file' only applies to auth: key"):
        load_inventory(write(tmp_path, yaml.safe_dump(data)))


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="inventory file not found"):
        load_inventory(tmp_path / "missing.yml")
    with pytest.raises(UserError, match="not valid YAML"):
        load_inventory(write(tmp_path, "tunnels: [unclosed"))
    with pytest.raises(UserError, match="the top level must be a mapping"):
        load_inventory(write(tmp_path, "- a list\n"))


def test_choosing_a_tunnel(tmp_path: Path) -> None:
    data = lab_data()
    data["tunnels"]["other"] = data["tunnels"]["lab"]
    inventory = load_inventory(write(tmp_path, yaml.safe_dump(data)))
    assert inventory.tunnel("other").name == "other"
    with pytest.raises(UserError, match="holds 2 tunnels; choose one with --tunnel"):
        inventory.tunnel()
    with pytest.raises(UserError, match="no tunnel 'nope' \\(known: lab, other\\)"):
        inventory.tunnel("nope")


# Numbers that are not a sensible number of seconds: not-a-number, infinities, zero,
# negative, absurdly large, a boolean (YAML `yes`), text, a list.
BAD_SECONDS = [float("nan"), float("inf"), float("-inf"), 0, 0.0, -5, 10**12, 1e300, True,
               False, "30", "soon", [30], None]  # fmt: skip


@pytest.mark.parametrize("field", ["timeout", "conn_timeout", "command_timeout"])
@pytest.mark.parametrize("value", BAD_SECONDS, ids=repr)
def test_a_timeout_that_is_not_a_sane_number_of_seconds_is_refused(
    tmp_path: Path, field: str, value: Any
) -> None:
    data = lab_data()
    if field == "conn_timeout":
        del peer_a(data)["timeout"]
    peer_a(data)[field] = value
    # written as YAML text, so .nan and .inf arrive the way an operator's file holds them
    path = write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(UserError, match=rf"peer 'siteA': field '{field}' must be a number") as e:
        load_inventory(path)
    assert e.value.exit_code == 2


@pytest.mark.parametrize("text", ["command_timeout: .nan", "command_timeout: .inf",
                                  "command_timeout: -.inf", "timeout: .NaN", "port: .nan",
                                  "port: 0x10000", "port: 1e3", "port: yes", "port: -22",
                                  "port: '70000'", "port: ' '"])  # fmt: skip
def test_yaml_spellings_of_bad_numbers_are_refused(tmp_path: Path, text: str) -> None:
    key = text.split(":")[0]
    inventory = (
        "tunnels:\n  lab:\n    peers:\n"
        f"      siteA: {{host: a, platform: strongswan, username: u, {text}}}\n"
        "      siteB: {host: b, platform: strongswan, username: u}\n"
    )
    with pytest.raises(UserError, match=rf"peer 'siteA': field '{key}' must be") as error:
        load_inventory(write(tmp_path, inventory))
    assert error.value.exit_code == 2 and len(str(error.value).splitlines()) == 1


def test_a_quoted_port_is_read_as_the_number(tmp_path: Path) -> None:
    inventory = (
        "tunnels:\n  lab:\n    peers:\n"
        "      siteA: {host: a, platform: strongswan, username: u, port: '2222'}\n"
        "      siteB: {host: b, platform: strongswan, username: u}\n"
    )
    assert load_inventory(write(tmp_path, inventory)).tunnel("lab").peers[0].port == 2222


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"log_file": "/etc/shadow"}, r"log_file '/etc/shadow' is not a log or configuration "
         r"path of strongswan: .*\(allowed: /var/log/\*\*\)"),
        ({"swanctl_conf": "/etc/ipsec.secrets"}, r"swanctl_conf '/etc/ipsec.secrets' is not a"),
        ({"log_file": "/root/.ssh/id_rsa"}, r"log_file '/root/.ssh/id_rsa' is not a log"),
        ({"log_file": "/var/log/../../etc/shadow"}, r"log_file .* it is not a plain path"),
        ({"log_file": "charon.log"}, r"log_file 'charon.log' is not a log or configuration"),
        ({"log_file": 7}, r"log_file must be a path \(text\)"),
    ],
)  # fmt: skip
def test_overrides_outside_the_platforms_paths_are_refused(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    data = change(lab_data(), f"{A}.overrides", overrides)
    with pytest.raises(UserError, match=rf"peer 'siteA': field 'overrides': {message}") as error:
        load_inventory(write(tmp_path, yaml.safe_dump(data)))
    assert error.value.exit_code == 2


@pytest.mark.parametrize("name", ["capture.yml", "peer.yml", "PEER.YML", "x" * 129, ".hidden",
                                  "..", "a/b", ""])  # fmt: skip
def test_a_peer_or_tunnel_name_that_is_no_safe_folder_name_is_refused(
    tmp_path: Path, name: str
) -> None:
    data = lab_data()
    peers = data["tunnels"]["lab"]["peers"]
    peers[name] = peers.pop("siteA")
    with pytest.raises(UserError, match="peer name"):
        load_inventory(write(tmp_path, yaml.safe_dump(data)))
    data = lab_data()
    data["tunnels"][name] = data["tunnels"].pop("lab")
    with pytest.raises(UserError, match="tunnel name"):
        load_inventory(write(tmp_path, yaml.safe_dump(data)))


def test_a_peer_may_name_its_own_connection_for_the_tunnel(tmp_path: Path) -> None:
    """Several tunnels between the same two devices: each peer names its connection (a
    tunnel's defaults may name it for both, when both devices call it alike)."""
    data = lab_data()
    peer_a(data)["connection"] = "lab7"
    data["tunnels"]["lab"]["defaults"] = {"connection": "lab"}
    data["tunnels"]["cisco"] = {
        "peers": {
            "hub": {"host": "198.51.100.1", "platform": "cisco_ios", "connection": "CMAP 10"},
            "spoke": {"host": "198.51.100.2", "platform": "strongswan"},
        }
    }
    inventory = load_inventory(write(tmp_path, yaml.safe_dump(data)))
    a, b = inventory.tunnel("lab").peers
    assert (a.connection, b.connection) == ("lab7", "lab")
    hub, spoke = inventory.tunnel("cisco").peers
    assert (hub.connection, spoke.connection) == ("CMAP 10", None)  # None: as before


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (f"{A}.connection", "", r"peer 'siteA': field 'connection' must name one of the"),
        (f"{A}.connection", ["lab"], r"field 'connection' must name"),
        (f"{A}.connection", "lab\n7", r"field 'connection' must name"),
        (f"{A}.connection", "x" * 129, r"field 'connection' must name"),
        ("defaults.connection", "lab", r"defaults: field 'connection' names one tunnel's"),
    ],
)
def test_a_connection_that_cannot_name_one_is_refused(
    tmp_path: Path, path: str, value: Any, message: str
) -> None:
    inventory_path = write(tmp_path, yaml.safe_dump(change(lab_data(), path, value)))
    with pytest.raises(UserError, match=message) as error:
        load_inventory(inventory_path)
    assert str(inventory_path) in str(error.value)


NORNIR_TWO_TUNNELS = """\
gw-a:
  hostname: 198.51.100.11
  data:
    ipsec:
      tunnels: {lab: {side: a, connection: lab}, lab2: {side: a, connection: lab2}}
gw-b:
  hostname: 198.51.100.12
  data:
    ipsec:
      tunnels: {lab: b, lab2: {side: b, connection: lab2}}
"""
NORNIR_DEFAULTS_ROOT = "username: root\ndata:\n  ipsec:\n    platform: strongswan\n"


def test_a_nornir_host_names_its_connection_per_tunnel(tmp_path: Path) -> None:
    (tmp_path / "hosts.yaml").write_text(NORNIR_TWO_TUNNELS)
    (tmp_path / "defaults.yaml").write_text(NORNIR_DEFAULTS_ROOT)
    inventory = load_inventory(tmp_path)
    assert [p.connection for p in inventory.tunnel("lab").peers] == ["lab", None]
    assert [p.connection for p in inventory.tunnel("lab2").peers] == ["lab2", "lab2"]


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        (
            NORNIR_TWO_TUNNELS.replace("connection: lab}", "connection: lab, colour: red}"),
            r"host 'gw-a': tunnel 'lab': unknown field\(s\) colour",
        ),
        (
            NORNIR_TWO_TUNNELS.replace("connection: lab}", "connection: ''}"),
            r"tunnel 'lab': field 'connection' must name",
        ),
        (
            NORNIR_TWO_TUNNELS.replace(
                "    ipsec:\n      tunnels: {lab: b",
                "    ipsec:\n      connection: lab\n      tunnels: {lab: b",
            ),
            r"host 'gw-b': data.ipsec.connection names one tunnel's connection",
        ),
    ],
)
def test_a_nornir_connection_is_checked(tmp_path: Path, hosts: str, message: str) -> None:
    (tmp_path / "hosts.yaml").write_text(hosts)
    (tmp_path / "defaults.yaml").write_text(NORNIR_DEFAULTS_ROOT)
    with pytest.raises(UserError, match=message):
        load_inventory(tmp_path)
