"""The senior theory paper's answer key: question ids, answers and options as typed, and their findings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from examkit.core.exceptions import InputError, RubricError, ValidationFailed
from examkit.core.findings import Finding
from examkit.core.i18n import t
from examkit.core.rubric import Item, Rubric
from examkit.core.text import header_key, header_key_expr
from examkit.io.tables import ROW, read_table
from examkit.settings.columns import load_columns

_SEPARATORS = r"[\s,;、/|+]+"  # after NFKC: full-width commas/semicolons/spaces become these


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


_Q_PREFIXES = ("第", "q", "题", "no.", "no", "#")


def question_key(text: object) -> str:
    """A question id as matched between key and responses: ``第１题``, ``Q01`` and ``1`` all give ``1``."""
    s = header_key(text)
    for p in _Q_PREFIXES:
        if s.startswith(p) and len(s) > len(p):
            s = s[len(p) :]
            break
    if s.endswith("题") and len(s) > 1:
        s = s[:-1]
    return str(int(s)) if s.isdigit() else s


def question_key_expr(col: str | pl.Expr) -> pl.Expr:
    """``question_key`` as a polars expression (same result, vectorised)."""
    e = pl.col(col) if isinstance(col, str) else col
    s = header_key_expr(e)
    s = s.str.replace(r"^(第|q|题|no\.|no|#)(.)", "$2").str.replace(r"(.)题$", "$1")
    return pl.when(s.str.contains(r"^[0-9]+$")).then(s.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(s)


def normalised_answer(col: str | pl.Expr) -> pl.Expr:
    """Option letters as typed → sorted, de-duplicated capitals (``'c, a'`` → ``'AC'``); not-letters kept as is."""
    e = pl.col(col) if isinstance(col, str) else col
    cleaned = e.str.normalize("NFKC").str.to_uppercase().str.replace_all(_SEPARATORS, "")
    letters = cleaned.str.split("").list.unique().list.sort().list.join("")
    return pl.when(cleaned.str.contains(r"^[A-Z]+$")).then(letters).otherwise(cleaned)


def theory_item(rubric: Rubric) -> Item:
    """The rubric's auto-scored theory item (senior: ``T``); ``RubricError`` when the level has none."""
    items = [i for i in rubric.items if i.section == THEORY_SECTION and i.auto_scored]
    if len(items) != 1:
        raise RubricError(t("theory.no_item", file=str(rubric.file), level=rubric.level))
    return items[0]


@dataclass(frozen=True)
class TheoryKey:
    """A validated answer key: ``frame`` has ``question_id``, ``question`` (as written), ``answer``
    (sorted letters), ``points``, ``options`` (allowed letters or null), ``order``."""

    file: Path
    frame: pl.DataFrame

    @property
    def total(self) -> float:
        return float(self.frame.get_column("points").sum())


def _options_expr(col: str) -> pl.Expr:
    """Options as written (``ABCD``, ``A-D`` or a count ``4``) → allowed letters; '' when unusable."""
    raw = pl.col(col).str.normalize("NFKC").str.to_uppercase().str.replace_all(r"[\s,;、/|+\-–~]+", "")
    count = raw.cast(pl.Int64, strict=False)
    as_count = pl.lit(_LETTERS).str.slice(0, count)
    return (
        pl.when(_is_blank(col))
        .then(None)
        .when(count.is_between(2, len(_LETTERS)))
        .then(as_count)
        .when(raw.str.contains(r"^[A-Z]+$") & (raw.str.len_chars() >= 2))
        .then(raw.str.split("").list.unique().list.sort().list.join(""))
        .otherwise(pl.lit(""))
    )


def load_key(path: str | os.PathLike, *, columns: dict | None = None) -> TheoryKey:
    """Read and check an answer key; ``ValidationFailed`` listing every bad row."""
    columns = columns or load_columns()
    table = read_table(path, "theory_key", columns)
    _require(table, columns["theory_key"], ("question", "answer", "points"))
    if "options" not in table.frame.columns:
        table.frame = table.frame.with_columns(pl.lit(None, dtype=pl.String).alias("options"))
    frame = table.frame.with_columns(
        question_key_expr("question").alias("qid"),
        normalised_answer("answer").alias("norm"),
        pl.col("points").str.normalize("NFKC").str.strip_chars().cast(pl.Float64, strict=False).alias("pts"),
        _options_expr("options").alias("opts"),
    )
    checks = (
        (_is_blank("question"), "question", "theory.key_blank_question"),
        (~_is_blank("question") & pl.col("qid").is_duplicated(), "question", "theory.key_duplicate_question"),
        (_is_blank("answer"), "answer", "theory.key_blank_answer"),
        (~_is_blank("answer") & ~pl.col("norm").str.contains(r"^[A-Z]+$"), "answer", "theory.key_bad_answer"),
        (
            ~(pl.col("pts") > 0) | pl.col("pts").is_null() | pl.col("pts").is_infinite(),
            "points",
            "theory.key_bad_points",
        ),
        (pl.col("opts") == "", "options", "theory.key_bad_options"),
        (
            (pl.col("opts").fill_null("") != "")
            & pl.col("norm").str.contains(r"^[A-Z]+$")
            & _not_offered("norm", "opts"),
            "answer",
            "theory.key_answer_not_an_option",
        ),
    )
    findings = _findings(table.file, table, frame, checks)
    if findings:
        raise ValidationFailed(t("theory.key_rejected", file=str(table.file), n=len(findings)), findings)
    if frame.height == 0:
        raise ValidationFailed(t("theory.key_empty", file=str(table.file)), [])
    out = frame.with_row_index("order").select(
        pl.col("qid").alias("question_id"),
        pl.col("question").str.strip_chars(),
        pl.col("norm").alias("answer"),
        pl.col("pts").alias("points"),
        pl.col("opts").alias("options"),
        pl.col("order").cast(pl.Int64),
        pl.col(ROW).alias("key_row"),
    )
    return TheoryKey(file=table.file, frame=out)


def _require(table, mapping: dict[str, list[str]], needed: tuple[str, ...]) -> None:
    """``InputError`` naming the file and the expected header when a required column is absent."""
    for col in needed:
        if col not in table.frame.columns:
            raise InputError(
                t(
                    "theory.missing_column",
                    file=str(table.file),
                    expected=" / ".join(mapping[col][:3]),
                    found=", ".join([*table.headers.values(), *table.unknown][:10]),
                ),
                file=str(table.file),
            )


def _findings(file: Path, table, frame: pl.DataFrame, checks) -> list:
    """One Finding per (row, check) that fails; ``checks`` are (condition, column, rule)."""
    out = []
    for condition, column, rule in checks:
        header = table.header(column)
        for row, value in frame.filter(condition).select(ROW, pl.col(column)).iter_rows():
            shown = "" if value is None else str(value)
            out.append(
                Finding(
                    file=str(file),
                    row=int(row),
                    column=header,
                    value=shown,
                    rule=rule,
                    severity="error",
                    message=t(rule, file=file.name, row=row, column=header, value=shown),
                )
            )
    return sorted(out, key=lambda f: (f.row, f.column))


THEORY_SECTION = "theory"


def _not_offered(letters: str, options: str) -> pl.Expr:
    """True where ``letters`` holds a letter that is not in ``options``."""
    return pl.col(letters).str.split("").list.set_difference(pl.col(options).str.split("")).list.len() > 0


def _is_blank(col: str) -> pl.Expr:
    return pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")
