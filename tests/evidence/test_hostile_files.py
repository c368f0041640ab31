"""Hostile files through the command line: special files and links in capture folders,
oversized files, YAML that expands or nests without end, zips whose sizes lie or whose layout
cannot be unpacked. Each is exit 2 with one line naming the file, no traceback, nothing
half-written, and nothing already collected lost.

The captures are the lab's recordings in tests/data/captures (real strongSwan outputs); the
hostile parts (links, FIFOs, devices, sparse files, YAML bombs, crafted zip headers) are
inputs made here, not device outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest

from ipsec_tui.cli import main
from ipsec_tui.collectors.bundles import MAX_BUNDLE_BYTES, MAX_MEMBER_BYTES, MAX_MEMBERS
from ipsec_tui.yamlfile import MAX_FILE_BYTES, MAX_YAML_DEPTH

LAB = Path(__file__).resolve().parents[1] / "data" / "captures" / "strongswan" / "psk"
OUTPUT = "siteA/ip-rule.txt"  # any output the peer.yml lists

# Aliases of aliases: nine levels of nine, 9**9 values once expanded.
LAUGHS = "\n".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]"]
    + [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
)
DEEP = "[" * 5000 + "]" * 5000
CYCLE = "loop: &loop\n  - *loop\n"
# Each level one alias deeper than the one before: shallow as written, deep once expanded.
ALIAS_CHAIN = "\n".join(
    ["c0: &c0 [x]"] + [f"c{n}: &c{n} [*c{n - 1}]" for n in range(1, MAX_YAML_DEPTH + 4)]
)


class _Hung(BaseException):
    """Raised by the alarm: not an Exception, so the CLI's catch-all cannot swallow it."""


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Every test here ends within 60 s even if a FIFO blocks again (a regression)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Hung("blocked: a read that must never wait did")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _lab_copy(tmp_path: Path) -> Path:
    capture = tmp_path / "capture"
    shutil.copytree(LAB, capture)
    (capture / "scenario.yml").unlink()
    return capture


def _tree(folder: Path) -> dict[str, str]:
    """Every entry under a folder with what it is (a link's target, a file's hash)."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = f"link {os.readlink(path)}"
        elif path.is_file():
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[name] = "other"
    return found


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *names: str) -> str:
    """Run the CLI; it must exit 2 with one line naming each of ``names``."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    for name in names:
        assert name in err, err
    return err


# --- special files in a capture folder ------------------------------------------------------


def _link_to_passwd(path: Path) -> None:
    path.symlink_to("/etc/passwd")


def _link_to_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _relative_link(path: Path) -> None:
    # a link to a file of the capture itself is refused too: a capture is read, never followed
    sibling = "ip-rule.txt" if path.name == "peer.yml" else "peer.yml"
    path.symlink_to(sibling if path.parent.name == "siteA" else f"siteA/{sibling}")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))


def _device(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, 0o600 | 0o020000, os.makedev(1, 5))  # a character device like /dev/zero


def _folder(path: Path) -> None:
    path.mkdir()


SPECIAL: dict[str, tuple[Callable[[Path], None], str]] = {
    "link to /etc/passwd": (_link_to_passwd, "is a symbolic link"),
    "link to /dev/zero": (_link_to_zero, "is a symbolic link"),
    "link inside the capture": (_relative_link, "is a symbolic link"),
    "FIFO": (_fifo, "is a FIFO"),
    "socket": (_socket, "is a socket"),
    "character device": (_device, "is a character device"),
    "folder": (_folder, "is a folder"),
}


@pytest.mark.parametrize("where", [OUTPUT, "siteA/peer.yml", "capture.yml"])
@pytest.mark.parametrize("kind", list(SPECIAL))
def test_a_capture_reads_only_regular_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, where: str
) -> None:
    capture = _lab_copy(tmp_path)
    (capture / where).unlink()
    make, says = SPECIAL[kind]
    make(capture / where)
    before = _tree(capture)
    out = tmp_path / "out"
    out.mkdir()
    _refused(["check", str(capture)], capsys, str(capture / where), says)
    _refused(["bundle", str(capture), "--out", str(out / "t.zip")], capsys, str(capture / where))
    assert list(out.iterdir()) == []  # no bundle, no half-written temporary
    assert _tree(capture) == before  # the capture is as it was


