"""The inventory: which tunnels exist and how to reach each tunnel's two peers over SSH.

Schema (YAML). Peer keys follow Netmiko's ``ConnectHandler`` parameter names where one fits
(``host``, ``port``, ``username``, ``key_file``, ``ssh_config_file``); the others are ours::

    defaults:                        # optional: any peer key but `host`, for every peer
      username: ops
      known_hosts: ~/.ssh/known_hosts
    tunnels:
      lab:                           # tunnel name: letters, digits, '.', '_', '-'
        description: two strongSwan peers
        defaults: {}                 # optional: per tunnel, over the top-level defaults
        peers:                       # exactly two, in order: peer A, then peer B
          siteA:                     # peer name (also its folder name in a capture)
            host: 198.51.100.11      # name or address (Netmiko `host`)
            port: 22                 # Netmiko `port`; default 22
            platform: strongswan     # ipsec_tui/platforms/data/<platform>.yml; gives device_type
            username: root           # Netmiko `username`; required (here or in defaults)
            auth: key                # key | agent | password; default key
            key_file: ./id_ed25519   # auth key: private key (Netmiko `key_file`); default:
                                     #   the usual ~/.ssh/id_* files
            known_hosts: ./known_hosts   # host keys to verify against (Netmiko
                                     #   `alt_key_file`); default ~/.ssh/known_hosts
            jump_host: ops@bastion:22    # optional: "[user@]host[:port]" or {host, port,
                                     #   username}; same auth, key and known_hosts as the peer
            ssh_config_file: ./ssh_config  # optional (Netmiko `ssh_config_file`): HostName,
                                     #   Port, User, ProxyCommand, ProxyJump
            timeout: 20              # connect timeout in seconds: TCP, SSH banner and
                                     #   authentication (Netmiko `conn_timeout`, accepted too)
            command_timeout: 30      # longest wait for one command's output, in seconds
                                     #   (both: a number > 0 and at most 3600)
            connection: lab          # optional: this device's own connection for the tunnel,
                                     #   as its parser names it (strongSwan/Libreswan conn,
                                     #   Cisco crypto map "MAP 10" or IKEv2 profile, ASA crypto
                                     #   map, Junos VPN, PAN-OS tunnel, FortiOS phase1): the
                                     #   checks read only its SAs and log lines; needed where
                                     #   several tunnels run between the same two devices
            overrides:               # per-peer platform variables (see the platform YAML):
              log_file: /var/log/charon.log  # only paths its `override_paths` allow, never
                                     #   a secret, key or shadow file (refused by name)
          aws:                       # a cloud peer (aws_vpn, azure_vpngw, gcp_vpn): no host
            platform: aws_vpn
            documents: [./vpn-0123-config.txt]   # saved CLI outputs, downloaded files
            commands:                # the cloud CLI's read-only commands, run on this
              - aws ec2 describe-vpn-connections --vpn-connection-ids vpn-0123
                                     #   machine with the user's own CLI login

Decisions: relative paths resolve against the inventory file's folder and ``~`` expands;
passwords are never a field (``auth: password`` looks them up in the keyring, service
``ipsec-tui``, user ``username@host``, or prompts); ``jump_host`` and ``ssh_config_file``
exclude each other (both would decide the route). Every problem is a ``UserError`` naming the
file, the tunnel, the peer and the field.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, available_platforms, load_platform
from ipsec_tui.yamlfile import load_yaml

AuthMethod = Literal["key", "agent", "password"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("key", "agent", "password")
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
DEFAULT_TIMEOUT = 20.0
DEFAULT_COMMAND_TIMEOUT = 30.0

# A longer wait is a typo (milliseconds given as seconds), not a slow device.
MAX_SECONDS = 3600.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_NAME_MAX = 128  # well below a file system's 255 bytes, with room for suffixes
# Names a peer's folder may not take: the files that live beside and inside peer folders.
RESERVED_NAMES = frozenset({"capture.yml", "peer.yml"})
_PEER_KEYS = frozenset(
    {"host", "port", "platform", "username", "auth", "key_file", "known_hosts", "jump_host",
     "ssh_config_file", "timeout", "conn_timeout", "command_timeout", "overrides",
     "documents", "commands", "connection"}
)  # fmt: skip
_SECRET_KEYS = frozenset({"password", "secret", "passphrase"})
_JUMP = re.compile(
    r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]\s]+\]|[^:@\s\[\]]+)(?::(?P<port>\d+))?$"
)


@dataclass(frozen=True)
class JumpHost:
    """An SSH server to hop through on the way to a peer (like ``ssh -J``)."""

    host: str
    port: int = 22
    username: str | None = None  # None: the peer's username

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.username}@" if self.username else ""
        return f"{user}{host}:{self.port}"


@dataclass(frozen=True)
class PeerConfig:
    """How to reach one peer of a tunnel and which platform it runs."""

    name: str
    host: str
    platform: str
    username: str
    port: int = 22
    auth: AuthMethod = "key"
    key_file: Path | None = None
    known_hosts: Path = field(default_factory=lambda: Path(DEFAULT_KNOWN_HOSTS).expanduser())
    jump_host: JumpHost | None = None
    ssh_config_file: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # A cloud peer (platform with `transport: files`): no host to log in to; its documents
    # (CLI outputs saved, configuration files downloaded) and the cloud CLI commands run on
    # this machine, whose output is read (see ipsec_tui.collectors.cloud)
    documents: tuple[Path, ...] = ()
    local_commands: tuple[str, ...] = ()
    # The device's own connection for this tunnel (see the schema): recorded in the capture,
    # and what the checks scope this peer to. None: the tunnel's remote peer tells it apart.
    connection: str | None = None

    @property
    def jump_username(self) -> str:
        """The user to log in as on the jump host."""
        if self.jump_host is None or self.jump_host.username is None:
            return self.username
        return self.jump_host.username


@dataclass(frozen=True)
class Tunnel:
    """A tunnel and its two peers, in order (peer A, peer B)."""

    name: str
    peers: tuple[PeerConfig, PeerConfig]
    description: str = ""


@dataclass(frozen=True)
class Inventory:
    """All tunnels of one inventory file."""

    path: Path
    tunnels: Mapping[str, Tunnel]

    def tunnel(self, name: str | None = None) -> Tunnel:
        """The tunnel called ``name``; without a name, the only one (UserError otherwise)."""
        if name is None:
            if len(self.tunnels) == 1:
                return next(iter(self.tunnels.values()))
            raise UserError(
                f"{self.path}: holds {len(self.tunnels)} tunnels; choose one with --tunnel "
                f"({', '.join(self.tunnels)})"
            )
        try:
            return self.tunnels[name]
        except KeyError:
            known = ", ".join(self.tunnels) or "none"
            raise UserError(f"{self.path}: no tunnel {name!r} (known: {known})") from None


def load_inventory(
    path: str | Path, *, platforms: Mapping[str, PlatformSpec] | None = None
) -> Inventory:
    """Read and validate an inventory file. ``platforms`` adds platforms not shipped.
    A Nornir SimpleInventory (its folder, or its hosts file) is read too: see
    :func:`load_nornir_inventory`."""
    path = Path(path)
    if path.is_dir():  # a SimpleInventory's folder; any other folder is refused as one
        nornir = any((path / name).is_file() for name in NORNIR_HOST_FILES)
    else:
        nornir = path.name in NORNIR_HOST_FILES
    if nornir:
        return load_nornir_inventory(path, platforms=platforms)
    data = load_yaml(path, "inventory file")
    return parse_inventory(data, path, platforms=platforms)


def parse_inventory(
    data: object, path: Path, *, platforms: Mapping[str, PlatformSpec] | None = None
) -> Inventory:
    """Validate already-loaded YAML ``data`` read from ``path`` (relative paths use its folder)."""
    where = str(path)
    top = _mapping(data, where, "the top level")
    _no_unknown(top, {"defaults", "tunnels"}, where)
    defaults = _mapping(top.get("defaults") or {}, where, "defaults")
    _check_peer_keys(defaults, f"{where}: defaults", allow_host=False)
    if "connection" in defaults:
        raise UserError(
            f"{where}: defaults: field 'connection' names one tunnel's connection: give it "
            "per peer, or in a tunnel's defaults"
        )
    tunnels_data = _mapping(top.get("tunnels"), where, "tunnels")
    if not tunnels_data:
        raise UserError(f"{where}: no tunnels defined under 'tunnels'")
    tunnels: dict[str, Tunnel] = {}
    for tunnel_name, tunnel_data in tunnels_data.items():
        tunnel_where = f"{where}: tunnel {tunnel_name!r}"
        _check_name(tunnel_name, tunnel_where, "tunnel name")
        tunnel_map = _mapping(tunnel_data, tunnel_where, "the tunnel")
        _no_unknown(tunnel_map, {"description", "defaults", "peers"}, tunnel_where)
        tunnel_defaults = _mapping(tunnel_map.get("defaults") or {}, tunnel_where, "defaults")
        _check_peer_keys(tunnel_defaults, f"{tunnel_where}: defaults", allow_host=False)
        peers_data = _mapping(tunnel_map.get("peers"), tunnel_where, "peers")
        if len(peers_data) != 2:
            raise UserError(
                f"{tunnel_where}: field 'peers' must name exactly two peers (peer A, then "
                f"peer B), found {len(peers_data)}"
            )
        peers = [
            _peer(
                str(peer_name),
                {**defaults, **tunnel_defaults, **_mapping(peer_data, tunnel_where, "a peer")},
                f"{tunnel_where}, peer {peer_name!r}",
                path.parent,
                platforms or {},
            )
            for peer_name, peer_data in peers_data.items()
        ]
        description = tunnel_map.get("description") or ""
        tunnels[str(tunnel_name)] = Tunnel(
            name=str(tunnel_name), peers=(peers[0], peers[1]), description=str(description)
        )
    return Inventory(path=path, tunnels=MappingProxyType(tunnels))


def _mapping(value: object, where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        shown = "nothing" if value is None else type(value).__name__
        raise UserError(f"{where}: {what} must be a mapping, found {shown}")
    return {str(key): item for key, item in value.items()}


def _no_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserError(
            f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a peer or a tunnel (it becomes a folder name), or None."""
    if not isinstance(name, str) or not _NAME.match(name):
        return "must start with a letter or digit and hold only letters, digits, '.', '_' and '-'"
    if len(name) > _NAME_MAX:
        return f"is longer than {_NAME_MAX} characters"
    if name.lower() in RESERVED_NAMES:
        return "is the name of a capture's own file"
    return None


