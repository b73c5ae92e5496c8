"""Bank statement exports (xlsx/csv) read into typed receipts: amounts in integer fen, dates as dates.

A row whose amount is negative, zero or not an amount, or whose date is not a date, becomes a
``Finding`` naming the file, the Excel row, the user's column, the value and what is accepted;
it never stops the reading of the other rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from examkit.core import text as normalize
from examkit.core.exceptions import InputError
from examkit.core.findings import SCHEMA, VALUE_CHARS, from_frame, message_expr
from examkit.core.i18n import t
from examkit.core.money import yuan_to_fen
from examkit.io.tables import ROW, Table, read_table
from examkit.settings.columns import load_columns

KIND = "payments"
TEXT_COLUMNS = ("payer_name", "school_code", "memo")
RECEIPT_SCHEMA = {
    "file": pl.String,
    ROW: pl.Int64,
    "payer_name": pl.String,
    "school_code": pl.String,
    "amount_fen": pl.Int64,
    "paid_on": pl.Date,
    "memo": pl.String,
}


@dataclass
class Payments:
    """Receipts that parsed (``frame``, schema ``RECEIPT_SCHEMA``) and findings for rows that did not."""

    file: Path
    frame: pl.DataFrame
    findings: list = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def amounts_to_fen(values: pl.Series) -> pl.Series:
    """Amount texts (``6,800.00``, ``￥6800``, ``6800``) → integer fen via ``examkit.core.money``; null when not an amount."""
    distinct = values.drop_nulls().unique().to_list()
    mapping: dict[str, int | None] = {}
    for text in distinct:  # one parse per distinct text, not per row
        try:
            mapping[text] = yuan_to_fen(text)
        except ValueError:
            mapping[text] = None
    return values.replace_strict(mapping, default=None, return_dtype=pl.Int64)


def load_payments(path: str | os.PathLike, columns: dict | None = None) -> Payments:
    """Read a bank statement export into receipts and findings; ``InputError`` when the file is unusable."""
    mapping = columns or load_columns()
    return payments_from_table(read_table(path, KIND, mapping), mapping)


def payments_from_table(table: Table, columns: dict | None = None) -> Payments:
    """Typed receipts from an already read ``Table`` (see ``load_payments``)."""
    shown = (columns or load_columns())[KIND]
    has_payer = bool({"payer_name", "school_code"} & set(table.headers))
    missing = [c for c in ("amount", "paid_on") if c not in table.headers] + ([] if has_payer else ["payer_name"])
    if missing:
        names = "、".join(shown[c][0] for c in missing)
        raise InputError(t("fees.payments_missing_columns", file=str(table.file), columns=names), file=str(table.file))
    frame = table.frame
    for col in TEXT_COLUMNS:
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(col))
    content = [c for c in (*TEXT_COLUMNS, "amount", "paid_on") if c in table.headers]
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in content])
    frame = frame.filter(~blank).with_columns(
        normalize.text(pl.col("payer_name")),
        normalize.code(pl.col("school_code")),
        normalize.text(pl.col("memo")),
        pl.col("amount").str.strip_chars().fill_null(""),
        normalize.date(pl.col("paid_on")).alias("paid_on_date"),
    )
    frame = frame.with_columns(amounts_to_fen(frame["amount"]).alias("amount_fen"))
    findings = _findings(table, frame)
    bad_rows = {f.row for f in findings}
    receipts = (
        frame.filter(~pl.col(ROW).is_in(sorted(bad_rows)))
        .select(
            pl.lit(str(table.file)).alias("file"),
            pl.col(ROW),
            "payer_name",
            "school_code",
            "amount_fen",
            pl.col("paid_on_date").alias("paid_on"),
            "memo",
        )
        .cast(RECEIPT_SCHEMA)
    )
    return Payments(file=table.file, frame=receipts, findings=findings, headers=dict(table.headers))


def _findings(table: Table, frame: pl.DataFrame) -> list:
    """One finding per bad cell, built as frames (vectorised) and returned as ``Finding`` objects."""
    checks = (
        (pl.col("amount") == "", "amount", "fees.amount_missing"),
        (pl.col("amount_fen").is_null() & (pl.col("amount") != ""), "amount", "fees.amount_unparseable"),
        (pl.col("amount_fen") < 0, "amount", "fees.amount_negative"),
        (pl.col("amount_fen") == 0, "amount", "fees.amount_zero"),
        (pl.col("paid_on_date").is_null(), "paid_on", "fees.date_invalid"),
    )
    parts = []
    for condition, column, rule in checks:
        header = table.header(column)
        value = pl.col(column).fill_null("").str.slice(0, VALUE_CHARS)
        parts.append(
            frame.filter(condition).select(
                pl.lit(str(table.file)).alias("file"),
                pl.col(ROW).alias("row"),
                pl.lit(header).alias("column"),
                value.alias("value"),
                pl.lit(rule).alias("rule"),
                pl.lit("error").alias("severity"),
                message_expr(
                    rule,
                    file=table.file.name,
                    row=pl.col(ROW),
                    column=header,
                    value=value,
                    accepted=normalize.ACCEPTED_DATES,
                ).alias("message"),
            )
        )
    found = pl.concat(parts).cast(SCHEMA).sort("row", "column") if parts else pl.DataFrame(schema=SCHEMA)
    return from_frame(found)
