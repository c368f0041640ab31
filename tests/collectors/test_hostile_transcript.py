"""Hostile and careless transcripts: typed secrets, configuration mode, escape sequences that
would allocate gigabytes, prompt host names that are no folder names.

Device outputs come from the project's golden samples (tests/parsers/<platform>/, see the
SOURCES.md there). The IOS configuration lines are the example of "Step 2-3 Configure
Preshared Keys" (CCSP study guide, ciscoarticles.com), as typed at a router's prompt. The
typed secrets and the escape sequences are synthetic inputs, not device outputs.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from ipsec_tui.cli import main
from ipsec_tui.collectors.transcript import (
    MAX_COLUMNS,
    clean_terminal_text,
    split_transcript,
)
from ipsec_tui.errors import UserError

PARSERS = Path(__file__).resolve().parents[1] / "parsers"
IOS_SESSION = (PARSERS / "cisco_ios/show-crypto-session/genie-ios-golden-output1.txt").read_text()
SWANCTL_SAS = (PARSERS / "strongswan/swanctl-list-sas/baseline-siteA.txt").read_text()

IOS_PSK = "cisco123"  # the guide's key
TYPED_SECRET = "Zq8-vT3x-LmN0-pR7s"  # a key pasted at the prompt by mistake


def ios_transcript() -> str:
    """An IOS session: a show command, then configuration mode with a PSK typed."""
    lines = [
        "Rtr1#show crypto session",
        *IOS_SESSION.splitlines(),
        "Rtr1#configure terminal",
        "Enter configuration commands, one per line.  End with CNTL/Z.",
        f"Rtr1(config)#crypto isakmp key {IOS_PSK} address 10.0.50.2",
        "Rtr1(config)#crypto isakmp policy 100",
        "Rtr1(config-isakmp)#authentication pre-share",
        "Rtr1(config-isakmp)#end",
        "Rtr1#",
    ]
    return "\r\n".join(lines)


def strongswan_transcript() -> str:
    """A shell session where a key is typed at the prompt and files are written."""
    return "\n".join(
        [
            "root@siteA:~# swanctl --list-sas",
            *SWANCTL_SAS.splitlines(),
            f"root@siteA:~# {TYPED_SECRET}",
            "root@siteA:~# swanctl --load-creds",
            f"root@siteA:~# echo {TYPED_SECRET} > /etc/swanctl/conf.d/psk.conf",
            f"root@siteA:~# set psksecret {TYPED_SECRET}",
            "root@siteA:~# cat /etc/ipsec.secrets",
            "root@siteA:~# cat /etc/shadow",
            "root@siteA:~# ",
        ]
    )


def forms(secret: str) -> list[str]:
    """A secret as it could sit in a file: plain, base64, hex."""
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode(), raw.hex()]


def assert_nowhere(folder: Path, secret: str, *texts: str) -> None:
    """The secret is in no file, no file name, and none of ``texts`` (warnings...)."""
    for path in folder.rglob("*"):
        for form in forms(secret):
            assert form not in str(path.relative_to(folder)), path
            if path.is_file():
                assert form not in path.read_text(errors="replace"), path
    for text in texts:
        for form in forms(secret):
            assert form not in text


@pytest.mark.parametrize(
    ("transcript", "platform", "secret", "kept"),
    [
        (ios_transcript, "cisco_ios", IOS_PSK, ["show crypto session"]),
        (strongswan_transcript, "strongswan", TYPED_SECRET, ["swanctl --list-sas"]),
    ],
)
def test_configuration_and_typed_secrets_are_dropped_and_never_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    transcript: object,
    platform: str,
    secret: str,
    kept: list[str],
) -> None:
    text = transcript()  # type: ignore[operator]
    imported = split_transcript(text, platform, salt=b"s" * 16)
    assert [record.command for record in imported.capture.commands] == kept
    warnings = "\n".join(imported.warnings)
    assert "read-only allowlist" in warnings and "dropped" in warnings
    for form in forms(secret):
        assert form not in warnings
    source = tmp_path / "t.txt"
    source.write_text(text)
    out = tmp_path / "capture"
    assert main(["import", "-p", platform, str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "dropped" in printed.err
    assert_nowhere(out, secret, printed.out, printed.err)


def test_every_dropped_command_is_reported_without_its_values() -> None:
    imported = split_transcript(strongswan_transcript(), "strongswan")
    dropped = [w for w in imported.warnings if "dropped" in w]
    # the key at the prompt, load-creds, echo, set, and the two files that are no override
    assert len(dropped) == 6
    assert any("'swanctl ...'" in w for w in dropped)  # the known word is shown, not its value
    assert any("'set psksecret ...'" in w for w in dropped)
    assert any("a command of 1 word" in w for w in dropped)  # the key itself: nothing shown


def test_an_allowlisted_file_reader_of_the_daemons_paths_is_kept() -> None:
    transcript = "root@siteA:~# cat /var/log/syslog\nline one\nroot@siteA:~# cat /etc/passwd\n"
    imported = split_transcript(transcript + "root:x:0:0\nroot@siteA:~# ", "strongswan")
    assert [r.command for r in imported.capture.commands] == ["cat /var/log/syslog"]
    assert "root:x" not in "".join(imported.capture.outputs.values())


# ---- escape sequences: every effect bounded -----------------------------------------------

HUGE = "999999999"
# One class per way a sequence could grow a line: cursor forward, absolute column, counts
# with a million digits, many lines each jumping, erase/delete with huge counts, sequences
# a terminal would repeat or insert with (ignored), overwrites after a carriage return.
HOSTILE_LINES = {
    "cursor-forward": f"a\x1b[{HUGE}Cb",
    "absolute-column": f"a\x1b[{HUGE}Gb",
    "digits": "a\x1b[" + "9" * 200_000 + "Cb",
    "erase-delete": f"abc\x1b[{HUGE}P\x1b[{HUGE}D\x1b[1K\x1b[2K\x1b[Kd",
    "repeat-insert": f"a\x1b[{HUGE}b\x1b[{HUGE}@\x1b[{HUGE}X\x1b[{HUGE}L",
    "overwrite": "x" * 100 + "\r" + f"\x1b[{HUGE}C" + "y",
    "backspaces": "ab" + "\b" * 100_000 + "c",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LINES))
def test_an_escape_sequence_never_grows_a_line_past_its_bound(name: str) -> None:
    line = HOSTILE_LINES[name]
    started = time.monotonic()
    (rendered,) = clean_terminal_text(line + "\n")
    assert time.monotonic() - started < 5
    assert len(rendered) <= min(MAX_COLUMNS + len(line), 2 * len(line) + 1)


def test_many_cursor_jumps_stay_proportional_to_the_input() -> None:
    text = f"\x1b[{HUGE}Cx\n" * 50_000  # 50,000 lines of 15 bytes
    started = time.monotonic()
    lines = clean_terminal_text(text)
    assert time.monotonic() - started < 20
    assert len(lines) == 50_000
    assert sum(len(line) for line in lines) <= 2 * len(text)


@pytest.mark.parametrize(
    "text",
    [
        "\r" * 300_000 + "x",  # carriage returns and no line feed: no quadratic backtracking
        "\r" * 300_000 + "\n",
        "\x1b]" * 100_000 + "title",  # window titles that never end
        "--More--" * 100_000,
        "a" * 3_000_000 + "\x1b[K\n",  # one long line
    ],
    ids=["cr-run", "cr-run-lf", "osc", "pager", "long-line"],
)
def test_hostile_runs_are_cleaned_in_linear_time(text: str) -> None:
    started = time.monotonic()
    clean_terminal_text(text)
    assert time.monotonic() - started < 5


# ---- prompt host names that are no folder names --------------------------------------------


@pytest.mark.parametrize("host", ["capture.yml", "peer.yml", "Peer.YML", "h" * 200])
def test_a_prompt_host_that_cannot_name_a_folder_is_refused_and_nothing_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    transcript = tmp_path / "t.txt"
    transcript.write_text(f"root@{host}:~# ip rule\n0: from all lookup local\nroot@{host}:~# ")
    out = tmp_path / "capture"
    assert main(["import", "-p", "strongswan", str(transcript), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot name a peer" in err and "--peer" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(UserError, match="cannot name a peer"):
        split_transcript(transcript.read_text(), "strongswan")


@pytest.mark.parametrize("peer", ["..", ".", "/", "", "a/b", "capture.yml", "peer.yml", ".x"])
def test_a_peer_name_that_cannot_name_a_folder_is_refused_and_nothing_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], peer: str
) -> None:
    transcript = tmp_path / "t.txt"
    transcript.write_text("root@gw:~# ip rule\n0: from all lookup local\nroot@gw:~# ")
    out = tmp_path / "capture"
    argv = ["import", "-p", "strongswan", str(transcript), "--out", str(out), "--peer", peer]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_secret_in_an_allowlisted_command_is_redacted_in_peer_yml_and_file_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real Junos `show log messages` quoting a typed `set snmp community NAME ...`; see
    # tests/evidence/secrets_corpus/SOURCES.md. The operator filtered the log for the name.
    corpus = Path(__file__).resolve().parents[1] / "evidence" / "secrets_corpus"
    log = (corpus / "junos_messages.txt").read_text()
    (secret,) = (corpus / "junos_messages.secrets").read_text().split()
    typed = f"show log messages | match {secret}"
    text = f"ops@R1> {typed}\n{log}\nops@R1> "
    imported = split_transcript(text, "juniper_junos", salt=b"s" * 16)
    (record,) = imported.capture.commands
    assert record.command.startswith("show log messages | match <redacted:fp=")
    assert secret not in record.command and secret not in (record.file or "")
    source = tmp_path / "t.txt"
    source.write_text(text)
    out = tmp_path / "capture"
    assert main(["import", "-p", "juniper_junos", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert_nowhere(out, secret, printed.out, printed.err)
