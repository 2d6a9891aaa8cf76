"""Phone numbers are masked for roles that do not need them; every read of them is audited."""

from __future__ import annotations

from sqlalchemy import select

from hotline.models import AuditRecord
from hotline.services import Services
from tests.app_fixtures import Api


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
