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

Secrets never get in: every text is redacted (``ipsec_tui.redact``) before the
bundle is built, and before anything is written every file is scanned for secret patterns
and for the secrets the writer knows (the login passwords and PSKs passed in, and any secret
the patterns found elsewhere in the inputs); if one remains the writer refuses, naming the
file. The zip is written to a temporary file in the target folder and renamed into place, so
an interrupted export leaves no half bundle.

Writing runs no analysis: ``write_bundle`` takes the ``Analysis`` of the redacted peers
(``bundle_captures`` makes it). Reading and verifying is ``ipsec_tui.collectors.bundles``.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import platform as python_platform
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipsec_tui import __version__
from ipsec_tui.collectors.bundles import (
    CAPTURE,
    MANIFEST,
    NOTES,
    PEER_NAME,
    Manifest,
    ManifestEntry,
)
from ipsec_tui.collectors.capture_io import (
    CAPTURE_FILE,
    PEER_FILE,
    capture_index_text,
    peer_files,
    read_capture,
    read_capture_index,
    sync_folder,
)
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.redact import leaks, redact, repeatable_secrets

if TYPE_CHECKING:
    from ipsec_tui.analysis import Analysis
    from ipsec_tui.collectors.run import CollectionResult
    from ipsec_tui.playbooks import Playbook

_LIBRARIES = ("netmiko", "paramiko", "ttp", "PyYAML", "textual", "rich")


@dataclass(frozen=True)
class WrittenBundle:
    """A bundle just written: where, what it lists, and the analysis inside it."""

    path: Path
    manifest: Manifest
    analysis: Analysis


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleContent:
    """What a bundle will hold before it is analysed: every text redacted, the peers as the
    bundle keeps them (the analysis runs on these, so its evidence quotes no secret), and
    the secrets the writer must not find anywhere."""

    captures: tuple[PeerCapture, ...]
    files: Mapping[str, str]  # capture/..., notes.md, session/<peer>.log
    known_secrets: tuple[str, ...] = field(repr=False)
    tunnel: str | None = None
    description: str | None = None


def bundle_content(
    captures: Sequence[PeerCapture],
    *,
    tunnel: str | None = None,
    description: str | None = None,
    notes: str = "",
    known_secrets: Iterable[str] = (),
    session_logs: Mapping[str, str] | None = None,
    where: str | Path = "bundle",
) -> BundleContent:
    """Redact one or two peers' captures, the notes and the session logs for a bundle.

    ``known_secrets`` are secrets the caller knows (login passwords, PSKs it saw): the
    writer refuses, naming the file, if one of them is anywhere in the bundle. ``where``
    names the bundle in messages. UserError on every problem."""
    if not captures or len(captures) > 2:
        raise UserError(f"a bundle holds one or two peers, got {len(captures)}")
    names = [capture.name for capture in captures]
    for name in names:
        if not PEER_NAME.match(name):
            raise UserError(f"peer name {name!r}: use letters, digits, '.', '_' and '-' only")
        if name in (CAPTURE_FILE, PEER_FILE):
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
    clean = redacted_peers(captures, CAPTURE, files, salt=salt, known=known, where=where)
    files[f"{CAPTURE}/{CAPTURE_FILE}"] = capture_index_text(tunnel, names, description)
    files[NOTES] = redact(notes).text
    for peer, log in logs.items():
        files[f"session/{peer}.log"] = redact(log).text
    return BundleContent(tuple(clean), files, known, tunnel, description)


def redacted_peers(
    captures: Sequence[PeerCapture],
    folder: str,
    files: dict[str, str],
    *,
    salt: bytes,
    known: Sequence[str],
    where: str | Path,
) -> list[PeerCapture]:
    """Each peer's files, redacted, into ``files`` as FOLDER/<peer>/<file> (UserError naming
    the file if a secret remains), and the peers as the bundle keeps them."""
    clean: list[PeerCapture] = []
    for capture in captures:
        peer_texts = peer_files(
            capture,
            salt=salt,
            known_secrets=known,
            redact_known=False,  # a known secret that the patterns miss makes us refuse
            where=f"{where}:{folder}/{capture.name}",
        )
        for name, text in peer_texts.items():
            files[f"{folder}/{capture.name}/{name}"] = text
        outputs = {name: peer_texts[name] for name in capture.outputs if name in peer_texts}
        clean.append(replace(capture, outputs=outputs, session_log=None))
    return clean


