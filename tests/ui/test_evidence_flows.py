"""The cockpit and the ticket: notes typed in the cockpit, the evidence bundle exported with one
key and opened again (the same diagnosis as `ipsec-tui check FILE.zip`, plus the notes), a
tampered bundle refused, and the partner's side pasted as a terminal transcript."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from ipsec_tui.analysis import analyse_captures
from ipsec_tui.cli import main
from ipsec_tui.collectors.bundles import load_captures, open_bundle
from ipsec_tui.collectors.capture_io import read_capture_index, read_peer
from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.evidence.bundle import bundle_capture
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.exporting import export_request, start_export
from ipsec_tui.ui.screens.dialogs import PathScreen
from ipsec_tui.ui.screens.help import HelpScreen
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.screens.notes import NotesScreen
from ipsec_tui.ui.screens.password import PasswordScreen
from ipsec_tui.ui.screens.paste import PasteScreen
from ipsec_tui.ui.screens.start import StartScreen
from ipsec_tui.ui.session import StartRequest, live_source
from ipsec_tui.ui.widgets.banner import DiagnosisBanner
from tests.collectors.sshd_server import SshServer

from .conftest import harmless_spec, password_tunnel, tunnel_to_nowhere
from .driving import on_top, palette_offers, wait_for

PSK = Path(__file__).resolve().parents[1] / "data" / "captures" / "strongswan" / "psk"


async def cockpit(pilot: Pilot[Any]) -> MainScreen:
    """The main screen, once its first analysis (or its error) is in."""
    screen = await on_top(pilot, MainScreen)
    banner = screen.query_one(DiagnosisBanner)
    await wait_for(pilot, lambda: screen.session is not None or bool(banner.state.error))
    return screen


async def paste(pilot: Pilot[Any], text: str) -> None:
    """`text` pasted as a terminal pastes it, once the focused editor holds it."""
    area = pilot.app.screen.query_one(TextArea)
    before = area.text
    pilot.app.post_message(events.Paste(text))
    await wait_for(pilot, lambda: area.text != before, what="the pasted text in the editor")


def toasts(app: App[Any]) -> list[str]:
    """Every notification shown so far, title and message."""
    return [f"{n.title}: {n.message}" for n in app._notifications]


def top(app: App[Any]) -> object:
    """The screen on top (typed loosely: compared across pushes and pops)."""
    return app.screen


def title_of(screen: MainScreen) -> str:
    return str(screen.query_one("#title-bar").render())


def terminal_transcript(peer_dir: Path, prompt: str, before: tuple[str, ...] = ()) -> str:
    """A peer's outputs as a Linux terminal shows them: prompt + command, then the output."""
    capture = read_peer(peer_dir)
    lines = [*before, "Last login: Thu Nov 26 20:40:01 2026 from 198.51.100.1"]
    for record in capture.commands:
        lines.append(f"{prompt}{record.command}")
        output = capture.output_of(record) or ""
        lines.extend(output.split("\n") if output else [])
    lines.append(prompt)
    return "\n".join(lines)


async def export_to(
    pilot: Pilot[Any], path: Path, default_prefix: str = "./ipsec-tui-lab-"
) -> None:
    """b, then the path typed over the proposed one, then Enter; waits for the outcome."""
    app = pilot.app
    before = len(toasts(app))
    await pilot.press("b")
    dialog = app.screen
    assert isinstance(dialog, PathScreen)
    field = dialog.query_one("#path-input", Input)
    assert field.value.startswith(default_prefix) and field.value.endswith("Z.zip")
    field.value = str(path)
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: any("bundle written" in t or "not written" in t for t in toasts(app)[before:]),
    )


