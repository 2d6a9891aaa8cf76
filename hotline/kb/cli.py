"""Commands: ``hotline kb seed``, ``hotline kb evaluate`` and ``hotline hot-topics`` (registered
in hotline/cli.py)."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from hotline.config import Settings
from hotline.db import make_engine, make_session_factory, transaction
from hotline.kb.evaluation import choose, figures, load_cases, run, split
from hotline.kb.hotspots import MIN_TICKETS, RISE_FACTOR, run_hot_topics
from hotline.kb.search import SHIPPED
from hotline.kb.seed import seed_kb
from hotline.services import Services, local_now

kb_app = typer.Typer(help="知识库", no_args_is_help=True)


def seed_demo_kb(session: Session) -> int:
    """Called by ``hotline seed-demo`` inside its transaction."""
    added = seed_kb(session, local_now())
    typer.echo(f"知识库：新增 {added} 条已发布条目")
    return added


@kb_app.command("seed")
def seed() -> None:
    """Load the demo knowledge base (published); entries already present are kept as they are."""
    engine = make_engine(Settings.from_env().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            seed_demo_kb(session)
    finally:
        engine.dispose()


def hot_topics() -> None:
    """Find this week's hot topics (热点诉求) and raise alerts; run it daily."""
    services = Services(Settings.from_env())
    try:
        results = run_hot_topics(services)
    finally:
        services.close()
    if results is None:
        typer.echo("另一个进程正在检测热点，本次跳过")
        return
    typer.echo(f"热点诉求：近 7 天同类同地点 ≥ {MIN_TICKETS} 件且 ≥ 前 4 周周均 {RISE_FACTOR:g} 倍")
    if not results:
        typer.echo("未发现新的热点")
    for alert, raised in results:
        state = "新告警" if raised else "已更新"
        where = " ".join(p for p in (alert.division_code or "", alert.place) if p) or "全市"
        typer.echo(
            f"[{state}] #{alert.id} {where} {'、'.join(alert.keywords)}："
            f"{alert.ticket_count} 件（基线周均 {alert.baseline_weekly:g}）"
        )


@kb_app.command("evaluate")
def evaluate(
    choose_rule: bool = typer.Option(
        False, "--choose", help="Choose the confidence rule on the dev half (a grid search)"
    ),
) -> None:
    """Search quality on the shipped evaluation set (no database needed): recall@3, MRR, and how
    often a no-answer query gets a strong hit or a right entry is marked weak."""
    cases = load_cases()
    dev, test = split(cases)
    rule = SHIPPED
    if choose_rule:
        rule, _ = choose(dev)
    typer.echo(
        f"规则：覆盖率 ≥ {rule.strong_coverage:g} 为强匹配；仅在答复/指南中出现的词计 "
        f"{rule.mention_credit:g}；知识库未收的词按最罕见词的 {rule.unknown_share:g} 倍计权"
    )
    for name, part in (("全部", cases), ("调参半（dev）", dev), ("检验半（test）", test)):
        typer.echo(f"{name}：")
        for line in figures(run(part, rule)).lines():
            typer.echo(f"  {line}")
