"""AWS Site-to-Site VPN: `aws ec2 describe-vpn-connections` (JSON), the downloadable device
configuration (the Generic text, alone or as the JSON string
`get-vpn-connection-device-sample-configuration` prints) and the Site-to-Site VPN logs
(tunnel activity and BGP records, JSON, as CloudWatch Logs keeps them or as
`aws logs filter-log-events` prints them).

One VPN connection has two tunnels, each a connection of the model named
`<VpnConnectionId>-tunnel<N>` (N in the order AWS lists them: the configuration file's
`IPSec Tunnel #N`), so the two documents of one tunnel merge. From the cloud peer's side the
AWS outside address is local and the customer gateway remote; AWS calls the customer side's
CIDR "local" (`LocalIpv4NetworkCidr`), which is the cloud peer's remote selector.

A log record names its tunnel by the VPN connection and outside address (`vpn-..._<ip>`, the
log stream's name), not by its number: its events carry that name as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ipsec_tui.domain import algorithms
from ipsec_tui.domain.model import ChildConfig, Connection, LogEvent, Proposal, Route
from ipsec_tui.parsers import cloud
from ipsec_tui.parsers.base import Fragment, ParseContext, ParseError, parser, source_ref
from ipsec_tui.parsers.log_signatures import match_causes

PLATFORM = "aws_vpn"


def tunnel_name(connection_id: str, index: int) -> str:
    """The model's name of a connection's tunnel: `vpn-0123-tunnel1`."""
    return f"{connection_id}-tunnel{index}"


def _versions(values: tuple[str, ...]) -> int | None:
    numbers = {int(v[-1]) for v in values if re.fullmatch(r"ikev[12]", v.lower())}
    if not numbers:
        return None
    return numbers.pop() if len(numbers) == 1 else 0


def _proposal(options: dict[str, Any], phase: int) -> tuple[Proposal, ...]:
    encryption = tuple(
        name
        for value in cloud.texts(options.get(f"Phase{phase}EncryptionAlgorithms"))
        if (name := algorithms.encryption(value))
    )
    integrity = tuple(
        name
        for value in cloud.texts(options.get(f"Phase{phase}IntegrityAlgorithms"))
        if (name := algorithms.integrity(value))
    )
    groups = tuple(
        name
        for value in cloud.texts(options.get(f"Phase{phase}DHGroupNumbers"))
        if (name := algorithms.dh_group(value))
    )
    if not (encryption or integrity or groups):
        return ()  # not printed: AWS's defaults apply, which the output does not say
    return (Proposal(encryption=encryption, integrity=integrity, dh_groups=groups),)


def _vpn_connections(data: Any) -> list[dict[str, Any]]:
    """The VPN connections of the document: `VpnConnections` (a list; the CLI reference's
    oldest example prints one object there) or a single `VpnConnection`."""
    if not isinstance(data, dict):
        raise ParseError("not a describe-vpn-connections document (no VpnConnections)")
    found = data.get("VpnConnections", data.get("VpnConnection"))
    if isinstance(found, dict):
        return [found]
    if isinstance(found, list):
        return [item for item in found if isinstance(item, dict)]
    raise ParseError("not a describe-vpn-connections document (no VpnConnections)")


@parser(PLATFORM, "aws-ec2-describe-vpn-connections")
def parse_describe(text: str, ctx: ParseContext) -> Fragment:
    """Per tunnel: a connection (outside address, IKE versions, phase 1 and 2 proposals,
    lifetimes, startup and DPD timeout actions, selectors, PSK fingerprint), the telemetry
    status as a TUNNEL_STATUS event (status message, last change) and, when UP, an
    established IKE SA; static routes; the inside CIDRs and DPD timeouts as notes."""
    fragment = Fragment()
    for vpn in _vpn_connections(cloud.load_json(text, "aws ec2 describe-vpn-connections")):
        vpn_id = str(vpn.get("VpnConnectionId") or "vpn")
        start = text.find(f'"{vpn_id}"')
        found = vpn.get("Options")
        options: dict[str, Any] = found if isinstance(found, dict) else {}
        tunnel_options = [t for t in options.get("TunnelOptions") or [] if isinstance(t, dict)]
        telemetry = [t for t in vpn.get("VgwTelemetry") or [] if isinstance(t, dict)]
        outside: list[str] = []
        for item in (*tunnel_options, *telemetry):
            address = item.get("OutsideIpAddress")
            if isinstance(address, str) and address and address not in outside:
                outside.append(address)
        # AWS's "local" is the customer gateway's side
        remote_ts = (
            (str(options["LocalIpv4NetworkCidr"]),) if options.get("LocalIpv4NetworkCidr") else ()
        )
        local_ts = (
            (str(options["RemoteIpv4NetworkCidr"]),) if options.get("RemoteIpv4NetworkCidr") else ()
        )
        if vpn.get("State"):
            fragment.notes.append(f"{vpn_id}: state {vpn['State']}, type {vpn.get('Type')}")
        for route in vpn.get("Routes") or []:
            if isinstance(route, dict) and route.get("DestinationCidrBlock"):
                fragment.routes.append(
                    Route(destination=str(route["DestinationCidrBlock"]), device=vpn_id)
                )
        for index, address in enumerate(outside, 1):
            name = tunnel_name(vpn_id, index)
            mine = next((t for t in tunnel_options if t.get("OutsideIpAddress") == address), {})
            source = source_ref(ctx, cloud.line_of(text, f'"{address}"', max(start, 0)))
            version = _versions(cloud.texts(mine.get("IKEVersions") or mine.get("IkeVersions")))
            dpd = cloud.whole(mine.get("DPDTimeoutSeconds", mine.get("DpdTimeoutSeconds")))
            if mine.get("TunnelInsideCidr"):
                fragment.notes.append(f"{name}: inside CIDR {mine['TunnelInsideCidr']}")
            if dpd is not None:
                fragment.notes.append(f"{name}: DPD timeout {dpd} s")
            conn = cloud.tunnel_connection(
                name,
                source,
                psk=bool(mine.get("PreSharedKey")),
                local_ts=local_ts,
                remote_ts=remote_ts,
                child_proposals=_proposal(mine, 2),
                child_life_s=cloud.whole(mine.get("Phase2LifetimeSeconds")),
                start_action=_text(mine.get("StartupAction")),
                dpd_action=_text(mine.get("DPDTimeoutAction", mine.get("DpdTimeoutAction"))),
                version=version,
                local_addrs=(address,),
                proposals=_proposal(mine, 1),
                life_time_s=cloud.whole(mine.get("Phase1LifetimeSeconds")),
                psk_fingerprint=cloud.psk_fingerprint(mine.get("PreSharedKey")),
            )
            fragment.connections.append(conn)
            status = next((t for t in telemetry if t.get("OutsideIpAddress") == address), None)
            if status is None or not status.get("Status"):
                continue
            at = text.find('"VgwTelemetry"', max(start, 0))
            state = str(status["Status"])
            cloud.report_status(
                fragment,
                source_ref(ctx, cloud.line_of(text, f'"{address}"', at)),
                conn,
                state,
                up=state.upper() == "UP",
                platform=PLATFORM,
                message=_text(status.get("StatusMessage")),
                time=_text(status.get("LastStatusChange")),
            )
    if not fragment.connections:
        fragment.understood = True  # a valid document listing no VPN connection
    return fragment


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


# --- the downloaded configuration file (Generic) ------------------------------------------

_TUNNEL = re.compile(r"^\s*IPSec Tunnel #(?P<n>\d+)\s*$", re.IGNORECASE)
_SECTION = re.compile(r"^\s*#(?P<n>\d):\s*(?P<title>.+?)\s*$")
_ITEM = re.compile(r"^\s*-\s*(?P<key>[^:]+?)\s*:\s*(?P<value>.*?)\s*$")
_CONNECTION_ID = re.compile(r"^\s*Your VPN Connection ID\s*:\s*(?P<id>\S+)")
_GROUP = re.compile(r"Group\s*(?P<n>\d+)", re.IGNORECASE)
_SECONDS = re.compile(r"(?P<n>\d+)\s*seconds", re.IGNORECASE)
_ADDRESS = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?:/\d+)?$|^[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*(?:/\d+)?$")


@dataclass
class _Tunnel:
    number: int
    first: int
    last: int = 0
    values: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def get(self, section: str, key: str) -> str | None:
        found = self.values.get((section, key.lower()))
        return found[0] if found else None


def _config_text(text: str) -> str:
    """The configuration text itself: as downloaded, or out of the CLI's JSON string."""
    if text.lstrip().startswith("{"):
        data = cloud.load_json(text, "aws ec2 get-vpn-connection-device-sample-configuration")
        value = (
            data.get("VpnConnectionDeviceSampleConfiguration") if isinstance(data, dict) else None
        )
        if not isinstance(value, str):
            raise ParseError("no VpnConnectionDeviceSampleConfiguration in the JSON")
        return value
    return text


