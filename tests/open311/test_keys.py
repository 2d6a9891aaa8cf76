"""Admins issue, list and revoke Open311 keys over the API; the key is shown once."""

from __future__ import annotations

from sqlalchemy import select

from hotline.audit.models import AuditRecord
from hotline.open311.models import Open311Key
from hotline.services import Services
from tests.app_fixtures import Api

KEYS = "/api/open311/keys"
LISTING = "/open311/v2/requests.json"


def test_an_admin_issues_lists_and_revokes_keys(api: Api, services: Services) -> None:
    assert api.post("op", KEYS, {"name": "城市APP"}).status_code == 403
    issued = api.post("adm", KEYS, {"name": " 城市APP "})
    assert issued.status_code == 201, issued.text
    api_key = issued.json()["api_key"]
    assert issued.json()["name"] == "城市APP"
    with services.sessions() as session:
        stored = session.scalars(select(Open311Key)).one()
        assert api_key not in stored.key_hash  # only the hash is kept
    assert api.post("adm", KEYS, {"name": "城市APP"}).status_code == 409
    assert api.post("adm", KEYS, {"name": "  "}).json()["code"] == "invalid_input"
    assert api.client.get(LISTING, params={"api_key": api_key}).status_code == 200

    [listed] = api.get("adm", KEYS).json()
    assert listed["name"] == "城市APP" and listed["revoked_at"] is None
    assert "api_key" not in listed
    revoked = api.client.delete(f"{KEYS}/城市APP", headers=api.headers("adm"))
    assert revoked.status_code == 200
    assert api.get("adm", KEYS).json()[0]["revoked_at"] is not None
    assert api.client.get(LISTING, params={"api_key": api_key}).status_code == 403
    unknown = api.client.delete(f"{KEYS}/无此客户端", headers=api.headers("adm"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"

    with services.sessions() as session:
        actions = session.scalars(
            select(AuditRecord.action).where(AuditRecord.entity == "open311_key")
        ).all()
    assert actions == ["open311.key_issued", "open311.key_revoked"]
