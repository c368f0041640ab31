"""The cockpit driven by keys (App.run_test + Pilot) on the embedded demo captures."""

from __future__ import annotations

import asyncio
import gc
import weakref
from dataclasses import replace
from pathlib import Path

from pytest import MonkeyPatch
from textual.widgets import Input, OptionList
from textual.widgets._footer import FooterKey

from ipsec_tui.demo import demo_scenarios
from ipsec_tui.domain.model import Status
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.help import HelpScreen, KeysTable
from ipsec_tui.ui.screens.log import LogScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.screens.start import StartScreen
from ipsec_tui.ui.session import StartRequest
from ipsec_tui.ui.widgets.banner import DiagnosisBanner
from ipsec_tui.ui.widgets.findings import FindingsTable, FindingsView
from ipsec_tui.ui.widgets.footer import CockpitFooter
from ipsec_tui.ui.widgets.log_lines import LogLines
from ipsec_tui.ui.widgets.steps import StepList
from ipsec_tui.ui.widgets.text_lines import TextLines
from tests.conftest import EXPERT_STEPS

from .driving import (
    detail_opened,
    from_palette,
    on_top,
    psk_cockpit,
    session_shown,
    wait_for,
)

STEP_IDS = EXPERT_STEPS


def showing(app: CockpitApp) -> object:
    """The screen on top (typed loosely: the tests compare it across pushes and pops)."""
    return app.screen


def focused(screen: LogScreen) -> object:
    return screen.focused


async def test_demo_picker_lists_the_healthy_scenario_first_and_opens_one() -> None:
    app = CockpitApp(StartRequest())
    async with app.run_test(size=(100, 32)) as pilot:
        assert isinstance(app.screen, StartScreen)
        sources = app.screen.query_one("#sources", OptionList)
        enabled = [o.id for o in sources.options if not o.disabled]
        assert enabled[0] == "demo:strongswan-baseline"
        assert sources.highlighted_option is not None
        assert sources.highlighted_option.id == "demo:strongswan-baseline"
        names = [s.name for s in demo_scenarios()]
        for _ in range(names.index("strongswan-psk")):
            await pilot.press("down")
        assert sources.highlighted_option.id == "demo:strongswan-psk"
        await pilot.press("enter")
        screen = await session_shown(pilot)
        diagnosis = screen.session.analysis.diagnosis if screen.session else None
        assert diagnosis is not None
        assert (diagnosis.cause, diagnosis.side) == ("psk-mismatch", "siteB")
        banner = screen.query_one(DiagnosisBanner)
        assert banner.state.diagnosis == diagnosis
        assert banner.has_class("problem")
        # o goes back to the picker, which still holds the list
        await pilot.press("o")
        assert isinstance(app.screen, StartScreen)


async def test_moving_through_the_steps_shows_each_steps_findings() -> None:
    async with psk_cockpit() as (_app, pilot, screen):
        steps = screen.query_one(StepList)
        table = screen.query_one(FindingsTable)
        assert [o.id for o in steps.options] == STEP_IDS
        # it opens on the first failing step, its first problem under the cursor
        assert steps.highlighted_option is not None
        assert steps.highlighted_option.id == "negotiation"
        finding, row = table.current()
        assert finding is not None and finding.status != Status.PASS and row is None
        steps.focus()
        await pilot.press("home")
        seen = []
        for _ in STEP_IDS:
            assert table.view is not None and table.view.step is not None
            seen.append(table.view.step.id)
            await pilot.press("down")
        assert seen == STEP_IDS
        # n jumps from problem to problem, across steps
        await pilot.press("home", "n")
        assert screen.focused is table
        first, _ = table.current()
        assert first is not None and first.status != Status.PASS
        visited = set()
        for _ in range(6):
            await pilot.press("n")
            current, _ = table.current()
            assert current is not None and current.status != Status.PASS
            visited.add(current.check_id)
        assert "identity.psk" in visited


