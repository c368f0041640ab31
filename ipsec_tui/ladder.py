"""Both peers' IKE messages on one ladder: A's column, B's column, an arrow per message.

Built from the merged time line (`ipsec_tui.timeline.merge_logs`), which has already paired
each message one peer sent with the line of the other peer's log that received it and put
cause before effect; the cockpit's ladder view and the report read the same rows in the same
order. Each row is one message (its retransmits are rows of their own), with what both ends
say of it, and marks: a request that got no answer, a retransmit, a message the receiving
peer's log does not show, and the error notify that ended the negotiation. Pure: no I/O.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime

from ipsec_tui.domain.model import IkeMessage
from ipsec_tui.timeline import TimelineEvent


@dataclass(frozen=True)
class LadderRow:
    """One IKE message between the peers: who sent it, what both logs say of it."""

    sender: str  # "a" or "b": the side the message left
    message: IkeMessage  # the facts of both ends, the sender's first
    sent: TimelineEvent | None  # the sender's log line; None when its log does not show it
    received: TimelineEvent | None  # the receiver's line; None when its log does not show it
    answered: bool | None = None  # a request: whether a response came back; None otherwise
    ended: bool = False  # its error notify ended the negotiation (nothing answered after it)
    # the lines around each end that say more of it (the message's payloads, a notify
    # received, a retransmit): same peer, same IKE SA, at most CONTEXT lines away
    context: tuple[TimelineEvent, ...] = ()

    @property
    def receiver(self) -> str:
        return "b" if self.sender == "a" else "a"

    @property
    def time(self) -> datetime | None:
        """When it left (on the collecting host's clock), else when it arrived."""
        for end in (self.sent, self.received):
            if end is not None and end.host_time is not None:
                return end.host_time
        return None

    def end(self, side: str) -> TimelineEvent | None:
        """The line of `side`'s log that shows this message (sending or receiving it)."""
        return self.sent if side == self.sender else self.received

    @property
    def lines(self) -> tuple[TimelineEvent, ...]:
        """The log lines that show it: the sender's, then the receiver's."""
        return tuple(end for end in (self.sent, self.received) if end is not None)

    def label(self) -> str:
        """'IKE_AUTH request 1 · 272 B': exchange, request or response, message ID, size."""
        message = self.message
        kind = {False: "request", True: "response", None: ""}[message.response]
        words = [message.exchange or "IKE message", kind]
        if message.message_id is not None:
            words.append(str(message.message_id))
        text = " ".join(word for word in words if word)
        return f"{text} · {message.size} B" if message.size is not None else text

    def marks(self, names: dict[str, str]) -> tuple[str, ...]:
        """What a reader must see about this message, in words."""
        marks = []
        if self.answered is False:
            marks.append("no answer")
        if self.message.retransmit:
            marks.append(f"retransmit {self.message.retransmit}")
        marks += self.message.notifies
        if self.ended:
            marks.append("ended it")
        if self.received is None:
            marks.append(f"not in {names.get(self.receiver, self.receiver.upper())}'s log")
        elif self.sent is None:
            marks.append(f"sending not in {names.get(self.sender, self.sender.upper())}'s log")
        return tuple(marks)


@dataclass(frozen=True)
class Ladder:
    """The rows in the order things happened, and the peers' names by side."""

    rows: tuple[LadderRow, ...]
    names: dict[str, str]

    @property
    def telling(self) -> int | None:
        """The index of the row to look at first: the one whose notify ended the
        negotiation, else the first request that got no answer, else the last row."""
        for wanted in (lambda row: row.ended, lambda row: row.answered is False):
            for index, row in enumerate(self.rows):
                if wanted(row):
                    return index
        return len(self.rows) - 1 if self.rows else None

    def name(self, side: str) -> str:
        return self.names.get(side, f"peer {side.upper()}")

    def arrow(self, row: LadderRow, width: int) -> str:
        """The row's arrow at `width` characters: '── IKE_AUTH request 1 · 272 B ──▶' from A
        to B, '◀── ... ──' from B to A; a long label is cut at its end."""
        label = row.label()
        room = max(width - 6, 1)
        if len(label) > room:
            label = label[: max(room - 1, 0)] + "…"
        dashes = max(width - len(label) - 3, 2)
        left, right = "─" * (dashes // 2), "─" * (dashes - dashes // 2)
        if row.sender == "a":
            return f"{left} {label} {right[:-1]}▶"
        return f"◀{left[:-1]} {label} {right}"


def _merged(sent: IkeMessage, received: IkeMessage) -> IkeMessage:
    """One message from both ends' facts: the sender's, where the receiver's says more."""
    changes = {
        f.name: getattr(received, f.name)
        for f in fields(IkeMessage)
        if getattr(sent, f.name) is None and getattr(received, f.name) is not None
    }
    notifies = tuple(dict.fromkeys((*sent.notifies, *received.notifies)))
    return replace(sent, **changes, notifies=notifies)


def _agree(one: IkeMessage, other: IkeMessage) -> bool:
    return all(
        mine is None or theirs is None or mine == theirs
        for mine, theirs in (
            (one.exchange, other.exchange),
            (one.message_id, other.message_id),
        )
    )


# IKEv1 informational messages are never answered (RFC 2408 5.14)
_UNANSWERED = frozenset({"INFORMATIONAL_V1"})


def _answers(rows: list[LadderRow]) -> list[LadderRow]:
    """Each request marked answered or not: a response from the other side agreeing on
    exchange and message ID (not a retransmitted one), or an error notify from it (IKEv1
    refuses in an informational message), after it and before the sender's next new request
    of the same IKE SA."""
    done: list[LadderRow] = []
    for index, row in enumerate(rows):
        if row.message.response is not False or row.message.exchange in _UNANSWERED:
            done.append(row)
            continue
        own = row.sent or row.received
        sa_name = own.event.sa_name if own else None
        answered = False
        for later in rows[index + 1 :]:
            later_own = later.sent or later.received
            if (
                later.sender == row.sender
                and later.message.response is False
                and not later.message.retransmit
                and (later_own.event.sa_name if later_own else None) == sa_name
            ):
                break  # the sender moved on
            if later.sender != row.sender and (
                later.message.notifies
                or (
                    later.message.response is True
                    and not later.message.retransmit
                    and _agree(row.message, later.message)
                )
            ):
                answered = True
                break
        done.append(replace(row, answered=answered))
    return done


def _ending(rows: list[LadderRow]) -> list[LadderRow]:
    """The last row carrying an error notify ended the negotiation when no request after it
    got an answer."""
    for index in range(len(rows) - 1, -1, -1):
        if rows[index].answered:
            return rows
        if rows[index].message.notifies:
            rows[index] = replace(rows[index], ended=True)
            return rows
    return rows


CONTEXT = 3


@dataclass(frozen=True)
class _Log:
    """One peer's lines in its log's order, and their line numbers (to find a line)."""

    items: list[TimelineEvent]
    numbers: list[int]


def _context(ends: tuple[TimelineEvent, ...], logs: dict[str, _Log]) -> tuple[TimelineEvent, ...]:
    """The lines that say more about the message: before a sending (what made it, its
    payloads), after a receiving (its payloads, what it caused), up to CONTEXT lines of the
    same peer and IKE SA that carry a cause or name an exchange, up to the next packet."""
    found: list[TimelineEvent] = []
    for end in ends:
        log = logs[end.side]
        position = bisect.bisect_left(log.numbers, end.event.line)
        sent = end.event.packet is not None and end.event.packet.direction == "sent"
        steps = (
            range(position - 1, max(position - CONTEXT, 0) - 1, -1)
            if sent
            else range(position + 1, min(position + CONTEXT + 1, len(log.items)))
        )
        near: list[TimelineEvent] = []
        for step in steps:
            item = log.items[step]
            if item.event.packet is not None:
                break
            if item.event.sa_name == end.event.sa_name and (
                item.event.causes or item.event.exchange
            ):
                near.append(item)
        found += reversed(near) if sent else near
    return tuple(found)


def build_ladder(timeline: Sequence[TimelineEvent], names: Sequence[str | None] = ()) -> Ladder:
    """The ladder of a merged time line (`merge_logs`), in its order; `names`: peer A's and
    B's names (a peer whose log is empty is named too), else the names on the lines."""
    by_side = {side: name for side, name in zip("ab", names, strict=False) if name}
    for item in timeline:
        if len(by_side) == 2:
            break
        by_side.setdefault(item.side, item.peer)
    by_key = {item.key: item for item in timeline if item.event.packet is not None}
    by_peer: dict[str, list[TimelineEvent]] = {}
    for item in timeline:
        by_peer.setdefault(item.side, []).append(item)
    logs = {}
    for side, items in by_peer.items():
        items.sort(key=lambda item: item.event.line)
        logs[side] = _Log(items, [item.event.line for item in items])
    rows: list[LadderRow] = []
    for item in timeline:
        packet = item.event.packet
        if packet is None:
            continue
        other = by_key.get(item.pair) if item.pair else None
        other_packet = other.event.packet if other else None
        if packet.direction == "sent":
            message = _merged(packet, other_packet) if other_packet else packet
            ends = (item, other) if other else (item,)
            rows.append(LadderRow(item.side, message, item, other, context=_context(ends, logs)))
        elif other is None:  # its sending is not in the other log
            sender = "b" if item.side == "a" else "a"
            rows.append(LadderRow(sender, packet, None, item, context=_context((item,), logs)))
        # a received line with its sending shown is on the sending's row already
    return Ladder(tuple(_ending(_answers(rows))), by_side)