def _read_tunnels(config: str) -> tuple[str | None, list[_Tunnel]]:
    connection_id = None
    tunnels: list[_Tunnel] = []
    section = base = ""
    for number, line in enumerate(config.splitlines(), 1):
        if (found := _CONNECTION_ID.match(line)) and connection_id is None:
            connection_id = found["id"]
        elif found := _TUNNEL.match(line):
            if tunnels:
                tunnels[-1].last = number - 1
            tunnels.append(_Tunnel(int(found["n"]), number))
            section = base = ""
        elif tunnels and (found := _SECTION.match(line)):
            section = base = found["title"].lower()
        elif tunnels and (found := _ITEM.match(line)):
            key = (section, found["key"].lower())
            tunnels[-1].values.setdefault(key, (found["value"], number))
        elif tunnels and line.strip().lower().startswith(("outside ip", "inside ip")):
            section = f"{base}/{line.strip().lower().rstrip(':')}"
    if tunnels:
        tunnels[-1].last = len(config.splitlines())
    return connection_id, tunnels


def _section(tunnel: _Tunnel, word: str) -> str:
    return next((s for s, _ in tunnel.values if word in s), "")


@parser(PLATFORM, "aws-ec2-get-vpn-connection-device-sample-configuration")
def parse_configuration(text: str, ctx: ParseContext) -> Fragment:
    """Per `IPSec Tunnel #N`: a connection with the outside addresses (AWS local, customer
    gateway remote where the file gives an address), IKE version, phase 1 and 2 algorithms,
    DH groups, lifetimes, main or aggressive mode, DPD interval and the pre-shared key's
    fingerprint; inside addresses as notes."""
    config = _config_text(text)
    connection_id, tunnels = _read_tunnels(config)
    if not tunnels:
        raise ParseError("no `IPSec Tunnel #N` section: not an AWS VPN configuration file")
    # lines of a file as downloaded; the CLI's JSON prints the whole text as one string
    from_json = config is not text
    fragment = Fragment()
    vpn_id = connection_id or "vpn"
    for tunnel in tunnels:
        name = tunnel_name(vpn_id, tunnel.number)
        ike = _section(tunnel, "key exchange")
        ipsec = _section(tunnel, "ipsec configuration")
        outside = _section(tunnel, "outside ip")
        inside = _section(tunnel, "inside ip")

        def get(section: str, key: str, tunnel: _Tunnel = tunnel) -> str | None:
            return tunnel.get(section, key)

        def proposal(section: str) -> tuple[Proposal, ...]:
            enc = algorithms.encryption(get(section, "Encryption Algorithm"))
            integ = algorithms.integrity(get(section, "Authentication Algorithm"))
            group_text = get(section, "Diffie-Hellman") or get(section, "Perfect Forward Secrecy")
            group = _GROUP.search(group_text or "")
            dh = algorithms.dh_group(int(group["n"])) if group else None
            return (
                Proposal(
                    encryption=(enc,) if enc else (),
                    integrity=(integ,) if integ else (),
                    dh_groups=(dh,) if dh else (),
                ),
            )

        def seconds(section: str) -> int | None:
            found = _SECONDS.search(get(section, "Lifetime") or "")
            return int(found["n"]) if found else None

        version_text = (get(ike, "IKE version") or "").lower()
        version = 2 if "ikev2" in version_text else 1 if "ikev1" in version_text else None
        local = get(outside, "Virtual Private Gateway")
        remote = get(outside, "Customer Gateway")
        mode = (get(ike, "Phase 1 Negotiation Mode") or "").lower()
        dpd = get(ipsec, "DPD Interval")
        psk = "pre-shared" in (get(ike, "Authentication Method") or "").lower()
        auth = "psk" if psk else None
        source = source_ref(ctx, 1) if from_json else source_ref(ctx, tunnel.first, tunnel.last)
        for which in ("Customer Gateway", "Virtual Private Gateway"):
            address = get(inside, which)
            if address:
                fragment.notes.append(f"{name}: inside {which} {address}")
        fragment.connections.append(
            Connection(
                name=name,
                version=version,
                local_addrs=(local,) if local and _ADDRESS.match(local) else (),
                remote_addrs=(remote,) if remote and _ADDRESS.match(remote) else (),
                local_auth=auth,
                remote_auth=auth,
                proposals=proposal(ike),
                life_time_s=seconds(ike),
                psk_fingerprint=cloud.psk_fingerprint(get(ike, "Pre-Shared Key")),
                dpd_delay_s=int(dpd) if dpd and dpd.isdigit() else None,
                aggressive={"main": False, "aggressive": True}.get(mode),
                children=(
                    ChildConfig(
                        name=name,
                        mode=(get(ipsec, "Mode") or "").lower() or None,
                        proposals=proposal(ipsec),
                        life_time_s=seconds(ipsec),
                        source=source,
                    ),
                ),
                source=source,
            )
        )
    return fragment


