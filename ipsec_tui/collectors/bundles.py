"""Reading evidence bundles: verify a zip against its manifest, unpack its capture.

The bundle's layout and the writer are in ``ipsec_tui.evidence.bundle``; reading sits here,
beside the capture folders, because a verified bundle stands for the capture it holds
(``ipsec-tui check FILE.zip``, ``open``, the cockpit).

The manifest proves integrity (nothing changed, missing or added since the export), not
authenticity: whoever can rewrite the zip can rewrite the manifest too.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ipsec_tui.collectors.capture_io import (
    CAPTURE_FILE,
    PEER_FILE,
    CaptureIndex,
    capture_index,
    read_capture,
    read_peer,
)
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.yamlfile import MAX_FILE_BYTES, load_yaml_text

FORMAT = "ipsec-tui-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CAPTURE = "capture"
NOTES = "notes.md"
# What a bundle ever holds; more is refused, not read (zip bombs, and zips whose sizes lie:
# the bytes are counted as they inflate). One member as one capture file at most.
MAX_MEMBER_BYTES = MAX_FILE_BYTES
MAX_BUNDLE_BYTES = 4 * MAX_MEMBER_BYTES
MAX_MEMBERS = 10_000
_MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a line of about 150 bytes per member
_CHUNK = 1024 * 1024
PEER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # as the inventory's peer names


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a bundle as the manifest lists it."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What a bundle holds: every file but the manifest itself, with its hash."""

    created_at: str
    tool: str
    files: tuple[ManifestEntry, ...]
    format: str = FORMAT
    version: int = FORMAT_VERSION

    def to_json(self) -> str:
        data = {
            "format": self.format,
            "version": self.version,
            "created_at": self.created_at,
            "tool": self.tool,
            "files": {e.path: {"sha256": e.sha256, "size": e.size} for e in self.files},
        }
        return json.dumps(data, indent=2) + "\n"

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(entry.path for entry in self.files)


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a bundle against its manifest."""

    path: Path
    manifest: Manifest
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and "\0" not in name
        and ".." not in path.parts
        and not name.endswith("/")
    )


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UserError(f"{path}: no such bundle") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read the bundle: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise UserError(f"{path}: is a folder, not a bundle (.zip)")
    if not stat.S_ISREG(mode):  # a FIFO would block, a device never end
        raise UserError(f"{path}: not a regular file; a bundle is a .zip file")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UserError(
            f"{path}: not a readable bundle: {exc} (the file is truncated, damaged or not a zip)"
        ) from None
    except (OSError, EOFError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the bundle: {exc}") from None


class _Unreadable(Exception):
    """A member that cannot be read as stored: damaged, or not what the zip says it is."""


class _Budget:
    """The bytes a bundle may still inflate to, over all its members: a zip whose headers
    lie is stopped by what it really inflates to, not by what it declares."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        self.left = MAX_BUNDLE_BYTES

    def spend(self, name: str, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise UserError(
                f"{self.bundle}: {name}: the bundle inflates to more than {MAX_BUNDLE_BYTES} "
                "bytes, more than a bundle ever holds; not read further"
            )


def _check_declared(bundle: Path, infos: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse, before inflating anything, a zip whose own headers exceed the caps."""
    members = list(infos)
    if len(members) > MAX_MEMBERS:
        raise UserError(
            f"{bundle}: holds {len(members)} files, more than a bundle ever holds "
            f"({MAX_MEMBERS}); not read"
        )
    for info in members:
        if info.file_size > MAX_MEMBER_BYTES:
            raise UserError(
                f"{bundle}: {info.filename}: declares {info.file_size} bytes, more than a "
                f"bundle's file ever holds ({MAX_MEMBER_BYTES}); not read"
            )
    total = sum(info.file_size for info in members)
    if total > MAX_BUNDLE_BYTES:
        raise UserError(
            f"{bundle}: declares {total} bytes in all, more than a bundle ever holds "
            f"({MAX_BUNDLE_BYTES}); not read"
        )


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget | None = None
) -> bytes:
    """A member's bytes, read in chunks and counted as they inflate; raises _Unreadable.

    zipfile stops at the size the header declares (at most MAX_MEMBER_BYTES, checked
    first); the stored form is checked against that by :func:`_check_stored_form`."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise _Unreadable(f"declares {info.file_size} bytes, more than a bundle ever holds")
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > MAX_MEMBER_BYTES:
                    raise _Unreadable("larger than a bundle ever holds")
                if budget is not None:
                    budget.spend(info.filename, len(chunk))
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError, ValueError) as exc:  # fmt: skip
        raise _Unreadable(f"damaged ({exc})") from None
    return b"".join(chunks)


_LOCAL_HEADER = b"PK\x03\x04"


def _stored_chunks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        chunk = stream.read(min(_CHUNK, left))
        if not chunk:
            raise _Unreadable("damaged (truncated)")
        left -= len(chunk)
        yield chunk


def _check_stored_form(stream: BinaryIO, info: zipfile.ZipInfo, body: bytes) -> None:
    """The member's bytes as stored decode to ``body`` and end where the zip says they do.

    zipfile stops inflating once it has the declared size, so a damaged end-of-stream
    marker, or data that goes on inflating past the declared size (a zip bomb's lie), would
    go unnoticed; this inflates the stored bytes whole, in chunks, and stops as soon as they
    give more than ``body``. (Only the padding bits of a deflate stream's last byte mean
    nothing and cannot be checked.)"""
    stream.seek(info.header_offset)
    header = stream.read(30)
    if len(header) != 30 or not header.startswith(_LOCAL_HEADER):
        raise _Unreadable("damaged (its local header is gone)")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    stream.seek(info.header_offset + 30 + name_length + extra_length)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Unreadable(f"stored with compression method {info.compress_type}, not deflate")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position = 0

    def take(piece: bytes) -> None:
        nonlocal position
        if body[position : position + len(piece)] != piece:
            if position + len(piece) > len(body):
                raise _Unreadable(
                    f"damaged (its stored data inflates past the {len(body)} bytes the zip "
                    "declares; not read further)"
                )
            raise _Unreadable("damaged (its stored data does not match what the zip reads)")
        position += len(piece)

    try:
        for chunk in _stored_chunks(stream, info.compress_size):
            if info.compress_type == zipfile.ZIP_STORED:
                take(chunk)
                continue
            if inflater.eof:
                raise _Unreadable("damaged (its compressed data does not end where it should)")
            pending = chunk
            while pending and not inflater.eof:
                # bounded: never more than one chunk of output per call, whatever the input
                take(inflater.decompress(pending, _CHUNK))
                pending = inflater.unconsumed_tail
            if pending or inflater.unused_data:
                raise _Unreadable("damaged (its compressed data does not end where it should)")
        if info.compress_type == zipfile.ZIP_DEFLATED:
            while not inflater.eof:
                piece = inflater.decompress(b"", _CHUNK)
                if not piece:
                    break
                take(piece)
            if not inflater.eof:
                raise _Unreadable("damaged (its compressed data does not end where it should)")
    except zlib.error as exc:
        raise _Unreadable(f"damaged ({exc})") from None
    if position != len(body):
        raise _Unreadable("damaged (its stored data does not match what the zip reads)")


def _manifest(path: Path, archive: zipfile.ZipFile) -> Manifest:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise UserError(f"{path}: no {MANIFEST}: not an ipsec-tui bundle") from None
    if info.file_size > _MAX_MANIFEST_BYTES:
        raise UserError(f"{path}: {MANIFEST} declares {info.file_size} bytes: not a manifest")
    try:
        data = json.loads(_read_member(archive, info).decode("utf-8"))
    except _Unreadable as exc:
        raise UserError(f"{path}: {MANIFEST} is {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path}: {MANIFEST} is not valid JSON: {exc}") from None
    except RecursionError:
        raise UserError(f"{path}: {MANIFEST} is nested too deeply for a manifest") from None
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise UserError(f"{path}: {MANIFEST} is not an ipsec-tui bundle manifest")
    if data.get("version") != FORMAT_VERSION:
        raise UserError(
            f"{path}: bundle format version {data.get('version')!r}; this ipsec-tui reads "
            f"version {FORMAT_VERSION}"
        )
    listed = data.get("files")
    if not isinstance(listed, Mapping):
        raise UserError(f"{path}: {MANIFEST}: 'files' must map paths to their hashes")
    entries = []
    for name, entry in listed.items():
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("size"), int)
        ):
            raise UserError(f"{path}: {MANIFEST}: entry {name!r} needs sha256 and size")
        entries.append(ManifestEntry(str(name), entry["sha256"], entry["size"]))
    return Manifest(
        created_at=str(data.get("created_at")),
        tool=str(data.get("tool")),
        files=tuple(entries),
    )


