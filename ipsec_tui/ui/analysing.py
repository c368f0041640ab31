"""The analysis of a pair of captures, as a child process runs it (ui/offload.py): parse
both peers, run the checks, merge the logs. Its own module, importing only what that work
needs, so a child is ready for it sooner. Nothing in this module imports textual."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ipsec_tui.analysis import Analysis, analyse_models
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.timeline import TimelineEvent, merge_logs


def analyse_pair(
    a: PeerCapture | None, b: PeerCapture | None
) -> tuple[Analysis, tuple[TimelineEvent, ...]]:
    """Parse both peers (either may be missing), run the checks, merge the logs.

    Module level and picklable both ways: big captures run it in a child process.
    """
    from ipsec_tui.parsers.base import parse_peer

    analysis = analyse_models(parse_peer(a) if a else None, parse_peer(b) if b else None)
    return analysis, merge_logs((analysis.pair.a, analysis.pair.b), (a, b))


def warm(platforms: Sequence[str], stop: Callable[[], bool]) -> None:
    """What a first analysis of these platforms would do before its own work, done while the
    child waits for it (until ``stop()``, the work having come): read the shipped playbook,
    load the platforms' parsers and compile their templates."""
    from ipsec_tui.parsers.base import warm_platform
    from ipsec_tui.playbooks import default_playbook

    default_playbook()
    for platform in platforms:
        if stop():
            return
        warm_platform(platform, stop)