def write_bundle(
    out: str | Path,
    content: BundleContent,
    analysis: Analysis,
    *,
    overwrite: bool = False,
    playbook: Playbook | None = None,
) -> WrittenBundle:
    """Write ``content`` and ``analysis`` (of ``content.captures``, made with ``playbook``)
    to ``out`` (a .zip file), with each peer's model, the report, clocks and versions.

    Before anything is written every file is scanned; a secret left is a UserError naming
    the file. On any failure nothing is left at ``out``."""
    from ipsec_tui.evidence.report import ReportInput, render_html, render_markdown

    target = Path(out)
    _check_target(target, overwrite)
    names = [capture.name for capture in content.captures]
    analysed = [model.name for model in (analysis.pair.a, analysis.pair.b) if model is not None]
    if analysed != names:
        raise UserError(
            f"{target}: the analysis is of {', '.join(analysed) or 'no peer'}, the capture "
            f"holds {', '.join(names)}: analyse the bundle's own captures"
        )
    files = dict(content.files)
    for model in (analysis.pair.a, analysis.pair.b):
        if model is not None:
            # compact: a model holds every log event and can be large; it is for machines
            files[f"model/{model.name}.json"] = _json(model.to_dict(), compact=True)
    files["analysis.json"] = analysis.to_json() + "\n"
    files["clock.json"] = _json(_clocks(content.captures))
    version_info = versions(playbook)
    files["versions.json"] = _json(version_info)
    created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    report = ReportInput(
        tunnel=content.tunnel,
        description=content.description,
        captures=content.captures,
        analysis=analysis,
        notes=files.get(NOTES, ""),
        versions=version_info,
        created_at=created_at,
    )
    files["report.md"] = render_markdown(report)
    files["report.html"] = render_html(report)

    for name, text in files.items():  # fail closed: nothing is written if a secret remains
        problems = scan_member(name, text, content.known_secrets)
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


def bundle_captures(
    out: str | Path,
    content: BundleContent,
    *,
    overwrite: bool = False,
    playbook: Playbook | None = None,
) -> WrittenBundle:
    """Analyse the redacted peers of ``content``, exactly as the bundle holds them, and
    write the bundle at ``out``."""
    from ipsec_tui.analysis import analyse_captures

    analysis = analyse_captures(list(content.captures), playbook)
    return write_bundle(out, content, analysis, overwrite=overwrite, playbook=playbook)


def bundle_capture(
    capture_dir: str | Path,
    out: str | Path,
    *,
    notes: str = "",
    known_secrets: Iterable[str] = (),
    overwrite: bool = False,
) -> WrittenBundle:
    """A bundle of a capture folder (``ipsec-tui bundle CAPTURE``); of a watch folder, every
    sample (``ipsec_tui.evidence.watch_bundle``)."""
    from ipsec_tui.evidence.watch_bundle import is_watch_folder, watch_content

    _check_target(Path(out), overwrite)  # before the work, not after
    if is_watch_folder(Path(capture_dir)):
        content = watch_content(Path(capture_dir), notes, known_secrets, out)
        return bundle_captures(out, content, overwrite=overwrite)
    index = read_capture_index(capture_dir)
    content = bundle_content(
        read_capture(capture_dir),
        tunnel=index.tunnel if index else None,
        description=index.description if index else None,
        notes=notes,
        known_secrets=known_secrets,
        where=out,
    )
    return bundle_captures(out, content, overwrite=overwrite)


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
    _check_target(Path(out), overwrite)  # before the work, not after
    captures = read_capture(result.out_dir)
    index = read_capture_index(result.out_dir)
    printed = [text for peer in result.peers for text in peer.capture.outputs.values()]
    logs = {
        peer.name: peer.capture.session_log
        for peer in result.peers
        if peer.capture.session_log is not None
    }
    content = bundle_content(
        captures,
        tunnel=index.tunnel if index else result.tunnel,
        description=index.description if index else None,
        notes=notes,
        known_secrets=(*passwords, *repeatable_secrets([*printed, *logs.values()])),
        session_logs=logs,
        where=out,
    )
    return bundle_captures(out, content, overwrite=overwrite)


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
