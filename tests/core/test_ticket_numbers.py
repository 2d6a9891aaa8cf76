"""Ticket numbers: one sequence a day, taken before the creating transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from hotline.services import Services
from hotline.tickets.service import NewTicket
from hotline.tickets.views import file_ticket, take_number
from hotline.workflow import Actor, Role
from tests.app_fixtures import Api


def sequence(number: str) -> int:
    day, _, counter = number.partition("-")
    assert day == "20261123"
    return int(counter)


def test_numbers_follow_each_other_and_bad_input_takes_none(api: Api) -> None:
    first = api.create()["number"]
    for bad in ({"content": "  "}, {"citizen_phone": "12345"}, {"type": "闲聊"}):
        body = {"content": "路灯不亮", "citizen_phone": "13800000001", "type": "求助", **bad}
        assert api.post("op", "/api/tickets", body).status_code in {400, 422}
    public = api.client.post(
        "/api/public/tickets",
        json={"content": "小区门口路灯坏了", "citizen_phone": "13800000002", "type": "求助"},
    )
    assert public.status_code == 201, public.text
    last = api.create()["number"]
    assert sequence(last) == sequence(first) + 2


def test_a_creation_in_progress_leaves_the_day_counter_free(services: Services) -> None:
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time: there is no row lock to show")
    data = NewTicket(content="路灯不亮", citizen_phone="13800000001", type="求助")
    first = take_number(services, data, {})
    pool = ThreadPoolExecutor(1)
    try:
        with services.unit() as (session, _):
            file_ticket(services, session, Actor("op", Role.OPERATOR), data, {}, first)
            # Still uncommitted: another creation must get its number without waiting.
            second = pool.submit(take_number, services, data, {}).result(timeout=10)
    finally:
        pool.shutdown(wait=False)  # a thread blocked on the row must not hang the test
    assert sequence(second) == sequence(first) + 1
