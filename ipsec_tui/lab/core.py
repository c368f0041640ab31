"""Bring the lab up and down, report its state, inject and undo faults."""

from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ipsec_tui.errors import UserError
from ipsec_tui.lab import topology as topo
from ipsec_tui.lab.certs import make_certificates
from ipsec_tui.lab.config import GatewayConfig, baseline
from ipsec_tui.lab.gateway import (
    alive,
    gw_run,
    kill_pids,
    live_helpers,
    spawn,
    start_holder,
    wait_reaped,
)
from ipsec_tui.lab.ike import GatewayDirs, IkeDaemon, daemon_for, login_mounts
from ipsec_tui.lab.shell import in_netns, run

IMPLS = ("strongswan", "libreswan")
AUTHS = ("psk", "cert")
REQUIRED_COMMANDS = {
    "ip": "iproute2",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "nft": "nftables",
    "ping": "iputils-ping",
    "tcpdump": "tcpdump",
    "sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "openssl": "openssl",
    "swanctl": "strongswan-swanctl",
    "pki": "strongswan-pki",
}
REQUIRED_FILES = {
    "/usr/lib/ipsec/charon": "strongswan-charon",
    "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so": "libcharon-extra-plugins",
    # AES-GCM, ECP, x25519 and ChaCha20 come from the openssl plugin
    "/usr/lib/ipsec/plugins/libstrongswan-openssl.so": "libstrongswan-standard-plugins",
}
ESTABLISH_TIMEOUT_S = 10


