"""The analysis of a pair of captures, as a child process runs it (ui/offload.py): parse
both peers, run the checks, merge the logs. Its own module, importing only what that work
needs, so a child is ready for it sooner. Nothing in this module imports textual."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

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
    load the platforms' parsers and compile their templates. An absolute path stands for the
    platforms its capture folder's peers name (see :func:`platforms_in`)."""
    from ipsec_tui.parsers.base import warm_platform
    from ipsec_tui.playbooks import default_playbook

    named = (platforms_in(Path(n)) if Path(n).is_absolute() else [n] for n in platforms)
    wanted = list(dict.fromkeys(platform for names in named for platform in names))
    default_playbook()
    for platform in wanted:
        if stop():
            return
        warm_platform(platform, stop)


def platforms_in(path: Path) -> list[str]:
    """The platforms a capture folder's peers name (their peer.yml), for the analysis child
    to warm up for; none for a bundle or what cannot be read (the child then warms less)."""
    from ipsec_tui.collectors.capture_io import peer_platform

    if not path.is_dir():
        return []
    found = (peer_platform(folder) for folder in sorted(path.iterdir()) if folder.is_dir())
    return list(dict.fromkeys(platform for platform in found if platform))
