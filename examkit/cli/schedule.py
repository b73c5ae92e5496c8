"""``examkit schedule``: a year's schedule (shipped, or imported into ``params/notices/``) as a table, csv or json."""

from __future__ import annotations

import argparse

import polars as pl

from examkit.cli.output import emit
from examkit.core.notice import SCHEDULE_COLUMNS, load_notice, schedule_rows


def cli_schedule(args: argparse.Namespace) -> int:
    """``examkit schedule [--year YYYY] [--params-dir DIR] [--format table|csv|json]`` (default: the latest year)."""
    rows = schedule_rows(load_notice(args.year))
    frame = pl.DataFrame(rows, schema={c: pl.String if c != "duration_min" else pl.Int64 for c in SCHEDULE_COLUMNS})
    emit(frame, args.format)
    return 0
