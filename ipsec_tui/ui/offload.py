"""Big analyses run in a child process, so the cockpit keeps answering keys.

Parsing holds the GIL for long stretches (regular expressions over megabytes of output do
not let other threads in), so a thread worker alone would freeze the screen on a capture
with thousands of SAs. Small captures (every demo) are analysed in the calling thread:
faster than starting a process. The child is a fresh `python -m ipsec_tui.ui.offload`
(never a fork of this threaded process); the work goes in and the result comes back
through pipes (pickles both; the peers' outputs never reach a file), and cancelling kills
it. `prestart` starts the child before there is work, so its imports overlap the cockpit's
own start, and while it waits it does what the first analysis of the capture's platforms
would do before its own work (WARM_HOOK), stopping as soon as the work comes; an unused child
ends when this process does (its pipe closes). Standard library only.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import pickle
import select
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from ipsec_tui.domain.capture import PeerCapture

OFFLOAD_BYTES = 256 * 1024  # captures larger than this are analysed in a child process
# what a child imports before it reads its work: the analysis and every parser (not the
# cockpit's session module: bundles, inventories and demos are the parent's business)
WARM_MODULES = ("ipsec_tui.ui.analysing", "ipsec_tui.parsers.base")
# then, until its work comes, what the first analysis of the capture's platforms would do
# before its own work (the playbook read, the templates compiled): `module:function`, called
# with the platforms and a call that says whether the work has come
WARM_HOOK = "ipsec_tui.ui.analysing:warm"
T = TypeVar("T")


class Cancelled(Exception):
    """The caller's cancel event was set while the child worked."""


class ChildFailed(Exception):
    """The child process died without an answer."""


def capture_size(captures: Sequence[PeerCapture | None]) -> int:
    return sum(len(text) for c in captures if c is not None for text in c.outputs.values())


def looks_big(path: Path) -> bool:
    """Whether a capture folder (its files) or a bundle (its members, unpacked) holds more
    than OFFLOAD_BYTES: its analysis will run in a child, worth starting early."""
    try:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) > OFFLOAD_BYTES
        with zipfile.ZipFile(path) as bundle:
            return sum(member.file_size for member in bundle.infolist()) > OFFLOAD_BYTES
    except (OSError, zipfile.BadZipFile):
        return False


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    warming: tuple[str, ...] = ()  # what it was started to warm up for

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):  # a pipe the child no longer reads
                    stream.close()


_lock = threading.Lock()
_warm: _Child | None = None


def _spawn(platforms: Sequence[str] = ()) -> _Child:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # pipes only: the work and its result hold the peers' outputs, which never go to a file
    # here (`run` reads both pipes while the child works: no buffer to deadlock on)
    process = subprocess.Popen(
        [sys.executable, "-m", "ipsec_tui.ui.offload", *WARM_MODULES, "--", *platforms],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    return _Child(process, tuple(platforms))


def _drain(stream: IO[bytes] | None) -> Callable[[], bytes]:
    """Read `stream` to its end in a thread; the returned call waits for what it read."""
    chunks: list[bytes] = []
    reader = threading.Thread(
        target=lambda: chunks.append(stream.read() if stream is not None else b""), daemon=True
    )
    reader.start()

    def read() -> bytes:
        reader.join()
        return b"".join(chunks)

    return read


def prestart(platforms: Sequence[str] = ()) -> None:
    """Start the next child now (if none is waiting), for work that will come soon: the
    analysis of these platforms' captures (the child warms up for them while it waits). An
    absolute path among them stands for the platforms its capture folder's peers name (the
    child reads them, so the caller need not)."""
    global _warm
    with _lock:
        if _warm is None or _warm.process.poll() is not None:
            _warm = _spawn(platforms)


def prestart_for(path: Path) -> bool:
    """Whether this capture folder or bundle looks big; if so, its analysis child starts now,
    warming up for the platforms its peers name. The command line calls this first, before
    the cockpit's own modules load, so the child's imports and warm-up overlap all of it."""
    target = str(path.absolute())
    with _lock:
        if _warm is not None and _warm.process.poll() is None and _warm.warming == (target,):
            return True  # the command line started it: the capture is not walked again
    if not looks_big(path):
        return False
    prestart([target])
    return True


def _take() -> _Child:
    """The waiting child, else a new one."""
    global _warm
    with _lock:
        child, _warm = _warm, None
    if child is not None and child.process.poll() is None:
        return child
    return _spawn()


def run(
    function: Callable[..., T],
    *args: Any,
    offload: bool,
    cancel: threading.Event | None = None,
) -> T:
    """`function(*args)` here, or in a child process when `offload` (then the function must
    be importable by name, its arguments and result picklable). Raises Cancelled if `cancel`
    is set meanwhile; an exception raised in the child is raised here."""
    if not offload:
        return function(*args)
    child = _take()
    process = child.process
    try:
        assert process.stdin is not None
        out, err = _drain(process.stdout), _drain(process.stderr)
        try:  # a child that died while it waited answers below, with its exit status
            pickle.dump((function, args), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.close()
        except BrokenPipeError:
            pass
        _wait(process, cancel)
        answer = out()
        problem = err().decode(errors="replace").strip().splitlines()[-1:]
    finally:  # cancelled, or this thread is being torn down: the child goes too
        child.close()
    if process.returncode != 0 or not answer:
        raise ChildFailed(
            f"analysis process exited {process.returncode}: {(problem or ['no output'])[0]}"
        )
    # the collector off meanwhile: it would walk the growing result again and again
    collecting = gc.isenabled()
    gc.disable()
    try:
        ok, result = pickle.loads(answer)
    finally:
        if collecting:
            gc.enable()
    if not ok:
        raise result
    return result  # type: ignore[no-any-return]


def _wait(process: subprocess.Popen[bytes], cancel: threading.Event | None) -> None:
    """Until the child exits, looking at `cancel` every 0.1 s. Its exit is seen at once
    where the system can signal it (a pidfd), not at the next poll."""
    pidfd = None
    with contextlib.suppress(AttributeError, OSError):  # Linux 5.3+; else poll
        pidfd = os.pidfd_open(process.pid)
    try:
        while process.poll() is None:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if pidfd is not None:
                select.select([pidfd], [], [], 0.1)
            else:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.1)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _child() -> int:
    """The child's side: the modules named on its command line imported, warmed up for the
    platforms after `--` until its work comes, then one pickled (function, args) in, one
    (ok, result) out. No work (the cockpit ended first): no answer."""
    arguments = sys.argv[1:]
    split = arguments.index("--") if "--" in arguments else len(arguments)
    for name in arguments[:split]:
        importlib.import_module(name)
    module, _, hook = WARM_HOOK.partition(":")
    with contextlib.suppress(Exception):  # a warm-up that fails leaves it to the work
        warm = getattr(importlib.import_module(module), hook)
        warm(arguments[split + 1 :], lambda: bool(select.select([sys.stdin], [], [], 0)[0]))
    try:
        function, args = pickle.load(sys.stdin.buffer)
    except EOFError:
        return 0
    try:
        answer: tuple[bool, object] = (True, function(*args))
    except Exception as exc:  # travels back and is raised in the cockpit's worker
        answer = (False, exc)
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child())
