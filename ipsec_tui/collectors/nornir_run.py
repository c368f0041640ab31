"""Collect many devices at once on Nornir's threaded runner, each device once.

A Nornir host here is one device to log in to (not a tunnel): a hub that serves forty
tunnels is one host, collected once, and its outputs serve all forty. The Nornir task is our
own collector (:func:`ipsec_tui.collectors.ssh.collect_peer`: allowlist, host keys, bounded
reads), so every rule of ``collect`` holds; Nornir brings the runner, the inventory objects
and the processors (per-device progress). What each device printed is redacted in memory
right away with one salt per run (PSK fingerprints stay comparable across devices), so
nothing later (analysis, bundles, the cockpit) ever holds a secret a device printed.

A device that fails (unreachable, refused, a crash in our code) is recorded as that device's
error and the others carry on. ``cancel`` (set on Ctrl+C by :func:`collect_devices`) stops
every device between two commands, and devices not started yet are not logged in to; what
was collected is kept.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from nornir.core import Nornir
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
from nornir.core.task import AggregatedResult, MultiResult, Result, Task
from nornir.plugins.runners import ThreadedRunner

from ipsec_tui.collectors.capture_io import peer_files
from ipsec_tui.collectors.inventory import PeerConfig
from ipsec_tui.collectors.progress import ProgressCallback, utc_now
from ipsec_tui.collectors.ssh import collect_peer, tool_version
from ipsec_tui.domain.capture import PeerCapture
from ipsec_tui.errors import UserError
from ipsec_tui.platforms import PlatformSpec, load_platform

__all__ = [
    "DEFAULT_WORKERS",
    "DeviceOutcome",
    "DeviceProgress",
    "collect_devices",
    "not_collected",
]

DEFAULT_WORKERS = 20  # Nornir's own default for its threaded runner
NOT_STARTED = "not collected: stopped before this device was reached"


@dataclass(frozen=True)
class DeviceOutcome:
    """One device's collection: its redacted capture (error included) and how long it took."""

    device: str
    capture: PeerCapture
    started_at: str
    finished_at: str
    elapsed: float  # seconds, login included

    @property
    def ok(self) -> bool:
        return self.capture.error is None and all(r.ok for r in self.capture.commands)

    @property
    def problem(self) -> str | None:
        """One line saying what failed, or None."""
        if self.capture.error:
            return self.capture.error
        failed = [record for record in self.capture.commands if not record.ok]
        if failed:
            more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
            return f"{failed[0].command!r}: {failed[0].error}{more}"
        return None


# (device, "started" | "done" | "failed", devices done, devices failed, devices in total)
DeviceProgress = Callable[[str, str, int, int, int], None]


class _Progress:
    """A Nornir processor: counts devices done and failed as each task instance ends."""

    def __init__(self, total: int, report: DeviceProgress | None) -> None:
        self.total = total
        self.report = report
        self.done = 0
        self.failed = 0
        self.lock = threading.Lock()

    def task_started(self, task: Task) -> None:
        return None

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        return None

    def task_instance_started(self, task: Task, host: Host) -> None:
        if self.report is not None:
            with self.lock:
                self.report(host.name, "started", self.done, self.failed, self.total)

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        with self.lock:
            self.done += 1
            failed = result.failed
            if failed:
                self.failed += 1
            if self.report is not None:
                event = "failed" if failed else "done"
                self.report(host.name, event, self.done, self.failed, self.total)

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        return None

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        return None


def not_collected(device: str, peer: PeerConfig, reason: str = NOT_STARTED) -> DeviceOutcome:
    """The outcome of a device that was never logged in to (stopped before it)."""
    now = utc_now()
    capture = PeerCapture(
        name=peer.name, platform=peer.platform, host=peer.host, port=peer.port,
        collected_at=None, error=reason,
    )  # fmt: skip
    return DeviceOutcome(device, capture, now, now, 0.0)


def _redacted(capture: PeerCapture, salt: bytes, known_secrets: tuple[str, ...]) -> PeerCapture:
    """The capture as it would be written: every output redacted (fails closed)."""
    files = peer_files(capture, salt=salt, known_secrets=known_secrets, where=capture.name)
    outputs = {name: files[name] for name in capture.outputs if name in files}
    return dataclasses.replace(capture, outputs=outputs, session_log=None)


