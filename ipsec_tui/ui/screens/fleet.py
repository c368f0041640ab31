"""Every tunnel of an inventory on one screen: collected on Nornir (each device once), one row
per tunnel with its cause and side to fix, sortable, filterable, grouped by cause; Enter opens
one tunnel in the usual cockpit on the outputs already collected."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from ipsec_tui.fleet import (
    HEALTHY,
    FleetPlan,
    FleetResult,
    TunnelTriage,
    age_text,
    collect_fleet,
    write_tunnel_capture,
)
from ipsec_tui.ui.messages import describe
from ipsec_tui.ui.widgets.table import Table

# (column key, heading): what to fix first, the peers last (at 80 columns they scroll); the
# sort keys cycle in this order
COLUMNS = (
    ("tunnel", "Tunnel"), ("cause", "Cause"), ("side", "Fix on"), ("step", "Failing step"),
    ("age", "Age"), ("peers", "Peers"),
)  # fmt: skip
KEYS = tuple(key for key, _ in COLUMNS)
GROUP_PREFIX = "cause:"


@dataclass(frozen=True)
class FleetView:
    """What the fleet screen shows: one frozen snapshot in a reactive."""

    result: FleetResult | None = None
    sort: str = "cause"
    reverse: bool = False
    filter: str = ""
    grouped: bool = False
    progress: str = "collecting…"


def _cells(row: TunnelTriage, result: FleetResult) -> tuple[str, ...]:
    return (
        row.tunnel, row.cause, row.side or "-", row.failing_step or "-",
        age_text(row.age_s(result.checked_at)), f"{row.peers[0]} ⇄ {row.peers[1]}",
    )  # fmt: skip


def _sort_key(row: TunnelTriage, result: FleetResult, column: str) -> tuple[object, ...]:
    if column == "age":
        return (row.age_s(result.checked_at) or 0.0, row.tunnel)
    if column == "cause":  # broken first, healthy last
        return (row.cause == HEALTHY, row.cause, row.tunnel)
    return (_cells(row, result)[KEYS.index(column)], row.tunnel)


def visible_rows(view: FleetView) -> list[tuple[str, tuple[str, ...]]]:
    """(row key, cells) in display order: filtered, sorted, and with a heading row per cause
    when grouped. A tunnel row's key is its name; a heading's starts with ``cause:``."""
    result = view.result
    if result is None:
        return []
    needle = view.filter.strip().lower()
    rows = [
        row for row in result.rows
        if not needle or any(needle in cell.lower() for cell in _cells(row, result))
    ]  # fmt: skip
    rows.sort(key=lambda row: _sort_key(row, result, view.sort), reverse=view.reverse)
    if not view.grouped:
        return [(row.tunnel, _cells(row, result)) for row in rows]
    roots = {root.cause: root for root in result.summary.common_roots}
    out: list[tuple[str, tuple[str, ...]]] = []
    for cause in result.summary.by_cause:
        members = [row for row in rows if row.cause == cause]
        if not members:
            continue
        root = roots.get(cause)
        count = f"{len(members)} tunnel{'s' if len(members) > 1 else ''}"
        note = f"likely root: {root.device}" if root else ""
        out.append((f"{GROUP_PREFIX}{cause}", (f"▸ {cause}", count, "", note, "", "")))
        out += [(row.tunnel, _cells(row, result)) for row in members]
    return out


@dataclass
class FleetProgressed(Message, bubble=False):
    """Devices done so far (replaces the previous one)."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FleetProgressed)


