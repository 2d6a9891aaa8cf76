"""Phone numbers: however a citizen's number is written or presented, one stored form."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from hotline.calls import service as calls
from hotline.calls.cli import demo_caller
from hotline.calls.models import Call
from hotline.errors import InvalidInput
from hotline.phones import caller_id, normalize_phone
from hotline.services import Services
from telephony.calls import CallSnapshot
from tests.app_fixtures import Api

MOBILE = "13800138000"
LANDLINE = "03735551234"
WRITTEN_AS = {
    MOBILE: [
        "13800138000",
        "+86 138-0013-8000",
        "+8613800138000",
        "0086 138 0013 8000",
        "86 13800138000",
        "8613800138000",
        "013800138000",  # a trunk 0 before a mobile
        "１３８００１３８０００",  # full-width digits
        "＋８６ １３８ ００１３ ８０００",
        " 138 0013 8000 ",
    ],
    LANDLINE: [
        "0373-5551234",
        "03735551234",
        "(0373)5551234",
        "（0373）555-1234",
        "+86 373 555 1234",
        "0086-373-5551234",
    ],
    "01012345678": ["010-12345678", "(010) 1234 5678", "+86 10 1234 5678"],
}
REFUSED = [
    "",
    "12345",  # service numbers are no citizen's number
    "110",
    "95598",
    "5551234",  # a landline without its area code
    "1380013800",  # a digit short
    "138001380001",  # a digit too many
    "12ab",
    "1-800-FLOWERS",
    "+1 650 253 0000",  # not a Chinese number
    "13800138000；DROP",
]


@pytest.mark.parametrize(
    ("written", "stored"),
    [(written, stored) for stored, forms in WRITTEN_AS.items() for written in forms],
)
def test_every_way_of_writing_a_number_is_stored_one_way(written: str, stored: str) -> None:
    assert normalize_phone(written) == stored


@pytest.mark.parametrize("written", REFUSED)
def test_a_refusal_says_which_formats_are_accepted(written: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_phone(written, field="phone")
    assert refused.value.extra["field"] == "phone"
    assert "13800138000" in refused.value.message and "0373-5551234" in refused.value.message


def test_a_caller_id_is_stored_as_the_citizen_number_or_else_as_presented() -> None:
    assert caller_id("+8613800138000") == MOBILE
    assert caller_id("013800138000") == MOBILE
    assert caller_id("95598") == "95598"
    assert caller_id("anonymous") == "anonymous"
    assert caller_id("") == ""


def test_one_citizen_is_one_number_in_tickets_look_ups_and_repeat_calls(api: Api) -> None:
    first = api.create(citizen_phone="+86 138-0013-8000", matter_category="噪声扰民")
    second = api.create(citizen_phone="１３８００１３８０００", matter_category="噪声扰民")
    assert first["citizen_phone"] == second["citizen_phone"] == MOBILE
    landline = api.create(citizen_phone="(0373)5551234")
    assert landline["citizen_phone"] == LANDLINE

    found = api.get("op", "/api/tickets", phone="013800138000").json()
    assert {t["id"] for t in found["items"]} == {first["id"], second["id"]}
    found = api.get("op", "/api/tickets", phone="0373-5551234").json()
    assert [t["id"] for t in found["items"]] == [landline["id"]]

    history = api.get("op", "/api/calls/history", phone="0086 138 0013 8000").json()
    assert history["phone"] == MOBILE
    assert {t["id"] for t in history["tickets"]} == {first["id"], second["id"]}

    # The second call with the same matter is a repeat call, whatever the number looked like.
    repeat = api.get("op", "/api/intake/repeat", phone="+8613800138000").json()
    assert {t["id"]: t["repeat_of"] for t in repeat["tickets"]} == {
        first["id"]: None,
        second["id"]: first["id"],
    }

    public = api.client.get(
        f"/api/public/tickets/{first['number']}", params={"phone": "+86 138 0013 8000"}
    )
    assert public.status_code == 200, public.text


def test_a_refused_number_is_a_clear_422_everywhere(api: Api) -> None:
    body = {"content": "路灯不亮", "citizen_phone": "12345", "type": "求助"}
    number = api.create()["number"]
    for reply in (
        api.post("op", "/api/tickets", body),
        api.client.post("/api/public/tickets", json=body),
        api.get("op", "/api/tickets", phone="12ab"),
        api.get("op", "/api/calls/history", phone="12ab"),
        api.get("op", "/api/intake/repeat", phone="12ab"),
        api.client.get(f"/api/public/tickets/{number}", params={"phone": "12ab"}),
    ):
        assert reply.status_code == 422, reply.text
        assert reply.json()["code"] == "invalid_input"
        assert "0373-5551234" in reply.json()["message"]


def test_the_bridge_stores_the_caller_as_the_citizen_number(services: Services) -> None:
    presented = {"1795000001.1": "+8613800138000", "1795000002.1": "95598"}
    with services.unit() as (session, _):
        for linkedid, number in presented.items():
            calls.store_snapshot(
                session,
                CallSnapshot(
                    linkedid=linkedid, caller_number=number, state="ringing", started_at=1.8e9
                ),
            )
    with services.sessions() as session:
        stored = dict(session.execute(select(Call.linkedid, Call.caller)).all())
    assert stored == {"1795000001.1": MOBILE, "1795000002.1": "95598"}


def test_the_demo_switchboard_calls_from_numbers_a_ticket_accepts() -> None:
    rng = random.Random(12345)
    for _ in range(2000):
        caller = demo_caller(rng)
        assert normalize_phone(caller) == caller