def _check_name(name: object, where: str, what: str) -> None:
    problem = name_problem(name)
    if problem is not None:
        shown = repr(name) if not isinstance(name, str) else repr(name[: _NAME_MAX + 2])
        raise UserError(f"{where}: {what} {shown} {problem}")


def _check_peer_keys(data: Mapping[str, Any], where: str, *, allow_host: bool) -> None:
    secrets = sorted(set(data) & _SECRET_KEYS)
    if secrets:
        raise UserError(
            f"{where}: field {secrets[0]!r} is not allowed: secrets never go in the inventory. "
            "Use auth: password and store the password in the keyring: "
            "`keyring set ipsec-tui USER@HOST` (or type it when asked)"
        )
    _no_unknown(data, set(_PEER_KEYS), where)
    if not allow_host and "host" in data:
        raise UserError(f"{where}: field 'host' belongs to each peer, not to defaults")
    if data.get("connection") is not None:
        connection_name(data["connection"], where)


def connection_name(value: object, where: str) -> str:
    """A peer's ``connection``: the name of one of the device's connections (text, at most
    128 characters, no control characters; spaces allowed, as in a crypto map entry)."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if isinstance(value, bool):
        text = ""
    if not text or len(text) > _NAME_MAX or not text.isprintable():
        raise UserError(
            f"{where}: field 'connection' must name one of the device's connections (text of "
            f"at most {_NAME_MAX} printable characters): {_shown(value)}"
        )
    return text


def _peer(
    name: str,
    data: Mapping[str, Any],
    where: str,
    base: Path,
    platforms: Mapping[str, PlatformSpec],
) -> PeerConfig:
    _check_name(name, where, "peer name")
    _check_peer_keys(data, where, allow_host=True)
    cloud = _cloud_peer(name, data, where, base, platforms)
    if cloud is not None:
        return cloud

    def text(key: str, *, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise UserError(f"{where}: field {key!r} is required")
            return None
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise UserError(f"{where}: field {key!r} must be text, found {value!r}")
        return str(value).strip()

    def number(key: str, default: float) -> float:
        value = data.get(key, default)
        # NaN compares false with everything, so a plain `<= 0` test would let it through
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 < value <= MAX_SECONDS
        ):
            raise UserError(
                f"{where}: field {key!r} must be a number of seconds, more than 0 and at most "
                f"{MAX_SECONDS:g}: {_shown(value)}"
            )
        return float(value)

    def path(key: str, default: str | None = None) -> Path | None:
        value = text(key) or default
        if value is None:
            return None
        resolved = Path(value).expanduser()
        return resolved if resolved.is_absolute() else (base / resolved).resolve()

    host = cast(str, text("host", required=True))
    platform_name = cast(str, text("platform", required=True))
    username = text("username")
    if username is None:
        raise UserError(f"{where}: field 'username' is required (here or in defaults)")
    port_value = data.get("port", 22)
    if isinstance(port_value, str) and re.fullmatch(r"\s*[0-9]{1,5}\s*", port_value):
        port_value = int(port_value)  # a quoted "22", as exported inventories often write it
    if not isinstance(port_value, int) or isinstance(port_value, bool):
        raise UserError(f"{where}: field 'port' must be a TCP port (1-65535): {_shown(port_value)}")
    port = _port(port_value, where, "port")
    auth = data.get("auth", "key")
    if auth not in AUTH_METHODS:
        raise UserError(f"{where}: field 'auth' must be one of {', '.join(AUTH_METHODS)}: {auth!r}")
    if "timeout" in data and "conn_timeout" in data:
        raise UserError(f"{where}: give 'timeout' or 'conn_timeout', not both (same meaning)")
    timeout = number("conn_timeout" if "conn_timeout" in data else "timeout", DEFAULT_TIMEOUT)
    key_file = path("key_file")
    if key_file is not None and auth != "key":
        raise UserError(f"{where}: field 'key_file' only applies to auth: key (auth is {auth})")
    jump_host = _jump_host(data.get("jump_host"), where)
    ssh_config_file = path("ssh_config_file")
    if jump_host is not None and ssh_config_file is not None:
        raise UserError(
            f"{where}: fields 'jump_host' and 'ssh_config_file' exclude each other; "
            "put a ProxyJump in the ssh config file, or drop it"
        )
    spec = platforms.get(platform_name)
    if spec is None:
        try:
            spec = load_platform(platform_name)
        except UserError as exc:
            raise UserError(f"{where}: field 'platform': {exc}") from None
    overrides = _mapping(data.get("overrides") or {}, where, "field 'overrides'")
    for key, value in overrides.items():
        if not isinstance(value, str):
            raise UserError(
                f"{where}: field 'overrides': {key} must be a path (text), found {_shown(value)}"
            )
    try:
        for command in spec.commands(overrides):
            spec.check_allowed(command, overrides)
    except UserError as exc:  # CommandRefused included: a value with metacharacters
        raise UserError(f"{where}: field 'overrides': {exc}") from None
    return PeerConfig(
        name=name,
        host=host,
        platform=platform_name,
        username=username,
        port=port,
        auth=auth,
        key_file=key_file,
        known_hosts=cast(Path, path("known_hosts", DEFAULT_KNOWN_HOSTS)),
        jump_host=jump_host,
        ssh_config_file=ssh_config_file,
        timeout=timeout,
        command_timeout=number("command_timeout", DEFAULT_COMMAND_TIMEOUT),
        overrides=MappingProxyType(overrides),
        connection=_connection_of(data, where),
    )


def _connection_of(data: Mapping[str, Any], where: str) -> str | None:
    return None if data.get("connection") is None else connection_name(data["connection"], where)


def _cloud_peer(
    name: str,
    data: Mapping[str, Any],
    where: str,
    base: Path,
    platforms: Mapping[str, PlatformSpec],
) -> PeerConfig | None:
    """A cloud peer (its platform reads documents, not a shell): named by `documents` (paths)
    and/or `commands` (the cloud CLI's read-only commands, run on this machine with the
    user's own CLI credentials); None for any other platform."""
    platform_name = data.get("platform")
    if not isinstance(platform_name, str):
        return None
    spec = platforms.get(platform_name)
    if spec is None:
        try:
            spec = load_platform(platform_name)
        except UserError:
            return None  # reported with the other peer fields
    if spec.transport != "files":
        for key in ("documents", "commands"):
            if key in data:
                raise UserError(f"{where}: field {key!r} is for a cloud platform, not {spec.name}")
        return None
    # login fields inherited from the defaults do not apply; a host of its own is a mistake
    if "host" in data:
        raise UserError(
            f"{where}: field 'host' does not apply to {spec.name}: a cloud peer is read from "
            "`documents` and `commands`, nothing logs in to it"
        )
    documents, commands = data.get("documents") or [], data.get("commands") or []
    if not isinstance(documents, list) or not all(isinstance(d, str) and d for d in documents):
        raise UserError(f"{where}: field 'documents' must be a list of file paths")
    if not isinstance(commands, list) or not all(isinstance(c, str) and c for c in commands):
        raise UserError(f"{where}: field 'commands' must be a list of commands")
    if not documents and not commands:
        raise UserError(f"{where}: a {spec.name} peer needs `documents` or `commands`")
    for command in commands:
        try:
            spec.check_allowed(command)
        except UserError as exc:
            raise UserError(f"{where}: field 'commands': {exc}") from None
    expanded = (Path(d).expanduser() for d in documents)
    paths = tuple(p if p.is_absolute() else (base / p).resolve() for p in expanded)
    timeout = data.get("command_timeout", DEFAULT_COMMAND_TIMEOUT)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or not 0 < timeout <= MAX_SECONDS
    ):
        raise UserError(f"{where}: field 'command_timeout' must be a number of seconds")
    return PeerConfig(
        name=name,
        host="",
        connection=_connection_of(data, where),
        platform=spec.name,
        username="",
        command_timeout=float(timeout),
        documents=paths,
        local_commands=tuple(" ".join(c.split()) for c in commands),
    )


