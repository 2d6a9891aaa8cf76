"""The SMS gateway: ``send(phone, text)``. By default texts are only logged (a masked number and
the text; nothing leaves the machine); with ``HOTLINE_SMS_GATEWAY_URL`` they are POSTed as JSON
to the city's gateway, the body signed with an HMAC-SHA256 of ``HOTLINE_SMS_GATEWAY_SECRET``.

A gateway never raises: a failure (refused, timed out, a non-2xx answer) is a ``Sent`` that
is not ``ok``, which the revisit plan retries like an unanswered call."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Protocol

import httpx

from hotline.config import SmsSettings
from hotline.phones import mask_phone

log = logging.getLogger(__name__)
# The header carrying the body's signature: "sha256=" and the hex HMAC.
SIGNATURE_HEADER = "X-Hotline-Signature"


@dataclass(frozen=True)
class Sent:
    ok: bool
    detail: str = ""  # why it failed, in Chinese (shown among the plan's attempts)


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> Sent: ...


class LoggingGateway:
    """Writes each text to the log instead of sending it (development, demos, tests)."""

    def send(self, phone: str, text: str) -> Sent:
        log.info("短信（未发送，仅记录）%s：%s", mask_phone(phone), text)
        return Sent(True, "仅记录，未发送")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class HttpGateway:
    """POSTs ``{"phone": …, "text": …}`` to the gateway; any 2xx answer is a text sent."""

    def __init__(self, url: str, secret: str, timeout_seconds: float = 10) -> None:
        self.url, self.secret = url, secret
        self.client = httpx.Client(timeout=timeout_seconds)

    def send(self, phone: str, text: str) -> Sent:
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature(self.secret, body),
        }
        try:
            answer = self.client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return Sent(False, "短信网关超时")
        except httpx.HTTPError as error:
            return Sent(False, f"无法连接短信网关（{type(error).__name__}）")
        if not answer.is_success:
            return Sent(False, f"短信网关返回 {answer.status_code}")
        return Sent(True)

    def close(self) -> None:
        self.client.close()


def gateway_of(settings: SmsSettings) -> SmsGateway:
    if settings.gateway_url and settings.gateway_secret:
        return HttpGateway(
            settings.gateway_url, settings.gateway_secret, settings.gateway_timeout_seconds
        )
    return LoggingGateway()
