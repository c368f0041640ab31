"""Watch samples made of what the lab recorded, never of invented output.

Two real sources of readings taken one after another:

- the lab's scenario captures (tests/data/captures/<impl>/<scenario>/): the lab records its
  faults one after the other on one running pair of gateways, a few seconds apart, so the
  captures of one session in the order they were collected are what a watch sampling every
  few seconds would have read while the tunnel was broken and mended (each capture's
  `collected_at` is the sample's time);
- the probes recorded on the lab (tests/data/probes/<scenario>/): the snapshot, then the
  probe's `swanctl --list-sas` readings before and after each ping, with their real times.
"""

from __future__ import annotations

from pathlib import Path

from ipsec_tui.collectors.capture_io import read_capture
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.domain.watch import WatchSample
from ipsec_tui.watch import sample_of

DATA = Path(__file__).resolve().parents[1] / "data"


def scenario_samples(*scenarios: str, impl: str = "strongswan") -> list[WatchSample]:
    """One sample per recorded scenario, in the order given."""
    samples = []
    for index, scenario in enumerate(scenarios, 1):
        folder = DATA / "captures" / impl / scenario
        captures = read_capture(folder)
        taken_at = captures[0].collected_at
        assert taken_at is not None
        samples.append(sample_of(index, captures, taken_at, str(folder)))
    return samples


def probe_readings(scenario: str) -> list[list[PeerCapture]]:
    """Both gateways' captures per reading: the probe's snapshot, then each of its counter
    readings (`swanctl --list-sas` before and after each ping), with their real times."""
    folder = DATA / "probes" / scenario
    snapshot = read_capture(folder)
    readings: dict[str, list[PeerCapture]] = {}
    for capture in read_capture(folder / "probe"):
        readings[capture.name] = [
            PeerCapture(
                name=capture.name,
                platform=capture.platform,
                collected_at=record.started_at,
                commands=(record,),
                outputs={record.file: capture.output_of(record) or ""},
            )
            for record in capture.commands
            if record.command == "swanctl --list-sas" and record.file is not None
        ]
    names = [capture.name for capture in snapshot]
    pairs = [
        [readings[name][number] for name in names] for number in range(len(readings[names[0]]))
    ]
    return [snapshot, *pairs]


def probe_samples(scenario: str) -> list[WatchSample]:
    """The probe's readings as watch samples."""
    return [
        sample_of(index, captures, captures[0].collected_at or "")
        for index, captures in enumerate(probe_readings(scenario), 1)
    ]
