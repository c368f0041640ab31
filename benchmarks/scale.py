"""Large captures made from real lab output: the baseline capture with its child SA block
repeated N times (new names, SPIs and selectors), the two peers mirrored as the daemons would
print them. Used by the parse/check and cockpit benchmarks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

BASELINE = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "captures" / "strongswan" / "baseline"
)
_CHILD = re.compile(r"^  lan: #\d+, reqid \d+, .*?(?=^\S|\Z)", re.M | re.S)


def _spi(side: str, i: int) -> str:
    return f"{(0xC0000000 if side == 'in' else 0xD0000000) + i:08x}"


def _nets(i: int) -> tuple[str, str]:
    return f"10.{64 + i // 256}.{i % 256}.0/24", f"10.{128 + i // 256}.{i % 256}.0/24"


def scaled_list_sas(text: str, children: int, mirrored: bool) -> str:
    block = _CHILD.search(text)
    if block is None:
        raise ValueError("no child SA block in the baseline output")
    template = block.group(0)
    ends_file = not template.endswith("\n")
    template += "\n" if ends_file else ""
    out = []
    for i in range(children):
        left, right = _nets(i)
        local, remote = (right, left) if mirrored else (left, right)
        spi_in, spi_out = (
            (_spi("out", i), _spi("in", i)) if mirrored else (_spi("in", i), _spi("out", i))
        )
        child = re.sub(
            r"^  lan: #\d+, reqid \d+", f"  lan{i}: #{i + 1}, reqid {i + 1}", template, flags=re.M
        )
        child = re.sub(r"(^    in  )[0-9a-f]{8}", rf"\g<1>{spi_in}", child, flags=re.M)
        child = re.sub(r"(^    out )[0-9a-f]{8}", rf"\g<1>{spi_out}", child, flags=re.M)
        child = re.sub(r"(^    local  ).*$", rf"\g<1>{local}", child, flags=re.M)
        child = re.sub(r"(^    remote ).*$", rf"\g<1>{remote}", child, flags=re.M)
        out.append(child)
    body = "".join(out)
    return text[: block.start()] + (body[:-1] if ends_file else body) + text[block.end() :]


def scaled_capture(target: Path, children: int) -> Path:
    """Copy the real baseline capture and give each peer `children` child SAs."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(BASELINE, target)
    for peer, mirrored in (("siteA", False), ("siteB", True)):
        path = target / peer / "swanctl-list-sas.txt"
        path.write_text(scaled_list_sas(path.read_text(), children, mirrored))
    return target
