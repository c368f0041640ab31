"""Evidence bundles: one zip with everything about a tunnel's collection, for the ticket.

Layout (paths inside the zip)::

    manifest.json           format, version, created_at, tool, and the SHA-256 and size of
                            every other file
    capture/capture.yml     the capture exactly as collected (README, "The capture format"):
    capture/<peer>/peer.yml   commands with their start/end times, the clock reading...
    capture/<peer>/<slug>.txt raw outputs
    model/<peer>.json       each peer's parsed model
    analysis.json           steps, findings and diagnosis (what ``check --json`` prints)
    report.md, report.html  the report for humans (``ipsec_tui.evidence.report``)
    clock.json              each device's clock offset against the collecting host
    versions.json           ipsec-tui, Python, libraries, parser templates, playbook
    notes.md                the operator's notes
    session/<peer>.log      Netmiko's session log (bundles made right after a collection)

Secrets never get in: every text is redacted (``ipsec_tui.evidence.redact``) before the
bundle is built, and before anything is written every file is scanned for secret patterns
and for the secrets the writer knows (the login passwords and PSKs passed in, and any secret
the patterns found elsewhere in the inputs); if one remains the writer refuses, naming the
file. The zip is written to a temporary file in the target folder and renamed into place, so
an interrupted export leaves no half bundle.

The manifest proves integrity (nothing changed, missing or added since the export), not
authenticity: whoever can rewrite the zip can rewrite the manifest too.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import platform as python_platform
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

from ipsec_tui import __version__
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.evidence.redact import leaks, redact, repeatable_secrets
from ipsec_tui.yamlfile import MAX_FILE_BYTES

if TYPE_CHECKING:
    from ipsec_tui.analysis import Analysis
    from ipsec_tui.collectors.run import CollectionResult
    from ipsec_tui.playbooks import Playbook

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
_PEER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # as the inventory's peer names
_RESERVED_PEER_NAMES = frozenset({"capture.yml", "peer.yml"})  # capture_io's file names
_LIBRARIES = ("netmiko", "paramiko", "ttp", "PyYAML", "textual", "rich")


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


@dataclass(frozen=True)
class WrittenBundle:
    """A bundle just written: where, what it lists, and the analysis inside it."""

    path: Path
    manifest: Manifest
    analysis: Analysis


# --- writing ---------------------------------------------------------------------------------


def write_bundle(
    out: str | Path,
    captures: Sequence[PeerCapture],
    *,
    tunnel: str | None = None,
    description: str | None = None,
    notes: str = "",
    known_secrets: Iterable[str] = (),
    session_logs: Mapping[str, str] | None = None,
    overwrite: bool = False,
    playbook: Playbook | None = None,
) -> WrittenBundle:
    """Write a bundle of one or two peers' captures to ``out`` (a .zip file).

    ``known_secrets`` are secrets the caller knows (login passwords, PSKs it saw): the
    writer refuses, naming the file, if one of them is anywhere in the bundle. UserError on
    every problem; on any failure nothing is left at ``out``.
    """
    from ipsec_tui.analysis import analyse_captures
    from ipsec_tui.collectors.capture_io import capture_index_text, peer_files
    from ipsec_tui.evidence.report import ReportInput, render_html, render_markdown

    target = Path(out)
    _check_target(target, overwrite)
    if not captures or len(captures) > 2:
        raise UserError(f"a bundle holds one or two peers, got {len(captures)}")
    names = [capture.name for capture in captures]
    for name in names:
        if not _PEER_NAME.match(name):
            raise UserError(f"peer name {name!r}: use letters, digits, '.', '_' and '-' only")
        if name in _RESERVED_PEER_NAMES:
            raise UserError(f"peer name {name!r}: a capture's own file is named so; rename it")
    if len(set(names)) != len(names):
        raise UserError(f"two peers share the name {names[0]!r}: rename one")
    logs = dict(session_logs or {})
    given = tuple(secret for secret in known_secrets if secret)
    seen = repeatable_secrets(
        [text for capture in captures for text in capture.outputs.values()]
        + [notes, *logs.values()]
    )
    known = tuple(dict.fromkeys((*given, *seen)))
    salt = os.urandom(16)  # fingerprints comparable between the peers of this bundle only

    files: dict[str, str] = {}
    clean: list[PeerCapture] = []
    for capture in captures:
        peer_texts = peer_files(
            capture,
            salt=salt,
            known_secrets=known,
            redact_known=False,  # a known secret that the patterns miss makes us refuse
            where=f"{target}:{CAPTURE}/{capture.name}",
        )
        for name, text in peer_texts.items():
            files[f"{CAPTURE}/{capture.name}/{name}"] = text
        outputs = {name: peer_texts[name] for name in capture.outputs if name in peer_texts}
        clean.append(replace(capture, outputs=outputs, session_log=None))
    files[f"{CAPTURE}/capture.yml"] = capture_index_text(tunnel, names, description)

    analysis = analyse_captures(clean, playbook)
    for model in (analysis.pair.a, analysis.pair.b):
        if model is not None:
            # compact: a model holds every log event and can be large; it is for machines
            files[f"model/{model.name}.json"] = _json(model.to_dict(), compact=True)
    files["analysis.json"] = analysis.to_json() + "\n"
    files["clock.json"] = _json(_clocks(clean))
    version_info = versions(playbook)
    files["versions.json"] = _json(version_info)
    files[NOTES] = redact(notes).text
    for peer, log in logs.items():
        files[f"session/{peer}.log"] = redact(log).text
    created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    report = ReportInput(
        tunnel=tunnel,
        description=description,
        captures=tuple(clean),
        analysis=analysis,
        notes=files[NOTES],
        versions=version_info,
        created_at=created_at,
    )
    files["report.md"] = render_markdown(report)
    files["report.html"] = render_html(report)

    for name, text in files.items():  # fail closed: nothing is written if a secret remains
        problems = scan_member(name, text, known)
        if problems:
            raise UserError(
                f"{target}: refusing to write the bundle: {name} still holds a secret "
                f"({problems[0]}); the redaction rules missed it. Nothing was written."
            )
    data = {name: text.encode("utf-8") for name, text in files.items()}
    manifest = Manifest(
        created_at=created_at,
        tool=str(version_info["tool"]),
        files=tuple(
            ManifestEntry(name, hashlib.sha256(body).hexdigest(), len(body))
            for name, body in sorted(data.items())
        ),
    )
    _write_zip_atomically(target, {MANIFEST: manifest.to_json().encode(), **data}, created_at)
    return WrittenBundle(target, manifest, analysis)


def bundle_capture(
    capture_dir: str | Path,
    out: str | Path,
    *,
    notes: str = "",
    known_secrets: Iterable[str] = (),
    overwrite: bool = False,
) -> WrittenBundle:
    """A bundle of a capture folder (``ipsec-tui bundle CAPTURE``)."""
    from ipsec_tui.collectors.capture_io import read_capture, read_capture_index

    captures = read_capture(capture_dir)
    index = read_capture_index(capture_dir)
    return write_bundle(
        out,
        captures,
        tunnel=index.tunnel if index else None,
        description=index.description if index else None,
        notes=notes,
        known_secrets=known_secrets,
        overwrite=overwrite,
    )


def bundle_collection(
    result: CollectionResult,
    out: str | Path,
    *,
    notes: str = "",
    passwords: Iterable[str] = (),
    overwrite: bool = False,
) -> WrittenBundle:
    """A bundle of a collection just made (``collect --bundle``): the capture as written to
    disk, plus each peer's session log from memory. ``passwords`` are the logins' passwords;
    the PSKs the redaction found in what the peers printed are checked for too."""
    from ipsec_tui.collectors.capture_io import read_capture, read_capture_index

    captures = read_capture(result.out_dir)
    index = read_capture_index(result.out_dir)
    printed = [text for peer in result.peers for text in peer.capture.outputs.values()]
    logs = {
        peer.name: peer.capture.session_log
        for peer in result.peers
        if peer.capture.session_log is not None
    }
    return write_bundle(
        out,
        captures,
        tunnel=index.tunnel if index else result.tunnel,
        description=index.description if index else None,
        notes=notes,
        known_secrets=(*passwords, *repeatable_secrets([*printed, *logs.values()])),
        session_logs=logs,
        overwrite=overwrite,
    )


def _check_target(target: Path, overwrite: bool) -> None:
    if target.is_dir():
        raise UserError(f"{target}: is a folder; give the bundle's file name (e.g. ticket.zip)")
    if target.exists() and not overwrite:
        raise UserError(f"{target}: already exists; choose another name (or --force)")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent}: no such folder for the bundle")


def _json(data: Any, compact: bool = False) -> str:
    if compact:  # without indent, json uses its C encoder
        return json.dumps(data, separators=(",", ":"), default=str, ensure_ascii=False) + "\n"
    return json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n"


def _clocks(captures: Sequence[PeerCapture]) -> dict[str, Any]:
    peers: dict[str, Any] = {}
    for capture in captures:
        if capture.clock is None:
            peers[capture.name] = {
                "device_time": None,
                "offset_s": None,
                "note": "not measured (the platform reads no clock, or the capture predates it)",
            }
        else:
            peers[capture.name] = {
                "device_time": capture.clock.device_time,
                "offset_s": capture.clock.offset_s,
            }
    return {
        "reference": "the collecting host's clock (UTC); offset_s = device time - host time",
        "peers": peers,
    }


def _walk(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.is_file() and not entry.name.endswith((".pyc", ".pyo")):
            yield f"{prefix}{entry.name}", entry


def versions(playbook: Playbook | None = None) -> dict[str, Any]:
    """What made a bundle: ipsec-tui, Python, libraries, each parser template, the playbook."""
    libraries = {}
    for name in _LIBRARIES:
        try:
            libraries[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libraries[name] = "not installed"
    templates = {
        path: hashlib.sha256(entry.read_bytes()).hexdigest()
        for path, entry in _walk(resources.files("ipsec_tui.parsers") / "templates")
    }
    digest = hashlib.sha256(
        "".join(f"{path}\0{sha}\n" for path, sha in sorted(templates.items())).encode()
    ).hexdigest()
    from ipsec_tui.playbooks import default_playbook_path

    source = Path(playbook.source) if playbook and playbook.source else default_playbook_path()
    try:
        playbook_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    except OSError:
        playbook_sha = "unreadable"
    return {
        "tool": f"ipsec-tui {__version__}",
        "python": python_platform.python_version(),
        "libraries": libraries,
        "templates": {"digest": digest, "files": templates},
        "playbook": {"name": playbook.name if playbook else "default", "sha256": playbook_sha},
    }


def _write_zip_atomically(target: Path, members: Mapping[str, bytes], created_at: str) -> None:
    stamp = datetime.fromisoformat(created_at.replace("Z", "+00:00")).timetuple()[:6]
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as stream:
            with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, body in members.items():
                    info = zipfile.ZipInfo(name, date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, body)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    from ipsec_tui.collectors.capture_io import sync_folder

    sync_folder(target.parent)


# --- scanning --------------------------------------------------------------------------------


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, Mapping):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _pattern_problems(views: Sequence[str]) -> list[str]:
    # A model's JSON holds one string per log event: scanning each on its own costs the
    # rules' overhead per string (minutes for a 50 MB log). All at once, one per line,
    # first; string by string only to confirm (a match across two strings is not a leak).
    if len(views) > 1 and not leaks("\n".join(views)):
        return []
    return [problem for view in views for problem in leaks(view)]


def scan_member(name: str, text: str, known_secrets: Iterable[str] = ()) -> list[str]:
    """What still looks like a secret in one file of a bundle (empty: clean).

    JSON is scanned string by string as decoded, HTML as the browser shows it, so escaping
    neither hides a secret nor makes an escaped ``<redacted>`` look like one."""
    pattern_views = [text]
    known_views = [text]
    if name.endswith(".json"):
        try:
            pattern_views = list(_strings(json.loads(text)))
        except ValueError:
            pattern_views = [text]
        known_views += pattern_views
    elif name.endswith(".html"):
        shown = html.unescape(text)
        pattern_views = [shown]
        known_views.append(shown)
    problems = _pattern_problems(pattern_views)
    problems += [
        "a known secret"
        for secret in dict.fromkeys(known_secrets)
        if len(secret) >= 4 and any(secret in view for view in known_views)
    ]
    return problems


# --- reading ---------------------------------------------------------------------------------


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


def _verified(path: Path) -> Verification:
    verification = verify_bundle(path)
    if not verification.ok:
        more = len(verification.problems) - 1
        raise UserError(
            f"{path}: damaged or changed since the export: {verification.problems[0]}"
            + (f" (+{more} more)" if more else "")
            + f"; `ipsec-tui bundle verify {path}` lists every problem"
        )
    return verification


def read_bundle_captures(path: str | Path) -> list[PeerCapture]:
    """The peers of a bundle's capture, after verifying the bundle."""
    return open_bundle(path)[0]


