"""``hotline bridge`` (the AMI bridge on its own) and ``hotline demo`` (switchboard simulator +
bridge + server in one process, for ``make run``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import typer
import uvicorn

from hotline.calls.runner import CallBridge
from hotline.cli_errors import ami_config_or_refuse, refuse_unless_port_free
from hotline.config import RevisitSettings, Settings
from hotline.metrics.listener import (
    METRICS_HOST,
    METRICS_PORT,
    metrics_listener,
    refuse_unless_metrics_can_listen,
)
from hotline.services import Services
from telephony.sim import SwitchboardSimulator, load_scenario

# What the demo centre's phones do: mostly ordinary calls, some abandoned, one fire (119).
DEMO_SCENARIOS = ("queue_call", "queue_call", "queue_call", "abandoned_call", "transfer_119")
DEMO_QUEUE = "12345"
# The demo revisits at any hour (statutory holidays aside), retrying a few minutes later, so a
# replied ticket is called within seconds; HOTLINE_REVISIT_CALLING_HOURS keeps the configured
# settings instead.
DEMO_REVISITS = RevisitSettings(
    calling_hours="00:00-24:00", weekends=True, retry_minutes=2, interval_seconds=10
)
# Mobile prefixes in use, so that a demo caller is a number a ticket accepts (hotline.phones).
DEMO_MOBILE_PREFIXES = ("135", "138", "139", "150", "158", "177", "185", "186", "188")


def bridge(
    ami_url: str | None = typer.Option(
        None, help="ami://USER:SECRET@HOST:PORT，默认 HOTLINE_AMI_URL"
    ),
    metrics_host: str = METRICS_HOST,
    metrics_port: int | None = METRICS_PORT,
) -> None:
    """Run the Asterisk bridge without the web server: calls are written to the database and
    published on the bus (Redis with HOTLINE_REDIS_URL, so the API workers' pages see them)."""
    settings = Settings.from_env()
    config = ami_config_or_refuse(ami_url, settings.ami_url)
    if not settings.redis_url:
        typer.secho(
            "提示：未设置 HOTLINE_REDIS_URL，通话照常写入数据库，但实时事件只在本进程内发布",
            fg=typer.colors.YELLOW,
        )
    refuse_unless_metrics_can_listen(settings, metrics_host, metrics_port)
    typer.echo(f"AMI 桥接：{config.username}@{config.host}:{config.port}，按 Ctrl-C 退出")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_bridge_until_stopped(settings, config, metrics_host, metrics_port))


async def _bridge_until_stopped(
    settings: Settings, config: Any, metrics_host: str, metrics_port: int | None
) -> None:
    services = Services(settings)
    call_bridge = CallBridge(services, config)
    call_bridge.start()
    try:
        async with metrics_listener(services, metrics_host, metrics_port, call_bridge=call_bridge):
            await asyncio.Event().wait()
    finally:
        await call_bridge.stop()
        services.close()


def demo(
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    port: int = typer.Option(8000, help="端口"),
    interval: float = typer.Option(20.0, help="平均每隔多少秒来一通电话"),
    seed: int | None = typer.Option(None, help="随机种子（可重现的演示）"),
) -> None:
    """The demo centre: a simulated switchboard sends calls, the bridge records them, the
    server shows them, and operators can transfer them with one key."""
    from hotline.cli import DEMO_ONLY, DEMO_USERS

    refuse_unless_port_free(host, port)
    settings = Settings.from_env()
    if "HOTLINE_REVISIT_CALLING_HOURS" not in os.environ:
        settings = replace(settings, revisit=DEMO_REVISITS)
    centre = DemoCentre(settings, host, port, interval, seed)
    revisits = centre.settings.revisit

    def announce() -> None:
        typer.echo(
            f"电话交换机模拟器（AMI）：127.0.0.1:{centre.ami_port}，约每 {interval:g} 秒一通来电"
        )
        typer.echo(f"AMI 桥接：已连接到模拟器，通话写入 {centre.settings.database_url}")
        typer.echo(
            f"服务：http://{host}:{port}/  （来电轮流接到示闲接线员的分机；示忙的分机不再振铃）"
        )
        typer.echo(
            "智能回访：实名工单答复后自动外呼，模拟市民按键评价（有的不接、有的按 0 转人工）；"
            f"外呼时段 {revisits.calling_hours}"
            f"{'（演示默认全天，法定节假日除外）' if revisits is DEMO_REVISITS else ''}，"
            f"每 {revisits.interval_seconds:g} 秒检查一次，未接通 {revisits.retry_minutes:g} 分钟后重拨，"
            f"最多 {revisits.max_attempts} 次"
        )
        typer.echo("演示账号（用户名 / 密码）：")
        for username, role, _, password, display, extension in DEMO_USERS:
            phone = f"  分机 {extension}" if extension else ""
            typer.echo(f"  {username:<12} {password:<12} {role:<10} {display}{phone}")
        typer.echo(DEMO_ONLY)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(centre.serve(announce))


