"""Linux parsers shared by every Linux platform: addresses, routes, policy rules, the kernel's
IPsec state (xfrm), nftables rules that touch IKE or ESP, and IP forwarding.

Each parser runs its template (templates/linux/<key>.ttp) and turns the records into model
objects.
"""

from __future__ import annotations

import ipaddress
import re
from functools import partial
from typing import Any

from ipsec_tui.domain.model import FirewallRule, NatRule, Route, SourceRef, XfrmPolicy, XfrmState
from ipsec_tui.parsers.base import (
    Fragment,
    ParseContext,
    group_items,
    parser,
    source_ref,
    to_int,
    ttp_records,
)


def _line_number(lines: list[str], predicate: Any, start: int = 0) -> int | None:
    """Index of the first line at or after `start` for which predicate(line) is true."""
    for index in range(start, len(lines)):
        if predicate(lines[index]):
            return index
    return None


def _source_at(ctx: ParseContext, index: int | None) -> SourceRef | None:
    """The source of the line `_line_number` found (0-based), when it found one."""
    return source_ref(ctx, index + 1) if index is not None else None


# --- ip -br addr ------------------------------------------------------------------------------


@parser("linux", "ip-br-addr")
def parse_ip_br_addr(text: str, ctx: ParseContext) -> Fragment:
    """addresses: every CIDR on every interface, in the order printed."""
    addresses: list[str] = []
    for item in group_items(ttp_records("linux", "ip-br-addr", text), "interfaces"):
        for token in str(item.get("addresses") or "").split():
            if "/" in token and token not in addresses:
                addresses.append(token)
    return Fragment(addresses=addresses)


# --- ip route ---------------------------------------------------------------------------------


def _route_destination(destination: str) -> str:
    """'default' stays; a host route printed without prefix length gets /32 or /128."""
    if destination == "default" or "/" in destination:
        return destination
    try:
        address = ipaddress.ip_address(destination)
    except ValueError:
        return destination
    return f"{destination}/{address.max_prefixlen}"


def _attributes(text: str) -> dict[str, str]:
    """iproute2's `keyword value` pairs (dev, via, table, src...): the value of each keyword
    we read; flags without a value (onlink, linkdown) are skipped by keyword."""
    words = text.split()
    pairs: dict[str, str] = {}
    for keyword in ("dev", "via", "table", "src", "proto", "scope", "metric"):
        if keyword in words:
            position = words.index(keyword)
            if position + 1 < len(words):
                value = words[position + 1]
                if keyword == "via" and value in ("inet", "inet6"):  # `via inet6 fe80::1`
                    value = words[position + 2] if position + 2 < len(words) else value
                pairs[keyword] = value
    return pairs


@parser("linux", "ip-route-show-table-all")
@parser("linux", "ip-route-show")
def parse_ip_route(text: str, ctx: ParseContext) -> Fragment:
    """routes: destination ('default' or CIDR), device, gateway, table (as printed: main,
    local, 220...), source address and route type (unicast when iproute2 prints none)."""
    # iproute2 prints `table X` only for tables other than main, and not at all when the
    # command asked for one table: then every route is in that table.
    asked = re.search(r"\btable\s+(\S+)", ctx.command)
    default_table = asked.group(1) if asked and asked.group(1) != "all" else "main"
    routes: list[Route] = []
    for item in group_items(ttp_records("linux", "ip-route-show-table-all", text), "routes"):
        destination = item.get("destination")
        if not destination:
            continue
        attributes = _attributes(str(item.get("attributes") or ""))
        if "dev" not in attributes and "via" not in attributes and item.get("nexthops"):
            # multipath: the first next hop stands for the route
            first_hop = str(item["nexthops"]).split(";")[0]
            attributes = {**_attributes(first_hop), **attributes}
        routes.append(
            Route(
                destination=_route_destination(str(destination)),
                device=attributes.get("dev"),
                gateway=attributes.get("via"),
                table=attributes.get("table", default_table),
                source_addr=attributes.get("src"),
                kind=str(item.get("kind") or "unicast"),
            )
        )
    return Fragment(routes=routes)


# --- ip rule ----------------------------------------------------------------------------------


@parser("linux", "ip-rule")
def parse_ip_rule(text: str, ctx: ParseContext) -> Fragment:
    """notes only: the model has no place for policy routing rules yet (`ip rule 220: from
    all lookup 220`), so they are kept readable in the peer's notes."""
    notes = [
        f"ip rule {item['priority']}: {str(item.get('rule') or '').strip()}"
        for item in group_items(ttp_records("linux", "ip-rule", text), "rules")
        if item.get("priority") is not None
    ]
    return Fragment(notes=notes, understood=bool(notes))


# --- ip xfrm ----------------------------------------------------------------------------------


def _spi(value: Any) -> str:
    """'0x5B0DAEEF' -> '5b0daeef': lowercase hex without 0x, as in the model."""
    return str(value).lower().removeprefix("0x")


