"""``hotline open311 keys add|revoke|list``: the Open311 clients' api_keys (registered in
hotline/cli.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.orm import Session

from hotline.cli_errors import refuse
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory, transaction
from hotline.errors import HotlineError
from hotline.open311 import service as open311
from hotline.services import local_now
from hotline.workflow import Actor, Role

T = TypeVar("T")
open311_app = typer.Typer(help="Open311 GeoReport v2 开放接口", no_args_is_help=True)
keys_app = typer.Typer(help="客户端 api_key：签发、吊销、列出", no_args_is_help=True)
open311_app.add_typer(keys_app, name="keys")
# Who the audit trail names for a key issued or revoked on the server's shell.
CLI_ADMIN = Actor(username="cli", role=Role.ADMIN)


def _now() -> datetime:
    return local_now(ZoneInfo(Settings.from_env().time_zone))


def _in_transaction(work: Callable[[Session], T]) -> T:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            return work(session)
    except HotlineError as error:
        refuse(error.message)
    finally:
        engine.dispose()


@keys_app.command("add")
def add(name: str = typer.Argument(..., help="客户端名称，如 城市APP")) -> None:
    """Issue a key to a client; it is shown this once (only its hash is kept)."""
    api_key = _in_transaction(lambda session: open311.issue_key(session, CLI_ADMIN, name, _now()))
    typer.echo(f"已为 {name} 签发 api_key（只显示这一次，请妥善交给对方）：")
    typer.echo(api_key)


@keys_app.command("revoke")
def revoke(name: str) -> None:
    """Revoke a client's key: its requests are refused from now on."""
    _in_transaction(lambda session: open311.revoke_key(session, CLI_ADMIN, name, _now()))
    typer.echo(f"已吊销 {name} 的 api_key")


@keys_app.command("list")
def list_keys() -> None:
    """Every client, when its key was issued and whether it is revoked."""

    def describe(session: Session) -> list[str]:
        return [
            f"{key.name}\t签发 {key.issued_at:%Y-%m-%d %H:%M}\t"
            + (f"已吊销 {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "有效")
            for key in open311.keys(session)
        ]

    lines = _in_transaction(describe)
    typer.echo("\n".join(lines) if lines else "尚未签发任何 api_key")
