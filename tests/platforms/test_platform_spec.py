"""Platforms as data: the shipped YAML, ntc-style matching and the read-only allowlist."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipsec_tui.errors import UserError
from ipsec_tui.platforms import (
    DENY_WORDS,
    SHELL_METACHARACTERS,
    SHELL_WORDS,
    CommandPattern,
    CommandRefused,
    PlatformSpec,
    available_platforms,
    load_platform,
)

CLOCK = "date +%Y-%m-%dT%H:%M:%S.%N%z"  # the clock offset at collection, read first
LINUX_FACT_COMMANDS = {
    "clock": [CLOCK],
    "addresses": ["ip -br addr"],
    "routes": ["ip route show table all"],
    "rules": ["ip rule"],
    "xfrm": ["ip xfrm state", "ip xfrm policy"],
    "firewall": ["nft list ruleset"],
    "forwarding": ["sysctl net.ipv4.ip_forward"],
}


def spec_of(**data: Any) -> PlatformSpec:
    base: dict[str, Any] = {"name": "t", "device_type": "cisco_ios", "facts": {}}
    return PlatformSpec.from_dict({**base, **data})


CISCO = spec_of(
    facts={"ike_sas": ["sh[[ow]] cry[[pto]] ikev2 sa"]},
    allow=[
        {"command": "sh[[ow]] cry[[pto]] ikev2 sa", "args": "(detail|remote [0-9.]+)?"},
        "sh[[ow]] ver[[sion]]",
    ],
)


def test_shipped_platforms_load() -> None:
    assert set(available_platforms()) >= {"strongswan", "libreswan"}
    for name in available_platforms():
        assert load_platform(name).name == name
    for name in ("strongswan", "libreswan"):
        spec = load_platform(name)
        assert spec.device_type == "linux"
        assert spec.shell
        # what netmiko's LinuxSSH sends at login: two bare Enters to find the prompt
        assert spec.login_commands == ("", "")


def test_strongswan_facts() -> None:
    spec = load_platform("strongswan")
    facts = {fact: [p.canonical(spec.variables) for p in ps] for fact, ps in spec.facts.items()}
    assert facts == {
        "version": ["swanctl --version"],
        "ike_sas": ["swanctl --list-sas"],
        "child_sas": ["swanctl --list-sas"],
        "connections": ["swanctl --list-conns"],
        "stats": ["swanctl --stats"],
        "log": ["cat /var/log/charon.log"],
        "config": ["cat /etc/swanctl/swanctl.conf"],
        **LINUX_FACT_COMMANDS,
    }
    commands = spec.commands()
    assert commands.count("swanctl --list-sas") == 1  # one command, two facts
    assert spec.facts_of("swanctl --list-sas") == ("ike_sas", "child_sas")
    assert commands[0] == CLOCK and spec.facts_of(CLOCK) == ("clock",)


@pytest.mark.parametrize("platform", ["strongswan", "libreswan"])
def test_clock_reads_only(platform: str) -> None:
    spec = load_platform(platform)
    assert spec.check_allowed("date -u") == "date -u"  # typed by hand, e.g. in a transcript
    for sets_the_clock in ("date -s 2020-01-01", "date 010100002020", "date -u -s 1"):
        with pytest.raises(CommandRefused):
            spec.check_allowed(sets_the_clock)


def test_libreswan_facts() -> None:
    spec = load_platform("libreswan")
    commands = spec.commands()
    assert commands[:5] == (
        CLOCK,
        "ipsec --version",
        "ipsec status",
        "ipsec trafficstatus",
        "ipsec globalstatus",
    )
    assert "cat /var/log/pluto.log" in commands and "cat /etc/ipsec.conf" in commands
    for linux in LINUX_FACT_COMMANDS.values():
        assert all(command in commands for command in linux)
    # allowed, but not collected twice: in 4.10 `ipsec status` is `whack --status`
    assert spec.check_allowed("ipsec whack --status") == "ipsec whack --status"
    assert "ipsec whack --status" not in commands


def test_overrides_replace_paths() -> None:
    spec = load_platform("strongswan")
    moved = "/var/log/strongswan/charon.log"
    commands = spec.commands({"log_file": moved})
    assert f"cat {moved}" in commands
    assert "cat /var/log/charon.log" not in commands
    assert spec.check_allowed(f"cat {moved}", {"log_file": moved})
    with pytest.raises(CommandRefused, match="configured files"):
        spec.check_allowed("cat /var/log/charon.log", {"log_file": moved})
    with pytest.raises(UserError, match="unknown override 'logfile'"):
        spec.commands({"logfile": "/x"})


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("sh cry ikev2 sa", "show crypto ikev2 sa"),
        ("show crypto ikev2 sa", "show crypto ikev2 sa"),
        ("sho crypt ikev2 sa", "show crypto ikev2 sa"),
        ("sh   cry  ikev2   sa", "show crypto ikev2 sa"),
        ("sh cry ikev2 sa detail", "show crypto ikev2 sa detail"),
        ("sh cry ikev2 sa remote 198.51.100.1", "show crypto ikev2 sa remote 198.51.100.1"),
        ("sh ver", "show version"),
    ],
)
def test_ntc_abbreviations_match(typed: str, canonical: str) -> None:
    assert CISCO.match(typed) == canonical
    assert CISCO.check_allowed(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "s cry ikev2 sa",  # shorter than the required part
        "shows cry ikev2 sa",  # longer than the full word
        "sh cry ikev sa",  # plain words must match exactly
        "sh cry ikev2",  # missing a word
        "sh cry ikev2 sa brief",  # arguments not matching the entry's pattern
        "sh ver detail",  # no arguments allowed
        "show crypto ipsec sa",
    ],
)
def test_ntc_non_matches(typed: str) -> None:
    assert CISCO.match(typed) is None
    with pytest.raises(CommandRefused, match="not in the read-only allowlist"):
        CISCO.check_allowed(typed)


def test_command_pattern_words() -> None:
    pattern = CommandPattern("sh[[ow]] ip int[[erface]] br[[ief]]")
    assert pattern.words == (("sh", "ow"), ("ip", ""), ("int", "erface"), ("br", "ief"))
    assert pattern.canonical() == "show ip interface brief"
    assert pattern.match("sh ip int br") == "show ip interface brief"
    assert CommandPattern("cat {f}").variables == ("f",)


@pytest.mark.parametrize(
    "command",
    [
        "configure terminal",
        "conf t",
        "clear crypto sa",
        "clea crypto sa",
        "reload",
        "copy run start",
        "delete flash:x",
        "debug crypto ikev2",
        "wr mem",
        "write memory",
        "erase startup-config",
        "swanctl --terminate --ike lab",
        "swanctl --load-all",
        "ipsec restart",
        "ipsec auto --delete lab",
        "ip xfrm state flush",
        "ip route add 10.0.0.0/8 dev lo",
        "kill 1",
    ],
)
def test_deny_words_win_over_a_sloppy_allowlist(command: str) -> None:
    first = command.split()[0]
    sloppy = spec_of(allow=[{"command": first, "args": ".*"}])
    with pytest.raises(CommandRefused) as refused:
        sloppy.check_allowed(command)
    assert repr(command) in str(refused.value)
    assert "changes state" in str(refused.value)


def test_a_platform_whose_facts_would_be_refused_does_not_load() -> None:
    with pytest.raises(UserError, match="invalid platform definition"):
        spec_of(facts={"x": ["clear crypto sa"]})
    with pytest.raises(UserError, match=r"unknown key\(s\) colour"):
        spec_of(facts={}, colour="blue")
    with pytest.raises(UserError, match="unknown variable"):
        spec_of(facts={"log": ["cat {nope}"]})


def test_unknown_platform() -> None:
    with pytest.raises(UserError, match=r"unknown platform 'vyos'.*strongswan"):
        load_platform("vyos")


STRONGSWAN = load_platform("strongswan")


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("swanctl --list-sas; reboot", "metacharacters"),
        ("swanctl --list-sas | tee /tmp/x", "metacharacters"),
        ("swanctl --list-sas && id", "metacharacters"),
        ("cat $HOME/.ssh/id_rsa", "metacharacters"),
        ("cat `echo /etc/shadow`", "metacharacters"),
        ("ip route show table all > /etc/passwd", "metacharacters"),
        ("ip rule\nreboot", "metacharacters"),
        ("cat /etc/shadow", "configured files"),
        ("cat /var/log/charon.log /etc/shadow", "configured files"),
        ("cat", "configured files"),
        ("head /var/log/syslog", "configured files"),
        ("touch /tmp/x", "changes state"),
        ("bash", "starts a shell"),
        ("sh", "starts a shell"),
        ("python3", "interpreter"),
        ("", "empty"),
        ("   ", "empty"),
        ("ip rule\x00", "control characters"),
        ("ip\x1b[31m rule", "metacharacters"),
        ("swanctl --stats\u00a0", "control characters"),
        ("sysctl net.ipv4.ip_forward=1", "allowlist"),
        ("ls /", "allowlist"),
    ],
)
def test_linux_refusals(command: str, why: str) -> None:
    with pytest.raises(CommandRefused, match=why) as refused:
        STRONGSWAN.check_allowed(command)
    assert "strongswan" in str(refused.value)


def test_linux_abbreviations_and_arguments() -> None:
    assert STRONGSWAN.check_allowed("ip r s table all") == "ip route show table all"
    assert STRONGSWAN.check_allowed("ip a s") == "ip addr show"
    ike = "swanctl --list-sas --ike lab"
    assert STRONGSWAN.check_allowed(ike) == ike
    assert STRONGSWAN.check_allowed("ip route get 10.2.0.10") == "ip route get 10.2.0.10"
    with pytest.raises(CommandRefused):
        STRONGSWAN.check_allowed("swanctl --list-sas --ike lab --terminate")


@pytest.mark.parametrize("value", ["/var/log/charon.log;reboot", "/a b", "", "/x\n", "$(id)"])
def test_override_with_metacharacters_is_refused(value: str) -> None:
    with pytest.raises(UserError, match="metacharacters"):
        STRONGSWAN.commands({"log_file": value})
    with pytest.raises(UserError, match="metacharacters"):
        STRONGSWAN.check_allowed("cat /var/log/charon.log", {"log_file": value})


# ---- properties: whatever the text, a shell metacharacter never gets through -------------

METACHARACTERS = sorted(SHELL_METACHARACTERS)
allowed_prefixes = st.sampled_from([*STRONGSWAN.commands(), "ip a s", "swanctl --list-sas"])


@settings(max_examples=400)
@given(
    prefix=allowed_prefixes,
    junk=st.text(max_size=20),
    meta=st.sampled_from(METACHARACTERS),
    tail=st.text(max_size=20),
)
def test_any_command_with_a_metacharacter_is_refused(
    prefix: str, junk: str, meta: str, tail: str
) -> None:
    for command in (f"{prefix}{junk}{meta}{tail}", f"{meta}{prefix}", f"{prefix} {meta}"):
        with pytest.raises(CommandRefused):
            STRONGSWAN.check_allowed(command)


@settings(max_examples=400)
@given(st.text(max_size=60))
def test_arbitrary_text_is_refused_or_a_clean_allowlisted_command(text: str) -> None:
    try:
        canonical = STRONGSWAN.check_allowed(text)
    except CommandRefused:
        return
    assert not set(text) & SHELL_METACHARACTERS
    assert all(char.isprintable() for char in text)
    assert STRONGSWAN.match(canonical) == canonical
    assert STRONGSWAN.check_allowed(canonical) == canonical
    words = {word.lstrip("-") for word in canonical.lower().split()}
    assert not words & (DENY_WORDS | SHELL_WORDS)


@settings(max_examples=200)
@given(
    prefix=st.sampled_from(STRONGSWAN.commands()),
    deny=st.sampled_from(sorted(DENY_WORDS - {"sh"})),
    case=st.sampled_from([str.lower, str.upper, str.title]),
)
def test_a_deny_word_anywhere_is_refused(prefix: str, deny: str, case: Any) -> None:
    sloppy = spec_of(device_type="linux", allow=[{"command": prefix.split()[0], "args": ".*"}])
    with pytest.raises(CommandRefused):
        sloppy.check_allowed(f"{prefix} {case(deny)}")
    with pytest.raises(CommandRefused):
        sloppy.check_allowed(f"{prefix} --{deny}-all")


# ---- overrides stay inside the daemon's log and configuration folders ----------------------

# Classes of paths an override must never name: secret stores, private keys by name and by
# folder, hidden files (~/.ssh, shell histories), pseudo file systems, paths that climb out
# or are not plain (relative, '..', '.', '//', trailing '/'), glob and shell characters.
NEVER_READ = [
    "/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/ipsec.secrets",
    "/etc/swanctl/conf.d/secrets.conf", "/etc/ipsec.d/site.secrets", "/etc/passwd",
    "/root/.ssh/id_rsa", "/home/ops/.ssh/id_ed25519", "/etc/ssh/ssh_host_ed25519_key",
    "/var/log/.bash_history", "/etc/swanctl/private/peer.der", "/etc/swanctl/rsa/peer",
    "/etc/swanctl/ecdsa/peer", "/etc/swanctl/pkcs8/peer", "/etc/ipsec.d/private/key",
    "/etc/swanctl/x509/peer.pem", "/etc/swanctl/peer.key", "/var/log/id_rsa.old",
    "/etc/ssl/private/server.key", "/proc/self/environ", "/sys/kernel/notes", "/dev/zero",
    "/run/charon.vici", "var/log/charon.log", "charon.log", "/var/log/../../etc/shadow",
    "/var/log/./charon.log", "/var/log//charon.log", "/var/log/", "/var/log/*.log",
    "/var/log/charon.log?", "/var/log/[a]", "/var/log/{a,b}", "~/charon.log",
    "/var/log/a b", "/var/log/charon.log\x00",
]  # fmt: skip


@pytest.mark.parametrize("value", NEVER_READ)
@pytest.mark.parametrize(
    ("platform", "variable"),
    [("strongswan", "log_file"), ("strongswan", "swanctl_conf"), ("libreswan", "log_file"),
     ("libreswan", "conn_file")],
)  # fmt: skip
def test_an_override_outside_the_daemons_paths_is_refused(
    platform: str, variable: str, value: str
) -> None:
    spec = load_platform(platform)
    with pytest.raises(UserError) as refused:
        spec.commands({variable: value})
    message = str(refused.value)
    assert (variable in message and repr(value) in message) or "metacharacters" in message
    with pytest.raises(UserError):
        spec.check_allowed(f"cat {value}", {variable: value})


@pytest.mark.parametrize(
    ("platform", "variable", "value"),
    [
        ("strongswan", "log_file", "/var/log/strongswan/charon.log"),
        ("strongswan", "log_file", "/var/log/syslog"),
        ("strongswan", "swanctl_conf", "/etc/swanctl/conf.d/lab.conf"),
        ("strongswan", "swanctl_conf", "/etc/strongswan.conf"),
        ("strongswan", "swanctl_conf", "/etc/strongswan.d/charon-logging.conf"),
        ("strongswan", "swanctl_conf", "/etc/ipsec.conf"),
        ("libreswan", "log_file", "/var/log/auth.log"),
        ("libreswan", "conn_file", "/etc/ipsec.d/lab.conf"),
        ("juniper_junos", "log_file", "kmd-logs"),
    ],
)
def test_an_override_inside_the_daemons_paths_is_accepted(
    platform: str, variable: str, value: str
) -> None:
    spec = load_platform(platform)
    assert any(value in command for command in spec.commands({variable: value}))


def test_the_refusal_names_the_value_and_what_is_allowed() -> None:
    with pytest.raises(UserError) as refused:
        load_platform("strongswan").commands({"log_file": "/etc/shadow"})
    assert str(refused.value).startswith(
        "log_file '/etc/shadow' is not a log or configuration path of strongswan"
    )
    assert "(allowed: /var/log/**)" in str(refused.value)
    with pytest.raises(UserError, match="not a log or configuration path of juniper_junos"):
        load_platform("juniper_junos").commands({"log_file": "/var/log/messages"})
    with pytest.raises(UserError, match=r"juniper_junos.*'shadow' looks like a secret"):
        load_platform("juniper_junos").commands({"log_file": "shadow"})


def test_a_variable_without_override_paths_takes_no_override() -> None:
    spec = spec_of(
        device_type="linux", shell="posix", variables={"notes": "/srv/notes.txt"},
        readable_files=["notes"], facts={"notes": ["cat {notes}"]},
    )  # fmt: skip
    assert spec.commands() == ("cat /srv/notes.txt",)
    with pytest.raises(UserError, match="notes cannot be overridden on platform 't'"):
        spec.commands({"notes": "/srv/other.txt"})


def test_a_platform_whose_default_breaks_its_own_rules_does_not_load() -> None:
    with pytest.raises(UserError, match=r"invalid platform definition.*not a log or config"):
        spec_of(
            device_type="linux", shell="posix", variables={"log": "/etc/shadow"},
            readable_files=["log"], facts={"log": ["cat {log}"]},
            override_paths={"log": ["/var/log/**"]},
        )  # fmt: skip
    with pytest.raises(UserError, match="override_paths names 'nope'"):
        spec_of(override_paths={"nope": ["/var/log/**"]})


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("/.aevlogr*?~-_ \\x00"), max_size=30))
def test_any_accepted_log_override_is_a_plain_path_below_var_log(value: str) -> None:
    spec = load_platform("strongswan")
    try:
        spec.check_override("log_file", value)
    except UserError:
        return
    parts = value.split("/")
    assert value.startswith("/var/log/") and ".." not in parts and "." not in parts
    assert "" not in parts[1:] and not set(value) & SHELL_METACHARACTERS


# --- fallbacks: the legacy interface where the new tool does not answer ----------------------


def test_strongswan_falls_back_to_stroke_where_swanctl_lists_nothing() -> None:
    spec = load_platform("strongswan")
    (fallback,) = spec.fallbacks
    assert fallback.command.text == "swanctl --list-conns"
    assert fallback.when == ("missing", "empty")
    # run only when needed: not among the commands every collection sends
    assert "ipsec statusall" not in spec.commands()
    assert spec.fallback_commands("swanctl --list-conns") == (
        "ipsec statusall",
        "cat /etc/ipsec.conf",
    )
    assert spec.fallback_commands("swanctl --list-sas") == ()
    assert spec.fallback_for("swanctl --list-conns", " \n") == (
        ("ipsec statusall", "cat /etc/ipsec.conf"),
        "empty",
    )
    # an inventory's override of the configuration path reaches the fallback
    moved = {"ipsec_conf": "/etc/strongswan/ipsec.conf"}
    assert spec.fallback_commands("swanctl --list-conns", moved)[-1] == (
        "cat /etc/strongswan/ipsec.conf"
    )


def _not_found(*shell: str) -> str:
    """What a real shell prints when it cannot find `swanctl` (nothing on its PATH)."""
    run = subprocess.run(
        ["/usr/bin/env", "-i", "PATH=/nonexistent", *shell, "swanctl --list-conns"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 127  # the shell's own "not found" status
    return run.stderr


@pytest.mark.parametrize(
    "shell", [["/bin/bash", "-c"], ["/bin/bash", "--norc", "-i", "-c"], ["/bin/dash", "-c"]]
)
def test_a_shell_saying_swanctl_is_not_found_means_missing(shell: list[str]) -> None:
    if not os.path.exists(shell[0]):
        pytest.skip(f"{shell[0]} is not installed")
    said = _not_found(*shell)
    assert "swanctl" in said
    assert STRONGSWAN.fallback_for("swanctl --list-conns", said) == (
        ("ipsec statusall", "cat /etc/ipsec.conf"),
        "missing",
    )


def test_an_answer_is_no_reason_to_fall_back() -> None:
    # the lab's swanctl (strongSwan 5.9.8): lines of plugins "not found", then the answer
    recorded = Path(__file__).parents[1] / "parsers" / "strongswan"
    for case in ("swanctl-list-conns", "swanctl-version"):
        text = (recorded / case / "baseline-siteA.txt").read_text()
        assert "not found" in text
        assert STRONGSWAN.fallback_for("swanctl --list-conns", text) is None
    # another program missing is not swanctl missing
    assert (
        STRONGSWAN.fallback_for("swanctl --list-conns", "-bash: ipsec: command not found") is None
    )


def _with_fallback(**fallback: Any) -> dict[str, Any]:
    return {
        "name": "t",
        "device_type": "linux",
        "shell": "posix",
        "facts": {"connections": [{"command": "swanctl --list-conns", **fallback}]},
        "allow": ["ipsec statusall"],
    }


def test_fallbacks_are_checked_when_the_platform_loads() -> None:
    ok = PlatformSpec.from_dict(_with_fallback(fallback="ipsec statusall", when="missing"))
    assert ok.fallbacks[0].when == ("missing",)
    assert ok.facts["connections"][0].text == "swanctl --list-conns"
    # a fallback is no way around the allowlist
    with pytest.raises(UserError, match=r"ipsec restart.*(deny|allowlist|restart)"):
        PlatformSpec.from_dict(_with_fallback(fallback=["ipsec statusall", "ipsec restart"]))
    with pytest.raises(UserError, match="not in the read-only allowlist"):
        PlatformSpec.from_dict(_with_fallback(fallback="ipsec status"))
    with pytest.raises(UserError, match="`when` must list some of missing, empty"):
        PlatformSpec.from_dict(_with_fallback(fallback="ipsec statusall", when=["slow"]))
    with pytest.raises(UserError, match="`when` without a `fallback`"):
        PlatformSpec.from_dict(_with_fallback(when="missing"))
    with pytest.raises(UserError, match="runs nothing"):
        PlatformSpec.from_dict(_with_fallback(fallback=[]))
