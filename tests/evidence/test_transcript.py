"""The partner's side, pasted: terminal transcripts split into a capture's peer."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipsec_tui.cli import main
from ipsec_tui.collectors.capture_io import read_capture, read_capture_index
from ipsec_tui.collectors.transcript import (
    clean_terminal_text,
    import_transcript,
    split_blocks,
    split_transcript,
)
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.errors import UserError
from tests.conftest import CAPTURES, SCENARIOS, scenario_id

# How terminals page and wipe the pager prompt (IOS, ASA, Junos, a plain `more`).
PAGERS = [
    " --More-- " + "\b" * 10 + " " * 10 + "\b" * 10,
    "<--- More --->" + "\r" + " " * 14 + "\r",
    "---(more 42%)---" + "\x1b[K",
    "--More--" + "\r",
]
# Abbreviations a person types for the collected commands (same canonical command).
TYPED = {
    "ip route show table all": "ip r s table all",
    "swanctl --list-sas": "swanctl --list-sas",
}


def prompts(host: str) -> list[str]:
    """The same box's prompt in several shapes: cwd changes, colours, a window title."""
    return [
        f"root@{host}:~# ",
        f"root@{host}:/etc/swanctl# ",
        f"\x1b]0;root@{host}: ~\x07\x1b[01;32mroot@{host}\x1b[00m:\x1b[01;34m~\x1b[00m# ",
        f"root@{host}:/var/log# ",
    ]


def as_terminal_showed_it(capture: PeerCapture, seed: int = 1) -> str:
    """What a person's terminal log of running the capture's commands looks like: a
    banner, changing prompts, CRLF, a typo corrected with backspaces, the device's echo,
    paging every few lines with the pager's erase sequence, and a last bare prompt."""
    rng = random.Random(seed)
    shapes = prompts(capture.name)
    out = ["Linux gateway 6.1.0 #1 SMP x86_64", "Last login: Thu Nov 26 20:40:01 2026", ""]
    for index, record in enumerate(capture.commands):
        typed = TYPED.get(record.command, record.command)
        if index == 1:  # a typo, corrected with backspaces before Enter
            typed = typed[:-1] + "x\b \b" + typed[-1]
        out.append(shapes[index % len(shapes)] + typed)
        if index == 2:  # some terminals (and session logs) repeat the command: the echo
            out.append(TYPED.get(record.command, record.command))
        text = capture.output_of(record) or ""
        lines = text.split("\n") if text else []
        for number, line in enumerate(lines, start=1):
            if number % rng.randint(7, 15) == 0 and number < len(lines):
                out.append(rng.choice(PAGERS) + line)
            else:
                out.append(line)
    out.append(shapes[0])
    return "\r\n".join(out)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_a_transcript_imports_into_the_same_capture(scenario: Path) -> None:
    for collected in read_capture(scenario):
        transcript = as_terminal_showed_it(collected, seed=len(scenario.name))
        imported = split_transcript(transcript, collected.platform)
        assert imported.capture.name == collected.name  # named after the prompts' host
        assert [r.command for r in imported.capture.commands] == [
            r.command for r in collected.commands
        ]
        assert imported.capture.outputs == collected.outputs
        assert [r.file for r in imported.capture.commands] == [r.file for r in collected.commands]
        assert imported.warnings == ("lines 1-3: before the first prompt (banner?): not imported",)


