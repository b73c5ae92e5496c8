"""``examkit passrates``: pass rates with Wilson intervals from registrations and a gradebook or score sheets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from examkit.analysis.passrates import csv_frame, parse_by, pass_rates
from examkit.cli.output import emit
from examkit.core.i18n import t
from examkit.session.year import load_outcomes
from examkit.store.inputs import project_store


def cli_passrates(args: argparse.Namespace) -> int:
    """``examkit passrates``: pass rates with Wilson intervals as a table, csv or json."""

    by = parse_by(args.by)
    if not args.schools:  # the notebook always applies the school rules; say why the numbers may differ
        print(t("analytics.no_schools_warning"), file=sys.stderr)
    loaded = load_outcomes(
        [Path(p) for p in args.registrations],
        scores=[Path(p) for p in (args.scores or [])],
        gradebook=Path(args.gradebook) if args.gradebook else None,
        schools=Path(args.schools) if args.schools else None,
        params_dir=Path(args.params_dir) if args.params_dir else None,
        store=project_store(args.params_dir),
    )
    for note in loaded.notes:
        print(note, file=sys.stderr)
    rates = pass_rates(loaded.cands, by, loaded.policy)
    # the csv is for staff and keeps every count; say so when it holds what a shared report would hide
    if rates.filter(pl.col("small_group") & (pl.col("sat") > 0)).height:
        print(t("analytics.small_groups_csv_note", min_sat=loaded.policy.small_group_min_sat), file=sys.stderr)
    frame = csv_frame(rates, by)
    if args.format == "table":
        frame = frame.with_columns(pl.col("pass_rate", "ci_low", "ci_high").round(4))
    emit(frame, args.format)
    # score-sheet rows left out (e.g. a candidate whose registration failed validation): the rates are still out
    for f in loaded.findings:
        print(
            t("scoresheet.cli_line", severity=t(f"validate.severity_{f.severity}"), message=f.message), file=sys.stderr
        )
    return 1 if loaded.findings else 0
