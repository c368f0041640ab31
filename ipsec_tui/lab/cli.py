"""`ipsec-tui lab ...`: the real two-peer lab."""

from __future__ import annotations

import argparse
from typing import Any

from ipsec_tui.errors import UserError

DEBIAN_PACKAGES = [
    "strongswan-charon",
    "strongswan-swanctl",
    "libcharon-extra-plugins",
    "libstrongswan-standard-plugins",  # openssl: AES-GCM, ECP, x25519, ChaCha20
    "strongswan-pki",  # certificates for `lab up --auth cert`
    "openssh-server",
    "openssh-client",
    "nftables",
    "iproute2",
    "iputils-ping",
    "tcpdump",  # the probe's bounded IKE/ESP capture on each gateway
    "util-linux",
    "openssl",
]


def register(sub: Any) -> None:
    lab = sub.add_parser(
        "lab",
        help="the real two-peer IPsec lab (root)",
        description="A real two-peer IPsec lab in network namespaces.",
    )
    actions = lab.add_subparsers(dest="lab_action", metavar="ACTION")
    deps = actions.add_parser("deps", help="install the Debian packages the lab needs")
    deps.add_argument(
        "--impl-b",
        choices=["strongswan", "libreswan"],
        default=None,
        help="also prepare this implementation for siteB (default: both)",
    )
    deps.set_defaults(handler=cmd_deps)
    up = actions.add_parser("up", help="bring the lab up with an established tunnel")
    up.add_argument(
        "--impl-b",
        choices=["strongswan", "libreswan"],
        default="strongswan",
        help="IKE implementation on siteB (siteA always runs strongSwan)",
    )
    _shape_options(up)
    up.add_argument(
        "--tunnels",
        type=int,
        default=1,
        help="tunnels between the gateways, one connection each (lab, lab2...; default 1)",
    )
    up.set_defaults(handler=cmd_up)
    actions.add_parser("down", help="remove everything the lab made").set_defaults(handler=cmd_down)
    actions.add_parser("status", help="what runs, the tunnel's state, the inventory").set_defaults(
        handler=cmd_status
    )
    actions.add_parser("reset", help="undo the fault: back to the healthy baseline").set_defaults(
        handler=cmd_reset
    )
    fault = actions.add_parser("fault", help="inject a fault on the running baseline")
    fault.add_argument("name", help="a fault from `ipsec-tui lab faults`")
    fault.add_argument(
        "--child", type=int, default=None, help="child-* faults: which child to break (2)"
    )
    fault.add_argument(
        "--tunnel",
        type=_tunnel_number,
        default=None,
        metavar="T",
        help="break only tunnel T (a number, or its name: lab, lab2...); faults on the "
        "other tunnels stay",
    )
    fault.add_argument(
        "--short-timers",
        action="store_true",
        help="lifetime: siteB rekeys every 20 s; pfs: siteA's own rekey comes within ~25 s",
    )
    fault.set_defaults(handler=cmd_fault)
    actions.add_parser("faults", help="list the faults").set_defaults(handler=cmd_faults)
    rec = actions.add_parser("record", help="record the baseline and every fault as captures")
    rec.add_argument("out", help="folder to write <scenario>/ captures into")
    rec.add_argument("--impl-b", choices=["strongswan", "libreswan"], default="strongswan")
    _shape_options(rec)
    rec.add_argument(
        "scenarios",
        nargs="*",
        help="baseline and/or fault names, NAME:CHILD for child-* faults (default: all)",
    )
    rec.set_defaults(handler=cmd_record)
    lab.set_defaults(handler=lambda args: (lab.print_help(), 2)[1])


def _shape_options(parser: Any) -> None:
    parser.add_argument(
        "--ike-version", type=int, choices=[1, 2], default=2, help="IKEv1 (main mode) or IKEv2"
    )
    parser.add_argument(
        "--auth",
        choices=["psk", "cert"],
        default="psk",
        help="pre-shared key, or certificates (RSA-4096 chain per site)",
    )
    parser.add_argument(
        "--children", type=int, default=1, help="child SAs with their own subnets (1-3)"
    )


def _tunnel_number(text: str) -> int:
    """`--tunnel 3` or `--tunnel lab3` (and `lab` for tunnel 1)."""
    from ipsec_tui.lab.topology import TUNNEL_NAME

    number = text.removeprefix(TUNNEL_NAME) or "1"
    if not number.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: a tunnel number or name (lab, lab2, ...)")
    return int(number)


def _shape(args: argparse.Namespace) -> dict[str, Any]:
    return {"ike_version": args.ike_version, "auth": args.auth, "children": args.children}


