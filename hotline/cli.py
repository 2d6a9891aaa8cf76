"""The ``hotline`` command: serve, migrate, manage users, seed the demo."""

from __future__ import annotations

import typer
import uvicorn
from sqlalchemy import select

import hotline.models  # noqa: F401  (registers every table, so foreign keys resolve)
from hotline.auth.models import User
from hotline.auth.service import add_user
from hotline.calls import cli as calls_cli
from hotline.cli_errors import refuse, refuse_unless_port_free
from hotline.config import InvalidSetting, Settings
from hotline.db import make_engine, make_session_factory, transaction
from hotline.directory.service import department as find_department
from hotline.directory.service import load_reference_data
from hotline.errors import HotlineError
from hotline.kb import cli as kb_cli
from hotline.metrics.workers import prepare_multiprocess_dir
from hotline.migrate import prepare
from hotline.open311.cli import open311_app
from hotline.revisits.cli import revisits_app
from hotline.routing.cli import classifier_app
from hotline.services import local_now
from hotline.serving import uvicorn_limits
from hotline.speech import cli as speech_cli
from telephony.ami.client import parse_ami_url

app = typer.Typer(help="12345 政务服务便民热线平台", no_args_is_help=True)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
users_app = typer.Typer(help="用户管理", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(kb_cli.kb_app, name="kb")
app.add_typer(classifier_app, name="classifier")
app.add_typer(open311_app, name="open311")
app.add_typer(revisits_app, name="revisits")
app.command("hot-topics")(kb_cli.hot_topics)
app.command("transcribe")(speech_cli.transcribe)
app.command("bridge")(calls_cli.bridge)
app.command("speech-server")(speech_cli.speech_server)
app.command("demo")(calls_cli.demo)

# Said under every list of the demo logins: their passwords are printed, so they are public.
DEMO_ONLY = (
    "以上账号和密码仅供演示：正式使用的系统不要运行 seed-demo，请用 hotline users add 建立账号。"
)
DEMO_USERS = (
    # username, role, department, password, display name, softphone extension
    ("operator1", "operator", None, "operator1", "接线员 王芳", "8001"),
    ("operator2", "operator", None, "operator2", "接线员 李强", "8002"),
    ("dispatcher1", "dispatcher", None, "dispatcher1", "派单员 赵敏", None),
    ("zj1", "department", "ZJ", "zj123456", "市住建局 刘工", None),
    ("cg1", "department", "CG", "cg123456", "市城管局 陈科长", None),
    ("cgwh1", "department", "CG-WH", "cgwh123456", "卫辉市城管局 周工", None),
    ("hb1", "department", "HB", "hb123456", "市生态环境局 孙工", None),
    ("ga1", "department", "GA", "ga123456", "市公安局 吴警官", None),
    ("yb1", "department", "YB", "yb123456", "市医保局 郑工", None),
    ("rl1", "department", "RL", "rl123456", "供热企业 冯工", None),
    ("supervisor1", "supervisor", None, "supervisor1", "督办员 何静", None),
    ("monitor1", "monitor", None, "monitor1", "社会监督员 周敏", None),
    ("admin", "admin", None, "admin123", "系统管理员", None),
)


def _settings() -> Settings:
    return Settings.from_env()


@app.callback()
def check_settings() -> None:
    """A bad setting stops every command with its name, before any of them starts."""
    try:
        Settings.from_env()
    except InvalidSetting as error:
        refuse(str(error))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration, then load the reference data and the statutory calendar."""
    settings = _settings()
    counts, years = prepare(settings.database_url)
    typer.echo(f"数据库已升级：{settings.database_url}")
    typer.echo(
        "参考数据：" + "，".join(f"{k} {v}" for k, v in counts.items()) + f"；日历新增 {years} 年"
    )


@users_app.command("add")
def users_add(
    name: str,
    role: str = typer.Option(
        ..., help="operator | dispatcher | department | supervisor | admin | monitor (社会监督员)"
    ),
    password: str = typer.Option(
        ..., help="至少 8 位，不能全是数字、不能包含用户名、不能是常见或有规律的密码"
    ),
    department: str | None = typer.Option(None, help="部门代码（部门工作人员必填）"),
    extension: str | None = typer.Option(None, help="接线员的软电话分机号"),
) -> None:
    """Add a user who can sign in."""
    engine = make_engine(_settings().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            if department:
                find_department(session, department)
            add_user(
                session,
                name,
                role,
                password,
                department=department,
                extension=extension,
                now=local_now(),
            )
    except HotlineError as error:
        refuse(error.message)
    finally:
        engine.dispose()
    typer.echo(f"已添加用户 {name}（{role}）")


@app.command("seed-demo")
def seed_demo() -> None:
    """Demo departments (from the reference data) and one user per role; prints the logins."""
    engine = make_engine(_settings().database_url)
    with transaction(make_session_factory(engine)) as session:
        load_reference_data(session)
        existing = set(session.scalars(select(User.username)))
        for username, role, department, password, display, extension in DEMO_USERS:
            if username not in existing:
                add_user(
                    session,
                    username,
                    role,
                    password,
                    department=department,
                    display_name=display,
                    extension=extension,
                    now=local_now(),
                    allow_weak_password=True,  # documented demo logins, said to be demo-only
                )
        kb_cli.seed_demo_kb(session)
    engine.dispose()
    typer.echo("演示账号（用户名 / 密码 / 角色）：")
    for username, role, department, password, display, _ in DEMO_USERS:
        where = f" {department}" if department else ""
        typer.echo(f"  {username:<12} {password:<12} {role}{where}  {display}")
    typer.echo(DEMO_ONLY)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    port: int = typer.Option(8000, help="端口"),
    workers: int = typer.Option(1, help="API 进程数（PostgreSQL + Redis 时可多于 1）"),
) -> None:
    """Serve the API and the pages."""
    settings = _settings()
    if workers > 1 and settings.audiosocket_port is not None:
        # Every worker would bind the same port and load its own speech model.
        refuse(
            "设置了 HOTLINE_AUDIOSOCKET_PORT 时 API 只能单进程运行（--workers 1）。"
            "请用 `hotline speech-server` 单独运行语音识别，"
            "并在 API 进程的环境中去掉 HOTLINE_AUDIOSOCKET_PORT"
        )
    if workers > 1 and not settings.redis_url:
        # With the in-process bus a page hears only the worker that serves its stream.
        refuse(
            "多个 API 进程（--workers N）需要 HOTLINE_REDIS_URL：没有 Redis 时，"
            "每个进程只收得到自己的事件，页面看不到其他进程受理的工单和来电"
        )
    if settings.ami_url:
        try:  # every worker would stop on it; say so once, before any starts
            parse_ami_url(settings.ami_url)
        except ValueError as error:
            refuse(f"HOTLINE_AMI_URL 无效：{error}")
    refuse_unless_port_free(host, port)
    limits = uvicorn_limits(settings.http)
    if workers > 1:
        prepare_multiprocess_dir()  # the workers' metrics, summed at each scrape
        uvicorn.run(
            "hotline.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **limits,
        )
        return
    from hotline.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, **limits)


@app.command("scan")
def scan() -> None:
    """Run the deadline scan once (yellow/red flags, 催办 reminders)."""
    from hotline.app import run_deadline_scan
    from hotline.services import Services

    services = Services(_settings())
    changed = run_deadline_scan(services)
    services.close()
    if changed is None:
        typer.echo("另一个进程正在扫描时限，本次跳过")
    else:
        typer.echo(f"时限扫描完成：{changed} 个事件")
