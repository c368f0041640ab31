"""`show crypto ipsec sa` and `show crypto ikev2 sa` are read as nested blocks (interface ->
crypto map -> flow -> direction -> SA; IKE SA -> child SA). A flow, SA or child SA line
whose enclosing block is missing (an output whose head was cut off, as a scrolled terminal
or a paged capture leaves it) is not dropped: the result is partial and keeps the line."""

from __future__ import annotations

from pathlib import Path

from ipsec_tui.domain.model import ParseStatus
from ipsec_tui.parsers import base

HERE = Path(__file__).parent
ASA = HERE.parent / "cisco_asa"


def _cut_before(text: str, marker: str) -> tuple[str, int]:
    """The text from the first line that starts (indentation aside) with `marker` on, and
    the number of lines dropped before it."""
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.lstrip().startswith(marker))
    return "".join(lines[first:]), first


def _read(name: Path) -> str:
    return name.read_text(encoding="utf-8")


def test_ios_flow_without_its_interface_is_kept_and_the_rest_is_read() -> None:
    text = _read(HERE / "show-crypto-ipsec-sa-detail" / "ntc-detail-2.txt")
    cut, _ = _cut_before(text, "local  ident")  # the first flow lost its interface line
    result, fragment = base.parse_text("cisco_ios", "show crypto ipsec sa detail", cut)
    assert result.status == ParseStatus.PARTIAL, result.reason
    unplaced = [u.text for u in fragment.unplaced]
    assert unplaced[0].startswith("local  ident") and unplaced[1:] == [
        "spi: 0xABCD1234(2882343476)",
        "spi: 0x1234ABCD(305441741)",
    ]
    # Tunnel2, after the cut, is read whole: its two SA pairs
    children = [child for sa in fragment.ike_sas for child in sa.child_sas]
    assert [child.interface for child in children] == ["Tunnel2", "Tunnel2"]
    assert {child.spi_in for child in children} == {"1234dcba", "4321ffff"}


def test_asa_flows_without_their_interface_are_kept() -> None:
    text = _read(ASA / "show-crypto-ipsec-sa" / "ntc.txt")
    cut, dropped = _cut_before(text, "local ident")
    result, fragment = base.parse_text("cisco_asa", "show crypto ipsec sa", cut)
    assert result.status == ParseStatus.PARTIAL, result.reason
    spis = [u.text for u in fragment.unplaced if u.text.startswith("spi:")]
    assert spis == ["spi: 0x1E8246FC (511854332)", "spi: 0xDC15BF68 (3692412776)"]
    assert all(cut.splitlines()[u.line - 1].strip() == u.text for u in fragment.unplaced if u.line)
    # the COLO flows come after their interface line: both read
    assert sorted(c.spi_in or "" for sa in fragment.ike_sas for c in sa.child_sas) == [
        "32f752ff",
        "6a7391e0",
    ]
    assert dropped > 0


def test_whole_outputs_leave_nothing_unplaced() -> None:
    for platform, command, path in (
        ("cisco_ios", "show crypto ipsec sa detail", HERE / "show-crypto-ipsec-sa-detail"),
        ("cisco_asa", "show crypto ipsec sa", ASA / "show-crypto-ipsec-sa"),
        ("cisco_ios", "show crypto ikev2 session detailed", HERE / "show-crypto-ikev2-session"),
        ("cisco_asa", "show crypto ikev2 sa", ASA / "show-crypto-ikev2-sa"),
    ):
        for case in sorted(path.glob("*.txt")):
            if case.name.startswith("_"):
                continue
            result, fragment = base.parse_text(platform, command, _read(case))
            assert result.status in (ParseStatus.OK, ParseStatus.EMPTY), (case.name, result.reason)
            assert not fragment.unplaced


def test_child_sa_without_its_ike_sa_is_kept() -> None:
    text = _read(ASA / "show-crypto-ikev2-sa" / "genie-golden-output1-ipv6.txt")
    lines = text.splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Tunnel-id"))
    # the IKE SA's own line lost (its header kept): its child SAs have no IKE SA to go under
    cut = "".join(lines[: header + 1] + lines[header + 2 :])
    result, fragment = base.parse_text("cisco_asa", "show crypto ikev2 sa", cut)
    assert result.status == ParseStatus.PARTIAL, result.reason
    assert [u.text.split(" local selector")[0] for u in fragment.unplaced] == ["Child sa:"] * 2