def test_a_linked_peer_folder_is_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = _lab_copy(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (capture / "siteB").rename(elsewhere)
    (capture / "siteB").symlink_to(elsewhere)
    _refused(["check", str(capture)], capsys, str(capture / "siteB"), "symbolic link")
    (capture / "capture.yml").unlink()  # found by listing the folder: refused all the same
    _refused(["check", str(capture)], capsys, str(capture / "siteB"), "symbolic link")


def test_an_oversized_output_is_refused_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = _lab_copy(tmp_path)
    with open(capture / OUTPUT, "r+b") as stream:  # sparse: no disk space, no time
        stream.truncate(MAX_FILE_BYTES + 1)
    out = tmp_path / "t.zip"
    err = _refused(["check", str(capture)], capsys, str(capture / OUTPUT))
    assert f"larger than {MAX_FILE_BYTES} bytes" in err
    _refused(["bundle", str(capture), "--out", str(out)], capsys, str(capture / OUTPUT))
    assert not out.exists()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_fifo, "is a FIFO"),
        (_folder, "is a folder"),
        (_link_to_zero, "is a character device"),  # the link is followed, to a device
        (_socket, "is a socket"),
    ],
    ids=["FIFO", "folder", "link-to-dev-zero", "socket"],
)
def test_files_named_on_the_command_line_are_regular_files_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], None], says: str
) -> None:
    """A file the operator names may be a link (to a regular file): it is their choice."""
    odd = tmp_path / "odd.txt"
    make(odd)
    out = tmp_path / "out"
    out.mkdir()
    parse = ["parse", str(odd), "--platform", "strongswan", "--command", "ip rule"]
    _refused(parse, capsys, str(odd), says)
    notes = ["bundle", str(LAB), "--out", str(out / "t.zip"), "--notes", str(odd)]
    _refused(notes, capsys, str(odd), says)
    imported = ["import", "-p", "strongswan", str(odd), "--out", str(out / "c")]
    _refused(imported, capsys, str(odd), says)
    _refused(["check", str(LAB), "--playbook", str(odd)], capsys, str(odd), says)
    inventory = ["collect", "--inventory", str(odd), "--tunnel", "lab", "--out", str(out / "c")]
    _refused(inventory, capsys, str(odd), says)
    bundle = tmp_path / "odd.zip"
    make(bundle)
    _refused(["check", str(bundle)], capsys, str(bundle))
    _refused(["bundle", "verify", str(bundle)], capsys, str(bundle))
    assert list(out.iterdir()) == []


def test_a_link_named_on_the_command_line_to_a_regular_file_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "notes.txt"
    real.write_text("called the partner at 10:02\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    out = tmp_path / "t.zip"
    assert main(["bundle", str(LAB), "--out", str(out), "--notes", str(link)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert archive.read("notes.md") == real.read_bytes()


# --- YAML that expands or nests without end -------------------------------------------------


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (LAUGHS, "expands to more than"),
        (DEEP, f"nested deeper than {MAX_YAML_DEPTH} levels"),
        (ALIAS_CHAIN, "once its aliases are expanded"),
        (CYCLE, "contains itself"),
    ],
    ids=["billion-laughs", "deep", "alias-chain", "cycle"],
)
@pytest.mark.parametrize("where", ["siteA/peer.yml", "capture.yml", "playbook", "inventory"])
def test_yaml_bombs_are_refused_at_every_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str, says: str, where: str
) -> None:
    capture = _lab_copy(tmp_path)
    if where == "playbook":
        bomb = tmp_path / "playbook.yml"
        argv = ["check", str(capture), "--playbook", str(bomb)]
    elif where == "inventory":
        bomb = tmp_path / "inventory.yml"
        argv = [
            "collect",
            "--inventory",
            str(bomb),
            "--tunnel",
            "lab",
            "--out",
            str(tmp_path / "c"),
        ]
    else:
        bomb = capture / where
        argv = ["check", str(capture)]
    bomb.write_text(document)
    _refused(argv, capsys, str(bomb), says)
    assert not (tmp_path / "c").exists()


