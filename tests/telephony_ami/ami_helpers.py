"""Helpers shared by the AMI tests: capture wire format, a recording sink, polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from telephony.ami import AMIConfig
from telephony.calls import CallEvent, TrackerEvent
from telephony.sim import SwitchboardSimulator

USER, SECRET = "hotline", "hotline-secret"


def capture_wire(events: list[dict[str, str]]) -> bytes:
    """Cacofonisk events as Asterisk writes them: Event first, Privilege second, CRLF."""
    out = []
    for event in events:
        keys = ["Event", "Privilege"] + [k for k in event if k not in ("Event", "Privilege")]
        lines = [f"{k}: {event[k]}" for k in keys if k in event and k != "content"]
        out.append("\r\n".join(lines) + "\r\n\r\n")
    return "".join(out).encode()


def load_capture(shared_dir: Path, relative: str) -> list[dict[str, str]]:
    return json.loads((shared_dir / "ami-captures" / "cacofonisk" / relative).read_text())


class Recorder:
    """A sink that keeps every tracker event."""

    def __init__(self) -> None:
        self.events: list[TrackerEvent] = []

    def __call__(self, event: TrackerEvent) -> None:
        self.events.append(event)

    def kinds(self, kind: str) -> list[CallEvent]:
        return [e for e in self.events if isinstance(e, CallEvent) and e.kind == kind]

    def finished(self) -> list[CallEvent]:
        return self.kinds("call.ended") + self.kinds("call.abandoned")


def new_simulator() -> SwitchboardSimulator:
    return SwitchboardSimulator(username=USER, secret=SECRET, step_scale=0.1)


def sim_config(sim: SwitchboardSimulator, *, md5: bool = True, secret: str = SECRET) -> AMIConfig:
    return AMIConfig("127.0.0.1", sim.port, USER, secret, md5)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds (polling), failing with a clear message."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
