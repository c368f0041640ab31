"""What the three cloud VPN parsers (aws_vpn, azure_vpngw, gcp_vpn) share: reading a JSON or
YAML document, finding the line a value was printed on, the tunnel status the cloud reports,
and a pre-shared key's fingerprint from its redaction mark.

A cloud's tunnel status is not an IKE SA the cloud shows: it is the cloud's own word on the
tunnel (AWS `VgwTelemetry` UP/DOWN, Azure `connectionStatus`, Google `status`) with its
message. Each becomes a `LogEvent` of subsystem `TUNNEL_STATUS` (`sa_name` the tunnel's
connection name, `level` the status as the cloud words it, `time` when it last changed where
the cloud says), so it is evidence on the time line like any log line; a tunnel the cloud
reports up also becomes an ESTABLISHED IKE SA with its child SA, as a device would list it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from ipsec_tui.domain.model import TUNNEL_STATUS, ChildSa, IkeSa, LogEvent, SourceRef
from ipsec_tui.parsers.base import ParseError
from ipsec_tui.parsers.strongswan import memory_fingerprint

__all__ = [
    "TUNNEL_STATUS",
    "line_of",
    "load_json",
    "psk_fingerprint",
    "status_event",
    "texts",
    "up_tunnel",
    "whole",
]

_FINGERPRINT = re.compile(r"<redacted:fp=([0-9A-Za-z]+)>")


def load_json(text: str, what: str) -> Any:
    """The JSON document `text` is; ParseError naming `what` was expected otherwise."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not the JSON {what} prints: {exc}") from None


def line_of(text: str, needle: str, after: int = 0) -> int:
    """The 1-based line of the first `needle` at or after character `after` (1 if absent)."""
    at = text.find(needle, after)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def psk_fingerprint(value: object) -> str | None:
    """The comparable fingerprint of a pre-shared key as the capture holds it: the keyed mark
    redaction left, or (a document imported by hand with its key) one computed in memory;
    None when there is none or the cloud printed it masked (`*****`)."""
    if not isinstance(value, str) or not value or set(value) <= {"*"}:
        return None
    match = _FINGERPRINT.search(value)
    if match:
        return match.group(1)
    if value.startswith("<redacted"):
        return None
    return memory_fingerprint(value)


def status_event(
    line: int,
    tunnel: str,
    status: str,
    message: str | None = None,
    time: str | None = None,
) -> LogEvent:
    """The cloud's status of one tunnel as a time line entry."""
    text = f"{tunnel}: {status}" + (f" ({message})" if message else "")
    return LogEvent(
        line=line, message=text, time=time, level=status, subsystem=TUNNEL_STATUS, sa_name=tunnel
    )


def up_tunnel(
    name: str,
    source: SourceRef,
    *,
    local_addr: str | None = None,
    remote_addr: str | None = None,
    version: int | None = None,
    local_ts: Iterable[str] = (),
    remote_ts: Iterable[str] = (),
) -> IkeSa:
    """A tunnel the cloud reports up: an established IKE SA with its installed child SA (the
    cloud shows neither SPIs nor algorithms of the negotiated SAs)."""
    return IkeSa(
        name=name,
        state="ESTABLISHED",
        version=version,
        local_addr=local_addr,
        remote_addr=remote_addr,
        child_sas=(
            ChildSa(
                name=name,
                state="INSTALLED",
                mode="tunnel",
                protocol="ESP",
                local_ts=tuple(local_ts),
                remote_ts=tuple(remote_ts),
                source=source,
            ),
        ),
        source=source,
    )


def whole(value: object) -> int | None:
    """A JSON number that is a whole number (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def texts(values: object, key: str = "Value") -> tuple[str, ...]:
    """Text values of a JSON list, whether plain (`["a"]`) or AWS-style (`[{"Value": "a"}]`)."""
    if not isinstance(values, list):
        return ()
    found: list[str] = []
    for item in values:
        value = item.get(key) if isinstance(item, dict) else item
        if value is not None and str(value).strip():
            found.append(str(value))
    return tuple(found)
