"""Reading files the operator wrote or handed over (YAML documents, outputs, notes): regular
files only, bounded in size, with one-line errors that name the file.

Limits, all refused with a UserError (exit 2) rather than read:

- a file that is not a regular file (a symbolic link, a FIFO, a device, a socket, a folder):
  a link could carry a file from anywhere into a bundle, a FIFO blocks, a device never ends;
- a file larger than ``MAX_FILE_BYTES`` (256 MiB, as a bundle's largest member), or a YAML
  document larger than ``MAX_YAML_BYTES`` (4 MiB);
- a YAML document that, with its aliases (``*name``) expanded, holds more than
  ``MAX_YAML_VALUES`` values or nests deeper than ``MAX_YAML_DEPTH`` levels: aliases of
  aliases grow exponentially ("billion laughs"), and every reader walks the expanded values.
  Aliases themselves stay allowed (PyYAML writes them for repeated values).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from ipsec_tui.errors import UserError

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_YAML_BYTES = 4 * 1024 * 1024
MAX_YAML_DEPTH = 64
MAX_YAML_VALUES = 200_000
_CHUNK = 1024 * 1024


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _refuse_special(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise UserError(f"{path}: is {_kind(mode)}; only regular files are read")


def read_regular_bytes(
    path: Path, what: str = "file", limit: int = MAX_FILE_BYTES, *, follow_links: bool = False
) -> bytes:
    """A regular file's bytes, at most ``limit``; a UserError naming ``path`` otherwise.

    ``follow_links``: a file the operator named on the command line may be a link (to a
    regular file); one found inside a capture folder may not, or a capture could carry any
    file of this machine. The file is checked before it is opened (opening some devices has
    effects) and again on the open descriptor, which never blocks (and never follows a
    link unless asked), so a file swapped for a FIFO or a link in between is refused too."""
    try:
        _refuse_special(path, (os.stat if follow_links else os.lstat)(path).st_mode)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
        descriptor = os.open(path, flags if follow_links else flags | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise UserError(f"{path}: {what} not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(f"{path}: is a symbolic link; only regular files are read") from None
        raise UserError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "rb", buffering=0) as stream:
        status = os.fstat(descriptor)
        _refuse_special(path, status.st_mode)
        if status.st_size > limit:  # refused unread; the count below catches a growing file
            raise UserError(f"{path}: larger than {limit} bytes, more than ipsec-tui reads")
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    break
                chunks.append(chunk)
        except OSError as exc:
            raise UserError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if size > limit:
        raise UserError(f"{path}: larger than {limit} bytes, more than ipsec-tui reads")
    return b"".join(chunks)


def read_regular_text(
    path: Path, what: str = "file", limit: int = MAX_FILE_BYTES, *, follow_links: bool = False
) -> str:
    """A regular file's UTF-8 text exactly as stored (no line-ending translation)."""
    data = read_regular_bytes(path, what, limit, follow_links=follow_links)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from None


class _Refused(Exception):
    """A YAML construct we never read, with where it is."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with bounds: nesting depth while composing, and the size and
    depth of the document once every alias is expanded (what a reader walks)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped stub
                raise _Refused(f"line {mark.line + 1}: nested deeper than {MAX_YAML_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None:
            _Expansion().measure(node, 1)
        return node


class _Expansion:
    """The number of values and the depth of a node graph as a reader sees it: an alias
    counts its anchor's whole value again, each time (linear in the graph's size)."""

    def __init__(self) -> None:
        self.sizes: dict[int, tuple[int, int]] = {}  # node id -> (values, height)
        self.open: set[int] = set()

    def measure(self, node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in self.sizes:
            values, height = self.sizes[key]
        else:
            if key in self.open:
                raise _Refused(f"line {node.start_mark.line + 1}: a value contains itself")
            if depth > MAX_YAML_DEPTH:
                raise _Refused(
                    f"line {node.start_mark.line + 1}: nested deeper than {MAX_YAML_DEPTH} "
                    "levels once its aliases are expanded"
                )
            self.open.add(key)
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            values, height = 1, 1
            for child in children:
                child_values, child_height = self.measure(child, depth + 1)
                values += child_values
                height = max(height, child_height + 1)
                if values > MAX_YAML_VALUES:
                    raise _Refused(
                        f"line {node.start_mark.line + 1}: expands to more than "
                        f"{MAX_YAML_VALUES} values (aliases repeating aliases?)"
                    )
            self.open.discard(key)
            self.sizes[key] = (values, height)
        if depth - 1 + height > MAX_YAML_DEPTH:
            raise _Refused(
                f"line {node.start_mark.line + 1}: nested deeper than {MAX_YAML_DEPTH} levels "
                "once its aliases are expanded"
            )
        return values, height


def _one_line(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        words = " ".join(part for part in (exc.context, exc.problem) if part)
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return f"{words or 'not valid'}{where}"
    return " ".join(str(exc).split())


def mapping_problem(value: Any, known: Collection[str]) -> str | None:
    """What keeps `value` from being a mapping of some of the `known` keys, None if nothing."""
    if not isinstance(value, Mapping):
        return f"must be a mapping of {', '.join(sorted(known))}"
    unknown = set(value) - set(known)
    return f"unknown key(s) {', '.join(sorted(map(str, unknown)))}" if unknown else None


def load_yaml_text(text: str, label: str) -> Any:
    """The document in ``text``; a one-line UserError starting with ``label`` otherwise."""
    if len(text) > MAX_YAML_BYTES:
        raise UserError(f"{label}: larger than {MAX_YAML_BYTES} bytes, more than a YAML file holds")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise UserError(f"{label}: {exc}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{label}: not valid YAML: {_one_line(exc)}") from None
    except RecursionError:  # a safety net below our own depth limit
        raise UserError(f"{label}: nested too deeply") from None
    finally:
        loader.dispose()


def load_yaml(path: Path, what: str = "", *, follow_links: bool = True) -> Any:
    """The parsed document of a YAML file; a UserError naming `path` (and `what` it is).

    Links are followed (to a regular file) unless ``follow_links`` is False: a capture's
    own files are read with False, see :func:`read_regular_bytes`."""
    text = read_regular_text(path, what or "file", MAX_YAML_BYTES, follow_links=follow_links)
    return load_yaml_text(text, str(path))
