"""Findings: the one way any reader reports a bad row (file, Excel row, the user's column, value, rule).

A ``Finding`` is plain data; lists of them become a polars frame, csv or json with the fields
``file,row,column,value,rule,severity,message``. Rule codes are stable (see ``RULES``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import polars as pl

from examkit.core.i18n import catalog, get_lang, t

ERROR, WARNING = "error", "warning"
VALUE_CHARS = 100  # a value longer than this is cut in findings (junk cells can be huge)
FIELDS = ("file", "row", "column", "value", "rule", "severity", "message")
SCHEMA = {
    "file": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "rule": pl.String,
    "severity": pl.String,
    "message": pl.String,
}
# Stable rule codes of registration intake (other readers add their own, e.g. ``fees.amount_missing``).
RULES = (
    "missing_column",
    "missing_value",
    "derived_value",
    "bad_date",
    "bad_type",
    "bad_level",
    "unknown_batch",
    "wrong_batch",
    "window",
    "level_mismatch",
    "id_format",
    "id_checksum",
    "duplicate",
    "unknown_school",
    "school_not_pilot",
    "school_not_filed",
    "teacher_not_trained",
    "site_not_pilot",
    "age_unusual",
    "already_passed",
    "unusable_file",
    "bad_value",
)


@dataclass(frozen=True)
class Finding:
    """One problem in one cell (or one column, or one file) of an input file.

    ``row`` is the row as the user sees it in Excel (header = row 1), ``None`` for the file as a
    whole; ``column`` is the header as the user wrote it; ``severity`` is ``error`` or ``warning``.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that are errors."""
    return [f for f in findings if f.severity == ERROR]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that are warnings."""
    return [f for f in findings if f.severity == WARNING]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def findings_frame(findings: Iterable[Finding]) -> pl.DataFrame:
    """The findings as a frame with the columns of ``FIELDS`` (also when there are none)."""
    rows = [asdict(f) for f in findings]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)


def from_frame(frame: pl.DataFrame) -> list[Finding]:
    """Findings from a frame holding the columns of ``FIELDS``."""
    return [Finding(**row) for row in frame.select(FIELDS).cast(SCHEMA).iter_rows(named=True)]


def findings_csv(findings: Iterable[Finding]) -> str:
    """CSV text (header ``file,row,column,value,rule,severity,message``)."""
    return findings_frame(findings).write_csv()


def findings_json(findings: Iterable[Finding]) -> str:
    """A JSON array of objects with the fields of ``FIELDS`` (UTF-8, not ASCII-escaped)."""
    return json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=1)


def message_expr(key: str, lang: str | None = None, /, **fields: pl.Expr | object) -> pl.Expr:
    """The catalog message ``key`` as a polars expression: each ``{field}`` filled from an expression
    (per row) or a constant. The vectorised twin of ``i18n.t`` for building many findings at once."""
    texts = catalog().get(key)
    if texts is None:
        raise KeyError(f"message {key!r} is not in the catalog")
    template = texts.get(lang or get_lang()) or texts["zh"]
    parts: list[pl.Expr] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            value = fields[name]
            expr = value if isinstance(value, pl.Expr) else pl.lit(str(value))
            parts.append(expr.cast(pl.String).fill_null(""))
    return pl.concat_str(parts) if parts else pl.lit("")


def missing_column(file: str, header_row: int, accepted: list[str]) -> Finding:
    """The finding for a required column a file lacks; ``accepted``: its accepted headers (first = display name)."""
    return Finding(
        file=file,
        row=header_row,
        column=accepted[0],
        value=None,
        rule="missing_column",
        severity=ERROR,
        message=t("validate.msg_missing_column", column=accepted[0], accepted=" / ".join(accepted)),
    )


MAX_LISTED = 20  # findings quoted in one error message
