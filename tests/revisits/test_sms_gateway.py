"""The SMS gateways: the logging one sends nothing and shows a masked number; the HTTP one,
against a real local HTTP server, signs its JSON body and turns every failure into an outcome."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest

from hotline.config import InvalidSetting, Settings, SmsSettings
from hotline.revisits.sms import (
    SIGNATURE_HEADER,
    HttpGateway,
    LoggingGateway,
    gateway_of,
)
from tests.revisits.conftest import SECRET, Gateway

PHONE = "13812345678"


def test_the_http_gateway_posts_signed_json(gateway: Gateway) -> None:
    sender = HttpGateway(gateway.url, SECRET, timeout_seconds=2)
    assert sender.send(PHONE, "【12345热线】请评价").ok
    [(headers, body)] = gateway.received
    assert json.loads(body) == {"phone": PHONE, "text": "【12345热线】请评价"}
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    wrong = hmac.new(b"another", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] != f"sha256={wrong}"
    sender.close()


def test_http_gateway_failures_are_outcomes_not_exceptions(gateway: Gateway) -> None:
    sender = HttpGateway(gateway.url, SECRET, timeout_seconds=0.3)
    gateway.status = 503
    refused = sender.send(PHONE, "文本")
    assert (refused.ok, refused.detail) == (False, "短信网关返回 503")

    gateway.status, gateway.delay = 200, 5
    slow = sender.send(PHONE, "文本")
    assert (slow.ok, slow.detail) == (False, "短信网关超时")
    gateway.release.set()

    closed_port = HttpGateway("http://127.0.0.1:9/sms", SECRET, timeout_seconds=0.3)
    unreachable = closed_port.send(PHONE, "文本")
    assert not unreachable.ok and unreachable.detail.startswith("无法连接短信网关")
    sender.close()
    closed_port.close()


def test_the_logging_gateway_masks_the_number(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hotline.revisits.sms"):
        assert LoggingGateway().send(PHONE, "请点击链接评价").ok
    assert "138****5678" in caplog.text and "请点击链接评价" in caplog.text
    assert PHONE not in caplog.text


def test_the_gateway_follows_the_settings() -> None:
    assert isinstance(gateway_of(SmsSettings()), LoggingGateway)
    env = {"HOTLINE_SMS_GATEWAY_URL": "https://sms.example/send"}
    with pytest.raises(InvalidSetting, match="HOTLINE_SMS_GATEWAY_SECRET"):
        Settings.from_env(env)
    configured = Settings.from_env({**env, "HOTLINE_SMS_GATEWAY_SECRET": SECRET}).sms
    assert isinstance(gateway_of(configured), HttpGateway)
    with pytest.raises(InvalidSetting, match="HOTLINE_SMS_SENDING_HOURS"):
        Settings.from_env({"HOTLINE_SMS_SENDING_HOURS": "21:00-08:00"})
