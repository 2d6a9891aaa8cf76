"""Every cacofonisk capture replayed over real TCP to the bridge (client + tracker)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from telephony.ami import AMIConfig
from telephony.ami.codec import encode_message
from telephony.bridge import AMIBridge
from tests.telephony_ami.ami_helpers import (
    SECRET,
    USER,
    Recorder,
    capture_wire,
    eventually,
    load_capture,
)


async def replay_server(payload: bytes) -> tuple[asyncio.Server, int]:
    """A minimal AMI peer: banner, accept login, answer lists empty, then stream payload."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from telephony.ami import AMIDecoder, Message

        writer.write(b"Asterisk Call Manager/5.0.1\r\n")
        decoder = AMIDecoder(expect_banner=False)
        while chunk := await reader.read(4096):
            for action in decoder.feed(chunk):
                assert isinstance(action, Message)
                aid = action.get("ActionID")
                name = action.action
                if name == "Login":
                    assert action.get("Secret") == SECRET
                    writer.write(encode_message({"Response": "Success", "ActionID": aid}))
                elif name == "QueueStatus":
                    writer.write(
                        encode_message(
                            {"Response": "Success", "ActionID": aid, "EventList": "start"}
                        )
                    )
                    writer.write(
                        encode_message(
                            {
                                "Event": "QueueStatusComplete",
                                "ActionID": aid,
                                "EventList": "Complete",
                            }
                        )
                    )
                elif name == "CoreShowChannels":
                    writer.write(
                        encode_message(
                            {"Response": "Success", "ActionID": aid, "EventList": "start"}
                        )
                    )
                    writer.write(
                        encode_message(
                            {
                                "Event": "CoreShowChannelsComplete",
                                "ActionID": aid,
                                "EventList": "Complete",
                            }
                        )
                    )
                    writer.write(payload)
                await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def replay(events: list[dict[str, str]]) -> tuple[Recorder, AMIBridge]:
    recorder = Recorder()
    server, port = await replay_server(capture_wire(events))
    bridge = AMIBridge(AMIConfig("127.0.0.1", port, USER, SECRET, md5=False), recorder)
    task = asyncio.create_task(bridge.run())
    linkedids = {e["Linkedid"] for e in events if e.get("Event") == "Newchannel"}
    await eventually(lambda: len({e.call.linkedid for e in recorder.finished()}) == len(linkedids))
    await bridge.close()
    task.cancel()
    server.close()
    return recorder, bridge


ALL = sorted(
    str(p.relative_to(p.parents[1]))
    for p in (Path(__file__).resolve().parents[3] / "shared/ami-captures/cacofonisk").glob(
        "*/*.json"
    )
)


@pytest.mark.parametrize("relative", ALL or ["simple/ab_success_a_hangup.json"])
def test_capture_gives_one_finished_record_per_call(shared_dir: Path, relative: str) -> None:
    events = load_capture(shared_dir, relative)
    recorder, bridge = asyncio.run(replay(events))
    finished = recorder.finished()
    linkedids = [e.call.linkedid for e in finished]
    assert len(linkedids) == len(set(linkedids)), "a call was finished twice"
    assert not bridge.calls, "a call was left open"
    for event in finished:
        assert event.call.ended_at is not None
        assert (event.kind == "call.ended") == (event.call.answered_at is not None)


EXPECTED = {
    # file: (caller, answered_by, [(target, mode, result)], state)
    "simple/ab_success_a_hangup.json": ("201", "202", [], "ended"),
    "simple/ab_reject.json": ("201", None, [], "abandoned"),
    "simple/ab_callgroup.json": ("201", "401", [], "ended"),
    "xfer_blind/xfer_blind_abacbc.json": ("201", "202", [("203", "blind", "success")], "ended"),
    "xfer_blind/xfer_blind_reject.json": ("201", "202", [("203", "blind", "busy")], "ended"),
    "xfer_blind/xfer_blind_group.json": (
        "+31260010001",
        "+31150010001",
        [("401", "blind", "success")],
        "ended",
    ),
    "xfer_attended/xfer_abacbc.json": ("201", "202", [("203", "attended", "success")], "ended"),
    "xfer_blonde/xfer_blonde_reject.json": (
        "+31260010001",
        "+31150010001",
        [("202", "attended", "busy")],
        "ended",
    ),
}


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_capture_values(shared_dir: Path, relative: str) -> None:
    caller, answered_by, transfers, state = EXPECTED[relative]
    recorder, _ = asyncio.run(replay(load_capture(shared_dir, relative)))
    main = [e.call for e in recorder.finished() if e.call.consultation_for is None]
    assert len(main) == 1
    call = main[0]
    assert (call.caller_number, call.answered_by, call.state) == (caller, answered_by, state)
    assert [(t.target, t.mode, t.result) for t in call.transfers] == transfers
    consultations = [e.call for e in recorder.finished() if e.call.consultation_for]
    if relative.startswith(("xfer_attended", "xfer_blonde")):
        assert [c.consultation_for for c in consultations] == [call.linkedid]
