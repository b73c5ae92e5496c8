"""``examkit ingest``: read and check every input of the given batches once, into the project's input store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from examkit.cli.progress import progress_bar
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.session.ingest import ingest
from examkit.settings.params import batch_params_files


def cli_ingest(args: argparse.Namespace) -> int:
    """``examkit ingest [PARAMS...] [--params-dir DIR] [--quiet]``: 0 when every batch's inputs were read."""
    files = [Path(p) for p in args.params]
    if not files:
        folder = Path(args.params_dir or "params")
        files = batch_params_files(folder)
        if not files:
            raise ConfigError(t("ingest.no_params", dir=str(folder)))
    progress, close = progress_bar(args.quiet, desc="ingest.progress", unit="batch", label=str)
    try:
        report = ingest(files, progress=progress)
    finally:
        close()
    for line in report.failed:
        print(line, file=sys.stderr)
    stats = report.stats
    if report.stores:
        for store in report.stores:
            print(t("ingest.summary", store=store, hits=stats.hits, builds=stats.builds, rebuilt=stats.rebuilt))
    else:
        print(t("ingest.no_store"))
    return 1 if report.failed else 0
