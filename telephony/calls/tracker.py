"""The call tracker: a pure object fed AMI events, keeping one record per call (Linkedid).

No I/O. Every event goes through :meth:`CallTracker.handle`; changes come out as
:class:`CallEvent` / :class:`OperatorEvent` values passed to the sink given at construction.
Replaying events already seen (after a reconnect, or a duplicate feed) changes nothing: calls
that ended are remembered, channels already counted are not counted again, and each transfer
carries the identity of the AMI event that announced it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from telephony.calls.model import (
    CallEvent,
    CallEventKind,
    CallSnapshot,
    CallState,
    OperatorEvent,
    OperatorSnapshot,
    TrackerEvent,
    TransferMode,
    TransferResult,
    TransferSnapshot,
)
from telephony.revisit.model import REVISIT_CHANNEL_PREFIX

STREAM_UUID_VARIABLE = "HOTLINE_STREAM_UUID"
# Set (inherited, ``__``) by [revisit] when the citizen presses 0: the ticket being revisited.
REVISIT_TICKET_VARIABLE = "HOTLINE_REVISIT_TICKET"
LOST_DURING_DISCONNECT = "ended while the AMI connection was down"
_UNKNOWN = {"", "<unknown>"}
# Dial statuses of the leg that rang a transfer target (Local/ half-channels are skipped:
# they only echo the real leg's status).
_DIAL_RESULTS: dict[str, TransferResult] = {
    "ANSWER": "success",
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CHANUNAVAIL": "failed",
    "CONGESTION": "failed",
}

Sink = Callable[[TrackerEvent], None]


@dataclass(slots=True)
class _Transfer:
    target: str
    mode: TransferMode
    result: TransferResult
    requested_at: float
    source_key: tuple[str, ...] | None = None

    def snapshot(self) -> TransferSnapshot:
        return TransferSnapshot(self.target, self.mode, self.result, self.requested_at)


@dataclass(slots=True)
class _Call:
    linkedid: str
    caller_number: str
    started_at: float
    state: CallState = "ringing"
    queue: str | None = None
    queue_entered_at: float | None = None
    wait_seconds: float | None = None
    answered_by: str | None = None
    answered_at: float | None = None
    transfers: list[_Transfer] = field(default_factory=list)
    hangup_cause: str | None = None
    ended_at: float | None = None
    stream_uuid: str | None = None
    consultation_for: str | None = None
    caller_channel: str | None = None
    operator_channel: str | None = None
    revisit_ticket: str | None = None
    live_channels: set[str] = field(default_factory=set)
    gone_channels: set[str] = field(default_factory=set)

    def snapshot(self) -> CallSnapshot:
        return CallSnapshot(
            linkedid=self.linkedid,
            caller_number=self.caller_number,
            state=self.state,
            started_at=self.started_at,
            queue=self.queue,
            queue_entered_at=self.queue_entered_at,
            wait_seconds=self.wait_seconds,
            answered_by=self.answered_by,
            answered_at=self.answered_at,
            transfers=tuple(transfer.snapshot() for transfer in self.transfers),
            hangup_cause=self.hangup_cause,
            ended_at=self.ended_at,
            stream_uuid=self.stream_uuid,
            consultation_for=self.consultation_for,
            caller_channel=self.caller_channel,
            operator_channel=self.operator_channel,
            revisit_ticket=self.revisit_ticket,
        )


def extension_of(interface: str) -> str:
    """``PJSIP/8001`` or ``PJSIP/8001-0000002a`` → ``8001`` (the operator's extension)."""
    name = interface.rpartition("/")[2]
    head, dash, tail = name.rpartition("-")
    return head if dash and len(tail) == 8 and all(c in "0123456789abcdef" for c in tail) else name


def _duration_seconds(text: str) -> float:
    """``HH:MM:SS`` (CoreShowChannel's Duration) in seconds; 0 when unreadable."""
    try:
        hours, minutes, seconds = (int(part) for part in text.split(":"))
    except ValueError:
        return 0.0
    return float(hours * 3600 + minutes * 60 + seconds)


class CallTracker:
    """Calls by Linkedid, built from AMI events. ``sink`` receives every change."""

    def __init__(
        self,
        sink: Sink,
        *,
        clock: Callable[[], float] = time.time,
        remember_ended: int = 10_000,
    ) -> None:
        self._sink = sink
        self._clock = clock
        self._remember_ended = remember_ended
        self._calls: dict[str, _Call] = {}
        self._ended: OrderedDict[str, CallSnapshot] = OrderedDict()
        self._call_of_channel: dict[str, str] = {}
        self._transfer_watch: dict[str, str] = {}  # consultation Linkedid → original call
        # Revisit calls not (yet) in the queue, by Linkedid → the ticket their VarSet named.
        self._revisit_tickets: dict[str, str] = {}
        self._operators: dict[tuple[str, str], OperatorSnapshot] = {}
        self._resync_seen: set[str] | None = None
        self._handlers: dict[str, Callable[[Mapping[str, str], float], None]] = {
            "Newchannel": self._on_newchannel,
            "NewCallerid": self._on_newcallerid,
            "DialEnd": self._on_dialend,
            "QueueCallerJoin": self._on_queue_join,
            "QueueEntry": self._on_queue_entry,
            "AgentConnect": self._on_agent_connect,
            "QueueCallerAbandon": self._on_queue_abandon,
            "BlindTransfer": self._on_blind_transfer,
            "AttendedTransfer": self._on_attended_transfer,
            "Hangup": self._on_hangup,
            "VarSet": self._on_varset,
            "CoreShowChannel": self._on_core_show_channel,
            "QueueMember": self._on_queue_member,
            "QueueMemberAdded": self._on_queue_member,
            "QueueMemberPause": self._on_queue_member,
            "QueueMemberPaused": self._on_queue_member,
            "QueueMemberStatus": self._on_queue_member,
            "QueueMemberRemoved": self._on_queue_member_removed,
        }

    # -- public API ---------------------------------------------------------------------

    @property
    def calls(self) -> dict[str, CallSnapshot]:
        """Calls in progress, by Linkedid."""
        return {linkedid: call.snapshot() for linkedid, call in self._calls.items()}

    @property
    def operators(self) -> list[OperatorSnapshot]:
        return list(self._operators.values())

    @property
    def events(self) -> frozenset[str]:
        """The AMI events the tracker uses; :meth:`handle` ignores any other."""
        return frozenset(self._handlers)

    def get(self, linkedid: str) -> CallSnapshot | None:
        """A call in progress or one of the recently ended ones."""
        call = self._calls.get(linkedid)
        return call.snapshot() if call else self._ended.get(linkedid)

    def handle(self, headers: Mapping[str, str]) -> None:
        """Feed one AMI event (its headers). Unknown events and fields are ignored."""
        handler = self._handlers.get(headers.get("Event", ""))
        if handler is None:
            return
        stamp = headers.get("Timestamp")
        if stamp:
            try:
                now = float(stamp)
            except ValueError:
                now = self._clock()
        else:
            now = self._clock()
        handler(headers, now)

    def handle_all(self, events: Iterable[Mapping[str, str]]) -> None:
        for headers in events:
            self.handle(headers)

    def begin_resync(self) -> None:
        """Start of a CoreShowChannels/QueueStatus listing after a reconnect."""
        self._resync_seen = set()

    def abandon_resync(self) -> None:
        """The listing was cut short (connection lost): decide nothing from it."""
        self._resync_seen = None

    def end_resync(self) -> None:
        """End of the listing: calls and channels Asterisk no longer has ended meanwhile."""
        seen = self._resync_seen
        self._resync_seen = None
        if seen is None:
            return
        now = self._clock()
        for call in list(self._calls.values()):
            for uniqueid in call.live_channels - seen:
                self._channel_gone(call, uniqueid)
            if not call.live_channels:
                if call.hangup_cause is None:
                    call.hangup_cause = LOST_DURING_DISCONNECT
                self._finish(call, now)

    def request_transfer(self, linkedid: str, target: str, mode: TransferMode) -> TransferSnapshot:
        """Record a transfer the bridge asked Asterisk for; its result follows from events."""
        call = self._calls.get(linkedid)
        if call is None:
            raise KeyError(f"no call in progress with Linkedid {linkedid!r}")
        transfer = _Transfer(target, mode, "pending", self._clock())
        call.transfers.append(transfer)
        self._emit("call.transferred", call)
        return transfer.snapshot()

    def fail_transfer(self, linkedid: str, target: str, mode: TransferMode) -> None:
        """Asterisk refused the transfer action: mark the pending request failed."""
        call = self._calls.get(linkedid)
        transfer = call and self._pending_transfer(call, target, mode)
        if call and transfer:
            transfer.result = "failed"
            self._emit("call.transferred", call)

    # -- call events --------------------------------------------------------------------

    def _on_newchannel(self, h: Mapping[str, str], now: float) -> None:
        linkedid = h.get("Linkedid") or h.get("Uniqueid", "")
        uniqueid = h.get("Uniqueid", "")
        if not linkedid or linkedid in self._ended or self._untracked_revisit(linkedid):
            return
        call = self._calls.get(linkedid)
        if call is None:
            call = _Call(linkedid, self._number(h.get("CallerIDNum", "")), now)
            call.caller_channel = h.get("Channel") or None
            self._calls[linkedid] = call
            self._add_channel(call, uniqueid)
            self._emit("call.ringing", call)
        else:
            self._add_channel(call, uniqueid)

    def _on_newcallerid(self, h: Mapping[str, str], now: float) -> None:
        call = self._calls.get(h.get("Linkedid", ""))
        number = h.get("CallerIDNum", "")
        if call and h.get("Uniqueid") == call.linkedid and number not in _UNKNOWN:
            call.caller_number = number

    def _on_queue_join(self, h: Mapping[str, str], now: float) -> None:
        linkedid = h.get("Linkedid", "")
        call = self._calls.get(linkedid)
        if call is None and _is_revisit_call(linkedid) and linkedid not in self._ended:
            call = self._revisit_transfer(h, linkedid, now)
        if call is None or call.queue_entered_at is not None:
            return
        self._enter_queue(call, h.get("Queue", ""), now)

    def _revisit_transfer(self, h: Mapping[str, str], linkedid: str, now: float) -> _Call:
        """A revisit call whose citizen pressed 0 reaches the queue: from here on it is an
        operator's call like any other, carrying the ticket being revisited."""
        call = _Call(linkedid, self._number(h.get("CallerIDNum", "")), now)
        call.caller_channel = h.get("Channel") or None
        call.revisit_ticket = self._revisit_tickets.pop(linkedid, None)
        self._calls[linkedid] = call
        self._add_channel(call, h.get("Uniqueid", ""))
        self._emit("call.ringing", call)
        return call

    def _on_queue_entry(self, h: Mapping[str, str], now: float) -> None:
        call = self._calls.get(self._call_of_channel.get(h.get("Uniqueid", ""), ""))
        if call is None or call.queue_entered_at is not None:
            return
        try:
            waited = float(h.get("Wait", "0"))
        except ValueError:
            waited = 0.0
        self._enter_queue(call, h.get("Queue", ""), now - waited)

    def _enter_queue(self, call: _Call, queue: str, at: float) -> None:
        call.queue = queue or None
        call.queue_entered_at = at
        if call.state == "ringing":
            call.state = "queued"
        self._emit("call.updated", call)

    def _on_agent_connect(self, h: Mapping[str, str], now: float) -> None:
        call = self._calls.get(h.get("Linkedid", ""))
        if call is None:
            return
        operator = extension_of(h.get("Interface") or h.get("MemberName") or "")
        self._answer(call, operator or None, now, h.get("HoldTime"), h.get("DestChannel"))

    def _on_dialend(self, h: Mapping[str, str], now: float) -> None:
        linkedid = h.get("Linkedid", "")
        call = self._calls.get(linkedid)
        dest = h.get("DestChannel", "")
        if call is None or dest.startswith("Local/"):
            return
        status = h.get("DialStatus", "")
        # A consultation call rings the target of an attended ("blonde") transfer.
        original = self._calls.get(self._transfer_watch.get(linkedid, ""))
        if original is not None:
            self._follow_transfer(original, status)
        if call.answered_at is None:
            if status == "ANSWER":
                number = h.get("DestCallerIDNum", "")
                operator = number if number not in _UNKNOWN else extension_of(dest)
                self._answer(call, operator, now, None, dest)
            return
        self._follow_transfer(call, status)

    def _answer(
        self,
        call: _Call,
        operator: str | None,
        now: float,
        hold: str | None = None,
        operator_channel: str | None = None,
    ) -> None:
        if call.answered_at is not None:
            return
        call.answered_by = operator
        call.operator_channel = operator_channel or None
        call.answered_at = now
        call.state = "answered"
        call.wait_seconds = self._wait(call, now, hold)
        self._emit("call.answered", call)

    @staticmethod
    def _wait(call: _Call, until: float, hold: str | None = None) -> float:
        if hold:
            try:
                return float(hold)
            except ValueError:
                pass
        since = call.queue_entered_at if call.queue_entered_at is not None else call.started_at
        return round(max(0.0, until - since), 3)

    def _follow_transfer(self, call: _Call, status: str) -> None:
        result = _DIAL_RESULTS.get(status)
        if result is None:
            return  # CANCEL: another member of a ring group answered, or the dial was stopped
        for transfer in call.transfers:
            # Only an answer may overturn a provisional busy/no-answer (ring groups).
            if transfer.result == "pending" or (
                result == "success" and transfer.result in ("busy", "no_answer", "failed")
            ):
                transfer.result = result
                self._emit("call.transferred", call)
                return

    def _on_queue_abandon(self, h: Mapping[str, str], now: float) -> None:
        call = self._calls.get(h.get("Linkedid", ""))
        if call is not None and call.answered_at is None:
            call.wait_seconds = self._wait(call, now, h.get("HoldTime"))

    def _on_blind_transfer(self, h: Mapping[str, str], now: float) -> None:
        linkedid = h.get("TransfererLinkedid") or h.get("TransfereeLinkedid", "")
        call = self._calls.get(linkedid)
        if call is None:
            return
        target = h.get("Extension", "")
        result: TransferResult = "pending" if h.get("Result") == "Success" else "failed"
        key = ("blind", target, h.get("BridgeUniqueid", ""), h.get("TransfererUniqueid", ""))
        self._record_transfer(call, target, "blind", result, key, now)

    def _on_attended_transfer(self, h: Mapping[str, str], now: float) -> None:
        linkedid = h.get("OrigTransfererLinkedid") or h.get("TransfereeLinkedid", "")
        call = self._calls.get(linkedid)
        if call is None:
            return
        second = h.get("SecondTransfererLinkedid", "")
        target = h.get("SecondTransfererExten") or h.get("TransferTargetCallerIDNum", "")
        result: TransferResult
        if h.get("Result") != "Success":
            result = "failed"
        elif h.get("DestType") == "Bridge":
            result = "success"
        else:
            result = "pending"  # "blonde": the transferer left while the target still rang
        key = (
            "attended",
            target,
            h.get("OrigBridgeUniqueid", ""),
            h.get("SecondBridgeUniqueid", ""),
        )
        if second and second != linkedid:
            self._transfer_watch[second] = linkedid
            consultation = self._calls.get(second)
            if consultation is not None and consultation.consultation_for is None:
                consultation.consultation_for = linkedid
                self._emit("call.updated", consultation)
        self._record_transfer(call, target, "attended", result, key, now)

    def _record_transfer(
        self,
        call: _Call,
        target: str,
        mode: TransferMode,
        result: TransferResult,
        key: tuple[str, ...],
        now: float,
    ) -> None:
        if any(transfer.source_key == key for transfer in call.transfers):
            return  # a replay of an event already counted
        requested = next(
            (
                transfer
                for transfer in reversed(call.transfers)
                if transfer.source_key is None
                and (transfer.target, transfer.mode) == (target, mode)
            ),
            None,
        )
        if requested is not None:  # the event confirming a transfer the bridge asked for
            requested.source_key = key
            if requested.result == "pending" or result == "failed":
                requested.result = result
        else:
            call.transfers.append(_Transfer(target, mode, result, now, key))
        self._emit("call.transferred", call)

    @staticmethod
    def _pending_transfer(call: _Call, target: str, mode: TransferMode) -> _Transfer | None:
        for transfer in reversed(call.transfers):
            if transfer.target == target and transfer.mode == mode and transfer.result == "pending":
                return transfer
        return None

    def _on_hangup(self, h: Mapping[str, str], now: float) -> None:
        uniqueid = h.get("Uniqueid", "")
        # The call that counted the channel: after a transfer Asterisk may report it under
        # the other call's Linkedid.
        call = self._calls.get(self._call_of_channel.get(uniqueid) or h.get("Linkedid", ""))
        if call is None:
            self._revisit_tickets.pop(h.get("Linkedid", ""), None)  # never reached the queue
            return
        if uniqueid not in call.live_channels:
            return
        if uniqueid == call.linkedid or call.hangup_cause is None:
            cause = h.get("Cause-txt") or h.get("Cause")
            call.hangup_cause = cause or call.hangup_cause
        self._channel_gone(call, uniqueid)
        if not call.live_channels:
            self._finish(call, now)

    def _on_varset(self, h: Mapping[str, str], now: float) -> None:
        # ``Set(__NAME=…)`` is reported under the name as written, underscores and all.
        variable, value = h.get("Variable", "").lstrip("_"), h.get("Value", "")
        linkedid = h.get("Linkedid", "")
        call = self._calls.get(linkedid)
        if variable == REVISIT_TICKET_VARIABLE and value:
            if call is None and _is_revisit_call(linkedid) and linkedid not in self._ended:
                self._revisit_tickets[linkedid] = value
            elif call is not None and call.revisit_ticket != value:
                call.revisit_ticket = value
                self._emit("call.updated", call)
        elif (
            variable == STREAM_UUID_VARIABLE
            and call is not None
            and value
            and call.stream_uuid != value
        ):
            call.stream_uuid = value
            self._emit("call.updated", call)

    def _on_core_show_channel(self, h: Mapping[str, str], now: float) -> None:
        linkedid = h.get("Linkedid") or h.get("Uniqueid", "")
        uniqueid = h.get("Uniqueid", "")
        if not linkedid or linkedid in self._ended or self._untracked_revisit(linkedid):
            return
        if self._resync_seen is not None:
            self._resync_seen.add(uniqueid)
        call = self._calls.get(linkedid)
        if call is None:
            started = now - _duration_seconds(h.get("Duration", ""))
            number = h.get("CallerIDNum", "") if uniqueid == linkedid else ""
            call = _Call(linkedid, self._number(number), started)
            self._calls[linkedid] = call
            self._emit("call.ringing", call)
        self._add_channel(call, uniqueid)
        if uniqueid == linkedid:
            call.caller_channel = h.get("Channel") or call.caller_channel
            number = h.get("CallerIDNum", "")
            if number not in _UNKNOWN:
                call.caller_number = number
            if h.get("Application") == "Queue" and call.queue_entered_at is None:
                queue = h.get("ApplicationData", "").split(",")[0]
                self._enter_queue(call, queue, now)
        elif h.get("ChannelStateDesc") == "Up" and h.get("BridgeId") and not call.answered_at:
            number = h.get("CallerIDNum", "")
            channel = h.get("Channel", "")
            operator = number if number not in _UNKNOWN else extension_of(channel)
            self._answer(call, operator, now, None, channel)

    # -- operators -----------------------------------------------------------------------

    def _on_queue_member(self, h: Mapping[str, str], now: float) -> None:
        interface = h.get("Interface") or h.get("Location") or h.get("StateInterface", "")
        if not interface:
            return
        paused = h.get("Paused") == "1"
        reason = h.get("PausedReason") or h.get("Reason") or None
        self._set_operator(interface, h.get("Queue", ""), True, paused, reason if paused else None)

    def _on_queue_member_removed(self, h: Mapping[str, str], now: float) -> None:
        interface = h.get("Interface") or h.get("Location", "")
        if interface:
            self._set_operator(interface, h.get("Queue", ""), False, False, None)

    def _set_operator(
        self, interface: str, queue: str, logged_in: bool, paused: bool, reason: str | None
    ) -> None:
        snapshot = OperatorSnapshot(
            interface, extension_of(interface), queue, logged_in, paused, reason
        )
        if self._operators.get((interface, queue)) != snapshot:
            self._operators[(interface, queue)] = snapshot
            self._sink(OperatorEvent("operator.updated", snapshot))

    # -- bookkeeping ----------------------------------------------------------------------

    @staticmethod
    def _number(number: str) -> str:
        return "" if number in _UNKNOWN else number

    def _add_channel(self, call: _Call, uniqueid: str) -> None:
        if uniqueid and uniqueid not in call.gone_channels:
            call.live_channels.add(uniqueid)
            if self._resync_seen is not None:  # born during the listing: not a stale one
                self._resync_seen.add(uniqueid)
            self._call_of_channel[uniqueid] = call.linkedid

    def _channel_gone(self, call: _Call, uniqueid: str) -> None:
        call.live_channels.discard(uniqueid)
        call.gone_channels.add(uniqueid)
        self._call_of_channel.pop(uniqueid, None)

    def _finish(self, call: _Call, now: float) -> None:
        call.ended_at = now
        del self._calls[call.linkedid]
        self._transfer_watch.pop(call.linkedid, None)
        if call.answered_at is None:
            call.state = "abandoned"
            if call.wait_seconds is None:
                call.wait_seconds = self._wait(call, now)
            kind: CallEventKind = "call.abandoned"
        else:
            call.state = "ended"
            kind = "call.ended"
        snapshot = call.snapshot()
        self._ended[call.linkedid] = snapshot
        while len(self._ended) > self._remember_ended:
            self._ended.popitem(last=False)
        self._sink(CallEvent(kind, snapshot))

    def _emit(self, kind: CallEventKind, call: _Call) -> None:
        self._sink(CallEvent(kind, call.snapshot()))

    def _untracked_revisit(self, linkedid: str) -> bool:
        """A revisit call not (yet) transferred to the queue: none of the operators' calls."""
        return linkedid not in self._calls and _is_revisit_call(linkedid)


def _is_revisit_call(linkedid: str) -> bool:
    """An automated revisit call placed by the app (telephony.revisit), not a citizen calling
    in: its outcome is the revisit plan's, and counting it would inflate the inbound figures.
    After 0 it reaches the queue still under this Linkedid; from QueueCallerJoin on it is
    tracked as an operator's call carrying its ticket (``revisit_ticket``)."""
    return linkedid.startswith(REVISIT_CHANNEL_PREFIX)
