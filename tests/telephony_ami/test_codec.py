"""The sans-I/O codec on real capture bytes and on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.ami import AMIDecoder, AMIEncodeError, Banner, Message, ProtocolError, encode_action


def fixture_bytes(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "ami-captures" / "panoramisk" / "fixtures" / name).read_bytes()


def test_every_panoramisk_fixture_parses_the_same_byte_by_byte(shared_dir: Path) -> None:
    for path in sorted((shared_dir / "ami-captures" / "panoramisk" / "fixtures").glob("*.yaml")):
        data = path.read_bytes()
        whole = AMIDecoder().feed(data)
        decoder = AMIDecoder()
        pieces = [item for i in range(len(data)) for item in decoder.feed(data[i : i + 1])]
        assert pieces == whole, path.name
        errors = [item for item in whole if isinstance(item, ProtocolError)]
        # That capture really has two truncated messages ("[218 bytes missing ...]Event: ...").
        assert len(errors) == (2 if path.name == "agent_loggued_in.yaml" else 0), path.name


def test_banner_and_md5_challenge_fixture(shared_dir: Path) -> None:
    items = AMIDecoder().feed(fixture_bytes(shared_dir, "login_md5.yaml"))
    assert items[0] == Banner("7.0.3")
    challenge = items[2]
    assert isinstance(challenge, Message)
    assert challenge.get("Challenge") == "145769581"


def test_command_output_follows_and_output_lines(shared_dir: Path) -> None:
    items = AMIDecoder().feed(fixture_bytes(shared_dir, "rasterisk_command.yaml"))
    follows = items[-1]
    assert isinstance(follows, Message) and follows.response == "Follows"
    assert follows.action_id == "generated_id"
    assert follows.output[1:] == ["0 active channels", "0 active calls", "2 calls processed"]
    modern = b"Response: Success\r\nActionID: 7\r\nOutput: Name: x\r\nOutput: line 2\r\n\r\n"
    (message,) = AMIDecoder(expect_banner=False).feed(modern)
    assert message.output == ["Name: x", "line 2"] and message.action_id == "7"


def test_event_list_fixture(shared_dir: Path) -> None:
    items = AMIDecoder().feed(fixture_bytes(shared_dir, "queue_status.yaml"))
    members = [i for i in items if isinstance(i, Message) and i.event == "QueueMember"]
    assert len(members) >= 3 and members[0].get("Name") == "Agent/220"


def test_one_megabyte_line_is_reported_dropped_and_the_stream_resyncs() -> None:
    decoder = AMIDecoder(expect_banner=False)
    items = decoder.feed(b"Event: Huge\r\nData: " + b"x" * 1_000_000)
    assert [type(i) for i in items] == [ProtocolError]
    assert decoder.buffered < 1024  # memory stays bounded while the flood lasts
    items = decoder.feed(b"y" * 500_000 + b"\r\n\r\nEvent: Hangup\r\nUniqueid: 1\r\n\r\n")
    assert [i.event for i in items if isinstance(i, Message)] == ["Hangup"]


def test_long_line_inside_a_small_enough_message() -> None:
    decoder = AMIDecoder(expect_banner=False, max_line_bytes=100)
    items = decoder.feed(b"Event: A\r\nK: " + b"z" * 200 + b"\r\n\r\nEvent: B\r\n\r\n")
    assert isinstance(items[0], ProtocolError) and "line" in items[0].reason
    assert isinstance(items[1], Message) and items[1].event == "B"


def test_non_utf8_bytes_are_replaced_and_flagged() -> None:
    data = b"Event: Newchannel\r\nCallerIDName: \xd5\xc5\xc8\xfd\r\n\r\nEvent: Ok\r\n\r\n"
    bad, good = AMIDecoder(expect_banner=False).feed(data)
    assert bad.undecodable and "\ufffd" in bad.get("CallerIDName")
    assert not good.undecodable


def test_malformed_frames_are_errors_and_do_not_poison_the_next_message() -> None:
    data = (
        b"this is not a header\r\nEvent: X\r\n\r\n"
        b"Foo: bar\r\n\r\n"
        b"Event:NoSpace\r\nKey:v\r\nChanVariable: A=1\r\nChanVariable: B=2\r\n\r\n"
        b"Event: Unknown\r\nWeird-Field: ok\r\n\r\n"
    )
    items = AMIDecoder(expect_banner=False).feed(data)
    assert [type(i) for i in items] == [ProtocolError, ProtocolError, Message, Message]
    assert items[2].event == "NoSpace" and items[2].values("ChanVariable") == ["A=1", "B=2"]


def test_lf_only_and_crlf_mixed_streams() -> None:
    data = b"Event: A\nK: 1\n\nEvent: B\r\nK: 2\r\n\r\n"
    items = AMIDecoder(expect_banner=False).feed(data)
    assert [(i.event, i.get("K")) for i in items] == [("A", "1"), ("B", "2")]


def test_encoder_round_trips_and_refuses_injection() -> None:
    data = encode_action("Originate", {"Channel": "PJSIP/8001", "Variable": ["A=1", "B=2"]})
    assert data.endswith(b"\r\n\r\n")
    (message,) = AMIDecoder(expect_banner=False).feed(data)
    assert message.action == "Originate" and message.values("Variable") == ["A=1", "B=2"]
    with pytest.raises(AMIEncodeError):
        encode_action("Redirect", {"Exten": "119\r\nAction: Logoff"})


def test_bulk_feed_matches_byte_by_byte_on_every_kind_of_message() -> None:
    data = (
        b"Event: A\r\nChanVariable: X=1\r\nChanVariable: Y=2\r\n\r\n"
        b"Response: Success\r\nOutput: one\r\nOutput: two\r\n\r\n"
        b"Action: Ping\r\nActionID: 3\r\n\r\n"
        b": no key\r\nEvent: B\r\n\r\n"
        b"Bad key: v\r\nEvent: C\r\n\r\n"
        b"Event: D\r\nEmpty: \r\nValue: has: colon space\r\n\r\n"
        b"Event: E\r\nK: \x01\r\n\r\n"
        b"Event: F\r\nK: 1\r\n\r\n"
    )
    whole = AMIDecoder(expect_banner=False).feed(data)
    decoder = AMIDecoder(expect_banner=False)
    assert [
        item for byte in range(len(data)) for item in decoder.feed(data[byte : byte + 1])
    ] == whole
    kinds = [type(i).__name__ for i in whole]
    assert kinds == ["Message"] * 8  # an empty key or one with a space is kept as it came
    assert whole[0].values("ChanVariable") == ["X=1", "Y=2"] and whole[1].output == ["one", "two"]
    assert whole[2].action == "Ping" and whole[5].get("Value") == "has: colon space"
    assert whole[6].get("K") == "\x01" and whole[7].get("K") == "1"


def test_a_line_without_separator_is_not_paired_with_the_next_lines_value() -> None:
    decoder = AMIDecoder(expect_banner=False)
    items = decoder.feed(b"Event: X\r\nfoo\r\nK: a: b\r\n\r\nEvent: Y\r\nK: v\r\n\r\n")
    assert isinstance(items[0], ProtocolError) and "foo" in str(items[0])
    assert isinstance(items[1], Message) and items[1].headers == {"Event": "Y", "K": "v"}


def test_an_odd_key_is_kept_alike_whether_or_not_the_message_repeats_a_key() -> None:
    plain, repeated = AMIDecoder(expect_banner=False).feed(
        b"Event: A\r\nBad key: v\r\n: no key\r\n\r\n"
        b"Event: B\r\nBad key: v\r\n: no key\r\nK: 1\r\nK: 2\r\n\r\n"
    )
    assert isinstance(plain, Message) and isinstance(repeated, Message)
    assert plain.get("Bad key") == repeated.get("Bad key") == "v"
    assert plain.get("") == repeated.get("") == "no key"
    assert repeated.values("K") == ["1", "2"]
