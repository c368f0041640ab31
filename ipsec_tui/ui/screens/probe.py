"""The path test in the cockpit: on a live tunnel it logs in to both gateways and probes
(`ipsec_tui.probe_run.probe_tunnel`, in a worker), on a probed capture folder it judges the
recorded probe again (`replay_probe`). One row per direction with the counters' deltas side
by side, the packets seen on each WAN, and where the test vanished."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.domain.probe import Direction, ProbeResult
from ipsec_tui.probe import packet_rows
from ipsec_tui.probe_run import ProbeRun
from ipsec_tui.ui.screens.ladder import back_key, table_and_pane

COLUMNS = ("direction", "ping", "encrypted", "decrypted", "enc back", "dec back")
LEGEND = (
    "encrypted: by the sender, decrypted: by the receiver; back: the answers "
    "(packets, or bytes where a platform counts only bytes)"
)


@dataclass(frozen=True)
class ProbeRequest:
    """What to show: a live probe of `tunnel` written below `base`, or the probe recorded in
    `folder` judged again."""

    tunnel: Tunnel | None = None
    logins: dict[tuple[str, str], str] | None = None
    base: Path | None = None
    folder: Path | None = None


class ProbeFinished(Message):
    def __init__(self, probe: ProbeRun) -> None:
        super().__init__()
        self.probe = probe


class ProbeFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def _cells(d: Direction) -> tuple[str, ...]:
    unit = "" if d.sender_delta.unit == "packets" else " B"

    def shown(value: int | None) -> str:
        return "?" if value is None else f"{value}{unit}"

    return (
        f"{d.sender} → {d.receiver}",
        f"{d.ping.received}/{d.ping.sent}" if d.ping else "-",
        shown(d.sender_delta.encrypted),
        shown(d.receiver_delta.decrypted),
        shown(d.receiver_delta.encrypted),
        shown(d.sender_delta.decrypted),
    )


def verdict_text(result: ProbeResult) -> Text:
    """The verdict, its evidence, and what each WAN capture saw (or why there is none)."""
    verdict = result.verdict
    text = Text()
    healthy = verdict.cause == "healthy"
    text.append(f"probe: {verdict.cause}", style="bold green" if healthy else "bold red")
    if verdict.side:
        text.append(f"  (fix on {verdict.side})", style="bold")
    text.append(f"\n{verdict.summary}")
    for line in verdict.evidence:
        text.append(f"\n  {line}", style="dim")
    if result.packets:
        text.append("\n\npackets on the WAN", style="bold")
        for d in result.directions:
            for row in packet_rows(d):
                text.append(f"\n  {d.sender} → {d.receiver}: {row}")
    elif result.packet_note:
        text.append(f"\n\nno packet capture: {result.packet_note}", style="dim")
    text.append("\n")
    for d in result.directions:
        text.append(f"\n{d.sender} pings {d.target} from {d.source_addr or 'its LAN'}: ")
        text.append(d.command, style="dim")
    text.append(f"\n{LEGEND}", style="dim")
    return text


class ProbeScreen(Screen[None]):
    """The path test's result for the cockpit's tunnel (`P`)."""

    BINDINGS: ClassVar[list[BindingType]] = [back_key("probe")]

    def __init__(self, request: ProbeRequest) -> None:
        super().__init__()
        self.request = request
        self.probe: ProbeRun | None = None

    def compose(self) -> ComposeResult:
        yield from table_and_pane("probe", "verdict", "[b]Path test[/b]")

    def on_mount(self) -> None:
        table = self.query_one("#probe-table", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        request = self.request
        if request.tunnel is not None:
            self._say(
                f"probing {request.tunnel.name}: logging in to both gateways, reading the "
                "counters, a few pings each way (about 10 s)…"
            )
            self._probe_live(request)
        elif request.folder is not None:
            self._say(f"judging the probe recorded in {request.folder} again…")
            self._replay(request.folder)
        else:
            self._say(
                "No probe here: a probe runs on a live tunnel (`ipsec-tui cockpit --inventory "
                "FILE --tunnel NAME`, then P) or with `ipsec-tui probe`; a capture folder it "
                "wrote shows it again."
            )

    def _say(self, text: str | Text) -> None:
        self.query_one("#probe-verdict", Static).update(text)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _probe_live(self, request: ProbeRequest) -> None:
        from ipsec_tui.collectors.capture_io import new_capture_dir
        from ipsec_tui.errors import UserError
        from ipsec_tui.probe_run import probe_tunnel

        assert request.tunnel is not None
        try:
            folder = new_capture_dir(request.base, request.tunnel.name, "probe")
            probe = probe_tunnel(request.tunnel, folder, request.logins or {})
        except UserError as exc:
            self.post_message(ProbeFailed(str(exc)))
            return
        except Exception as exc:  # a bug: say it in the screen, keep the cockpit
            self.post_message(ProbeFailed(f"probe crashed: {type(exc).__name__}: {exc}"))
            return
        self.post_message(ProbeFinished(probe))

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _replay(self, folder: Path) -> None:
        from ipsec_tui.errors import UserError
        from ipsec_tui.probe_run import replay_probe

        try:
            probe = replay_probe(folder)
        except UserError as exc:
            self.post_message(ProbeFailed(str(exc)))
            return
        self.post_message(ProbeFinished(probe))

    @on(ProbeFinished)
    def _finished(self, message: ProbeFinished) -> None:
        self.probe = message.probe
        result = message.probe.result
        table = self.query_one("#probe-table", DataTable)
        table.clear()
        for index, direction in enumerate(result.directions):
            table.add_row(*_cells(direction), key=str(index))
        where = (
            f"written to {message.probe.folder}"
            if message.probe.collected is not None
            else f"recorded in {message.probe.folder.name}/probe"
        )
        self.query_one("#probe-title", Static).update(
            Text.assemble(("Path test", "bold"), f"  {result.tunnel}: {where}")
        )
        self._say(verdict_text(result))
        table.focus()

    @on(ProbeFailed)
    def _failed(self, message: ProbeFailed) -> None:
        self._say(Text(message.error, style="bold red"))

    def action_back(self) -> None:
        self.dismiss(None)
