"""``examkit notice import``: the next year's published notice becomes data, checked by eye first.

Reads the notice (``examkit.intake.notice_text.parse_notice_file``), prints its schedule for the
user to compare with the notice, and unless ``--dry-run`` writes ``params/notices/notice_YYYY.yaml``
and one ``params/YYYY-NN.yaml`` per batch (``examkit.io.notice_files.write_notice``; existing files
are never overwritten). A notice the parser cannot read for certain is refused (exit 2), naming the
line, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from examkit.cli.output import emit
from examkit.core.i18n import t
from examkit.intake.notice_text import parse_notice_file, schedule_headers, schedule_table
from examkit.io.notice_files import DEFAULT_PARAMS_TEMPLATE, write_notice
from examkit.settings.notices import use_project_notices

DEFAULT_PARAMS_DIR = "params"  # the project's params folder, relative to where the command runs


def cli_notice(args: argparse.Namespace) -> int:
    """``examkit notice ACTION``: only ``import`` so far."""
    return cli_notice_import(args)


def cli_notice_import(args: argparse.Namespace) -> int:
    """``examkit notice import NOTICE [--params-dir DIR] [--dry-run] [--format table|csv|json]``."""
    parsed = parse_notice_file(args.notice, issuer=args.issuer, issued_on=args.issued_on)
    headers = schedule_headers()
    frame = pl.DataFrame(schedule_table(parsed), schema=dict.fromkeys(headers, pl.String))
    params_dir = Path(args.params_dir or DEFAULT_PARAMS_DIR)
    written: list[Path] = []
    kept: list[Path] = []
    if not args.dry_run:
        written, kept = write_notice(parsed, params_dir, template_text=DEFAULT_PARAMS_TEMPLATE)
        use_project_notices(params_dir)  # this process reads the notice just written, not an older copy

    if args.format == "json":
        extra = {
            "year": parsed["year"],
            "title": parsed["title"],
            "dry_run": bool(args.dry_run),
            "written": [str(p) for p in written],
            "kept": [str(p) for p in kept],
        }
        emit(frame, "json", extra=extra)
        return 0
    # the csv stays a clean table on stdout; what was written goes to stderr
    report = sys.stderr if args.format == "csv" else sys.stdout
    summary = t(
        "notice.import_parsed",
        file=args.notice,
        year=parsed["year"],
        title=parsed["title"],
        n=len(parsed["batches"]),
        full_mark=parsed["full_mark"],
        pass_mark=parsed["pass_mark"],
    )
    print(summary, file=report)
    emit(frame.rename(headers) if args.format == "table" else frame, args.format)
    if args.dry_run:
        print(t("notice.import_dry_run"), file=report)
        return 0
    for path in written:
        print(t("notice.import_written", file=str(path)), file=report)
    for path in kept:
        print(t("notice.import_kept", file=str(path)), file=report)
    if written:
        print(t("notice.import_next", params_dir=str(params_dir)), file=report)
    return 0
