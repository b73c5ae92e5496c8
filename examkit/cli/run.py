"""``examkit run`` and ``examkit kernel``."""

from __future__ import annotations

import argparse
import sys

from examkit.cli.progress import progress_bar
from examkit.run.kernel import install_kernel
from examkit.run.runner import run, summarize
from examkit.settings.resources import NOTEBOOKS


def cli_run(args: argparse.Namespace) -> int:
    notebooks = tuple(args.notebooks.split(",")) if args.notebooks else NOTEBOOKS
    progress, close = progress_bar(args.quiet)
    try:
        report = run(
            args.params,
            args.out,
            jobs=args.jobs,
            notebooks=notebooks,
            pdf=args.pdf,
            progress=progress,
            fresh_kernels=args.fresh_kernels,
        )
    finally:
        close()
    print(summarize(report), file=sys.stderr)
    return 0 if report.ok else 1


def cli_kernel(args: argparse.Namespace) -> int:
    print(install_kernel())
    return 0
