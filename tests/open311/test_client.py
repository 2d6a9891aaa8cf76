"""An Open311 client from PyPI (``georeport``) files nothing itself — it has no POST — so the
request is filed as the spec says (a form POST, as any client sends it), then listed and
followed through ``georeport`` against the real server, in JSON and XML."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from georeport import GeoReport
from sqlalchemy import select
from typer.testing import CliRunner

from hotline.cli import app as cli
from hotline.services import Services
from hotline.tickets.models import Ticket

PHONE = "13812345678"


@pytest.fixture
def client_name(request: pytest.FixtureRequest) -> str:
    """One per test: the server's database lasts the session."""
    return str(request.node.originalname)


@pytest.fixture
def api_key(web_services: Services, monkeypatch: pytest.MonkeyPatch, client_name: str) -> str:
    """Issued on the command line, as an admin does."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", web_services.settings.database_url)
    result = CliRunner().invoke(cli, ["open311", "keys", "add", client_name])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_a_client_files_lists_and_follows_a_request(
    base_url: str,
    api_key: str,
    web_services: Services,
    call_api: Callable[..., httpx.Response],
) -> None:
    root = f"{base_url}/open311/v2"
    client, client_xml = GeoReport(root), GeoReport(root, output_format="xml")

    services = {service["service_code"]: service for service in client.get_service_list()}
    assert services["CG-05"]["service_name"] == "窨井盖"
    assert services["CG-05"]["group"] == "市城市管理局"
    definition = client_xml.get_service_definition("CG-05")
    assert definition["service_code"] == "CG-05"
    codes = [attribute["code"] for attribute in definition["attributes"]["attribute"]]
    assert codes == ["type", "division"]

    filed = httpx.post(
        f"{root}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "CG-05",
            "lat": "35.30",
            "long": "113.92",
            "address_string": "平原路与新中大道交叉口",
            "description": "路口窨井盖丢失，夜里有人差点掉下去",
            "phone": f"+86 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}",
            "first_name": "明",
            "last_name": "王",
            "attribute[type]": "求助",
            "attribute[division]": "HQ",
        },
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()[0]["service_request_id"]
    with web_services.sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.channel, ticket.citizen_phone, ticket.citizen_name) == ("api", PHONE, "王明")
        assert (ticket.matter_category, ticket.division_code) == ("窨井盖", "HQ")
        ticket_id = ticket.id

    listed = client.get_service_requests(service_request_id=number)
    assert [request["service_request_id"] for request in listed] == [number]
    assert listed[0]["status"] == "open"
    assert listed[0]["description"] is None  # without the filer's key: progress only
    followed = client.get_service_request(number)
    assert followed["status_notes"] == "已受理"

    def act(user: str, action: str, body: dict[str, object]) -> None:
        reply = call_api(user, "POST", f"/api/tickets/{ticket_id}/actions/{action}", body)
        assert reply.status_code == 200, reply.text

    act("disp", "dispatch", {"department": "CG"})
    act("cg", "accept", {})
    act("cg", "reply", {"content": "已于当日补装井盖并设置警示"})
    followed = client_xml.get_service_request(number)
    assert followed["status"] == "open"
    assert followed["agency_responsible"] == "市城市管理局"
    own = httpx.get(f"{root}/requests/{number}.json", params={"api_key": api_key}).json()[0]
    assert own["status_notes"] == "已于当日补装井盖并设置警示"
    assert own["description"] == "路口窨井盖丢失，夜里有人差点掉下去"
    assert (own["lat"], own["long"]) == (35.30, 113.92)

    act("op", "revisit", {"rating": "满意", "solved": True})
    act("disp", "close", {})
    closed = [r["service_request_id"] for r in client.get_service_requests(status="closed")]
    still_open = [r["service_request_id"] for r in client.get_service_requests(status="open")]
    other_service = client.get_service_requests(service_code="CG-01")
    assert number in closed and number not in still_open
    assert number not in [request["service_request_id"] for request in other_service]
    assert client.get_service_request(number)["status"] == "closed"

    for answer in (httpx.get(f"{root}/requests.json"), httpx.get(f"{root}/requests.xml")):
        assert number in answer.text
        assert PHONE not in answer.text and "王明" not in answer.text


def test_an_admin_revokes_a_key_on_the_command_line(
    base_url: str, api_key: str, client_name: str
) -> None:
    runner = CliRunner()
    again = runner.invoke(cli, ["open311", "keys", "add", client_name])
    assert again.exit_code == 2 and "已存在" in again.output
    listing = f"{base_url}/open311/v2/requests.json"
    assert httpx.get(listing, params={"api_key": api_key}).status_code == 200

    revoked = runner.invoke(cli, ["open311", "keys", "revoke", client_name])
    assert revoked.exit_code == 0, revoked.output
    listed = runner.invoke(cli, ["open311", "keys", "list"]).output
    assert f"{client_name}\t" in listed and "已吊销" in listed
    refusal = httpx.get(listing, params={"api_key": api_key})
    assert refusal.status_code == 403
    assert refusal.json() == [{"code": 403, "description": "api_key 无效或已被吊销"}]
