"""Glue: AMI client → call tracker → sink, and transfer / queue commands back to Asterisk.

Nothing here knows the application: it gets the AMI settings, a sink for call events and
(optionally) the transfer context as parameters. Typical use::

    bridge = AMIBridge(parse_ami_url(os.environ["HOTLINE_AMI_URL"]), sink=publish)
    task = asyncio.create_task(bridge.run())
    ...
    await bridge.transfer(linkedid, "119", "blind")
"""

from __future__ import annotations

import logging

from telephony.ami.client import AMIClient, AMIConfig, AMIError
from telephony.ami.codec import Message
from telephony.calls.model import CallSnapshot, OperatorSnapshot, TransferMode, TransferSnapshot
from telephony.calls.tracker import CallTracker, Sink

log = logging.getLogger(__name__)

DEFAULT_TRANSFER_CONTEXT = "hotline-transfer"
DEFAULT_QUEUE = "12345"


class CommandRefused(AMIError):
    """Asterisk answered a command with ``Response: Error``; ``str()`` is its message."""


class AMIBridge:
    def __init__(
        self,
        config: AMIConfig,
        sink: Sink,
        *,
        transfer_context: str = DEFAULT_TRANSFER_CONTEXT,
        queue: str = DEFAULT_QUEUE,
        **client_options: float,
    ) -> None:
        self.tracker = CallTracker(sink)
        self.client = AMIClient(
            config,
            on_event=self._on_event,
            events=self.tracker.events,
            on_connected=self._resync,
            **client_options,
        )
        self.transfer_context = transfer_context
        self.queue = queue

    @property
    def calls(self) -> dict[str, CallSnapshot]:
        """Calls in progress, by Linkedid."""
        return self.tracker.calls

    @property
    def operators(self) -> list[OperatorSnapshot]:
        return self.tracker.operators

    async def run(self) -> None:
        """Serve until :meth:`close`; reconnects (and resyncs) by itself."""
        await self.client.run()

    async def close(self) -> None:
        await self.client.close()

    # -- commands -------------------------------------------------------------------------

    async def transfer(
        self,
        linkedid: str,
        number: str,
        mode: TransferMode = "blind",
        context: str | None = None,
    ) -> TransferSnapshot:
        """Transfer a call in progress; the result is followed from Asterisk's events.

        blind: BlindTransfer from the operator's leg (Redirect of the caller's channel when no
        operator answered yet); attended (three-way consultation): Atxfer on the operator's leg.
        """
        if mode not in ("blind", "attended"):
            raise ValueError(f"transfer mode must be blind or attended, got {mode!r}")
        if not number or any(c in number for c in "\r\n,|&"):
            raise ValueError(f"invalid transfer number {number!r}")
        call = self.tracker.get(linkedid)
        if call is None or call.ended_at is not None:
            raise KeyError(f"no call in progress with Linkedid {linkedid!r}")
        context = context or self.transfer_context
        fields = {"Exten": number, "Context": context}
        if mode == "attended":
            if not call.operator_channel:
                raise CommandRefused("an attended transfer needs an operator on the call")
            name, fields["Channel"] = "Atxfer", call.operator_channel
        elif call.operator_channel:
            name, fields["Channel"] = "BlindTransfer", call.operator_channel
        elif call.caller_channel:
            name, fields["Channel"] = "Redirect", call.caller_channel
            fields["Priority"] = "1"
        else:
            raise CommandRefused("the call has no channel to transfer")
        snapshot = self.tracker.request_transfer(linkedid, number, mode)
        try:
            result = await self.client.action(name, fields)
        except AMIError:
            self.tracker.fail_transfer(linkedid, number, mode)
            raise
        if not result.ok:
            self.tracker.fail_transfer(linkedid, number, mode)
            raise CommandRefused(result.message or f"{name} refused")
        return snapshot

    async def queue_login(
        self, interface: str, *, queue: str | None = None, member_name: str | None = None
    ) -> None:
        fields = {"Queue": queue or self.queue, "Interface": interface}
        if member_name:
            fields["MemberName"] = member_name
        await self._command("QueueAdd", fields)

    async def queue_logout(self, interface: str, *, queue: str | None = None) -> None:
        await self._command("QueueRemove", {"Queue": queue or self.queue, "Interface": interface})

    async def queue_pause(
        self, interface: str, paused: bool, reason: str = "", *, queue: str | None = None
    ) -> None:
        fields = {
            "Interface": interface,
            "Paused": "true" if paused else "false",
            "Queue": queue or self.queue,
        }
        if reason:
            fields["Reason"] = reason
        await self._command("QueuePause", fields)

    async def _command(self, name: str, fields: dict[str, str]) -> None:
        result = await self.client.action(name, fields)
        if not result.ok:
            raise CommandRefused(result.message or f"{name} refused")

    # -- events ---------------------------------------------------------------------------

    def _on_event(self, message: Message) -> None:
        self.tracker.handle(message.headers)

    async def _resync(self, client: AMIClient) -> None:
        """After each login: what Asterisk has now, so no call is lost or counted twice."""
        self.tracker.begin_resync()
        try:
            for name in ("CoreShowChannels", "QueueStatus"):
                result = await client.action(name, collect_events=True)
                if not result.ok:
                    log.warning("%s refused during resync: %s", name, result.message)
                self.tracker.handle_all(event.headers for event in result.events)
        except AMIError:
            self.tracker.abandon_resync()
            raise
        self.tracker.end_resync()
