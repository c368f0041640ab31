"""One vendor-neutral model of an IPsec peer: what it has negotiated, what it is configured
with, and what its network, firewall and logs say. Standard library only.

Every platform's parser fills these same classes, with canonical algorithm names
(see `ipsec_tui.domain.algorithms`), so two peers of different vendors compare field by field.
Unknown values are None (not collected or not shown by the platform), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from enum import StrEnum
from typing import Any, cast

from ipsec_tui.domain.causes import VOTE_CAUSES


class ParseStatus(StrEnum):
    OK = "ok"
    EMPTY = "empty"  # the command ran and printed nothing this template understands
    FAILED = "failed"
    # understood, but some lines could not be placed (a child SA whose IKE SA row is absent,
    # an unknown line inside a known block): the rest is used, those lines are kept as raw
    PARTIAL = "partial"


@dataclass(frozen=True)
class SourceRef:
    """Where a fact came from: a file of the capture and a line range (1-based, inclusive)."""

    peer: str
    file: str
    line_start: int
    line_end: int


@dataclass(frozen=True)
class ChildSa:
    """A negotiated child (IPsec/phase-2) SA pair: one inbound and one outbound SPI."""

    name: str | None = None
    unique_id: str | None = None  # the daemon's serial, "#2" (strongSwan, Libreswan)
    state: str | None = None  # INSTALLED, REKEYING, REKEYED, DELETING, FAILED...
    mode: str | None = None  # tunnel | transport
    protocol: str | None = None  # ESP | AH
    encap: bool | None = None  # ESP in UDP (NAT-T)
    local_ts: tuple[str, ...] = ()  # CIDRs, optionally with [proto/port]
    remote_ts: tuple[str, ...] = ()
    spi_in: str | None = None  # lowercase hex without 0x
    spi_out: str | None = None
    encryption: str | None = None
    integrity: str | None = None
    pfs_group: str | None = None  # DH group of the last (re)key, None if none was used
    bytes_in: int | None = None
    bytes_out: int | None = None
    packets_in: int | None = None
    packets_out: int | None = None
    errors_in: int | None = None  # decrypt/verify/replay failures where the platform counts
    errors_out: int | None = None
    rekey_in_s: int | None = None
    lifetime_s: int | None = None  # seconds until it expires
    installed_s: int | None = None  # age
    reqid: int | None = None
    interface: str | None = None  # route-based tunnel interface, crypto map interface
    source: SourceRef | None = None


@dataclass(frozen=True)
class IkeSa:
    """A negotiated IKE (phase-1) SA and the child SAs under it."""

    name: str | None = None
    unique_id: str | None = None  # the daemon's serial, "#1" (strongSwan, Libreswan)
    state: str | None = None  # ESTABLISHED, CONNECTING, REKEYING, DELETING, PASSIVE...
    version: int | None = None  # 1 or 2
    local_addr: str | None = None
    local_port: int | None = None
    remote_addr: str | None = None
    remote_port: int | None = None
    local_id: str | None = None
    remote_id: str | None = None
    initiator: bool | None = None  # this peer initiated the SA
    encryption: str | None = None
    integrity: str | None = None
    prf: str | None = None
    dh_group: str | None = None
    auth_method: str | None = None  # psk, pubkey, eap...
    nat_t: bool | None = None
    spi_i: str | None = None
    spi_r: str | None = None
    lifetime_s: int | None = None  # configured or remaining lifetime
    rekey_in_s: int | None = None
    established_s: int | None = None  # age
    vrf: str | None = None
    # Both ends by role, where an output names them by who initiated and not by side (IOS
    # `show crypto isakmp sa`: src initiated, dst responded); local/remote follow once the
    # device's own addresses are known.
    initiator_addr: str | None = None
    responder_addr: str | None = None
    child_sas: tuple[ChildSa, ...] = ()
    source: SourceRef | None = None


@dataclass(frozen=True)
class Proposal:
    """One proposal: the algorithms it allows (any of each list)."""

    encryption: tuple[str, ...] = ()
    integrity: tuple[str, ...] = ()
    prf: tuple[str, ...] = ()
    dh_groups: tuple[str, ...] = ()  # for a child proposal: the PFS groups ("none" if none)


@dataclass(frozen=True)
class ChildConfig:
    """A configured child SA (phase-2 / crypto map entry / IPsec policy)."""

    name: str
    local_ts: tuple[str, ...] = ()
    remote_ts: tuple[str, ...] = ()
    mode: str | None = None
    proposals: tuple[Proposal, ...] = ()
    rekey_time_s: int | None = None
    life_time_s: int | None = None
    start_action: str | None = None
    dpd_action: str | None = None
    source: SourceRef | None = None


# A psk_fingerprint computed from a raw key (a capture with its secrets still in) starts with
# this mark: it compares with another raw key's of the same process, never with the keyed
# fingerprint a collection wrote.
MEMORY_FINGERPRINT_MARK = "mem:"


@dataclass(frozen=True)
class Connection:
    """A configured tunnel (strongSwan connection, Libreswan conn, Cisco profile/map...)."""

    name: str
    version: int | None = None  # 0 = any
    local_addrs: tuple[str, ...] = ()
    remote_addrs: tuple[str, ...] = ()
    local_id: str | None = None
    remote_id: str | None = None
    local_auth: str | None = None
    remote_auth: str | None = None
    proposals: tuple[Proposal, ...] = ()
    rekey_time_s: int | None = None
    life_time_s: int | None = None
    encap: bool | None = None
    psk_fingerprint: str | None = None  # keyed fingerprint from redaction, comparable per run
    fragmentation: str | None = None  # IKE fragmentation: yes | no | accept | force
    dpd_delay_s: int | None = None  # liveness check interval, 0 = off
    aggressive: bool | None = None  # IKEv1 aggressive mode instead of main mode
    children: tuple[ChildConfig, ...] = ()
    source: SourceRef | None = None
    # Configuration a box keeps once for its tunnels rather than a tunnel of its own (Cisco
    # prints it apart): "ike-proposal" (IKE proposals for every tunnel of its version),
    # "ike-policy" (which of them apply), "ike-profile" (identities and auth a tunnel
    # names); None for a tunnel. The platform's finisher joins them into the tunnels.
    shared: str | None = None
    uses: tuple[str, ...] = ()  # names of the shared entries this one names (Cisco)


@dataclass(frozen=True)
class Route:
    destination: str  # CIDR or "default"
    device: str | None = None
    gateway: str | None = None
    table: str = "main"
    source_addr: str | None = None
    kind: str | None = None  # unicast, local, broadcast, blackhole, unreachable...


@dataclass(frozen=True)
class FirewallRule:
    """A firewall rule that touches IKE (UDP 500/4500) or ESP."""

    table: str | None
    chain: str | None
    hook: str | None  # input, output, forward...
    action: str  # accept, drop, reject
    protocol: str | None  # udp, esp
    ports: tuple[int, ...] = ()
    text: str = ""
    source: SourceRef | None = None


@dataclass(frozen=True)
class NatRule:
    """A rule of a NAT chain (nftables, iptables-nft): what traffic it matches and what it
    does to it, in chain order. An accept/return before a masquerade exempts what it matches."""

    table: str | None
    chain: str | None
    hook: str | None  # postrouting, prerouting...
    action: str  # masquerade | snat | dnat | accept | return | continue
    src: tuple[str, ...] = ()  # CIDRs the rule matches; "!" before one: all but it
    dst: tuple[str, ...] = ()
    # IPsec condition on the rule: "ipsec" matches only traffic IPsec will encrypt
    # (`rt ipsec exists`, `-m policy --pol ipsec`), "none" only traffic it will not
    ipsec: str | None = None
    text: str = ""
    source: SourceRef | None = None


@dataclass(frozen=True)
class XfrmState:
    src: str
    dst: str
    proto: str
    spi: str
    mode: str | None = None
    encap: str | None = None


@dataclass(frozen=True)
class XfrmPolicy:
    src: str
    dst: str
    direction: str
    action: str | None = None
    tmpl_src: str | None = None
    tmpl_dst: str | None = None


@dataclass(frozen=True)
class IkeMessage:
    """An IKE message a log line records leaving (sent) or arriving (received): the facts that
    pair one peer's "sending packet" with the other's "received packet" on the ladder.

    `exchange` is the exchange type as IKE names it on the wire (IKE_SA_INIT, IKE_AUTH,
    CREATE_CHILD_SA, INFORMATIONAL; IKEv1 ID_PROT, AGGRESSIVE, QUICK_MODE, INFORMATIONAL_V1);
    None where the line does not say. Unknown facts are None and match anything."""

    direction: str  # sent | received
    exchange: str | None = None
    response: bool | None = None  # False: a request, True: a response
    message_id: int | None = None
    source: str | None = None  # address the message left from
    source_port: int | None = None
    destination: str | None = None
    destination_port: int | None = None
    size: int | None = None  # bytes on the wire
    retransmit: int = 0  # 0: the first sending, n: the n-th retransmit
    notifies: tuple[str, ...] = ()  # error notifies the message carries (RFC 7296 names)


@dataclass(frozen=True)
class LogEvent:
    """One line of the IKE daemon's log and the causes it carries.

    `exchange` names the exchange the line is about where the line says so, one of
    `ipsec_tui.domain.causes.EXCHANGES`: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL
    (IKEv2), main, main-auth, quick (IKEv1) or on-sa (on an established SA, the exchange not
    named). The parsing layer sets it from the platform's signatures; checks read it."""

    line: int  # 1-based line number in the log file
    message: str
    time: str | None = None  # as printed by the device
    level: str | None = None
    subsystem: str | None = None  # strongSwan [IKE]/[CFG]..., Cisco facility...
    sa_name: str | None = None
    sa_id: str | None = None  # the SA serial the line is about, "#3", where the log says
    causes: tuple[str, ...] = ()  # cause tokens, see ipsec_tui.domain.causes
    direction: str | None = None  # received | sent, for notifies
    exchange: str | None = None  # see the docstring
    packet: IkeMessage | None = None  # the IKE message the line records sending or receiving


