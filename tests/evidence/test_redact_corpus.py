"""The corpus of real secret-bearing formats: nothing listed survives redaction or a writer.

Each file in secrets_corpus/ has a sidecar NAME.secrets (its secret values, one per line);
secrets_corpus/SOURCES.md says where each line comes from.
"""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

import pytest

from ipsec_tui.collectors.capture_io import write_capture
from ipsec_tui.domain.capture import CommandRecord, PeerCapture
from ipsec_tui.evidence.bundle import bundle_captures, bundle_content
from ipsec_tui.redact import leaks, redact

CORPUS = Path(__file__).parent / "secrets_corpus"
SAMPLES = sorted(p for p in CORPUS.iterdir() if p.suffix not in {".secrets", ".md"})


def _secrets(sample: Path) -> list[str]:
    return [s for s in (CORPUS / f"{sample.stem}.secrets").read_text().splitlines() if s]


def _forms(secret: str) -> list[str]:
    """A secret as it could be written: plain, base64, hex (lower and upper)."""
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode(), raw.hex(), raw.hex().upper()]


def _assert_absent(where: str, text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for form in _forms(secret):
            assert form not in text, f"{where}: {secret!r} as {form!r}"


def test_every_corpus_file_has_its_secrets_listed() -> None:
    assert len(SAMPLES) >= 8
    for sample in SAMPLES:
        secrets = _secrets(sample)
        assert secrets, sample.name
        text = sample.read_text()
        assert all(secret in text for secret in secrets), sample.name


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_corpus_file_is_redacted_and_leak_checked(sample: Path) -> None:
    text = sample.read_text()
    secrets = _secrets(sample)
    result = redact(text)
    _assert_absent(sample.name, result.text, secrets)
    assert leaks(text) != []  # the fail-closed scan knows the format too
    assert leaks(result.text) == []
    assert redact(result.text).text == result.text
    salted = redact(text, b"run").text
    _assert_absent(sample.name, salted, secrets)
    assert redact(salted, b"other").text == salted


def _capture(name: str) -> PeerCapture:
    records = []
    outputs = {}
    for index, sample in enumerate(SAMPLES):
        file_name = f"corpus-{index}.txt"
        records.append(CommandRecord(f"show corpus {index}", file_name))
        outputs[file_name] = sample.read_text()
    return PeerCapture(
        name=name,
        platform="cisco_ios",
        host="198.51.100.11",
        collected_at="2024-05-01T12:00:00.000Z",
        commands=tuple(records),
        outputs=outputs,
    )


def test_no_writer_puts_a_corpus_secret_on_disk(tmp_path: Path) -> None:
    # short values ("cisco", "public") are also everyday words of a report or a platform
    # name; the per-file test above checks them in the redacted outputs themselves
    secrets = [secret for sample in SAMPLES for secret in _secrets(sample) if len(secret) >= 8]
    assert len(secrets) >= 10
    captures = [_capture("siteA"), _capture("siteB")]
    folder = tmp_path / "capture"
    write_capture(folder, captures, tunnel="corpus")
    bundle = tmp_path / "ticket.zip"
    bundle_captures(bundle, bundle_content(captures, tunnel="corpus", notes="see the logs"))

    written = [p for p in tmp_path.rglob("*")]
    assert any(p.name == "peer.yml" for p in written)
    for path in written:
        _assert_absent(f"file name {path}", str(path.relative_to(tmp_path)), secrets)
        if path.is_file() and path.suffix != ".zip":
            _assert_absent(str(path), path.read_text(errors="replace"), secrets)
    with zipfile.ZipFile(bundle) as archive:
        members = archive.namelist()
        assert any(member.endswith(".txt") for member in members)
        for member in members:
            _assert_absent(f"zip member name {member}", member, secrets)
            content = archive.read(member).decode("utf-8", errors="replace")
            _assert_absent(f"{bundle.name}:{member}", content, secrets)