def cmd_deps(args: argparse.Namespace) -> int:
    from ipsec_tui.lab.core import missing_packages, require_root
    from ipsec_tui.lab.shell import run

    require_root()
    impls = ["strongswan", "libreswan"] if args.impl_b is None else [args.impl_b]
    if not any(missing_packages(impl) for impl in impls):
        print("lab dependencies are already installed; next: ipsec-tui lab up")
        return 0
    print("apt-get update ...", flush=True)
    run(["apt-get", "update", "-q"], timeout=600)
    print("apt-get install -y " + " ".join(DEBIAN_PACKAGES), flush=True)
    run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *DEBIAN_PACKAGES],
        timeout=1200,
    )
    if "libreswan" in impls:
        from ipsec_tui.lab.libreswan import install

        for line in install():
            print(line)
    print("lab dependencies are installed; next: ipsec-tui lab up")
    return 0


def _print_next(inventory: str) -> None:
    from ipsec_tui.lab.core import PASSWORD_TUNNEL, password_path

    print(f"inventory: {inventory}")
    print(f"password login: tunnel {PASSWORD_TUNNEL}, root's password in {password_path()}")
    print(f"next: ipsec-tui collect --inventory {inventory} --tunnel lab --out ./capture")


def cmd_up(args: argparse.Namespace) -> int:
    from ipsec_tui.lab import core

    lab, seconds = core.up(args.impl_b, tunnels=args.tunnels, **_shape(args))
    if seconds == 0.0:
        print("the lab is already up")
    else:
        print(
            f"lab up in {seconds:.1f}s: siteA (strongswan) <-> siteB ({args.impl_b}), "
            f"{lab.state.shape()}, ESP backend: {lab.state.esp_backend}"
        )
    _print_status(lab)
    return 0


def _print_status(lab: Any) -> None:
    from ipsec_tui.lab import topology as topo

    for s in topo.SITES:
        daemon = lab.state.daemon(s)
        print(
            f"{s.name}: {daemon.name} on {s.wan_addr}, ssh root@{s.mgmt_addr}, "
            f"LAN {s.lan_net} (host {s.host_addr})"
        )
        for line in daemon.status_lines(lab.holder(s)):
            print(f"    {line}")
    if lab.limitation():
        print(f"note: {lab.limitation()}")
    tunnel_faults = [f"{fault} on {name}" for name, fault in lab.state.tunnel_faults.items()]
    print(f"fault: {', '.join(tunnel_faults) or lab.state.fault or 'none (healthy baseline)'}")
    _print_next(str(topo.lab_dir() / "inventory.yml"))


def cmd_status(args: argparse.Namespace) -> int:
    from ipsec_tui.lab import core

    try:
        lab = core.current()
    except UserError:
        left = core.leftovers()
        if left:
            print(
                "the lab is down, but these are left over (run `ipsec-tui lab down`): "
                + ", ".join(left)
            )
            return 1
        print("the lab is down: run `ipsec-tui lab up`")
        return 1
    print(
        f"the lab is up: siteB runs {lab.state.impl_b}, {lab.state.shape()}, "
        f"ESP backend: {lab.state.esp_backend}"
    )
    _print_status(lab)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from ipsec_tui.lab import core

    removed = core.down()
    print("removed: " + ", ".join(removed) if removed else "nothing to remove: the lab is down")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from ipsec_tui.lab import core, faults

    for line in faults.reset(core.current()):
        print(line)
    print("back to the healthy baseline")
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ipsec_tui.lab.record import record

    record(Path(args.out), args.impl_b, args.scenarios or None, **_shape(args))
    return 0


def cmd_faults(args: argparse.Namespace) -> int:
    from ipsec_tui.lab.faults import FAULTS

    for f in FAULTS.values():
        notes = [f"--child N; lab up --children {f.min_children}+"] if f.per_child else []
        notes += ["--tunnel T"] if f.per_tunnel else []
        notes += ["--short-timers"] if f.timers else []
        notes += ["shows over time: ipsec-tui watch"] if f.over_time else []
        note = f" ({'; '.join(notes)})" if notes else ""
        print(f"{f.name:16} on {f.site.name}: {f.summary}{note}")
    return 0


def cmd_fault(args: argparse.Namespace) -> int:
    from ipsec_tui.lab import core, faults
    from ipsec_tui.lab.topology import lab_dir

    lab = core.current()
    for line in faults.inject(
        lab, args.name, args.child, tunnel=args.tunnel, short_timers=args.short_timers
    ):
        print(line)
    print(f"fault {args.name} is active; `ipsec-tui lab reset` undoes it")
    _print_next(str(lab_dir() / "inventory.yml"))
    return 0