def test_aliases_that_expand_to_little_still_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PyYAML writes anchors for repeated values, and people use them: those are fine."""
    capture = _lab_copy(tmp_path)
    peer = capture / "siteA" / "peer.yml"
    text = peer.read_text()
    assert "platform: strongswan\n" in text
    peer.write_text(text.replace("platform: strongswan\n", "platform: &p strongswan\nx: *p\n"))
    assert main(["check", str(capture)]) == 1
    assert "psk" in capsys.readouterr().out


def test_a_bundles_capture_yml_bomb_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle_of(tmp_path, {"capture/capture.yml": LAUGHS.encode()})
    _refused(["check", str(bundle)], capsys, f"{bundle}:capture/capture.yml", "expands to")
    _refused(["open", str(bundle)], capsys, f"{bundle}:capture/capture.yml", "expands to")


# --- zips ------------------------------------------------------------------------------------


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def lab_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "lab.zip"
    assert main(["bundle", str(LAB), "--out", str(out)]) == 0
    return out


def _bundle_of(
    tmp_path: Path,
    change: dict[str, bytes | None],
    manifest: bytes | None = None,
    source: Path | None = None,
) -> Path:
    """A bundle of the lab capture with members changed, and a manifest that matches (so
    only what is tested is wrong)."""
    if source is None:
        source = tmp_path / "lab.zip"
        if not source.exists():
            assert main(["bundle", str(LAB), "--out", str(source)]) == 0
    members = _members(source)
    listed = json.loads(members.pop("manifest.json"))
    for name, body in change.items():
        if body is None:
            members.pop(name, None)
        else:
            members[name] = body
    listed["files"] = {
        name: {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
        for name, body in members.items()
    }
    out = tmp_path / "hostile.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest or json.dumps(listed).encode())
        for name, body in members.items():
            archive.writestr(name, body)
    return out


def _raw_zip(out: Path, members: list[tuple[str, int, bytes, int]]) -> Path:
    """A zip written header by header: (name, declared size, stored data, method), so its
    headers can say anything. A manifest listing every member comes first."""
    listed = {name: {"sha256": "0" * 64, "size": size} for name, size, _, _ in members}
    manifest = json.dumps(
        {
            "format": "ipsec-tui-bundle",
            "version": 1,
            "created_at": "x",
            "tool": "t",
            "files": listed,
        }
    ).encode()
    entries = [("manifest.json", len(manifest), manifest, zipfile.ZIP_STORED), *members]
    local, central = b"", b""
    for name, declared, data, method in entries:
        raw = name.encode()
        # a deflated member here is zeros: its CRC is that of the zeros the header declares
        crc = zlib.crc32(data) if method == zipfile.ZIP_STORED else zlib.crc32(bytes(declared))
        header = struct.pack(
            "<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), declared, len(raw), 0
        )
        central += struct.pack(
            "<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(data), declared,
            len(raw), 0, 0, 0, 0, 0, len(local),
        ) + raw  # fmt: skip
        local += header + raw + data
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    out.write_bytes(local + central + end)
    return out


def _run_limited(argv: list[str], memory: int) -> subprocess.CompletedProcess[str]:
    """The CLI in a child whose address space is capped: a bomb that inflates in memory
    fails there (exit 3, MemoryError) instead of taking this machine's memory."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ipsec_tui.cli import main; sys.exit(main())",
            *argv,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
        check=False,
    )


