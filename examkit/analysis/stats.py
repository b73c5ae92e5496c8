"""Small, numerically careful statistics for exam analytics.

- Wilson score interval for a pass rate (scalar and as a polars expression).
- Cronbach's α and KR-20 (internal consistency), corrected item–total correlation.

Reliability functions work on LONG frames (one row per candidate and item), the shape
``Gradebook.item_marks`` returns, so nothing is pivoted and everything stays vectorised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import polars as pl

from examkit.core.policy import CONFIDENCE, MIN_N_RELIABILITY


def z_value(confidence: float = CONFIDENCE) -> float:
    """Two-sided standard-normal quantile for ``confidence`` (1.95996… for 95%)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Wilson score interval for ``k`` successes out of ``n``; ``None`` when ``n`` is 0."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    z = z_value(confidence)
    z2 = z * z
    denom = n + z2
    center = (k + z2 / 2) / denom
    # k(n-k)/n instead of n·p(1-p): no cancellation when p is near 0 or 1
    half = z * math.sqrt(k * (n - k) / n + z2 / 4) / denom
    low = 0.0 if k == 0 else max(0.0, center - half)
    high = 1.0 if k == n else min(1.0, center + half)
    return low, high


def wilson_exprs(k: str | pl.Expr, n: str | pl.Expr, confidence: float = CONFIDENCE) -> tuple[pl.Expr, pl.Expr]:
    """``(low, high)`` Wilson bounds as polars expressions over count columns (null where n is 0)."""
    k = (pl.col(k) if isinstance(k, str) else k).cast(pl.Float64)
    n = (pl.col(n) if isinstance(n, str) else n).cast(pl.Float64)
    z = z_value(confidence)
    z2 = z * z
    denom = n + z2
    center = (k + z2 / 2) / denom
    half = z * (k * (n - k) / n + z2 / 4).sqrt() / denom
    low = pl.when(n <= 0).then(None).when(k <= 0).then(0.0).otherwise((center - half).clip(0.0, 1.0))
    high = pl.when(n <= 0).then(None).when(k >= n).then(1.0).otherwise((center + half).clip(0.0, 1.0))
    return low, high


# --------------------------------------------------------------------------- reliability


@dataclass(frozen=True)
class Reliability:
    """An internal-consistency coefficient with the counts it rests on."""

    method: str  # "alpha" | "kr20"
    value: float | None  # None when undefined (fewer than 2 items or candidates, no variance)
    n: int  # candidates with a mark on every item
    k: int  # items
    warning: str | None = None  # "too_few_candidates" | "too_few_items" | "no_variance" | None


def _complete(marks: pl.LazyFrame, subject: str, item: str, value: str) -> tuple[pl.LazyFrame, int, int]:
    """Rows of subjects that have a value for every item (complete cases), with n and k."""
    marks = marks.filter(pl.col(value).is_not_null())
    k = marks.select(pl.col(item).n_unique()).collect().item()
    keep = marks.group_by(subject).agg(pl.col(item).n_unique().alias("_k")).filter(pl.col("_k") == k).select(subject)
    complete = marks.join(keep, on=subject, how="semi")
    n = complete.select(pl.col(subject).n_unique()).collect().item()
    return complete, int(n), int(k)


def _variance_ratio(complete: pl.LazyFrame, subject: str, item: str, value: str, ddof: int) -> tuple[float, float]:
    """(sum of item variances, variance of totals), both with the same ``ddof``."""
    item_var = complete.group_by(item).agg(pl.col(value).cast(pl.Float64).var(ddof=ddof).alias("v"))
    sum_item_var = item_var.select(pl.col("v").sum()).collect().item()
    totals = complete.group_by(subject).agg(pl.col(value).cast(pl.Float64).sum().alias("t"))
    total_var = totals.select(pl.col("t").var(ddof=ddof)).collect().item()
    return float(sum_item_var or 0.0), float(total_var or 0.0)


def _coefficient(
    method: str, marks: pl.LazyFrame | pl.DataFrame, subject: str, item: str, value: str, min_n: int, ddof: int
) -> Reliability:
    complete, n, k = _complete(marks.lazy(), subject, item, value)
    if k < 2:
        return Reliability(method, None, n, k, "too_few_items")
    if n < 2:
        return Reliability(method, None, n, k, "too_few_candidates")
    sum_item_var, total_var = _variance_ratio(complete, subject, item, value, ddof)
    if total_var <= 0 or not math.isfinite(total_var):
        return Reliability(method, None, n, k, "no_variance")
    value_ = (k / (k - 1)) * (1.0 - sum_item_var / total_var)
    return Reliability(method, value_, n, k, "too_few_candidates" if n < min_n else None)


def cronbach_alpha(
    marks: pl.LazyFrame | pl.DataFrame,
    *,
    subject: str = "candidate_no",
    item: str = "item_id",
    value: str = "mark",
    min_n: int = MIN_N_RELIABILITY,
) -> Reliability:
    """Cronbach's α = k/(k−1)·(1 − Σ var(item) / var(total)) over complete cases of a long frame."""
    return _coefficient("alpha", marks, subject, item, value, min_n, ddof=1)


def kr20(
    correct: pl.LazyFrame | pl.DataFrame,
    *,
    subject: str = "candidate_no",
    item: str = "question_id",
    value: str = "correct",
    min_n: int = MIN_N_RELIABILITY,
) -> Reliability:
    """KR-20 = k/(k−1)·(1 − Σ p·q / var(total)) for right/wrong (1/0 or bool) items of a long frame.

    p·q is the population variance of a 0/1 item, so the total's variance is the population one too.
    """
    frame = correct.lazy().with_columns(pl.col(value).cast(pl.Float64))
    return _coefficient("kr20", frame, subject, item, value, min_n, ddof=0)


def corrected_item_total(
    marks: pl.LazyFrame | pl.DataFrame,
    *,
    subject: str = "candidate_no",
    item: str = "item_id",
    value: str = "mark",
) -> pl.DataFrame:
    """Per item: Pearson r between the item and the total of the OTHER items (complete cases).

    Columns: ``item``, ``n``, ``r`` (null when either side has no variance or n < 3).
    """
    complete, _n, _k = _complete(marks.lazy(), subject, item, value)
    complete = complete.with_columns(pl.col(value).cast(pl.Float64))
    rest = (pl.col(value).sum().over(subject) - pl.col(value)).alias("_rest")
    out = (
        complete.with_columns(rest)
        .group_by(item)
        .agg(
            pl.len().alias("n"),
            pl.col(value).std().alias("_sx"),
            pl.col("_rest").std().alias("_sy"),
            pl.corr(value, "_rest").alias("r"),
        )
        .with_columns(
            pl.when((pl.col("n") >= 3) & (pl.col("_sx") > 0) & (pl.col("_sy") > 0))
            .then(pl.col("r"))
            .otherwise(None)
            .alias("r")
        )
        .select(item, pl.col("n").cast(pl.Int64), "r")
        .sort(item)
    )
    return out.collect()
