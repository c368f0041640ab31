"""Capture folders on disk: the interchange format between collecting and everything after.

Layout::

    DIR/capture.yml               optional index: tunnel name and peer order
    DIR/<peer name>/peer.yml      name, platform, host, collected_at, commands: a list of
                                  {command, file, started_at, finished_at, error}; may also
                                  carry port, error (peer-level), login_commands, tool_version,
                                  clock: {device_time, offset_s} (the device's clock
                                  against the collecting host's, seconds, device ahead > 0),
                                  connection (the device's own connection for this tunnel,
                                  as the inventory named it: the checks then read only its
                                  SAs and log lines; without it, the tunnel's remote peer)
    DIR/<peer name>/<slug>.txt    exactly what the device printed for that command (UTF-8)

A capture written by hand reads too: a peer.yml with just ``name``, ``platform`` and
``commands`` (each ``command`` and ``file``; a missing ``file`` means ``<slug>.txt``), beside
the pasted outputs. Writers put the outputs first and peer.yml last, each file through a
temporary name and an atomic rename, so a crash never leaves a peer.yml naming missing files.

Readers take only what is inside the folder: peer folders that are folders (not links to one
elsewhere), and regular files of at most ``MAX_FILE_BYTES`` (256 MiB) each; a symbolic link,
FIFO, device or socket is refused with an error naming it, never followed or read.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ipsec_tui.domain.capture import ClockReading, CommandRecord, PeerCapture, slug
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import available_platforms
from ipsec_tui.redact import leaks, redact, repeatable_secrets
from ipsec_tui.yamlfile import MAX_FILE_BYTES, load_yaml, read_regular_text

PEER_FILE = "peer.yml"
CAPTURE_FILE = "capture.yml"
_RESERVED = frozenset({PEER_FILE, CAPTURE_FILE, ".", ".."})


@dataclass(frozen=True)
class CaptureIndex:
    """What capture.yml says: which tunnel, and the peers in order (peer A first)."""

    tunnel: str | None
    peers: tuple[str, ...]
    description: str | None = None


def output_file_name(command: str, taken: Collection[str] = ()) -> str:
    """``<slug>.txt`` for a command, suffixed ``-2``, ``-3``... if that name is taken."""
    stem = slug(command) or "output"
    name = f"{stem}.txt"
    counter = 2
    while name in taken or name in _RESERVED:
        name = f"{stem}-{counter}.txt"
        counter += 1
    return name


def file_stem(tunnel: str | None) -> str:
    """A tunnel's name as it starts a file or folder name: "capture" when it has none."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", tunnel or "").strip("-._") or "capture"


def new_capture_dir(base: Path | None, tunnel: str | None, tag: str = "") -> Path:
    """A fresh, empty folder for a new capture: BASE/<tunnel>-<UTC time>[-<tag>], or a new
    temporary folder named alike when there is no BASE. The one place new captures are named
    (a live collection, the other side pasted in the cockpit)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{file_stem(tunnel)}-{stamp}" + (f"-{tag}" if tag else "")
    if base is None:
        return Path(tempfile.mkdtemp(prefix=f"ipsec-tui-{name}-"))
    folder = base / name
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def check_new_folder(out_dir: Path) -> None:
    """Refuse a folder named for a new capture that exists and is not empty (UserError)."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError(f"{out_dir}: already exists and is not empty; choose a new folder")


def _is_plain_file_name(name: str) -> bool:
    return (
        bool(name)
        and name not in _RESERVED
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
    )