@pytest.fixture(scope="module")
def deflated_gigabyte() -> bytes:
    """1 GiB of zeros, deflated (about 1 MB)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(deflater.compress(zeros) for _ in range(1024)) + deflater.flush()


def test_a_zip_whose_sizes_lie_stops_where_the_header_says(
    tmp_path: Path, deflated_gigabyte: bytes
) -> None:
    bomb = _raw_zip(
        tmp_path / "bomb.zip",
        [("capture/siteA/ip-rule.txt", 100, deflated_gigabyte, zipfile.ZIP_DEFLATED)],
    )
    memory = 768 * 1024 * 1024  # far less than the gigabyte the data inflates to
    verify = _run_limited(["bundle", "verify", str(bomb)], memory)
    assert verify.returncode == 1, verify.stderr  # read, and found damaged
    assert "capture/siteA/ip-rule.txt: damaged" in verify.stderr
    assert "inflates past the 100 bytes" in verify.stderr
    check = _run_limited(["check", str(bomb)], memory)
    assert check.returncode == 2, check.stderr
    assert len(check.stderr.strip().splitlines()) == 1 and "Traceback" not in check.stderr
    assert str(bomb) in check.stderr and "capture/siteA/ip-rule.txt" in check.stderr


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ([("capture/siteA/a.txt", MAX_MEMBER_BYTES + 1, b"", 0)], "capture/siteA/a.txt: declares"),
        (
            [(f"capture/siteA/{n}.txt", MAX_MEMBER_BYTES, b"", 0) for n in range(5)],
            f"more than a bundle ever holds ({MAX_BUNDLE_BYTES})",
        ),
        (
            [(f"capture/siteA/{n}.txt", 0, b"", 0) for n in range(MAX_MEMBERS)],
            f"holds {MAX_MEMBERS + 1} files",
        ),
    ],
    ids=["one-member", "all-members", "member-count"],
)
def test_a_zip_past_the_caps_is_refused_unread(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    members: list[tuple[str, int, bytes, int]],
    says: str,
) -> None:
    bomb = _raw_zip(tmp_path / "big.zip", members)
    for argv in (["bundle", "verify", str(bomb)], ["check", str(bomb)], ["open", str(bomb)]):
        _refused(argv, capsys, str(bomb), says)


@pytest.mark.parametrize(
    ("change", "manifest", "says"),
    [
        ({}, b"[" * 100_000 + b"]" * 100_000, "manifest.json is nested too deeply"),
        ({}, b'{"format": "ipsec-tui-bundle", "version": 1, "files": [1]}', "'files' must map"),
        ({"capture/siteA": b"a file where a folder is"}, None, "capture/siteA: not where"),
        ({"capture/siteA/peer.yml/x": b"a folder where a file is"}, None, "not where"),
        ({"capture/siteA//peer.yml": b"x"}, None, "capture/siteA//peer.yml: not where"),
        ({"capture/./siteA/x.txt": b"x"}, None, "not where a bundle keeps its capture"),
        ({"capture/peer.yml/x.txt": b"x"}, None, "not where a bundle keeps its capture"),
        ({"/etc/cron.d/x": b"x"}, None, "not a safe file name"),
        ({"../../x": b"x"}, None, "not a safe file name"),
        ({"capture/siteA/peer.yml": b"- a list\n"}, None, "expected a mapping"),
        ({"capture/siteA/peer.yml": b"\xff\xfe\x00binary"}, None, "not UTF-8"),
        ({"capture/siteA/ip-rule.txt": b"caf\xe9\n"}, None, "not UTF-8"),
    ],
    ids=[
        "nested-manifest",
        "manifest-files-list",
        "file-and-folder",
        "folder-and-file",
        "double-slash",
        "dot-segment",
        "reserved-peer-name",
        "absolute",
        "dot-dot",
        "peer-yml-list",
        "peer-yml-binary",
        "output-not-utf8",
    ],
)
def test_a_bundle_that_cannot_be_unpacked_is_one_line(
    tmp_path: Path,
    lab_bundle: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, bytes | None],
    manifest: bytes | None,
    says: str,
) -> None:
    bundle = _bundle_of(tmp_path, change, manifest, source=lab_bundle)
    unpacked = tmp_path / "tmp"
    unpacked.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(unpacked))  # where a bundle is unpacked
    for command in ("check", "open"):
        err = _refused([command, str(bundle)], capsys, str(bundle))
        assert says in err, err
    assert list(unpacked.iterdir()) == []  # nothing left unpacked


@pytest.mark.parametrize(
    "raw", [b"", b"PK\x05\x06" + bytes(18), b"not a zip"], ids=["empty-file", "empty-zip", "text"]
)
def test_an_empty_or_non_zip_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    bundle = tmp_path / "t.zip"
    bundle.write_bytes(raw)
    for argv in (["bundle", "verify", str(bundle)], ["check", str(bundle)], ["open", str(bundle)]):
        _refused(argv, capsys, str(bundle))


# --- names that would collide with a capture's own files ------------------------------------


@pytest.mark.parametrize("host", ["capture.yml", "peer.yml"])
def test_a_transcript_host_named_like_a_capture_file_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    """The prompt's host names the peer folder; a capture's own file name cannot be one."""
    out = _lab_copy(tmp_path)
    shutil.rmtree(out / "siteB")
    (out / "capture.yml").write_text("tunnel: lab\npeers: [siteA]\n")
    before = _tree(out)
    rule = (LAB / OUTPUT).read_text()
    transcript = tmp_path / "t.txt"
    transcript.write_text(f"root@{host}:~# ip rule\n{rule}root@{host}:~# ")
    argv = ["import", "-p", "strongswan", str(transcript), "--out", str(out)]
    _refused(argv, capsys, repr(host))
    assert _tree(out) == before  # the peer collected before is untouched, nothing added
    _refused([*argv, "--peer", ".hidden"], capsys, "'.hidden'")
    assert _tree(out) == before
