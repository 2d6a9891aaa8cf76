"""AMI ingest: events/s parsed + tracked over loopback TCP, beside the peers' parsers alone.

The stream is every cacofonisk capture (from ../shared) concatenated many times with fresh
ids. Usage: ``.venv/bin/python bench/ami_ingest.py [--repeat 40]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from pathlib import Path

from asterisk.ami.event import Event as AsteriskAmiEvent
from panoramisk.message import Message as PanoramiskMessage

from telephony.ami import AMIDecoder, Message
from telephony.calls import CallTracker

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "ami-captures" / "cacofonisk"
ID_FIELDS = re.compile(r"^(\w*(?:Uniqueid|Linkedid)): (.+)$", re.MULTILINE)


def build_stream(repeat: int) -> tuple[bytes, int]:
    events = [e for path in sorted(CAPTURES.glob("*/*.json")) for e in json.loads(path.read_text())]
    lines = []
    for event in events:
        keys = ["Event", "Privilege"] + [k for k in event if k not in ("Event", "Privilege")]
        lines.append("\r\n".join(f"{k}: {event[k]}" for k in keys if k in event and k != "content"))
    template = "\r\n\r\n".join(lines) + "\r\n\r\n"
    copies = [ID_FIELDS.sub(lambda m, n=n: f"{m[1]}: r{n}-{m[2]}", template) for n in range(repeat)]
    return "".join(copies).encode(), len(events) * repeat


async def ours_over_tcp(stream: bytes) -> int:
    async def serve(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(stream)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
    finished = 0

    def sink(event: object) -> None:
        nonlocal finished
        finished += 1

    decoder, tracker, count = AMIDecoder(expect_banner=False), CallTracker(sink), 0
    while chunk := await reader.read(262144):
        for item in decoder.feed(chunk):
            if isinstance(item, Message):
                tracker.handle(item.headers)
                count += 1
    writer.close()
    server.close()
    return count


def ours_parse_only(stream: bytes) -> int:
    decoder = AMIDecoder(expect_banner=False)
    return sum(len(decoder.feed(stream[i : i + 262144])) for i in range(0, len(stream), 262144))


def asterisk_ami_parse(stream: bytes) -> int:
    packs = re.compile(b"\r\n\r\n").split(stream)  # its client's own pack regex
    return sum(
        1 for pack in packs if pack and AsteriskAmiEvent.read(pack.decode("utf-8", "replace"))
    )


def panoramisk_parse(stream: bytes) -> int:
    text = stream.decode("utf-8", "ignore")  # what its protocol does with received bytes
    return sum(
        1 for block in text.split("\r\n\r\n") if block and PanoramiskMessage.from_line(block)
    )


def best_rate(run: object, events: int, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return events / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    stream, events = build_stream(args.repeat)
    print(f"stream: {events} events, {len(stream) / 1e6:.1f} MB")
    rates = {
        "ours: TCP + parse + track": best_rate(lambda: asyncio.run(ours_over_tcp(stream)), events),
        "ours: parse only": best_rate(lambda: ours_parse_only(stream), events),
        "asterisk-ami: parse only": best_rate(lambda: asterisk_ami_parse(stream), events),
        "panoramisk: parse only": best_rate(lambda: panoramisk_parse(stream), events),
    }
    for name, rate in rates.items():
        print(f"{name:28s} {rate:>10,.0f} events/s")


if __name__ == "__main__":
    main()