def _collect_task(
    task: Task,
    *,
    specs: Mapping[str, PlatformSpec],
    passwords: Mapping[tuple[str, str], str],
    cancel: threading.Event,
    progress: ProgressCallback | None,
    salt: bytes,
    outcomes: dict[str, DeviceOutcome],
) -> Result:
    """The Nornir task: collect the host's device with our collector, keep its outcome."""
    device = task.host.name
    peer: PeerConfig = task.host.data["peer"]
    if cancel.is_set():
        outcome = not_collected(device, peer)
        outcomes[device] = outcome
        return Result(host=task.host, result=outcome, failed=True)
    started_at, started = utc_now(), time.monotonic()
    spec = specs.get(device) or load_platform(peer.platform)
    jump = passwords.get((peer.jump_username, peer.jump_host.host)) if peer.jump_host else None
    try:
        if spec.transport == "files":  # a cloud: its documents are read here, nothing is sent
            from ipsec_tui.collectors.cloud import read_cloud_peer

            capture = read_cloud_peer(peer, spec)
        else:
            capture = collect_peer(
                peer,
                spec,
                password=passwords.get((peer.username, peer.host)),
                jump_password=jump,
                cancel=cancel,
                progress=progress,
            )
        capture = _redacted(capture, salt, tuple(passwords.values()))
    except UserError as exc:  # a refused command, or redaction that would not let a secret by
        capture = PeerCapture(
            name=peer.name, platform=spec.name, host=peer.host, port=peer.port,
            collected_at=started_at, error=str(exc), login_commands=spec.login_commands,
        )  # fmt: skip
    except Exception as exc:  # a bug must not lose the other devices: record it
        capture = PeerCapture(
            name=peer.name, platform=spec.name, host=peer.host, port=peer.port,
            collected_at=started_at, error=f"collection crashed: {type(exc).__name__}: {exc}",
            login_commands=spec.login_commands,
        )  # fmt: skip
    if capture.tool_version is None:
        capture = dataclasses.replace(capture, tool_version=tool_version())
    outcome = DeviceOutcome(device, capture, started_at, utc_now(), time.monotonic() - started)
    outcomes[device] = outcome
    return Result(host=task.host, result=outcome, failed=not outcome.ok)


def nornir_for(devices: Mapping[str, PeerConfig], workers: int) -> Nornir:
    """A Nornir object with one host per device (its PeerConfig in ``data['peer']``) and the
    threaded runner. No password ever goes into the Nornir inventory."""
    defaults = Defaults()
    hosts = Hosts(
        {
            name: Host(
                name=name,
                hostname=peer.host or None,
                port=peer.port,
                username=peer.username or None,
                platform=load_platform(peer.platform).device_type or None,
                data={"peer": peer},
                defaults=defaults,
            )
            for name, peer in devices.items()
        }
    )
    inventory = Inventory(hosts=hosts, groups=Groups(), defaults=defaults)
    return Nornir(inventory=inventory, runner=ThreadedRunner(num_workers=workers))


def collect_devices(
    devices: Mapping[str, PeerConfig],
    *,
    workers: int = DEFAULT_WORKERS,
    passwords: Mapping[tuple[str, str], str] | None = None,
    specs: Mapping[str, PlatformSpec] | None = None,
    progress: ProgressCallback | None = None,
    device_progress: DeviceProgress | None = None,
    cancel: threading.Event | None = None,
    salt: bytes | None = None,
) -> tuple[dict[str, DeviceOutcome], bool]:
    """Collect every device (name -> how to reach it) once, ``workers`` at a time.

    Returns (outcome by device, in the order given; interrupted). On Ctrl+C in the calling
    thread, ``cancel`` is set, running devices stop between commands, devices not reached are
    recorded as not collected, and the function returns with ``interrupted`` True (the
    caller decides what to do with what was collected). ``passwords`` are keyed by
    (username, host), asked before this is called; ``specs`` by device name (tests).
    """
    if workers < 1:
        raise UserError(f"--workers must be at least 1, not {workers}")
    cancel = cancel or threading.Event()
    for name, peer in devices.items():  # every command allowed before anything connects
        spec = (specs or {}).get(name) or load_platform(peer.platform)
        for command in spec.commands(peer.overrides):
            spec.check_allowed(command, peer.overrides)
            for instead in spec.fallback_commands(command, peer.overrides):
                spec.check_allowed(instead, peer.overrides)
    outcomes: dict[str, DeviceOutcome] = {}
    counter = _Progress(len(devices), device_progress)
    nornir = nornir_for(devices, workers).with_processors([counter])
    failure: list[BaseException] = []

    def run() -> None:
        try:
            nornir.run(
                task=_collect_task,
                name="ipsec-tui collect",
                specs=specs or {},
                passwords=passwords or {},
                cancel=cancel,
                progress=progress,
                salt=salt if salt is not None else os.urandom(16),
                outcomes=outcomes,
            )
        except BaseException as exc:  # shown by the caller's thread, not lost in this one
            failure.append(exc)

    runner = threading.Thread(target=run, name="fleet-nornir", daemon=True)
    runner.start()
    interrupted = False
    try:
        while runner.is_alive():
            runner.join(timeout=0.2)
    except KeyboardInterrupt:
        interrupted = True
        cancel.set()
        runner.join()
    if failure:
        raise failure[0]
    ordered = {
        name: outcomes.get(name) or not_collected(name, peer) for name, peer in devices.items()
    }
    return ordered, interrupted or cancel.is_set()


def device_errors(outcomes: Mapping[str, DeviceOutcome]) -> dict[str, str]:
    """What failed on each device that did not fully succeed."""
    return {name: o.problem for name, o in outcomes.items() if o.problem is not None}