def _shown(value: object) -> str:
    """A field's value in a message: its repr, cut short (a hostile file may hold megabytes)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _port(value: object, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UserError(f"{where}: field {key!r} must be a TCP port (1-65535): {value!r}")
    refusal = f"{where}: field {key!r} must be a TCP port (1-65535): {_shown(value)}"
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 5):
        raise UserError(refusal)  # also keeps int() away from a million digits
    port = int(value)
    if not 1 <= port <= 65535:
        raise UserError(refusal)
    return port


def _jump_host(value: object, where: str) -> JumpHost | None:
    if value is None:
        return None
    if isinstance(value, str):
        match = _JUMP.match(value.strip())
        if not match:
            raise UserError(
                f"{where}: field 'jump_host' must look like [user@]host[:port]: {value!r}"
            )
        host = match["host"].strip("[]")
        port = _port(match["port"] or 22, where, "jump_host")
        return JumpHost(host=host, port=port, username=match["user"])
    jump = _mapping(value, where, "field 'jump_host'")
    _no_unknown(jump, {"host", "port", "username"}, f"{where}: field 'jump_host'")
    host = jump.get("host")
    if not isinstance(host, str) or not host.strip():
        raise UserError(f"{where}: field 'jump_host' needs a host")
    username = jump.get("username")
    if username is not None and not isinstance(username, str):
        raise UserError(f"{where}: field 'jump_host': username must be text")
    return JumpHost(
        host=host.strip(), port=_port(jump.get("port", 22), where, "jump_host.port"),
        username=username,
    )  # fmt: skip


# --- a Nornir SimpleInventory -------------------------------------------------------------

NORNIR_HOST_FILES = ("hosts.yaml", "hosts.yml")
_NORNIR_KEYS = frozenset(
    {"hostname", "port", "username", "password", "platform", "groups", "data",
     "connection_options"}
)  # fmt: skip
_NORNIR_OWN = frozenset({"host", "port", "username"})  # Nornir's own fields say these
_SIDES = {"a": 0, "b": 1}


def _nornir_files(path: Path) -> tuple[Path, Path, Path]:
    """(hosts, groups, defaults) files of a SimpleInventory folder or of its hosts file."""
    folder = path if path.is_dir() else path.parent
    if path.is_dir():
        found = [folder / name for name in NORNIR_HOST_FILES if (folder / name).is_file()]
        if not found:
            raise UserError(f"{path}: no hosts.yaml here (a Nornir SimpleInventory's hosts)")
        path = found[0]
    suffix = path.suffix
    return path, folder / f"groups{suffix}", folder / f"defaults{suffix}"


def load_nornir_inventory(
    path: str | Path, *, platforms: Mapping[str, PlatformSpec] | None = None
) -> Inventory:
    """A Nornir SimpleInventory (hosts/groups/defaults YAML, as Nornir's plugin reads them)
    as tunnels. Each host is one device; its ``data.ipsec`` (merged host over its groups over
    defaults, as Nornir inherits data) holds our peer keys beside Nornir's own (``hostname``,
    ``port``, ``username``, ``platform``: ours or a Netmiko device_type that names one) and
    ``tunnels: {NAME: a|b}``: which side of which tunnel the device is (or ``{NAME: {side: a,
    connection: CONN}}`` with the device's own connection for it). Every tunnel needs
    one side a and one side b. The same rules as our own inventory: no password, host keys
    from ``known_hosts``, paths relative to the inventory's folder."""
    from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, ParentGroups

    hosts_file, groups_file, defaults_file = _nornir_files(Path(path))
    where = str(hosts_file)

    def element(kind: type[Host], name: str, data: object, file: Path, base: Defaults) -> Host:
        fields = _mapping(data or {}, f"{file}: {name!r}", "an entry")
        _no_unknown(fields, set(_NORNIR_KEYS), f"{file}: {name!r}")
        if fields.get("password") is not None or any(
            isinstance(option, Mapping) and option.get("password") is not None
            for option in _mapping(
                fields.get("connection_options") or {}, str(file), "options"
            ).values()
        ):
            raise UserError(
                f"{file}: {name!r}: field 'password' is not allowed: secrets never go in the "
                "inventory. Use auth: password (data.ipsec) and the keyring, or type it when asked"
            )
        groups = fields.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise UserError(f"{file}: {name!r}: field 'groups' must be a list of group names")
        return kind(
            name=name,
            hostname=fields.get("hostname"),
            port=fields.get("port"),
            username=fields.get("username"),
            platform=fields.get("platform"),
            data=_mapping(fields.get("data") or {}, f"{file}: {name!r}", "field 'data'"),
            groups=groups,  # type: ignore[arg-type]  # names until resolved below, as Nornir does
            defaults=base,
        )

    defaults_data: dict[str, Any] = {}
    if defaults_file.is_file():
        defaults_data = _mapping(load_yaml(defaults_file, "inventory defaults") or {},
                                 str(defaults_file), "the top level")  # fmt: skip
        if defaults_data.get("password") is not None:
            raise UserError(f"{defaults_file}: field 'password' is not allowed in the inventory")
    defaults = Defaults(
        hostname=defaults_data.get("hostname"), port=defaults_data.get("port"),
        username=defaults_data.get("username"), platform=defaults_data.get("platform"),
        data=_mapping(defaults_data.get("data") or {}, str(defaults_file), "field 'data'"),
    )  # fmt: skip
    groups = Groups()
    if groups_file.is_file():
        raw = _mapping(load_yaml(groups_file, "inventory groups") or {}, str(groups_file),
                       "the top level")  # fmt: skip
        for name, data in raw.items():
            groups[name] = cast(Group, element(Group, name, data, groups_file, defaults))
    hosts = Hosts()
    for name, data in _mapping(load_yaml(hosts_file, "inventory hosts"), where, "hosts").items():
        hosts[name] = element(Host, name, data, hosts_file, defaults)
    for item in [*groups.values(), *hosts.values()]:
        names = cast(list[str], item.groups)
        unknown = [group for group in names if group not in groups]
        if unknown:
            raise UserError(f"{where}: {item.name!r}: no group {unknown[0]!r} in {groups_file}")
        item.groups = ParentGroups([groups[group] for group in names])

    device_types: dict[str, list[str]] = {}
    for known in available_platforms():
        device_types.setdefault(load_platform(known).device_type, []).append(known)
    sides: dict[str, list[PeerConfig | None]] = {}
    for name, host in hosts.items():
        host_where = f"{where}: host {name!r}"
        ipsec: dict[str, Any] = {}
        layers = [defaults_data.get("data") or {}]
        layers += [group.data for group in reversed(host.extended_groups())] + [host.data]
        for layer in layers:  # Nornir's precedence: the host, its groups in order, defaults
            ipsec.update(_mapping(layer.get("ipsec") or {}, host_where, "data.ipsec"))
        tunnels = _mapping(ipsec.pop("tunnels", None) or {}, host_where, "data.ipsec.tunnels")
        if not tunnels:
            continue  # a device of the inventory that serves no tunnel of ours
        if "connection" in ipsec:
            raise UserError(
                f"{host_where}: data.ipsec.connection names one tunnel's connection: give it "
                "per tunnel, as data.ipsec.tunnels: {NAME: {side: a, connection: CONN}}"
            )
        own = sorted(set(ipsec) & _NORNIR_OWN)
        if own:
            raise UserError(f"{host_where}: data.ipsec.{own[0]}: give it as Nornir's own field")
        platform = ipsec.pop("platform", None) or host.platform
        if platform not in available_platforms() and platform not in (platforms or {}):
            matches = device_types.get(str(platform), [])
            if len(matches) != 1:
                hint = f" ({' or '.join(matches)}?)" if matches else ""
                raise UserError(
                    f"{host_where}: platform {platform!r} names none of ours{hint}: set "
                    f"data.ipsec.platform (known: {', '.join(available_platforms())})"
                )
            platform = matches[0]
        fields = {**ipsec, "platform": platform}
        if host.hostname is not None:  # a cloud peer has none: it is read, not logged in to
            fields["host"] = host.hostname
        if host.port is not None:
            fields["port"] = host.port
        if host.username is not None:
            fields["username"] = host.username
        peer = _peer(name, fields, host_where, hosts_file.parent, platforms or {})
        for tunnel_name, entry in tunnels.items():
            _check_name(tunnel_name, host_where, "tunnel name")
            side, connection = _nornir_side(entry, f"{host_where}: tunnel {tunnel_name!r}")
            index = _SIDES.get(str(side).lower())
            if index is None:
                raise UserError(f"{host_where}: tunnel {tunnel_name!r}: side must be a or b")
            slots = sides.setdefault(tunnel_name, [None, None])
            if slots[index] is not None:
                raise UserError(
                    f"{host_where}: tunnel {tunnel_name!r}: side {str(side).lower()} is "
                    f"{slots[index].name} already"  # type: ignore[union-attr]
                )
            slots[index] = replace(peer, connection=connection)
    if not sides:
        raise UserError(f"{where}: no host names a tunnel (data.ipsec.tunnels)")
    tunnels_found: dict[str, Tunnel] = {}
    for tunnel_name, (a, b) in sorted(sides.items()):
        if a is None or b is None:
            missing = "a" if a is None else "b"
            raise UserError(f"{where}: tunnel {tunnel_name!r}: no host is its side {missing}")
        tunnels_found[tunnel_name] = Tunnel(name=tunnel_name, peers=(a, b))
    return Inventory(path=hosts_file, tunnels=MappingProxyType(tunnels_found))


def _nornir_side(entry: object, where: str) -> tuple[object, str | None]:
    """A SimpleInventory host's entry for one tunnel: its side (``a`` / ``b``), or
    ``{side: a, connection: CONN}`` naming the device's own connection for it too."""
    if not isinstance(entry, Mapping):
        return entry, None
    fields = _mapping(entry, where, "the entry")
    _no_unknown(fields, {"side", "connection"}, where)
    connection = fields.get("connection")
    return fields.get("side"), None if connection is None else connection_name(connection, where)


def tunnel_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    """A subcommand that logs in to one tunnel's two peers, with ``--inventory`` and
    ``--tunnel`` (`probe`, `watch`)."""
    parser = subparsers.add_parser(name, help=summary, description=description)
    add_tunnel_arguments(parser, name)
    return parser


def add_tunnel_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """``--inventory`` and ``--tunnel``, as every command that logs in to one tunnel's two
    peers takes them (`collect`, `probe`, `watch`)."""
    parser.add_argument(
        "--inventory", "-i", required=True, type=Path, metavar="FILE",
        help="inventory YAML naming tunnels and their two peers",
    )  # fmt: skip
    parser.add_argument(
        "--tunnel", "-t", metavar="NAME",
        help=f"tunnel to {verb} (may be omitted when the inventory has only one)",
    )  # fmt: skip
