"""Two people acting on one ticket at the same moment: one wins, the other gets 409."""

from __future__ import annotations

import threading

import pytest

from hotline.errors import StaleVersion
from hotline.services import Services
from hotline.tickets import service
from hotline.workflow import Actor, Role
from tests.app_fixtures import Api

DISPATCHER = Actor("disp", Role.DISPATCHER)


def test_second_writer_of_a_stale_ticket_is_refused(api: Api, services: Services) -> None:
    tid = api.create()["id"]
    first, second = services.sessions(), services.sessions()
    try:
        service.load(first, DISPATCHER, tid)
        # Both hold the ticket as read at version 1 (the identity map keeps it while referenced).
        held = service.load(second, DISPATCHER, tid)
        service.act(
            first, DISPATCHER, tid, "dispatch", {"department": "ZJ"}, services.context(first)
        )
        first.commit()
        with pytest.raises(StaleVersion):
            service.act(
                second, DISPATCHER, tid, "dispatch", {"department": "CG"}, services.context(second)
            )
        second.rollback()
        assert held.id == tid
    finally:
        first.close()
        second.close()
    ticket = api.get("disp", f"/api/tickets/{tid}").json()
    assert ticket["department"] == "ZJ"
    assert [h["action"] for h in ticket["history"]] == ["create", "dispatch"]


def test_racing_requests_over_http(api: Api) -> None:
    tid = api.create()["id"]
    api.token("disp")
    results: list[int] = []
    barrier = threading.Barrier(4)

    def dispatch(department: str) -> None:
        barrier.wait()
        reply = api.post(
            "disp", f"/api/tickets/{tid}/actions/dispatch", {"department": department, "version": 1}
        )
        results.append(reply.status_code)

    threads = [threading.Thread(target=dispatch, args=(d,)) for d in ("ZJ", "CG", "HB", "GA")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409, 409, 409]
    ticket = api.get("disp", f"/api/tickets/{tid}").json()
    assert [h["action"] for h in ticket["history"]].count("dispatch") == 1