def verify_bundle(path: str | Path) -> Verification:
    """Check every file of a bundle against its manifest: changed, missing or unlisted files
    are problems. UserError when it cannot be read as a bundle at all."""
    bundle = Path(path)
    with _open_zip(bundle) as archive, open(bundle, "rb") as stored:
        _check_declared(bundle, archive.infolist())
        manifest = _manifest(bundle, archive)
        budget = _Budget(bundle)
        problems: list[str] = []
        infos: dict[str, zipfile.ZipInfo] = {}
        for member in archive.infolist():
            if member.filename in infos:
                problems.append(f"{member.filename}: in the zip twice")
            if member.is_dir():
                continue
            if not _safe_member_name(member.filename):
                problems.append(f"{member.filename!r}: not a safe file name (absolute or '..')")
                continue
            infos[member.filename] = member
        for entry in manifest.files:
            if entry.path.startswith(f"{CAPTURE}/") and not _is_capture_path(entry.path):
                problems.append(
                    f"{entry.path}: not where a bundle keeps its capture "
                    f"({CAPTURE}/capture.yml or {CAPTURE}/<peer>/<file>)"
                )
                continue
            info = infos.get(entry.path)
            if info is None:
                problems.append(f"{entry.path}: missing (listed in {MANIFEST})")
                continue
            try:
                body = _read_member(archive, info, budget)
                _check_stored_form(stored, info, body)
            except _Unreadable as exc:
                problems.append(f"{entry.path}: {exc}")
                continue
            digest = hashlib.sha256(body).hexdigest()
            if digest != entry.sha256 or len(body) != entry.size:
                problems.append(
                    f"{entry.path}: changed since the export (sha256 {digest[:12]}..., "
                    f"manifest says {entry.sha256[:12]}...)"
                )
        listed = set(manifest.paths) | {MANIFEST}
        problems += [f"{name}: not listed in {MANIFEST}" for name in infos if name not in listed]
    return Verification(bundle, manifest, tuple(problems))


