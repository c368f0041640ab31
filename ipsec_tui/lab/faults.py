"""Faults the lab can inject on a running baseline, each undone by `reset`.

Each fault changes one thing on one gateway, then provokes the symptom (re-negotiation,
a forced rekey, or a bounded burst of traffic) so that a collection right after it shows
what an engineer would see in an outage.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ipsec_tui.errors import UserError
from ipsec_tui.lab import topology as topo
from ipsec_tui.lab.config import describe_changes, with_changes
from ipsec_tui.lab.core import Lab, gateway_dirs, ping
from ipsec_tui.lab.gateway import gw_path, kill_pids
from ipsec_tui.lab.shell import in_netns, run

NFT_TABLE = "itl_fault"
WAN_MTU = 1500
SMALL_PATH_MTU = 1280  # the `mtu` fault's WAN link: IPv6's minimum, common on tunnels/PPPoE


@dataclass(frozen=True)
class Fault:
    name: str
    site: topo.Site  # the side the fault is injected on: the side to fix
    summary: str
    expected_cause: str  # the diagnosis vocabulary term this fault should produce
    inject: Callable[..., list[str]]  # (lab) or, for per-child faults, (lab, child=n)
    needs_child_sa: bool = False  # its symptom needs an installed child SA (traffic, rekey)
    per_child: bool = False  # breaks one child only: `--child N` (default 2)
    min_children: int = 1
    fix_side: topo.Site | None = None  # where the fix goes, when not where it was made


def _reconfigure(lab: Lab, site: topo.Site, **changes: object) -> list[str]:
    before = lab.config(site)
    after = with_changes(before, **changes)
    lab.apply_config(site, after)
    return [
        f"{site.name}: {lab.state.daemon(site).config_file}: {field}: {old} -> {new}"
        for field, old, new in describe_changes(before, after)
    ]


def _renegotiate(lab: Lab, wait_s: float = 0.0) -> str:
    lab.terminate_all()
    ok = lab.initiate(timeout_s=4)
    if wait_s:
        time.sleep(wait_s)
    return "siteA: re-initiated the tunnel: " + ("established" if ok else "failed")


def _negotiation_fault(site: topo.Site, **changes: object) -> Callable[[Lab], list[str]]:
    def inject(lab: Lab) -> list[str]:
        return [*_reconfigure(lab, site, **changes), _renegotiate(lab)]

    return inject


def _pfs(lab: Lab) -> list[str]:
    # The first child SA is negotiated inside IKE_AUTH without a DH exchange, so a PFS
    # mismatch only shows when the child SA is rekeyed: re-establish, then force the rekey.
    changed = _reconfigure(lab, topo.SITE_B, esp_proposal="aes256-sha256")
    changed.append(_renegotiate(lab))
    lab.state.daemon(topo.SITE_A).rekey(lab.holder(topo.SITE_A))
    time.sleep(1.0)
    if lab.state.ike_version == 2:
        changed.append(
            "siteA: forced a rekey of child SA 'lan' (CREATE_CHILD_SA with a KE payload)"
        )
    else:  # IKEv1's first quick mode carries the PFS group already: nothing to rekey
        changed.append(
            "siteA: asked for a rekey of child SA 'lan'; with IKEv1 the first quick mode "
            "already carries the PFS group, and it failed"
        )
    return changed


def _lifetime(lab: Lab) -> list[str]:
    changed = _reconfigure(lab, topo.SITE_B, rekey_time_s=300, ike_rekey_time_s=900)
    changed.append(_renegotiate(lab))
    a_ok, b_ok = lab.traffic()
    changed.append(
        f"traffic: hostA->hostB {'ok' if a_ok else 'lost'}, hostB->hostA {'ok' if b_ok else 'lost'}"
    )
    return changed


def _mode(lab: Lab) -> list[str]:
    # transport mode is host-to-host: its selectors become the gateways' own addresses
    return [
        *_reconfigure(lab, topo.SITE_A, mode="transport", local_ts="", remote_ts=""),
        _renegotiate(lab),
    ]


def _udp_blocked(lab: Lab) -> list[str]:
    site = topo.SITE_B
    lab.terminate_all()
    lab.truncate_logs()  # so the responder's silence from here on is plain to see
    _fault_table(
        lab,
        site,
        "  chain input {\n    type filter hook input priority 0; policy accept;\n"
        "    udp dport { 500, 4500 } counter drop\n  }\n",
    )
    lines = [f"{site.name}: nftables table inet {NFT_TABLE}: drops incoming UDP 500 and 4500"]
    ok = lab.initiate(timeout_s=3)
    lines.append(
        "siteA: re-initiated the tunnel: " + ("established" if ok else "no answer, retransmitting")
    )
    return lines


def _traffic_after(lab: Lab) -> str:
    ok = ping(topo.SITE_A, topo.SITE_B)
    return f"traffic: 3 pings hostA->hostB: {'answered' if ok else 'unanswered'}"


def _no_return_route(lab: Lab) -> list[str]:
    site = topo.SITE_B
    _renegotiate(lab)  # fresh SAs: the counters then show only this fault's traffic
    run(in_netns(site.host_netns, ["ip", "route", "del", "default"]))
    return [
        f"host{site.letter} ({site.host_addr}): removed its default route via "
        f"{site.lan_gw}: no route back to {topo.SITE_A.lan_net}",
        _traffic_after(lab),
    ]


def _forwarding_off(lab: Lab) -> list[str]:
    site = topo.SITE_B
    _renegotiate(lab)
    run(in_netns(site.netns, ["sysctl", "-qw", "net.ipv4.ip_forward=0"]))
    return [f"{site.name}: net.ipv4.ip_forward: 1 -> 0", _traffic_after(lab)]


def _fault_table(lab: Lab, site: topo.Site, chains: str) -> None:
    """Load the fault's nftables table (NFT_TABLE) on the site's gateway: `chains` is its body."""
    rules = f"table inet {NFT_TABLE} {{\n{chains}}}\n"
    run(["nsenter", "-t", str(lab.holder(site)), "-n", "--", "nft", "-f", "-"], input_text=rules)


def _log_text(lab: Lab, site: topo.Site) -> str:
    log = gateway_dirs(site).log / lab.state.daemon(site).log_file.rsplit("/", 1)[-1]
    try:
        return log.read_text(errors="replace")
    except OSError:
        return ""


def _wait_for_log(lab: Lab, site: topo.Site, needles: tuple[str, ...], timeout_s: float) -> bool:
    """Wait (bounded) until the site's IKE log holds one of `needles`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = _log_text(lab, site)
        if any(n in text for n in needles):
            return True
        time.sleep(0.25)
    return False