def open_bundle(path: str | Path) -> tuple[list[PeerCapture], str, Manifest]:
    """A verified bundle's captures (as ``read_capture`` reads them), the operator's notes and
    its manifest: what ``ipsec-tui open`` and the cockpit show. UserError if it is damaged,
    changed or not a bundle."""
    from ipsec_tui.collectors.capture_io import read_capture

    bundle = Path(path)
    verification = _verified(bundle)
    with _open_zip(bundle) as archive, tempfile.TemporaryDirectory(prefix="ipsec-tui-") as tmp:
        notes = ""
        budget = _Budget(bundle)
        prefix = f"{CAPTURE}/"
        for entry in verification.manifest.files:
            if entry.path == NOTES:
                body = _read_member_checked(bundle, archive, entry, budget)
                notes = body.decode("utf-8", errors="replace")
            elif entry.path.startswith(prefix):
                body = _read_member_checked(bundle, archive, entry, budget)
                target = Path(tmp, *entry.path.split("/"))
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(body)
                except OSError as exc:
                    raise UserError(f"{bundle}: {entry.path}: cannot be unpacked: {exc}") from None
        folder = Path(tmp) / CAPTURE
        if not folder.is_dir():
            raise UserError(f"{bundle}: holds no capture (no {prefix} files)")
        try:
            captures = read_capture(folder)
        except UserError as exc:
            # name the file inside the bundle, not the temporary folder it was read from
            raise UserError(str(exc).replace(f"{tmp}/", f"{bundle}:")) from None
    return captures, notes, verification.manifest


def _is_capture_path(name: str) -> bool:
    """A capture member is capture/capture.yml or capture/<peer>/<file>, nothing else: so
    no member can be both a file and a folder, or land outside the capture when unpacked."""
    from ipsec_tui.collectors.capture_io import CAPTURE_FILE, PEER_FILE

    parts = name.split("/")
    if parts == [CAPTURE, CAPTURE_FILE]:
        return True
    return (
        len(parts) == 3
        and bool(_PEER_NAME.match(parts[1]))
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
