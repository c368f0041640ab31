"""Live collection in the cockpit against a real sshd on 127.0.0.1: progress per peer, a
failing peer in its own column while the other succeeds, cancel by key, re-collect, and the
password dialog. No mocks of Netmiko."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input

from ipsec_tui.collectors.inventory import Tunnel
from ipsec_tui.domain.model import Status
from ipsec_tui.ui.app import CockpitApp
from ipsec_tui.ui.screens.main import MainScreen
from ipsec_tui.ui.screens.password import PasswordScreen
from ipsec_tui.ui.session import live_source
from ipsec_tui.ui.state import CockpitState
from ipsec_tui.ui.widgets.progress import PeerProgressView
from tests.collectors.sshd_server import SshServer

from .conftest import harmless_spec, password_tunnel, peer_of, tunnel_to_nowhere
from .driving import PaintLog, wait_for


def cockpit(tunnel: Tunnel, out_dir: Path, *commands: str) -> CockpitApp:
    spec = harmless_spec(*commands)
    return CockpitApp(
        live_source(tunnel, out_dir), specs={peer.name: spec for peer in tunnel.peers}
    )


def screen_of(app: CockpitApp) -> MainScreen:
    assert isinstance(app.screen, MainScreen)
    return app.screen


def progress_text(app: CockpitApp, side: str) -> str:
    view = app.screen.query_one(f"#progress-{side}", PeerProgressView)
    return str(view.render())


async def test_a_failing_peer_shows_its_error_while_the_other_is_collected(
    sshd: SshServer, out_dir: Path
) -> None:
    app = cockpit(tunnel_to_nowhere(sshd), out_dir, "uname -a", "echo done")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = screen_of(app)
        await wait_for(pilot, lambda: not screen.state.collecting and screen.session is not None)
        await wait_for(pilot, lambda: screen.session is not None and not screen.session.partial)
        a, b = screen.state.progress
        assert a is not None and b is not None
        assert (a.state, a.ok, a.failed, a.total) == ("done", 2, 0, 2)
        assert b.state == "failed"
        assert b.error is not None and "cannot reach" in b.error
        # each error in its own column
        assert "cannot reach" in progress_text(app, "b")
        assert "cannot reach" not in progress_text(app, "a")
        assert "collected" in progress_text(app, "a")
        # both captures are kept (read back from disk) and analysed
        session = screen.session
        assert session is not None
        capture_a, capture_b = session.captures
        assert capture_a is not None and capture_a.error is None
        assert "Linux" in capture_a.outputs[capture_a.commands[0].file or ""]
        assert capture_b is not None and capture_b.error == b.error
        collection = session.analysis.steps[0]
        assert collection.id == "collection" and collection.status != Status.PASS
        peers = next(f for f in collection.findings if f.check_id == "collection.peers")
        assert any("cannot reach" in (row.b or "") for row in peers.rows)
        folders = list(out_dir.iterdir())
        assert len(folders) == 1 and (folders[0] / "siteA" / "peer.yml").is_file()
        # r collects again, into a new folder
        await pilot.press("r")
        await wait_for(pilot, lambda: len(list(out_dir.iterdir())) == 2)
        await wait_for(pilot, lambda: not screen.state.collecting)
        assert screen.state.progress[0] is not None and screen.state.progress[0].state == "done"


async def test_cancel_by_key_while_a_slow_command_runs(sshd: SshServer, out_dir: Path) -> None:
    tunnel = Tunnel("t", (peer_of(sshd, "siteA"), peer_of(sshd, "siteB")))
    app = cockpit(tunnel, out_dir, "uname -a", "sleep 3", "echo after", "echo later")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = screen_of(app)

        def running_sleep() -> bool:
            a = screen.state.progress[0]
            return a is not None and a.command == "sleep 3" and a.state == "running"

        await wait_for(pilot, running_sleep)
        assert "command 2 of 4" in progress_text(app, "a")
        assert "sleep 3" in progress_text(app, "a")
        assert "c" in screen.active_bindings  # offered while collecting
        await pilot.press("c")
        # the UI answers while the command runs on: the banner says it waits for it
        assert "cancelling" in str(screen.query_one("#banner").render())
        await wait_for(pilot, lambda: not screen.state.collecting)
        await wait_for(pilot, lambda: screen.session is not None and not screen.session.partial)
        a, b = screen.state.progress
        assert a is not None and b is not None
        assert a.state == b.state == "cancelled"
        session = screen.session
        assert session is not None
        for capture in session.captures:
            assert capture is not None and capture.error == "cancelled"
            records = {r.command: r for r in capture.commands}
            assert records["echo later"].error == "cancelled before it was sent"
        capture_a = session.captures[0]
        assert capture_a is not None
        records = {r.command: r for r in capture_a.commands}
        # what ran before the key is kept; the running command was let finish
        assert records["uname -a"].ok and records["sleep 3"].ok
        assert "c" not in screen.active_bindings  # nothing left to cancel


@pytest.mark.parametrize("size", [(100, 32), (80, 24)], ids=["100x32", "80x24"])
async def test_progress_redraws_only_the_progress_lines(
    sshd: SshServer, out_dir: Path, size: tuple[int, int]
) -> None:
    """Over a slow link every frame costs: while the peers are collected, the elapsed time
    and each command's progress repaint the progress panel only, never the whole screen."""
    tunnel = Tunnel("t", (peer_of(sshd, "siteA"), peer_of(sshd, "siteB")))
    app = cockpit(tunnel, out_dir, "sleep 2", "sleep 1", "echo done")
    paints = PaintLog(app, count_bytes=True)
    async with app.run_test(size=size) as pilot:
        screen = screen_of(app)
        moments: list[float] = []  # when the first peer ends (its line and screen change)

        def changed(state: CockpitState) -> None:
            ends = any(p is not None and p.state not in ("waiting", "connecting", "running")
                       for p in state.progress)  # fmt: skip
            if not moments and (ends or any(state.captures)):
                moments.append(time.perf_counter())

        screen.watch(screen, "state", changed, init=False)
        await wait_for(pilot, lambda: screen.state.collecting)

        # the screen first lays out for the collection (the panel grows to its lines, the
        # steps and findings fill in): the ticks are counted from when that has settled, no
        # frame larger than the panel for a moment
        def laid_out() -> bool:
            height = screen.query_one("#collection").region.height
            big = [f[0] for f in paints.frames if f[1] or f[2] > height]
            return not big or time.perf_counter() - big[-1] > 0.3

        await wait_for(pilot, laid_out, what="the collecting screen's layout")
        started = time.perf_counter()
        await wait_for(pilot, lambda: moments)
        ended = moments[0]
        panel = screen.query_one("#collection").region
        # the ticks while both peers work; the first peer's end (its panel line changes, the
        # screen may lay out again for it) is not a tick: frames from its state on are left out
        frames = [frame for frame in paints.since(started) if frame[0] < ended]
        whole = size[0] * size[1]
        assert panel.height > 0
        assert len(frames) >= 3  # ticks of the elapsed time and the commands' progress
        assert not [frame for frame in frames if frame[1]], "a full repaint while collecting"
        assert max(lines for _, _, lines, _ in frames) <= panel.height
        # a frame writes a fraction of what a whole screen takes (cells, escapes and all)
        assert max(written for *_, written in frames) < whole
        await wait_for(pilot, lambda: not screen.state.collecting)