async def test_notes_go_into_the_bundle_which_reopens_with_them_and_the_same_diagnosis(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "ticket.zip"
    app = CockpitApp(StartRequest(capture=PSK))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await cockpit(pilot)
        assert "✎ notes" not in title_of(screen)
        await pilot.press("e")
        assert isinstance(app.screen, NotesScreen)
        await pilot.press(*"called the partner at 14h05")
        await paste(pilot, "\nthey rotated the PSK on siteB yesterday\n")
        await pilot.press("ctrl+s")
        assert top(app) is screen
        notes = "called the partner at 14h05\nthey rotated the PSK on siteB yesterday\n"
        assert screen.state.notes == notes
        assert "✎ notes" in title_of(screen)
        # Escape in the editor drops what was typed since
        await pilot.press("e", "x", "escape")
        assert screen.state.notes == notes
        await export_to(pilot, bundle)
        assert any(
            f"bundle written: {bundle}" in t and "psk-mismatch on siteB" in t for t in toasts(app)
        )
    assert open_bundle(bundle)[1] == notes

    # opened again (as `ipsec-tui open` does): the same steps and diagnosis, and the notes
    expected = analyse_captures(load_captures([bundle]))
    app = CockpitApp(StartRequest(capture=bundle))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await cockpit(pilot)
        session = screen.session
        assert session is not None and screen.source.kind == "bundle"
        assert session.analysis.to_json() == expected.to_json()
        assert session.info.tunnel == "lab" and session.info.origin.startswith("made ")
        assert screen.state.notes == notes
        assert "✎ notes" in title_of(screen)
        assert any("operator's notes" in t and "called the partner" in t for t in toasts(app))
        await pilot.press("e")
        assert isinstance(app.screen, NotesScreen)
        assert app.screen.query_one(TextArea).text == notes
        assert "from the bundle" in str(app.screen.query_one("#notes-dialog").border_subtitle)
        await pilot.press("escape")
        # and it exports again (notes and all) under a new name
        again = tmp_path / "again.zip"
        await export_to(pilot, again)
        assert open_bundle(again)[1] == notes


async def test_the_start_screens_open_takes_a_bundle(tmp_path: Path) -> None:
    bundle = bundle_capture(PSK, tmp_path / "t.zip", notes="from the CLI\n").path
    app = CockpitApp(StartRequest())
    async with app.run_test(size=(100, 32)) as pilot:
        assert isinstance(app.screen, StartScreen)
        await pilot.press("f")
        assert isinstance(app.screen, PathScreen)
        await pilot.press(*str(tmp_path / "nothing-here.zip"), "enter")
        error = str(app.screen.query_one("#path-error").render())
        assert "neither a capture folder nor a bundle" in error
        app.screen.query_one("#path-input", Input).value = str(bundle)
        await pilot.press("enter")
        screen = await cockpit(pilot)
        assert screen.source.kind == "bundle" and screen.state.notes == "from the CLI\n"
        assert screen.session is not None
        assert screen.session.analysis.diagnosis.cause == "psk-mismatch"


def tamper(bundle: Path, out: Path) -> None:
    """The same zip with one byte of evidence changed (the manifest left as it was)."""
    with zipfile.ZipFile(bundle) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            body = old.read(name)
            if name == "capture/siteB/cat-var-log-charon.log.txt":
                body = body.replace(b"MAC mismatched", b"all fine here")
            new.writestr(name, body)


async def test_a_tampered_bundle_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = bundle_capture(PSK, tmp_path / "good.zip", notes="n\n").path
    bad = tmp_path / "bad.zip"
    tamper(good, bad)
    # `ipsec-tui open`: the cockpit's run_bundle verifies before anything else; exit 2
    assert main(["open", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "damaged or changed since the export" in err
    assert "cat-var-log-charon.log.txt: changed since the export" in err
    assert "Traceback" not in err
    # an intact one, without a terminal (here): the check result and the notes, as `check`
    assert main(["open", str(good)]) == 1
    out = capsys.readouterr().out
    assert "psk-mismatch" in out and "Operator's notes:" in out
    # in the cockpit: the error in the banner, nothing shown as if it were evidence
    app = CockpitApp(StartRequest(capture=bad))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await cockpit(pilot)
        assert screen.session is None
        banner = screen.query_one(DiagnosisBanner)
        assert "damaged or changed since the export" in banner.state.error
        assert banner.has_class("error")


async def test_export_refuses_a_known_password_left_in_the_notes(tmp_path: Path) -> None:
    password = "Lg1n-Pw-7d9Qx"  # what a live collection's password dialog would have given
    target = tmp_path / "leak.zip"
    app = CockpitApp(StartRequest(capture=PSK))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await cockpit(pilot)
        session = screen.session
        assert session is not None
        screen.state = replace(screen.state, notes=f"logged in to siteB with {password} to look\n")
        start_export(screen, export_request(screen.state, session, target, (password,)))
        await wait_for(pilot, lambda: any("not written" in t for t in toasts(app)))
        refused = [t for t in toasts(app) if t.startswith("bundle not written")]
        assert (
            refused and "refusing to write the bundle: notes.md still holds a secret" in refused[0]
        )
        assert "Traceback" not in refused[0]
    assert not target.exists()
    assert not list(tmp_path.iterdir())  # no temporary file left either


async def test_paste_the_other_side_completes_a_one_peer_capture(tmp_path: Path) -> None:
    app = CockpitApp(StartRequest(capture=PSK / "siteA", out_dir=tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await cockpit(pilot)
        session = screen.session
        assert session is not None and session.captures[1] is None
        before = session.analysis.diagnosis
        assert (before.cause, before.side) != ("psk-mismatch", "siteB")
        assert any("t pastes" in t for t in toasts(app))
        # the palette offers it (one peer only) and help lists it
        await pilot.press("ctrl+p", *"paste")
        await wait_for(pilot, lambda: palette_offers(app, "Paste the other side"))
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        about = dict(app.screen.rows)
        assert about["t"].startswith("Paste the other side")
        assert "e" in about and "b" in about
        await pilot.press("escape")

        # first a text with no prompt at all: refused, the dialog comes back with the text
        await pilot.press("t")
        assert isinstance(app.screen, PasteScreen)
        await paste(pilot, "just some output\nwith no prompt\n")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PasteScreen))
        await wait_for(
            pilot, lambda: "no command found" in str(app.screen.query_one("#paste-error").render())
        )
        dialog = app.screen
        assert isinstance(dialog, PasteScreen)
        assert dialog.query_one(TextArea).text.startswith("just some output")
        assert dialog.query_one("#paste-platform", Select).value == "strongswan"

        # then siteB's outputs as its terminal showed them, after a hop through a jump host
        text = terminal_transcript(
            PSK / "siteB", "root@siteB:~# ", before=("ops@jump:~$ ssh root@siteB",)
        )
        uptime = "root@siteB:~# uptime\n 20:47:52 up 2:01,  1 user\n"
        text = text.replace("root@siteB:~# ip rule\n", uptime + "root@siteB:~# ip rule\n")
        dialog.query_one(TextArea).load_text("")
        await paste(pilot, text)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: screen.session is not None and screen.session.captures[1] is not None
        )

        session = screen.session
        assert session is not None
        after = session.analysis.diagnosis
        assert (after.cause, after.side) == ("psk-mismatch", "siteB")
        assert session.peer_names() == ("siteA", "siteB")
        pasted = session.captures[1]
        assert pasted is not None
        collected = read_peer(PSK / "siteB").outputs
        assert {name: pasted.outputs[name] for name in collected} == collected
        assert "uptime" not in [record.command for record in pasted.commands]  # not read-only
        # both peers written into a new capture folder under --out; the opened one untouched
        folder = screen.source.path
        assert folder is not None and folder.parent == tmp_path
        index = read_capture_index(folder)
        assert index is not None and index.peers == ("siteA", "siteB")
        assert sorted(p.name for p in PSK.iterdir() if p.is_dir()) == ["siteA", "siteB"]
        # the splitter's warnings are shown: the dropped command, the jump host's line
        shown = "\n".join(toasts(app))
        assert "siteB pasted" in shown
        assert "is not on the strongswan read-only allowlist" in shown
        assert "run on jump, not on siteB" in shown
        # nothing left to paste: the key is gone
        assert screen.check_action("paste_other_side", ()) is False
        assert "siteB" in title_of(screen) and "(t: paste it)" not in title_of(screen)


# --- live collections (a real sshd on 127.0.0.1, as in test_collect) --------------------------


def live_cockpit(tunnel: Tunnel, out_dir: Path, *commands: str) -> CockpitApp:
    spec = harmless_spec(*commands)
    return CockpitApp(
        live_source(tunnel, out_dir), specs={peer.name: spec for peer in tunnel.peers}
    )


def members(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as archive:
        return archive.namelist()


async def test_a_live_collection_exports_then_takes_the_partners_side(
    sshd: SshServer, out_dir: Path, tmp_path: Path
) -> None:
    app = live_cockpit(tunnel_to_nowhere(sshd), out_dir, "uname -a")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await cockpit(pilot)
        await wait_for(pilot, lambda: not screen.state.collecting and screen.session is not None)
        await wait_for(pilot, lambda: screen.session is not None and not screen.session.partial)
        session = screen.session
        assert session is not None and session.paste_side() == 1  # siteB: unreachable
        # exported as collected: both peer folders (siteB's error too) and siteA's session log
        first = tmp_path / "as-collected.zip"
        await export_to(pilot, first, default_prefix="./ipsec-tui-t-")
        names = members(first)
        assert "session/siteA.log" in names
        assert "capture/siteA/peer.yml" in names and "capture/siteB/peer.yml" in names

        # the partner sends siteB's side: it replaces the failed peer, A stays collected
        await pilot.press("t")
        dialog = app.screen
        assert isinstance(dialog, PasteScreen)
        assert dialog.query_one("#paste-peer", Input).value == "siteB"  # the inventory's name
        await paste(pilot, terminal_transcript(PSK / "siteB", "root@siteB:~# "))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.state.pasted is not None)
        session = screen.session
        assert session is not None and screen.source.live  # r still collects both peers
        a, b = session.captures
        assert a is not None and a.outputs and b is not None and b.error is None
        assert b.outputs == read_peer(PSK / "siteB").outputs
        folder = screen.state.pasted
        assert folder is not None and folder.parent == out_dir and screen.state.out_dir == folder
        # exported again: the collected siteA beside the pasted siteB
        second = tmp_path / "with-partner.zip"
        await export_to(pilot, second, default_prefix="./ipsec-tui-t-")
        captures, _, _ = open_bundle(second)
        assert [c.name for c in captures] == ["siteA", "siteB"]
        assert captures[1].outputs == read_peer(PSK / "siteB").outputs


async def test_a_live_collections_password_makes_the_export_refuse(
    sshd: SshServer, out_dir: Path, tmp_path: Path
) -> None:
    # the test sshd refuses passwords: both peers fail, the password stays in memory
    app = live_cockpit(password_tunnel(sshd), out_dir, "uname -a")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordScreen))
        await pilot.press(*"Typed-Pw-4471", "enter")
        screen = await cockpit(pilot)
        await wait_for(pilot, lambda: not screen.state.collecting and screen.session is not None)
        await wait_for(pilot, lambda: screen.session is not None and not screen.session.partial)
        await pilot.press("e", *"tried Typed-Pw-4471 by hand", "ctrl+s")
        target = tmp_path / "leak.zip"
        await export_to(pilot, target, default_prefix="./ipsec-tui-t-")
        refused = [t for t in toasts(app) if t.startswith("bundle not written")]
        assert refused and "notes.md still holds a secret" in refused[0]
        assert not target.exists()
