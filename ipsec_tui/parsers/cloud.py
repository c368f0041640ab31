"""What the three cloud VPN parsers (aws_vpn, azure_vpngw, gcp_vpn) share: reading a JSON or
YAML document, finding the line a value was printed on, a cloud tunnel as a connection, the
tunnel status the cloud reports, and a pre-shared key's fingerprint from its redaction mark.

A cloud's tunnel status is not an IKE SA the cloud shows: it is the cloud's own word on the
tunnel (AWS `VgwTelemetry` UP/DOWN, Azure `connectionStatus`, Google `status`) with its
message. Each becomes a `LogEvent` of subsystem `TUNNEL_STATUS` (`sa_name` the tunnel's
connection name, `level` the status as the cloud words it, `time` when it last changed where
the cloud says), so it is evidence on the time line like any log line; a tunnel the cloud
reports up also becomes an ESTABLISHED IKE SA with its child SA, as a device would list it.
A status that names a cause in the cloud's words (Google's AUTHORIZATION_ERROR, ...) carries
its cause tokens by the platform's signatures (parsers/signatures/<platform>.yml).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ipsec_tui.domain.model import (
    TUNNEL_STATUS,
    ChildConfig,
    ChildSa,
    Connection,
    IkeSa,
    LogEvent,
    Proposal,
    SourceRef,
)
from ipsec_tui.parsers.base import Fragment, ParseError
from ipsec_tui.parsers.log_signatures import match_causes
from ipsec_tui.redact import comparable_fingerprint

__all__ = [
    "TUNNEL_STATUS",
    "line_of",
    "load_json",
    "psk_fingerprint",
    "report_status",
    "texts",
    "tunnel_connection",
    "whole",
]


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
    return comparable_fingerprint(value)


def report_status(
    fragment: Fragment,
    source: SourceRef,
    connection: Connection,
    status: str,
    *,
    up: bool,
    platform: str,
    tunnel: str | None = None,
    message: str | None = None,
    time: str | None = None,
    bytes_in: int | None = None,
    bytes_out: int | None = None,
) -> None:
    """The cloud's status of one tunnel of `connection` (its own name unless `tunnel` names
    one of several) into the fragment: its time line entry, with the cause tokens the
    platform's signatures find in the status and its message, and, when the cloud reports it
    up, the connection as an established IKE SA with its installed child SA (the cloud shows
    neither SPIs nor algorithms of the negotiated SAs, at most byte counters)."""
    name = tunnel or connection.name
    text = f"{name}: {status}" + (f" ({message})" if message else "")
    causes, direction = match_causes(text, platform)
    event = LogEvent(source.line_start, text, time=time, level=status, subsystem=TUNNEL_STATUS)
    fragment.log.append(replace(event, sa_name=name, causes=causes, direction=direction))
    if not up:
        return
    child = connection.children[0] if connection.children else None
    installed = ChildSa(
        name=name,
        state="INSTALLED",
        mode="tunnel",
        protocol="ESP",
        local_ts=child.local_ts if child else (),
        remote_ts=child.remote_ts if child else (),
        bytes_in=bytes_in,
        bytes_out=bytes_out,
        source=source,
    )
    fragment.ike_sas.append(
        IkeSa(
            name=name,
            state="ESTABLISHED",
            version=connection.version or None,
            local_addr=next(iter(connection.local_addrs), None),
            remote_addr=next(iter(connection.remote_addrs), None),
            child_sas=(installed,),
            source=source,
        )
    )


def tunnel_connection(
    name: str,
    source: SourceRef | None,
    *,
    psk: bool,
    local_ts: tuple[str, ...] = (),
    remote_ts: tuple[str, ...] = (),
    child_proposals: tuple[Proposal, ...] = (),
    child_life_s: int | None = None,
    start_action: str | None = None,
    dpd_action: str | None = None,
    **ike: Any,
) -> Connection:
    """A cloud tunnel as a connection: authenticated by pre-shared key (when the cloud says
    so), with one tunnel-mode child of the same name (`ike`: Connection's other fields)."""
    child = ChildConfig(
        name=name,
        local_ts=local_ts,
        remote_ts=remote_ts,
        mode="tunnel",
        proposals=child_proposals,
        life_time_s=child_life_s,
        start_action=start_action,
        dpd_action=dpd_action,
        source=source,
    )
    auth = "psk" if psk else None
    return Connection(
        name=name,
        local_auth=auth,
        remote_auth=auth,
        children=(child,),
        source=source,
        **ike,
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
