"""The real client against the real simulator (TCP): login, faults, resync, scenarios, commands."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from telephony.ami import ActionResult, AMIClient, parse_ami_url
from telephony.ami.codec import encode_message
from telephony.bridge import AMIBridge, CommandRefused
from telephony.calls import OperatorEvent
from telephony.sim import SwitchboardSimulator, load_scenario
from tests.telephony_ami.ami_helpers import Recorder, eventually, new_simulator, sim_config


def with_bridge(
    body: Callable[[SwitchboardSimulator, AMIBridge, Recorder], Awaitable[None]],
    *,
    md5: bool = True,
) -> None:
    async def main() -> None:
        sim = new_simulator()
        await sim.start()
        recorder = Recorder()
        bridge = AMIBridge(sim_config(sim, md5=md5), recorder, backoff_initial=0.05)
        task = asyncio.create_task(bridge.run())
        try:
            await bridge.client.wait_connected(5)
            await body(sim, bridge, recorder)
        finally:
            await bridge.close()
            task.cancel()
            await sim.close()

    asyncio.run(main())


@pytest.mark.parametrize("md5", [True, False])
def test_login_plain_and_md5_then_ping(md5: bool) -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        result = await bridge.client.action("Ping")
        assert result.ok and result.response.get("Ping") == "Pong"
        assert bridge.client.version == "9.0.0"

    with_bridge(body, md5=md5)


def test_queue_call_scenario_end_to_end() -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        await sim.play(load_scenario("queue_call"), caller="13812345678")
        await eventually(lambda: bool(recorder.finished()))
        kinds = [e.kind for e in recorder.events]
        assert kinds[0] == "call.ringing" and "call.answered" in kinds
        call = recorder.finished()[0].call
        assert call.caller_number == "13812345678" and call.answered_by == "8001"
        assert call.state == "ended" and call.queue == "12345"
        assert call.wait_seconds is not None and 0 < call.wait_seconds < 5
        assert call.stream_uuid and call.stream_uuid.endswith("-stream")
        assert call.to_dict()["started_at"].endswith("+00:00")

    with_bridge(body)


def test_abandoned_transfer_and_attended_scenarios() -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        for name in ("abandoned_call", "transfer_119", "attended_110"):
            await sim.play(load_scenario(name))
        await eventually(lambda: len(recorder.finished()) == 3)
        by_kind = {e.kind: e.call for e in recorder.finished()}
        assert by_kind["call.abandoned"].answered_by is None
        transfers = sorted(
            (t.target, t.mode, t.result) for e in recorder.finished() for t in e.call.transfers
        )
        assert transfers == [("110", "attended", "success"), ("119", "blind", "success")]

    with_bridge(body)


def test_operator_pause_scenario_and_queue_commands() -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        await sim.play(load_scenario("operator_pause"))
        await eventually(lambda: len(recorder.events) == 4)
        reasons = [e.operator.pause_reason for e in recorder.events if isinstance(e, OperatorEvent)]
        assert reasons == [None, "午休", None, None]
        await bridge.queue_login("PJSIP/8002", member_name="张三")
        await bridge.queue_pause("PJSIP/8002", True, "培训")
        await eventually(lambda: any(o.paused for o in bridge.operators))
        (op,) = [o for o in bridge.operators if o.interface == "PJSIP/8002"]
        assert op.pause_reason == "培训" and op.extension == "8002"
        await bridge.queue_logout("PJSIP/8002")
        with pytest.raises(CommandRefused, match="Not there"):
            await bridge.queue_logout("PJSIP/8002")

    with_bridge(body)


@pytest.mark.parametrize(
    ("mode", "outcome", "result"),
    [
        ("blind", "ANSWER", "success"),
        ("blind", "BUSY", "busy"),
        ("attended", "ANSWER", "success"),
    ],
)
def test_bridge_transfer_command_follows_the_outcome(mode: str, outcome: str, result: str) -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        sim.transfer_outcomes["120"] = outcome
        scenario = load_scenario("queue_call")
        answered = {**scenario, "steps": scenario["steps"][:11]}  # stop once answered
        await sim.play(answered)
        await eventually(lambda: any(c.answered_at for c in bridge.calls.values()))
        (linkedid,) = bridge.calls
        snapshot = await bridge.transfer(linkedid, "120", mode)  # type: ignore[arg-type]
        assert snapshot.result == "pending"
        await eventually(lambda: bridge.tracker.get(linkedid).transfers[0].result == result)
        assert len(bridge.tracker.get(linkedid).transfers) == 1
        with pytest.raises(KeyError):
            await bridge.transfer("no-such-call", "120", "blind")
        with pytest.raises(ValueError):
            await bridge.transfer(linkedid, "120\r\nAction: Logoff", "blind")

    with_bridge(body)


def test_asterisk_restart_mid_call_gives_exactly_one_record() -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        await sim.play(load_scenario("connection_drop"))
        await eventually(lambda: bool(recorder.finished()))
        await asyncio.sleep(0.1)
        assert len(recorder.finished()) == 1
        assert len(recorder.kinds("call.ringing")) == 1
        assert recorder.finished()[0].call.answered_by == "8001"
        assert bridge.client.connections == 2

    with_bridge(body)


def test_server_down_then_back_resync_ends_calls_hung_up_meanwhile() -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        scenario = load_scenario("queue_call")
        await sim.play({**scenario, "steps": scenario["steps"][:11]})
        await eventually(lambda: len(bridge.calls) == 1)
        port = sim.port
        await sim.stop_listening()
        sim.channels.clear()  # the call ended while the bridge was away
        await asyncio.sleep(0.2)
        await sim.start(port=port)
        await eventually(lambda: len(recorder.finished()) == 1)
        assert "AMI connection" in (recorder.finished()[0].call.hangup_cause or "")
        assert not bridge.calls

    with_bridge(body)


def test_login_refused_backs_off_without_crashing() -> None:
    async def main() -> None:
        sim = new_simulator()
        await sim.start()
        client = AMIClient(
            sim_config(sim, secret="wrong"), on_event=lambda m: None, backoff_initial=0.02
        )
        task = asyncio.create_task(client.run())
        await eventually(lambda: (client.last_error or "").startswith("login refused"))
        assert not task.done() and not client.connected
        await client.close()
        await asyncio.wait_for(task, 2)
        await sim.close()

    asyncio.run(main())


def test_unknown_action_id_and_garbage_do_not_disturb_the_connection() -> None:
    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        for session in sim._sessions:
            session.writer.write(encode_message({"Response": "Success", "ActionID": "nobody"}))
            session.writer.write(b"garbage without colon\r\n\r\n" + b"\xff" * 10 + b"\r\n\r\n")
            session.writer.write(b"Event: Brandnew\r\nOddField: 1\r\n\r\n")
        result: ActionResult = await bridge.client.action("Ping")
        assert result.ok and bridge.client.protocol_errors == 2 and bridge.client.connections == 1

    with_bridge(body)


def test_parse_ami_url() -> None:
    config = parse_ami_url("ami://hot%40line:s3cr%2Ft@pbx.local:5039?auth=plain")
    assert (config.username, config.secret, config.host, config.port, config.md5) == (
        "hot@line",
        "s3cr/t",
        "pbx.local",
        5039,
        False,
    )
    assert parse_ami_url("ami://u:p@h").port == 5038
    for bad in ("http://u:p@h", "ami://h:5038", "ami://u:p@h:notaport", "ami://u:p@h?auth=x"):
        with pytest.raises(ValueError):
            parse_ami_url(bad)


def test_the_queue_rings_free_members_in_turn_and_never_a_paused_one() -> None:
    """``hotline demo``'s switchboard: static members, the next free one answers, a paused or
    busy one is skipped; the answering softphone replaces the scenario's 8001."""

    async def body(sim: SwitchboardSimulator, bridge: AMIBridge, recorder: Recorder) -> None:
        for extension in ("8001", "8002", "8003"):
            sim.add_member("12345", f"PJSIP/{extension}", f"op{extension}")
        await bridge.queue_pause("PJSIP/8003", True, "小休")
        rung = [sim.next_agent("12345") for _ in range(4)]
        assert rung[:2] in (["8001", "8002"], ["8002", "8001"])
        assert rung[2:] == rung[:2]  # in turn; 8003 is paused
        await sim.play(load_scenario("queue_call"), caller="13980010001", agent="8002")
        await eventually(lambda: bool(recorder.finished()))
        call = recorder.finished()[0].call
        assert call.answered_by == "8002" and call.caller_number == "13980010001"
        # While a call plays on 8001, only 8002 is free.
        scenario = load_scenario("queue_call")
        playing = asyncio.create_task(sim.play(scenario, caller="13900000000", agent="8001"))
        await asyncio.sleep(0)
        assert {sim.next_agent("12345") for _ in range(3)} == {"8002"}
        await playing
        await bridge.queue_pause("PJSIP/8001", True, "会议")
        await bridge.queue_pause("PJSIP/8002", True, "会议")
        assert sim.next_agent("12345") is None

    with_bridge(body)