async def test_a_password_login_asks_in_a_dialog_and_never_shows_it(
    sshd: SshServer, out_dir: Path
) -> None:
    # the test sshd accepts keys only: the password is refused, which is what we check
    app = cockpit(password_tunnel(sshd), out_dir, "uname -a")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordScreen))
        dialog = app.screen
        assert isinstance(dialog, PasswordScreen)
        assert dialog.login.account == f"{sshd.username}@127.0.0.1"
        field = dialog.query_one("#password-input", Input)
        assert field.password  # never echoed
        save = dialog.query_one("#password-save", Checkbox)
        assert save.disabled == (dialog.keyring_problem is not None)
        await pilot.press(*"not-the-password", "enter")
        screen = screen_of(app)
        # both peers share the login: asked once
        await wait_for(pilot, lambda: not screen.state.collecting and screen.session is not None)
        await wait_for(pilot, lambda: screen.session is not None and not screen.session.partial)
        a, b = screen.state.progress
        assert a is not None and a.state == "failed"
        assert a.error is not None and "authentication" in a.error
        assert b is not None and b.error is not None and "cannot reach" in b.error
        assert "not-the-password" not in app.export_screenshot()
        for peer_yml in out_dir.rglob("peer.yml"):
            assert "not-the-password" not in peer_yml.read_text()


async def test_cancelling_the_password_dialog_collects_nothing(
    sshd: SshServer, out_dir: Path
) -> None:
    peer_a = peer_of(sshd, "siteA", auth="password", key_file=None)
    app = cockpit(Tunnel("t", (peer_a, replace(peer_a, name="siteB"))), out_dir, "uname -a")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordScreen))
        await pilot.press("escape")
        screen = screen_of(app)
        banner = screen.query_one("#banner")
        await wait_for(pilot, lambda: "no password given" in str(banner.render()))
        assert not screen.state.collecting and list(out_dir.iterdir()) == []