def _pings(lab: Lab, src: topo.Site, dst: topo.Site, **kw: Any) -> str:
    size = kw.get("size")
    what = f"{size}-byte pings with DF set" if size else "3 pings"
    ok = ping(src, dst, **kw)
    return f"traffic: {what} host{src.letter}->host{dst.letter}: " + (
        "answered" if ok else "unanswered"
    )


def _nat_exempt(lab: Lab) -> list[str]:
    # "masquerade the LAN" for internet access, with no exception for the remote LAN (no
    # `ip daddr 10.1.0.0/24 accept`, no `meta ipsec exists`): B's LAN traffic gets B's own
    # address as source before the IPsec policy sees it, and no longer matches the child SA
    site = topo.SITE_B
    _renegotiate(lab)  # fresh SAs: the counters then show only this fault's traffic
    _fault_table(
        lab,
        site,
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        f"    ip saddr {site.lan_net} counter masquerade\n  }}\n",
    )
    return [
        f"{site.name}: nftables table inet {NFT_TABLE}: masquerade of {site.lan_net} in "
        f"postrouting, no exception for {topo.SITE_A.lan_net}",
        _pings(lab, topo.SITE_B, topo.SITE_A),
        _pings(lab, topo.SITE_A, topo.SITE_B),
    ]


