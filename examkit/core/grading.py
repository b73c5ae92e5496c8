"""Grading rules as plain functions: checking a mark, totals, pass/fail, finding candidates.

The grading form (``examkit.notebook.widgets``), the score-sheet import and the gradebook call these;
none of them touches the database.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from examkit.core.i18n import t
from examkit.core.notice import Notice
from examkit.core.rounding import round_half_up_expr
from examkit.core.rubric import Item, Rubric
from examkit.core.text import header_key

EPS = 1e-6
STATUSES = ("graded", "absent", "void", "ungraded")
FLAGS = ("absent", "void")


@dataclass(frozen=True)
class MarkCheck:
    """A mark as typed, checked against its item: ``value`` (None = blank) or ``error`` with its ``rule``."""

    value: float | None
    error: str | None = None
    rule: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def accepted(item: Item, lang: str | None = None) -> str:
    """What a mark for ``item`` may be, as told to the user (range and step)."""
    return t("grading.accepted", lang, max=f"{item.max:g}", step=f"{item.step:g}")


def parse_number(raw: object) -> float | None:
    """A typed number: full-width digits and spaces tolerated; blank → None; raises ``ValueError``."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = "".join(unicodedata.normalize("NFKC", str(raw)).split())
        if text == "":
            return None
        value = float(text)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def check_mark(raw: object, item: Item, lang: str | None = None) -> MarkCheck:
    """Check a mark for ``item``: a number from 0 to its maximum, on its step (blank is allowed: not graded)."""
    fields = {
        "item": item.name(lang),
        "value": "" if raw is None else str(raw).strip(),
        "accepted": accepted(item, lang),
    }
    try:
        value = parse_number(raw)
    except ValueError:
        return MarkCheck(None, t("grading.not_number", lang, **fields), "not_number")
    if value is None:
        return MarkCheck(None)
    if value < -EPS:
        return MarkCheck(None, t("grading.negative", lang, **fields), "negative")
    if value > item.max + EPS:
        return MarkCheck(None, t("grading.over_max", lang, **fields, max=f"{item.max:g}"), "over_max")
    steps = value / item.step
    if abs(steps - round(steps)) > EPS:
        return MarkCheck(None, t("grading.off_step", lang, **fields, step=f"{item.step:g}"), "off_step")
    return MarkCheck(round(round(steps) * item.step, 6))


def partial_total(values: Mapping[str, float | None]) -> float:
    """The sum of the marks entered so far (blank items count nothing), to 2 decimals."""
    return round(sum(v for v in values.values() if v is not None), 2)


def total(values: Mapping[str, float | None], rubric: Rubric) -> float | None:
    """The total, to 2 decimals, once every rubric item has a mark; else None."""
    if any(values.get(i.id) is None for i in rubric.items):
        return None
    return partial_total({i.id: values[i.id] for i in rubric.items})


def status_of(values: Mapping[str, float | None], flag: str | None, rubric: Rubric) -> str:
    """``absent`` / ``void`` when flagged, else ``graded`` once every item has a mark, else ``ungraded``."""
    if flag in FLAGS:
        return str(flag)
    return "graded" if total(values, rubric) is not None else "ungraded"


def verdict(status: str, total_: float | None, notice: Notice) -> bool | None:
    """Pass (True) / fail (False) / not decided (None): the results frame's ``passed`` rule."""
    if status == "void":
        return False
    if status != "graded" or total_ is None:
        return None
    return notice.passes(round(total_, 2))


def passed_expr(pass_mark: float) -> pl.Expr:
    """``passed`` as a polars expression over ``status`` and ``total`` (same rule as ``verdict``)."""
    return (
        pl.when(pl.col("status") == "graded")
        .then(pl.col("total").round(2) >= pass_mark)
        .when(pl.col("status") == "void")
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
        .alias("passed")
    )


# --------------------------------------------------------------------------- moving around a batch


@dataclass(frozen=True)
class Progress:
    graded: int
    absent: int
    void: int
    ungraded: int

    @property
    def total(self) -> int:
        return self.graded + self.absent + self.void + self.ungraded

    @property
    def done(self) -> int:
        """Candidates needing no more grading (graded, absent or void)."""
        return self.total - self.ungraded

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 1.0


def progress(results: pl.DataFrame) -> Progress:
    """Counts per status of a results frame."""
    counts = dict(results.group_by("status").len().iter_rows())
    return Progress(*(int(counts.get(s, 0)) for s in STATUSES))


def next_ungraded(results: pl.DataFrame, current: str | None = None) -> str | None:
    """The first ungraded candidate after ``current`` in candidate-number order, wrapping round; None when done."""
    todo = results.filter(pl.col("status") == "ungraded").get_column("candidate_no").sort()
    if todo.len() == 0:
        return None
    if current is not None:
        after = todo.filter(todo > current)
        if after.len():
            return str(after[0])
    return str(todo[0])


def search(candidates: pl.DataFrame, query: str, limit: int = 50) -> pl.DataFrame:
    """Candidates whose number or name contains ``query`` (exact number first); all when ``query`` is blank."""
    q = header_key(query or "")
    if not q:
        return candidates.head(limit)
    hit = pl.col("candidate_no").str.to_lowercase().str.contains(q, literal=True) | pl.col("name").fill_null(
        ""
    ).str.to_lowercase().str.contains(q, literal=True)
    return (
        candidates.filter(hit)
        .with_columns((pl.col("candidate_no") != q).alias("_rank"))
        .sort("_rank", "candidate_no")
        .drop("_rank")
        .head(limit)
    )


def grader_summary(marks: pl.DataFrame) -> pl.DataFrame:
    """Per grader: candidates and marks entered, their average as a share of the maxima, and everyone else's.

    ``marks`` holds current marks with ``grader``, ``candidate_no``, ``mark`` and ``max`` (blank marks ignored).
    Marks of auto-scored items (``auto_scored``: the theory paper scored from its answer key) are left out:
    whoever ran that import did not grade, and a theory share is no yardstick for practical marking.
    """
    m = marks.filter(pl.col("mark").is_not_null())
    if "auto_scored" in m.columns:
        m = m.filter(~pl.col("auto_scored").fill_null(False))
    all_sum, all_max = m.get_column("mark").sum(), m.get_column("max").sum()
    return (
        m.group_by("grader")
        .agg(
            pl.col("candidate_no").n_unique().alias("candidates"),
            pl.len().alias("marks"),
            pl.col("mark").sum().alias("_s"),
            pl.col("max").sum().alias("_m"),
        )
        .with_columns(
            round_half_up_expr(pl.col("_s") / pl.col("_m") * 100, 1).alias("mean_pct"),
            round_half_up_expr(
                pl.when(pl.lit(all_max) - pl.col("_m") > 0)
                .then((pl.lit(all_sum) - pl.col("_s")) / (pl.lit(all_max) - pl.col("_m")) * 100)
                .otherwise(None),
                1,
            ).alias("others_pct"),
        )
        .with_columns(round_half_up_expr(pl.col("mean_pct") - pl.col("others_pct"), 1).alias("difference"))
        .drop("_s", "_m")
        .sort("grader")
    )


# --------------------------------------------------------------------------- grading status (reports)
