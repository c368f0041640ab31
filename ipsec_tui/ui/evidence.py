"""The raw text behind a finding, per peer, ready to show: which file, which lines to mark
and where to scroll. Standard library only (the widgets render these documents)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Evidence, Finding, Row


@dataclass(frozen=True)
class EvidenceDoc:
    """One peer's evidence for one finding: a file's lines, the marked ones, the focus."""

    peer: str
    title: str  # e.g. "cat-var-log-charon.log.txt  lines 12-14  (evidence 1 of 3)"
    lines: tuple[str, ...]
    marked: frozenset[int] = frozenset()  # 0-based line numbers
    focus: int = 0  # 0-based line to scroll to
    note: str = ""  # why there is no marked evidence, if there is none
    position: int = 0  # which of `count` choices this is
    count: int = 0


@lru_cache(maxsize=16)
def split_lines(text: str) -> tuple[str, ...]:
    """A capture file's lines; cached, since moving the cursor shows the same file again."""
    return tuple(text.splitlines())


def _span(evidence: Evidence) -> str:
    if evidence.line_start is None:
        return "whole output"
    if evidence.line_end is None or evidence.line_end == evidence.line_start:
        return f"line {evidence.line_start}"
    return f"lines {evidence.line_start}-{evidence.line_end}"


def _lines(evidence: Evidence) -> range:
    if evidence.line_start is None:
        return range(0)
    end = evidence.line_end if evidence.line_end is not None else evidence.line_start
    return range(evidence.line_start - 1, max(end, evidence.line_start))


def source_name(capture: PeerCapture | None, file: str | None) -> str:
    """A short name for a capture file: the file a `cat` read, else the command itself."""
    if file is None:
        return "quoted text"
    command = (
        next((r.command for r in capture.commands if r.file == file), None) if capture else None
    )
    if command is None:
        return file
    words = command.split()
    if words and words[0] == "cat" and len(words) == 2:
        return words[1].rsplit("/", 1)[-1]
    return command


def peer_evidence(finding: Finding | None, peer: str) -> list[Evidence]:
    return [e for e in finding.evidence if e.peer == peer] if finding else []


def evidence_doc(
    finding: Finding | None,
    peer: str,
    capture: PeerCapture | None,
    choice: int = 0,
    preferred: str | None = None,
) -> EvidenceDoc:
    """The `choice`-th piece of `peer`'s evidence for `finding`, in its file.

    Without evidence from this peer, the peer's collected outputs are offered instead (one per
    choice, `preferred` first: the IKE log), so the raw text is always one key away.
    """
    items = peer_evidence(finding, peer)
    if not items:
        return _output_doc(finding, peer, capture, choice, preferred)
    index = choice % len(items)
    chosen = items[index]
    counter = f"evidence {index + 1}/{len(items)}"
    text = capture.outputs.get(chosen.file) if capture and chosen.file else None
    if text is None:
        # the file is not in the capture (or the evidence names none): show what it quotes
        lines = tuple(chosen.text.splitlines()) or ("(no text)",)
        return EvidenceDoc(
            peer,
            f"{source_name(capture, chosen.file)}  {_span(chosen)}  ({counter})",
            lines,
            frozenset(range(len(lines))),
            0,
            position=index,
            count=len(items),
        )
    lines = split_lines(text)
    marked = {n for e in items if e.file == chosen.file for n in _lines(e) if n < len(lines)}
    focus = chosen.line_start - 1 if chosen.line_start else 0
    return EvidenceDoc(
        peer,
        f"{source_name(capture, chosen.file)}  {_span(chosen)}  ({counter})",
        lines or ("(empty output)",),
        frozenset(marked),
        max(0, min(focus, len(lines) - 1)),
        position=index,
        count=len(items),
    )


def _output_doc(
    finding: Finding | None,
    peer: str,
    capture: PeerCapture | None,
    choice: int,
    preferred: str | None,
) -> EvidenceDoc:
    about = "this finding" if finding else "this step"
    if capture is None:
        return EvidenceDoc(peer, "not collected", (), note=f"{peer} was not collected")
    files = [r.file for r in capture.commands if r.file and r.file in capture.outputs]
    if preferred in files:
        files.remove(preferred)
        files.insert(0, preferred)
    if capture.error and not files:
        return EvidenceDoc(peer, "collection failed", (), note=f"{peer}: {capture.error}")
    if not files:
        return EvidenceDoc(peer, "no outputs", (), note=f"{peer}: nothing was collected")
    index = choice % len(files)
    name = files[index]
    lines = split_lines(capture.outputs[name]) or ("(empty output)",)
    return EvidenceDoc(
        peer,
        f"{source_name(capture, name)}  (output {index + 1}/{len(files)})",
        lines,
        note=f"(no evidence from {peer} for {about}; [ ] page through its outputs)",
        position=index,
        count=len(files),
    )


def explain_row(row: Row, names: tuple[str, str]) -> str:
    """What a comparison row means: the check's own words, else what the values say."""
    if row.explain:
        return row.explain
    a_name, b_name = names
    if row.match is False:
        return f"{row.field}: {a_name} has {row.a or '-'}, {b_name} has {row.b or '-'}: they differ"
    if row.match is True:
        return f"{row.field}: both peers agree ({row.a})"
    if row.a is None and row.b is None:
        return f"{row.field}: not known on either side"
    if row.a is None or row.b is None:
        known = a_name if row.a is not None else b_name
        return f"{row.field}: known on {known} only, so it cannot be compared"
    return f"{row.field}: shown for information, not compared"
