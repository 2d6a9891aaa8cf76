"""`hotline classifier …`: the classifier's own commands plus `retrain` from dispatchers' labels."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from classifier.cli import app as classifier_cli

classifier_app = typer.Typer(
    help="路由分类模型：训练、评估、预测，以及用派单员的纠正重新训练", no_args_is_help=True
)
# The classifier's train / eval / predict, unchanged (its Typer app itself is not modified).
classifier_app.registered_commands.extend(classifier_cli.registered_commands)

VERSIONS_DIR = "routing-versions"
EXIT_REFUSED = 1


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@classifier_app.command("retrain")
def retrain_command(
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="current model (default: HOTLINE_CLASSIFIER_MODEL or shipped)"
        ),
    ] = None,
    out_root: Annotated[
        Path | None,
        typer.Option("--out-root", help=f"where versions go (default: <model>/../{VERSIONS_DIR})"),
    ] = None,
    seed_corpus: Annotated[
        Path | None, typer.Option("--seed-corpus", help="seed CSV (default: corpus_train.csv)")
    ] = None,
) -> None:
    """Train on the seed corpus plus the stored correction labels; promote only if not worse.

    The new model goes to a new versioned directory; when promoted, point
    HOTLINE_CLASSIFIER_MODEL at it and restart the app. Exit code 1 = refused (worse)."""
    from classifier import RoutingModel, retrain
    from hotline.config import Settings
    from hotline.db import make_engine, make_session_factory
    from hotline.routing.router import model_directory
    from hotline.routing.service import training_pairs

    settings = Settings.from_env()
    base = model.resolve() if model else model_directory(settings.classifier_model)
    if not (base / "model.json").is_file():
        _fail(f"no routing model in {base}")
    known = set(RoutingModel.load(base).departments)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            pairs, skipped = training_pairs(session, known)
    finally:
        engine.dispose()
    typer.echo(f"{len(pairs)} correction labels ({skipped} skipped: department unknown to model)")
    if len(pairs) < 2:
        _fail("need at least 2 correction labels to learn from and to check against")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = (out_root or base.parent / VERSIONS_DIR) / stamp
    try:
        result = retrain(pairs, base_model=base, out_dir=out_dir, seed_corpus=seed_corpus)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(
        f"accuracy on held-back corrections: old {result.old_score:.3f}, new {result.new_score:.3f}"
    )
    if not result.promoted:
        typer.echo(f"refused: the new model is worse; kept for inspection in {out_dir}")
        raise typer.Exit(code=EXIT_REFUSED)
    typer.echo(f"promoted: new model in {out_dir}")
    typer.echo(f"to use it: export HOTLINE_CLASSIFIER_MODEL={out_dir} and restart the app")
