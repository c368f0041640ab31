"""Big analyses run in a child process, so the cockpit keeps answering keys.

Parsing holds the GIL for long stretches (regular expressions over megabytes of output do
not let other threads in), so a thread worker alone would freeze the screen on a capture
with thousands of SAs. Small captures (every demo) are analysed in the calling thread:
faster than starting a process. The child is a fresh `python -m ipsec_tui.ui.offload`
(never a fork of this threaded process); work and result travel as pickles through
temporary files, and cancelling kills it. Standard library only.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ipsec_tui.domain.capture import PeerCapture

OFFLOAD_BYTES = 256 * 1024  # captures larger than this are analysed in a child process
T = TypeVar("T")


class Cancelled(Exception):
    """The caller's cancel event was set while the child worked."""


class ChildFailed(Exception):
    """The child process died without an answer."""


def capture_size(captures: Sequence[PeerCapture | None]) -> int:
    return sum(len(text) for c in captures if c is not None for text in c.outputs.values())


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
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # files, not pipes: no pipe buffer to deadlock on, however big the capture or result
    with (
        tempfile.TemporaryFile() as work,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        pickle.dump((function, args), work, protocol=pickle.HIGHEST_PROTOCOL)
        work.seek(0)
        child = subprocess.Popen(
            [sys.executable, "-m", "ipsec_tui.ui.offload"],
            stdin=work,
            stdout=out,
            stderr=err,
            env=env,
        )
        try:
            while True:
                try:
                    child.wait(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled() from None
        finally:
            if child.poll() is None:  # cancelled, or this thread is being torn down
                child.kill()
                child.wait()
        out.seek(0)
        answer = out.read()
        err.seek(0)
        problem = err.read().decode(errors="replace").strip().splitlines()[-1:]
    if child.returncode != 0 or not answer:
        raise ChildFailed(
            f"analysis process exited {child.returncode}: {(problem or ['no output'])[0]}"
        )
    ok, result = pickle.loads(answer)
    if not ok:
        raise result
    return result  # type: ignore[no-any-return]


def _child() -> int:
    """The child's side: one pickled (function, args) in, one (ok, result) out."""
    function, args = pickle.load(sys.stdin.buffer)
    try:
        answer: tuple[bool, object] = (True, function(*args))
    except Exception as exc:  # travels back and is raised in the cockpit's worker
        answer = (False, exc)
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child())