class FleetScreen(Screen[None]):
    """The fleet table. Give it a plan to collect, or a result already triaged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_tunnel", "Open", tooltip="Open the tunnel in the cockpit",
                id="fleet.open"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column", id="fleet.sort"),
        Binding("S", "reverse", "Reverse", tooltip="Reverse the order", id="fleet.reverse"),
        Binding("g", "group", "Group", tooltip="Group the tunnels by cause", id="fleet.group"),
        Binding("slash", "filter", "Filter", tooltip="Show only rows holding a text",
                id="fleet.filter"),
        Binding("c", "cancel", "Stop", tooltip="Stop collecting, keep what was collected",
                id="fleet.cancel"),
        Binding("escape", "back", "Back", tooltip="Back to where the fleet was opened",
                id="fleet.back"),
    ]  # fmt: skip

    view: reactive[FleetView] = reactive(FleetView, always_update=True, init=False)

    def __init__(
        self,
        plan: FleetPlan | None = None,
        *,
        result: FleetResult | None = None,
        workers: int | None = None,
        out_dir: Path | None = None,
    ) -> None:
        super().__init__()
        if plan is None and result is None:
            raise ValueError("a fleet screen needs a plan to collect or a result")
        self.plan = plan if plan is not None else result.plan  # type: ignore[union-attr]
        self._given = result
        self.device_workers = workers
        self.out_dir = out_dir
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        counts = f"{len(self.plan.tunnels)} tunnels on {len(self.plan.devices)} devices"
        yield Static(Text.assemble(("Fleet", "bold"), "  ", counts), id="title-bar")
        yield Input(placeholder="filter: tunnel, peer, cause…", id="fleet-filter")
        yield Table(id="fleet-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="fleet-summary")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#fleet-table", DataTable)
        for key, heading in COLUMNS:
            table.add_column(heading, key=key)
        self.query_one("#fleet-filter", Input).display = False
        table.focus()
        if self._given is not None:
            self.view = FleetView(result=self._given, progress="")
        else:
            self.view = FleetView()
            self._collect()

    # --- the worker ------------------------------------------------------------------------

    # Both workers hand back what they made (the triaged fleet, a tunnel's capture folder)
    # or their error through Textual's worker state, shown, never as a traceback.

    @work(thread=True, exclusive=True, exit_on_error=False, group="fleet")
    def _collect(self) -> FleetResult:
        from ipsec_tui.ui.live import look_up_credentials

        passwords: dict[tuple[str, str], str] = {}
        missing: list[str] = []
        for tunnel in self.plan.tunnels:
            credentials = look_up_credentials(tunnel)
            passwords.update(credentials.passwords)
            missing += [f"{login.username}@{login.host}" for login in credentials.missing]
        if missing:
            self.post_message(FleetProgressed(
                f"no password in the keyring for {', '.join(dict.fromkeys(missing))}: "
                "those devices will fail"))  # fmt: skip

        def on_device(device: str, event: str, done: int, failed: int, total: int) -> None:
            text = f"{done}/{total} devices done, {failed} failed · {device}: {event}"
            self.post_message(FleetProgressed(text))

        return collect_fleet(
            self.plan,
            workers=self.device_workers,
            passwords=passwords,
            device_progress=on_device,
            cancel=self._cancel,
        )

    def on_fleet_progressed(self, message: FleetProgressed) -> None:
        self.view = replace(self.view, progress=message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            error = describe(worker.error) if worker.error else "failed"
            self.view = replace(self.view, progress=f"failed: {error}")
            self.notify(error, title="fleet", severity="error", timeout=10)
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, FleetResult):
            self.view = replace(self.view, result=worker.result, progress="")
        elif event.state == WorkerState.SUCCESS and isinstance(worker.result, Path):
            from ipsec_tui.ui.app import CockpitApp
            from ipsec_tui.ui.session import capture_source

            if isinstance(self.app, CockpitApp):
                self.app.open_source(capture_source(worker.result))

    # --- rendering -------------------------------------------------------------------------

    def watch_view(self, view: FleetView) -> None:
        table = self.query_one("#fleet-table", DataTable)
        keep = self.selected_tunnel()
        table.clear()
        for key, cells in visible_rows(view):
            if key.startswith(GROUP_PREFIX):
                table.add_row(*(Text(cell, style="bold") for cell in cells), key=key)
            else:
                shown = [Text(cell) for cell in cells]
                cause = KEYS.index("cause")
                shown[cause].stylize("green" if cells[cause] == HEALTHY else "red")
                table.add_row(*shown, key=key)
        if keep is not None:
            with contextlib.suppress(Exception):  # filtered away: the cursor stays
                table.move_cursor(row=table.get_row_index(keep))
        self.query_one("#fleet-summary", Static).update(self._summary(view))

    def _summary(self, view: FleetView) -> Text:
        text = Text()
        if view.progress:
            text.append(view.progress + "\n", style="dim")
        result = view.result
        if result is None:
            return text
        summary = result.summary
        text.append(f"{summary.tunnels} tunnels, {summary.healthy} healthy: ", style="bold")
        text.append(summary.line())
        for root in summary.common_roots:
            text.append(f"\n{root.line()}", style="yellow")
        for device, error in summary.device_errors.items():
            text.append(f"\n! {device}: {error}", style="red")
        sort = dict(COLUMNS)[view.sort] + (" (reversed)" if view.reverse else "")
        text.append(f"\nsorted by {sort}" + (f" · filter {view.filter!r}" if view.filter else ""),
                    style="dim")  # fmt: skip
        return text

    def selected_tunnel(self) -> str | None:
        """The tunnel under the cursor (None on a cause heading or an empty table)."""
        table = self.query_one("#fleet-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key is None or key.startswith(GROUP_PREFIX) else key

    # --- actions ---------------------------------------------------------------------------

    def action_sort(self) -> None:
        following = KEYS[(KEYS.index(self.view.sort) + 1) % len(KEYS)]
        self.view = replace(self.view, sort=following)

    def action_reverse(self) -> None:
        self.view = replace(self.view, reverse=not self.view.reverse)

    def action_group(self) -> None:
        self.view = replace(self.view, grouped=not self.view.grouped)

    @on(DataTable.HeaderSelected, "#fleet-table")
    def _sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        reverse = not self.view.reverse if column == self.view.sort else False
        self.view = replace(self.view, sort=column, reverse=reverse)

    def action_filter(self) -> None:
        field = self.query_one("#fleet-filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#fleet-filter")
    def _filtered(self, event: Input.Changed) -> None:
        self.view = replace(self.view, filter=event.value)

    @on(Input.Submitted, "#fleet-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one("#fleet-table", DataTable).focus()

    def action_cancel(self) -> None:
        if self.view.result is None:
            self._cancel.set()
            self.view = replace(self.view, progress="stopping: keeping what was collected…")

    def action_back(self) -> None:
        field = self.query_one("#fleet-filter", Input)
        if field.has_focus:
            self.query_one("#fleet-table", DataTable).focus()
            return
        self._cancel.set()
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#fleet-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open_tunnel()

    def action_open_tunnel(self) -> None:
        tunnel = self.selected_tunnel()
        if tunnel is None or self.view.result is None:
            return
        self._write(self.view.result.row(tunnel))

    @work(thread=True, exclusive=True, exit_on_error=False, group="fleet-open")
    def _write(self, row: TunnelTriage) -> Path:
        base = self.out_dir or Path(tempfile.mkdtemp(prefix="ipsec-tui-fleet-"))
        return write_tunnel_capture(row, base / row.tunnel)

    def tunnels(self) -> Iterator[str]:
        """The tunnels shown, in order (for tests and the palette)."""
        for key, _ in visible_rows(self.view):
            if not key.startswith(GROUP_PREFIX):
                yield key
