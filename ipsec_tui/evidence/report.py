"""A bundle's report for humans: Markdown and one self-contained HTML page.

Both say the same things in the same order: the diagnosis, the two peers side by side (with
each device's clock against the collecting host), every step's findings as
(field, peer A, peer B, verdict) rows with their evidence lines, the merged log time line of
both peers with its IKE exchange ladder, the commands sent with their times, the operator's
notes and the versions.
Pure: text in, text out; every value comes from already-redacted captures.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ipsec_tui.analysis import Analysis
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Finding, PeerModel, Status
from ipsec_tui.ladder import Ladder, LadderRow, build_ladder
from ipsec_tui.timeline import TimelineEvent, merge_logs

TIMELINE_LIMIT = 5000  # the most recent events; the full logs are in the capture
# The ladder is built from the whole time line, as the cockpit builds it (same rows, same
# order, same numbers); a report shows its most recent LADDER_LIMIT rows and says how many
# earlier rows it left out.
LADDER_LIMIT = 2000
EVIDENCE_LINES = 12  # per evidence item in the report; the capture holds every line


@dataclass(frozen=True)
class ReportInput:
    """Everything a report shows."""

    tunnel: str | None
    description: str | None
    captures: tuple[PeerCapture, ...]
    analysis: Analysis
    notes: str
    versions: Mapping[str, Any]
    created_at: str


def _timeline(report: ReportInput) -> tuple[Ladder, list[TimelineEvent]]:
    """The ladder of the whole merged log (the cockpit's), and the log's most recent
    TIMELINE_LIMIT lines for the time line table."""
    pair = report.analysis.pair
    events = merge_logs((pair.a, pair.b), report.captures)
    return _ladder(report, events), list(events[-TIMELINE_LIMIT:])


LADDER_NOTE = (
    "Each IKE message of the time line below, as an arrow from the peer that sent it: the "
    "sending line of one log paired with the receiving line of the other (line numbers of "
    "each peer's log), a received message always after its sending."
)


def _ladder(report: ReportInput, events: Sequence[TimelineEvent]) -> Ladder:
    """The IKE exchange ladder of the whole time line (the cockpit's rows and order)."""
    pair = report.analysis.pair
    return build_ladder(events, [model.name if model else None for model in (pair.a, pair.b)])


def ladder_rows(ladder: Ladder) -> tuple[str | None, list[tuple[int, LadderRow]]]:
    """The ladder rows a report shows, numbered as in the cockpit (1 = the first message),
    and the line that says how many earlier rows were left out (None: none were)."""
    omitted = max(len(ladder.rows) - LADDER_LIMIT, 0)
    shown = list(enumerate(ladder.rows, 1))[omitted:]
    if not omitted:
        return None, shown
    return (
        f"{omitted} earlier rows omitted (rows 1-{omitted} of {len(ladder.rows)}; the "
        "cockpit's ladder and the capture's logs hold them)",
        shown,
    )


def _ladder_cells(ladder: Ladder, row: LadderRow) -> tuple[str, str, str, str, str]:
    """(host time, A's line, the arrow, B's line, marks) of one ladder row."""
    ends = []
    for side in "ab":
        line = row.end(side)
        verb = "sent" if side == row.sender else "received"
        ends.append(f"{verb}, line {line.event.line}" if line else "-")
    marks = ", ".join(row.marks(ladder.names))
    return _host_time(row.time), ends[0], ladder.arrow(row, 44), ends[1], marks


def _message(item: TimelineEvent) -> str:
    event = item.event
    return f"[{event.subsystem}] {event.message}" if event.subsystem else event.message


def _host_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if moment else "?"


def _models(report: ReportInput) -> list[PeerModel]:
    pair = report.analysis.pair
    return [model for model in (pair.a, pair.b) if model is not None]


def _columns(names: list[str]) -> tuple[str, str]:
    """The two peer columns' headings; a missing peer's column keeps its place."""
    padded = [*names[:2], *("peer A", "peer B")[len(names[:2]) :]]
    return padded[0], padded[1]


def _verdict(match: bool | None) -> str:
    return {True: "match", False: "MISMATCH", None: "-"}[match]


_STATUS_WORD = {Status.PASS: "ok", Status.WARN: "warn", Status.FAIL: "FAIL", Status.UNKNOWN: "?"}


def _offset_text(capture: PeerCapture | None) -> str:
    if capture is None or capture.clock is None:
        return "not measured"
    return f"{capture.clock.offset_s:+.3f} s (device said {capture.clock.device_time})"


def _peer_rows(report: ReportInput) -> list[tuple[str, list[str]]]:
    """(label, value per peer) for the side-by-side peer table."""
    by_name = {capture.name: capture for capture in report.captures}
    models = _models(report)
    captures = [by_name.get(model.name) for model in models]
    return [
        ("platform", [m.platform for m in models]),
        ("host", [m.host or "-" for m in models]),
        ("software", [m.software or "-" for m in models]),
        ("collected at (UTC)", [m.collected_at or "-" for m in models]),
        ("clock offset vs collecting host", [_offset_text(c) for c in captures]),
        ("collection", [m.collection_error or "complete" for m in models]),
        (
            "commands ok / sent",
            [
                f"{sum(r.ok for r in c.commands)} / {len(c.commands)}" if c else "-"
                for c in captures
            ],
        ),
        ("collected by", [(c.tool_version or "-") if c else "-" for c in captures]),
    ]


def _evidence_lines(text: str) -> tuple[str, int]:
    lines = text.splitlines()
    return "\n".join(lines[:EVIDENCE_LINES]), max(0, len(lines) - EVIDENCE_LINES)


def _where(peer: str, file: str | None, start: int | None, end: int | None) -> str:
    where = f"{peer}:{file or '-'}"
    if start:
        where += f":{start}" + (f"-{end}" if end and end != start else "")
    return where


# --- Markdown --------------------------------------------------------------------------------


def _code(value: object) -> str:
    """A Markdown table cell or inline value shown exactly: a code span, pipes escaped."""
    text = " ".join(str(value).split()) if value is not None else "-"
    if not text:
        return "-"
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _md_fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def render_markdown(report: ReportInput) -> str:
    """The report as Markdown (GitHub flavoured tables)."""
    analysis = report.analysis
    d = analysis.diagnosis
    models = _models(report)
    names = [m.name for m in models]
    out: list[str] = [f"# ipsec-tui evidence: tunnel {report.tunnel or '(unnamed)'}", ""]
    if report.description:
        out += [report.description, ""]
    out += [f"Bundle made {report.created_at} by {report.versions.get('tool', 'ipsec-tui')}.", ""]
    out += ["## Diagnosis", ""]
    out += [f"**{d.cause}**" + (f", fix on **{d.side}**" if d.side else ""), ""]
    out += [d.summary, ""]
    if d.next_action:
        out += [f"Next: {d.next_action}", ""]
    if len(d.causes) > 1:
        out += ["Also considered: " + ", ".join(f"{c.cause} ({c.score:g})" for c in d.causes[1:6])]
        out += [""]
    out += ["## Peers", ""]
    out += ["| | " + " | ".join(_code(n) for n in names) + " |"]
    out += ["|---|" + "---|" * len(names)]
    for label, values in _peer_rows(report):
        out += [f"| {label} | " + " | ".join(_code(v) for v in values) + " |"]
    out += [""]
    out += ["## Steps", ""]
    for step in analysis.steps:
        out += [f"### {_STATUS_WORD[step.status]} {step.title}", ""]
        passing = [f for f in step.findings if f.status == Status.PASS]
        for finding in step.findings:
            if finding.status != Status.PASS:
                out += _md_finding(finding, names)
        if passing:
            out += ["Passed: " + "; ".join(f"{f.title} ({_code(f.check_id)})" for f in passing)]
            out += [""]
    ladder, events = _timeline(report)
    out += ["## IKE exchange ladder", "", LADDER_NOTE, ""]
    if ladder.rows:
        omitted, shown = ladder_rows(ladder)
        out += [f"*{omitted}*", ""] if omitted else []
        heading = ("#", "host time (UTC)", ladder.name("a"), "message", ladder.name("b"), "marks")
        out += ["| " + " | ".join(heading) + " |", "|---|---|---|---|---|---|"]
        for number, row in shown:
            cells = " | ".join(_code(cell) for cell in _ladder_cells(ladder, row))
            out += [f"| {number} | {cells} |"]
    else:
        out += ["No IKE message in either log."]
    out += [""]
    out += ["## Log time line (both peers)", ""]
    out += [_timeline_note(report, sum(len(m.log) for m in models)), ""]
    if events:
        out += ["| host time (UTC) | peer | device time | message | causes |"]
        out += ["|---|---|---|---|---|"]
        for item in events:
            event = item.event
            out += [
                f"| {_code(_host_time(item.host_time))} | {_code(item.peer)} | "
                f"{_code(event.time or '-')} | {_code(_message(item))} | "
                f"{_code(', '.join(event.causes)) if event.causes else ''} |"
            ]
        out += [""]
    out += ["## Commands sent", ""]
    for capture in report.captures:
        out += [f"### {capture.name}", ""]
        out += ["| command | started (UTC) | finished (UTC) | file / error |", "|---|---|---|---|"]
        for record in capture.commands:
            result = record.error or (
                f"capture/{capture.name}/{record.file}" if record.file else "-"
            )
            out += [
                f"| {_code(record.command)} | {_code(record.started_at or '-')} | "
                f"{_code(record.finished_at or '-')} | {_code(result)} |"
            ]
        out += [""]
    out += ["## Operator's notes", ""]
    out += [_md_fence(report.notes.rstrip("\n")) if report.notes.strip() else "(none)", ""]
    out += ["## Versions", ""]
    for key, value in _version_lines(report.versions):
        out += [f"- {key}: {_code(value)}"]
    out += [""]
    return "\n".join(out)


def _md_finding(finding: Finding, names: list[str]) -> list[str]:
    out = [f"**{_STATUS_WORD[finding.status]}** {finding.title} ({_code(finding.check_id)})", ""]
    shown = [r for r in finding.rows if r.a is not None or r.b is not None]
    if shown:
        a, b = _columns(names)
        out += [f"| field | {_code(a)} | {_code(b)} | verdict |", "|---|---|---|---|"]
        for row in shown:
            out += [
                f"| {_code(row.field)} | {_code(row.a)} | {_code(row.b)} | {_verdict(row.match)} |"
            ]
        out += [""]
    for evidence in finding.evidence:
        text, more = _evidence_lines(evidence.text)
        where = _where(evidence.peer, evidence.file, evidence.line_start, evidence.line_end)
        out += [f"Evidence {_code(where)}" + (f" (+{more} more lines)" if more else "") + ":"]
        out += [_md_fence(text), ""]
    if finding.next_action:
        out += [f"Next: {finding.next_action}", ""]
    return out


def _timeline_note(report: ReportInput, count: int) -> str:
    parts = []
    for capture in report.captures:
        if capture.clock is None:
            parts.append(f"{capture.name}: clock not measured, its times are taken as they are")
        else:
            parts.append(f"{capture.name}: {capture.clock.offset_s:+.3f} s subtracted")
    shown = (
        f"the last {TIMELINE_LIMIT} of {count} events"
        if count > TIMELINE_LIMIT
        else (f"{count} events")
    )
    return (
        f"{shown}, on the collecting host's clock ({'; '.join(parts) or 'no peers'}); "
        "a line whose time does not read keeps its place in its peer's log."
    )


def _version_lines(versions: Mapping[str, Any]) -> list[tuple[str, str]]:
    lines = []
    for key, value in versions.items():
        if isinstance(value, Mapping):
            if "digest" in value:
                lines.append(
                    (key, f"sha256 {value['digest']} ({len(value.get('files', {}))} files)")
                )
            else:
                lines.append((key, ", ".join(f"{k} {v}" for k, v in value.items())))
        else:
            lines.append((key, str(value)))
    return lines


# --- HTML ------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:80em;
 padding:0 1em;color:#1b1f23;line-height:1.45}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em}table{border-collapse:collapse;margin:.5em 0 1em;width:100%}
th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;
 font-size:.88em}pre{background:#f6f8fa;padding:.5em;overflow-x:auto;white-space:pre-wrap}
.diagnosis{border:2px solid #cf222e;padding:.6em 1em;border-radius:6px}
.healthy{border-color:#1a7f37}.cause{font-size:1.3em;font-weight:bold}
.fail{color:#cf222e;font-weight:bold}.warn{color:#9a6700;font-weight:bold}
.pass{color:#1a7f37}.unknown{color:#57606a}tr.mismatch td{background:#ffebe9}
tr.peer-0 td.peer{color:#0550ae}tr.peer-1 td.peer{color:#8250df}
tr.cause td{background:#fff8c5}.next{color:#0a3069}.muted{color:#57606a}
"""


def _e(value: object) -> str:
    return html.escape("-" if value is None else str(value), quote=True)


def render_html(report: ReportInput) -> str:
    """The report as one HTML page: inline style, no scripts, nothing fetched."""
    analysis = report.analysis
    d = analysis.diagnosis
    models = _models(report)
    names = [m.name for m in models]
    title = f"ipsec-tui evidence: tunnel {report.tunnel or '(unnamed)'}"
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
    ]
    if report.description:
        out.append(f"<p>{_e(report.description)}</p>")
    out.append(
        f'<p class="muted">Bundle made {_e(report.created_at)} by '
        f"{_e(report.versions.get('tool', 'ipsec-tui'))}.</p>"
    )
    healthy = " healthy" if d.cause == "healthy" else ""
    out.append(f'<h2>Diagnosis</h2><div class="diagnosis{healthy}">')
    out.append(
        f'<div class="cause">{_e(d.cause)}'
        + (f" &mdash; fix on {_e(d.side)}" if d.side else "")
        + "</div>"
    )
    out.append(f"<p>{_e(d.summary)}</p>")
    if d.next_action:
        out.append(f'<p class="next">Next: {_e(d.next_action)}</p>')
    if len(d.causes) > 1:
        out.append(
            "<p>Also considered: "
            + ", ".join(f"{_e(c.cause)} ({c.score:g})" for c in d.causes[1:6])
            + "</p>"
        )
    out.append("</div>")
    out.append("<h2>Peers</h2><table><tr><th></th>")
    out += [f"<th>{_e(n)}</th>" for n in names]
    out.append("</tr>")
    for label, values in _peer_rows(report):
        out.append(f"<tr><th>{_e(label)}</th>" + "".join(f"<td>{_e(v)}</td>" for v in values))
        out.append("</tr>")
    out.append("</table><h2>Steps</h2>")
    for step in analysis.steps:
        out.append(
            f'<h3><span class="{step.status.value}">{_e(_STATUS_WORD[step.status])}</span> '
            f"{_e(step.title)}</h3>"
        )
        passing = [f for f in step.findings if f.status == Status.PASS]
        for finding in step.findings:
            if finding.status != Status.PASS:
                out += _html_finding(finding, names)
        if passing:
            out.append(
                '<p class="muted">Passed: '
                + "; ".join(f"{_e(f.title)} (<code>{_e(f.check_id)}</code>)" for f in passing)
                + "</p>"
            )
    ladder, events = _timeline(report)
    out.append(f'<h2>IKE exchange ladder</h2><p class="muted">{_e(LADDER_NOTE)}</p>')
    if ladder.rows:
        omitted, shown = ladder_rows(ladder)
        if omitted:
            out.append(f'<p class="muted">{_e(omitted)}</p>')
        out.append(
            f"<table><tr><th>#</th><th>host time (UTC)</th><th>{_e(ladder.name('a'))}</th>"
            f"<th>message</th><th>{_e(ladder.name('b'))}</th><th>marks</th></tr>"
        )
        for number, row in shown:
            when, a_end, arrow, b_end, marks = _ladder_cells(ladder, row)
            css = ' class="cause"' if row.message.notifies or row.answered is False else ""
            out.append(
                f"<tr{css}><td>{number}</td><td><code>{_e(when)}</code></td><td>{_e(a_end)}</td>"
                f"<td><code>{_e(arrow)}</code></td><td>{_e(b_end)}</td><td>{_e(marks)}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No IKE message in either log.</p>")
    out.append("<h2>Log time line (both peers)</h2>")
    total = sum(len(m.log) for m in models)
    out.append(f'<p class="muted">{_e(_timeline_note(report, total))}</p>')
    if events:
        index = {name: position for position, name in enumerate(names)}
        out.append(
            "<table><tr><th>host time (UTC)</th><th>peer</th><th>device time</th>"
            "<th>message</th><th>causes</th></tr>"
        )
        for item in events:
            event = item.event
            classes = f"peer-{index.get(item.peer, 0)}" + (" cause" if event.causes else "")
            out.append(
                f'<tr class="{classes}"><td><code>{_e(_host_time(item.host_time))}</code></td>'
                f'<td class="peer">{_e(item.peer)}</td><td><code>{_e(event.time)}'
                f"</code></td><td><code>{_e(_message(item))}</code></td>"
                f"<td>{_e(', '.join(event.causes)) if event.causes else ''}</td></tr>"
            )
        out.append("</table>")
    out.append("<h2>Commands sent</h2>")
    for capture in report.captures:
        out.append(f"<h3>{_e(capture.name)}</h3><table><tr><th>command</th>")
        out.append("<th>started (UTC)</th><th>finished (UTC)</th><th>file / error</th></tr>")
        for record in capture.commands:
            result = record.error or (
                f"capture/{capture.name}/{record.file}" if record.file else "-"
            )
            out.append(
                f"<tr><td><code>{_e(record.command)}</code></td><td>{_e(record.started_at)}</td>"
                f"<td>{_e(record.finished_at)}</td><td>{_e(result)}</td></tr>"
            )
        out.append("</table>")
    out.append("<h2>Operator's notes</h2>")
    out.append(f"<pre>{_e(report.notes)}</pre>" if report.notes.strip() else "<p>(none)</p>")
    out.append("<h2>Versions</h2><ul>")
    out += [
        f"<li>{_e(key)}: <code>{_e(value)}</code></li>"
        for key, value in _version_lines(report.versions)
    ]
    out.append("</ul></body></html>")
    return "\n".join(out) + "\n"


def _html_finding(finding: Finding, names: list[str]) -> list[str]:
    out = [
        f'<p><span class="{finding.status.value}">{_e(_STATUS_WORD[finding.status])}</span> '
        f'{_e(finding.title)} <code class="muted">{_e(finding.check_id)}</code></p>'
    ]
    shown = [r for r in finding.rows if r.a is not None or r.b is not None]
    if shown:
        a, b = _columns(names)
        out.append(
            f"<table><tr><th>field</th><th>{_e(a)}</th><th>{_e(b)}</th><th>verdict</th></tr>"
        )
        for row in shown:
            css = ' class="mismatch"' if row.match is False else ""
            out.append(
                f"<tr{css}><td>{_e(row.field)}</td><td><code>{_e(row.a)}</code></td>"
                f"<td><code>{_e(row.b)}</code></td><td>{_e(_verdict(row.match))}</td></tr>"
            )
        out.append("</table>")
    for evidence in finding.evidence:
        text, more = _evidence_lines(evidence.text)
        where = _where(evidence.peer, evidence.file, evidence.line_start, evidence.line_end)
        out.append(
            f'<p class="muted">Evidence <code>{_e(where)}</code>'
            + (f" (+{more} more lines)" if more else "")
            + f"</p><pre>{_e(text)}</pre>"
        )
    if finding.next_action:
        out.append(f'<p class="next">Next: {_e(finding.next_action)}</p>')
    return out
