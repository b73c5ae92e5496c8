"""``examkit validate``: every problem of a registrations file at once; and the notebooks' validation report.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the file itself is unusable.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit.exceptions import InputError
from examkit.findings import ERROR, RULES, Finding, findings_csv, findings_frame, findings_json
from examkit.i18n import set_lang, t
from examkit.iorw import load_columns
from examkit.registrations import Registrations, load_registrations, load_registrations_dir, registration_files
from examkit.resources import settings_file

if TYPE_CHECKING:
    from examkit.session import BatchSession

WHERE_MAX = 30  # rows listed per problem in the report; more are counted, not listed


def validate_path(
    path: str | os.PathLike,
    *,
    schools: pl.DataFrame | None = None,
    prior_passes: pl.DataFrame | None = None,
    params_dir: str | os.PathLike | None = None,
) -> Registrations:
    """Validate a registrations file, or every registrations file of a folder.

    ``prior_passes`` (``id_number, level, batch``) enables the "already passed" warning.
    """
    p = Path(path)
    columns = load_columns(settings_file("columns.yaml", params_dir))
    if p.is_dir():
        return load_registrations_dir(
            p, schools=schools, prior_passes=prior_passes, columns=columns, params_dir=params_dir
        )
    return load_registrations(p, schools=schools, prior_passes=prior_passes, columns=columns, params_dir=params_dir)


def gradebook_passes(path: str | os.PathLike) -> pl.DataFrame:
    """Every pass recorded in an existing gradebook: ``id_number, level, batch`` (one row per pass).

    A missing file is an ``InputError`` (a mistyped path never creates a gradebook).
    """
    from examkit.gradebook import Gradebook

    p = Path(path)
    if not p.is_file():
        raise InputError(t("validate.no_gradebook", file=str(p)), file=str(p))
    schema = {"id_number": pl.String, "level": pl.String, "batch": pl.String}
    with Gradebook(p) as gb:
        parts = [
            gb.results(b)
            .lazy()
            .filter(pl.col("passed").fill_null(False))
            .join(gb.candidates(b).lazy().select("candidate_no", "id_number", "level"), on="candidate_no")
            .select(*schema)
            .collect()
            for b in gb.batches()
        ]
    return pl.concat(parts).cast(schema) if parts else pl.DataFrame(schema=schema)


def format_text(findings: Iterable[Finding]) -> str:
    """One line per finding, in the current language."""
    lines = []
    for f in findings:
        severity = t(f"validate.severity_{f.severity}")
        if f.row is None:
            lines.append(t("validate.line_file", file=f.file, severity=severity, message=f.message))
        else:
            lines.append(t("validate.line", file=f.file, row=f.row, severity=severity, message=f.message))
    return "\n".join(lines)


def count(key: str, n: int) -> str:
    """``n`` with its noun from the catalog: ``<key>_one`` for exactly one, else ``<key>`` ("1 warning", "2 warnings")."""
    return t(f"{key}_one" if n == 1 else key, n=n)


def summary(reg: Registrations) -> str:
    """One line: rows, errors, rows to fix, warnings."""
    rows = count("validate.n_rows", reg.rows)
    if not reg.findings:
        return t("validate.all_ok", file=str(reg.file), rows=rows)
    return t(
        "validate.summary",
        file=str(reg.file),
        rows=rows,
        errors=count("validate.n_errors", len(reg.errors)),
        excluded=count("validate.n_to_fix", reg.excluded.height),
        warnings=count("validate.n_warnings", len(reg.warnings)),
    )


def cli_validate(args: argparse.Namespace) -> int:
    """``examkit validate REGISTRATIONS [--schools S] [--gradebook G] [--format text|csv|json] [--lang en]``."""
    from examkit.schools import read_schools

    if getattr(args, "lang", None):
        set_lang(args.lang)
    params_dir = getattr(args, "params_dir", None)
    schools = None
    if args.schools:
        schools, problems = read_schools(args.schools, load_columns(settings_file("columns.yaml", params_dir)))
        if problems:
            print(
                t("validate.schools_invalid", file=args.schools, n=count("validate.n_errors", len(problems))),
                file=sys.stderr,
            )
            print(format_text(problems), file=sys.stderr)
            return 2
    passes = gradebook_passes(args.gradebook) if getattr(args, "gradebook", None) else None
    target = Path(args.registrations)
    if target.is_dir() and not registration_files(target):
        print(t("validate.no_files", dir=str(target)), file=sys.stderr)
        return 2
    reg = validate_path(target, schools=schools, prior_passes=passes, params_dir=params_dir)
    if reg.rows == 0 and not reg.findings:
        print(t("validate.no_rows", file=str(target)), file=sys.stderr)
        return 2
    if args.format == "csv":
        sys.stdout.write(findings_csv(reg.findings))
        print(summary(reg), file=sys.stderr)
    elif args.format == "json":
        print(findings_json(reg.findings))
        print(summary(reg), file=sys.stderr)
    else:
        if reg.findings:
            print(format_text(reg.findings))
        print(summary(reg))
    return 1 if reg.errors else 0


# --------------------------------------------------------------------------- notebooks


def validation_report(session: BatchSession) -> pl.DataFrame:
    """What this batch's validation kept, excluded and why, and its warnings — no personal data.

    A small display frame for the top of every batch notebook (``session.registrations``).
    """
    if session.path("registrations") is None:
        return pl.DataFrame({t("validate.report_item"): [t("validate.report_none")]})
    return report_frame(session.registrations)


def report_frame(reg: Registrations) -> pl.DataFrame:
    """Rows read, kept and warned about, then one line per problem (errors first): how many rows and which.

    Only rule descriptions and Excel row numbers appear: no names, ID or phone numbers, values.
    """
    item, rows_col, where_col = t("validate.report_item"), t("validate.report_rows"), t("validate.report_where")
    head = pl.DataFrame(
        {
            item: [t("validate.report_read"), t("validate.report_kept"), t("validate.report_warned")],
            rows_col: [reg.rows, reg.frame.height, len({(f.file, f.row) for f in reg.warnings})],
            where_col: ["", "", ""],
        },
        schema={item: pl.String, rows_col: pl.Int64, where_col: pl.String},
    )
    found = findings_frame(reg.findings)
    if found.height == 0:
        return head
    several_files = found["file"].n_unique() > 1
    name = pl.col("file").str.replace(r"^.*[\\/]", "")  # the file name without its folder
    place = (
        pl.concat_str(name, pl.lit(":"), pl.col("row").cast(pl.String))
        if several_files
        else pl.col("row").cast(pl.String)
    )
    whole_column = pl.col("rule") == "missing_column"  # every row is out: name the column instead
    place = pl.when(whole_column).then(pl.col("column")).otherwise(place)
    labels = {
        (sev, rule): t(
            "validate.report_excluded" if sev == ERROR else "validate.report_warning",
            reason=t(f"validate.reason_{rule}"),
        )
        for sev in (ERROR, "warning")
        for rule in RULES
    }
    lines = (
        found.lazy()
        .with_columns(place.fill_null("—").alias("place"), (pl.col("severity") != ERROR).alias("_warn"))
        .group_by("_warn", "severity", "rule")
        .agg(
            pl.col("place").unique(maintain_order=True).alias("places"),
            pl.col("place").n_unique().alias("n"),
        )
        .sort("_warn", "rule")
        .collect()
    )
    keys = pl.concat_str("severity", pl.lit("\x1f"), "rule")
    mapping = {f"{s}\x1f{r}": v for (s, r), v in labels.items()}
    body = lines.select(
        keys.replace_strict(mapping, default=pl.col("rule")).alias(item),
        pl.when(whole_column).then(pl.lit(reg.rows)).otherwise(pl.col("n")).cast(pl.Int64).alias(rows_col),
        pl.when(pl.col("n") > WHERE_MAX)
        .then(pl.concat_str(pl.col("places").list.head(WHERE_MAX).list.join("、"), pl.lit("…")))
        .otherwise(pl.col("places").list.join("、"))
        .alias(where_col),
    )
    return pl.concat([head, body])
