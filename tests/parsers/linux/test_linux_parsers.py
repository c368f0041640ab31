"""Linux parsers on forms the recorded captures do not show.

The lab's peers use strongSwan's userspace ESP (kernel-libipsec) and no firewall, so these
texts are written from iproute2's printing code (ip/iproute.c, ip/ipxfrm.c) and nft's
ruleset syntax for what the golden cases cannot cover: gateways, multipath, other tables,
kernel SAs in tunnel mode with NAT-T, blocking policies, IKE/ESP firewall rules.
"""

from __future__ import annotations

import pytest

from ipsec_tui.domain.model import ParseStatus, Route, XfrmPolicy, XfrmState
from ipsec_tui.parsers.base import Fragment, parse_text


def parse(command: str, text: str) -> tuple[ParseStatus, str | None, Fragment]:
    result, fragment = parse_text("strongswan", command, text, peer="moon", file="out.txt")
    if result.status != ParseStatus.OK:
        assert result.raw == text
    return result.status, result.reason, fragment


def test_addresses_skip_interfaces_without_any() -> None:
    text = (
        "lo               UNKNOWN        127.0.0.1/8 ::1/128 \n"
        "eth1             DOWN           \n"
        "eth0             UP             198.51.100.1/24 2001:db8::1/64 \n"
    )
    status, _, fragment = parse("ip -br addr", text)
    assert status == ParseStatus.OK
    assert fragment.addresses == ["127.0.0.1/8", "::1/128", "198.51.100.1/24", "2001:db8::1/64"]


# iproute2 ends most route lines with a space
ROUTES = "".join(
    f"{line}\n"
    for line in (
        "default via 198.51.100.254 dev eth0 proto dhcp src 198.51.100.1 metric 100 ",
        "10.2.0.0/24 dev ipsec0 table 220 proto static src 10.1.0.1 ",
        "10.3.0.0/24 via 10.1.0.254 dev lan0 ",
        "unreachable default dev lo table 7 metric 4278198272 ",
        "blackhole 10.9.0.0/16 ",
        "default proto static metric 50 ",
        "\tnexthop via 10.0.0.1 dev eth2 weight 1 ",
        "\tnexthop via 10.0.0.2 dev eth3 weight 1 ",
        "local 10.1.0.1 dev lan0 table local proto kernel scope host src 10.1.0.1 ",
        "default via inet6 fe80::1 dev eth0 proto ra metric 1024 pref medium",
    )
)


def test_routes() -> None:
    status, _, fragment = parse("ip route show table all", ROUTES)
    assert status == ParseStatus.OK
    assert fragment.routes == [
        Route("default", "eth0", "198.51.100.254", "main", "198.51.100.1", "unicast"),
        Route("10.2.0.0/24", "ipsec0", None, "220", "10.1.0.1", "unicast"),
        Route("10.3.0.0/24", "lan0", "10.1.0.254", "main", None, "unicast"),
        Route("default", "lo", None, "7", None, "unreachable"),
        Route("10.9.0.0/16", None, None, "main", None, "blackhole"),
        Route("default", "eth2", "10.0.0.1", "main", None, "unicast"),  # first next hop
        Route("10.1.0.1/32", "lan0", None, "local", "10.1.0.1", "local"),  # host route
        Route("default", "eth0", "fe80::1", "main", None, "unicast"),
    ]


@pytest.mark.parametrize(
    ("command", "table"),
    [("ip route show", "main"), ("ip route show table 220", "220"), ("ip r s table 220", "220")],
)
def test_routes_of_one_table(command: str, table: str) -> None:
    # iproute2 prints no `table` when the command asked for one table
    status, _, fragment = parse(command, "10.2.0.0/24 dev ipsec0 proto static src 10.1.0.1 \n")
    assert status == ParseStatus.OK
    assert [route.table for route in fragment.routes] == [table]


def test_ip_rule_is_kept_as_notes() -> None:
    status, _, fragment = parse("ip rule", "0:\tfrom all lookup local\n220:\tfrom all lookup 220\n")
    # understood and kept as notes until the model has a place for rules: OK, not EMPTY
    assert status == ParseStatus.OK
    assert fragment.notes == [
        "ip rule 0: from all lookup local",
        "ip rule 220: from all lookup 220",
    ]


XFRM_STATE = """\
src 203.0.113.1 dst 203.0.113.2
	proto esp spi 0xC1A2B3C4 reqid 1 mode tunnel
	replay-window 0 flag af-unspec
	aead rfc4106(gcm(aes)) 0x<redacted> 128
	encap type espinudp sport 4500 dport 4500 addr 0.0.0.0
	anti-replay context: seq 0x0, oseq 0x5, bitmap 0x00000000
src 203.0.113.2 dst 203.0.113.1
	proto esp spi 0x0000aaaa reqid 1 mode tunnel
	replay-window 32 flag af-unspec
"""


@pytest.mark.parametrize("command", ["ip xfrm state", "ip -s xfrm state"])
def test_xfrm_states(command: str) -> None:
    status, _, fragment = parse(command, XFRM_STATE)
    assert status == ParseStatus.OK
    assert fragment.xfrm_states == [
        XfrmState("203.0.113.1", "203.0.113.2", "esp", "c1a2b3c4", "tunnel", "espinudp"),
        XfrmState("203.0.113.2", "203.0.113.1", "esp", "0000aaaa", "tunnel", None),
    ]


