"""Libreswan's pluto on a lab gateway, as a second real IKE implementation for siteB.

Debian's libreswan package conflicts with strongSwan's, so it is never installed: its .deb
is unpacked into the lab's cache and layered over /usr and /etc (read-only overlays) inside
siteB's own mount namespace only. Its shared-library dependencies do not conflict and are
installed normally.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from ipsec_tui.lab.config import GatewayConfig
from ipsec_tui.lab.gateway import gw_path, gw_run, spawn, wait_for
from ipsec_tui.lab.ike import GatewayDirs
from ipsec_tui.lab.shell import run
from ipsec_tui.lab.topology import CHILD_NAME, TUNNEL_NAME, cache_dir

PACKAGE = "libreswan"
# Dependencies of Debian 12's libreswan that do not conflict with strongSwan.
LIBRARY_PACKAGES = [
    "libnss3-tools",
    "libcap-ng0",
    "libcurl3-nss",
    "libevent-core-2.1-7",
    "libevent-pthreads-2.1-7",
    "libldns3",
    "libnspr4",
    "libnss3",
    "libunbound8",
    "libaudit1",
    "libldap-2.5-0",
    "dns-root-data",
]
LOG_FILE = "/var/log/pluto.log"
CONN_FILE = "/etc/ipsec.conf"
NSS_DIR = "/etc/ipsec.d"  # libreswan's traditional place; a writable bind per gateway


def unpacked_root() -> Path:
    return cache_dir() / "libreswan" / "root"


def missing_parts() -> list[str]:
    missing = []
    if not (unpacked_root() / "usr/libexec/ipsec/pluto").exists():
        missing.append("libreswan (unpacked by `ipsec-tui lab deps`)")
    if not shutil.which("certutil"):
        missing.append("libnss3-tools")
    return missing


def install() -> list[str]:
    """Fetch Debian's libreswan .deb and unpack it into the cache; install its libraries."""
    run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *LIBRARY_PACKAGES],
        timeout=1200,
    )
    target = cache_dir() / "libreswan"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.deb"):
        old.unlink()
    run(["sh", "-c", f"cd '{target}' && apt-get download -q {PACKAGE}"], timeout=600)
    debs = sorted(target.glob("libreswan_*.deb"))
    if not debs:
        return ["libreswan: apt-get download found no package"]
    shutil.rmtree(unpacked_root(), ignore_errors=True)
    run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked_root())])
    return [
        f"libreswan: unpacked {debs[-1].name} into {unpacked_root()} (not installed: "
        "it conflicts with strongSwan; the lab uses it inside siteB only)"
    ]


_ESP_NAMES = {"aes128gcm16": "aes_gcm128", "aes256gcm16": "aes_gcm256"}
_DH = re.compile(r"-(modp\d+|ecp\d+|curve25519)$")


def esp_and_pfs(proposal: str) -> tuple[str, bool]:
    """strongSwan ESP proposal -> (libreswan esp=, pfs): a DH group in it means PFS."""
    m = _DH.search(proposal)
    base = proposal[: m.start()] if m else proposal
    for strongswan_name, libreswan_name in _ESP_NAMES.items():
        base = base.replace(strongswan_name, libreswan_name)
    return (f"{base};{m.group(1)}" if m else base), m is not None


def ipsec_conf(cfg: GatewayConfig) -> str:
    esp, pfs = esp_and_pfs(cfg.esp_proposal)
    subnets = ""
    tries = f"    keyingtries={cfg.keyingtries}\n" if cfg.keyingtries != 1 else ""
    if cfg.local_ts:
        subnets += f"    leftsubnet={cfg.local_ts}\n"
    if cfg.remote_ts:
        subnets += f"    rightsubnet={cfg.remote_ts}\n"
    return f"""# written by ipsec-tui lab
config setup
    logfile={LOG_FILE}
    logtime=yes
    logappend=yes
    nssdir={NSS_DIR}
    # Debian's default drops IKEv1; the lab runs IKEv1 too (`lab up --ike-version 1`)
    ikev1-policy=accept

conn {TUNNEL_NAME}
    ikev2={"yes" if cfg.ike_version == 2 else "no"}
    authby=secret
    dpddelay={cfg.dpd_delay_s}
    dpdtimeout={cfg.dpd_delay_s * 4}
    dpdaction=restart
    fragmentation={"yes" if cfg.fragmentation else "no"}
    left={cfg.local_addr}
    leftid=@{cfg.local_id}
    right={cfg.remote_addr}
    rightid=@{cfg.remote_id}
{subnets}    ike={cfg.ike_proposal}
    esp={esp}
    pfs={"yes" if pfs else "no"}
    type={cfg.mode}
    salifetime={cfg.rekey_time_s}s
    ikelifetime={cfg.ike_rekey_time_s}s
    encapsulation={"yes" if cfg.udp_encap else "auto"}
{tries}    auto=add
"""


