"""The asyncio shell: one AMI connection placing revisit calls and awaiting their outcomes.

Typical use (the app's revisit worker)::

    dialer = RevisitDialer(parse_ami_url(os.environ["HOTLINE_AMI_URL"]))
    task = asyncio.create_task(dialer.run())
    outcome = await dialer.call(RevisitRequest("20261127-000123", "13800138000", "a-17-1"))
"""

from __future__ import annotations

import asyncio
import logging

from telephony.ami.client import AMIClient, AMIConfig, AMIError, NotConnected
from telephony.ami.codec import Message
from telephony.revisit.calls import RevisitCalls, RevisitSettings, originate_fields
from telephony.revisit.model import RevisitOutcome, RevisitRequest

log = logging.getLogger(__name__)


class RevisitDialer:
    """Places revisit calls over its own AMI connection (reconnecting by itself).

    :meth:`call` returns one :class:`RevisitOutcome` per attempt; it raises
    :class:`NotConnected` only when nothing was sent (no attempt was made). An attempt whose
    connection drops, or that outlives ring time + call time + a grace, is ``unknown``.
    """

    def __init__(
        self,
        config: AMIConfig,
        settings: RevisitSettings | None = None,
        **client_options: float,
    ) -> None:
        self.settings = settings or RevisitSettings()
        self.calls = RevisitCalls()
        self._waiting: dict[str, asyncio.Future[RevisitOutcome]] = {}
        self.client = AMIClient(
            config,
            on_event=self._on_event,
            events=self.calls.events,
            on_disconnected=self._on_disconnected,
            **client_options,
        )

    async def run(self) -> None:
        await self.client.run()

    async def close(self) -> None:
        await self.client.close()

    async def call(self, request: RevisitRequest) -> RevisitOutcome:
        """Place the call and wait for how it ended (at most ring + call + grace seconds)."""
        if not self.client.connected:
            raise NotConnected("not connected to Asterisk: no revisit call placed")
        action_id = self.client.new_action_id()
        self.calls.begin(request, action_id)  # ValueError for an attempt already in progress
        outcome_future: asyncio.Future[RevisitOutcome] = asyncio.get_running_loop().create_future()
        self._waiting[request.attempt_id] = outcome_future
        try:
            try:
                result = await self.client.action(
                    "Originate", originate_fields(request, self.settings), action_id=action_id
                )
            except AMIError as exc:  # may have been queued before the connection went
                self._settle(self.calls.give_up(request.attempt_id, f"Originate: {exc}"))
            else:
                if not result.ok:
                    self._settle(self.calls.refused(request.attempt_id, result.message))
            settings = self.settings
            limit = (
                settings.ring_seconds + settings.max_call_seconds + settings.outcome_grace_seconds
            )
            try:
                async with asyncio.timeout(limit):
                    return await asyncio.shield(outcome_future)
            except TimeoutError:
                self._settle(self.calls.give_up(request.attempt_id, "no outcome in time"))
                return outcome_future.result()
        finally:
            self._waiting.pop(request.attempt_id, None)
            # Cancelled while waiting: the attempt is given up, not left in progress forever.
            self.calls.give_up(request.attempt_id, "the caller stopped waiting")

    def _settle(self, outcome: RevisitOutcome | None) -> None:
        if outcome is None:
            return
        log.info("revisit %s of %s: %s", outcome.attempt_id, outcome.ticket_no, outcome.kind)
        future = self._waiting.get(outcome.attempt_id)
        if future is not None and not future.done():
            future.set_result(outcome)

    def _on_event(self, message: Message) -> None:
        self._settle(self.calls.handle(message.headers))

    def _on_disconnected(self) -> None:
        for outcome in self.calls.connection_lost():
            self._settle(outcome)