def test_vendor_prompts_and_pagers_split() -> None:
    text = "\r\n".join(
        [
            "router>enable",
            "router#sh cry isa sa",
            "IPv4 Crypto ISAKMP SA",
            " --More-- " + "\b" * 10 + " " * 10 + "\b" * 10 + "dst  src  state",
            "router#",
        ]
    )
    blocks, _ = split_blocks(text)
    assert [(b.host, b.command, b.output) for b in blocks] == [
        ("router", "enable", ""),
        ("router", "sh cry isa sa", "IPv4 Crypto ISAKMP SA\ndst  src  state"),
        ("router", "", ""),
    ]
    for transcript, host, command, output in [
        ("asa/pri/act# show crypto ikev2 sa\r\nIKEv2 SAs:\r\n<--- More --->\r              \r"
         "Tunnel-id\r\nasa/pri/act# ", "asa", "show crypto ikev2 sa", "IKEv2 SAs:\nTunnel-id"),
        ("{master:0}\r\nops@srx> show security ike sa\r\nIndex State\r\n---(more 50%)---\x1b[K"
         "8 UP\r\n\r\n{master:0}\r\nops@srx> ", "srx", "show security ike sa",
         "Index State\n8 UP\n"),
        ("admin@PA-VM(active)> show vpn ike-sa\nGwID/client IP\n\nadmin@PA-VM(active)> ",
         "PA-VM", "show vpn ike-sa", "GwID/client IP\n"),
        ("FGT (root) # get vpn ike gateway\nvd: root/0\n--More-- \rname: lab\nFGT (root) # ",
         "FGT", "get vpn ike gateway", "vd: root/0\nname: lab"),
        ("[root@rhel ~]# ipsec status\n000 using kernel interface: xfrm\n[root@rhel ~]# ",
         "rhel", "ipsec status", "000 using kernel interface: xfrm"),
        ("user@host:~$ swanctl --list-sas\nno SAs\nuser@host:~$ ", "host", "swanctl --list-sas",
         "no SAs"),
    ]:  # fmt: skip
        blocks, _ = split_blocks(transcript)
        assert (blocks[0].host, blocks[0].command, blocks[0].output) == (host, command, output)


def test_an_output_line_that_looks_like_a_bare_prompt_stays_output() -> None:
    text = "root@gw:~# swanctl --stats\nuptime: 5 minutes\nTotal#\nroot@gw:~# "
    blocks, _ = split_blocks(text)
    assert blocks[0].output == "uptime: 5 minutes\nTotal#"


def test_the_terminal_clean_up() -> None:
    assert clean_terminal_text("a\r\nb\r\r\nc") == ["a", "b", "c"]
    assert clean_terminal_text("swanctl --lisx\b \bt-sas\n") == ["swanctl --list-sas"]
    assert clean_terminal_text("\x1b[1;31mred\x1b[0m and \x07plain\n") == ["red and plain"]
    assert clean_terminal_text("progress 10%\rprogress 100%\n") == ["progress 100%"]
    assert clean_terminal_text("keep trailing  \n\tand tabs\n") == ["keep trailing  ", "\tand tabs"]


def test_unknown_and_session_commands_are_never_dropped_silently() -> None:
    text = "\n".join(
        [
            "ops@jump:~$ ssh root@siteB",  # the operator's own machine: not the peer
            "root@siteB:~# uptime",
            " 20:47:50 up 3 days",
            "root@siteB:~# swanctl --list-sas",
            "first try",
            "root@siteB:~# swanctl --list-sas",
            "second try",
            "root@siteB:~# ",
            "stray output",
            "root@siteB:~# exit",
            "logout",
        ]
    )
    imported = split_transcript(text, "strongswan")
    capture = imported.capture
    assert capture.name == "siteB"
    assert [r.command for r in capture.commands] == ["swanctl --list-sas"]
    assert capture.outputs == {"swanctl-list-sas.txt": "second try"}
    warnings = "\n".join(imported.warnings)
    assert "line 1: 'ssh ...' was run on jump, not on siteB" in warnings
    # off the read-only allowlist: dropped with its output, and said so
    assert "line 2: a command of 1 word is not on the strongswan read-only allowlist" in warnings
    assert "3 days" not in "".join(capture.outputs.values())
    assert "'swanctl --list-sas' was run again (first at line 4)" in warnings
    assert "line 8: output after a prompt with no command" in warnings
    assert "session command 'exit' skipped" in warnings


def test_a_text_without_prompts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no command found in the transcript"):
        import_transcript(
            "just some pasted output\nwithout prompts\n", "strongswan", tmp_path / "c"
        )
    assert not (tmp_path / "c").exists()  # refused before anything is written