class DemoCentre:
    """What ``hotline demo`` runs, in one event loop: the switchboard simulator with every
    demo operator's softphone in queue 12345 (static members, so 示忙/示闲 works from the
    start), the app with its AMI bridge logged in to it, uvicorn, and scenario calls rung to
    the next free operator. The acceptance tests run this same object."""

    def __init__(
        self,
        settings: Settings,
        host: str,
        port: int,
        interval: float,
        seed: int | None,
        *,
        server_options: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.host, self.port = host, port
        self.interval = interval
        self.rng = random.Random(seed)
        self.server_options = server_options or {}
        # Its citizens answer the revisit calls, drawn from the seed (repeatable with one).
        self.switchboard = SwitchboardSimulator(revisit_seed=seed)
        self.server: uvicorn.Server | None = None
        self.ami_port = 0

    async def serve(self, started: Callable[[], None] = lambda: None) -> None:
        """Until ``stop()`` (or Ctrl-C)."""
        from hotline.app import create_app
        from hotline.cli import DEMO_USERS

        for username, _, _, _, _, extension in DEMO_USERS:
            if extension:
                self.switchboard.add_member(DEMO_QUEUE, f"PJSIP/{extension}", username)
        self.ami_port = await self.switchboard.start("127.0.0.1", 0)
        ami_url = (
            f"ami://{self.switchboard.username}:{self.switchboard.secret}@127.0.0.1:{self.ami_port}"
        )
        app = create_app(replace(self.settings, ami_url=ami_url))
        self.server = uvicorn.Server(
            uvicorn.Config(app, host=self.host, port=self.port, **self.server_options)
        )
        calls = asyncio.create_task(self._ring_calls())
        started()
        try:
            await self.server.serve()
        finally:
            calls.cancel()
            await self.switchboard.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True

    async def _ring_calls(self) -> None:
        """Scenario calls with human timings: a few seconds in the queue, half a minute to a
        minute and a half of talk, so that there is time to transfer a call from the page. A
        call that finds every operator paused or busy is abandoned."""
        playing: set[asyncio.Task[None]] = set()
        while True:
            scenario_name = self.rng.choice(DEMO_SCENARIOS)
            agent = None
            if scenario_name != "abandoned_call":
                agent = self.switchboard.next_agent(DEMO_QUEUE)
                scenario_name = scenario_name if agent else "abandoned_call"
            scenario = _with_human_timing(load_scenario(scenario_name), self.rng)
            caller = demo_caller(self.rng)
            task = asyncio.create_task(_play_call(self.switchboard, scenario, caller, agent))
            playing.add(task)
            task.add_done_callback(playing.discard)
            await asyncio.sleep(self.interval * self.rng.uniform(0.5, 1.5))


def demo_caller(rng: random.Random) -> str:
    return rng.choice(DEMO_MOBILE_PREFIXES) + "".join(rng.choices("0123456789", k=8))


def _with_human_timing(scenario: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    stretch = {
        "AgentCalled": rng.uniform(2, 12),  # waiting in the queue
        "QueueCallerAbandon": rng.uniform(10, 40),  # patience of a caller who gives up
        "AgentComplete": rng.uniform(30, 90),  # talking
        "BlindTransfer": rng.uniform(15, 30),  # talking before the operator transfers
    }
    steps = [
        {**step, "delay": stretch.get(step.get("event", {}).get("Event", ""), step["delay"])}
        for step in scenario["steps"]
    ]
    return {**scenario, "steps": steps}


async def _play_call(
    switchboard: SwitchboardSimulator, scenario: dict[str, Any], caller: str, agent: str | None
) -> None:
    await switchboard.play(scenario, caller=caller, agent=agent)
    hang_up_orphaned_legs(switchboard)


def hang_up_orphaned_legs(switchboard: SwitchboardSimulator) -> None:
    """The far ends of transferred calls hang up once the caller has gone (a scenario only
    plays its own legs; a transfer made from the page adds one)."""
    for channel in list(switchboard.channels.values()):
        if channel["Linkedid"] not in switchboard.channels:
            switchboard.broadcast(
                {
                    "Event": "Hangup",
                    "Channel": channel["Channel"],
                    "Uniqueid": channel["Uniqueid"],
                    "Linkedid": channel["Linkedid"],
                    "Cause": "16",
                    "Cause-txt": "Normal Clearing",
                }
            )