def _esp_blocked(lab: Lab) -> list[str]:
    # A firewall in front of siteB that lets IKE through (UDP 500, and UDP 4500 whose payload
    # starts with the four zero bytes of the non-ESP marker) but drops ESP, plain (IP protocol
    # 50) or in UDP 4500: the tunnel comes up, and no packet protected by it ever arrives
    site = topo.SITE_B
    _renegotiate(lab)  # fresh SAs: the counters then show only this fault's traffic
    _fault_table(
        lab,
        site,
        "  chain input {\n    type filter hook input priority 0; policy accept;\n"
        "    meta l4proto esp counter drop\n"
        "    udp dport 4500 @th,64,32 != 0 counter drop\n  }\n",
    )
    return [
        f"{site.name}: nftables table inet {NFT_TABLE}: drops incoming ESP (IP protocol 50 and "
        "ESP in UDP 4500); IKE still passes",
        _pings(lab, topo.SITE_A, topo.SITE_B),
        _pings(lab, topo.SITE_B, topo.SITE_A),
    ]


def _mtu(lab: Lab) -> list[str]:
    # A path that carries only 1280 bytes and sends no ICMP: large ESP packets vanish (a PMTU
    # black hole), and an IKE_AUTH with certificates no longer fits once siteB, by not
    # offering IKE fragmentation, leaves siteA to send it whole (IP-fragmented, and lost)
    site = topo.SITE_B
    changed = _reconfigure(lab, site, fragmentation=False)
    run(in_netns(site.netns, ["ip", "link", "set", site.wan_if, "mtu", str(SMALL_PATH_MTU)]))
    changed.append(f"{site.name}: {site.wan_if}: mtu {WAN_MTU} -> {SMALL_PATH_MTU} (no ICMP back)")
    lab.terminate_all()
    ok = lab.initiate(timeout_s=4)
    if not ok:  # let the retransmits of the lost IKE_AUTH show in the log
        _wait_for_log(lab, topo.SITE_A, ("retransmit 3 of request",), 8)
    changed.append("siteA: re-initiated the tunnel: " + ("established" if ok else "failed"))
    if ok:
        changed.append(_pings(lab, topo.SITE_A, site, size=100))
        changed.append(_pings(lab, topo.SITE_A, site, size=1300))
    return changed


def _dpd(lab: Lab) -> list[str]:
    # the tunnel is up, then siteB stops answering: siteA's DPD (dpd_delay in the baseline)
    # retransmits and, after the lab's retransmit settings run out (~11 s), declares it dead
    site = topo.SITE_B
    _renegotiate(lab)
    first = lab.traffic()
    _fault_table(
        lab,
        site,
        "  chain input {\n    type filter hook input priority 0; policy accept;\n"
        f"    ip saddr {topo.SITE_A.wan_addr} udp dport {{ 500, 4500 }} counter drop\n  }}\n"
        "  chain output {\n    type filter hook output priority 0; policy accept;\n"
        f"    ip daddr {topo.SITE_A.wan_addr} udp sport {{ 500, 4500 }} counter drop\n  }}\n",
    )
    lines = [
        "tunnel established, traffic "
        + ("both ways" if all(first) else "incomplete")
        + f"; then {site.name}: nftables table inet {NFT_TABLE}: drops UDP 500/4500 from and "
        f"to {topo.SITE_A.wan_addr}",
    ]
    wait = lab.config(topo.SITE_A).dpd_delay_s + 30
    dead = _wait_for_log(lab, topo.SITE_A, ("giving up after",), wait)
    lines.append(
        "siteA: DPD " + ("declared the peer dead" if dead else f"had not given up after {wait}s")
    )
    return lines


def _ike_version(lab: Lab) -> list[str]:
    site = topo.SITE_B
    other = 1 if lab.config(site).ike_version == 2 else 2
    return [*_reconfigure(lab, site, ike_version=other), _renegotiate(lab)]


