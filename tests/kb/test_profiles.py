"""Ticket profiles: stored once when a ticket is filed, filled in lazily for older tickets."""

from __future__ import annotations

from sqlalchemy import delete, select

from hotline.kb.models import StoredProfile, TicketPlace, TicketTerm
from hotline.services import Services
from tests.app_fixtures import Api
from tests.kb.test_intake import duplicates

HEATING = "金桂园小区3号楼暖气不热"


def stored(services: Services, ticket_id: int) -> tuple[dict[str, float], list[str], set[str]]:
    with services.sessions() as session:
        profile = session.get(StoredProfile, ticket_id)
        assert profile is not None
        indexed = set(
            session.scalars(select(TicketTerm.term).where(TicketTerm.ticket_id == ticket_id))
        )
        return profile.terms, profile.places, indexed


def forget_profile(services: Services, ticket_id: int) -> None:
    """As if the ticket had been filed before profiles were stored."""
    with services.sessions.begin() as session:
        for table in (TicketTerm, TicketPlace, StoredProfile):
            session.execute(delete(table).where(table.ticket_id == ticket_id))


def test_a_ticket_s_words_and_places_are_stored_when_it_is_filed(
    api: Api, services: Services
) -> None:
    ticket = api.create(content=HEATING, division="MY", address="牧野区金桂园小区3号楼")
    terms, places, indexed = stored(services, ticket["id"])
    assert terms == {"暖气不热": 1, "暖气": 0.5, "气不": 0.5, "不热": 0.5}
    assert places == ["金桂园小区"]
    assert indexed == set(terms)
    with services.sessions() as session:
        assert session.scalars(
            select(TicketPlace.place).where(TicketPlace.ticket_id == ticket["id"])
        ).all() == ["金桂园小区"]


def test_tickets_filed_before_profiles_get_theirs_when_first_needed(
    api: Api, services: Services
) -> None:
    phone = "13912345000"
    older = api.create(
        content=HEATING, division="MY", address="金桂园小区3号楼", citizen_phone=phone
    )
    forget_profile(services, older["id"])

    newer = api.create(
        content="我家在金桂园小区，暖气一点都不热",
        division="MY",
        address="金桂园小区5号楼",
        citizen_phone=phone,
    )
    found = duplicates(api, newer["id"])
    assert [c["id"] for c in found["candidates"]] == [older["id"]]
    assert found["repeat_call"]["previous_ticket"]["id"] == older["id"]
    terms, places, indexed = stored(services, older["id"])
    assert "暖气不热" in terms and places == ["金桂园小区"] and indexed == set(terms)


def test_tickets_without_a_division_filed_before_profiles_still_meet_at_their_place(
    api: Api, services: Services
) -> None:
    older = api.create(content=HEATING, address="金桂园小区3号楼", citizen_phone="13912345001")
    forget_profile(services, older["id"])
    newer = api.create(
        content="金桂园小区暖气不热，屋里很冷", address="金桂园小区", citizen_phone="13912345002"
    )
    assert [c["id"] for c in duplicates(api, newer["id"])["candidates"]] == [older["id"]]


def test_the_duplicate_is_found_among_hundreds_of_other_open_tickets_in_the_division(
    api: Api,
) -> None:
    original = api.create(
        content=HEATING, division="MY", address="金桂园小区3号楼", citizen_phone="13800000001"
    )
    matters = ("路灯不亮", "下水道堵塞", "暖气片漏水", "楼上漏水", "电梯故障停运", "夜间施工噪声")
    places = ("胜利路", "人民路", "和平小区", "建设路", "平原路")
    for n in range(300):
        api.create(
            content=f"{places[n % 5]}{n}号{matters[n % 6]}，{matters[(n + 1) % 6]}",
            division="MY",
            citizen_phone=f"137{n:08d}",
        )
    again = api.create(
        content="金桂园小区暖气不热，家里很冷",
        division="MY",
        address="金桂园小区5号楼",
        citizen_phone="13800000002",
    )
    found = duplicates(api, again["id"])["candidates"]
    assert [(c["id"], c["same_place"]) for c in found] == [(original["id"], True)]
