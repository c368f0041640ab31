"""Faults the lab can inject on a running baseline, each undone by `reset`.

Each fault changes one thing on one gateway, then provokes the symptom (re-negotiation,
a forced rekey, or a bounded burst of traffic) so that a collection right after it shows
what an engineer would see in an outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ipsec_tui.errors import UserError
from ipsec_tui.lab import topology as topo
from ipsec_tui.lab.config import describe_changes, with_changes
from ipsec_tui.lab.core import Lab, ping
from ipsec_tui.lab.shell import in_netns, run

NFT_TABLE = "itl_fault"


@dataclass(frozen=True)
class Fault:
    name: str
    site: topo.Site  # the side the fault is injected on: the side to fix
    summary: str
    expected_cause: str  # the diagnosis vocabulary term this fault should produce
    inject: Callable[[Lab], list[str]]
    needs_child_sa: bool = False  # its symptom needs an installed child SA (traffic, rekey)


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
    changed.append("siteA: forced a rekey of child SA 'lan' (CREATE_CHILD_SA with a KE payload)")
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
    rules = (
        f"table inet {NFT_TABLE} {{\n"
        "  chain input {\n    type filter hook input priority 0; policy accept;\n"
        "    udp dport { 500, 4500 } counter drop\n  }\n}\n"
    )
    run(["nsenter", "-t", str(lab.holder(site)), "-n", "--", "nft", "-f", "-"], input_text=rules)
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
        run(in_netns(site.host_netns, ["ip", "route", "replace", "default", "via", site.lan_gw]))
    lab.terminate_all()
    lab.truncate_logs()
    if not (lab.initiate() or not lab.child_sa_supported) or not lab.wait_established():
        raise UserError("reset: the baseline tunnel did not come back up", exit_code=1)
    lab.traffic()
    lab.state.fault = None
    lab.state.save()
    return done or ["nothing to undo"]


def inject(lab: Lab, name: str) -> list[str]:
    """Reset to the baseline, then inject one fault; return what changed, line by line."""
    fault = FAULTS.get(name)
    if fault is None:
        raise UserError(f"unknown fault {name!r}: choose one of {', '.join(FAULTS)}")
    lines = []
    if fault.needs_child_sa and not lab.child_sa_supported:
        lines.append(
            f"warning: {name} shows only with an installed child SA, and here {lab.limitation()}"
        )
    if lab.state.fault:
        lines.append(f"reset the previous fault ({lab.state.fault}) first")
    reset(lab)
    lab.truncate_logs()  # the evidence of this fault starts here
    lines += fault.inject(lab)
    lab.state.fault = name
    lab.state.save()
    return lines
