"""The IKE daemons a lab gateway can run, behind one small interface."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ipsec_tui.lab import strongswan
from ipsec_tui.lab.config import GatewayConfig
from ipsec_tui.lab.gateway import gw_path, gw_run, spawn, wait_for
from ipsec_tui.lab.topology import CHILD_NAME, TUNNEL_NAME

_INSTALLED = re.compile(r"^\s+([A-Za-z0-9._-]+): #\d+, reqid \d+, INSTALLED", re.M)


@dataclass(frozen=True)
class GatewayDirs:
    """The lab folder's parts for one gateway."""

    root: Path
    etc: Path
    log: Path
    daemon_out: Path
    shadow: Path  # the gateway's own /etc/shadow: root with the lab's login password

    @classmethod
    def under(cls, root: Path) -> GatewayDirs:
        return cls(root, root / "etc", root / "log", root / "daemons.out", root / "shadow")


def login_mounts(dirs: GatewayDirs) -> list[str]:
    """Mounts every gateway gets after its daemon's: /etc/shadow with the lab's root
    password, so sshd (UsePAM no) accepts a password login; the host's file is untouched."""
    return [f"mount --bind '{dirs.shadow}' /etc/shadow"]


class IkeDaemon(Protocol):
    name: str
    log_file: str
    config_file: str
    platform: str

    def mounts(self, dirs: GatewayDirs) -> list[str]: ...
    def prepare(self, dirs: GatewayDirs, libipsec: bool) -> None: ...
    def start(self, holder: int, dirs: GatewayDirs) -> int: ...
    def write_config(self, dirs: GatewayDirs, cfgs: Sequence[GatewayConfig]) -> None: ...
    def load(self, holder: int) -> None: ...

    run_files: tuple[str, ...]  # PID file and control socket a killed daemon leaves behind

    def initiate(
        self, holder: int, timeout_s: int, children: Sequence[str] = (CHILD_NAME,)
    ) -> bool: ...
    def terminate(self, holder: int, ike: str = TUNNEL_NAME) -> None: ...
    def rekey(self, holder: int, child: str = CHILD_NAME) -> None: ...
    def established(self, holder: int) -> bool: ...
    def installed_children(self, holder: int) -> set[str]: ...
    def status_lines(self, holder: int) -> list[str]: ...


class StrongSwan:
    """charon configured with swanctl: connection `lab` with child `lan` (and, with several
    tunnels, `lab2` with `lab2-lan`...)."""

    name = "strongswan"
    platform = "strongswan"
    log_file = strongswan.LOG_FILE
    config_file = strongswan.SWANCTL_CONF
    run_files: tuple[str, ...] = ("/run/charon.pid", "/run/charon.vici")

    def mounts(self, dirs: GatewayDirs) -> list[str]:
        return [
            f"mount --bind '{dirs.etc}/swanctl' /etc/swanctl",
            f"mount --bind '{dirs.etc}/strongswan.conf' /etc/strongswan.conf",
            f"mount --bind '{dirs.log}' /var/log",
        ]

    def prepare(self, dirs: GatewayDirs, libipsec: bool) -> None:
        for sub in (
            "conf.d",
            "x509",
            "x509ca",
            "private",
            "rsa",
            "ecdsa",
            "pkcs8",
            "pkcs12",
            "x509aa",
            "x509ac",
            "x509crl",
            "x509ocsp",
            "pubkey",
            "bliss",
            "pkcs12",
        ):
            (dirs.etc / "swanctl" / sub).mkdir(parents=True, exist_ok=True)
        (dirs.etc / "strongswan.conf").write_text(strongswan.strongswan_conf(libipsec))

    def start(self, holder: int, dirs: GatewayDirs) -> int:
        pid = spawn(holder, [strongswan.CHARON], dirs.daemon_out)
        vici = gw_path(holder, "/run/charon.vici")
        wait_for(vici.exists, 10, "charon's control socket")
        return pid

    def write_config(self, dirs: GatewayDirs, cfgs: Sequence[GatewayConfig]) -> None:
        path = dirs.etc / "swanctl" / "swanctl.conf"
        path.write_text(strongswan.swanctl_conf(cfgs))
        path.chmod(0o600)

    def load(self, holder: int) -> None:
        gw_run(holder, ["swanctl", "--load-creds", "--clear"])
        gw_run(holder, ["swanctl", "--load-conns"])

    def initiate(
        self, holder: int, timeout_s: int, children: Sequence[str] = (CHILD_NAME,)
    ) -> bool:
        ok = True
        for child in children:  # the first brings the IKE SA up, the others join it
            proc = gw_run(
                holder,
                ["swanctl", "--initiate", "--child", child, "--timeout", str(timeout_s)],
                check=False,
                timeout=timeout_s + 5,
            )
            ok = ok and proc.returncode == 0
        return ok

    def terminate(self, holder: int, ike: str = TUNNEL_NAME) -> None:
        gw_run(
            holder,
            ["swanctl", "--terminate", "--ike", ike, "--force", "--timeout", "2"],
            check=False,
        )

    def rekey(self, holder: int, child: str = CHILD_NAME) -> None:
        gw_run(holder, ["swanctl", "--rekey", "--child", child], check=False)

    def established(self, holder: int) -> bool:
        out = gw_run(holder, ["swanctl", "--list-sas"], check=False).stdout
        return "ESTABLISHED" in out and "INSTALLED" in out

    def installed_children(self, holder: int) -> set[str]:
        out = gw_run(holder, ["swanctl", "--list-sas"], check=False).stdout
        return set(_INSTALLED.findall(out))

    def status_lines(self, holder: int) -> list[str]:
        out = gw_run(holder, ["swanctl", "--list-sas"], check=False).stdout
        keep = [
            line.strip()
            for line in out.splitlines()
            if "ESTABLISHED" in line
            or "CONNECTING" in line
            or "INSTALLED" in line
            or "bytes_i" in line
        ]
        return keep or ["no IKE SA"]


def daemon_for(impl: str) -> IkeDaemon:
    if impl == "strongswan":
        return StrongSwan()
    if impl == "libreswan":
        from ipsec_tui.lab.libreswan import Libreswan

        return Libreswan()
    raise KeyError(impl)
