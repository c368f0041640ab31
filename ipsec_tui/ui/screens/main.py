"""The cockpit: diagnosis banner, ordered steps, the selected step's comparison table and the
evidence behind the selected row, for both peers.

The screen holds one frozen `CockpitState` in a reactive and replaces it when a key is pressed
or a worker reports; `watch_state` updates the widgets in place. It loads and analyses
captures itself; a live collection (ui/collecting.py), the bundle export (ui/exporting.py) and
the pasted other side (ui/pasting.py) run in their own modules and report in messages. The
operator's notes live in the state, across re-analyses."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, ScreenStackError
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.worker import get_current_worker

from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.model import Finding, Row, Status
from ipsec_tui.platforms import PlatformSpec
from ipsec_tui.ui.collecting import LiveCollection
from ipsec_tui.ui.evidence import evidence_doc, explain_row
from ipsec_tui.ui.exporting import ask_bundle_path, export_request, start_export
from ipsec_tui.ui.messages import (
    AnalysisFailed,
    BundleExported,
    CollectionFailed,
    CollectionFinished,
    CollectionStarted,
    ExportFailed,
    OtherSidePasted,
    PasswordSaved,
    PasteFailed,
    PeerCollected,
    PeerProgressed,
    SessionAnalysed,
    describe,
)
from ipsec_tui.ui.offload import Cancelled
from ipsec_tui.ui.palette import PaletteCommand
from ipsec_tui.ui.pasting import ask_transcript, blank_transcript, start_paste
from ipsec_tui.ui.screens.steady import SteadyScreen
from ipsec_tui.ui.session import (
    PasteRequest,
    Session,
    Source,
    Transcript,
    analyse,
    load,
    take_prefetched,
)
from ipsec_tui.ui.state import CockpitState
from ipsec_tui.ui.widgets.banner import BannerState, DiagnosisBanner
from ipsec_tui.ui.widgets.evidence_pane import EvidencePane
from ipsec_tui.ui.widgets.findings import FindingsTable, FindingsView
from ipsec_tui.ui.widgets.footer import CockpitFooter
from ipsec_tui.ui.widgets.progress import CollectionPanel
from ipsec_tui.ui.widgets.steps import StepList

if TYPE_CHECKING:
    from ipsec_tui.ui.screens.log import LogScreen

# the reactive's placeholder until __init__ puts the screen's own state in (never shown)
_NOTHING = CockpitState(Source("capture", ""))


class MainScreen(SteadyScreen[None]):
    """One tunnel's diagnosis, from a demo scenario, a capture folder or a live collection."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "log", "Log", tooltip="Both peers' IKE logs on one time line", id="main.log"),
        Binding(
            "i",
            "ladder",
            "Ladder",
            tooltip="The IKE exchange ladder: both peers' messages as arrows, in order",
            show=False,
            id="main.ladder",
        ),
        Binding(
            "P",
            "probe",
            "Probe",
            tooltip="Path test: ping through the tunnel both ways, counters side by side",
            show=False,
            id="main.probe",
        ),
        Binding(
            "w",
            "watch",
            "Watch",
            tooltip="Watch the tunnel over time: rekeys, drops, bytes/s per child SA",
            show=False,
            id="main.watch",
        ),
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

    # no repaint of the whole screen when the state changes: watch_state redraws only the
    # widgets whose part changed (over a slow link a progress tick is a few lines, not a screen)
    state: reactive[CockpitState] = reactive(
        _NOTHING, always_update=True, init=False, repaint=False
    )

    def __init__(
        self,
        source: Source,
        *,
        specs: Mapping[str, PlatformSpec] | None = None,
    ) -> None:
        super().__init__()
        self.set_reactive(MainScreen.state, CockpitState(source))
        self._log_screen: LogScreen | None = None  # the log view of the session shown
        self._frozen = False  # a session shown was frozen (gc.freeze): thawed on unmount
        tunnel = source.tunnel
        # a live tunnel's collections (and the passwords typed for them, in memory only)
        self.live = (
            LiveCollection(self, tunnel, source.path, specs)
            if source.live and tunnel is not None
            else None
        )

    @property
    def source(self) -> Source:
        return self.state.source

    @property
    def session(self) -> Session | None:
        return self.state.session

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
        self._show_state(None, self.state)
        self.action_recollect()

    # --- starting work ---------------------------------------------------------------------

    def action_recollect(self) -> None:
        """Load the source again: collect both peers (live) or re-read the capture."""
        state = self.state
        if state.collecting:
            self.notify("a collection is running: cancel it first (c)", severity="warning")
            return
        if self.live is not None:
            self.state = replace(
                state.waiting("looking up credentials…"),
                collection_id=state.collection_id + 1,
                captures=(None, None),
                collection=None,
                pasted=None,
                cancelling=False,
            )
            self.live.start(self.state.collection_id)
        else:
            waiting = state.waiting("analysing…") if state.session is None else state
            self.state = replace(waiting, analysis_id=state.analysis_id + 1)
            self._load(state.source, self.state.analysis_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self, source: Source, analysis_id: int) -> None:
        cancel = get_current_worker().cancelled_event
        try:
            session = take_prefetched(source, cancel)  # what the start began loading
            if session is None:
                session = load(source, cancel)
        except Cancelled:
            return
        except Exception as exc:  # shown in the banner, never a traceback
            self.post_message(AnalysisFailed(describe(exc), analysis_id))
        else:
            self.post_message(SessionAnalysed(session, analysis_id))

    @work(thread=True, exit_on_error=False, group="analyse")
    def _analyse(
        self,
        source: Source,
        captures: tuple[PeerCapture | None, PeerCapture | None],
        partial: bool,
        analysis_id: int,
    ) -> None:
        try:
            cancel = get_current_worker().cancelled_event
            session = analyse(source, captures, partial=partial, cancel=cancel)
        except Cancelled:
            return
        except Exception as exc:
            self.post_message(AnalysisFailed(describe(exc), analysis_id))
        else:
            self.post_message(SessionAnalysed(session, analysis_id))

    # --- what workers report ---------------------------------------------------------------

    def on_session_analysed(self, message: SessionAnalysed) -> None:
        state = self.state
        if message.generation != state.analysis_id:
            return
        session = message.session
        self.state = state.showing(session).hinting_paste().adopting_notes(session)
        side = session.paste_side()
        if self.state.paste_hinted and not state.paste_hinted and side is not None:
            shown = session.peer_names()[1 - side]
            self.notify(
                f"only {shown} is here: if the other side is a partner's or a cloud's, t pastes "
                "what their terminal showed",
                timeout=10,
                markup=False,
            )
        if self.state.notes_adopted and not state.notes_adopted:
            carried = session.info.notes
            first = [line for line in carried.strip().splitlines() if line.strip()][:3]
            self.notify(
                "\n".join(first) + "\n(e shows all the notes)",
                title="the operator's notes in this bundle",
                timeout=12,
                markup=False,
            )

    def on_analysis_failed(self, message: AnalysisFailed) -> None:
        if message.generation == self.state.analysis_id:
            self.state = self.state.failed(message.error)

    def on_collection_started(self, message: CollectionStarted) -> None:
        if message.generation == self.state.collection_id:
            self.state = self.state.collection_started(message.out_dir, message.progress)

    def on_peer_progressed(self, message: PeerProgressed) -> None:
        if message.generation == self.state.collection_id:
            self.state = self.state.progressed(message.progress)

    def on_peer_collected(self, message: PeerCollected) -> None:
        if message.generation != self.state.collection_id:
            return
        state = self.state.collected(message.capture)
        self.state = replace(state, analysis_id=state.analysis_id + 1)
        waiting = any(capture is None for capture in state.captures)
        self._analyse(state.source, state.captures, waiting, self.state.analysis_id)

    def on_collection_finished(self, message: CollectionFinished) -> None:
        if message.generation != self.state.collection_id:
            return
        result = message.result
        self.state = replace(self.state.collection_ended(), collection=result)
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
        if message.generation == self.state.collection_id:
            self.state = self.state.collection_ended().failed(message.error)

    def on_password_saved(self, message: PasswordSaved) -> None:
        if message.problem is None:
            self.notify(f"password of {message.account} saved in the keyring")
        else:
            self.notify(
                f"not saved: {message.problem}. It stays in memory for this session only.",
                severity="warning",
                timeout=10,
            )

    # --- rendering the state ---------------------------------------------------------------

    def watch_state(self, old: CockpitState, new: CockpitState) -> None:
        self._show_state(old, new)

    def _show_state(self, old: CockpitState | None, new: CockpitState) -> None:
        """Update the widgets whose part of the state changed (all of them when `old` is None)."""
        title = self._title(new)
        if old is None or title != self._title(old):  # one line: no layout pass
            self.query_one("#title-bar", Static).update(title, layout=False)
        banner = self._banner(new)
        if old is None or banner != self._banner(old):
            self.query_one("#banner", DiagnosisBanner).state = banner
        if old is None or new.progress is not old.progress:
            panel = self.query_one("#collection", CollectionPanel)
            for side, snapshot in enumerate(new.progress):
                # only the side that moved is redrawn
                if snapshot is not None and (old is None or snapshot is not old.progress[side]):
                    panel.show(side, snapshot)
        session = new.session
        if session is not None and (old is None or session is not old.session):
            self.query_one("#steps", StepList).show_steps(session.analysis.steps)
            self._show_step()
            self._freeze_session(replaced=old is not None and old.session is not None)
        if old is None or session is not old.session or new.collecting != old.collecting:
            self.refresh_bindings()
        if old is not None and not new.selection.same_row(old.selection):
            self._show_row_explain()
        if old is not None and not new.selection.same_evidence(old.selection):
            self._show_evidence()

    @staticmethod
    def _title(state: CockpitState) -> Text:
        text = Text()
        text.append("ipsec-tui ", style="bold")
        text.append(state.source.label)
        if state.out_dir is not None:
            text.append(f"  → {state.out_dir}", style="dim")
        if state.notes.strip():
            text.append("  ✎ notes", style="bold reverse")
        session = state.session
        if session is not None:
            text.append("   ")
            # no hint while more peers may come in
            paste_side = None if session.partial else state.paste_side
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
        return text

    @staticmethod
    def _banner(state: CockpitState) -> BannerState:
        session = state.session
        diagnosis = session.analysis.diagnosis if session is not None else None
        return BannerState(diagnosis, state.banner_waiting(), state.error)

    def _freeze_session(self, replaced: bool) -> None:
        """A session lives long and is big (thousands of SAs): out of the collector's full
        passes, which otherwise walk it all again while a key waits for its frame. A session
        that replaces another first lets the old one go: back to the collector (nothing holds
        the old one once this update has returned). Either way one pass follows the screen's
        frame and freezes what is left: without it, the first full pass came due while the
        first log view or dialog was built and walked everything made since the load there
        (17-23 ms of a first `l` at 2,000 child SAs per peer; about half after this pass)."""
        self._frozen = True
        if not replaced:
            gc.freeze()
        else:
            gc.unfreeze()

        def collect_and_freeze() -> None:
            gc.collect()
            if self._frozen:  # not when the screen went meanwhile
                gc.freeze()

        self.call_after_refresh(collect_and_freeze)

    def _show_step(self) -> None:
        session = self.session
        steps = self.query_one("#steps", StepList)
        option = steps.highlighted_option
        step = None
        if session is not None and option is not None:
            step = next((s for s in session.analysis.steps if s.id == option.id), None)
        names = session.peer_names() if session else ("peer A", "peer B")
        table = self.query_one("#findings", FindingsTable)
        shown = table.view
        if shown is not None and shown.step is step and shown.names == names:
            return  # already shown (a new session shows its step, then the list says so)
        table.view = FindingsView(step, names)
        if step is not None:
            table.border_title = f"{step.title}"
        # the row and evidence follow now, in the same frame as the table (the table's own
        # RowHighlighted comes later and finds them in place)
        self._select(*table.current())

    @on(OptionList.OptionHighlighted, "#steps")
    def _step_highlighted(self) -> None:
        self._show_step()

    @on(OptionList.OptionSelected, "#steps")
    def _step_selected(self) -> None:
        self.query_one("#findings", FindingsTable).focus()

    @on(FindingsTable.RowHighlighted)
    def _row_highlighted(self, message: FindingsTable.RowHighlighted) -> None:
        self._select(message.finding, message.row)

    def _select(self, finding: Finding | None, row: Row | None) -> None:
        selection = self.state.selection
        if selection.highlighted and finding is selection.finding and row is selection.row:
            return
        self.state = replace(self.state, selection=selection.moved_to(finding, row))

    @on(FindingsTable.RowSelected)
    def _row_selected(self, message: FindingsTable.RowSelected) -> None:
        self.query_one("#detail").remove_class("-no-evidence")
        self.query_one("#evidence-text-a").focus()

    def _show_row_explain(self) -> None:
        selection = self.state.selection
        finding, row = selection.finding, selection.row
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
        self.query_one("#row-explain", Static).update(text, layout=False)  # 2 lines, fixed

    def _show_evidence(self) -> None:
        session = self.session
        if session is None:
            return
        selection = self.state.selection
        a, b = (
            evidence_doc(
                selection.finding,
                name,
                session.capture_of(name),
                selection.choices[side],
                model.log_file if (model := session.peers[side]) is not None else None,
            )
            for side, name in enumerate(session.peer_names())
        )
        self.query_one("#evidence", EvidencePane).show(a, b)

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.state
        if action == "cancel":
            return state.collecting
        if action == "export_bundle":
            return True if state.session is not None and not state.collecting else None
        if action == "paste_other_side":  # hidden unless one side is missing
            return state.paste_side is not None
        if action == "recollect":
            return not state.collecting if state.source.live else state.source.kind == "capture"
        if action in (
            "explain",
            "diagnosis",
            "log",
            "ladder",
            "watch",
            "next_problem",
            "toggle_evidence",
            "evidence_choice",
        ):
            return True if self.session is not None else None
        return True

    def action_cancel(self) -> None:
        if self.live is None or not self.state.collecting or not self.live.cancel():
            return
        self.state = replace(self.state, cancelling=True)
        self.notify("cancelling: the running command ends first", timeout=3)

    def action_log(self) -> None:
        """The merged log; the same view again while the session is the same (built once,
        it keeps its filter and line between opens), a new one for a new session."""
        from ipsec_tui.ui.screens.log import LogScreen

        session = self.session
        if session is None:
            return
        log = self._log_screen
        if log is None or log.session is not session:
            self._drop_log_screen()
            log = LogScreen(session)
            self.app.install_screen(log, f"log-{id(self)}")  # kept when it is closed
            self._log_screen = log
        self.app.push_screen(log)

    def _drop_log_screen(self) -> None:
        log, self._log_screen = self._log_screen, None
        if log is not None:
            self.app.uninstall_screen(log)
            if log.is_attached:
                log.remove()

    def on_unmount(self) -> None:
        with contextlib.suppress(ScreenStackError):  # the app is ending: it uninstalls all
            self._drop_log_screen()
        self._thaw()

    def _thaw(self) -> None:
        """The screen goes (o, or the app ends): what its session froze goes back to the
        collector, else each cockpit run in a process (tests, a fleet opening tunnels) would
        keep its screen and session forever. The freeze is process-wide, so another cockpit's
        session thaws too: it is only walked by the collector again, still correct. The
        screen's garbage is collected once it is gone (one pass now, on the way out), not by
        the collector's next full pass, which could fall in the middle of a later key."""
        if self._frozen:
            self._frozen = False
            gc.unfreeze()
            self.app.call_later(gc.collect)  # after this screen's removal; no-op at exit

    def action_ladder(self) -> None:
        from ipsec_tui.ui.screens.ladder import LadderScreen

        if self.session is not None:
            self.app.push_screen(LadderScreen(self.session))

    def action_probe(self) -> None:
        from ipsec_tui.probe_run import has_probe
        from ipsec_tui.ui.screens.probe import ProbeRequest, ProbeScreen

        if self.session is None:
            return
        source = self.session.source
        if source.live and source.tunnel is not None:
            logins = self.live.logins if self.live is not None else {}
            request = ProbeRequest(tunnel=source.tunnel, logins=logins, base=source.path)
        elif self.state.out_dir is not None and has_probe(self.state.out_dir):
            request = ProbeRequest(folder=self.state.out_dir)
        elif source.path is not None and source.path.is_dir() and has_probe(source.path):
            request = ProbeRequest(folder=source.path)
        else:
            request = ProbeRequest()
        self.app.push_screen(ProbeScreen(request))

    def action_watch(self) -> None:
        from ipsec_tui.ui.screens.watch import WatchScreen, cockpit_plan

        if self.session is not None:
            logins = self.live.logins if self.live is not None else {}
            self.app.push_screen(WatchScreen(cockpit_plan(self.session, logins)))

    def action_explain(self) -> None:
        from ipsec_tui.ui.screens.explain import explanation, show_detail

        selection = self.state.selection
        if self.session is None or selection.finding is None:
            self.notify("select a finding or a row first", severity="warning")
            return
        text = explanation(selection.finding, selection.row, self.session.peer_names())
        show_detail(self.app, "Explain", text)

    def action_diagnosis(self) -> None:
        from ipsec_tui.ui.screens.explain import diagnosis_details, show_detail

        if self.session is not None:
            details = diagnosis_details(self.session.analysis.diagnosis)
            show_detail(self.app, "Diagnosis", details)

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
        self.state = replace(self.state, selection=self.state.selection.paged(side, delta))

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
            if notes is not None and notes != self.state.notes:
                self.state = replace(self.state, notes=notes)
                self.notify("notes kept: b exports them with the bundle", timeout=3)

        state = self.state
        origin = ""
        if state.session is not None and state.session.info.origin and state.notes_adopted:
            origin = f"from the bundle ({state.session.info.origin})"
        self.app.push_screen(NotesScreen(state.notes, origin), edited)

    def action_export_bundle(self) -> None:
        session = self.session
        if session is None or self.state.collecting:
            self.notify("nothing to export yet: wait for the collection", severity="warning")
            return

        def chosen(out: Path) -> None:
            passwords = self.live.passwords if self.live is not None else ()
            start_export(self, export_request(self.state, session, out, passwords))

        ask_bundle_path(self, session.info.tunnel, chosen)

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
        state = self.state
        session, side = state.session, state.paste_side
        if session is None or side is None:
            self.notify("both peers are here: nothing to paste", severity="warning")
            return
        kept = session.captures[1 - side]
        assert kept is not None  # paste_side: the other side printed something

        def pasted(answer: Transcript) -> None:
            current = self.state
            base = current.source.path if current.source.live else self._work_dir()
            request = PasteRequest(answer, kept, side, session.info, base)
            self.state = replace(
                current.waiting(f"importing the pasted side as peer {'AB'[side]}…"),
                paste_id=current.paste_id + 1,
                analysis_id=current.analysis_id + 1,
            )
            start_paste(self, request, current.source, self.state.paste_id, self.state.analysis_id)

        if transcript is None:
            transcript = blank_transcript(state.source, session, side)
        ask_transcript(self, side, transcript, error, pasted)

    def _work_dir(self) -> Path | None:
        from ipsec_tui.ui.app import CockpitApp

        return self.app.start_out_dir if isinstance(self.app, CockpitApp) else None

    def on_other_side_pasted(self, message: OtherSidePasted) -> None:
        state = self.state
        if message.generation != state.analysis_id:
            return
        if state.source.live:  # r still collects both peers
            state = replace(state, out_dir=message.folder)
        else:
            state = replace(state, source=message.session.source)
        self.state = replace(state, pasted=message.folder).showing(message.session)
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
        if message.generation != self.state.paste_id:
            return
        self.state = self.state.waiting("")
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
        if not self.state.collecting:  # found by "export" too, not only by its key's name
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
