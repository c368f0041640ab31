"""Big analyses in a child process: the same answer as in this process, a child started early
is the one that works, errors and cancel come back, an unused child ends on its own."""

from __future__ import annotations

import os
import threading
import time
import zipfile
from pathlib import Path

import pytest

from benchmarks.scale import BASELINE, scaled_capture
from ipsec_tui.collectors.bundles import load_captures
from ipsec_tui.errors import UserError
from ipsec_tui.ui import offload
from ipsec_tui.ui.session import (
    _Prefetch,
    analyse_pair,
    capture_source,
    load,
    take_prefetched,
    warm_up,
)


def _discard_waiting() -> None:
    if offload._warm is not None:
        offload._warm.close()
        offload._warm = None


def test_a_child_analyses_a_capture_as_this_process_does() -> None:
    a, b = load_captures([BASELINE])
    here, here_timeline = analyse_pair(a, b)
    there, there_timeline = offload.run(analyse_pair, a, b, offload=True)
    assert there.diagnosis.cause == here.diagnosis.cause
    assert [(s.id, s.status) for s in there.steps] == [(s.id, s.status) for s in here.steps]
    assert len(there_timeline) == len(here_timeline) > 0


def test_work_and_results_bigger_than_a_pipe_buffer_pass_both_ways() -> None:
    # both go through pipes (never a file), read while the child works: no deadlock
    big = "x" * 3_000_000
    assert offload.run(str.upper, big, offload=True) == big.upper()


def test_the_child_started_early_is_the_one_that_works() -> None:
    offload.prestart()
    waiting = offload._warm
    assert waiting is not None and waiting.process.poll() is None
    worker = offload.run(os.getpid, offload=True)
    assert worker == waiting.process.pid != os.getpid()
    assert offload._warm is None  # taken: the next run starts its own
    assert offload.run(os.getpid, offload=True) not in (worker, os.getpid())


def test_a_child_loads_the_analysis_not_the_cockpits_session() -> None:
    """What a child imports before its work is what the analysis needs: not the session
    module with its bundles, inventories and demos, which would keep it from starting."""
    offload.prestart()
    loaded = offload.run(eval, "sorted(__import__('sys').modules)", offload=True)
    assert analyse_pair.__module__ in loaded and "ipsec_tui.parsers.base" in loaded
    assert "ipsec_tui.ui.session" not in loaded
    assert "ipsec_tui.collectors.bundles" not in loaded


def test_an_error_in_the_child_is_raised_here() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        offload.run(int, "not a number", offload=True)


def test_cancel_ends_the_child_at_once() -> None:
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(offload.Cancelled):
        offload.run(time.sleep, 60, offload=True, cancel=cancel)
    assert time.monotonic() - started < 30


def test_an_unused_child_ends_when_its_pipe_closes() -> None:
    offload.prestart()
    waiting = offload._warm
    assert waiting is not None and waiting.process.stdin is not None
    offload._warm = None
    waiting.process.stdin.close()  # what happens when the cockpit ends
    assert waiting.process.wait(timeout=30) == 0
    waiting.close()


def test_only_a_big_capture_starts_a_child_early(tmp_path: Path) -> None:
    assert not offload.looks_big(BASELINE)
    big = scaled_capture(tmp_path / "big", 2000)
    assert offload.looks_big(big)
    bundle = tmp_path / "big.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in big.rglob("*.txt"):
            archive.write(file, file.relative_to(big))
    assert bundle.stat().st_size < offload.OFFLOAD_BYTES  # compressed small, unpacked big
    assert offload.looks_big(bundle)
    _discard_waiting()
    warm_up(capture_source(BASELINE))
    assert offload._warm is None
    assert take_prefetched(capture_source(BASELINE), threading.Event()) is None
    warm_up(capture_source(big))
    session = take_prefetched(capture_source(big), threading.Event())
    assert session is not None  # loaded and analysed ahead, by the child started for it
    assert [len(sa.child_sas) for peer in session.peers if peer for sa in peer.ike_sas] == [
        2000,
        2000,
    ]
    assert take_prefetched(capture_source(big), threading.Event()) is None  # taken once


def test_what_the_load_ahead_raised_is_raised_where_it_is_taken(tmp_path: Path) -> None:
    """A big zip that is no evidence bundle (no manifest): refused, as opening it would."""
    big = scaled_capture(tmp_path / "big", 2000)
    bundle = tmp_path / "big.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in big.rglob("*"):
            archive.write(file, file.relative_to(big))
    source = capture_source(bundle)
    warm_up(source)
    with pytest.raises(UserError) as raised:
        take_prefetched(source, threading.Event())
    with pytest.raises(UserError) as direct:
        load(source)
    assert str(raised.value) == str(direct.value)


