"""``hotline revisits run-once`` / ``send-once``: one pass of the call worker or of the text
sender, by hand (operators, tests)."""

from __future__ import annotations

import asyncio

import typer

from hotline.cli_errors import ami_config_or_refuse, refuse
from hotline.config import Settings
from hotline.revisits.links import SmsSender
from hotline.revisits.policy import OUTCOME_LABELS
from hotline.revisits.runner import RevisitWorker
from hotline.revisits.service import Claim, policy_of
from hotline.revisits.sms import gateway_of
from hotline.services import Services
from hotline.throttle import Throttle
from telephony.ami import AMIConfig
from telephony.revisit import RevisitDialer, RevisitOutcome

revisits_app = typer.Typer(help="智能回访", no_args_is_help=True)
CONNECT_SECONDS = 10


@revisits_app.command("run-once")
def run_once(
    ami_url: str | None = typer.Option(
        None, help="ami://USER:SECRET@HOST:PORT，默认 HOTLINE_AMI_URL"
    ),
) -> None:
    """Place the revisit calls due now (inside calling hours) and record their outcomes."""
    settings = Settings.from_env()
    config = ami_config_or_refuse(ami_url, settings.ami_url)
    try:
        results = asyncio.run(_one_pass(settings, config))
    except TimeoutError:
        refuse(f"{CONNECT_SECONDS} 秒内未能登录电话交换机（{config.host}:{config.port}），未外呼")
    if not results:
        hours = policy_of(settings.revisit, settings.sms).calling_hours.describe()
        typer.echo(f"没有到期的自动回访（外呼时段：{hours}）")
    for claim, outcome in results:
        label = OUTCOME_LABELS.get(outcome.kind, outcome.kind)
        typer.echo(f"工单 {claim.ticket_no} 第 {claim.number} 次外呼：{label}")


@revisits_app.command("send-once")
def send_once() -> None:
    """Send the revisit texts due now (inside sending hours) and settle expired links."""
    settings = Settings.from_env()
    if settings.revisit.channel != "sms":
        refuse("HOTLINE_REVISIT_CHANNEL 不是 sms，没有短信回访")
    services = Services(settings)
    gateway = gateway_of(settings.sms)
    policy = policy_of(settings.revisit, settings.sms)
    throttle = Throttle(settings.redis_url)
    try:
        results = SmsSender(services, gateway, policy, settings.sms, throttle).run_once()
    finally:
        services.close()
    if not results:
        typer.echo(f"没有到期的短信回访（发送时段：{policy.hours_for('sms').describe()}）")
    for claim, kind in results:
        typer.echo(f"工单 {claim.ticket_no} 第 {claim.number} 次短信：{OUTCOME_LABELS[kind]}")


async def _one_pass(settings: Settings, config: AMIConfig) -> list[tuple[Claim, RevisitOutcome]]:
    services = Services(settings)
    dialer = RevisitDialer(config)
    task = asyncio.create_task(dialer.run())
    try:
        await dialer.client.wait_connected(CONNECT_SECONDS)
        return await RevisitWorker(
            services, dialer, policy_of(settings.revisit, settings.sms)
        ).run_once()
    finally:
        await dialer.close()
        task.cancel()
        services.close()