@dataclass
class LabState:
    """What a running lab consists of; saved as state.json so `down` can undo a crash."""

    impl_b: str = "strongswan"
    esp_backend: str = "kernel"  # kernel | libipsec
    holders: dict[str, int] = field(default_factory=dict)  # site -> holder PID
    daemons: dict[str, list[int]] = field(default_factory=dict)  # site -> [ike, sshd] PIDs
    fault: str | None = None
    psk: str = ""
    started_at: float = 0.0
    ike_version: int = 2
    auth: str = "psk"  # psk | cert
    children: int = 1
    tunnels: int = 1  # connections between the gateways: lab, lab2, ... (`--tunnels N`)
    tunnel_faults: dict[str, str] = field(default_factory=dict)  # `fault --tunnel`: name -> fault
    helpers: list[list[int]] = field(default_factory=list)  # [PID, start time] (`flapping`)

    @staticmethod
    def path() -> Path:
        return topo.lab_dir() / "state.json"

    def save(self) -> None:
        path = self.path()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)

    @classmethod
    def load(cls) -> LabState | None:
        try:
            return cls(**json.loads(cls.path().read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def impl(self, site: topo.Site) -> str:
        return self.impl_b if site is topo.SITE_B else "strongswan"

    def daemon(self, site: topo.Site) -> IkeDaemon:
        return daemon_for(self.impl(site))

    def shape(self) -> str:
        """The baseline's options in words: IKE version, authentication, children."""
        return (
            f"IKEv{self.ike_version}, {'certificates' if self.auth == 'cert' else 'PSK'}, "
            f"{self.children} child SA{'s' if self.children > 1 else ''}"
            + (f", {self.tunnels} tunnels" if self.tunnels > 1 else "")
        )

    def tunnel_numbers(self) -> range:
        return range(1, self.tunnels + 1)


def require_root() -> None:
    if os.geteuid() != 0:
        raise UserError("the lab needs root (network namespaces, IKE daemons): run it with sudo")


def missing_packages(impl_b: str = "strongswan") -> list[str]:
    missing = {pkg for cmd, pkg in REQUIRED_COMMANDS.items() if not _which(cmd)}
    missing |= {pkg for path, pkg in REQUIRED_FILES.items() if not Path(path).exists()}
    if impl_b == "libreswan":
        from ipsec_tui.lab.libreswan import missing_parts

        missing |= set(missing_parts())
    return sorted(missing)


def _which(cmd: str) -> bool:
    return shutil.which(cmd, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None


def require_packages(impl_b: str = "strongswan") -> None:
    missing = missing_packages(impl_b)
    if missing:
        raise UserError(
            "the lab needs these packages: "
            + ", ".join(missing)
            + ". Install them with `ipsec-tui lab deps`."
        )


def gateway_dirs(site: topo.Site) -> GatewayDirs:
    return GatewayDirs.under(topo.lab_dir() / site.name)


def kernel_has_esp(netns: str) -> bool:
    """Detect kernel ESP by trying to add (then flushing) an ESP state in a lab namespace."""
    key = "0x" + "00" * 16
    proc = run(
        in_netns(
            netns,
            [
                "ip",
                "xfrm",
                "state",
                "add",
                "src",
                "203.0.113.1",
                "dst",
                "203.0.113.2",
                "proto",
                "esp",
                "spi",
                "0x100",
                "enc",
                "cbc(aes)",
                key,
                "auth",
                "hmac(sha256)",
                key + "00" * 16,
                "mode",
                "tunnel",
            ],
        ),
        check=False,
    )
    run(in_netns(netns, ["ip", "xfrm", "state", "flush"]), check=False)
    return proc.returncode == 0


# --- network -------------------------------------------------------------------------------


def _netns_names() -> list[str]:
    return [s.netns for s in topo.SITES] + [s.host_netns for s in topo.SITES]


def _existing_netns() -> set[str]:
    out = run(["ip", "netns", "list"], check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def _build_network(children: int = 1, tunnels: int = 1) -> None:
    for ns in _netns_names():
        run(["ip", "netns", "add", ns])
        run(in_netns(ns, ["ip", "link", "set", "lo", "up"]))
    a, b = topo.SITE_A, topo.SITE_B
    # WAN: one veth between the gateways
    run(
        [
            "ip",
            "link",
            "add",
            a.wan_if,
            "netns",
            a.netns,
            "type",
            "veth",
            "peer",
            "name",
            b.wan_if,
            "netns",
            b.netns,
        ]
    )
    run(["ip", "link", "add", topo.MGMT_BRIDGE, "type", "bridge"])
    run(["ip", "addr", "add", topo.MGMT_ROOT_ADDR, "dev", topo.MGMT_BRIDGE])
    run(["ip", "link", "set", topo.MGMT_BRIDGE, "up"])
    for s in topo.SITES:
        gw = s.netns
        run(in_netns(gw, ["ip", "addr", "add", f"{s.wan_addr}/24", "dev", s.wan_if]))
        run(in_netns(gw, ["ip", "link", "set", s.wan_if, "up"]))
        # LAN: gateway lan0 <-> host eth0
        run(
            [
                "ip",
                "link",
                "add",
                "lan0",
                "netns",
                gw,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                s.host_netns,
            ]
        )
        run(in_netns(gw, ["ip", "addr", "add", f"{s.lan_gw}/24", "dev", "lan0"]))
        run(in_netns(gw, ["ip", "link", "set", "lan0", "up"]))
        run(in_netns(s.host_netns, ["ip", "addr", "add", f"{s.host_addr}/24", "dev", "eth0"]))
        run(in_netns(s.host_netns, ["ip", "link", "set", "eth0", "up"]))
        run(in_netns(s.host_netns, ["ip", "route", "add", "default", "via", s.lan_gw]))
        # management: gateway mgmt0 <-> root-side port on the bridge
        run(
            [
                "ip",
                "link",
                "add",
                s.mgmt_root_if,
                "type",
                "veth",
                "peer",
                "name",
                "mgmt0",
                "netns",
                gw,
            ]
        )
        run(["ip", "link", "set", s.mgmt_root_if, "master", topo.MGMT_BRIDGE, "up"])
        run(in_netns(gw, ["ip", "addr", "add", f"{s.mgmt_addr}/24", "dev", "mgmt0"]))
        run(in_netns(gw, ["ip", "link", "set", "mgmt0", "up"]))
        run(in_netns(gw, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]))
        # no IPv6 on the TUN device charon makes later: its router solicitations would
        # fill the log with "no matching outbound IPsec policy" lines for ff02::2
        run(in_netns(gw, ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]))
        # the subnets of children 2 and 3, or of tunnels 2..N
        extra = [(n, 1) for n in range(2, children + 1)] + [(1, t) for t in range(2, tunnels + 1)]
        for number, tunnel in extra:
            gw_addr = topo.child_addr(s.lan_gw, number, tunnel)
            host_addr = topo.child_addr(s.host_addr, number, tunnel)
            run(in_netns(gw, ["ip", "addr", "add", f"{gw_addr}/24", "dev", "lan0"]))
            run(in_netns(s.host_netns, ["ip", "addr", "add", f"{host_addr}/24", "dev", "eth0"]))


# --- ssh -----------------------------------------------------------------------------------

SSHD_CONFIG = """# written by ipsec-tui lab
ListenAddress {addr}
Port 22
HostKey {host_key}
PidFile none
AuthorizedKeysFile {authorized_keys}
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
MaxStartups 50
"""


PASSWORD_TUNNEL = f"{topo.TUNNEL_NAME}-password"  # the inventory's password-login tunnel
PASSWORD_FILE = "root-password"  # in the lab folder, 0600: the gateways' root password


def password_path() -> Path:
    return topo.lab_dir() / PASSWORD_FILE


def login_password() -> str:
    """The lab gateways' root password (for `auth: password` logins, tunnel lab-password)."""
    try:
        return password_path().read_text().strip()
    except OSError as exc:
        raise UserError(
            f"{password_path()}: no lab password ({exc.strerror}): is the lab up?"
        ) from None


def _make_password() -> str:
    password = secrets.token_urlsafe(18)
    path = password_path()
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


def _shadow(password: str) -> str:
    """An /etc/shadow for the gateways: root with `password` (SHA-512 crypt, from openssl,
    the password on stdin so no process list shows it); every other account locked."""
    crypted = run(["openssl", "passwd", "-6", "-stdin"], input_text=password + "\n").stdout.strip()
    if not crypted.startswith("$6$"):
        raise UserError(f"openssl passwd -6 gave no SHA-512 crypt hash: {crypted[:20]!r}")
    days = int(time.time() // 86400)  # last change today: 0 would mean "change it first"
    lines = []
    for entry in Path("/etc/passwd").read_text().splitlines():
        name = entry.split(":", 1)[0]
        if name and not name.startswith("#"):
            hashed = crypted if name == "root" else "*"
            lines.append(f"{name}:{hashed}:{days}:0:99999:7:::")
    return "\n".join(lines) + "\n"


def _keygen(path: Path, comment: str) -> None:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])


def _prepare_ssh(site: topo.Site, dirs: GatewayDirs, shadow: str) -> None:
    dirs.shadow.touch(mode=0o600)
    dirs.shadow.write_text(shadow)
    ssh_dir = dirs.root / "ssh"
    ssh_dir.mkdir(parents=True, exist_ok=True)
    host_key = ssh_dir / "ssh_host_ed25519_key"
    _keygen(host_key, f"{site.name}-host")
    (dirs.root / "sshd_config").write_text(
        SSHD_CONFIG.format(
            addr=site.mgmt_addr,
            host_key=host_key,
            authorized_keys=topo.lab_dir() / "id_ed25519.pub",
        )
    )


def _write_inventory(state: LabState) -> Path:
    import yaml

    lab = topo.lab_dir()
    known = []
    for s in topo.SITES:
        pub = (gateway_dirs(s).root / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()
        known.append(f"{s.mgmt_addr} {pub[0]} {pub[1]}")
    (lab / "known_hosts").write_text("\n".join(known) + "\n")
    peers = {}
    for s in topo.SITES:
        daemon = state.daemon(s)
        overrides = {"log_file": daemon.log_file}
        overrides["swanctl_conf" if daemon.name == "strongswan" else "conn_file"] = (
            daemon.config_file
        )
        peers[s.name] = {
            "host": s.mgmt_addr,
            "port": 22,
            "platform": daemon.platform,
            "username": "root",
            "auth": "key",
            "key_file": "id_ed25519",
            "known_hosts": "known_hosts",
            "overrides": overrides,
        }
    password_peers = {
        name: {key: value for key, value in peer.items() if key not in ("auth", "key_file")}
        | {"auth": "password"}
        for name, peer in peers.items()
    }
    description = f"ipsec-tui lab: siteA (strongswan) <-> siteB ({state.impl_b})"
    inventory = {
        "tunnels": {
            topo.TUNNEL_NAME: {"description": description, "peers": peers},
            # the same gateways, logged into with root's password (in root-password here)
            PASSWORD_TUNNEL: {
                "description": f"{description}, password login",
                "peers": password_peers,
            },
        },
    }
    for tunnel in range(2, state.tunnels + 1):  # `--tunnels N`: the other connections
        a, b = topo.SITE_A, topo.SITE_B
        name = topo.tunnel_name(tunnel)
        # written out in full, not as a YAML alias; one remote peer for all the tunnels, so
        # each names its own connection on both gateways (so do `lab` and `lab-password`)
        own = {site: peer | {"connection": name} for site, peer in copy.deepcopy(peers).items()}
        inventory["tunnels"][name] = {
            "description": f"{description}, tunnel {tunnel} of {state.tunnels}: "
            f"{topo.child_net(a.lan_net, 1, tunnel)} <-> {topo.child_net(b.lan_net, 1, tunnel)}",
            "peers": own,
        }
        for peer in (*peers.values(), *password_peers.values()):
            peer["connection"] = topo.TUNNEL_NAME
    path = lab / "inventory.yml"
    path.write_text(
        "# written by `ipsec-tui lab up`; paths are relative to this file\n"
        + yaml.safe_dump(inventory, sort_keys=False)
    )
    return path


# --- traffic -------------------------------------------------------------------------------


def ping(
    src: topo.Site,
    dst: topo.Site,
    count: int = 3,
    *,
    child: int = 1,
    size: int | None = None,
    tunnel: int = 1,
) -> bool:
    """A bounded ping from one LAN host to the other (at most `count` packets, ~2 s), from
    and to the addresses of child `child`'s (of tunnel `tunnel`'s) subnets; with `size`, DF
    set (no fragmenting)."""
    argv = ["ping", "-n", "-q", "-c", str(count), "-i", "0.2", "-W", "1"]
    argv += ["-I", topo.child_addr(src.host_addr, child, tunnel)]
    if size is not None:
        argv += ["-M", "do", "-s", str(size)]
    proc = run(
        in_netns(src.host_netns, [*argv, topo.child_addr(dst.host_addr, child, tunnel)]),
        check=False,
        timeout=15,
    )
    return proc.returncode == 0


# --- lifecycle -----------------------------------------------------------------------------


class Lab:
    """The running lab, reachable from any process through state.json."""

    def __init__(self, state: LabState) -> None:
        self.state = state

    def holder(self, site: topo.Site) -> int:
        return self.state.holders[site.name]

    def config_path(self, site: topo.Site) -> Path:
        return gateway_dirs(site).root / "config.json"

    def configs(self, site: topo.Site) -> list[GatewayConfig]:
        """The site's configuration of every tunnel, tunnel 1 first."""
        saved = json.loads(self.config_path(site).read_text())
        return [GatewayConfig(**cfg) for cfg in saved]

    def config(self, site: topo.Site, tunnel: int = 1) -> GatewayConfig:
        return self.configs(site)[tunnel - 1]

    def baseline(self, site: topo.Site, tunnel: int = 1) -> GatewayConfig:
        return _baseline(self.state, site, tunnel)

    def apply_config(self, site: topo.Site, cfg: GatewayConfig) -> None:
        """Put `cfg` in place of its tunnel's configuration on the site, and load it."""
        cfgs = [cfg if c.tunnel == cfg.tunnel else c for c in self.configs(site)]
        self.apply_configs(site, cfgs)

    def apply_configs(self, site: topo.Site, cfgs: list[GatewayConfig]) -> None:
        """Write and load the site's configuration of every tunnel."""
        path = self.config_path(site)
        path.write_text(json.dumps([asdict(c) for c in cfgs], indent=2))
        path.chmod(0o600)
        daemon = self.state.daemon(site)
        daemon.write_config(gateway_dirs(site), cfgs)
        daemon.load(self.holder(site))

    def gw(
        self, site: topo.Site, argv: list[str], check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return gw_run(self.holder(site), argv, check=check)

    def terminate_all(self, tunnel: int | None = None) -> None:
        """Tear the tunnels (or tunnel `tunnel`) down on both sides."""
        numbers = self.state.tunnel_numbers() if tunnel is None else [tunnel]
        for s in topo.SITES:
            for number in numbers:
                self.state.daemon(s).terminate(self.holder(s), topo.tunnel_name(number))

    def child_names(self, tunnel: int | None = None) -> list[str]:
        cfgs = self.configs(topo.SITE_A)
        return [c.name for cfg in cfgs if tunnel in (None, cfg.tunnel) for c in cfg.all_children()]

    def initiate(self, timeout_s: int = ESTABLISH_TIMEOUT_S, tunnel: int | None = None) -> bool:
        return self.state.daemon(topo.SITE_A).initiate(
            self.holder(topo.SITE_A), timeout_s, self.child_names(tunnel)
        )

    @property
    def child_sa_supported(self) -> bool:
        """Libreswan needs kernel ESP for its child SAs; strongSwan has a userspace fallback."""
        return self.state.impl_b != "libreswan" or self.state.esp_backend == "kernel"

    def limitation(self) -> str | None:
        if self.child_sa_supported:
            return None
        answer = (
            "answers TS_UNACCEPTABLE"
            if self.state.ike_version == 2
            else "its quick mode fails: 'state transition function for STATE_QUICK_R0 had "
            "internal error'"
        )
        return (
            "this kernel has no ESP (CONFIG_INET_ESP): Libreswan on siteB negotiates IKE "
            "but cannot install a child SA (pluto logs 'netlink response for Add SA ... "
            f"Protocol not supported' and {answer})"
        )

    def established(self) -> bool:
        """The baseline is up: IKE and child SAs on both sides (IKE only where impossible)."""
        if not self.child_sa_supported:
            from ipsec_tui.lab.libreswan import Libreswan

            return Libreswan().ike_established(self.holder(topo.SITE_B))
        wanted = set(self.child_names())
        return all(
            self.state.daemon(s).established(self.holder(s))
            and wanted <= self.state.daemon(s).installed_children(self.holder(s))
            for s in topo.SITES
        )

    def truncate_logs(self) -> None:
        for s in topo.SITES:
            log = gateway_dirs(s).log / Path(self.state.daemon(s).log_file).name
            if log.exists():
                with log.open("r+") as fh:
                    fh.truncate(0)

    def wait_established(self, timeout_s: float = ESTABLISH_TIMEOUT_S) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.established():
                return True
            time.sleep(0.1)
        return False

    def traffic(self, tunnel: int | None = None) -> tuple[bool, bool]:
        """Pings both ways on every child of every tunnel (or of tunnel `tunnel`);
        (A->B all answered, B->A all answered)."""
        a_ok = b_ok = True
        for number in self.state.tunnel_numbers() if tunnel is None else [tunnel]:
            for child in range(1, self.state.children + 1):
                a_ok = ping(topo.SITE_A, topo.SITE_B, child=child, tunnel=number) and a_ok
                b_ok = ping(topo.SITE_B, topo.SITE_A, child=child, tunnel=number) and b_ok
        return a_ok, b_ok


def _baseline(state: LabState, site: topo.Site, tunnel: int = 1) -> GatewayConfig:
    return baseline(
        site,
        state.psk,
        state.esp_backend == "libipsec",
        ike_version=state.ike_version,
        auth=state.auth,
        children=state.children,
        tunnel=tunnel,
    )


def up(
    impl_b: str = "strongswan",
    *,
    ike_version: int = 2,
    auth: str = "psk",
    children: int = 1,
    tunnels: int = 1,
) -> tuple[Lab, float]:
    """From nothing to an established tunnel with traffic both ways; returns (lab, seconds)."""
    require_root()
    if impl_b not in IMPLS:
        raise UserError(f"unknown IKE implementation {impl_b!r}: choose one of {IMPLS}")
    if ike_version not in (1, 2):
        raise UserError(f"IKE version {ike_version}: choose 1 or 2")
    if auth not in AUTHS:
        raise UserError(f"authentication {auth!r}: choose one of {', '.join(AUTHS)}")
    if not 1 <= children <= topo.MAX_CHILDREN:
        raise UserError(f"--children {children}: choose 1 to {topo.MAX_CHILDREN}")
    if not 1 <= tunnels <= topo.MAX_TUNNELS:
        raise UserError(f"--tunnels {tunnels}: choose 1 to {topo.MAX_TUNNELS}")
    if tunnels > 1 and children > 1:
        raise UserError("--tunnels and --children: several tunnels have one child SA each")
    if impl_b == "libreswan" and (children > 1 or auth == "cert" or tunnels > 1):
        raise UserError(
            "several children or tunnels and certificates are strongSwan-only in the lab"
        )
    require_packages(impl_b)
    wanted = LabState(
        impl_b=impl_b, ike_version=ike_version, auth=auth, children=children, tunnels=tunnels
    )
    existing = LabState.load()
    if existing and all(alive(p) for p in existing.holders.values()) and existing.holders:
        if (existing.impl_b, existing.shape()) == (impl_b, wanted.shape()):
            return Lab(existing), 0.0
        raise UserError(
            f"the lab is already up with siteB on {existing.impl_b} ({existing.shape()}): "
            "run `ipsec-tui lab down` first"
        )
    down(quiet=True)  # leftovers of a crash
    started = time.monotonic()
    lab_root = topo.lab_dir()
    lab_root.mkdir(parents=True, exist_ok=True)
    lab_root.chmod(0o700)
    state = wanted
    state.psk, state.started_at = secrets.token_urlsafe(18), time.time()
    state.save()  # from here on `down` knows what to clean
    try:
        _keygen(lab_root / "id_ed25519", "ipsec-tui-lab")
        shadow = _shadow(_make_password())
        _build_network(children, tunnels)
        if auth == "cert":
            make_certificates({s: gateway_dirs(s).etc / "swanctl" for s in topo.SITES})
        state.esp_backend = "kernel" if kernel_has_esp(topo.SITE_A.netns) else "libipsec"
        state.save()
        for s in topo.SITES:
            dirs = gateway_dirs(s)
            dirs.log.mkdir(parents=True, exist_ok=True)
            daemon = state.daemon(s)
            daemon.prepare(dirs, state.esp_backend == "libipsec")
            cfgs = [_baseline(state, s, t) for t in state.tunnel_numbers()]
            daemon.write_config(dirs, cfgs)  # before start: pluto refuses an empty config
            _prepare_ssh(s, dirs, shadow)
            state.holders[s.name] = start_holder(
                s.netns, s.name, [*daemon.mounts(dirs), *login_mounts(dirs)], dirs.root / "ready"
            )
            state.save()
            ike_pid = daemon.start(state.holders[s.name], dirs)
            sshd_pid = spawn(
                state.holders[s.name],
                [
                    "/usr/sbin/sshd",
                    "-D",
                    "-f",
                    str(dirs.root / "sshd_config"),
                    "-E",
                    "/var/log/sshd.log",
                ],
                dirs.daemon_out,
            )
            state.daemons[s.name] = [ike_pid, sshd_pid]
            state.save()
        lab = Lab(state)
        for s in (topo.SITE_B, topo.SITE_A):  # responder first, so A's first try succeeds
            lab.apply_configs(s, [lab.baseline(s, t) for t in state.tunnel_numbers()])
        if not (lab.initiate() or not lab.child_sa_supported) or not lab.wait_established():
            raise UserError(
                "the tunnel did not come up on the baseline; see "
                f"{gateway_dirs(topo.SITE_A).log}/ and `ipsec-tui lab status`",
                exit_code=1,
            )
        lab.traffic()
        _write_inventory(state)
        state.save()
    except BaseException:
        down(quiet=True)
        raise
    return lab, time.monotonic() - started


def current() -> Lab:
    require_root()
    state = LabState.load()
    if not state or not state.holders or not all(alive(p) for p in state.holders.values()):
        raise UserError("the lab is not up: run `ipsec-tui lab up`")
    return Lab(state)


def down(quiet: bool = False) -> list[str]:
    """Remove every process, namespace, link and file the lab made. Safe to run any time."""
    require_root()
    removed: list[str] = []
    state = LabState.load()
    pids: list[int] = []
    if state:
        for site_pids in state.daemons.values():
            pids += site_pids
        pids += list(state.holders.values())
        pids += live_helpers(state.helpers)  # in the root namespace: by their recorded PIDs
    existing = _existing_netns()
    ours = [ns for ns in _netns_names() if ns in existing]
    stopped: set[int] = set()
    # processes still inside our namespaces are ours, also after a crash; a daemon's
    # supervisor (strongSwan's starter) may start a new charon while the old one dies, so
    # look again until the namespaces are empty (bounded)
    for _ in range(5):
        for ns in ours:
            out = run(["ip", "netns", "pids", ns], check=False).stdout
            pids += [int(p) for p in out.split() if p.isdigit()]
        live = sorted({p for p in pids if alive(p)})
        if not live:
            break
        kill_pids(live)
        stopped.update(live)
        pids = []
    if stopped:
        removed.append(f"{len(stopped)} processes")
        # return when they are gone from the process table, not while they still show in ps
        wait_reaped(sorted(stopped))
    for ns in ours:
        run(["ip", "netns", "del", ns], check=False)
        removed.append(f"netns {ns}")
    for link in [topo.MGMT_BRIDGE] + [s.mgmt_root_if for s in topo.SITES]:
        if run(["ip", "link", "show", link], check=False).returncode == 0:
            run(["ip", "link", "del", link], check=False)
            removed.append(f"link {link}")
    if topo.lab_dir().exists():
        shutil.rmtree(topo.lab_dir(), ignore_errors=True)
        removed.append(str(topo.lab_dir()))
    return removed


def leftovers() -> list[str]:
    """What of the lab still exists (for tests and `status`)."""
    found = [f"netns {ns}" for ns in _netns_names() if ns in _existing_netns()]
    links = run(["ip", "-o", "link", "show"], check=False).stdout
    found += [
        f"link {name}"
        for name in [topo.MGMT_BRIDGE] + [s.mgmt_root_if for s in topo.SITES]
        if f" {name}:" in links or f" {name}@" in links
    ]
    if topo.lab_dir().exists():
        found.append(str(topo.lab_dir()))
    return found