async def test_a_step_is_shown_once_with_its_row_and_evidence(monkeypatch: MonkeyPatch) -> None:
    """Opening a session and moving to a step fill the table once, and the row's evidence
    is there in the same pass (not after a later message, as another frame)."""
    shown: list[str] = []
    watch_view = FindingsTable.watch_view

    def counted(table: FindingsTable, view: FindingsView | None) -> None:
        shown.append(view.step.id if view is not None and view.step is not None else "")
        watch_view(table, view)

    monkeypatch.setattr(FindingsTable, "watch_view", counted)
    async with psk_cockpit() as (_app, pilot, screen):
        assert [step for step in shown if step] == ["negotiation"]  # "": still loading
        screen.query_one(StepList).focus()
        await pilot.press("down")
        assert [step for step in shown if step] == ["negotiation", "sas"]
        table = screen.query_one(FindingsTable)
        assert screen.state.selection.finding is table.current()[0] is not None
        evidence = screen.query_one("#evidence-text-a", TextLines).doc
        assert evidence is not None and screen.state.selection.finding is not None


async def test_a_screen_rebuilds_its_footer_once_when_it_opens(monkeypatch: MonkeyPatch) -> None:
    """A screen coming up reports its keys several times; the footer line is built once (a
    rebuild is a layout pass and a frame), and again only when the keys change."""
    rebuilt: list[str] = []
    recompose = CockpitFooter.recompose

    async def counted(footer: CockpitFooter) -> None:
        rebuilt.append(type(footer.screen).__name__)
        await recompose(footer)

    monkeypatch.setattr(CockpitFooter, "recompose", counted)
    async with psk_cockpit() as (app, pilot, _screen):
        rebuilt.clear()
        await pilot.press("l")
        log = await on_top(pilot, LogScreen)
        await pilot.pause()
        assert rebuilt.count("LogScreen") <= 1
        footer = log.query_one(CockpitFooter)
        assert "Causes only" in " ".join(str(key.description) for key in footer.query(FooterKey))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LogScreen))


async def test_the_evidence_of_a_row_shows_both_peers_scrolled_to_its_lines() -> None:
    async with psk_cockpit() as (app, pilot, screen):
        steps = screen.query_one(StepList)
        steps.highlighted = STEP_IDS.index("identity")
        table = screen.query_one(FindingsTable)
        await wait_for(pilot, lambda: table.view is not None and table.view.step is not None)
        assert table.view is not None and table.view.step is not None
        assert table.view.step.id == "identity"
        table.focus()
        index = next(i for i, f in enumerate(table.findings) if f.check_id == "identity.psk")
        finding = table.findings[index]
        assert finding.status == Status.FAIL and finding.evidence
        table.move_to(index, 0 if finding.rows else None)
        await pilot.press("enter")
        assert screen.focused is not None and screen.focused.id == "evidence-text-a"
        # the rejecting side (siteB) quotes its log; siteA has none, so its outputs are offered
        assert {e.peer for e in finding.evidence} == {"siteB"}
        view_a = screen.query_one("#evidence-text-a", TextLines)
        assert view_a.doc is not None and view_a.doc.peer == "siteA"
        assert "no evidence from siteA" in view_a.doc.note and not view_a.doc.marked
        view_b = screen.query_one("#evidence-text-b", TextLines)
        doc = view_b.doc
        assert doc is not None and doc.peer == "siteB"
        first = finding.evidence[0]
        assert first.line_start is not None
        # the marked lines are the evidence's, and the view starts just above them
        assert first.line_start - 1 in doc.marked
        assert "MAC mismatched" in doc.lines[first.line_start - 1]
        assert view_b.first_visible_line <= first.line_start - 1
        assert first.line_start - 1 < view_b.first_visible_line + view_b.size.height
        # ] pages to the next output of the focused peer (siteA's: one per command run)
        before = view_a.doc
        assert before.count > 1 and before.position == 0
        await pilot.press("right_square_bracket")
        after = view_a.doc
        assert after is not None and after.position == 1 and after.title != before.title
        await pilot.press("left_square_bracket")
        assert view_a.doc is not None and view_a.doc.title == before.title
        # escape goes back to the table, x explains the row
        await pilot.press("escape")
        assert screen.focused is table
        text = await detail_opened(pilot, "x")
        assert finding.title.split(":")[0] in text
        assert finding.next_action and finding.next_action[:30] in text
        await pilot.press("escape")
        assert showing(app) is screen