def test_cancel_while_waiting_for_the_load_ahead_cancels_it(tmp_path: Path) -> None:
    big = scaled_capture(tmp_path / "big", 2000)
    source = capture_source(big)
    warm_up(source)
    job = _Prefetch._waiting[(source.kind, source.path)]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(offload.Cancelled):
        take_prefetched(source, cancel)
    assert job.cancel.is_set()
    assert job.done.wait(30)  # the load ended (its child killed), not left running


def test_a_child_started_for_platforms_still_does_its_work() -> None:
    _discard_waiting()
    offload.prestart(["strongswan", "libreswan"])
    waiting = offload._warm
    assert waiting is not None
    assert waiting.process.args[-3:] == ["--", "strongswan", "libreswan"]  # type: ignore[index]
    a, b = load_captures([BASELINE])
    there, _ = offload.run(analyse_pair, a, b, offload=True)
    assert there.diagnosis.cause == analyse_pair(a, b)[0].diagnosis.cause


def test_warming_up_compiles_the_platforms_templates_until_told_to_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ipsec_tui.parsers import base
    from ipsec_tui.ui.analysing import warm

    compiled: list[tuple[str, str]] = []
    monkeypatch.setattr(base, "_ttp_engine", lambda *key: compiled.append(key))
    warm(["strongswan"], lambda: False)
    shipped = {p.stem for p in (Path(base.__file__).parent / "templates" / "strongswan").iterdir()}
    assert {key for platform, key in compiled if platform == "strongswan"} == shipped
    assert any(platform == "linux" for platform, _ in compiled)  # a Linux platform's too
    compiled.clear()
    warm(["strongswan", "fortinet"], lambda: True)  # the work has come: nothing more
    assert compiled == []
    warm(["no-such-platform"], lambda: False)
    assert compiled == []


def test_a_capture_folder_names_its_platforms_for_the_warm_up(tmp_path: Path) -> None:
    from ipsec_tui.ui.analysing import platforms_in

    assert platforms_in(scaled_capture(tmp_path / "big", 20)) == ["strongswan"]
    assert platforms_in(tmp_path / "nothing-here") == []


def test_the_child_warms_up_for_the_platforms_a_folder_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line starts the child before it reads anything: the child is given the
    folder and reads its peers' platforms itself."""
    from ipsec_tui.parsers import base
    from ipsec_tui.ui.analysing import warm

    big = scaled_capture(tmp_path / "big", 2000)
    compiled: list[tuple[str, str]] = []
    with monkeypatch.context() as patched:
        patched.setattr(base, "_ttp_engine", lambda *key: compiled.append(key))
        warm([str(big.absolute())], lambda: False)
    assert any(platform == "strongswan" for platform, _ in compiled)
    _discard_waiting()
    assert not offload.prestart_for(BASELINE)  # small: analysed in the cockpit, no child
    assert offload._warm is None
    assert offload.prestart_for(big)
    waiting = offload._warm
    assert waiting is not None
    assert waiting.process.args[-2:] == ["--", str(big.absolute())]  # type: ignore[index]
    # asked again (the command line, then the cockpit): that child, the folder not walked again
    with monkeypatch.context() as patched:
        patched.setattr(offload, "looks_big", lambda path: pytest.fail(f"{path} walked again"))
        assert offload.prestart_for(big)
    assert offload._warm is waiting
    a, b = load_captures([BASELINE])
    there, _ = offload.run(analyse_pair, a, b, offload=True)
    assert there.diagnosis.cause == analyse_pair(a, b)[0].diagnosis.cause


def test_the_start_asked_twice_loads_ahead_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line warms up before the cockpit's import, the cockpit again as it
    starts: one load ahead, one child."""
    big = scaled_capture(tmp_path / "big", 2000)
    started: list[object] = []
    prestart = offload.prestart
    monkeypatch.setattr(offload, "prestart", lambda *a: started.append(a) or prestart(*a))
    warm_up(capture_source(big))
    job = _Prefetch._waiting[("capture", big)]
    warm_up(capture_source(big))
    assert _Prefetch._waiting[("capture", big)] is job
    assert len(started) == 1
    assert take_prefetched(capture_source(big), threading.Event()) is not None