def test_xfrm_policies() -> None:
    text = (
        "src 10.1.0.0/24 dst 10.2.0.0/24 \n"
        "\tdir out priority 375423 ptype main \n"
        "\ttmpl src 203.0.113.1 dst 203.0.113.2\n"
        "\t\tproto esp spi 0xc1a2b3c4 reqid 1 mode tunnel\n"
        "src 10.2.0.0/24 dst 10.1.0.0/24 proto tcp \n"
        "\tdir fwd action block priority 375423 ptype main \n"
        "src 0.0.0.0/0 dst 0.0.0.0/0 \n"
        "\tsocket in priority 0 ptype main \n"
    )
    status, _, fragment = parse("ip xfrm policy", text)
    assert status == ParseStatus.OK
    assert fragment.xfrm_policies == [
        XfrmPolicy("10.1.0.0/24", "10.2.0.0/24", "out", "allow", "203.0.113.1", "203.0.113.2"),
        XfrmPolicy("10.2.0.0/24", "10.1.0.0/24", "fwd", "block", None, None),
        XfrmPolicy("0.0.0.0/0", "0.0.0.0/0", "socket-in", "allow", None, None),
    ]


NFT = """\
table inet filter {
	set trusted {
		type ipv4_addr
		elements = { 198.51.100.2 }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		meta l4proto udp udp dport 500 counter packets 0 bytes 0 accept
		udp dport ipsec-nat-t accept
		ip protocol esp accept
		tcp dport 22 accept
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp sport 400-600 jump ike_checks
		meta l4proto esp counter packets 3 bytes 300
	}
	chain ike_checks {
		ip saddr != @trusted udp dport { 500, 4500 } reject
	}
}
"""


def test_nft_rules_that_touch_ike_or_esp() -> None:
    status, _, fragment = parse("nft list ruleset", NFT)
    assert status == ParseStatus.OK

    found = [
        (r.table, r.chain, r.hook, r.action, r.protocol, r.ports, r.text) for r in fragment.firewall
    ]
    assert found == [
        ("inet filter", "input", "input", "drop", None, (), "policy drop"),
        (
            "inet filter",
            "input",
            "input",
            "accept",
            "udp",
            (500,),
            "meta l4proto udp udp dport 500 counter packets 0 bytes 0 accept",
        ),
        ("inet filter", "input", "input", "accept", "udp", (4500,), "udp dport ipsec-nat-t accept"),
        ("inet filter", "input", "input", "accept", "esp", (), "ip protocol esp accept"),
        (
            "inet filter",
            "forward",
            "forward",
            "jump ike_checks",
            "udp",
            (500,),
            "udp sport 400-600 jump ike_checks",
        ),
        (
            "inet filter",
            "forward",
            "forward",
            "continue",
            "esp",
            (),
            "meta l4proto esp counter packets 3 bytes 300",
        ),
        (
            "inet filter",
            "ike_checks",
            None,
            "reject",
            "udp",
            (500, 4500),
            "ip saddr != @trusted udp dport { 500, 4500 } reject",
        ),
    ]
    lines = [r.source.line_start for r in fragment.firewall if r.source]
    assert lines == [7, 9, 10, 11, 16, 17, 20]


def test_nft_without_ike_rules_is_empty() -> None:
    text = (
        "table ip nat {\n\tchain postrouting {\n"
        "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
        '\t\toifname "eth0" masquerade\n\t}\n}\n'
    )
    status, _, fragment = parse("nft list ruleset", text)
    # nothing touches IKE or ESP; the masquerade is kept as a NAT rule
    assert status == ParseStatus.OK
    assert fragment.firewall == []
    assert [(r.hook, r.action, r.src, r.dst) for r in fragment.nat_rules] == [
        ("postrouting", "masquerade", (), ())
    ]


@pytest.mark.parametrize(
    ("command", "text", "words"),
    [
        (
            "nft list ruleset",
            "Error: Could not process rule: Operation not permitted\n",
            "Operation not permitted",
        ),
        (
            "sysctl net.ipv4.ip_forward",
            "sysctl: cannot stat /proc/sys/net/ipv4/ip_forward: No such file or directory\n",
            "cannot stat",
        ),
        ("ip xfrm state", "bash: ip: command not found\n", "command not found"),
        ("ip route show table all", "RTNETLINK answers: Operation not permitted\n", "RTNETLINK"),
    ],
)
def test_command_failures_fail_with_the_reason(command: str, text: str, words: str) -> None:
    status, reason, _ = parse(command, text)
    assert status == ParseStatus.FAILED
    assert reason is not None and words in reason


@pytest.mark.parametrize(("value", "forwarding"), [("1", True), ("0", False)])
def test_forwarding(value: str, forwarding: bool) -> None:
    status, _, fragment = parse("sysctl net.ipv4.ip_forward", f"net.ipv4.ip_forward = {value}")
    assert status == ParseStatus.OK
    assert fragment.forwarding is forwarding