# LogEvent.subsystem of a tunnel's status as a cloud reports it (AWS VgwTelemetry, Azure
# connectionStatus, Google status): `level` the status in the cloud's words, `sa_name` the
# tunnel, `time` its last change where the cloud says (ipsec_tui/parsers/cloud.py)
TUNNEL_STATUS = "tunnel-status"


@dataclass(frozen=True)
class ParseResult:
    """How one command's output went through its parser: never silent."""

    command: str
    file: str | None
    status: ParseStatus
    parser: str | None = None  # template id, e.g. strongswan/swanctl-list-sas
    reason: str | None = None  # why empty or failed
    raw: str | None = None  # kept when not ok, so nothing disappears


@dataclass(frozen=True)
class PeerModel:
    """Everything known about one peer, from one capture."""

    name: str
    platform: str
    host: str | None = None
    collected_at: str | None = None
    software: str | None = None  # version string
    ike_sas: tuple[IkeSa, ...] = ()
    connections: tuple[Connection, ...] = ()
    routes: tuple[Route, ...] = ()
    addresses: tuple[str, ...] = ()  # CIDRs configured on the peer's interfaces
    firewall: tuple[FirewallRule, ...] = ()
    nat_rules: tuple[NatRule, ...] = ()
    forwarding: bool | None = None
    daemon_uptime_s: int | None = None  # how long the IKE daemon has been running
    xfrm_states: tuple[XfrmState, ...] = ()
    xfrm_policies: tuple[XfrmPolicy, ...] = ()
    log: tuple[LogEvent, ...] = ()
    log_file: str | None = None
    parse_results: tuple[ParseResult, ...] = ()
    collection_error: str | None = None
    notes: tuple[str, ...] = ()
    connection: str | None = None  # the device's connection for this tunnel (inventory)

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data (what dataclasses.asdict gives, without its deep copies:
        a peer with half a million log events is converted in a second, not a minute)."""
        return cast(dict[str, Any], _plain(self))


def _plain(value: Any) -> Any:
    """Dataclasses to dicts, tuples to tuples and lists to lists, recursively (as asdict)."""
    names = _FIELD_NAMES.get(type(value))
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple | list):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Row:
    """One side-by-side comparison row (napalm validate's field/expected/actual/verdict)."""

    field: str
    a: str | None
    b: str | None
    match: bool | None  # None: not comparable (a side unknown)
    explain: str = ""


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Evidence:
    peer: str
    file: str | None
    line_start: int | None = None
    line_end: int | None = None
    text: str = ""


@dataclass(frozen=True)
class CauseVote:
    """A finding's vote for a diagnosis cause: the peer to fix (None: either) and how strongly.
    The cause is one of the diagnosis vocabulary (`ipsec_tui.domain.causes.VOTE_CAUSES`)."""

    cause: str
    side: str | None
    weight: float

    def __post_init__(self) -> None:
        if self.cause not in VOTE_CAUSES:
            raise ValueError(f"{self.cause!r} is not a cause a finding can vote for")
        if not self.weight > 0:
            raise ValueError(f"a vote for {self.cause} needs a positive weight, not {self.weight}")


@dataclass(frozen=True)
class Finding:
    """What one check found in one step (the engine stamps `step` and `check_id`)."""

    step: str
    check_id: str
    status: Status
    title: str
    rows: tuple[Row, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    next_action: str = ""
    causes: tuple[CauseVote, ...] = ()


@dataclass(frozen=True)
class StepResult:
    id: str
    title: str
    status: Status
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class RankedCause:
    cause: str
    side: str | None  # peer name to fix, or None for either/both
    score: float
    reason: str


@dataclass(frozen=True)
class Diagnosis:
    cause: str
    side: str | None
    summary: str
    next_action: str
    causes: tuple[RankedCause, ...] = field(default_factory=tuple)
