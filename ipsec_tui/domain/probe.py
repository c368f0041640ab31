"""The path test's facts: what a bounded ping from a gateway got back, what both peers'
child SA counters did meanwhile, and which IKE and ESP packets a capture on each gateway's
WAN interface saw (`ipsec-tui probe`). Standard library only."""

from __future__ import annotations

from dataclasses import dataclass

from ipsec_tui.domain.model import SourceRef


@dataclass(frozen=True)
class PingResult:
    """One ping run's summary, as the device printed it."""

    sent: int
    received: int
    target: str | None = None
    source_addr: str | None = None
    source: SourceRef | None = None


@dataclass(frozen=True)
class Counters:
    """A child SA's counters on one peer at one moment (None: the platform does not say)."""

    peer: str
    child: str | None  # the child SA's name or unique id
    packets_in: int | None = None
    packets_out: int | None = None
    bytes_in: int | None = None
    bytes_out: int | None = None
    spi_in: str | None = None
    spi_out: str | None = None


@dataclass(frozen=True)
class CounterDelta:
    """How much one peer's counters of the probed child SA moved during one direction."""

    peer: str
    encrypted: int | None  # packets (or, where only bytes are counted, bytes) sent into ESP
    decrypted: int | None  # received out of ESP
    unit: str = "packets"  # packets | bytes
    rekeyed: bool = False  # the SPIs changed between the readings: the delta is not known
    spi_in: str | None = None  # the probed child SA's SPIs at the second reading
    spi_out: str | None = None


@dataclass(frozen=True)
class Packet:
    """One IKE or ESP packet as a capture on a gateway printed it (tcpdump -nn -tt)."""

    time: float  # seconds since the epoch, by the gateway's clock
    src: str
    dst: str
    kind: str  # ike | esp | keepalive (NAT-T keepalive, one byte on UDP 4500)
    sport: int | None = None
    dport: int | None = None
    spi: str | None = None  # ESP: the SPI as 8 hex digits, as swanctl and pluto print it
    seq: int | None = None  # ESP: the sequence number
    length: int | None = None
    exchange: str | None = None  # IKE: ikev2_init, ikev2_auth, child_sa, inf2; IKEv1 ident...
    response: bool | None = None  # IKEv2: the R flag; None where tcpdump cannot say (IKEv1)
    encapsulated: bool = False  # in UDP 4500 (NAT-T): `UDP-encap:` / `NONESP-encap:`
    source: SourceRef | None = None


@dataclass(frozen=True)
class PacketSummary:
    """What one gateway's WAN capture saw between it and its peer, from its own side: sent is
    from its IKE address to the peer's, received the other way (packets of other tunnels on
    the same interface are counted apart)."""

    peer: str
    interface: str
    address: str  # the gateway's own IKE address
    far_address: str  # the peer's address as this gateway sees it
    ike_out: int = 0
    ike_in: int = 0
    ike_requests_out: int = 0  # IKEv2 requests and responses (IKEv1 does not say which)
    ike_responses_out: int = 0
    ike_requests_in: int = 0
    ike_responses_in: int = 0
    esp_out: tuple[tuple[str, int], ...] = ()  # (SPI, packets), in the order first seen
    esp_in: tuple[tuple[str, int], ...] = ()
    other: int = 0  # IKE/ESP packets of other peers on the same interface
    error: str | None = None  # the capture did not run or could not be read
    # the whole probe's capture: how long it ran, and how it ended (after the pings, at
    # its cap, by itself); None for a direction's share of it
    seconds: float | None = None
    ended: str | None = None

    def esp_sent(self, spi: str | None = None) -> int:
        return sum(n for s, n in self.esp_out if spi is None or s == spi)

    def esp_received(self, spi: str | None = None) -> int:
        return sum(n for s, n in self.esp_in if spi is None or s == spi)


@dataclass(frozen=True)
class Direction:
    """One direction of the path test: `sender` pings from its near LAN address to `target`
    in the far LAN; the far peer is `receiver`."""

    sender: str
    receiver: str
    source_addr: str
    target: str
    command: str
    ping: PingResult | None  # None: the ping's output could not be read
    sender_delta: CounterDelta
    receiver_delta: CounterDelta
    error: str | None = None  # the ping could not be run (refused, session lost)
    # both gateways' captures during this direction's ping: (sender's, receiver's)
    packets: tuple[PacketSummary, PacketSummary] | None = None

    @property
    def answered(self) -> bool:
        return self.ping is not None and self.ping.received > 0


@dataclass(frozen=True)
class Verdict:
    """What a path test or a watch concludes: a cause (a probe's where the packets vanish,
    in the diagnosis vocabulary; a watch's from WATCH_CAUSES), the side to fix, a summary
    and the evidence behind it."""

    cause: str
    side: str | None
    summary: str
    evidence: tuple[str, ...] = ()


ProbeVerdict = Verdict


@dataclass(frozen=True)
class ProbeResult:
    """The path test: both directions, where the packets vanish, and what each gateway's
    WAN capture saw."""

    tunnel: str
    directions: tuple[Direction, ...]
    verdict: ProbeVerdict
    # each gateway's capture over the whole probe (empty: no capture was taken)
    packets: tuple[PacketSummary, ...] = ()
    packet_note: str | None = None  # why there is no packet evidence, said once
