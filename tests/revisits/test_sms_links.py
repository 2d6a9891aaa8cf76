"""短信链接回访 end to end: the plan made on reply, the sender in sending hours and under its
throttles, the one-time expiring link rating through the public API, expiry to the operators."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.cli import app as hotline_cli
from hotline.config import RevisitSettings, Settings, SmsSettings
from hotline.events import Event, InProcessBus
from hotline.revisits.links import SmsSender
from hotline.revisits.models import RevisitLink
from hotline.revisits.service import policy_of
from hotline.revisits.sms import HttpGateway, Sent
from hotline.services import Services
from hotline.throttle import Throttle
from tests.app_fixtures import Api, Clock
from tests.revisits.conftest import SECRET, Gateway

PHONE = "13812345678"
LINK = re.compile(r"http://hotline\.example/public/revisit/([A-Za-z0-9_-]{43})")
SMS = SmsSettings(
    sending_hours="08:00-21:00",
    public_url="http://hotline.example",
    per_number="2/day",
    per_minute="3/minute",
)


@pytest.fixture
def services(database_url: str, clock: Clock, events: list[Event]) -> Iterator[Services]:
    """The app's services with the sms channel; its own sender waits an hour between passes,
    so only the tests' passes send."""
    bus = InProcessBus()
    bus.subscribe(events.append)
    settings = Settings(
        database_url=database_url,
        scan_interval_seconds=3600,
        revisit=RevisitSettings(channel="sms", interval_seconds=3600),
        sms=SMS,
    )
    svc = Services(settings, bus=bus)
    svc.clock = clock
    yield svc
    svc.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services.settings, services=services)) as test_client:
        yield test_client


