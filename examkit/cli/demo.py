"""``examkit demo``: generate the demo year, grade it, run every batch, write the index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from examkit.cli.progress import progress_bar
from examkit.core.i18n import t
from examkit.demo import run_demo
from examkit.run.runner import summarize


def cli_demo(args: argparse.Namespace) -> int:
    """Generate the demo inputs under WORKDIR/data/demo and run every batch's reports."""
    batches = args.batches.split(",") if args.batches else None
    print(t("demo.generating", dir=str(Path(args.workdir).resolve() / "data" / "demo")), file=sys.stderr)
    progress, close = progress_bar(args.quiet)
    try:
        report = run_demo(
            args.workdir,
            args.out,
            jobs=args.jobs,
            seed=args.seed,
            batches=batches,
            progress=progress,
            fresh_kernels=args.fresh_kernels,
        )
    finally:
        close()
    print(summarize(report), file=sys.stderr)
    print(t("demo.open_index", path=str(report.out_dir / "index.html")), file=sys.stderr)
    return 0 if report.ok else 1