def verified_bundle(path: Path) -> Verification:
    verification = verify_bundle(path)
    if not verification.ok:
        more = len(verification.problems) - 1
        raise UserError(
            f"{path}: damaged or changed since the export: {verification.problems[0]}"
            + (f" (+{more} more)" if more else "")
            + f"; `ipsec-tui bundle verify {path}` lists every problem"
        )
    return verification


def open_bundle(path: str | Path) -> tuple[list[PeerCapture], str, Manifest]:
    """A verified bundle's captures (as ``read_capture`` reads them), the operator's notes and
    its manifest: what ``ipsec-tui open`` and the cockpit show. UserError if it is damaged,
    changed or not a bundle."""
    bundle = Path(path)
    verification = verified_bundle(bundle)
    with _open_zip(bundle) as archive, tempfile.TemporaryDirectory(prefix="ipsec-tui-") as tmp:
        notes = ""
        budget = _Budget(bundle)
        prefix = f"{CAPTURE}/"
        for entry in verification.manifest.files:
            if entry.path == NOTES:
                body = _read_member_checked(bundle, archive, entry, budget)
                notes = body.decode("utf-8", errors="replace")
        _unpack(bundle, archive, verification.manifest, CAPTURE, Path(tmp), budget)
        folder = Path(tmp) / CAPTURE
        if not folder.is_dir():
            raise UserError(f"{bundle}: holds no capture (no {prefix} files)")
        try:
            captures = read_capture(folder)
        except UserError as exc:
            # name the file inside the bundle, not the temporary folder it was read from
            raise UserError(str(exc).replace(f"{tmp}/", f"{bundle}:")) from None
    return captures, notes, verification.manifest


