"""A check's result for a terminal without the cockpit: rich text, honouring NO_COLOR."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from ipsec_tui.analysis import Analysis
from ipsec_tui.domain.model import Status

MARKS = {
    Status.PASS: "[green]ok[/]",
    Status.WARN: "[yellow]warn[/]",
    Status.FAIL: "[red]FAIL[/]",
    Status.UNKNOWN: "[dim]?[/]",
}


def print_analysis(analysis: Analysis, show_all: bool = False) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:  # a file or a pager: one line per line, never cut at 80
        console = Console(highlight=False, soft_wrap=True, width=max(console.width, 240))
    d = analysis.diagnosis
    names = [p.name for p in (analysis.pair.a, analysis.pair.b) if p]
    console.print(f"[bold]{' | '.join(names)}[/]")
    colour = "green" if d.cause == "healthy" else "red"
    console.print(
        f"[bold {colour}]diagnosis: {d.cause}[/]"
        + (f"  (fix on [bold]{d.side}[/])" if d.side else "")
    )
    console.print(f"  {d.summary}")
    if d.next_action:
        console.print(f"  next: {d.next_action}")
    if len(d.causes) > 1:
        console.print(
            "  also considered: " + ", ".join(f"{c.cause} ({c.score:g})" for c in d.causes[1:5])
        )
    for step in analysis.steps:
        console.print(f"\n{MARKS[step.status]} [bold]{step.title}[/]")
        for f in step.findings:
            if f.status == Status.PASS and not show_all:
                continue
            console.print(f"   {MARKS[f.status]} {f.title}  [dim]{f.check_id}[/]")
            shown = [r for r in f.rows if r.a is not None or r.b is not None]
            if shown and f.status != Status.PASS:
                table = Table(show_edge=False, box=None, padding=(0, 2))
                table.add_column("field", style="dim")
                table.add_column(names[0] if names else "A")
                table.add_column(names[1] if len(names) > 1 else "B")
                for r in shown:
                    style = "red" if r.match is False else ""
                    table.add_row(r.field, r.a or "-", r.b or "-", style=style)
                console.print(table, style="", end="")
            for e in f.evidence[:3]:
                where = f"{e.peer}:{e.file or '-'}" + (f":{e.line_start}" if e.line_start else "")
                first = e.text.splitlines()[0][:110] if e.text else ""
                console.print(f"      [dim]{where}[/] {first}")
            if f.next_action and f.status in (Status.FAIL, Status.WARN):
                console.print(f"      [cyan]→ {f.next_action}[/]")


def print_bundle(path: Path) -> int:
    """A bundle without the cockpit: the check result and the operator's notes; exit as
    ``check`` (0 healthy, 1 a problem found)."""
    from ipsec_tui.analysis import analyse_captures
    from ipsec_tui.collectors.bundles import open_bundle

    captures, notes, manifest = open_bundle(path)
    print(f"{path}: made {manifest.created_at} by {manifest.tool}")
    analysis = analyse_captures(captures)
    print_analysis(analysis)
    print("\nOperator's notes:")
    print(notes.rstrip("\n") if notes.strip() else "(none)")
    return 0 if analysis.healthy else 1