async def test_the_log_view_merges_both_peers_and_filters() -> None:
    async with psk_cockpit() as (app, pilot, screen):
        session = screen.session
        assert session is not None
        await pilot.press("l")
        log = app.screen
        assert isinstance(log, LogScreen)
        table = log.query_one("#log-table", LogLines)
        assert table.row_count == len(session.timeline) > 0
        assert {e.peer for e in session.timeline} == {"siteA", "siteB"}
        await pilot.press("slash")
        assert isinstance(log.focused, Input)
        await pilot.press(*"siteb auth")
        shown = log.shown
        assert shown and len(shown) < len(session.timeline)
        assert all(e.peer == "siteB" and "auth" in e.text() for e in shown)
        assert table.row_count == len(shown)
        await pilot.press("enter")  # back to the table, the filter stays
        assert focused(log) is table
        await pilot.press("c")
        assert log.causes_only
        assert log.shown and all(e.has_causes for e in log.shown)
        assert len(log.shown) < len(session.timeline)
        detail = await detail_opened(pilot, "enter")  # the whole line, with its causes
        assert log.shown[0].event.causes[0] in detail
        await pilot.press("escape")
        await pilot.press("c", "slash", "escape")  # escape in a filled filter clears it
        assert log.query_one("#log-filter", Input).value == ""
        assert table.row_count == len(session.timeline)
        await pilot.press("escape")
        assert showing(app) is screen


async def test_the_log_view_opens_again_as_it_was_left() -> None:
    """The same session's log view is built once: it opens again with its filter and lines;
    a new session (the capture read again) gets a new one, and the old one goes."""
    async with psk_cockpit() as (app, pilot, screen):
        await pilot.press("l")
        log = await on_top(pilot, LogScreen)
        await pilot.press("slash", *"auth", "enter")
        await wait_for(pilot, lambda: log.query_text == "auth")
        shown = log.shown
        await pilot.press("escape")  # from the table: back, the filter stays
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("l")
        again = await on_top(pilot, LogScreen)
        assert again is log and again.shown == shown
        assert again.query_one("#log-filter", Input).value == "auth"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        session = screen.session
        assert session is not None
        screen.state = screen.state.showing(replace(session))
        await pilot.press("l")
        fresh = await on_top(pilot, LogScreen)
        assert fresh is not log and fresh.query_text == ""
        await wait_for(pilot, lambda: not log.is_attached)


