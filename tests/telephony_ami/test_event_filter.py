"""Event filtering: a decoder (and client) given the events its consumer uses skips the rest."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from telephony.ami import AMIClient, AMIDecoder, Message, ProtocolError
from telephony.ami.codec import Item
from telephony.calls import CallTracker, TrackerEvent
from telephony.sim import load_scenario
from tests.telephony_ami.ami_helpers import capture_wire, new_simulator, sim_config

WANTED = frozenset({"Hangup", "Newchannel"})


def all_captures(shared_dir: Path) -> bytes:
    folder = shared_dir / "ami-captures" / "cacofonisk"
    events = [e for path in sorted(folder.glob("*/*.json")) for e in json.loads(path.read_text())]
    return capture_wire(events)


def feed_in_pieces(decoder: AMIDecoder, data: bytes, size: int) -> list[Item]:
    return [item for i in range(0, len(data), size) for item in decoder.feed(data[i : i + size])]


def kept(items: list[Item], events: frozenset[str]) -> list[Item]:
    """What a filtering decoder must yield: all but the events not named and without ActionID."""
    return [
        item
        for item in items
        if not isinstance(item, Message)
        or item.event is None
        or item.event in events
        or item.action_id is not None
    ]


def test_filtered_decoder_yields_exactly_the_named_events_of_every_capture(
    shared_dir: Path,
) -> None:
    data = all_captures(shared_dir)
    everything = AMIDecoder(expect_banner=False).feed(data)
    expected = kept(everything, WANTED)
    assert {item.event for item in expected if isinstance(item, Message)} == WANTED
    for size in (len(data), 65536, 997):
        decoder = AMIDecoder(expect_banner=False, events=WANTED)
        assert feed_in_pieces(decoder, data, size) == expected, size
        assert decoder.skipped_events == len(everything) - len(expected)


def test_filtered_decoder_still_reports_errors_and_yields_answers_to_actions() -> None:
    data = (
        b"Response: Success\r\nActionID: 1\r\n\r\n"
        b"Event: Newstate\r\nChannel: PJSIP/8001-00000001\r\n\r\n"  # skipped
        b"Event: Newstate\r\nline without separator\r\n\r\n"  # an error, as unfiltered
        b"Event: Newstate\r\nKey: " + b"x" * 200 + b"\r\n\r\n"  # line too long: an error
        b"Event: Newstate\r\nActionID: 2\r\n\r\n"  # answers an action: kept
        b"Event: CoreShowChannelsComplete\r\nActionID: 3\r\nEventList: Complete\r\n\r\n"
        b"Event: Newstate\r\nChanVariable: A=1\r\nChanVariable: B=2\r\n\r\n"  # skipped
        b"Privilege: call,all\r\nEvent: Newstate\r\n\r\n"  # Event not first: skipped
        b"Event:Newstate\r\nUniqueid: 1\r\n\r\n"  # careful path: skipped
        b"Event:Hangup\r\nUniqueid: 1\r\n\r\n"  # careful path: kept
        b"Event: Newstate\r\nEvent: Hangup\r\n\r\n"  # the last Event names it: kept
        b"Event: Newstate\r\nCallerIDName: \xd5\xc5\r\n\r\n"  # not UTF-8: skipped
        b"Event: Hangup\r\nCallerIDName: \xd5\xc5\r\n\r\n"  # not UTF-8: kept, flagged
        b"Action: Ping\r\nActionID: 4\r\n\r\n"
        b"Event: Newstate\nK: v\n\n"  # bare LF: skipped
        b"Event: Hangup\nK: v\n\n"
    )
    everything = AMIDecoder(expect_banner=False, max_line_bytes=100).feed(data)
    decoder = AMIDecoder(expect_banner=False, max_line_bytes=100, events=WANTED)
    items = decoder.feed(data)
    assert items == kept(everything, WANTED)
    assert decoder.skipped_events == 6
    errors = [item.reason for item in items if isinstance(item, ProtocolError)]
    assert len(errors) == 2 and "malformed line" in errors[0] and "line exceeds" in errors[1]
    messages = [item for item in items if isinstance(item, Message)]
    assert [(m.response, m.event, m.action) for m in messages] == [
        ("Success", None, None),
        (None, "Newstate", None),
        (None, "CoreShowChannelsComplete", None),
        (None, "Hangup", None),
        (None, "Hangup", None),
        (None, "Hangup", None),
        (None, None, "Ping"),
        (None, "Hangup", None),
    ]
    assert messages[5].undecodable
    byte_by_byte = AMIDecoder(expect_banner=False, max_line_bytes=100, events=WANTED)
    assert feed_in_pieces(byte_by_byte, data, 1) == items


def test_unfiltered_decoder_yields_every_event(shared_dir: Path) -> None:
    data = all_captures(shared_dir)
    decoder = AMIDecoder(expect_banner=False, events=None)
    items = decoder.feed(data)
    assert items == AMIDecoder(expect_banner=False).feed(data)
    assert len(items) == data.count(b"\r\n\r\n") and decoder.skipped_events == 0


def test_tracker_behind_a_filtered_decoder_records_the_same_calls(shared_dir: Path) -> None:
    data = all_captures(shared_dir)
    records: list[list[TrackerEvent]] = []
    for filtered in (False, True):
        changes: list[TrackerEvent] = []
        tracker = CallTracker(changes.append, clock=lambda: 1_700_000_000.0)
        decoder = AMIDecoder(expect_banner=False, events=tracker.events if filtered else None)
        for item in feed_in_pieces(decoder, data, 65536):
            assert isinstance(item, Message)
            tracker.handle(item.headers)
        records.append(changes)
    assert records[0] and records[1] == records[0]


def test_client_with_events_gets_only_those_but_every_answer_to_its_actions() -> None:
    async def main() -> None:
        sim = new_simulator()
        await sim.start()
        received: dict[str, list[str | None]] = {"filtered": [], "all": []}
        filtered = AMIClient(
            sim_config(sim),
            on_event=lambda m: received["filtered"].append(m.event),
            events={"Newchannel"},
        )
        everything = AMIClient(sim_config(sim), on_event=lambda m: received["all"].append(m.event))
        tasks = [asyncio.create_task(client.run()) for client in (filtered, everything)]
        try:
            await filtered.wait_connected(5)
            await everything.wait_connected(5)
            scenario = load_scenario("queue_call")
            await sim.play({**scenario, "steps": scenario["steps"][:11]})  # call in progress
            listing = await filtered.action("CoreShowChannels", collect_events=True)
            await everything.action("Ping")  # its events were all read before the answer
        finally:
            for client in (filtered, everything):
                await client.close()
            for task in tasks:
                task.cancel()
            await sim.close()
        assert listing.ok and len(listing.events) == 2
        assert {event.event for event in listing.events} == {"CoreShowChannel"}
        assert received["filtered"] == ["Newchannel", "Newchannel"]
        assert [name for name in received["all"] if name == "Newchannel"] == received["filtered"]
        assert {"FullyBooted", "QueueCallerJoin"} <= set(received["all"])

    asyncio.run(main())
