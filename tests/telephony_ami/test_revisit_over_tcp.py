"""Revisit calls over a real TCP AMI conversation: RevisitDialer ↔ the simulator's citizens."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from telephony.ami import NotConnected
from telephony.revisit import RevisitDialer, RevisitOutcome, RevisitRequest, RevisitSettings
from telephony.sim import SwitchboardSimulator
from tests.telephony_ami.ami_helpers import eventually, new_simulator, sim_config

TICKET = "20261127-000123"
# Short limits, so that an outcome that never comes fails a test in seconds, not minutes.
QUICK = RevisitSettings(ring_seconds=2, max_call_seconds=5, outcome_grace_seconds=1)


def with_dialer(
    body: Callable[[SwitchboardSimulator, RevisitDialer], Awaitable[None]],
    *,
    citizens: dict[str, str] | None = None,
    settings: RevisitSettings | None = None,
) -> None:
    async def main() -> None:
        sim = new_simulator()
        sim.revisit_ring_seconds, sim.revisit_key_seconds = 0.5, 0.3  # × step_scale 0.1
        sim.citizens = citizens or {}
        await sim.start()
        dialer = RevisitDialer(sim_config(sim), settings or QUICK, backoff_initial=0.05)
        task = asyncio.create_task(dialer.run())
        try:
            await dialer.client.wait_connected(5)
            await body(sim, dialer)
        finally:
            await dialer.close()
            task.cancel()
            await sim.close()

    asyncio.run(main())


async def call(dialer: RevisitDialer, phone: str, attempt: str = "t1-a1") -> RevisitOutcome:
    return await dialer.call(RevisitRequest(TICKET, phone, attempt))


@pytest.mark.parametrize(
    ("citizen", "kind", "satisfaction", "solved"),
    [
        ("satisfied", "rated", 1, True),
        ("dissatisfied", "rated", 4, False),
        ("repeats", "rated", 2, True),
        ("operator", "operator", None, None),
        ("rates_then_operator", "operator", 5, None),
        ("hangs_up", "hung_up", None, None),
        ("hangs_up_after_rating", "hung_up", 2, None),
        ("invalid", "invalid_keys", None, None),
    ],
)
def test_answered_calls(
    citizen: str, kind: str, satisfaction: int | None, solved: bool | None
) -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        outcome = await call(dialer, "13800000001")
        assert (outcome.attempt_id, outcome.ticket_no) == ("t1-a1", TICKET)
        assert (outcome.kind, outcome.satisfaction, outcome.solved) == (kind, satisfaction, solved)
        assert outcome.answered
        await eventually(lambda: not sim.channels)  # the h extension's report, then Hangup

    with_dialer(body, citizens={"13800000001": citizen})


@pytest.mark.parametrize(
    ("citizen", "kind", "reason"),
    [("no_answer", "no_answer", 3), ("busy", "busy", 5), ("rejects", "rejected", 1)],
)
def test_calls_not_answered(citizen: str, kind: str, reason: int) -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        outcome = await call(dialer, "13800000002")
        assert (outcome.kind, outcome.reason) == (kind, reason)
        assert not outcome.answered and outcome.retryable

    with_dialer(body, citizens={"13800000002": citizen})


def test_concurrent_attempts_get_their_own_outcomes() -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        first, second, third = await asyncio.gather(
            call(dialer, "13800000001", "t1-a1"),
            call(dialer, "13800000002", "t2-a1"),
            call(dialer, "13800000003", "t3-a1"),
        )
        assert (first.attempt_id, first.kind, first.satisfaction) == ("t1-a1", "rated", 4)
        assert (second.attempt_id, second.kind) == ("t2-a1", "busy")
        assert (third.attempt_id, third.kind) == ("t3-a1", "operator")

    citizens = {"13800000001": "dissatisfied", "13800000002": "busy", "13800000003": "operator"}
    with_dialer(body, citizens=citizens)


def test_the_same_attempt_is_not_dialled_twice() -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        running = asyncio.create_task(call(dialer, "13800000001"))
        await eventually(lambda: bool(sim.channels))
        with pytest.raises(ValueError):
            await call(dialer, "13800000001")
        assert len(sim.channels) == 1
        assert (await running).kind == "rated"

    with_dialer(body, citizens={"13800000001": "satisfied"})


def test_a_call_given_up_by_its_caller_leaves_no_attempt_behind() -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        running = asyncio.create_task(call(dialer, "13800000001"))
        await eventually(lambda: bool(sim.channels))
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert dialer.calls.in_progress == frozenset()
        await eventually(lambda: not sim.channels)
        assert (await call(dialer, "13800000001", "t1-a2")).kind == "rated"

    with_dialer(body, citizens={"13800000001": "satisfied"})


def test_a_dropped_connection_mid_call_is_unknown_and_only_that() -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        sim.revisit_key_seconds = 3.0  # 0.3 s per key: time to cut in between
        running = asyncio.create_task(call(dialer, "13800000001"))
        await eventually(lambda: _answered(sim))
        await sim.drop_connections()
        outcome = await running
        assert (outcome.kind, outcome.attempt_id) == ("unknown", "t1-a1")
        # The citizen goes on pressing keys; their report reaches the new connection and is
        # not taken for a second outcome.
        await dialer.client.wait_connected(5)
        await eventually(lambda: not sim.channels)
        assert dialer.calls.in_progress == frozenset()
        sim.citizens["13800000001"] = "satisfied"
        assert (await call(dialer, "13800000001", "t1-a2")).kind == "rated"

    with_dialer(body, citizens={"13800000001": "repeats"})


def test_a_refused_originate_is_failed_and_no_call_without_a_connection() -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        outcome = await call(dialer, "13800000001")
        assert outcome.kind == "failed" and "Originate refused" in outcome.detail
        await sim.stop_listening()
        await eventually(lambda: not dialer.client.connected)
        with pytest.raises(NotConnected):
            await call(dialer, "13800000001", "t1-a2")

    with_dialer(body, settings=RevisitSettings(context="elsewhere"))  # refused by the simulator


def test_an_attempt_without_news_is_unknown_after_its_time() -> None:
    async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
        sim.revisit_ring_seconds = 1000.0  # rings far longer than the dialer waits
        outcome = await call(dialer, "13800000001")
        assert outcome.kind == "unknown" and outcome.detail == "no outcome in time"

    quick = RevisitSettings(ring_seconds=0, max_call_seconds=0, outcome_grace_seconds=0.2)
    with_dialer(body, settings=quick)


def test_seeded_citizens_are_the_same_on_every_run() -> None:
    def kinds(seed: int) -> list[str]:
        results: list[str] = []

        async def body(sim: SwitchboardSimulator, dialer: RevisitDialer) -> None:
            sim.revisit_seed = seed
            outcomes = await asyncio.gather(
                *(call(dialer, f"1390000000{n}", f"t{n}-a1") for n in range(8))
            )
            results.extend(outcome.kind for outcome in outcomes)

        with_dialer(body)
        return results

    first = kinds(7)
    assert kinds(7) == first and len(set(first)) > 2  # repeatable, yet varied


def _answered(sim: SwitchboardSimulator) -> bool:
    return any(channel["ChannelStateDesc"] == "Up" for channel in sim.channels.values())