@dataclass
class Phones:
    """A gateway that delivers every text to this list."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone: str, text: str) -> Sent:
        self.texts.append((phone, text))
        return Sent(True)

    def token(self, index: int = -1) -> str:
        match = LINK.search(self.texts[index][1])
        assert match, self.texts[index][1]
        return match.group(1)


def sender(services: Services, gateway: Any, sms: SmsSettings = SMS) -> SmsSender:
    policy = policy_of(services.settings.revisit, sms)
    return SmsSender(services, gateway, policy, sms, Throttle(), name="test")


def replied_ticket(api: Api, phone: str = PHONE) -> dict[str, Any]:
    ticket = api.create(citizen_phone=phone, real_name=True, citizen_name="张丽")
    api.act("disp", ticket["id"], "dispatch", {"department": "ZJ"})
    api.act("zj", ticket["id"], "accept")
    return api.act("zj", ticket["id"], "reply", {"content": "已责令工地停止夜间施工"})


def plan_of(api: Api, ticket: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = api.get("op", f"/api/tickets/{ticket['id']}").json()["revisit_plan"]
    return plan


def test_the_link_rates_once_and_then_refuses(api: Api, services: Services) -> None:
    ticket = replied_ticket(api)
    plan = plan_of(api, ticket)
    assert (plan["channel"], plan["handled_by"], plan["status"]) == ("sms", "sms", "scheduled")
    phones = Phones()
    [(_, kind)] = sender(services, phones).run_once()
    assert kind == "sent"
    [(number, text)] = phones.texts
    assert number == PHONE
    assert text.startswith("【12345热线】您反映的“小区门口夜间施工噪声扰民”问题承办单位已答复")
    assert "（3 天内有效）" in text
    token = phones.token()
    with services.sessions() as session:  # only the token's digest is kept
        assert session.scalar(select(RevisitLink.token_digest)) != token
    assert plan_of(api, ticket)["status"] == "sent"

    shown = api.client.get(f"/api/public/revisit/{token}").json()
    assert shown["number"] == ticket["number"] and shown["reply"] == "已责令工地停止夜间施工"
    assert PHONE not in str(shown) and "张丽" not in str(shown)

    bad = api.client.post(f"/api/public/revisit/{token}", json={"satisfaction": 6, "solved": True})
    assert bad.status_code == 422 and bad.json()["message"] == "请求参数不正确：满意度不能大于 5"
    rated = api.client.post(
        f"/api/public/revisit/{token}", json={"satisfaction": 4, "solved": False}
    )
    assert rated.status_code == 200, rated.text
    detail = api.get("op", f"/api/tickets/{ticket['id']}").json()
    assert detail["rating"] == "不满意"
    assert detail["rectification_open"] is True  # a bad real-name rating, as from a person
    revisit = next(a for a in detail["history"] if a["action"] == "revisit")
    assert revisit["data"]["channel"] == "sms"
    assert revisit["data"]["note"] == "智能回访短信链接第 1 次，市民在链接页面评价"
    assert detail["revisit_plan"]["status"] == "done"
    assert detail["revisit_plan"]["attempts"][0]["outcome"] == "rated"

    again = api.client.post(
        f"/api/public/revisit/{token}", json={"satisfaction": 1, "solved": True}
    )
    assert (again.status_code, again.json()["message"]) == (409, "该评价链接已使用")
    page = api.client.get(f"/public/revisit/{token}")
    assert page.status_code == 409 and "该评价链接已使用" in page.text
    for unknown in ("A" * 43, "not-a-token"):
        missing = api.client.get(f"/api/public/revisit/{unknown}")
        assert missing.status_code == 404 and "评价链接不存在" in missing.json()["message"]
        assert api.client.get(f"/public/revisit/{unknown}").status_code == 404


def test_an_unused_link_expires_and_goes_to_the_operators(
    api: Api, services: Services, clock: Clock
) -> None:
    ticket = replied_ticket(api)
    phones = Phones()
    sender(services, phones).run_once()
    token = phones.token()
    clock.now += timedelta(days=3)
    gone = api.client.get(f"/api/public/revisit/{token}")
    assert (gone.status_code, gone.json()["message"]) == (410, "该评价链接已过期")
    assert api.client.get(f"/public/revisit/{token}").status_code == 410

    assert sender(services, phones).run_once() == []  # nothing more to send
    plan = plan_of(api, ticket)
    assert plan["status"] == "operator"
    assert plan["reasons"][-1]["text"] == "第 1 次短信：短信链接过期未评价，转人工回访"
    assert [a["outcome"] for a in plan["attempts"]] == ["expired"]
    queue = api.get("op", "/api/revisits/queue").json()["items"]
    assert [item["number"] for item in queue] == [ticket["number"]]
    rated = api.client.post(
        f"/api/public/revisit/{token}", json={"satisfaction": 1, "solved": True}
    )
    assert rated.status_code == 410


def test_a_link_refuses_once_an_operator_revisited_the_ticket(api: Api, services: Services) -> None:
    ticket = replied_ticket(api)
    phones = Phones()
    sender(services, phones).run_once()
    api.act("op", ticket["id"], "revisit", {"rating": "满意", "solved": True})
    late = api.client.post(
        f"/api/public/revisit/{phones.token()}", json={"satisfaction": 5, "solved": False}
    )
    assert (late.status_code, late.json()["message"]) == (409, "该工单已完成回访，无需再评价")
    assert api.get("op", f"/api/tickets/{ticket['id']}").json()["rating"] == "满意"


def test_texts_wait_for_the_sending_hours(api: Api, services: Services, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 23, 21, 30)  # Monday, after 21:00
    ticket = replied_ticket(api)
    assert plan_of(api, ticket)["next_at"] == "2026-11-24T08:00:00"
    phones = Phones()
    for moment in (datetime(2026, 11, 23, 21, 30), datetime(2026, 11, 24, 7, 59)):
        clock.now = moment
        assert sender(services, phones).run_once() == []
    clock.now = datetime(2026, 11, 24, 8, 0)
    assert [kind for _, kind in sender(services, phones).run_once()] == ["sent"]
    assert len(phones.texts) == 1


def test_without_sending_hours_texts_keep_the_calling_hours(api: Api, services: Services) -> None:
    policy = policy_of(services.settings.revisit, SmsSettings())
    assert policy.hours_for("sms") == policy.calling_hours


def test_throttles_hold_per_number_and_in_all(api: Api, services: Services) -> None:
    one_a_day = SmsSettings(public_url="http://hotline.example", per_number="1/day")
    first, second = replied_ticket(api), replied_ticket(api)  # one citizen, two tickets
    phones = Phones()
    outcomes = sender(services, phones, one_a_day).run_once()
    assert sorted(kind for _, kind in outcomes) == ["sent", "throttled"]
    assert len(phones.texts) == 1
    held = next(plan_of(api, t) for t in (first, second) if plan_of(api, t)["status"] != "sent")
    assert held["status"] == "scheduled" and held["attempts_left"] == 3  # not spent
    assert held["attempts"][0]["outcome"] == "throttled"

    three_a_minute = SmsSettings(public_url="http://hotline.example", per_minute="3/minute")
    for phone in ("13900000001", "13900000002", "13900000003", "13900000004"):
        replied_ticket(api, phone)
    outcomes = sender(services, phones, three_a_minute).run_once()
    kinds = [kind for _, kind in outcomes]
    assert sorted(kinds) == ["sent", "sent", "sent", "throttled"]


def test_a_failing_gateway_is_retried_and_its_link_never_rates(
    api: Api, services: Services, clock: Clock, gateway: Gateway
) -> None:
    ticket = replied_ticket(api)
    http = HttpGateway(gateway.url, SECRET, timeout_seconds=2)
    gateway.status = 503
    assert [kind for _, kind in sender(services, http).run_once()] == ["send_failed"]
    plan = plan_of(api, ticket)
    assert (plan["status"], plan["attempts_left"]) == ("scheduled", 2)
    assert plan["next_at"] == "2026-11-23T11:00:00"  # the retry spacing, in sending hours
    assert "再次发送短信" in plan["reasons"][-1]["text"]
    unsent = LINK.search(gateway.received[0][1].decode())
    assert unsent is not None
    refused = api.client.get(f"/api/public/revisit/{unsent.group(1)}")
    assert refused.status_code == 410

    gateway.status = 200
    clock.now = datetime(2026, 11, 23, 11, 0)
    assert [kind for _, kind in sender(services, http).run_once()] == ["sent"]
    assert [a["outcome"] for a in plan_of(api, ticket)["attempts"]] == ["send_failed", "sent"]
    http.close()


def test_send_once_by_hand(services: Services) -> None:
    env = {"HOTLINE_DATABASE_URL": services.settings.database_url, "HOTLINE_REVISIT_CHANNEL": ""}
    refused = CliRunner().invoke(hotline_cli, ["revisits", "send-once"], env=env)
    assert refused.exit_code == 2 and "不是 sms" in refused.output
    env |= {"HOTLINE_REVISIT_CHANNEL": "sms", "HOTLINE_SMS_SENDING_HOURS": "08:00-21:00"}
    nothing = CliRunner().invoke(hotline_cli, ["revisits", "send-once"], env=env)
    assert nothing.exit_code == 0, nothing.output
    assert "没有到期的短信回访（发送时段：工作日 08:00–21:00）" in nothing.output