@parser("linux", "ip-xfrm-state")
@parser("linux", "ip-s-xfrm-state")
def parse_ip_xfrm_state(text: str, ctx: ParseContext) -> Fragment:
    """xfrm_states: src, dst, proto, spi (lowercase hex), mode, encap type (espinudp)."""
    states = [
        XfrmState(
            src=str(item["src"]),
            dst=str(item["dst"]),
            proto=str(item.get("proto") or ""),
            spi=_spi(item.get("spi") or ""),
            mode=item.get("mode"),
            encap=item.get("encap"),
        )
        for item in group_items(ttp_records("linux", "ip-xfrm-state", text), "states")
        if item.get("src") and item.get("dst") and item.get("spi")
    ]
    return Fragment(xfrm_states=states)


@parser("linux", "ip-xfrm-policy")
@parser("linux", "ip-s-xfrm-policy")
def parse_ip_xfrm_policy(text: str, ctx: ParseContext) -> Fragment:
    """xfrm_policies: src, dst, direction (in, out, fwd; per-socket bypass policies as
    socket-in/socket-out), action (allow unless iproute2 printed another), template
    endpoints."""
    policies: list[XfrmPolicy] = []
    for item in group_items(ttp_records("linux", "ip-xfrm-policy", text), "policies"):
        if not item.get("src") or not item.get("dst") or not item.get("direction"):
            continue
        direction = str(item["direction"])
        if item.get("kind") == "socket":
            direction = f"socket-{direction}"
        policies.append(
            XfrmPolicy(
                src=str(item["src"]),
                dst=str(item["dst"]),
                direction=direction,
                # ip/ipxfrm.c prints `action allow` only with -s: no action printed is allow
                action=str(item.get("action") or "allow"),
                tmpl_src=item.get("tmpl_src"),
                tmpl_dst=item.get("tmpl_dst"),
            )
        )
    return Fragment(xfrm_policies=policies)


# --- nft list ruleset -------------------------------------------------------------------------

_IKE_PORTS = {500: 500, 4500: 4500}
_PORT_NAMES = {"isakmp": 500, "ipsec-nat-t": 4500}
_UDP_PORTS = re.compile(r"\budp (?:dport|sport) (?!!=)(\{[^}]*\}|\S+)")
_META_UDP_PORTS = re.compile(r"\bth (?:dport|sport) (?!!=)(\{[^}]*\}|\S+)")
_ESP = re.compile(
    r"(?:\bprotocol|\bnexthdr|\bl4proto) (?:\{[^}]*\besp\b[^}]*\}|esp)\b|^esp |\besp spi\b"
)
_VERDICT = re.compile(r"\b(accept|drop|reject|queue|return|continue|(?:jump|goto) \S+)\b[^;]*$")


def _ports(expression: str) -> set[int]:
    """The IKE ports (500, 4500) a port expression covers: '500', '{ 500, 4500 }',
    'isakmp', '500-4500'."""
    found: set[int] = set()
    for token in re.split(r"[{},\s]+", expression):
        if not token:
            continue
        if token in _PORT_NAMES:
            found.add(_PORT_NAMES[token])
            continue
        bounds = token.split("-")
        if all(bound.isdigit() for bound in bounds) and len(bounds) in (1, 2):
            low, high = int(bounds[0]), int(bounds[-1])
            found.update(port for port in _IKE_PORTS if low <= port <= high)
    return found


def _ike_rule(rule: str) -> tuple[str, tuple[int, ...]] | None:
    """(protocol, IKE ports) when the rule touches IKE (udp 500/4500) or ESP, else None."""
    ports: set[int] = set()
    for pattern in (_UDP_PORTS, _META_UDP_PORTS):
        for match in pattern.finditer(rule):
            ports |= _ports(match.group(1))
    if ports:
        return "udp", tuple(sorted(ports))
    if _ESP.search(rule):
        return "esp", ()
    return None


_NAT_ACTION = re.compile(r"\b(masquerade|snat|dnat)\b")
_NAT_ADDR = re.compile(r"\bip6? (saddr|daddr) (!= )?(\{[^}]*\}|\S+)")
# `rt ipsec missing`: only what IPsec will not encrypt; `exists`: only what it will. The
# `meta ipsec` form says the same of packets that came out of IPsec.
_NAT_IPSEC = re.compile(r"\b(?:rt|meta) ipsec (exists|missing)\b")