# --- the Site-to-Site VPN logs ------------------------------------------------------------

# A log record as the user has it: one object per line (CloudWatch's JSON format), objects
# one after the other (pretty-printed, as AWS's documentation shows them), or the CLI's
# `{"events": [{"logStreamName": ..., "message": "<the record>"}, ...]}`.
_DECODER = json.JSONDecoder()
# Fields of a tunnel activity record (AWS's "Site-to-Site VPN log contents")
_PHASES = (("ike_phase1_state", "phase 1"), ("ike_phase2_state", "phase 2"))


def _objects(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(offset, object) of each top-level JSON object of the text, in order."""
    found: list[tuple[int, dict[str, Any]]] = []
    at = 0
    while True:
        start = text.find("{", at)
        if start < 0:
            return found
        if text[at:start].strip():
            raise ParseError(f"not a JSON log record at line {text.count(chr(10), 0, at) + 1}")
        try:
            value, at = _DECODER.raw_decode(text, start)
        except ValueError as exc:
            raise ParseError(f"not the JSON of a Site-to-Site VPN log record: {exc}") from None
        if isinstance(value, dict):
            found.append((start, value))


def _records(text: str) -> list[tuple[int, str | None, str | None, object]]:
    """(offset, log stream, time, record) of each log record; a CLI event's message is the
    record (JSON, or the text format as it is), its stream and time the event's."""
    out: list[tuple[int, str | None, str | None, object]] = []
    for offset, item in _objects(text):
        events = item.get("events")
        if not isinstance(events, list):
            out.append((offset, None, None, item))
            continue
        at = offset
        for event in events:
            if not isinstance(event, dict) or "message" not in event:
                continue
            at = text.find('"message"', at + 1)
            message = event["message"]
            try:
                record = json.loads(message) if isinstance(message, str) else message
            except ValueError:
                record = message
            stream = _text(event.get("logStreamName"))
            out.append((at, stream, _epoch(event.get("timestamp")), record))
    return out


def _epoch(value: object) -> str | None:
    """An `event_timestamp` in epoch milliseconds as UTC time, as the readable field prints it."""
    number = cloud.whole(value)
    if number is None:
        return None
    moment = datetime.fromtimestamp(number / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{number % 1000:03d}Z"


def _log_event(line: int, stream: str | None, time: str | None, record: object) -> LogEvent:
    if not isinstance(record, dict):
        return LogEvent(line=line, message=str(record), time=time, sa_name=stream)
    body = record.get("message")
    body = body if isinstance(body, dict) else {}
    details = str(record.get("details") or body.get("details") or "")
    if record.get("type"):  # a BGP record: BGPStatus or RouteStatus, with its status
        prefix = f"{body['prefix']}: " if body.get("prefix") else ""
        message = f"{record['type']} {record.get('status') or ''}".strip()
        message += f": {prefix}{details}" if details else ""
        level = _text(record.get("status"))
        subsystem = str(record["type"])
    else:  # tunnel activity: the IKE phases' states and AWS's words
        states = ", ".join(f"{label} {record[key]}" for key, label in _PHASES if record.get(key))
        message = f"{details} [IKE {states}]" if details and states else details
        message = message or (f"IKE {states}" if states else json.dumps(record))
        level = _text(record.get("ike_phase1_state"))
        subsystem = "tunnel-activity"
    causes, direction = match_causes(details, PLATFORM) if details else ((), None)
    return LogEvent(
        line=line,
        message=message,
        time=_text(record.get("timestamp")) or _epoch(record.get("event_timestamp")) or time,
        level=level,
        subsystem=subsystem,
        sa_name=_text(record.get("resource_id")) or _text(record.get("tunnel_ip")) or stream,
        causes=causes,
        direction=direction,
    )


@parser(PLATFORM, "aws-logs-filter-log-events")
def parse_logs(text: str, ctx: ParseContext) -> Fragment:
    """Each log record as a time line event: a tunnel activity record's `details` in AWS's
    words (with its cause tokens by signatures/aws_vpn.yml) and the IKE phases' states; a
    BGP record's type, status and details. Whether DPD is on and NAT-T was detected, per
    tunnel, as notes (the latest record's)."""
    fragment = Fragment()
    seen: dict[str, str] = {}
    line, counted = 1, 0  # records come in text order: count each line once (large logs)
    for offset, stream, time, record in _records(text):
        line, counted = line + text.count("\n", counted, offset), offset
        event = _log_event(line, stream, time, record)
        fragment.log.append(event)
        if isinstance(record, dict) and "dpd_enabled" in record:
            nat = record.get("nat_t_detected")
            seen[event.sa_name or "tunnel"] = f"DPD enabled {record['dpd_enabled']}, NAT-T {nat}"
    if not fragment.log:
        raise ParseError("no Site-to-Site VPN log record in the text")
    fragment.notes += [f"{tunnel}: {said}" for tunnel, said in seen.items()]
    return fragment
