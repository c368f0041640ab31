"""One bundle for a whole watch: every sample, redacted and scanned like any bundle, and the
time line rebuilt offline from it equal to the live one. The watch is the one of
test_watch_log.py: a real sshd, logs growing by real recorded charon logs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ipsec_tui.cli import main
from ipsec_tui.collectors.bundles import open_bundle
from ipsec_tui.domain.watch import WatchResult
from ipsec_tui.errors import UserError
from ipsec_tui.evidence.bundle import bundle_capture
from ipsec_tui.evidence.watch_bundle import is_watch_folder, replay_watch_bundle, watch_content
from ipsec_tui.watch import LOG_OVERLAP_LINES, replay_watch
from tests.collectors.sshd_server import SshServer

from .test_watch_log import PEERS, _recorded, _watch
from .test_watch_log import sshd as sshd  # the module's real sshd


def _timeline(result: WatchResult) -> tuple[object, ...]:
    return (result.tunnel, result.samples, result.started_at, result.elapsed_s, result.events,
            result.series, result.verdict, result.rekeys_initiated)  # fmt: skip


def test_a_watch_bundle_holds_every_sample_and_replays_the_same_time_line(
    sshd: SshServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, _ = _watch(sshd, tmp_path / "watch", tail=True)
    folder = tmp_path / "watch" / "samples"
    assert is_watch_folder(folder) and not is_watch_folder(folder / "sample-0001")
    out = tmp_path / "watch.zip"
    assert main(["bundle", str(folder), "--out", str(out)]) == 0
    assert main(["bundle", "verify", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    for number in (1, 2, 3):
        for peer in PEERS:
            assert f"watch/sample-000{number}/{peer}/peer.yml" in names
        assert f"watch/sample-000{number}/capture.yml" in names
    assert "watch/watch.json" in names and "report.html" in names
    # the bundle opens as the last sample's capture, as any bundle does
    captures, _, _ = open_bundle(out)
    assert [c.name for c in captures] == list(PEERS)
    assert any(r.command.startswith("tail -n +") for r in captures[0].commands)
    replayed = replay_watch_bundle(out)
    assert _timeline(replayed) == _timeline(live.result)
    assert _timeline(replay_watch(folder)) == _timeline(live.result)  # and from the folder
    assert replayed.folders == ("sample-0001", "sample-0002", "sample-0003")
    assert [e.kind for e in replayed.events].count("dpd") == 2  # not an empty time line
    capsys.readouterr()


def test_a_leak_in_any_sample_stops_the_bundle(sshd: SshServer, tmp_path: Path) -> None:
    _watch(sshd, tmp_path / "watch", tail=True)
    folder = tmp_path / "watch" / "samples"
    # a word only the second sample's log holds (the dpd scenario's, before the lines the
    # third sample reads again), given as a known secret (as a login password would be): the
    # writer finds it there and writes nothing
    dpd = _recorded("dpd", "siteA").splitlines()
    others = [_recorded(s, "siteA") for s in ("baseline", "pfs", "lifetime")]
    words = set(" ".join(dpd[:-LOG_OVERLAP_LINES]).split()) - set(
        " ".join([*dpd[-LOG_OVERLAP_LINES:], *others]).split()
    )
    secret = sorted(w for w in words if len(w) >= 8 and w.isalnum())[0]
    out = tmp_path / "leak.zip"
    with pytest.raises(UserError, match="sample-0002"):
        bundle_capture(folder, out, known_secrets=(secret,))
    assert not out.exists()
    with pytest.raises(UserError, match="no watch samples"):
        watch_content(tmp_path, "", (), tmp_path / "none.zip")
