"""A tunnel watched over time (`ipsec-tui watch`): samples of both peers' SA state, the time
line of events between them, each child SA's byte rates per side, and what only time shows.
Standard library only."""

from __future__ import annotations

from dataclasses import dataclass

from ipsec_tui.domain.model import PeerModel
from ipsec_tui.domain.probe import Verdict

# What the time line shows: a cause from WATCH_CAUSES, the side to fix, the evidence.
WatchVerdict = Verdict

# Bounds of a watch: at least this many seconds between samples, at most this long, at most
# this many samples (each sample is a capture folder on disk).
MIN_INTERVAL_S = 2.0
MAX_DURATION_S = 24 * 3600.0
MAX_SAMPLES = 5000

# What the time line records, in the words an engineer uses.
EVENT_KINDS = {
    "ike-up": "an IKE SA came up",
    "ike-down": "an IKE SA went away (or stopped being established)",
    "ike-rekey": "an IKE SA was replaced by another of the same connection (rekey, reauth)",
    "child-up": "a child SA came up",
    "child-down": "a child SA went away",
    "child-rekey": "a child SA's SPIs changed: it was rekeyed",
    "rekey-failed": "a rekey (CREATE_CHILD_SA) failed, with the notify that ended it",
    "retransmit": "IKE requests were retransmitted: no answer",
    "dpd": "dead peer detection gave up on the other peer",
    "one-way": "the child SA's counters moved one way only",
    "stalled": "the child SA's counters stopped moving both ways after traffic",
    "traffic": "the child SA's counters move both ways again",
    "sample-failed": "a peer could not be sampled",
}

# What a watch can conclude: the diagnosis vocabulary's names where they fit
# (ipsec_tui.domain.causes.DIAGNOSIS_CAUSES), plus the flapping path only time shows.
WATCH_CAUSES = {
    "healthy": "nothing went down, no rekey failed, counters moved both ways",
    "pfs-mismatch": "the first child SA worked, its first rekey failed (no PFS group in common)",
    "rekey-failure": "a rekey failed",
    "flapping-path": "SAs went down and came back more than once",
    "dpd-timeout": "dead peer detection tore the tunnel down",
    "stale-sa": "one peer lost its SAs while the other still holds them",
    "lifetime-mismatch": "one peer rekeys far more often than the other",
    "esp-blocked": "one side encrypts, the other never decrypts",
    "no-return-path": "one side decrypts and sends nothing back",
    "no-traffic": "the tunnel is up and nothing flows",
    "unknown": "too few samples to say",
}


@dataclass(frozen=True)
class PeerSample:
    """One peer at one sample: its parsed state, when its SAs were read (UTC), or why not."""

    name: str
    model: PeerModel | None
    read_at: str | None  # when its child SA command started, UTC ISO 8601
    error: str | None = None
    # the log file's lines this sample read, first and last (1-based): (1, n) for a whole
    # read, (N, ...) for a read from line N on; None when no log was read
    log_lines: tuple[int, int] | None = None


@dataclass(frozen=True)
class WatchSample:
    """Both peers read once; ``folder`` is the capture folder holding the raw outputs."""

    index: int  # 1-based
    taken_at: str  # UTC ISO 8601
    peers: tuple[PeerSample, ...]
    folder: str | None = None


@dataclass(frozen=True)
class WatchEvent:
    """One thing that happened between two samples (or that a sample's new log lines say)."""

    sample: int  # the sample that showed it
    elapsed_s: float  # seconds since the first sample
    peer: str
    kind: str  # see EVENT_KINDS
    subject: str  # "lab" (IKE SA) or "lab/lan" (IKE SA / child SA)
    detail: str
    evidence: tuple[str, ...] = ()  # log lines, verbatim, or readings


@dataclass(frozen=True)
class RatePoint:
    """A child SA's rates on one peer between two samples (None: not known, e.g. rekeyed)."""

    sample: int  # the later sample
    elapsed_s: float
    in_bps: float | None  # bytes per second decrypted
    out_bps: float | None  # bytes per second encrypted


@dataclass(frozen=True)
class ChildSeries:
    """One child SA of one peer over the watch."""

    peer: str
    child: str  # "lab/lan"
    points: tuple[RatePoint, ...]


@dataclass(frozen=True)
class WatchResult:
    """The watch so far: its samples' count and times, events, rates and verdict."""

    tunnel: str
    peers: tuple[str, ...]
    samples: int
    started_at: str | None
    elapsed_s: float
    events: tuple[WatchEvent, ...]
    series: tuple[ChildSeries, ...]
    verdict: WatchVerdict
    rekeys_initiated: tuple[tuple[str, int], ...] = ()  # peer -> CREATE_CHILD_SA it started
    folders: tuple[str, ...] = ()  # one capture folder per sample, in order
