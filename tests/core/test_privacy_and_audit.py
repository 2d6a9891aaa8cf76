"""Phone numbers are masked for roles that do not need them; every read of them is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.models import AuditRecord
from hotline.services import Services
from tests.app_fixtures import Api, add_call


def _reads(services: Services, ticket_id: int) -> list[str]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(AuditRecord.actor).where(
                    AuditRecord.action == "read_personal_data",
                    AuditRecord.entity_id == str(ticket_id),
                )
            )
        )


def test_masking_by_role_and_audited_reads(api: Api, services: Services) -> None:
    tid = api.create(citizen_name="王建国", real_name=True)["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    before = _reads(services, tid)

    supervisor_view = api.get("sup", f"/api/tickets/{tid}").json()
    assert supervisor_view["citizen_phone"] == "138****5678"
    assert supervisor_view["citizen_name"] == "王**"

    operator_view = api.get("op", f"/api/tickets/{tid}").json()
    assert operator_view["citizen_phone"] == "13812345678"
    department_view = api.get("zj", f"/api/tickets/{tid}").json()
    assert department_view["citizen_phone"] == "13812345678"  # real name: the lead calls back

    assert _reads(services, tid)[len(before) :] == ["op", "zj"]
    listed = api.get("sup", "/api/tickets").json()["items"]
    assert all("****" in t["citizen_phone"] for t in listed)


def test_anonymous_citizens_stay_masked_for_departments(api: Api) -> None:
    tid = api.create(real_name=False)["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    assert api.get("zj", f"/api/tickets/{tid}").json()["citizen_phone"] == "138****5678"


def test_every_change_is_audited(api: Api, services: Services) -> None:
    tid = api.create()["id"]
    api.act("disp", tid, "dispatch", {"department": "ZJ"})
    api.act("zj", tid, "accept")
    with services.sessions() as session:
        actions = list(
            session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.entity_id == str(tid), AuditRecord.action.like("ticket.%"))
                .order_by(AuditRecord.id)
            )
        )
    assert actions == ["ticket.create", "ticket.dispatch", "ticket.accept"]


def test_a_co_handling_department_finds_its_tickets_in_its_list(api: Api) -> None:
    led = api.create()["id"]
    api.act("disp", led, "dispatch", {"department": "ZJ", "co_handlers": ["CG"]})
    elsewhere = api.create()["id"]
    api.act("disp", elsewhere, "dispatch", {"department": "HB", "co_handlers": ["CG-WH"]})

    for user, expected in (("zj", [led]), ("cg", [led]), ("cgwh", [elsewhere]), ("ga", [])):
        listed = api.get(user, "/api/tickets").json()
        assert [t["id"] for t in listed["items"]] == expected, user
        assert listed["total"] == len(expected)
        for ticket_id in (led, elsewhere):  # the list agrees with what the detail lets through
            opened = api.get(user, f"/api/tickets/{ticket_id}").status_code == 200
            assert opened == (ticket_id in expected), (user, ticket_id)
    co_handled = api.get("cg", "/api/tickets", status="dispatched").json()["items"]
    assert co_handled[0]["citizen_phone"] == "138****5678"  # only the lead calls back


def _personal_reads(services: Services) -> list[tuple[str, str, str, dict[str, Any]]]:
    with services.sessions() as session:
        rows = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "read_personal_data")
            .order_by(AuditRecord.id)
        )
        return [(r.actor, r.entity, r.entity_id, r.detail) for r in rows]


def test_each_list_that_shows_citizens_is_one_audit_row_naming_them(
    api: Api, services: Services
) -> None:
    first = api.create(citizen_name="王建国")["id"]
    second = api.create(citizen_phone="13900001111")["id"]
    before = len(_personal_reads(services))

    listed = api.get("op", "/api/tickets").json()["items"]
    assert {t["citizen_phone"] for t in listed} == {"13812345678", "13900001111"}
    api.get("sup", "/api/tickets")  # masked for a supervisor: nothing personal was shown
    api.get("disp", "/api/tickets", phone="13900001111")
    api.get("sup", "/api/tickets", phone="13812345678")  # masked, but the search names a number

    assert _personal_reads(services)[before:] == [
        ("op", "ticket", "list", {"fields": ["phone", "name"], "ids": [str(second), str(first)]}),
        (
            "disp",
            "ticket",
            str(second),
            {"fields": ["phone", "name"], "ids": [str(second)], "searched_phone": "139****1111"},
        ),
        (
            "sup",
            "ticket",
            "list",
            {"fields": ["phone", "name"], "ids": [], "searched_phone": "138****5678"},
        ),
    ]


def test_calls_show_masked_numbers_and_a_search_by_number_is_audited(
    api: Api, services: Services
) -> None:
    """The call lists mask every caller for every role (the answering operator reads the full
    number through /api/calls/{id}/caller, tested in tests/calls); a search by a number is a
    read of personal data even so (the number searched, masked, is in the row)."""
    first = add_call(services, caller="13812345678", state="ended")
    second = add_call(services, caller="13900001111", state="ended")
    api.create()  # the operator's own reads of the ticket are not what this test counts
    before = len(_personal_reads(services))

    assert api.get("op", "/api/calls").json()["total"] == 2
    assert api.get("op", f"/api/calls/{first}").json()["caller"] == "138****5678"
    api.get("op", "/api/calls", phone="13900001111")
    assert api.get("sup", "/api/calls").json()["items"][0]["caller"] == "139****1111"
    api.get("sup", f"/api/calls/{second}")

    assert _personal_reads(services)[before:] == [
        ("op", "call", "list", {"fields": ["phone"], "ids": [], "searched_phone": "139****1111"}),
    ]


def test_looking_up_a_callers_tickets_names_them_in_the_audit(api: Api, services: Services) -> None:
    first = api.create(citizen_phone="13900002222")["id"]
    second = api.create(citizen_phone="13900002222")["id"]
    before = len(_personal_reads(services))
    assert len(api.get("op", "/api/intake/repeat", phone="13900002222").json()["tickets"]) == 2
    assert _personal_reads(services)[before:] == [
        (
            "op",
            "ticket",
            "list",
            {
                "fields": ["tickets_by_phone"],
                "ids": [str(second), str(first)],
                "searched_phone": "139****2222",
            },
        )
    ]