def _stale_sa(lab: Lab) -> list[str]:
    # siteB's daemon dies (kill -9: no DELETE, no INITIAL_CONTACT) and comes back empty,
    # with no initiation; siteA keeps its SAs and keeps sending into SPIs B forgot
    site = topo.SITE_B
    _renegotiate(lab)
    lab.traffic()
    daemon = lab.state.daemon(site)
    old = lab.state.daemons[site.name][0]
    os.kill(old, signal.SIGKILL)  # no SIGTERM: that would let it clean up
    kill_pids([old])  # reaps it; only the PID the lab started
    deadline = time.monotonic() + 3
    while _has_link(site.netns, "ipsec0") and time.monotonic() < deadline:
        time.sleep(0.05)  # libipsec's TUN goes with the dead process: let the name free
    for leftover in daemon.run_files:
        gw_path(lab.holder(site), leftover).unlink(missing_ok=True)
    new = daemon.start(lab.holder(site), gateway_dirs(site))
    lab.state.daemons[site.name][0] = new
    lab.state.save()
    daemon.load(lab.holder(site))
    return [
        f"{site.name}: {daemon.name} killed (SIGKILL, PID {old}) and started again "
        f"(PID {new}), config loaded, nothing initiated",
        _pings(lab, topo.SITE_A, site),
    ]


def _has_link(netns: str, name: str) -> bool:
    return run(in_netns(netns, ["ip", "link", "show", name]), check=False).returncode == 0


def _child_fault(lab: Lab, child: int, **changes: str) -> list[str]:
    site = topo.SITE_B
    cfg = lab.config(site)
    if not 1 <= child <= cfg.children:
        raise UserError(f"--child {child}: the lab has children 1 to {cfg.children}")
    name = topo.child_name(child)
    per_child = dict(cfg.child_changes)
    per_child[name] = {**per_child.get(name, {}), **changes}
    lines = _reconfigure(lab, site, child_changes=per_child)
    lines.append(_renegotiate(lab))
    for number in range(1, cfg.children + 1):
        ok = ping(topo.SITE_A, topo.SITE_B, child=number)
        lines.append(
            f"traffic on child {topo.child_name(number)}: " + ("answered" if ok else "unanswered")
        )
    return lines


def _child_proposal(lab: Lab, child: int = 2) -> list[str]:
    return _child_fault(lab, child, esp_proposal="aes128gcm16-modp2048")


def _child_ts(lab: Lab, child: int = 2) -> list[str]:
    return _child_fault(lab, child, remote_ts=f"10.99.{child}.0/24")


A, B = topo.SITE_A, topo.SITE_B
FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault(
            "psk",
            B,
            "siteB holds a different pre-shared key",
            "psk-mismatch",
            _negotiation_fault(B, psk="wrong-" + "k" * 20),
        ),
        Fault(
            "identity",
            B,
            "siteB expects another remote identity",
            "identity-mismatch",
            _negotiation_fault(B, remote_id="siteX.lab"),
        ),
        Fault(
            "ike-proposal",
            B,
            "siteB accepts only aes128-sha256-ecp256 for IKE",
            "ike-proposal-mismatch",
            _negotiation_fault(B, ike_proposal="aes128-sha256-ecp256"),
        ),
        Fault(
            "esp-proposal",
            B,
            "siteB accepts only aes128gcm16 for ESP",
            "child-proposal-mismatch",
            _negotiation_fault(B, esp_proposal="aes128gcm16-modp2048"),
        ),
        Fault(
            "pfs",
            B,
            "siteB has no PFS group for the child SA; fails at rekey",
            "pfs-mismatch",
            _pfs,
            needs_child_sa=True,
        ),
        Fault(
            "ts",
            B,
            "siteB's remote traffic selector is 10.99.0.0/24",
            "selector-mismatch",
            _negotiation_fault(B, remote_ts="10.99.0.0/24"),
        ),
        Fault(
            "mode", A, "siteA asks for transport mode, siteB has a tunnel", "mode-mismatch", _mode
        ),
        Fault(
            "lifetime",
            B,
            "siteB rekeys every 5 minutes, siteA every hour",
            "lifetime-mismatch",
            _lifetime,
            needs_child_sa=True,
        ),
        Fault(
            "udp-blocked",
            B,
            "siteB's firewall drops UDP 500/4500",
            "peer-unreachable",
            _udp_blocked,
        ),
        Fault(
            "no-return-route",
            B,
            "hostB has no route back to siteA's LAN",
            "no-return-path",
            _no_return_route,
            needs_child_sa=True,
        ),
        Fault(
            "forwarding-off",
            B,
            "siteB does not forward packets (ip_forward=0)",
            "no-return-path",
            _forwarding_off,
            needs_child_sa=True,
        ),
        Fault(
            "nat-exempt",
            B,
            "siteB masquerades its LAN with no exception for the tunnel's traffic",
            "nat-exemption-missing",
            _nat_exempt,
            needs_child_sa=True,
        ),
        Fault(
            "esp-blocked",
            B,
            "siteB's firewall passes IKE but drops ESP: the tunnel is up, nothing arrives",
            "esp-blocked",
            _esp_blocked,
            needs_child_sa=True,
        ),
        Fault(
            "mtu",
            B,
            "siteB's WAN path carries 1280 bytes, no ICMP; siteB offers no IKE fragmentation",
            "mtu-fragmentation",
            _mtu,
            # with a PSK only ESP is large; with --auth cert IKE_AUTH is too (strongSwan only)
            needs_child_sa=True,
        ),
        Fault(
            "dpd",
            B,
            "siteB stops answering after the tunnel is up; DPD declares it dead",
            "dpd-timeout",
            _dpd,
        ),
        Fault(
            "ike-version",
            B,
            "siteB speaks the other IKE version only",
            "ike-version-mismatch",
            _ike_version,
        ),
        Fault(
            "stale-sa",
            B,
            "siteB's daemon restarted and lost its SAs; siteA still holds them",
            "stale-sa",
            _stale_sa,
            needs_child_sa=True,
            fix_side=A,  # the stale SAs are siteA's: they are cleared there
        ),
        Fault(
            "child-proposal",
            B,
            "one child's ESP proposal on siteB is aes128gcm16 only",
            "child-proposal-mismatch",
            _child_proposal,
            per_child=True,
            min_children=2,
        ),
        Fault(
            "child-ts",
            B,
            "one child's remote traffic selector on siteB is 10.99.N.0/24",
            "selector-mismatch",
            _child_ts,
            per_child=True,
            min_children=2,
        ),
    ]
}