async def test_help_and_the_command_palette_reach_the_actions() -> None:
    async with psk_cockpit() as (app, pilot, screen):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = " ".join(f"{k} {about}" for k, about in app.screen.rows)
        for action in ("IKE logs", "Explain the selected row", "Collect both peers again"):
            assert action in keys
        # the table as drawn: each key beside what it does
        table = app.screen.query_one("#help-keys", KeysTable)
        drawn = [table.render_line(y).text for y in range(table.size.height)]
        assert any(line.split()[:2] == ["l", "Both"] for line in drawn)
        assert any("Explain the selected row" in line for line in drawn)
        await pilot.press("escape")
        assert showing(app) is screen
        await from_palette(pilot, "Log")
        await wait_for(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.press("escape")
        await from_palette(pilot, "step: rekey", "Rekeying")
        await wait_for(pilot, lambda: app.screen is screen)
        steps = screen.query_one(StepList)
        await wait_for(
            pilot,
            lambda: steps.highlighted_option is not None and steps.highlighted_option.id == "rekey",
        )


async def test_help_is_one_dialog_that_lists_the_keys_of_the_screen_under_it() -> None:
    """Opened again, the help is the same dialog (built once), showing the keys of whichever
    screen it opened over, drawn as well as listed."""

    def drawn(help_screen: HelpScreen) -> str:
        table = help_screen.query_one("#help-keys", KeysTable)
        return "\n".join(table.render_line(y).text for y in range(table.size.height))

    async with psk_cockpit() as (app, pilot, screen):
        await pilot.press("question_mark")
        first = await on_top(pilot, HelpScreen)
        assert "Explain the selected row" in drawn(first)
        assert "Type words to keep" not in drawn(first)
        await pilot.press("escape")
        await pilot.press("l")
        await on_top(pilot, LogScreen)
        await pilot.press("question_mark")
        over_log = await on_top(pilot, HelpScreen)
        assert over_log is first
        assert "Type words to keep" in drawn(over_log)
        assert "Explain the selected row" not in drawn(over_log)
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("question_mark")
        again = await on_top(pilot, HelpScreen)
        assert again is first
        assert "Explain the selected row" in drawn(again)
        assert "Type words to keep" not in drawn(again)


async def test_a_capture_folder_opens_and_reloads(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "cap"
    shutil.copytree(demo_scenarios()[0].path, folder)
    app = CockpitApp(StartRequest(capture=folder))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await session_shown(pilot)
        first = screen.session
        assert first is not None and first.source.kind == "capture"
        # the cockpit keeps a shown session out of the collector's passes (gc.freeze); one in
        # a reference cycle, frozen with it, is still let go once a new session replaces it
        cycle: list[object] = [first.analysis]
        cycle.append(cycle)
        gone = weakref.ref(first.analysis)
        gc.freeze()
        del first, cycle
        await pilot.press("r")
        await wait_for(pilot, lambda: gone() is None)
        assert screen.session is not None and screen.session.analysis.healthy


def test_a_cockpit_that_ended_leaves_nothing_frozen_behind() -> None:
    # gc.freeze is process-wide: a cockpit that froze its session must thaw it when its
    # screen goes, else every run in one process (tests, benchmarks) keeps its screen, its
    # session and everything they reach for good (in reference cycles, never collected)
    kept: list[weakref.ref[object]] = []
    frozen_while_shown: list[int] = []

    async def run_cockpit() -> None:
        async with psk_cockpit() as (app, _pilot, screen):
            frozen_while_shown.append(gc.get_freeze_count())
            assert screen.session is not None
            kept.extend(map(weakref.ref, (screen.session.analysis, screen, app)))

    asyncio.run(run_cockpit())  # its loop ended too: nothing of the app's is running
    gc.collect()
    assert frozen_while_shown[0] > 0  # the session was out of the collector's passes
    assert gc.get_freeze_count() == 0
    assert [ref() for ref in kept] == [None, None, None]


async def test_a_broken_capture_says_why_in_the_banner(tmp_path: Path) -> None:
    (tmp_path / "peer").mkdir()
    (tmp_path / "peer" / "peer.yml").write_text("name: x\nplatform: nope\n")
    app = CockpitApp(StartRequest(capture=tmp_path / "peer"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        banner = app.screen.query_one(DiagnosisBanner)
        await wait_for(pilot, lambda: banner.state.error != "")
        assert "platform" in banner.state.error


async def test_an_unknown_scenario_falls_back_to_the_picker_with_the_error() -> None:
    app = CockpitApp(StartRequest(scenario="no-such-thing"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        assert any("no demo scenario" in str(n.message) for n in app._notifications)


async def test_usable_at_80x24_with_no_color(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("NO_COLOR", "1")
    async with psk_cockpit(size=(80, 24)) as (app, _pilot, screen):
        assert app.no_color
        region = app.screen.region
        for selector in ("#banner", "#steps", "#findings", "#evidence", "Footer"):
            widget = screen.query_one(selector)
            assert region.contains_region(widget.region), selector
            assert widget.region.height > 0, selector
        # every step is visible and carries a mark that reads without colour
        steps = screen.query_one(StepList)
        assert steps.region.height >= len(STEP_IDS)
        prompts = [str(o.prompt) for o in steps.options]
        assert len(prompts) == len(STEP_IDS) and all(p[0] in "✔!✘?" for p in prompts)
        # the footer shows the keys that matter
        footer = " ".join(
            str(b.binding.description) for b in screen.active_bindings.values() if b.binding.show
        )
        for word in ("Log", "Explain", "Next", "Help", "Quit"):
            assert word in footer
