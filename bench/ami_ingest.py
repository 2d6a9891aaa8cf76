"""AMI ingest: events/s parsed + tracked over loopback TCP, beside the peers' parsers alone.

The stream is every cacofonisk capture (from ../shared) concatenated many times with fresh
ids. Ours runs as AMIBridge does: the events the tracker does not use are checked and
counted but get no header dict ("every event decoded" is the same without that). Every
contender consumes the whole stream (its count of events is checked) in each round; rounds
are interleaved so load changes hit them alike, and the median is reported, as wall-clock
and as CPU time of this process. Usage:
``.venv/bin/python bench/ami_ingest.py [--repeat 40] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from asterisk.ami.event import Event as AsteriskAmiEvent
from panoramisk.message import Message as PanoramiskMessage

from telephony.ami import AMIDecoder, Message
from telephony.calls import CallTracker

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "ami-captures" / "cacofonisk"
ID_FIELDS = re.compile(r"^(\w*(?:Uniqueid|Linkedid)): (.+)$", re.MULTILINE)
READ_SIZE = 65536  # what AMIClient._read_loop asks the StreamReader for


def build_stream(repeat: int) -> tuple[bytes, int]:
    events = [e for path in sorted(CAPTURES.glob("*/*.json")) for e in json.loads(path.read_text())]
    lines = []
    for event in events:
        keys = ["Event", "Privilege"] + [k for k in event if k not in ("Event", "Privilege")]
        lines.append("\r\n".join(f"{k}: {event[k]}" for k in keys if k in event and k != "content"))
    template = "\r\n\r\n".join(lines) + "\r\n\r\n"
    copies = [ID_FIELDS.sub(lambda m, n=n: f"{m[1]}: r{n}-{m[2]}", template) for n in range(repeat)]
    return "".join(copies).encode(), len(events) * repeat


def serve_stream(listener: socket.socket, stream: bytes, connections: int) -> None:
    """The stand-in Asterisk, in its own process: the recorded stream to each connection."""
    for _ in range(connections):
        conn, _ = listener.accept()
        with conn:
            conn.sendall(stream)


async def ours_over_tcp(address: tuple[str, int], *, decode_all: bool = False) -> int:
    """As AMIBridge runs: the decoder skips the events the tracker does not use (counted)."""
    reader, writer = await asyncio.open_connection(*address)
    tracker, count = CallTracker(lambda _: None), 0
    decoder = AMIDecoder(expect_banner=False, events=None if decode_all else tracker.events)
    while chunk := await reader.read(READ_SIZE):
        for item in decoder.feed(chunk):
            if isinstance(item, Message):
                tracker.handle(item.headers)
                count += 1
    writer.close()
    return count + decoder.skipped_events


def ours_parse_only(stream: bytes) -> int:
    decoder = AMIDecoder(expect_banner=False)
    return sum(
        len(decoder.feed(stream[i : i + READ_SIZE])) for i in range(0, len(stream), READ_SIZE)
    )


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


def timed(run: Callable[[], int], events: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if count != events:
        raise SystemExit(f"{run}: {count} events instead of {events}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    stream, events = build_stream(args.repeat)
    listener = socket.create_server(("127.0.0.1", 0))
    server = multiprocessing.Process(
        target=serve_stream, args=(listener, stream, 2 * args.rounds), daemon=True
    )
    server.start()
    address = listener.getsockname()[:2]
    contenders: dict[str, Callable[[], int]] = {
        "ours: TCP + parse + track": lambda: asyncio.run(ours_over_tcp(address)),
        "  same, every event decoded": lambda: asyncio.run(ours_over_tcp(address, decode_all=True)),
        "ours: parse only": lambda: ours_parse_only(stream),
        "asterisk-ami: parse only": lambda: asterisk_ami_parse(stream),
        "panoramisk: parse only": lambda: panoramisk_parse(stream),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    load = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for name, run in contenders.items():
            times[name].append(timed(run, events))
        load.append(os.getloadavg()[0])
    server.join()
    print(f"stream: {events} events, {len(stream) / 1e6:.1f} MB; {args.rounds} rounds, medians")
    print(f"1-minute load average during the run: {min(load):.1f}-{max(load):.1f}")
    print(f"{'':28s} {'wall events/s':>14s} {'CPU events/s':>14s}")
    for name, samples in times.items():
        wall = events / statistics.median(w for w, _ in samples)
        cpu = events / statistics.median(c for _, c in samples)
        print(f"{name:28s} {wall:>14,.0f} {cpu:>14,.0f}")


if __name__ == "__main__":
    main()