def check_peer_folder_name(name: str, source: str = "peer name") -> None:
    """Refuse a peer name that cannot be a folder of a capture (UserError naming it)."""
    if not _is_plain_file_name(name) or name.startswith("."):
        raise UserError(
            f"{source}: {name!r} cannot name a peer folder (a capture's own file, a hidden "
            "name or a path); give another name with --peer"
        )


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # newline="" keeps the text exactly as received: no line-ending translation.
    with open(temporary, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def sync_folder(folder: Path) -> None:
    """fsync a folder so a rename in it survives a crash (best effort)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _dump(data: Mapping[str, Any]) -> str:
    # allow_unicode=False: PyYAML writes some line-break characters (U+0085, U+2028) raw
    # and reads them back as spaces; escaped, every text survives the round trip.
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=False, width=100)


def peer_files(
    capture: PeerCapture,
    *,
    port: int | None = None,
    tool_version: str | None = None,
    salt: bytes | None = None,
    known_secrets: Iterable[str] = (),
    redact_known: bool = True,
    where: str | Path | None = None,
) -> dict[str, str]:
    """One peer folder's files as text, in memory: its outputs (redacted) and peer.yml last.

    Secrets (PSKs, passwords, keys...) are redacted by pattern (``ipsec_tui.redact``;
    ``salt`` makes comparable fingerprints within one run), and ``known_secrets`` wherever
    they appear verbatim unless ``redact_known`` is False. Fails closed with a UserError
    naming ``where``/<file> when anything that looks like a secret, one of
    ``known_secrets``, or a secret found in another output of this peer (a PSK repeated in
    a log line, which no pattern recognises there) is still there after redaction.
    """
    label = Path(where) if where is not None else Path(capture.name)
    given = tuple(known_secrets)
    seen = repeatable_secrets(capture.outputs.values())
    texts: dict[str, str] = {}
    for name, text in capture.outputs.items():
        clean = redact(text, salt, given if redact_known else ()).text
        problems = leaks(clean, (*given, *seen))
        if problems:
            raise UserError(
                f"{label / name}: refusing to write: still holds a secret after "
                f"redaction ({problems[0]})"
            )
        texts[name] = clean
    files: dict[str, str] = {}
    for record in capture.commands:
        if record.file is None:
            continue
        if not _is_plain_file_name(record.file):
            raise ValueError(f"output file name {record.file!r} is not a plain file name")
        if record.file not in capture.outputs:
            raise ValueError(f"no output for {record.file!r} ({record.command!r})")
        files[record.file] = texts[record.file]
    files[PEER_FILE] = _dump(_peer_data(capture, port=port, tool_version=tool_version))
    return files


def write_peer(
    peer_dir: str | Path,
    capture: PeerCapture,
    *,
    port: int | None = None,
    tool_version: str | None = None,
    salt: bytes | None = None,
    known_secrets: Iterable[str] = (),
) -> Path:
    """Write one peer's capture into ``peer_dir`` (created); returns its peer.yml path.

    Outputs are written exactly as printed except for secrets, which are redacted first;
    writing fails closed (see :func:`peer_files`): if a secret remains, nothing is written.
    """
    folder = Path(peer_dir)
    files = peer_files(
        capture,
        port=port,
        tool_version=tool_version,
        salt=salt,
        known_secrets=known_secrets,
        where=folder,
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if name != PEER_FILE:
            _write_atomic(folder / name, text)
    sync_folder(folder)
    peer_file = folder / PEER_FILE
    _write_atomic(peer_file, files[PEER_FILE])  # last: it only ever names files already written
    sync_folder(folder)
    return peer_file


def _peer_data(
    capture: PeerCapture, *, port: int | None, tool_version: str | None
) -> dict[str, Any]:
    """peer.yml's content for a capture."""
    data: dict[str, Any] = {"name": capture.name, "platform": capture.platform}
    if capture.host is not None:
        data["host"] = capture.host
    port = port if port is not None else capture.port
    if port is not None:
        data["port"] = port
    data["collected_at"] = capture.collected_at
    tool_version = tool_version or capture.tool_version
    if tool_version is not None:
        data["tool_version"] = tool_version
    data["login_commands"] = list(capture.login_commands)
    data["error"] = capture.error
    if capture.connection is not None:
        data["connection"] = capture.connection
    if capture.clock is not None:
        data["clock"] = {
            "device_time": capture.clock.device_time,
            "offset_s": capture.clock.offset_s,
        }
    data["commands"] = [_command_data(record) for record in capture.commands]
    return data


def _command_data(record: CommandRecord) -> dict[str, Any]:
    """One command's entry in peer.yml; the fallback keys only where a fallback ran, so
    older readers and captures see what they always saw."""
    data: dict[str, Any] = {
        "command": record.command,
        "file": record.file,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "error": record.error,
    }
    if record.fallback_for is not None:
        data["fallback_for"] = record.fallback_for
        data["fallback_when"] = record.fallback_when
    for key in ("timing", "exit_status", "note"):
        if getattr(record, key) is not None:
            data[key] = getattr(record, key)
    return data


def capture_index_text(
    tunnel: str | None, peers: Sequence[str], description: str | None = None
) -> str:
    """capture.yml's text: the tunnel's name and its peers in order."""
    data: dict[str, Any] = {"tunnel": tunnel}
    if description:
        data["description"] = description
    data["peers"] = list(peers)
    return _dump(data)


def write_capture_index(
    capture_dir: str | Path,
    tunnel: str | None,
    peers: Sequence[str],
    description: str | None = None,
) -> Path:
    """Write capture.yml: the tunnel's name and its peers in order."""
    folder = Path(capture_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CAPTURE_FILE
    _write_atomic(path, capture_index_text(tunnel, peers, description))
    return path


def write_capture(
    capture_dir: str | Path,
    captures: Iterable[PeerCapture],
    *,
    tunnel: str | None = None,
    description: str | None = None,
) -> list[Path]:
    """Write every peer, then capture.yml listing them in the given order."""
    folder = Path(capture_dir)
    written = [write_peer(folder / capture.name, capture) for capture in captures]
    write_capture_index(folder, tunnel, [path.parent.name for path in written], description)
    return written


def _load_yaml(path: Path) -> Any:
    return load_yaml(path, follow_links=False)


def _optional_text(value: object, path: Path, field_name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):  # YAML reads unquoted timestamps as dates
        return value.isoformat()
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise UserError(f"{path}: field {field_name!r} must be text, found {value!r}")


_PLATFORM_LINE = re.compile(r"^platform:[ \t]*['\"]?([\w.-]+)['\"]?[ \t]*$", re.MULTILINE)


def peer_platform(peer_dir: Path) -> str | None:
    """The platform a peer folder's peer.yml names, from its top-level `platform:` line, or
    None: a hint read before the capture is (for warming up its analysis), never checked
    (read_peer checks it)."""
    try:
        with (peer_dir / PEER_FILE).open("rb") as file:
            head = file.read(64 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return None
    found = _PLATFORM_LINE.search(head)
    return found[1] if found else None


def read_peer(peer_dir: str | Path, *, platforms: Collection[str] | None = None) -> PeerCapture:
    """Read one peer folder (its peer.yml and the outputs it lists)."""
    folder = Path(peer_dir)
    if not folder.is_dir():
        raise UserError(f"{folder}: capture folder not found")
    path = folder / PEER_FILE
    if not os.path.lexists(path):
        raise UserError(f"{path}: missing (a peer folder holds peer.yml and its outputs)")
    data = _load_yaml(path)
    if not isinstance(data, Mapping):
        raise UserError(f"{path}: expected a mapping with name, platform and commands")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise UserError(f"{path}: field 'name' is required (the peer's name)")
    platform = data.get("platform")
    known = available_platforms() if platforms is None else platforms
    if not isinstance(platform, str) or platform not in known:
        raise UserError(
            f"{path}: field 'platform' must be one of {', '.join(sorted(known))}: {platform!r}"
        )
    commands_data = data.get("commands")
    if commands_data is None:
        commands_data = []
    if not isinstance(commands_data, list):
        raise UserError(f"{path}: field 'commands' must be a list")
    records: list[CommandRecord] = []
    outputs: dict[str, str] = {}
    for position, item in enumerate(commands_data, start=1):
        where = f"commands[{position}]"
        if not isinstance(item, Mapping):
            raise UserError(f"{path}: {where} must be a mapping with command and file")
        command = item.get("command")
        if not isinstance(command, str) or not command.strip():
            raise UserError(f"{path}: {where}: field 'command' is required")
        file_name = item["file"] if "file" in item else f"{slug(command) or 'output'}.txt"
        if file_name is not None:
            if not isinstance(file_name, str) or not _is_plain_file_name(file_name):
                raise UserError(
                    f"{path}: {where}: field 'file' must be a file name in {folder}: {file_name!r}"
                )
            outputs[file_name] = _read_output(folder / file_name, path, command)
        records.append(
            CommandRecord(
                command=command,
                file=file_name,
                started_at=_optional_text(item.get("started_at"), path, f"{where}.started_at"),
                finished_at=_optional_text(item.get("finished_at"), path, f"{where}.finished_at"),
                error=_optional_text(item.get("error"), path, f"{where}.error"),
                fallback_for=_optional_text(
                    item.get("fallback_for"), path, f"{where}.fallback_for"
                ),
                fallback_when=_optional_text(
                    item.get("fallback_when"), path, f"{where}.fallback_when"
                ),
                timing=_optional_text(item.get("timing"), path, f"{where}.timing"),
                exit_status=_exit_status(item.get("exit_status"), path, where),
                note=_optional_text(item.get("note"), path, f"{where}.note"),
            )
        )
    login_commands = data.get("login_commands") or []
    if not isinstance(login_commands, list) or not all(isinstance(c, str) for c in login_commands):
        raise UserError(f"{path}: field 'login_commands' must be a list of text")
    clock = _read_clock(data.get("clock"), path)
    return PeerCapture(
        name=name,
        platform=platform,
        host=_optional_text(data.get("host"), path, "host"),
        port=data["port"] if isinstance(data.get("port"), int) else None,
        collected_at=_optional_text(data.get("collected_at"), path, "collected_at"),
        commands=tuple(records),
        outputs=outputs,
        error=_optional_text(data.get("error"), path, "error"),
        login_commands=tuple(login_commands),
        tool_version=_optional_text(data.get("tool_version"), path, "tool_version"),
        clock=clock,
        connection=_optional_text(data.get("connection"), path, "connection") or None,
    )


def _exit_status(value: object, path: Path, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
        return value
    raise UserError(f"{path}: {where}.exit_status must be 0-255, found {value!r}")


def _plausible_seconds(value: float) -> bool:
    # .nan, .inf and a huge integer (which float() cannot even convert) are not an offset
    return abs(value) < 1e10 and math.isfinite(value)


def _read_clock(value: object, path: Path) -> ClockReading | None:
    if value is None:
        return None
    offset = value.get("offset_s") if isinstance(value, Mapping) else None
    if (
        not isinstance(value, Mapping)
        or not isinstance(offset, int | float)
        or isinstance(offset, bool)
        or not _plausible_seconds(offset)
    ):
        raise UserError(f"{path}: field 'clock' must be a mapping with device_time and offset_s")
    device_time = _optional_text(value.get("device_time"), path, "clock.device_time")
    if device_time is None:
        raise UserError(f"{path}: field 'clock.device_time' is required")
    return ClockReading(device_time=device_time, offset_s=float(offset))


def _read_output(output: Path, peer_file: Path, command: str) -> str:
    if not os.path.lexists(output):
        raise UserError(f"{output}: missing (listed in {peer_file} as the output of {command!r})")
    return read_regular_text(output, "output", MAX_FILE_BYTES)


def read_capture_index(capture_dir: str | Path) -> CaptureIndex | None:
    """capture.yml's content, or None when the capture has none."""
    path = Path(capture_dir) / CAPTURE_FILE
    if not os.path.lexists(path):
        return None
    return capture_index(_load_yaml(path), path)


def capture_index(data: object, path: Path) -> CaptureIndex:
    """capture.yml's content from its parsed document (UserError naming ``path`` if it is
    not a capture index)."""
    if not isinstance(data, Mapping):
        raise UserError(f"{path}: expected a mapping with tunnel and peers")
    peers = data.get("peers")
    if not isinstance(peers, list) or not all(isinstance(p, str) and p for p in peers):
        raise UserError(f"{path}: field 'peers' must be a list of peer folder names")
    if not all(_is_plain_file_name(peer) for peer in peers):
        raise UserError(f"{path}: field 'peers' must name folders inside {path.parent}")
    return CaptureIndex(
        tunnel=_optional_text(data.get("tunnel"), path, "tunnel"),
        peers=tuple(peers),
        description=_optional_text(data.get("description"), path, "description"),
    )


def _refuse_linked_folder(peer_dir: Path) -> None:
    # A link would read (and bundle) a folder from anywhere as if it were part of the capture.
    if peer_dir.is_symlink():
        raise UserError(
            f"{peer_dir}: is a symbolic link; a capture reads only the folders inside it"
        )


def read_capture(
    capture_dir: str | Path, *, platforms: Collection[str] | None = None
) -> list[PeerCapture]:
    """Every peer of a capture: in capture.yml's order if present, else by folder name."""
    folder = Path(capture_dir)
    if not folder.is_dir():
        raise UserError(f"{folder}: capture folder not found")
    index = read_capture_index(folder)
    if index is not None:
        for peer in index.peers:
            _refuse_linked_folder(folder / peer)
            if not os.path.lexists(folder / peer / PEER_FILE):
                raise UserError(
                    f"{folder / CAPTURE_FILE}: lists peer {peer!r} but "
                    f"{folder / peer / PEER_FILE} is missing"
                )
        names = list(index.peers)
    else:
        names = []
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir() and os.path.lexists(Path(entry.path) / PEER_FILE):
                    _refuse_linked_folder(Path(entry.path))
                    names.append(entry.name)
        names.sort()
    if not names:
        raise UserError(f"{folder}: no peer folders in this capture (expected <peer>/{PEER_FILE})")
    return [read_peer(folder / name, platforms=platforms) for name in names]
