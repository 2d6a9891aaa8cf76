"""Logins and the public look-up are throttled, and real users get no weak password. Wrong
passwords lock an account and a client for a while, wrong phones lock a ticket, every public
client has a rate; each lock is audited, answered 429 with Retry-After and a Chinese message,
and lifts when its window has passed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal

import limits.storage.memory
import pytest
from argon2 import Parameters, PasswordHasher, extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy import select
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hotline.app import create_app
from hotline.auth import service as auth_service
from hotline.config import Settings
from hotline.models import AuditRecord
from hotline.services import Services
from hotline.throttle import LOGIN_FAILURES_PER_ACCOUNT, Throttle, TooManyRequests
from tests.app_fixtures import PASSWORD, Api
from tests.conftest import free_port


class ShiftedTime:
    """The clock the in-memory counters read, moved forward by the test instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def counters_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShiftedTime]:
    shifted = ShiftedTime()
    monkeypatch.setattr(limits.storage.memory, "time", shifted)
    yield shifted


def login(api: Api, username: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    return api.client.post(
        "/api/auth/token", data={"username": username, "password": password}, headers=headers
    )


def audit_rows(services: Services, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    with services.sessions() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        )
        return [(r.entity, r.entity_id, r.detail) for r in rows]


def assert_refused(reply: Any, *, at_most: int) -> None:
    assert reply.status_code == 429, reply.text
    assert 0 < int(reply.headers["Retry-After"]) <= at_most
    body = reply.json()
    assert body["code"] == "too_many_requests" and body["retry_after"] > 0
    assert "分钟后再试" in body["message"]


# ---------------------------------------------------------------- login


def test_wrong_passwords_lock_the_account_for_a_while_and_the_lock_is_audited(
    api: Api, services: Services, counters_clock: ShiftedTime
) -> None:
    for _ in range(5):
        assert login(api, "op", "wrong-guess").status_code == 401
    assert_refused(login(api, "op", "wrong-guess"), at_most=15 * 60)
    assert_refused(login(api, "op", PASSWORD), at_most=15 * 60)  # locked, even the right one
    assert login(api, "disp", PASSWORD).status_code == 200  # other accounts are not
    assert audit_rows(services, "auth.locked") == [("user", "op", {"client": "testclient"})]

    counters_clock.offset = 15 * 60 + 1
    assert login(api, "op", PASSWORD).status_code == 200


def test_wrong_passwords_from_one_client_lock_that_client_whatever_it_claims(
    api: Api, services: Services
) -> None:
    for attempt in range(20):  # one guess at each of many accounts, from one address
        spoofed = {"X-Forwarded-For": f"10.0.0.{attempt}", "X-Real-IP": f"10.0.1.{attempt}"}
        assert login(api, f"nobody{attempt}", "wrong-guess", **spoofed).status_code == 401
    assert_refused(login(api, "sup", PASSWORD, **{"X-Forwarded-For": "10.9.9.9"}), at_most=900)
    assert ("client", "testclient", {"client": "testclient"}) in audit_rows(services, "auth.locked")


def test_an_unknown_username_costs_as_much_as_a_known_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted, not timed: an unknown username verifies one argon2 hash of the same cost as a
    real user's, so the answer's time does not tell which usernames exist. (Without the
    stand-in hash an unknown user verified nothing and answered in ~1 % of the time.)"""
    verified: list[Parameters] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(extract_parameters(str(hash)))
            return super().verify(hash, password)

    monkeypatch.setattr(auth_service, "_hasher", CountingHasher())
    assert login(api, "op", "wrong-guess").status_code == 401
    assert login(api, "ghost1", "wrong-guess").status_code == 401
    assert len(verified) == 2, "the unknown username verified no hash"
    assert verified[1] == verified[0], "the stand-in hash is cheaper than a real one"


def test_throttle_counts_are_shared_through_redis(redis_url: str, redis_prefix: str) -> None:
    first, second = Throttle(redis_url), Throttle(redis_url)
    account = f"{redis_prefix}-op"
    for _ in range(5):
        first.count(LOGIN_FAILURES_PER_ACCOUNT, account)
    with pytest.raises(TooManyRequests):
        second.refuse_if_spent(LOGIN_FAILURES_PER_ACCOUNT, account)


def test_a_redis_that_does_not_answer_leaves_counting_to_memory() -> None:
    throttle = Throttle(f"redis://127.0.0.1:{free_port()}/0")
    for _ in range(5):
        throttle.count(LOGIN_FAILURES_PER_ACCOUNT, "op")
    with pytest.raises(TooManyRequests):
        throttle.refuse_if_spent(LOGIN_FAILURES_PER_ACCOUNT, "op")


# ---------------------------------------------------------------- the public look-up


def test_a_masked_number_and_the_ticket_number_do_not_find_the_phone(
    api: Api, services: Services, counters_clock: ShiftedTime
) -> None:
    number = api.create()["number"]  # filed with 13812345678, shown to staff as 138****5678
    found, misses = None, 0
    for guess in range(10_000):
        reply = api.client.get(
            f"/api/public/tickets/{number}", params={"phone": f"138{guess:04d}5678"}
        )
        if reply.status_code != 404:
            found = reply
            break
        misses += 1
    assert found is not None and misses == 5
    assert_refused(found, at_most=3600)
    # Now locked for everyone: the right phone, the rating and the supplement too.
    right = {"phone": "13812345678"}
    assert_refused(api.client.get(f"/api/public/tickets/{number}", params=right), at_most=3600)
    rating = {**right, "rating": "满意", "solved": True}
    assert_refused(
        api.client.post(f"/api/public/tickets/{number}/rating", json=rating), at_most=3600
    )
    answer = {**right, "content": "补充材料"}
    assert_refused(
        api.client.post(f"/api/public/tickets/{number}/supplement", json=answer), at_most=3600
    )
    assert audit_rows(services, "public.locked") == [("ticket", number, {"client": "testclient"})]

    counters_clock.offset = 3600 + 1
    assert api.client.get(f"/api/public/tickets/{number}", params=right).status_code == 200


def test_one_client_guessing_across_tickets_is_locked_whatever_it_claims(api: Api) -> None:
    number = api.create()["number"]
    for attempt in range(20):
        spoofed = {"X-Forwarded-For": f"10.0.0.{attempt}"}
        missing = f"20261123-9{attempt:05d}"
        reply = api.client.get(
            f"/api/public/tickets/{missing}", params={"phone": "13812345678"}, headers=spoofed
        )
        assert reply.status_code == 404
    reply = api.client.get(f"/api/public/tickets/{number}", params={"phone": "13812345678"})
    assert_refused(reply, at_most=3600)


def test_the_public_rate_is_a_setting(database_url: str) -> None:
    services = Services(Settings(database_url=database_url, public_rate="3/minute"))
    with TestClient(create_app(services=services)) as client:
        for _ in range(3):
            assert client.get("/api/public/ratings").status_code == 200
        assert_refused(client.get("/api/public/ratings"), at_most=60)
    services.close()


def test_each_public_client_has_a_rate(api: Api) -> None:
    for _ in range(60):
        assert api.client.get("/api/public/ratings").status_code == 200
    assert_refused(api.client.get("/api/public/ratings"), at_most=60)
    filed = {"content": "路灯不亮", "citizen_phone": "13812345678"}
    assert_refused(api.client.post("/api/public/tickets", json=filed), at_most=60)


# ---------------------------------------------------------------- passwords of real users


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("zhaolei1", "abc123", "至少 8 位"),
        ("zhaolei2", "13812345678", "全是数字"),
        ("zhaolei3", "ZhaoLei3_2026", "用户名"),
        ("zhaolei4", "woaini1314", "容易被猜到"),
    ],
)
def test_the_admin_api_refuses_weak_passwords(
    api: Api, username: str, password: str, message: str
) -> None:
    # Users stay for the whole session: each case adds its own.
    user = {"username": username, "role": "operator", "password": password}
    reply = api.post("adm", "/api/users", user)
    assert reply.status_code == 422 and reply.json()["code"] == "invalid_input"
    assert message in reply.json()["message"] and reply.json()["field"] == "password"
    assert api.post("adm", "/api/users", {**user, "password": "Lz-7c!qn4Vw2"}).status_code == 201
    assert login(api, username, "Lz-7c!qn4Vw2").status_code == 200


def test_the_openapi_documents_the_429_of_throttled_routes(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    throttled = [
        ("/api/auth/token", "post"),
        ("/api/public/tickets", "post"),
        ("/api/public/tickets/{number}", "get"),
        ("/api/public/tickets/{number}/rating", "post"),
        ("/api/public/tickets/{number}/supplement", "post"),
        ("/api/public/ratings", "get"),
    ]
    for path, method in throttled:
        assert "429" in paths[path][method]["responses"], path


def test_behind_the_trusted_proxy_the_client_is_the_address_nginx_appended(
    services: Services,
) -> None:
    """As deployed: uvicorn trusts X-Forwarded-For from nginx only, and nginx appends the
    address it saw ($proxy_add_x_forwarded_for) to whatever the client sent."""
    behind_nginx = ProxyHeadersMiddleware(create_app(services=services), trusted_hosts="testclient")
    with TestClient(behind_nginx) as client:
        for attempt in range(20):
            forwarded = {"X-Forwarded-For": f"10.0.0.{attempt}, 203.0.113.7"}  # spoof, then real
            reply = client.post(
                "/api/auth/token",
                data={"username": f"nobody{attempt}", "password": "wrong-guess"},
                headers=forwarded,
            )
            assert reply.status_code == 401
        locked = client.post(
            "/api/auth/token",
            data={"username": "op", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        assert_refused(locked, at_most=900)
        elsewhere = client.post(
            "/api/auth/token",
            data={"username": "op", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.2"},
        )
        assert elsewhere.status_code == 200
    assert ("client", "203.0.113.7", {"client": "203.0.113.7"}) in audit_rows(
        services, "auth.locked"
    )
