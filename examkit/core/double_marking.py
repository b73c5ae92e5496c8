"""Double marking: the tolerance rule and the final score when two graders disagree (labelled defaults, not official)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

FINAL_RULES = ("mean", "arbiter")


STATUSES = ("incomplete", "agreed", "awaiting_arbitration", "arbitrated")


# examkit's fallback when policy.yaml has no double_marking block (labelled default, not official)
DEFAULT_TOLERANCE = 5.0


DEFAULT_FINAL_RULE = "mean"


_ROUND = 2  # totals are compared at 2 decimals, like the pass mark


@dataclass(frozen=True)
class DoubleMarkingPolicy:
    """Tolerance in points and the final-score rule (``mean`` or ``arbiter``)."""

    tolerance: float = DEFAULT_TOLERANCE
    final_rule: str = DEFAULT_FINAL_RULE
    source: str = "default"


def exceeds_tolerance(first: float, second: float, tolerance: float) -> bool:
    """True when the two totals differ by more than ``tolerance`` (compared at 2 decimals)."""
    return round(abs(round(first, _ROUND) - round(second, _ROUND)), _ROUND) > tolerance


def difference(first: str | pl.Expr = "first", second: str | pl.Expr = "second") -> pl.Expr:
    """|first − second| at 2 decimals, as an expression (null when either is null)."""
    a = pl.col(first) if isinstance(first, str) else first
    b = pl.col(second) if isinstance(second, str) else second
    return (a.round(_ROUND) - b.round(_ROUND)).abs().round(_ROUND)


def resolve(totals: pl.DataFrame | pl.LazyFrame, policy: DoubleMarkingPolicy) -> pl.DataFrame:
    """Status, weights and final total per candidate.

    ``totals`` has ``candidate_no``, ``first``, ``second`` and ``third`` (the arbiter's; the column
    may be absent) as nullable floats. Adds ``diff``, ``status`` (one of ``STATUSES``), the weights
    ``w_first``/``w_second``/``w_third`` (summing to 1 where a final exists, else null) and ``final``.
    """
    lf = totals.lazy()
    if "third" not in lf.collect_schema().names():
        lf = lf.with_columns(pl.lit(None, dtype=pl.Float64).alias("third"))
    lf = lf.with_columns(pl.col("first", "second", "third").cast(pl.Float64), difference().alias("diff"))
    both = pl.col("first").is_not_null() & pl.col("second").is_not_null()
    over = pl.col("diff") > policy.tolerance
    status = (
        pl.when(~both)
        .then(pl.lit("incomplete"))
        .when(~over)
        .then(pl.lit("agreed"))
        .when(pl.col("third").is_null())
        .then(pl.lit("awaiting_arbitration"))
        .otherwise(pl.lit("arbitrated"))
    )
    lf = lf.with_columns(status.alias("status"))
    d1 = (pl.col("third") - pl.col("first")).abs()
    d2 = (pl.col("third") - pl.col("second")).abs()
    agreed = pl.col("status") == "agreed"
    arbitrated = pl.col("status") == "arbitrated"
    if policy.final_rule == "arbiter":
        w1 = pl.when(agreed).then(0.5).when(arbitrated).then(0.0)
        w2 = w1
    else:  # mean: the arbiter with the nearer of the first two; equally near → the arbiter alone
        w1 = pl.when(agreed).then(0.5).when(arbitrated & (d1 < d2)).then(0.5).when(arbitrated).then(0.0)
        w2 = pl.when(agreed).then(0.5).when(arbitrated & (d2 < d1)).then(0.5).when(arbitrated).then(0.0)
    lf = lf.with_columns(w1.alias("w_first"), w2.alias("w_second"))
    lf = lf.with_columns(
        pl.when(agreed | arbitrated).then(1.0 - pl.col("w_first") - pl.col("w_second")).alias("w_third")
    )
    final = (
        pl.col("w_first") * pl.col("first").fill_null(0.0)
        + pl.col("w_second") * pl.col("second").fill_null(0.0)
        + pl.col("w_third") * pl.col("third").fill_null(0.0)
    ).round(_ROUND)
    return lf.with_columns(final.alias("final")).collect()
