"""The schools list (院校名单): pilot status, filing (备案), teacher training, aliases used on bank transfers."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from examkit.core import text as nz
from examkit.core.exceptions import ValidationFailed
from examkit.core.findings import ERROR, SCHEMA, VALUE_CHARS, Finding, from_frame, message_expr, missing_column
from examkit.core.i18n import t
from examkit.io.tables import ROW, Table, read_table
from examkit.settings.columns import load_columns

KIND = "schools"
SCHOOLS_SCHEMA = {
    "school_code": pl.String,
    "school_name": pl.String,
    "province": pl.String,
    "is_pilot": pl.Boolean,
    "filed": pl.Boolean,
    "teacher_cert": pl.String,
    "aliases": pl.List(pl.String),
}
REQUIRED = ("school_code", "school_name", "province", "is_pilot", "filed")
_VALUE_REQUIRED = ("school_code", "school_name", "province")


def load_schools(path: str | os.PathLike, columns: dict | None = None) -> pl.DataFrame:
    """The schools list as a typed frame (``SCHOOLS_SCHEMA``; codes are text, aliases a list).

    Aliases are split on 、 ; , (full-width ； ， too). Blank 是否试点/备案 cells count as "no".
    Raises ``InputError`` for an unusable file and ``ValidationFailed`` (its ``findings`` name
    every bad cell) when rows break the rules.
    """
    frame, findings = read_schools(path, columns)
    if findings:
        lines = "\n".join(f"  {f.row}: {f.message}" for f in findings)
        raise ValidationFailed(t("validate.schools_invalid", file=str(path), n=len(findings)) + "\n" + lines, findings)
    return frame


def read_schools(path: str | os.PathLike, columns: dict | None = None) -> tuple[pl.DataFrame, list[Finding]]:
    """The schools list and the findings of its bad rows (rows with findings are left out of the frame)."""
    mapping = columns or load_columns()
    return schools_from_table(read_table(Path(path), KIND, mapping), mapping[KIND])


def schools_from_table(table: Table, mapping: dict[str, list[str]]) -> tuple[pl.DataFrame, list[Finding]]:
    """Typed schools and findings from an already read ``Table`` (``mapping``: the schools' column mapping)."""
    frame = table.frame
    for col in SCHOOLS_SCHEMA:
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(col))
    blank = pl.all_horizontal([nz.text(pl.col(c)).is_null() for c in SCHOOLS_SCHEMA])
    lf = (
        frame.lazy()
        .filter(~blank)
        .with_columns(
            nz.code(pl.col("school_code")).alias("n_school_code"),
            nz.text(pl.col("school_name")).alias("n_school_name"),
            nz.text(pl.col("province")).alias("n_province"),
            nz.boolean(pl.col("is_pilot")).alias("n_is_pilot"),
            nz.boolean(pl.col("filed")).alias("n_filed"),
            nz.compact(pl.col("teacher_cert")).alias("n_teacher_cert"),
            nz.split_list(pl.col("aliases")).alias("n_aliases"),
        )
        .with_columns(pl.col(ROW).min().over("n_school_code").alias("_first"))
    )
    missing = [
        missing_column(str(table.file), table.header_row, mapping.get(c, [c]))
        for c in REQUIRED
        if c not in table.headers
    ]
    required = {"accepted": t("validate.accepted_required")}
    checks: list[tuple[str, pl.Expr, str, dict]] = [
        (c, pl.col(f"n_{c}").is_null(), "missing_value", required) for c in _VALUE_REQUIRED if c in table.headers
    ]
    for col in ("is_pilot", "filed"):
        bad = nz.text(pl.col(col)).is_not_null() & pl.col(f"n_{col}").is_null()
        checks.append((col, bad, "bad_value", {"accepted": t("validate.accepted_boolean")}))
    dup = pl.col("n_school_code").is_not_null() & (pl.col(ROW) > pl.col("_first"))
    checks.append(("school_code", dup, "duplicate", {"first_row": pl.col("_first")}))
    parts = []
    for col, when, rule, fields in checks:
        header = table.header(col)
        key = "validate.msg_duplicate_number" if rule == "duplicate" else f"validate.msg_{rule}"
        value = pl.col(col).str.slice(0, VALUE_CHARS)
        parts.append(
            lf.filter(when).select(
                pl.lit(str(table.file)).alias("file"),
                pl.col(ROW).alias("row"),
                pl.lit(header).alias("column"),
                value.alias("value"),
                pl.lit(rule).alias("rule"),
                pl.lit(ERROR).alias("severity"),
                message_expr(key, column=header, value=value, **fields).alias("message"),
            )
        )
    found = pl.concat(parts).cast(SCHEMA).sort("row", maintain_order=True).collect()
    typed = (
        lf.filter(~pl.col(ROW).is_in(found["row"].implode()))
        .select(
            pl.col("n_school_code").alias("school_code"),
            pl.col("n_school_name").alias("school_name"),
            pl.col("n_province").alias("province"),
            pl.col("n_is_pilot").fill_null(False).alias("is_pilot"),
            pl.col("n_filed").fill_null(False).alias("filed"),
            pl.col("n_teacher_cert").alias("teacher_cert"),
            pl.col("n_aliases").alias("aliases"),
        )
        .cast(SCHOOLS_SCHEMA)
        .collect()
    )
    return (typed.clear() if missing else typed), missing + from_frame(found)
