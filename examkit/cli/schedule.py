"""``examkit schedule``: the notice's schedule as a table, csv or json."""

from __future__ import annotations

import argparse

import polars as pl

from examkit.cli.output import emit
from examkit.core.notice import SCHEDULE_COLUMNS, load_notice, schedule_rows


def cli_schedule(args: argparse.Namespace) -> int:
    rows = schedule_rows(load_notice(args.year))
    frame = pl.DataFrame(rows, schema={c: pl.String if c != "duration_min" else pl.Int64 for c in SCHEDULE_COLUMNS})
    emit(frame, args.format)
    return 0