def unpack_members(path: str | Path, prefix: str, into: Path) -> Manifest:
    """Unpack a verified bundle's members under ``prefix``/ into the folder ``into`` (as
    ``into``/``prefix``/...), each checked against the manifest as it is read; the manifest.
    UserError if the bundle is damaged, changed or not a bundle."""
    bundle = Path(path)
    verification = verified_bundle(bundle)
    with _open_zip(bundle) as archive:
        _unpack(bundle, archive, verification.manifest, prefix, into, _Budget(bundle))
    return verification.manifest


def _unpack(
    bundle: Path,
    archive: zipfile.ZipFile,
    manifest: Manifest,
    prefix: str,
    into: Path,
    budget: _Budget,
) -> None:
    for entry in manifest.files:
        if not entry.path.startswith(f"{prefix}/"):
            continue
        body = _read_member_checked(bundle, archive, entry, budget)
        target = Path(into, *entry.path.split("/"))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        except OSError as exc:
            raise UserError(f"{bundle}: {entry.path}: cannot be unpacked: {exc}") from None


def bundle_index(path: str | Path) -> CaptureIndex | None:
    """The capture.yml of a bundle that :func:`open_bundle` verified (tunnel name, peers,
    description); None when it has none or it does not read as one."""
    bundle = Path(path)
    member = f"{CAPTURE}/{CAPTURE_FILE}"
    try:
        with _open_zip(bundle) as archive:
            body = _read_member(archive, archive.getinfo(member))
        data = load_yaml_text(body.decode("utf-8"), f"{bundle}:{member}")
        return capture_index(data, Path(f"{bundle}:{member}"))
    except (KeyError, _Unreadable, UnicodeDecodeError, UserError):
        return None


def _is_capture_path(name: str) -> bool:
    """A capture member is capture/capture.yml or capture/<peer>/<file>, nothing else: so
    no member can be both a file and a folder, or land outside the capture when unpacked."""
    parts = name.split("/")
    if parts == [CAPTURE, CAPTURE_FILE]:
        return True
    return (
        len(parts) == 3
        and bool(PEER_NAME.match(parts[1]))
        and parts[1] not in {CAPTURE_FILE, PEER_FILE}
        and parts[2] not in {"", ".", "..", CAPTURE_FILE}
        and "\\" not in parts[2]
    )


def _read_member_checked(
    bundle: Path, archive: zipfile.ZipFile, entry: ManifestEntry, budget: _Budget
) -> bytes:
    try:
        body = _read_member(archive, archive.getinfo(entry.path), budget)
    except (KeyError, _Unreadable) as exc:
        raise UserError(f"{bundle}: {entry.path}: {exc}") from None
    if hashlib.sha256(body).hexdigest() != entry.sha256:  # changed since it was verified
        raise UserError(f"{bundle}: {entry.path}: changed while it was read")
    return body


def is_bundle_path(path: Path) -> bool:
    """Whether a path given to a command means a bundle (a file, not a capture folder)."""
    return path.suffix.lower() == ".zip" or (path.is_file() and zipfile.is_zipfile(path))


def load_captures(paths: list[Path]) -> list[PeerCapture]:
    """One capture folder (one or two peers), or two peer folders (or one-peer captures);
    a bundle (.zip) stands for the capture it holds, once verified against its manifest."""
    captures: list[PeerCapture] = []
    for path in paths:
        if is_bundle_path(path):
            captures.extend(open_bundle(path)[0])
            continue
        if not path.exists():
            raise UserError(f"{path}: no such folder")
        if not path.is_dir():
            raise UserError(f"{path}: expected a capture folder (or a peer folder), got a file")
        if (path / PEER_FILE).is_file():
            captures.append(read_peer(path))
        else:
            captures.extend(read_capture(path))
    if len(captures) > 2:
        raise UserError(
            f"{', '.join(map(str, paths))}: holds {len(captures)} peers; give the "
            "two peer folders of the tunnel to check"
        )
    return captures
