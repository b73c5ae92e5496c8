"""Senior theory paper: score candidates' responses against an answer key.

Inputs (xlsx or csv, read through ``iorw.read_table``):

- the answer key (kind ``theory_key``): question, correct option(s), points, optional options
  (``ABCD`` or a count such as ``4``);
- the responses export (kind ``theory_responses``): candidate number plus one column per question,
  headed by the question id as the key has it (``1``, ``第1题``, ``Q1`` and full-width digits all match).

Answers are normalised the way people type them: ``a``, ``A``, ``A,C``, ``AC``, ``a、c``, ``Ａ，Ｃ``
and stray spaces all read as the option set. A blank answer scores 0 and is reported; a malformed
one (not option letters, or a letter the question does not offer) scores 0 and is reported.
Multiple-answer questions follow ``theory_partial_credit`` in ``policy.yaml`` (labelled default):
``none`` = all or nothing; ``proportional`` = any wrong letter scores 0, otherwise
points × (right letters chosen / right letters in the key). The section mark is the sum,
rounded DOWN to the rubric item's step, and goes into the senior rubric's auto-scored item.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from examkit.core.exceptions import ConfigError, RubricError, ValidationFailed
from examkit.core.findings import Finding
from examkit.core.i18n import t
from examkit.core.policy import DEFAULT_PARTIAL_CREDIT, PARTIAL_CREDIT_RULES
from examkit.core.rubric import Item
from examkit.intake.theory_key import TheoryKey, _is_blank, _not_offered, _require, normalised_answer, question_key
from examkit.io.tables import ROW, read_table
from examkit.settings.columns import load_columns

# --------------------------------------------------------------------------- the answer key


# --------------------------------------------------------------------------- scoring


@dataclass
class TheoryScores:
    """Scored responses.

    ``per_question``: ``candidate_no``, ``question_id``, ``response`` (normalised; null if blank),
    ``status`` (ok | blank | malformed), ``correct`` (Int8: 1 = full credit), ``points`` (awarded), ``max``.
    ``totals``: ``candidate_no``, ``_row``, ``raw`` (sum of points), ``mark`` (rounded down to the item's
    step), ``max``. ``findings``: blank/malformed answers (warnings), unusable rows (errors).
    """

    file: Path
    key: TheoryKey
    partial_credit: str
    per_question: pl.DataFrame
    totals: pl.DataFrame
    findings: list = field(default_factory=list)
    candidate_header: str = "candidate_no"  # the candidate column as the user headed it

    def correctness(self) -> pl.DataFrame:
        """Long 0/1 frame for item analysis (KR-20): ``candidate_no``, ``question_id``, ``correct``."""
        return self.per_question.select("candidate_no", "question_id", "correct")


def score_responses(
    path: str | os.PathLike,
    key: TheoryKey,
    *,
    partial_credit: str = DEFAULT_PARTIAL_CREDIT,
    item: Item | None = None,
    columns: dict | None = None,
) -> TheoryScores:
    """Score a responses export against ``key``; bad rows and answers become findings, never exceptions.

    When ``item`` (the rubric's theory item) is given, the key's points must add up to its maximum.
    Raises ``ValidationFailed`` only when the file's header lacks a question of the key.
    """
    if partial_credit not in PARTIAL_CREDIT_RULES:
        raise ConfigError(
            t("theory.bad_policy", file="policy.yaml", value=partial_credit, accepted="none | proportional")
        )
    if item is not None and abs(key.total - item.max) > 1e-9:
        raise RubricError(
            t("theory.key_total", file=str(key.file), total=f"{key.total:g}", item=item.id, max=f"{item.max:g}")
        )
    step = item.step if item is not None else None
    columns = columns or load_columns()
    first = read_table(path, "theory_responses", columns)
    _require(first, columns["theory_responses"], ("candidate_no",))
    file = first.file
    by_key = {question_key(h): h for h in reversed(first.unknown)}  # first header wins on a clash
    key_q = key.frame.get_column("question_id").to_list()
    missing = [q for q in key_q if q not in by_key]
    if missing:
        shown = key.frame.filter(pl.col("question_id").is_in(missing)).get_column("question").to_list()
        raise ValidationFailed(
            t(
                "theory.missing_questions",
                file=str(file),
                questions=", ".join(shown),
                found=", ".join(first.unknown[:10]),
            ),
            [],
        )
    # second pass: the same file with each question's column mapped to a canonical ``q:<id>`` name
    mapping = {**columns, "theory_responses": {**columns["theory_responses"]}}
    mapping["theory_responses"].update({f"q:{q}": [by_key[q]] for q in key_q})
    table = read_table(path, "theory_responses", mapping)
    extra = [h for h in table.unknown]
    frame = table.frame

    findings = _row_findings(table, frame)
    findings += _extra_column_findings(file, extra)
    skip = {f.row for f in findings if f.row is not None and f.row > 1}
    usable = frame.filter(~pl.col(ROW).is_in(sorted(skip))).with_columns(
        pl.col("candidate_no").str.normalize("NFKC").str.strip_chars()
    )

    qmap = pl.DataFrame({"qcol": [f"q:{q}" for q in key_q], "header": [by_key[q] for q in key_q]})
    long = (
        usable.unpivot(
            index=[ROW, "candidate_no"], on=[f"q:{q}" for q in key_q], variable_name="qcol", value_name="raw"
        )
        .join(qmap, on="qcol", how="left")
        .with_columns(pl.col("qcol").str.slice(2).alias("question_id"))
        .join(key.frame.select("question_id", "answer", "points", "options", "order"), on="question_id", how="left")
        .with_columns(normalised_answer("raw").alias("norm"))
    )
    letters_ok = pl.col("norm").str.contains(r"^[A-Z]+$")
    outside = pl.col("options").is_not_null() & (_not_offered("norm", "options"))
    status = (
        pl.when(_is_blank("raw"))
        .then(pl.lit("blank"))
        .when(~letters_ok | outside)
        .then(pl.lit("malformed"))
        .otherwise(pl.lit("ok"))
    )
    long = long.with_columns(status.alias("status"))
    ok = pl.col("status") == "ok"
    exact = ok & (pl.col("norm") == pl.col("answer"))
    chosen = pl.col("norm").str.split("")
    right = pl.col("answer").str.split("")
    if partial_credit == "proportional":
        no_wrong = chosen.list.set_difference(right).list.len() == 0
        share = chosen.list.set_intersection(right).list.len().cast(pl.Float64) / right.list.len().cast(pl.Float64)
        multi = pl.col("answer").str.len_chars() > 1
        awarded = (
            pl.when(exact)
            .then(pl.col("points"))
            .when(ok & multi & no_wrong)
            .then(pl.col("points") * share)
            .otherwise(0.0)
        )
    else:
        awarded = pl.when(exact).then(pl.col("points")).otherwise(0.0)
    long = long.with_columns(
        exact.fill_null(False).cast(pl.Int8).alias("correct"),
        awarded.fill_null(0.0).cast(pl.Float64).alias("awarded"),
    )
    findings += _answer_findings(file, long)
    per_question = long.sort(ROW, "order").select(
        "candidate_no",
        "question_id",
        pl.when(pl.col("status") == "blank").then(None).otherwise(pl.col("norm")).alias("response"),
        "status",
        "correct",
        pl.col("awarded").alias("points"),
        pl.col("points").alias("max"),
    )
    raw_total = pl.col("awarded").sum().round(6)
    totals = (
        long.group_by(ROW, "candidate_no", maintain_order=True)
        .agg(raw_total.alias("raw"))
        .with_columns(_round_down(pl.col("raw"), step).alias("mark"), pl.lit(key.total).alias("max"))
        .sort(ROW)
        .select("candidate_no", ROW, "raw", "mark", "max")
    )
    return TheoryScores(
        file=file,
        key=key,
        partial_credit=partial_credit,
        per_question=per_question,
        totals=totals,
        findings=sorted(findings, key=lambda f: (f.row or 0, f.column)),
        candidate_header=table.header("candidate_no"),
    )


def _round_down(e: pl.Expr, step: float | None) -> pl.Expr:
    if not step:
        return e.round(2)
    return ((e / step + 1e-9).floor() * step).round(2)


def _finding(file: Path, row: int, column: str, value: str, rule: str, severity: str, **extra: object):
    return Finding(
        file=str(file),
        row=row,
        column=column,
        value=value,
        rule=rule,
        severity=severity,
        message=t(rule, file=file.name, row=row, column=column, value=value, **extra),
    )


def _row_findings(table, frame: pl.DataFrame) -> list:
    """Rows that cannot be scored: blank or duplicate candidate numbers (errors; the rows are skipped)."""
    header = table.header("candidate_no")
    cand = pl.col("candidate_no").str.normalize("NFKC").str.strip_chars()
    checks = (
        (_is_blank("candidate_no"), "theory.blank_candidate"),
        (~_is_blank("candidate_no") & cand.is_duplicated(), "theory.duplicate_candidate"),
    )
    out = []
    for condition, rule in checks:
        for row, value in frame.filter(condition).select(ROW, "candidate_no").iter_rows():
            out.append(_finding(table.file, int(row), header, value or "", rule, "error"))
    return out


def _extra_column_findings(file: Path, extra: list[str]) -> list:
    return [_finding(file, 1, h, h, "theory.unknown_column", "warning") for h in extra]


def _answer_findings(file: Path, long: pl.DataFrame) -> list:
    """Blank and malformed answers (warnings: they score 0 and the rest of the row still counts)."""
    bad = long.filter(pl.col("status") != "ok").select(ROW, "header", "raw", "status", "options").sort(ROW, "header")
    out = []
    for row, header, raw, status, options in bad.iter_rows():
        accepted = options or "A–Z"
        rule = "theory.blank_answer" if status == "blank" else "theory.malformed_answer"
        out.append(_finding(file, int(row), header, raw or "", rule, "warning", accepted=accepted))
    return out


def summary(scores: TheoryScores) -> pl.DataFrame:
    """Per question: ``candidates`` (scored rows), ``answered`` (not blank; an unrecognised answer is an answer),
    ``blank``, ``malformed``, ``facility`` (share of all candidates fully correct; a blank scores 0)."""
    return scores.per_question.group_by("question_id", maintain_order=True).agg(
        pl.len().alias("candidates"),
        (pl.col("status") != "blank").sum().alias("answered"),
        (pl.col("status") == "blank").sum().alias("blank"),
        (pl.col("status") == "malformed").sum().alias("malformed"),
        pl.col("correct").cast(pl.Float64).mean().alias("facility"),
    )


# --------------------------------------------------------------------------- into the gradebook
