"""A strip chart of a watch's child SAs: per child SA and peer, bytes/s each way over time, as
one sparkline row per direction on one common scale (so one way against the other, and one
peer against the other, compare at a glance)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ipsec_tui.domain.watch import ChildSeries

# 0 is drawn lowest and dim, anything that moved at least one step above it; "·": not known
# (the SAs were rekeyed between the two readings, or the platform does not count bytes)
_BARS = "▂▃▄▅▆▇█"
_ZERO, _UNKNOWN = "▁", "·"
_VALUE_WIDTH = 10


def rate_text(bps: float | None) -> str:
    """Bytes per second as people read them: 338 B/s, 12.4 KB/s, 3.1 MB/s; ? if unknown."""
    if bps is None:
        return "?"
    for unit, size in (("GB/s", 1e9), ("MB/s", 1e6), ("KB/s", 1e3)):
        if bps >= size:
            return f"{bps / size:.1f} {unit}"
    return f"{bps:.0f} B/s"


def bar(value: float | None, top: float) -> tuple[str, str]:
    """One sparkline cell and its style."""
    if value is None:
        return _UNKNOWN, "dim"
    if value <= 0 or top <= 0:
        return _ZERO, "dim"
    step = min(len(_BARS) - 1, int(value / top * len(_BARS)))
    return _BARS[step], ""


def chart_lines(series: Sequence[ChildSeries], width: int) -> list[Text]:
    """The chart's rows, each at most ``width`` cells: `peer child out ▁▂▅█ 338 B/s`."""
    if not series:
        return [Text("no child SA counters yet", style="dim")]
    labels = [(s, way) for s in series for way in ("out", "in")]
    label_width = max(len(f"{s.peer} {s.child} {way}") for s, way in labels)
    cells = max(4, width - label_width - _VALUE_WIDTH - 2)
    top = max(
        (v for s in series for p in s.points for v in (p.in_bps, p.out_bps) if v is not None),
        default=0.0,
    )
    lines = []
    for s, way in labels:
        values = [p.out_bps if way == "out" else p.in_bps for p in s.points][-cells:]
        line = Text(f"{s.peer} {s.child} {way}".ljust(label_width + 1))
        line.stylize("bold", 0, len(s.peer))
        for value in values:
            cell, style = bar(value, top)
            line.append(cell, style=style or ("cyan" if way == "out" else "magenta"))
        line.append(" " * (cells - len(values)))
        last = next((v for v in reversed(values) if v is not None), None)
        line.append(" " + rate_text(last).rjust(_VALUE_WIDTH))
        lines.append(line)
    return lines


class StripChart(Widget):
    """Bytes/s each way per child SA and peer (see :func:`chart_lines`); renders only."""

    DEFAULT_CSS = """
    StripChart {
        height: auto;
        max-height: 12;
    }
    """

    series: reactive[tuple[ChildSeries, ...]] = reactive((), layout=True)

    def render(self) -> Text:
        return Text("\n").join(chart_lines(self.series, self.size.width or 80))