class Libreswan:
    """pluto configured with ipsec.conf, one connection `lab`."""

    name = "libreswan"
    platform = "libreswan"
    log_file = LOG_FILE
    config_file = CONN_FILE
    run_files: tuple[str, ...] = ("/run/pluto/pluto.pid", "/run/pluto/pluto.ctl")

    def mounts(self, dirs: GatewayDirs) -> list[str]:
        root = unpacked_root()
        return [  # overlays first: a later overlay on /etc would hide binds below it
            f"mount -t overlay overlay -o lowerdir={root}/usr:/usr /usr",
            f"mount -t overlay overlay -o lowerdir={dirs.etc}:{root}/etc:/etc /etc",
            f"mount --bind '{dirs.etc}/ipsec.conf' /etc/ipsec.conf",
            f"mount --bind '{dirs.etc}/ipsec.secrets' /etc/ipsec.secrets",
            f"mount --bind '{dirs.root}/ipsec.d' {NSS_DIR}",
            f"mount --bind '{dirs.log}' /var/log",
        ]

    def prepare(self, dirs: GatewayDirs, libipsec: bool) -> None:
        dirs.etc.mkdir(parents=True, exist_ok=True)
        (dirs.root / "ipsec.d").mkdir(parents=True, exist_ok=True)
        for name in ("ipsec.conf", "ipsec.secrets"):
            (dirs.etc / name).touch(mode=0o600)

    def start(self, holder: int, dirs: GatewayDirs) -> int:
        gw_run(holder, ["ipsec", "initnss", "--nssdir", NSS_DIR])
        pid = spawn(
            holder, ["/usr/libexec/ipsec/pluto", "--config", CONN_FILE, "--nofork"], dirs.daemon_out
        )
        wait_for(gw_path(holder, "/run/pluto/pluto.ctl").exists, 10, "pluto's control socket")
        return pid

    def write_config(self, dirs: GatewayDirs, cfgs: Sequence[GatewayConfig]) -> None:
        cfg = cfgs[0]  # one tunnel: several are strongSwan-only in the lab
        (dirs.etc / "ipsec.conf").write_text(ipsec_conf(cfg))
        (dirs.etc / "ipsec.secrets").write_text(
            f'@{cfg.local_id} @{cfg.remote_id} : PSK "{cfg.psk}"\n'
        )

    def load(self, holder: int) -> None:
        gw_run(holder, ["ipsec", "auto", "--rereadsecrets"])
        gw_run(holder, ["ipsec", "auto", "--replace", TUNNEL_NAME])

    def initiate(
        self, holder: int, timeout_s: int, children: Sequence[str] = (CHILD_NAME,)
    ) -> bool:
        proc = gw_run(
            holder,
            ["timeout", str(timeout_s), "ipsec", "auto", "--up", TUNNEL_NAME],
            check=False,
            timeout=timeout_s + 5,
        )
        return proc.returncode == 0

    def terminate(self, holder: int, ike: str = TUNNEL_NAME) -> None:
        gw_run(holder, ["ipsec", "auto", "--down", ike], check=False)

    def rekey(self, holder: int, child: str = CHILD_NAME) -> None:
        gw_run(holder, ["ipsec", "whack", "--rekey-ipsec", "--name", TUNNEL_NAME], check=False)

    def established(self, holder: int) -> bool:
        out = gw_run(holder, ["ipsec", "trafficstatus"], check=False).stdout
        return "Tunnel" in out or "#" in out

    def installed_children(self, holder: int) -> set[str]:
        return {CHILD_NAME} if self.established(holder) else set()

    def ike_established(self, holder: int) -> bool:
        out = gw_run(holder, ["ipsec", "status"], check=False).stdout
        # IKEv2: STATE_V2_ESTABLISHED_IKE_SA; IKEv1 main mode: STATE_MAIN_R3/I4
        return "ESTABLISHED_IKE_SA" in out or "STATE_MAIN_R3" in out or "STATE_MAIN_I4" in out

    def status_lines(self, holder: int) -> list[str]:
        out = gw_run(holder, ["ipsec", "status"], check=False).stdout
        keep = [
            line.split(":", 1)[-1].strip()
            for line in out.splitlines()
            if "STATE_" in line or "ESTABLISHED" in line
        ]
        return keep or ["no IKE SA"]
