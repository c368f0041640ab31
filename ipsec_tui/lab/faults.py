"""Faults the lab can inject on a running baseline, each undone by `reset`.

Each fault changes one thing on one gateway, then provokes the symptom (re-negotiation,
a forced rekey, or a bounded burst of traffic) so that a collection right after it shows
what an engineer would see in an outage.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ipsec_tui.errors import UserError
from ipsec_tui.lab import topology as topo
from ipsec_tui.lab.config import describe_changes, with_changes
from ipsec_tui.lab.core import Lab, gateway_dirs, ping
from ipsec_tui.lab.gateway import gw_path, kill_pids, live_helpers, start_helper
from ipsec_tui.lab.shell import in_netns, run

NFT_TABLE = "itl_fault"
WAN_MTU = 1500
SMALL_PATH_MTU = 1280  # the `mtu` fault's WAN link: IPv6's minimum, common on tunnels/PPPoE
# `--short-timers`: rekeys within a short watch instead of after minutes
SHORT_LIFETIME_S = (20, 60)  # the `lifetime` fault's siteB: child SA, IKE SA rekey times
LIFETIME_S = (300, 900)
SHORT_PFS_REKEY_S = 25  # the `pfs` fault: siteA's child SA rekeys by itself this soon
# `flapping`: siteB's WAN link down long enough for DPD (10 s, then ~11 s of retransmits) to
# declare the peer dead, then up long enough to come back; a bounded number of times
FLAPS, FLAP_DOWN_S, FLAP_UP_S = 2, 24, 16


@dataclass(frozen=True)
class Target:
    """Where a fault goes: which tunnel (`--tunnel T`), which child (`--child N`), and
    whether its timers are the short ones (`--short-timers`)."""

    tunnel: int = 1
    child: int | None = None
    short_timers: bool = False


Inject = Callable[[Lab, Target], list[str]]


@dataclass(frozen=True)
class Fault:
    name: str
    site: topo.Site  # the side the fault is injected on: the side to fix
    summary: str
    expected_cause: str  # the diagnosis vocabulary term this fault should produce
    inject: Inject
    needs_child_sa: bool = False  # its symptom needs an installed child SA (traffic, rekey)
    per_child: bool = False  # breaks one child only: `--child N` (default 2)
    min_children: int = 1
    fix_side: topo.Site | None = None  # where the fix goes, when not where it was made
    per_tunnel: bool = False  # changes one connection only, so `--tunnel T` can scope it
    timers: bool = False  # has rekey timers that `--short-timers` shortens
    over_time: bool = False  # shows over time (`ipsec-tui watch`), not in one snapshot


def _whole(run_fault: Callable[[Lab], list[str]]) -> Inject:
    """A fault on the gateway as a whole (firewall, routes, daemon): no target to choose."""
    return lambda lab, _at: run_fault(lab)


def _reconfigure(lab: Lab, site: topo.Site, tunnel: int = 1, **changes: object) -> list[str]:
    before = lab.config(site, tunnel)
    after = with_changes(before, **changes)
    lab.apply_config(site, after)
    where = f"{lab.state.daemon(site).config_file}: " + (f"{before.name}: " if tunnel != 1 else "")
    return [
        f"{site.name}: {where}{field}: {old} -> {new}"
        for field, old, new in describe_changes(before, after)
    ]


def _renegotiate(lab: Lab, tunnel: int | None = None) -> str:
    """Tear down and initiate again every tunnel, or tunnel `tunnel` only."""
    lab.terminate_all(tunnel)
    ok = lab.initiate(timeout_s=4, tunnel=tunnel)
    what = "the tunnel" if tunnel in (None, 1) else f"tunnel {topo.tunnel_name(tunnel)}"
    return f"siteA: re-initiated {what}: " + ("established" if ok else "failed")


def _negotiation_fault(site: topo.Site, **changes: object) -> Inject:
    def inject(lab: Lab, at: Target) -> list[str]:
        return [*_reconfigure(lab, site, at.tunnel, **changes), _renegotiate(lab, at.tunnel)]

    return inject


def _pfs(lab: Lab, at: Target) -> list[str]:
    # The first child SA is negotiated inside IKE_AUTH without a DH exchange, so a PFS
    # mismatch only shows when the child SA is rekeyed: re-establish, then force the rekey
    # (or, with short timers, let siteA's own rekey come within seconds)
    changed = _reconfigure(lab, topo.SITE_B, at.tunnel, esp_proposal="aes256-sha256")
    child = topo.child_name(1, at.tunnel)
    if at.short_timers:
        changed += _reconfigure(lab, topo.SITE_A, at.tunnel, rekey_time_s=SHORT_PFS_REKEY_S)
        changed.append(_renegotiate(lab, at.tunnel))
        changed.append(
            f"siteA: rekeys child SA '{child}' by itself in about {SHORT_PFS_REKEY_S} s "
            "(short timers); that rekey carries the KE payload siteB refuses"
        )
        return changed
    changed.append(_renegotiate(lab, at.tunnel))
    lab.state.daemon(topo.SITE_A).rekey(lab.holder(topo.SITE_A), child)
    time.sleep(1.0)
    if lab.state.ike_version == 2:
        changed.append(
            f"siteA: forced a rekey of child SA '{child}' (CREATE_CHILD_SA with a KE payload)"
        )
    else:  # IKEv1's first quick mode carries the PFS group already: nothing to rekey
        changed.append(
            f"siteA: asked for a rekey of child SA '{child}'; with IKEv1 the first quick mode "
            "already carries the PFS group, and it failed"
        )
    return changed


def _lifetime(lab: Lab, at: Target) -> list[str]:
    child_s, ike_s = SHORT_LIFETIME_S if at.short_timers else LIFETIME_S
    changed = _reconfigure(
        lab, topo.SITE_B, at.tunnel, rekey_time_s=child_s, ike_rekey_time_s=ike_s
    )
    changed.append(_renegotiate(lab, at.tunnel))
    a_ok, b_ok = lab.traffic(at.tunnel)
    changed.append(
        f"traffic: hostA->hostB {'ok' if a_ok else 'lost'}, hostB->hostA {'ok' if b_ok else 'lost'}"
    )
    return changed


def _mode(lab: Lab, at: Target) -> list[str]:
    # transport mode is host-to-host: its selectors become the gateways' own addresses
    return [
        *_reconfigure(lab, topo.SITE_A, at.tunnel, mode="transport", local_ts="", remote_ts=""),
        _renegotiate(lab, at.tunnel),
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


def _firewalled(lab: Lab, chains: str, what: str, first: topo.Site) -> list[str]:
    """Fresh SAs (the counters then show only this fault's traffic), then siteB's fault
    table with `chains`, then 3 pings each way, from `first` first."""
    _renegotiate(lab)
    _fault_table(lab, topo.SITE_B, chains)
    other = topo.SITE_A if first is topo.SITE_B else topo.SITE_B
    return [
        f"{topo.SITE_B.name}: nftables table inet {NFT_TABLE}: {what}",
        _pings(lab, first, other),
        _pings(lab, other, first),
    ]


def _nat_exempt(lab: Lab) -> list[str]:
    # "masquerade the LAN" for internet access, with no exception for the remote LAN (no
    # `ip daddr 10.1.0.0/24 accept`, no `meta ipsec exists`): B's LAN traffic gets B's own
    # address as source before the IPsec policy sees it, and no longer matches the child SA
    lan = topo.SITE_B.lan_net
    return _firewalled(
        lab,
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        f"    ip saddr {lan} counter masquerade\n  }}\n",
        f"masquerade of {lan} in postrouting, no exception for {topo.SITE_A.lan_net}",
        topo.SITE_B,
    )


def _esp_blocked(lab: Lab) -> list[str]:
    # A firewall in front of siteB that lets IKE through (UDP 500, and UDP 4500 whose payload
    # starts with the four zero bytes of the non-ESP marker) but drops ESP, plain (IP protocol
    # 50) or in UDP 4500: the tunnel comes up, and no packet protected by it ever arrives
    return _firewalled(
        lab,
        "  chain input {\n    type filter hook input priority 0; policy accept;\n"
        "    meta l4proto esp counter drop\n"
        "    udp dport 4500 @th,64,32 != 0 counter drop\n  }\n",
        "drops incoming ESP (IP protocol 50 and ESP in UDP 4500); IKE still passes",
        topo.SITE_A,
    )


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


def _ike_version(lab: Lab, at: Target) -> list[str]:
    site = topo.SITE_B
    other = 1 if lab.config(site, at.tunnel).ike_version == 2 else 2
    return [*_reconfigure(lab, site, at.tunnel, ike_version=other), _renegotiate(lab, at.tunnel)]


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


def _flapping(lab: Lab) -> list[str]:
    # the path between the gateways drops and comes back: each time DPD declares the peer
    # dead and siteA, retrying for ever, brings the tunnel back once the path is there
    site = topo.SITE_B
    changed = _reconfigure(lab, topo.SITE_A, keyingtries=0)
    changed.append(_renegotiate(lab))  # the IKE SA takes the new setting from here on
    pid, started = start_helper(
        [
            sys.executable, "-m", "ipsec_tui.lab.flap", "--holder", str(lab.holder(site)),
            "--link", site.wan_if, "--times", str(FLAPS), "--down", str(FLAP_DOWN_S),
            "--up", str(FLAP_UP_S),
        ]
    )  # fmt: skip
    lab.state.helpers.append([pid, started])
    lab.state.save()
    changed.append(
        f"{site.name}: {site.wan_if} goes down for {FLAP_DOWN_S} s and up for {FLAP_UP_S} s, "
        f"{FLAPS} times, by a helper (PID {pid}) that then exits; `lab reset` stops it"
    )
    return changed


def _stop_helpers(lab: Lab) -> None:
    kill_pids(live_helpers(lab.state.helpers))
    lab.state.helpers = []


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


def _child_proposal(lab: Lab, at: Target) -> list[str]:
    return _child_fault(lab, at.child or 2, esp_proposal="aes128gcm16-modp2048")


def _child_ts(lab: Lab, at: Target) -> list[str]:
    child = at.child or 2
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
            per_tunnel=True,
        ),
        Fault(
            "identity",
            B,
            "siteB expects another remote identity",
            "identity-mismatch",
            _negotiation_fault(B, remote_id="siteX.lab"),
            per_tunnel=True,
        ),
        Fault(
            "ike-proposal",
            B,
            "siteB accepts only aes128-sha256-ecp256 for IKE",
            "ike-proposal-mismatch",
            _negotiation_fault(B, ike_proposal="aes128-sha256-ecp256"),
            per_tunnel=True,
        ),
        Fault(
            "esp-proposal",
            B,
            "siteB accepts only aes128gcm16 for ESP",
            "child-proposal-mismatch",
            _negotiation_fault(B, esp_proposal="aes128gcm16-modp2048"),
            per_tunnel=True,
        ),
        Fault(
            "pfs",
            B,
            "siteB has no PFS group for the child SA; fails at rekey",
            "pfs-mismatch",
            _pfs,
            needs_child_sa=True,
            per_tunnel=True,
            timers=True,
        ),
        Fault(
            "ts",
            B,
            "siteB's remote traffic selector is 10.99.0.0/24",
            "selector-mismatch",
            _negotiation_fault(B, remote_ts="10.99.0.0/24"),
            per_tunnel=True,
        ),
        Fault(
            "mode",
            A,
            "siteA asks for transport mode, siteB has a tunnel",
            "mode-mismatch",
            _mode,
            per_tunnel=True,
        ),
        Fault(
            "lifetime",
            B,
            "siteB rekeys every 5 minutes, siteA every hour",
            "lifetime-mismatch",
            _lifetime,
            needs_child_sa=True,
            per_tunnel=True,
            timers=True,
        ),
        Fault(
            "udp-blocked",
            B,
            "siteB's firewall drops UDP 500/4500",
            "peer-unreachable",
            _whole(_udp_blocked),
        ),
        Fault(
            "no-return-route",
            B,
            "hostB has no route back to siteA's LAN",
            "no-return-path",
            _whole(_no_return_route),
            needs_child_sa=True,
        ),
        Fault(
            "forwarding-off",
            B,
            "siteB does not forward packets (ip_forward=0)",
            "no-return-path",
            _whole(_forwarding_off),
            needs_child_sa=True,
        ),
        Fault(
            "nat-exempt",
            B,
            "siteB masquerades its LAN with no exception for the tunnel's traffic",
            "nat-exemption-missing",
            _whole(_nat_exempt),
            needs_child_sa=True,
        ),
        Fault(
            "esp-blocked",
            B,
            "siteB's firewall passes IKE but drops ESP: the tunnel is up, nothing arrives",
            "esp-blocked",
            _whole(_esp_blocked),
            needs_child_sa=True,
        ),
        Fault(
            "mtu",
            B,
            "siteB's WAN path carries 1280 bytes, no ICMP; siteB offers no IKE fragmentation",
            "mtu-fragmentation",
            _whole(_mtu),
            # with a PSK only ESP is large; with --auth cert IKE_AUTH is too (strongSwan only)
            needs_child_sa=True,
        ),
        Fault(
            "dpd",
            B,
            "siteB stops answering after the tunnel is up; DPD declares it dead",
            "dpd-timeout",
            _whole(_dpd),
        ),
        Fault(
            "ike-version",
            B,
            "siteB speaks the other IKE version only",
            "ike-version-mismatch",
            _ike_version,
            per_tunnel=True,
        ),
        Fault(
            "stale-sa",
            B,
            "siteB's daemon restarted and lost its SAs; siteA still holds them",
            "stale-sa",
            _whole(_stale_sa),
            needs_child_sa=True,
            fix_side=A,  # the stale SAs are siteA's: they are cleared there
        ),
        Fault(
            "flapping",
            B,
            f"siteB's WAN link drops and comes back ({FLAPS} times); siteA retries for ever",
            "flapping-path",
            _whole(_flapping),
            over_time=True,
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
    """Back to the baseline: configs, firewall, routes, sysctls, links; fresh logs; tunnels
    up."""
    _stop_helpers(lab)
    done = []
    for site in topo.SITES:
        for tunnel in lab.state.tunnel_numbers():
            if lab.config(site, tunnel) != lab.baseline(site, tunnel):
                done += _reconfigure(lab, site, **vars(lab.baseline(site, tunnel)))
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
        run(in_netns(site.netns, ["ip", "link", "set", site.wan_if, "mtu", str(WAN_MTU), "up"]))
        run(in_netns(site.host_netns, ["ip", "route", "replace", "default", "via", site.lan_gw]))
    # A fault can leave a daemon mid-exchange (the far side of a DPD fault still retransmits
    # into the dropped path): one more teardown and initiation, bounded, before giving up
    for _ in range(2):
        lab.terminate_all()
        lab.truncate_logs()
        if (lab.initiate() or not lab.child_sa_supported) and lab.wait_established():
            break
    else:
        tails = "; ".join(
            f"{site.name}: " + " | ".join(_log_text(lab, site).splitlines()[-3:])
            for site in topo.SITES
        )
        raise UserError(
            f"reset: the baseline tunnel did not come back up (twice); last log lines: {tails}",
            exit_code=1,
        )
    lab.traffic()
    lab.state.fault = None
    lab.state.tunnel_faults = {}
    lab.state.save()
    return done or ["nothing to undo"]


def _reset_tunnel(lab: Lab, tunnel: int) -> list[str]:
    """Tunnel `tunnel` back to its baseline (the other tunnels and the logs untouched)."""
    done = []
    for site in topo.SITES:
        if lab.config(site, tunnel) != lab.baseline(site, tunnel):
            done += _reconfigure(lab, site, **vars(lab.baseline(site, tunnel)))
    if done:
        lab.terminate_all(tunnel)
        lab.initiate(tunnel=tunnel)
    lab.state.tunnel_faults.pop(topo.tunnel_name(tunnel), None)
    return done


def _check(lab: Lab, fault: Fault, at: Target, scoped: bool) -> None:
    """Refuse a fault its target does not fit (UserError, exit 2)."""
    name = fault.name
    if lab.state.children < fault.min_children:
        raise UserError(
            f"{name} breaks one child of several: bring the lab up with "
            f"`ipsec-tui lab up --children {topo.MAX_CHILDREN}`"
        )
    if at.child is not None and not fault.per_child:
        raise UserError(f"{name} is not a per-child fault: --child applies to child-* faults")
    if scoped and not fault.per_tunnel:
        scopable = ", ".join(f.name for f in FAULTS.values() if f.per_tunnel)
        raise UserError(
            f"{name} cannot be scoped to one tunnel: it changes the gateway itself "
            f"({fault.summary}), so every tunnel would feel it; --tunnel applies to {scopable}"
        )
    if not 1 <= at.tunnel <= lab.state.tunnels:
        raise UserError(f"--tunnel {at.tunnel}: the lab has tunnels 1 to {lab.state.tunnels}")
    if at.short_timers and not fault.timers:
        timed = ", ".join(f.name for f in FAULTS.values() if f.timers)
        raise UserError(f"{name} has no rekey timers to shorten: --short-timers applies to {timed}")


def inject(
    lab: Lab,
    name: str,
    child: int | None = None,
    *,
    tunnel: int | None = None,
    short_timers: bool = False,
) -> list[str]:
    """Reset to the baseline, then inject one fault; return what changed, line by line.
    With `tunnel`, only that tunnel is reset and broken: faults on other tunnels stay."""
    fault = FAULTS.get(name)
    if fault is None:
        raise UserError(f"unknown fault {name!r}: choose one of {', '.join(FAULTS)}")
    at = Target(tunnel or 1, child, short_timers)
    _check(lab, fault, at, tunnel is not None)
    lines = []
    if fault.needs_child_sa and not lab.child_sa_supported:
        lines.append(
            f"warning: {name} shows only with an installed child SA, and here {lab.limitation()}"
        )
    if lab.state.fault:
        lines.append(f"reset the previous fault ({lab.state.fault}) first")
    if tunnel is None:
        reset(lab)
        lab.truncate_logs()  # the evidence of this fault starts here
    else:
        if lab.state.fault:
            reset(lab)
        undone = _reset_tunnel(lab, tunnel)
        if undone:
            lines.append(f"undid the previous fault on tunnel {topo.tunnel_name(tunnel)}")
    lines += fault.inject(lab, at)
    if tunnel is None:
        lab.state.fault = name
    else:
        lab.state.tunnel_faults[topo.tunnel_name(tunnel)] = name
    lab.state.save()
    return lines
