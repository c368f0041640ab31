"""One bundle for a whole watch (`ipsec-tui bundle WATCH_FOLDER`, `watch --bundle FILE`):
``ipsec_tui.evidence.bundle.bundle_capture`` writes it from :func:`watch_content`.

A watch folder holds one capture folder per sample (OUT/sample-0001...) and watch.json. Its
bundle is an ordinary bundle of the last sample (capture/, the models, the analysis and the
report: what `ipsec-tui open` shows), plus every sample, redacted like the capture::

    watch/sample-NNNN/capture.yml, watch/sample-NNNN/<peer>/...   each sample's capture
    watch/watch.json      the time line rebuilt from the bundled samples (what --json prints)

The manifest lists every member, so `bundle verify` checks the samples too, and
:func:`replay_watch_bundle` rebuilds the watch's time line offline from them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ipsec_tui.collectors.bundles import MAX_MEMBERS, unpack_members
from ipsec_tui.collectors.capture_io import (
    CAPTURE_FILE,
    capture_index_text,
    read_capture,
    read_capture_index,
)
from ipsec_tui.domain.watch import WatchResult
from ipsec_tui.errors import UserError
from ipsec_tui.evidence.bundle import BundleContent, bundle_content, redacted_peers
from ipsec_tui.redact import repeatable_secrets
from ipsec_tui.watch import (
    SAMPLE_DIR,
    WATCH_JSON,
    build_watch,
    replay_watch,
    sample_folders,
    sample_of,
    to_dict,
)

WATCH = "watch"


def is_watch_folder(folder: Path) -> bool:
    """A folder a watch wrote: sample capture folders, no capture.yml of its own."""
    return not (folder / CAPTURE_FILE).exists() and bool(sample_folders(folder))


def watch_content(
    watch_dir: Path, notes: str, known_secrets: Iterable[str], out: str | Path
) -> BundleContent:
    """What the bundle of a watch folder holds: its last sample as the capture, every
    sample under watch/ (redacted, fail closed), and the time line rebuilt from the redacted
    samples (``ipsec_tui.evidence.bundle.bundle_capture`` writes it)."""
    paths = sample_folders(watch_dir)
    if not paths:
        raise UserError(f"{watch_dir}: holds no watch samples (sample-0001...)")
    samples = [read_capture(path) for path in paths]
    index = read_capture_index(paths[-1])
    tunnel = index.tunnel if index else None
    printed = [text for captures in samples for c in captures for text in c.outputs.values()]
    content = bundle_content(
        samples[-1],
        tunnel=tunnel,
        description="ipsec-tui watch: the last sample; every sample under watch/",
        notes=notes,
        known_secrets=(*known_secrets, *repeatable_secrets([*printed, notes])),
        where=out,
    )
    files = dict(content.files)
    salt = os.urandom(16)  # fingerprints comparable between the samples of this bundle
    clean_samples = []
    for path, captures in zip(paths, samples, strict=True):
        folder = f"{WATCH}/{path.name}"
        clean = redacted_peers(
            captures, folder, files, salt=salt, known=content.known_secrets, where=out
        )
        files[f"{folder}/{CAPTURE_FILE}"] = capture_index_text(tunnel, [c.name for c in clean])
        match = SAMPLE_DIR.match(path.name)
        assert match is not None
        taken_at = min((c.collected_at for c in clean if c.collected_at), default="")
        clean_samples.append(sample_of(int(match["index"]), clean, taken_at, path.name))
    if len(files) > MAX_MEMBERS - 32:  # the report, models and manifest come on top
        raise UserError(
            f"{watch_dir}: {len(paths)} samples are too many files for one bundle "
            f"(at most {MAX_MEMBERS}); bundle a shorter watch"
        )
    result = build_watch(tunnel or watch_dir.name, clean_samples)
    data = {**to_dict(result), **_how_it_ended(watch_dir)}
    files[f"{WATCH}/{WATCH_JSON}"] = json.dumps(data, indent=2) + "\n"
    return replace(content, files=files)


def _how_it_ended(watch_dir: Path) -> dict[str, object]:
    """`stopped` and `lost` as the live watch wrote them in its watch.json (when it did)."""
    try:
        data = json.loads((watch_dir / WATCH_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: data[key] for key in ("stopped", "lost") if key in data}


def replay_watch_bundle(path: str | Path) -> WatchResult:
    """The watch's time line rebuilt offline from the samples a bundle holds (verified
    against its manifest first). UserError if it is damaged or holds no watch."""
    with tempfile.TemporaryDirectory(prefix="ipsec-tui-") as tmp:
        unpack_members(path, WATCH, Path(tmp))
        folder = Path(tmp) / WATCH
        if not sample_folders(folder):
            raise UserError(f"{path}: holds no watch (no {WATCH}/sample-NNNN/ files)")
        result = replay_watch(folder)
    return replace(result, folders=tuple(Path(f).name for f in result.folders))
