"""Numbers callers say (phone and ID numbers, in digits, full-width or spoken Chinese) are
masked in transcripts for the roles that see citizens' numbers masked elsewhere: in the API and
on the live stream. Operators, who call back, read them whole."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
import uvicorn

from hotline.app import create_app
from hotline.deps import Principal
from hotline.events import Event
from hotline.services import Services
from hotline.speech import service
from hotline.speech.masking import event_for, mask_numbers
from hotline.workflow import Actor, Role
from tests.app_fixtures import PASSWORD, Api
from tests.conftest import free_port

from .conftest import add_call

SAID = "我的电话是13812345678，身份证号41070219900101123X"
SAID_RAW = "我 的 电话 是 一 三 八 一 二 三 四 五 六 七 八"
PARTIAL = "座机是６３５８１２３４"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13812345678", "电话138****5678"),
        ("一 三 八 一 二 三 四 五 六 七 八", "一 三 八 * * * * 五 六 七 八"),
        ("幺三八一二三四五六七八", "幺三八****五六七八"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("138-1234-5678", "138-****-5678"),
        ("身份证41070219900101123X", "身份证410***********123X"),
        ("座机63581234", "座机****1234"),
        # Not phone-like: dates, room numbers, short counts, the centre's ticket numbers.
        ("2026年11月3日下午3点", "2026年11月3日下午3点"),
        ("3号楼1502室，等了三十分钟", "3号楼1502室，等了三十分钟"),
        ("工单号20261127-000123", "工单号20261127-000123"),
    ],
)
def test_phone_and_id_like_runs_are_masked(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


def _transcript(services: Services) -> tuple[int, str]:
    stream_uuid = str(uuid.uuid4())
    call_id = add_call(services, stream_uuid)
    with services.unit() as (session, _):
        stream = service.open_stream(session, stream_uuid, datetime(2026, 11, 23, 9, 0))
        service.add_segment(session, stream, SAID_RAW, SAID, 0.0, 4.0)
        stream.partial = PARTIAL
    return call_id, stream_uuid


def test_supervisors_read_transcripts_with_the_numbers_masked(api: Api, services: Services) -> None:
    call_id, stream_uuid = _transcript(services)
    ticket_id = api.create("op", call_id=call_id)["id"]
    for path, params in (
        (f"/api/transcripts/{stream_uuid}", {}),
        ("/api/transcripts", {"call_id": call_id}),
        (f"/api/tickets/{ticket_id}/transcript", {}),
    ):
        supervisor = api.get("sup", path, **params).json()
        operator = api.get("op", path, **params).json()
        shown, whole = (
            (body["items"][0] if "items" in body else body) for body in (supervisor, operator)
        )
        assert shown["segments"][0]["text"] == "我的电话是138****5678，身份证号410***********123X"
        assert shown["segments"][0]["raw_text"] == "我 的 电话 是 一 三 八 * * * * 五 六 七 八"
        assert shown["partial"] == "座机是****１２３４"
        assert whole["segments"][0]["text"] == SAID and whole["partial"] == PARTIAL, path
        assert whole["segments"][0]["raw_text"] == SAID_RAW


def _who(role: Role) -> Principal:
    return Principal(1, Actor("someone", role), "someone", None)


def test_the_live_stream_masks_spoken_numbers_for_supervisors() -> None:
    said = Event("transcript.final", {"uuid": "u", "call_id": 1, "text": SAID, "start": 0.0})
    heard = event_for(_who(Role.SUPERVISOR).actor, said)
    assert heard.payload == {**said.payload, "text": mask_numbers(SAID)}
    assert heard.id == said.id and heard.type == said.type
    assert "13812345678" not in heard.payload["text"]
    for role in (Role.OPERATOR, Role.DISPATCHER, Role.ADMIN):
        assert event_for(_who(role).actor, said) == said
    ticket_event = Event("ticket.created", {"ticket_id": 1, "text": SAID})
    assert event_for(_who(Role.SUPERVISOR).actor, ticket_event) == ticket_event


@pytest.fixture
def served(services: Services) -> Iterator[str]:
    """The app behind a real uvicorn, for its live stream."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services=services),
            host="127.0.0.1",
            port=free_port(),
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=10)


def _heard_on_the_stream(base_url: str, services: Services, user: str, said: Event) -> dict:  # type: ignore[type-arg]
    with httpx.Client(base_url=base_url, timeout=20) as client:
        login = {"username": user, "password": PASSWORD}
        token = client.post("/api/auth/token", data=login).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        listening = services.bus.listener_count  # type: ignore[attr-defined]
        with client.stream("GET", "/api/events/stream", headers=headers) as stream:
            lines = stream.iter_lines()
            assert next(lines) == ": connected"
            deadline = time.monotonic() + 10
            while services.bus.listener_count == listening:  # type: ignore[attr-defined]
                assert time.monotonic() < deadline, "the stream did not start listening"
                time.sleep(0.01)
            services.bus.publish(said)
            for line in lines:
                if line.startswith("data: "):
                    return json.loads(line.removeprefix("data: "))  # type: ignore[no-any-return]
    raise AssertionError("the stream ended before the event")


def test_supervisors_hear_live_transcripts_with_the_numbers_masked(
    served: str, services: Services
) -> None:
    said = Event("transcript.final", {"uuid": "u", "call_id": None, "text": SAID})
    heard = _heard_on_the_stream(served, services, "sup", said)
    assert heard["text"] == "我的电话是138****5678，身份证号410***********123X"
    assert _heard_on_the_stream(served, services, "op", said)["text"] == SAID