def _nat_rule(rule: str) -> tuple[str, tuple[str, ...], tuple[str, ...], str | None] | None:
    """(action, src, dst, ipsec condition) of a rule in a NAT chain; None for rules that
    neither translate nor end the chain (counters, logs, jumps)."""
    nat = _NAT_ACTION.search(rule)
    action = nat.group(1) if nat else _verdict(rule)
    if action not in ("masquerade", "snat", "dnat", "accept", "return"):
        return None
    addresses: dict[str, list[str]] = {"saddr": [], "daddr": []}
    for match in _NAT_ADDR.finditer(rule):
        negated = "!" if match.group(2) else ""
        for token in re.split(r"[{},\s]+", match.group(3)):
            if token:
                addresses[match.group(1)].append(negated + token)
    ipsec = None
    condition = _NAT_IPSEC.search(rule)
    if condition:
        ipsec = "ipsec" if condition.group(1) == "exists" else "none"
    elif 'xt match "policy"' in rule:
        # iptables-nft keeps `-m policy` untranslated: the usual forms are `--pol ipsec -j
        # ACCEPT` before the NAT rule and `--pol none -j MASQUERADE`; both spare IPsec
        ipsec = "ipsec" if action in ("accept", "return") else "none"
    return action, tuple(addresses["saddr"]), tuple(addresses["daddr"]), ipsec


def _verdict(rule: str) -> str:
    # a rule without a verdict lets the packet continue through the chain
    match = _VERDICT.search(rule)
    return match.group(1) if match else "continue"


@parser("linux", "nft-list-ruleset")
def parse_nft_list_ruleset(text: str, ctx: ParseContext) -> Fragment:
    """firewall: rules that touch udp 500/4500 or ESP, and base chains whose policy drops,
    each with table ('inet filter'), chain, hook, action, protocol, ports and rule text.
    nat_rules: the rules of NAT chains that translate (masquerade, snat, dnat) or end the
    chain (accept, return), in order, with the addresses and IPsec condition they match."""
    lines = text.splitlines()
    cursor = 0
    rules: list[FirewallRule] = []
    nat_rules: list[NatRule] = []
    for table in group_items(ttp_records("linux", "nft-list-ruleset", text), "tables"):
        table_name = f"{table.get('family', '')} {table.get('name', '')}".strip()
        for chain in group_items([table], "chains"):
            chain_name = str(chain.get("name") or "") or None
            hook = chain.get("hook")
            chain_rule = partial(FirewallRule, table=table_name, chain=chain_name, hook=hook)
            chain_line = _line_number(
                lines,
                lambda line, name=chain_name: line.strip().startswith(f"chain {name} "),
                cursor,
            )
            if chain_line is not None:
                cursor = chain_line + 1
            policy = chain.get("policy")
            if hook and policy in ("drop", "reject"):
                # a base chain's policy applies to every packet no rule decided, IKE too
                policy_line = _line_number(
                    lines, lambda line: " hook " in line and "policy" in line, cursor
                )
                rules.append(
                    chain_rule(
                        action=str(policy),
                        protocol=None,
                        text=f"policy {policy}",
                        source=_source_at(ctx, policy_line),
                    )
                )
            for rule in str(chain.get("rules") or "").split("\n"):
                rule = rule.strip()
                if not rule:
                    continue
                rule_line = _line_number(lines, lambda line, r=rule: line.strip() == r, cursor)
                if rule_line is not None:
                    cursor = rule_line + 1
                nat = _nat_rule(rule) if chain.get("type") == "nat" else None
                if nat is not None:
                    nat_rules.append(
                        NatRule(
                            table=table_name,
                            chain=chain_name,
                            hook=hook,
                            action=nat[0],
                            src=nat[1],
                            dst=nat[2],
                            ipsec=nat[3],
                            text=rule,
                            source=_source_at(ctx, rule_line),
                        )
                    )
                touched = _ike_rule(rule)
                if touched is None:
                    continue
                protocol, ports = touched
                rules.append(
                    chain_rule(
                        action=_verdict(rule),
                        protocol=protocol,
                        ports=ports,
                        text=rule,
                        source=_source_at(ctx, rule_line),
                    )
                )
    return Fragment(firewall=rules, nat_rules=nat_rules)


# --- sysctl net.ipv4.ip_forward ---------------------------------------------------------------


@parser("linux", "sysctl-net.ipv4.ip-forward")
def parse_ip_forward(text: str, ctx: ParseContext) -> Fragment:
    """forwarding: True when net.ipv4.ip_forward is 1."""
    for item in group_items(ttp_records("linux", "sysctl-net.ipv4.ip-forward", text), "forwarding"):
        value = to_int(item.get("value"))
        if value is not None:
            return Fragment(forwarding=value != 0)
    return Fragment()


# --- date (the clock reading) -------------------------------------------------------------


@parser("linux", "date")
@parser("linux", "date-u")
@parser("linux", "date-y-m-dt-h-m-s.-n-z")
def parse_date(text: str, ctx: ParseContext) -> Fragment:
    """understood: the device's time as printed (the offset itself is computed at collection
    and kept in the capture's peer.yml)."""
    for item in group_items(ttp_records("linux", "date", text), "clock"):
        if item.get("device_time"):
            return Fragment(notes=[f"device clock: {item['device_time']}"], understood=True)
    return Fragment()