def reset(lab: Lab) -> list[str]:
    """Back to the baseline: configs, firewall, routes, sysctls; fresh logs; tunnel up."""
    done = []
    for site in topo.SITES:
        if lab.config(site) != lab.baseline(site):
            done += _reconfigure(lab, site, **vars(lab.baseline(site)))
        run(
            [
                "nsenter",
                "-t",
                str(lab.holder(site)),
                "-n",
                "--",
                "nft",
                "delete",
                "table",
                "inet",
                NFT_TABLE,
            ],
            check=False,
        )
        run(in_netns(site.netns, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]))
        run(in_netns(site.netns, ["ip", "link", "set", site.wan_if, "mtu", str(WAN_MTU)]))
        run(in_netns(site.host_netns, ["ip", "route", "replace", "default", "via", site.lan_gw]))
    lab.terminate_all()
    lab.truncate_logs()
    if not (lab.initiate() or not lab.child_sa_supported) or not lab.wait_established():
        raise UserError("reset: the baseline tunnel did not come back up", exit_code=1)
    lab.traffic()
    lab.state.fault = None
    lab.state.save()
    return done or ["nothing to undo"]


def inject(lab: Lab, name: str, child: int | None = None) -> list[str]:
    """Reset to the baseline, then inject one fault; return what changed, line by line."""
    fault = FAULTS.get(name)
    if fault is None:
        raise UserError(f"unknown fault {name!r}: choose one of {', '.join(FAULTS)}")
    if lab.state.children < fault.min_children:
        raise UserError(
            f"{name} breaks one child of several: bring the lab up with "
            f"`ipsec-tui lab up --children {topo.MAX_CHILDREN}`"
        )
    if child is not None and not fault.per_child:
        raise UserError(f"{name} is not a per-child fault: --child applies to child-* faults")
    run_fault = partial(fault.inject, child=child) if fault.per_child and child else fault.inject
    lines = []
    if fault.needs_child_sa and not lab.child_sa_supported:
        lines.append(
            f"warning: {name} shows only with an installed child SA, and here {lab.limitation()}"
        )
    if lab.state.fault:
        lines.append(f"reset the previous fault ({lab.state.fault}) first")
    reset(lab)
    lab.truncate_logs()  # the evidence of this fault starts here
    lines += run_fault(lab)
    lab.state.fault = name
    lab.state.save()
    return lines
