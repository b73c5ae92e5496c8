"""``examkit demo``: generate the demo year, grade it, run every batch, write the index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from examkit.core.i18n import t


def run_demo(
    workdir: str | Path = ".",
    out: str | Path | None = None,
    *,
    jobs: int = 2,
    seed: int = 2023,
    batches: list[str] | None = None,
    progress: bool = True,
):
    """The whole demo: inputs under ``WORKDIR/data/demo``, reports under ``out`` (default ``WORKDIR/outputs``)."""
    from examkit.demo import prepare_project, write_demo
    from examkit.run.runner import run

    workdir = Path(workdir).resolve()
    params_dir = prepare_project(workdir)
    data_dir = workdir / "data" / "demo"
    print(t("demo.generating", dir=str(data_dir)), file=sys.stderr)
    write_demo(data_dir, seed=seed, params_dir=params_dir)
    files = sorted(params_dir.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].yaml"))
    if batches:
        files = [f for f in files if f.stem in batches]
    return run(files, out or workdir / "outputs", jobs=jobs, progress=progress)


def cli_demo(args: argparse.Namespace) -> int:
    from examkit.run.runner import summarize

    batches = args.batches.split(",") if args.batches else None
    report = run_demo(args.workdir, args.out, jobs=args.jobs, seed=args.seed, batches=batches, progress=not args.quiet)
    print(summarize(report), file=sys.stderr)
    print(t("demo.open_index", path=str(report.out_dir / "index.html")), file=sys.stderr)
    return 0 if report.ok else 1