def test_import_transcript_names_the_peer_and_places_it(tmp_path: Path) -> None:
    out = tmp_path / "capture"
    imported = import_transcript(
        "root@gw:~# ip rule\n0: from all lookup local\nroot@gw:~# ",
        "libreswan",
        out,
        peer_name="siteB",
    )
    (capture,) = imported.captures
    assert (capture.name, capture.platform, capture.commands[0].command) == (
        "siteB",
        "libreswan",
        "ip rule",
    )
    assert capture.outputs == {"ip-rule.txt": "0: from all lookup local"}
    # a second peer, as peer A: first in capture.yml, and both read back
    again = import_transcript("root@gw:~# ip rule\nx\nroot@gw:~# ", "strongswan", out, first=True)
    assert (again.peer, [c.name for c in again.captures]) == ("gw", ["gw", "siteB"])
    with pytest.raises(UserError, match=r"already holds two peers \(gw, siteB\)"):
        import_transcript("root@gw3:~# ip rule\nx\nroot@gw3:~# ", "strongswan", out)
    with pytest.raises(
        UserError, match=r"peer name '\.\./up' cannot name a peer: it must start with a letter"
    ):
        import_transcript(
            "root@gw:~# ip rule\nx\nroot@gw:~# ", "libreswan", tmp_path / "x", peer_name="../up"
        )
    with pytest.raises(UserError, match="unknown platform 'vyos'"):
        import_transcript("root@gw:~# ip rule\nx\nroot@gw:~# ", "vyos", tmp_path / "y")


def _plain_output_line(line: str) -> bool:
    """Output text that no terminal would take for a prompt or a pager."""
    return not (
        line.strip().startswith(("root@", "{"))
        or any(mark in line for mark in ("#", ">", "$", "More --", "--More", "(more"))
    )


_LINE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"
    ),
    max_size=60,
).filter(_plain_output_line)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=30), st.sampled_from(PAGERS), st.integers(2, 9))
def test_any_output_survives_prompts_and_paging(lines: list[str], pager: str, every: int) -> None:
    if not lines[0].strip() or lines[0].strip() == "ip rule":
        lines = ["x", *lines]  # a blank first line or the command itself: the echo
    shown = [pager + line if n % every == 0 else line for n, line in enumerate(lines, start=1)]
    transcript = "root@gw:~# ip rule\r\n" + "\r\n".join(shown) + "\r\nroot@gw:~# "
    capture = split_transcript(transcript, "strongswan").capture
    assert capture.outputs["ip-rule.txt"] == "\n".join(lines)


def test_a_pasted_secret_is_redacted_on_the_way_in(tmp_path: Path) -> None:
    transcript = tmp_path / "t.txt"
    transcript.write_text(
        "root@siteB:~# cat /etc/swanctl/swanctl.conf\n"
        'secrets {\n  ike-lab {\n    secret = "plain-text-key-1234"\n  }\n}\nroot@siteB:~# '
    )
    out = tmp_path / "capture"
    assert main(["import", "-p", "strongswan", str(transcript), "--out", str(out)]) == 0
    written = (out / "siteB" / "cat-etc-swanctl-swanctl.conf.txt").read_text()
    assert "plain-text-key-1234" not in written and 'secret = "<redacted>"' in written


def test_import_cli_adds_the_other_side_to_a_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = CAPTURES / "strongswan" / "psk"
    side_a, side_b = read_capture(scenario)
    # our side collected (here: siteA alone), the partner's side pasted
    out = tmp_path / "capture"
    transcript_a = tmp_path / "a.txt"
    transcript_a.write_text(as_terminal_showed_it(side_a))
    assert main(["import", "--platform", "strongswan", str(transcript_a), "--out", str(out)]) == 0
    transcript_b = tmp_path / "b.txt"
    transcript_b.write_text(as_terminal_showed_it(side_b))
    assert main(["import", "-p", "strongswan", str(transcript_b), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "now holds siteA, siteB" in printed.out and "before the first prompt" in printed.err
    index = read_capture_index(out)
    assert index is not None and index.peers == ("siteA", "siteB")
    assert [p.outputs for p in read_capture(out)] == [side_a.outputs, side_b.outputs]
    assert main(["check", str(out)]) == 1
    assert "psk-mismatch" in capsys.readouterr().out
    # the same peer twice is refused; so is a folder that is not a capture
    assert main(["import", "-p", "strongswan", str(transcript_b), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["import", "-p", "nosuch", str(transcript_b), "--out", str(tmp_path / "n")]) == 2
