"""The cockpit: diagnosis banner, ordered steps, the selected step's comparison table and the
evidence behind the selected row, for both peers. Starts the workers that load, collect,
analyse, export the evidence bundle and import a pasted other side; the widgets only render
what they post back. The operator's notes live here, with the screen, across re-analyses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.worker import Worker, get_current_worker

from ipsec_tui.collectors.run import CollectionResult, ProgressEvent
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Finding, Row, Status
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec
from ipsec_tui.ui.evidence import EvidenceDoc, evidence_doc, explain_row
from ipsec_tui.ui.live import (
    Credentials,
    PeerProgress,
    collect,
    look_up_credentials,
    new_collection_dir,
    save_password,
)
from ipsec_tui.ui.messages import (
    AnalysisFailed,
    BundleExported,
    CollectionFailed,
    CollectionFinished,
    CollectionStarted,
    CredentialsLookedUp,
    ExportFailed,
    OtherSidePasted,
    PasteFailed,
    PeerCollected,
    PeerProgressed,
    SessionAnalysed,
)
from ipsec_tui.ui.offload import Cancelled
from ipsec_tui.ui.palette import PaletteCommand
from ipsec_tui.ui.session import (
    ExportRequest,
    PasteRequest,
    Session,
    Source,
    Transcript,
    analyse,
    default_bundle_path,
    export_bundle,
    load,
    paste_other_side,
    pasted_source,
)
from ipsec_tui.ui.widgets.banner import BannerState, DiagnosisBanner
from ipsec_tui.ui.widgets.evidence_pane import EvidencePane
from ipsec_tui.ui.widgets.findings import FindingsTable, FindingsView
from ipsec_tui.ui.widgets.footer import CockpitFooter
from ipsec_tui.ui.widgets.progress import CollectionPanel
from ipsec_tui.ui.widgets.steps import StepList


def _describe(error: BaseException) -> str:
    if isinstance(error, UserError):
        return str(error)
    return f"internal error: {type(error).__name__}: {error}"


class MainScreen(Screen[None]):
    """One tunnel's diagnosis, from a demo scenario, a capture folder or a live collection."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "log", "Log", tooltip="Both peers' IKE logs on one time line", id="main.log"),
        Binding(
            "x",
            "explain",
            "Explain",
            tooltip="Explain the selected row: what it compares, the finding, the next action",
            id="main.explain",
        ),
        Binding(
            "d",
            "diagnosis",
            "Diagnosis",
            tooltip="The whole diagnosis: summary, next action, every cause weighed",
            id="main.diagnosis",
        ),
        Binding(
            "z",
            "zoom",
            "Zoom",
            tooltip="Give the focused pane the whole screen (again: back)",
            show=False,
            id="main.zoom",
        ),
        Binding(
            "v",
            "toggle_evidence",
            "Evidence",
            tooltip="Show or hide the raw output behind the selected finding",
            show=False,
            id="main.evidence",
        ),
        Binding(
            "n", "next_problem(1)", "Next", tooltip="Next finding that is not ok", id="main.next"
        ),
        Binding(
            "p",
            "next_problem(-1)",
            "Previous",
            tooltip="Previous finding that is not ok",
            show=False,
            id="main.previous",
        ),
        Binding(
            "right_square_bracket",
            "evidence_choice(1)",
            "Next evidence",
            tooltip="Next piece of evidence (or output file) of the focused peer",
            show=False,
            id="main.evidence_next",
        ),
        Binding(
            "left_square_bracket",
            "evidence_choice(-1)",
            "Previous evidence",
            tooltip="Previous piece of evidence (or output file) of the focused peer",
            show=False,
            id="main.evidence_previous",
        ),
        Binding(
            "r",
            "recollect",
            "Re-collect",
            tooltip="Collect both peers again (live) or re-read the capture from disk",
            id="main.recollect",
        ),
        Binding(
            "c",
            "cancel",
            "Cancel",
            tooltip="Stop collecting after the running command; keep what was collected",
            id="main.cancel",
        ),
        Binding(
            "e",
            "notes",
            "Notes",
            tooltip="The operator's notes: kept for the evidence bundle (notes.md)",
            id="main.notes",
        ),
        Binding(
            "b",
            "export_bundle",
            "Bundle",
            tooltip="Export the evidence bundle (one zip for the ticket) of what is shown",
            id="main.bundle",
        ),
        Binding(
            "t",
            "paste_other_side",
            "Paste the other side",
            tooltip="Paste the other side: the missing peer's terminal transcript (partner, cloud)",
            show=False,
            id="main.paste",
        ),
        Binding(
            "o",
            "open",
            "Open",
            tooltip="Pick another tunnel, capture folder, bundle or demo scenario",
            id="main.open",
        ),
        Binding("escape", "back", "Back", show=False, id="main.back"),
    ]

    session: reactive[Session | None] = reactive(None, always_update=True)
    progress: reactive[tuple[PeerProgress | None, PeerProgress | None]] = reactive(
        (None, None), always_update=True
    )

    def __init__(
        self,
        source: Source,
        *,
        specs: Mapping[str, PlatformSpec] | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self._specs = specs  # platforms not shipped (tests), by peer name
        self._captures: list[PeerCapture | None] = [None, None]
        self._passwords: dict[tuple[str, str], str] = {}  # memory only, for re-collect
        self._collection_id = 0
        self._analysis_id = 0
        self._collector: Worker[None] | None = None
        self._collecting = False
        self._cancelling = False
        self._out_dir: Path | None = None
        self._finding: Finding | None = None
        self._row: Row | None = None
        self._choices = [0, 0]
        self._evidence_key: tuple[int, int, int] | None = None
        self.notes = ""  # the operator's notes: survive re-analyses, go into the bundle
        self._notes_adopted = False  # a bundle's notes were taken over once
        self._collection: CollectionResult | None = None  # the last live collection
        self._pasted: Path | None = None  # the capture folder written by the last paste
        self._paste_id = 0
        self._paste_hinted = False

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self.source.label, id="title-bar")
        yield DiagnosisBanner(id="banner")
        yield CollectionPanel(id="collection", classes="" if self.source.live else "-hidden")
        with Horizontal(id="body"):
            yield StepList(id="steps")
            with Vertical(id="detail"):
                yield FindingsTable(id="findings")
                yield Static("", id="row-explain")
                yield EvidencePane(id="evidence")
        # at 80 columns the new keys give way to help and quit (? and ctrl+p list them)
        yield CockpitFooter(optional=("notes", "export_bundle"))

    def on_mount(self) -> None:
        self.query_one("#steps", StepList).border_title = "Steps"
        self.query_one("#findings", FindingsTable).border_title = "Findings"
        self.query_one("#evidence", EvidencePane).border_title = "Evidence"
        self._set_title()
        self.action_recollect()

    # --- starting work ---------------------------------------------------------------------

    def action_recollect(self) -> None:
        """Load the source again: collect both peers (live) or re-read the capture."""
        if self._collecting:
            self.notify("a collection is running: cancel it first (c)", severity="warning")
            return
        if self.source.live:
            self._captures = [None, None]
            self._collection_id += 1
            self._collection = None
            self._pasted = None
            self._cancelling = False
            self._set_banner(waiting="looking up credentials…")
            self._look_up_credentials(self._collection_id)
        else:
            self._analysis_id += 1
            if self.session is None:
                self._set_banner(waiting="analysing…")
            self._load(self._analysis_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self, analysis_id: int) -> None:
        try:
            session = load(self.source, get_current_worker().cancelled_event)
        except Cancelled:
            return
        except Exception as exc:  # shown in the banner, never a traceback
            self.post_message(AnalysisFailed(_describe(exc), analysis_id))
        else:
            self.post_message(SessionAnalysed(session, analysis_id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="credentials")
    def _look_up_credentials(self, collection_id: int) -> None:
        assert self.source.tunnel is not None
        credentials = look_up_credentials(self.source.tunnel)
        self.post_message(CredentialsLookedUp(credentials, collection_id))

    def on_credentials_looked_up(self, message: CredentialsLookedUp) -> None:
        if message.generation != self._collection_id:
            return
        self._passwords.update(message.credentials.passwords)
        missing = [
            login
            for login in message.credentials.missing
            if (login.username, login.host) not in self._passwords
        ]
        if missing:
            self._ask_passwords(message.credentials, message.generation)
        else:
            self._start_collection(message.generation)

    @work(exclusive=True, group="passwords")
    async def _ask_passwords(self, credentials: Credentials, collection_id: int) -> None:
        from ipsec_tui.ui.screens.password import PasswordScreen

        for login in credentials.missing:
            if (login.username, login.host) in self._passwords:
                continue
            answer = await self.app.push_screen_wait(
                PasswordScreen(login, credentials.notes, credentials.keyring_problem)
            )
            if answer is None:
                self._set_banner(error=f"not collected: no password given for {login.account}")
                return
            self._passwords[(login.username, login.host)] = answer.password
            if answer.save:
                self._save_password(login.username, login.host, answer.password)
        self._start_collection(collection_id)

    @work(thread=True, exit_on_error=False, group="keyring")
    def _save_password(self, username: str, host: str, password: str) -> None:
        from ipsec_tui.ui.live import Login

        login = Login(username, host)
        problem = save_password(login, password)
        if problem is None:
            self.app.call_from_thread(
                self.notify, f"password of {login.account} saved in the keyring"
            )
        else:
            self.app.call_from_thread(
                self.notify,
                f"not saved: {problem}. It stays in memory for this session only.",
                severity="warning",
                timeout=10,
            )

    def _start_collection(self, collection_id: int) -> None:
        tunnel = self.source.tunnel
        assert tunnel is not None
        try:
            out_dir = new_collection_dir(self.source.path, tunnel.name)
        except OSError as exc:
            self._set_banner(error=f"cannot create a folder for the capture: {exc}")
            return
        self._out_dir = out_dir
        self._collecting = True
        self.progress = (
            PeerProgress(tunnel.peers[0].name, tunnel.peers[0].host),
            PeerProgress(tunnel.peers[1].name, tunnel.peers[1].host),
        )
        self.query_one("#collection").remove_class("-hidden")
        self._set_banner(waiting="collecting both peers…  (c cancels)")
        self._set_title()
        self.refresh_bindings()
        self._collector = self._collect(collection_id, out_dir)

    @work(thread=True, exclusive=True, exit_on_error=False, group="collect")
    def _collect(self, collection_id: int, out_dir: Path) -> None:
        tunnel = self.source.tunnel
        assert tunnel is not None
        worker = get_current_worker()
        lock = threading.Lock()
        states = {peer.name: PeerProgress(peer.name, peer.host) for peer in tunnel.peers}

        def on_progress(
            peer: str, index: int, total: int, command: str, event: ProgressEvent
        ) -> None:
            with lock:
                states[peer] = states[peer].advanced(index, total, command, event, time.monotonic())
                snapshot = states[peer]
            self.post_message(PeerProgressed(snapshot, collection_id))

        def on_capture(capture: PeerCapture) -> None:
            with lock:
                states[capture.name] = states[capture.name].with_capture(capture)
                snapshot = states[capture.name]
            self.post_message(PeerProgressed(snapshot, collection_id))
            self.post_message(PeerCollected(capture, collection_id))

        self.post_message(CollectionStarted(out_dir, collection_id))
        try:
            result = collect(
                tunnel,
                out_dir,
                passwords=self._passwords,
                on_progress=on_progress,
                on_capture=on_capture,
                cancel=worker.cancelled_event,  # the cancel key sets it; so does leaving
                specs=self._specs,
            )
        except Exception as exc:  # refused command, bad platform...: say it, no traceback
            self.post_message(CollectionFailed(_describe(exc), collection_id))
        else:
            self.post_message(CollectionFinished(result, collection_id))

    @work(thread=True, exit_on_error=False, group="analyse")
    def _analyse(
        self,
        captures: tuple[PeerCapture | None, PeerCapture | None],
        partial: bool,
        analysis_id: int,
    ) -> None:
        try:
            cancel = get_current_worker().cancelled_event
            session = analyse(self.source, captures, partial=partial, cancel=cancel)
        except Cancelled:
            return
        except Exception as exc:
            self.post_message(AnalysisFailed(_describe(exc), analysis_id))
        else:
            self.post_message(SessionAnalysed(session, analysis_id))

    # --- what workers report ---------------------------------------------------------------

    def on_session_analysed(self, message: SessionAnalysed) -> None:
        if message.generation == self._analysis_id:
            self.session = message.session
            self._adopt_notes(message.session)

    def _adopt_notes(self, session: Session) -> None:
        """A bundle's notes become the screen's notes once, and say so (e shows them)."""
        carried = session.info.notes
        if self._notes_adopted or not carried.strip():
            return
        self._notes_adopted = True
        if not self.notes.strip():
            self.notes = carried
        self._set_title()
        first = [line for line in carried.strip().splitlines() if line.strip()][:3]
        self.notify(
            "\n".join(first) + "\n(e shows all the notes)",
            title="the operator's notes in this bundle",
            timeout=12,
            markup=False,
        )

    def on_analysis_failed(self, message: AnalysisFailed) -> None:
        if message.generation == self._analysis_id:
            self._set_banner(error=message.error)

    def on_collection_started(self, message: CollectionStarted) -> None:
        if message.generation == self._collection_id:
            self._set_title()

    def on_peer_progressed(self, message: PeerProgressed) -> None:
        if message.generation != self._collection_id or self.source.tunnel is None:
            return
        names = [peer.name for peer in self.source.tunnel.peers]
        side = names.index(message.progress.name)
        current = list(self.progress)
        current[side] = message.progress
        self.progress = (current[0], current[1])

    def on_peer_collected(self, message: PeerCollected) -> None:
        if message.generation != self._collection_id or self.source.tunnel is None:
            return
        names = [peer.name for peer in self.source.tunnel.peers]
        self._captures[names.index(message.capture.name)] = message.capture
        waiting = any(capture is None for capture in self._captures)
        self._analysis_id += 1
        self._analyse((self._captures[0], self._captures[1]), waiting, self._analysis_id)

    def on_collection_finished(self, message: CollectionFinished) -> None:
        if message.generation != self._collection_id:
            return
        self._collection_done()
        result = message.result
        self._collection = result
        if result.cancelled:
            self.notify("collection cancelled: showing what was collected", severity="warning")
        elif result.failures:
            self.notify(
                "; ".join(result.failures)[:300],
                title="collected with problems",
                severity="warning",
            )
        else:
            self.notify(f"both peers collected into {result.out_dir}")

    def on_collection_failed(self, message: CollectionFailed) -> None:
        if message.generation != self._collection_id:
            return
        self._collection_done()
        self._set_banner(error=f"collection failed: {message.error}")

    def _collection_done(self) -> None:
        self._collecting = False
        self._cancelling = False
        self._collector = None
        self.refresh_bindings()
        if self.session is not None:
            self._set_banner()

    # --- rendering the snapshot ------------------------------------------------------------

    def watch_session(self, session: Session | None) -> None:
        if session is None:
            return
        self._set_title()
        self._set_banner()
        self.query_one("#steps", StepList).show_steps(session.analysis.steps)
        self._show_step()
        self.refresh_bindings()
        self._hint_paste(session)

    def _hint_paste(self, session: Session) -> None:
        """Once per screen: with one peer only, say that its other side can be pasted."""
        side = session.paste_side()
        if self._paste_hinted or side is None or session.partial or self._collecting:
            return
        self._paste_hinted = True
        shown = session.peer_names()[1 - side]
        self.notify(
            f"only {shown} is here: if the other side is a partner's or a cloud's, t pastes "
            "what their terminal showed",
            timeout=10,
            markup=False,
        )

    def watch_progress(self, progress: tuple[PeerProgress | None, PeerProgress | None]) -> None:
        panel = self.query_one("#collection", CollectionPanel)
        for side, snapshot in enumerate(progress):
            if snapshot is not None:
                panel.show(side, snapshot)

    def _set_title(self) -> None:
        text = Text()
        text.append("ipsec-tui ", style="bold")
        text.append(self.source.label)
        if self._out_dir is not None:
            text.append(f"  → {self._out_dir}", style="dim")
        if self.notes.strip():
            text.append("  ✎ notes", style="bold reverse")
        session = self.session
        if session is not None:
            text.append("   ")
            paste_side = None if self._collecting else session.paste_side()
            for index, peer in enumerate(session.peers):
                if index:
                    text.append(" ⇄ ")
                name = session.peer_names()[index]
                text.append(f"{'AB'[index]}: {name}", style="bold")
                if peer is not None:
                    detail = ", ".join(x for x in (peer.platform, peer.host) if x)
                    text.append(f" ({detail})", style="dim")
                if index == paste_side:
                    text.append(" (t: paste it)", style="italic")
        self.query_one("#title-bar", Static).update(text)

    def _set_banner(self, *, waiting: str = "", error: str = "") -> None:
        session = self.session
        if not waiting and self._collecting:
            pending = [p.name for p in self.progress if p is not None and not p.captured]
            waiting = f"collecting {', '.join(pending)}…" if pending else "collecting…"
        if self._cancelling and self._collecting:
            waiting = "cancelling: waiting for the running command to end…"
        diagnosis = session.analysis.diagnosis if session is not None else None
        self.query_one("#banner", DiagnosisBanner).state = BannerState(diagnosis, waiting, error)

    def _show_step(self) -> None:
        session = self.session
        steps = self.query_one("#steps", StepList)
        option = steps.highlighted_option
        step = None
        if session is not None and option is not None:
            step = next((s for s in session.analysis.steps if s.id == option.id), None)
        names = session.peer_names() if session else ("peer A", "peer B")
        table = self.query_one("#findings", FindingsTable)
        table.view = FindingsView(step, names)
        if step is not None:
            table.border_title = f"{step.title}"

    @on(OptionList.OptionHighlighted, "#steps")
    def _step_highlighted(self) -> None:
        self._show_step()

    @on(OptionList.OptionSelected, "#steps")
    def _step_selected(self) -> None:
        self.query_one("#findings", FindingsTable).focus()

    @on(FindingsTable.RowHighlighted)
    def _row_highlighted(self, message: FindingsTable.RowHighlighted) -> None:
        if message.finding is not self._finding:
            self._choices = [0, 0]
        self._finding, self._row = message.finding, message.row
        self._show_row_explain()
        self._show_evidence()

    @on(FindingsTable.RowSelected)
    def _row_selected(self, message: FindingsTable.RowSelected) -> None:
        self.query_one("#detail").remove_class("-no-evidence")
        self.query_one("#evidence-text-a").focus()

    def _show_row_explain(self) -> None:
        finding, row = self._finding, self._row
        text = Text(overflow="ellipsis", no_wrap=True)
        session = self.session
        if finding is not None and session is not None:
            if row is not None:
                text.append(explain_row(row, session.peer_names()))
            else:
                text.append(finding.title, style="bold")
            if finding.next_action and finding.status != Status.PASS:
                text.append("\n→ ", style="bold")
                text.append(finding.next_action)
            text.append("   (x explains)", style="dim")
        self.query_one("#row-explain", Static).update(text)

    def _show_evidence(self) -> None:
        session = self.session
        if session is None:
            return
        key = (id(self._finding), self._choices[0], self._choices[1])
        if key == self._evidence_key:
            return
        self._evidence_key = key
        docs: list[EvidenceDoc] = []
        for side, name in enumerate(session.peer_names()):
            capture = session.capture_of(name)
            model = session.peers[side]
            log_file = model.log_file if model is not None else None
            docs.append(evidence_doc(self._finding, name, capture, self._choices[side], log_file))
        self.query_one("#evidence", EvidencePane).show(docs[0], docs[1])

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self._collecting
        if action == "export_bundle":
            return True if self.session is not None and not self._collecting else None
        if action == "paste_other_side":  # hidden unless one side is missing
            session = self.session
            return not self._collecting and session is not None and session.paste_side() is not None
        if action == "recollect":
            return not self._collecting if self.source.live else self.source.kind == "capture"
        if action in (
            "explain",
            "diagnosis",
            "log",
            "next_problem",
            "toggle_evidence",
            "evidence_choice",
        ):
            return True if self.session is not None else None
        return True

    def action_cancel(self) -> None:
        if self._collector is None or not self._collecting:
            return
        self._cancelling = True
        # the worker's own event: collect_tunnel checks it between commands
        self._collector.cancelled_event.set()
        self._set_banner()
        self.notify("cancelling: the running command ends first", timeout=3)

    def action_log(self) -> None:
        from ipsec_tui.ui.screens.log import LogScreen

        if self.session is not None:
            self.app.push_screen(LogScreen(self.session))

    def action_explain(self) -> None:
        from ipsec_tui.ui.screens.explain import DetailScreen, explanation

        if self.session is None or self._finding is None:
            self.notify("select a finding or a row first", severity="warning")
            return
        text = explanation(self._finding, self._row, self.session.peer_names())
        self.app.push_screen(DetailScreen("Explain", text))

    def action_diagnosis(self) -> None:
        from ipsec_tui.ui.screens.explain import DetailScreen, diagnosis_details

        if self.session is not None:
            details = diagnosis_details(self.session.analysis.diagnosis)
            self.app.push_screen(DetailScreen("Diagnosis", details))

    def action_zoom(self) -> None:
        """Give the focused pane the whole screen, or give it back."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is None:
            return
        target = (
            self.query_one("#evidence")
            if focused.id and focused.id.startswith("evidence-text")
            else focused
        )
        self.maximize(target, container=False)

    def action_toggle_evidence(self) -> None:
        detail = self.query_one("#detail")
        detail.toggle_class("-no-evidence")
        if (
            detail.has_class("-no-evidence")
            and self.focused
            and self.focused.id
            and (self.focused.id.startswith("evidence-text"))
        ):
            self.query_one("#findings").focus()

    def action_next_problem(self, direction: int) -> None:
        session = self.session
        if session is None:
            return
        table = self.query_one("#findings", FindingsTable)
        if table.next_problem(direction):
            table.focus()
            return
        # none left in this step: the next step that has one
        steps = self.query_one("#steps", StepList)
        order = list(session.analysis.steps)
        start = steps.highlighted or 0
        for offset in range(1, len(order)):
            index = start + direction * offset
            if not 0 <= index < len(order):
                break
            if any(f.status != Status.PASS for f in order[index].findings):
                steps.highlighted = index
                self._show_step()
                if direction < 0:
                    table.action_edge(1)
                    table.next_problem(-1)
                table.focus()
                return
        self.notify("no more problems in that direction", timeout=2)

    def action_evidence_choice(self, delta: int) -> None:
        focused = self.focused
        side = 1 if focused is not None and focused.id == "evidence-text-b" else 0
        self._choices[side] += delta
        self._show_evidence()

    def action_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is not None and focused.id and focused.id.startswith("evidence-text"):
            self.query_one("#findings").focus()
        elif focused is not None and focused.id == "findings":
            self.query_one("#steps").focus()

    # --- notes, the evidence bundle, the other side pasted ---------------------------------

    def action_notes(self) -> None:
        from ipsec_tui.ui.screens.notes import NotesScreen

        def edited(notes: str | None) -> None:
            if notes is not None and notes != self.notes:
                self.notes = notes
                self._set_title()
                self.notify("notes kept: b exports them with the bundle", timeout=3)

        origin = ""
        if self.session is not None and self.session.info.origin and self._notes_adopted:
            origin = f"from the bundle ({self.session.info.origin})"
        self.app.push_screen(NotesScreen(self.notes, origin), edited)

    def action_export_bundle(self) -> None:
        from ipsec_tui.ui.screens.dialogs import PathScreen

        session = self.session
        if session is None or self._collecting:
            self.notify("nothing to export yet: wait for the collection", severity="warning")
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._export(self._export_request(session, path))

        default = default_bundle_path(session.info.tunnel)
        self.app.push_screen(
            PathScreen(
                "Export the evidence bundle",
                "Write the bundle (capture, analysis, report, notes) to:",
                "new",
                f"./{default}",
                ok_label="Export",
            ),
            chosen,
        )

    def _export_request(self, session: Session, out: Path) -> ExportRequest:
        collection = self._collection
        as_collected = (
            collection is not None and self._pasted is None and self._out_dir == collection.out_dir
        )
        return ExportRequest(
            out=out,
            captures=tuple(c for c in session.captures if c is not None),
            info=session.info,
            notes=self.notes,
            passwords=tuple(dict.fromkeys(self._passwords.values())),
            collection=collection if self.source.live else None,
            as_collected=as_collected,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _export(self, request: ExportRequest) -> None:
        try:
            written = export_bundle(request)
        except Exception as exc:  # the writer's refusal, a full disk: a message, no traceback
            self.post_message(ExportFailed(_describe(exc)))
        else:
            diagnosis = written.analysis.diagnosis
            cause = diagnosis.cause + (f" on {diagnosis.side}" if diagnosis.side else "")
            self.post_message(BundleExported(written.path, len(written.manifest.files), cause))

    def on_bundle_exported(self, message: BundleExported) -> None:
        self.notify(
            f"{message.path}\n{message.files} files; diagnosis: {message.diagnosis}",
            title="bundle written",
            timeout=10,
            markup=False,
        )

    def on_export_failed(self, message: ExportFailed) -> None:
        self.notify(
            message.error, title="bundle not written", severity="error", timeout=20, markup=False
        )

    def action_paste_other_side(self) -> None:
        self._ask_paste()

    def _ask_paste(self, transcript: Transcript | None = None, error: str = "") -> None:
        """The paste dialog: empty, or again with what was pasted and why it failed."""
        from ipsec_tui.platforms import available_platforms
        from ipsec_tui.ui.screens.paste import PasteScreen

        session = self.session
        side = session.paste_side() if session is not None else None
        if session is None or side is None or self._collecting:
            self.notify("both peers are here: nothing to paste", severity="warning")
            return
        kept = session.captures[1 - side]
        assert kept is not None
        if transcript is None:
            transcript = Transcript("", *self._paste_defaults(session, side, kept.platform))

        def pasted(answer: Transcript | None) -> None:
            if answer is not None:
                self._paste_id += 1
                self._analysis_id += 1
                base = self.source.path if self.source.live else self._work_dir()
                request = PasteRequest(answer, kept, side, session.info, base)
                self._set_banner(waiting=f"importing the pasted side as peer {'AB'[side]}…")
                self._paste(request, self._paste_id, self._analysis_id)

        platforms = available_platforms()
        screen = PasteScreen(platforms, side="AB"[side], transcript=transcript, error=error)
        self.app.push_screen(screen, pasted)

    def _paste_defaults(self, session: Session, side: int, kept_platform: str) -> tuple[str, str]:
        """(platform, peer name) the dialog starts with: the missing peer's, where known."""
        tunnel = self.source.tunnel
        if tunnel is not None:
            peer = tunnel.peers[side]
            return peer.platform, peer.name
        missing = session.captures[side]
        if missing is not None:  # failed before printing anything: its name and platform
            return missing.platform, missing.name
        return kept_platform, ""

    def _work_dir(self) -> Path | None:
        from ipsec_tui.ui.app import CockpitApp

        return self.app.start_out_dir if isinstance(self.app, CockpitApp) else None

    @work(thread=True, exclusive=True, exit_on_error=False, group="paste")
    def _paste(self, request: PasteRequest, paste_id: int, analysis_id: int) -> None:
        try:
            pasted = paste_other_side(request)
            source = self.source if self.source.live else pasted_source(pasted.folder, pasted.peer)
            cancel = get_current_worker().cancelled_event
            session = analyse(source, pasted.captures, cancel=cancel, info=request.info)
        except Cancelled:
            return
        except Exception as exc:  # no command found, a name clash, a secret left: say it
            self.post_message(PasteFailed(_describe(exc), request.transcript, paste_id))
        else:
            self.post_message(
                OtherSidePasted(session, pasted.folder, pasted.peer, pasted.warnings, analysis_id)
            )

    def on_other_side_pasted(self, message: OtherSidePasted) -> None:
        if message.generation != self._analysis_id:
            return
        self._pasted = message.folder
        if self.source.live:
            self._out_dir = message.folder
        else:
            self.source = message.session.source
        self.session = message.session
        warnings = message.warnings
        lines = [f"written with the other peer into {message.folder}"]
        lines += [f"• {warning}" for warning in warnings[:6]]
        if len(warnings) > 6:
            lines.append(f"(+{len(warnings) - 6} more)")
        self.notify(
            "\n".join(lines),
            title=f"{message.peer} pasted" + (f": {len(warnings)} warning(s)" if warnings else ""),
            severity="warning" if warnings else "information",
            timeout=20 if warnings else 8,
            markup=False,
        )

    def on_paste_failed(self, message: PasteFailed) -> None:
        if message.generation != self._paste_id:
            return
        self._set_banner()
        # the dialog again, with what was pasted and why it did not import
        self._ask_paste(message.transcript, message.error)

    def action_open(self) -> None:
        from ipsec_tui.ui.app import CockpitApp

        if isinstance(self.app, CockpitApp):
            self.app.open_start()

    # --- the command palette ---------------------------------------------------------------

    def palette_commands(self) -> Iterator[PaletteCommand]:
        session = self.session
        if session is None:
            return
        if not self._collecting:  # found by "export" too, not only by its key's name
            yield PaletteCommand(
                "Export the evidence bundle",
                "one zip for the ticket: capture, analysis, report, notes  [b]",
                self.action_export_bundle,
            )
        steps = self.query_one("#steps", StepList)
        for index, step in enumerate(session.analysis.steps):

            def go(index: int = index) -> None:
                steps.highlighted = index
                self.query_one("#findings").focus()

            yield PaletteCommand(f"Go to step: {step.title}", f"status {step.status.value}", go)
