"""Evidence bundles from the captures recorded in the lab: replay, contents, redaction that
fails closed, atomic writing, and damaged or tampered bundles."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.cli import main
from ipsec_tui.collectors.bundles import MANIFEST, load_captures, open_bundle, verify_bundle
from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.capture import ClockReading
from ipsec_tui.errors import UserError
from ipsec_tui.evidence.bundle import (
    bundle_capture,
    bundle_captures,
    bundle_content,
    write_bundle,
)
from tests.conftest import CAPTURES, SCENARIOS, scenario_id

PSK = "lab-psk-Zq3v9TgWc2pXfL7m"  # stands for the lab's key in the seeded-secret tests


def _check_json(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", str(path), "--json"])
    return code, capsys.readouterr().out


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_bundle_replays_to_the_same_check(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = bundle_capture(scenario, tmp_path / "ticket.zip")
    folder_code, folder_json = _check_json(scenario, capsys)
    zip_code, zip_json = _check_json(written.path, capsys)
    assert zip_code == folder_code
    assert json.loads(zip_json) == json.loads(folder_json)
    members = _members(written.path)
    assert members["analysis.json"].decode() == folder_json  # what `check --json` prints
    expected = yaml.safe_load((scenario / "scenario.yml").read_text())
    assert json.loads(zip_json)["diagnosis"]["cause"] == expected["expected_cause"]
    # the capture inside is the capture as collected, byte for byte
    for path in scenario.rglob("*"):
        if path.is_file() and path.name != "scenario.yml":
            inside = f"capture/{path.relative_to(scenario).as_posix()}"
            assert members[inside] == path.read_bytes(), inside


def test_a_bundle_holds_everything_with_a_hash_each(tmp_path: Path) -> None:
    scenario = CAPTURES / "strongswan" / "psk"
    notes = "10:02 called the partner: they changed nothing.\n"
    written = bundle_capture(scenario, tmp_path / "ticket.zip", notes=notes)
    members = _members(written.path)
    manifest = json.loads(members[MANIFEST])
    assert manifest["format"] == "ipsec-tui-bundle" and manifest["version"] == 1
    assert set(manifest["files"]) == set(members) - {MANIFEST}
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(members[name]).hexdigest() == entry["sha256"]
        assert len(members[name]) == entry["size"]
    for expected in (
        "capture/capture.yml",
        "capture/siteA/peer.yml",
        "capture/siteB/cat-var-log-charon.log.txt",
        "model/siteA.json",
        "model/siteB.json",
        "analysis.json",
        "report.md",
        "report.html",
        "clock.json",
        "versions.json",
        "notes.md",
    ):
        assert expected in members, expected
    assert members["notes.md"].decode() == notes
    model = json.loads(members["model/siteB.json"])
    assert model["name"] == "siteB" and model["platform"] == "strongswan" and model["log"]
    versions = json.loads(members["versions.json"])
    assert versions["tool"].startswith("ipsec-tui ")
    assert "strongswan/swanctl-list-sas.ttp" in versions["templates"]["files"]
    assert len(versions["templates"]["digest"]) == 64
    clocks = json.loads(members["clock.json"])["peers"]
    assert clocks["siteA"]["offset_s"] is None  # recorded before the clock was read
    assert verify_bundle(written.path).ok
    captures, read_notes, read_manifest = open_bundle(written.path)
    assert captures == read_capture(scenario)
    assert read_notes == notes and read_manifest == written.manifest


def test_the_report_shows_both_sides_the_evidence_and_one_time_line(tmp_path: Path) -> None:
    scenario = CAPTURES / "strongswan" / "psk"
    captures = read_capture(scenario)
    # siteB's clock ran 2 s ahead of the collecting host: its lines move 2 s earlier
    captures[1] = replace(captures[1], clock=ClockReading("2026-11-26T20:47:52+00:00", 2.0))
    written = bundle_captures(
        tmp_path / "t.zip", bundle_content(captures, tunnel="lab", notes="<b>note</b>")
    )
    members = _members(written.path)
    markdown = members["report.md"].decode()
    page = members["report.html"].decode()
    for report in (markdown, page):
        assert "psk-mismatch" in report and "siteB" in report
        assert "MAC mismatched" in report  # an evidence line of siteB's log
        assert "+2.000 s" in report  # siteB's measured offset
    assert "| field | `siteA` | `siteB` | verdict |" in markdown
    assert "MISMATCH" in markdown
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "&lt;b&gt;note&lt;/b&gt;" in page and "<b>note</b>" not in page  # escaped
    # the time line interleaves both peers in time order, B shifted by its offset
    rows = [line for line in markdown.splitlines() if line.startswith("| `2026-")]
    times = [row.split("`")[1] for row in rows]
    assert times == sorted(times)
    assert {"`siteA`", "`siteB`"} <= {row.split(" | ")[1] for row in rows}
    b_row = next(row for row in rows if "`siteB`" in row and "2026-11-26T20:47:50" in row)
    assert b_row.startswith("| `2026-11-26 20:47:48.000`")


def test_a_secret_the_patterns_miss_makes_the_writer_refuse(tmp_path: Path) -> None:
    """The lab's PSK, pasted into a log line where no rule recognises it: the writer knows
    it (passed in) and refuses, naming the file; nothing is left behind."""
    folder = tmp_path / "capture"
    shutil.copytree(CAPTURES / "strongswan" / "psk", folder)
    log = folder / "siteA" / "cat-var-log-charon.log.txt"
    log.write_text(log.read_text() + f"\n2026-11-26T20:47:53 09[CFG] debug dump {PSK}")
    out = tmp_path / "ticket.zip"
    with pytest.raises(UserError) as refused:
        bundle_capture(folder, out, known_secrets=[PSK])
    assert "capture/siteA/cat-var-log-charon.log.txt" in str(refused.value)
    assert "refusing to write" in str(refused.value) and PSK not in str(refused.value)
    assert list(tmp_path.iterdir()) == [folder]  # no bundle, no temporary file


def test_a_psk_seen_in_the_config_is_looked_for_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A capture written by hand, not redacted: the writer finds the PSK in the config (and
    redacts it there), and refuses because the same key also sits in a log line."""
    folder = tmp_path / "capture"
    shutil.copytree(CAPTURES / "strongswan" / "psk", folder)
    conf = folder / "siteB" / "cat-etc-swanctl-swanctl.conf.txt"
    conf.write_text(re.sub(r'secret = "[^"]*"', f'secret = "{PSK}"', conf.read_text()))
    log = folder / "siteB" / "cat-var-log-charon.log.txt"
    clean_log = log.read_text()
    log.write_text(clean_log + f"\n2026-11-26T20:47:53 09[CFG] loaded {PSK}")
    out = tmp_path / "ticket.zip"
    assert main(["bundle", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "capture/siteB/cat-var-log-charon.log.txt" in err and "Traceback" not in err
    assert PSK not in err and not out.exists()
    log.write_text(clean_log)
    written = bundle_capture(folder, out)  # in the config alone: redacted, written
    assert all(PSK.encode() not in body for body in _members(written.path).values())


def test_notes_holding_a_known_password_are_refused(tmp_path: Path) -> None:
    captures = read_capture(CAPTURES / "strongswan" / "baseline")
    with pytest.raises(UserError, match=r"notes\.md still holds a secret"):
        bundle_captures(
            tmp_path / "t.zip",
            bundle_content(
                captures, notes="login was root / Tr0ub4dor&3", known_secrets=["Tr0ub4dor&3"]
            ),
        )
    # a secret the rules recognise is redacted, not refused
    written = bundle_captures(
        tmp_path / "t.zip", bundle_content(captures, notes="enable secret 5 $1$abcd$xyz\n")
    )
    assert _members(written.path)["notes.md"].decode() == "enable secret 5 <redacted>\n"


def test_an_interrupted_export_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    captures = read_capture(CAPTURES / "strongswan" / "baseline")
    calls = []
    original = zipfile.ZipFile.writestr

    def interrupted(self: zipfile.ZipFile, *args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bundle_captures(tmp_path / "t.zip", bundle_content(captures))
    assert list(tmp_path.iterdir()) == []


def test_the_writer_writes_the_analysis_it_is_given(tmp_path: Path) -> None:
    """write_bundle runs no analysis: analysis.json is the one passed in, and an analysis of
    other peers than the bundle's is refused before anything is written."""
    content = bundle_content(read_capture(CAPTURES / "strongswan" / "psk"))
    analysis = analyse_captures(list(content.captures))
    written = write_bundle(tmp_path / "t.zip", content, analysis)
    assert written.analysis is analysis
    assert _members(written.path)["analysis.json"].decode() == analysis.to_json() + "\n"
    assert json.loads(analysis.to_json())["diagnosis"]["cause"] == "psk-mismatch"
    one_peer = analyse_captures(list(content.captures[:1]))
    with pytest.raises(UserError, match="the analysis is of siteA, the capture holds siteA, siteB"):
        write_bundle(tmp_path / "other.zip", content, one_peer)
    assert not (tmp_path / "other.zip").exists()


def test_an_existing_bundle_is_not_replaced_unless_asked(tmp_path: Path) -> None:
    scenario = CAPTURES / "strongswan" / "baseline"
    out = tmp_path / "t.zip"
    bundle_capture(scenario, out)
    before = out.read_bytes()
    with pytest.raises(UserError, match="already exists"):
        bundle_capture(scenario, out)
    assert out.read_bytes() == before
    bundle_capture(scenario, out, overwrite=True)
    assert verify_bundle(out).ok


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "ticket.zip"
    bundle_capture(CAPTURES / "libreswan" / "ts", out, notes="n")
    return out


def _copy(bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.zip"
    shutil.copy(bundle, copy)
    return copy


def test_verify_cli_says_intact(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bundle", "verify", str(bundle)]) == 0
    assert "intact" in capsys.readouterr().out


def test_a_truncated_bundle_is_a_clear_error(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy(bundle, tmp_path)
    copy.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    assert main(["bundle", "verify", str(copy)]) == 2
    assert main(["check", str(copy)]) == 2
    assert main(["open", str(copy)]) == 2
    err = capsys.readouterr().err
    assert f"{copy}: not a readable bundle" in err and "truncated" in err
    assert "Traceback" not in err


def _data_offset(path: Path, member: str) -> tuple[int, int]:
    """Where a member's compressed bytes start in the zip, and how many there are."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    raw = path.read_bytes()
    start = info.header_offset
    name_length = int.from_bytes(raw[start + 26 : start + 28], "little")
    extra_length = int.from_bytes(raw[start + 28 : start + 30], "little")
    return start + 30 + name_length + extra_length, info.compress_size


@pytest.mark.parametrize(
    "member", ["capture/siteB/cat-var-log-pluto.log.txt", "capture/siteA/peer.yml", "report.html"]
)
def test_verify_catches_a_changed_byte(
    bundle: Path, tmp_path: Path, member: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any byte of a file's stored (deflated) data. Not its last byte: deflate pads the end
    of a stream to a whole byte, and a padding bit means nothing to the content."""
    copy = _copy(bundle, tmp_path)
    start, size = _data_offset(copy, member)
    raw = bytearray(copy.read_bytes())
    for position in (start, start + size // 2, start + size - 2):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        copy.write_bytes(changed)
        verification = verify_bundle(copy)
        assert not verification.ok
        assert any(problem.startswith(member) for problem in verification.problems)
        assert main(["bundle", "verify", str(copy)]) == 1
        assert member in capsys.readouterr().err
        assert main(["check", str(copy)]) == 2
        err = capsys.readouterr().err
        assert member in err and "damaged or changed" in err and "Traceback" not in err


def test_every_byte_of_a_files_data_counts(bundle: Path, tmp_path: Path) -> None:
    copy = _copy(bundle, tmp_path)
    member = "capture/siteA/cat-var-log-charon.log.txt"
    start, size = _data_offset(copy, member)
    raw = copy.read_bytes()
    for position in random.Random(7).sample(range(start, start + size - 1), 120):
        changed = bytearray(raw)
        changed[position] ^= 1 << random.Random(position).randrange(8)
        copy.write_bytes(changed)
        assert any(p.startswith(member) for p in verify_bundle(copy).problems), position


def _rewrite(source: Path, target: Path, change: dict[str, bytes | None]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name in change:
                body = change[name]
                if body is not None:
                    new.writestr(name, body)
            else:
                new.writestr(name, old.read(name))
        for name, body in change.items():
            if name not in old.namelist() and body is not None:
                new.writestr(name, body)


def test_a_tampered_bundle_names_each_file(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "tampered.zip"
    members = _members(bundle)
    log = "capture/siteA/cat-var-log-charon.log.txt"
    _rewrite(
        bundle,
        out,
        {
            log: members[log].replace(b"TS_UNACCEPTABLE", b"all fine here"),
            "report.md": None,
            "extra.txt": b"hello",
        },
    )
    problems = verify_bundle(out).problems
    assert any(p.startswith(f"{log}: changed since the export") for p in problems)
    assert "report.md: missing (listed in manifest.json)" in problems
    assert "extra.txt: not listed in manifest.json" in problems
    with pytest.raises(UserError, match="damaged or changed"):
        load_captures([out])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({MANIFEST: None}, "no manifest.json: not an ipsec-tui bundle"),
        ({MANIFEST: b"{not json"}, "manifest.json is not valid JSON"),
        ({MANIFEST: b'{"format": "other"}'}, "not an ipsec-tui bundle manifest"),
        ({"../evil.txt": b"x"}, "not a safe file name"),
    ],
)
def test_a_bundle_that_is_not_one(
    bundle: Path, tmp_path: Path, change: dict[str, bytes | None], message: str
) -> None:
    out = tmp_path / "odd.zip"
    _rewrite(bundle, out, change)
    if message == "not a safe file name":
        assert any(message in p for p in verify_bundle(out).problems)
        return
    with pytest.raises(UserError, match=message):
        verify_bundle(out)


def test_not_a_zip_at_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_text("just text")
    assert main(["bundle", "verify", str(fake)]) == 2
    assert main(["bundle", "verify", str(tmp_path / "missing.zip")]) == 2
    err = capsys.readouterr().err
    assert "not a readable bundle" in err and "no such bundle" in err


def test_open_without_the_cockpit_prints_the_check_and_the_notes(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["open", str(bundle)])
    out = capsys.readouterr().out
    assert code == 1  # a problem found, as `check` says
    assert "selector-mismatch" in out and "Operator's notes:" in out and out.rstrip().endswith("n")


def test_bundle_cli_writes_and_reads_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("from the CLI\n")
    out = tmp_path / "t.zip"
    assert (
        main(
            [
                "bundle",
                str(CAPTURES / "strongswan" / "baseline"),
                "--out",
                str(out),
                "--notes",
                str(notes),
            ]
        )
        == 0
    )
    assert "diagnosis: healthy" in capsys.readouterr().out
    assert open_bundle(out)[1] == "from the CLI\n"
    assert main(["bundle", str(CAPTURES / "strongswan" / "baseline")]) == 2  # no --out
    assert "needs --out" in capsys.readouterr().err


def test_replayed_analysis_equals_the_bundles_own(bundle: Path) -> None:
    replay = analyse_captures(load_captures([bundle]))
    assert replay.to_json() + "\n" == _members(bundle)["analysis.json"].decode()


def test_a_one_peer_capture_bundles_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only our side collected (the partner's came later, or never): still one bundle."""
    folder = tmp_path / "ours"
    shutil.copytree(CAPTURES / "strongswan" / "identity" / "siteA", folder / "siteA")
    written = bundle_capture(folder, tmp_path / "ours.zip")
    assert [c.name for c in open_bundle(written.path)[0]] == ["siteA"]
    folder_code, folder_json = _check_json(folder, capsys)
    zip_code, zip_json = _check_json(written.path, capsys)
    assert (zip_code, json.loads(zip_json)) == (folder_code, json.loads(folder_json))
    assert "| | `siteA` |" in _members(written.path)["report.md"].decode()
