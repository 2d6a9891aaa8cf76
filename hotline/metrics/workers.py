"""Multiprocess mode for ``hotline serve --workers N``: every worker writes its series to one
directory and a scrape, answered by whichever worker, sums them (prometheus-client's
multiprocess mode). Imports nothing of prometheus-client: the variable must be set before the
workers import it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir() -> Path:
    """The directory in ``PROMETHEUS_MULTIPROC_DIR`` (a new temporary one if unset), emptied of
    an earlier run's files, whose counts would otherwise be added to this run's."""
    configured = os.environ.get(MULTIPROCESS_DIR)
    directory = (
        Path(configured) if configured else Path(tempfile.mkdtemp(prefix="hotline-metrics-"))
    )
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(directory)
    return directory
