"""Double marking: when two graders disagree, who decides, the final score, and how well they agree.

Rules (labelled defaults in ``params/policy.yaml`` → ``double_marking``; the notice fixes none of them):

- *Discrepancy*: the two graders' totals (rounded to 2 decimals) differ by MORE than ``tolerance``
  points → the candidate goes to a third grader (the arbiter). A difference equal to the tolerance
  is still agreement.
- *Final score*: within tolerance, the mean of the two. After arbitration, per ``final_rule``:
  ``mean`` = the mean of the arbiter's and the nearer of the first two (if both are equally near,
  the arbiter's, which is then the mean of all three); ``arbiter`` = the arbiter's alone.
  Each rule is expressed as weights on the three graders, so item marks follow the same rule.
- *Agreement*: exact agreement and agreement within tolerance (shares of candidates marked by
  both), and the intraclass correlation ICC(2,1) (two-way random effects, absolute agreement,
  single rater; Shrout & Fleiss 1979) with ICC(3,1) (consistency) beside it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from examkit.exceptions import ConfigError
from examkit.i18n import t

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


def load_policy(params_dir: str | os.PathLike | None = None) -> DoubleMarkingPolicy:
    """The ``double_marking`` settings of ``policy.yaml`` (shipped defaults when absent)."""
    from examkit.config import load_settings
    from examkit.resources import settings_file

    file = str(settings_file("policy.yaml", params_dir))
    block = load_settings("policy.yaml", params_dir).get("double_marking") or {}
    if not isinstance(block, dict):
        raise ConfigError(t("agreement.bad_policy", file=file, key="double_marking", value=block, accepted="{...}"))
    tol_raw = block.get("tolerance", DEFAULT_TOLERANCE)
    try:
        tolerance = float(tol_raw)
    except (TypeError, ValueError):
        tolerance = -1.0
    if not math.isfinite(tolerance) or tolerance < 0:
        raise ConfigError(
            t("agreement.bad_policy", file=file, key="double_marking.tolerance", value=tol_raw, accepted=">= 0")
        )
    rule = str(block.get("final_rule", DEFAULT_FINAL_RULE)).strip().lower()
    if rule not in FINAL_RULES:
        raise ConfigError(
            t(
                "agreement.bad_policy",
                file=file,
                key="double_marking.final_rule",
                value=block.get("final_rule"),
                accepted=" | ".join(FINAL_RULES),
            )
        )
    return DoubleMarkingPolicy(tolerance=tolerance, final_rule=rule, source=file)


# --------------------------------------------------------------------------- the discrepancy rule


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


# --------------------------------------------------------------------------- agreement statistics


@dataclass(frozen=True)
class ICC:
    """Intraclass correlations of an n targets × k raters table (Shrout & Fleiss 1979)."""

    icc1: float | None  # ICC(1,1): one-way random
    icc2: float | None  # ICC(2,1): two-way random, absolute agreement
    icc3: float | None  # ICC(3,1): two-way mixed, consistency
    n: int
    k: int


def icc(table: np.ndarray | list[list[float]]) -> ICC:
    """ICC(1,1), ICC(2,1) and ICC(3,1) from the two-way ANOVA mean squares of a complete table.

    BMS = k·Σ(rowmean−M)²/(n−1), JMS = n·Σ(colmean−M)²/(k−1),
    EMS = (SST − k·Σ(rowmean−M)² − n·Σ(colmean−M)²)/((n−1)(k−1)), WMS = (SST − k·Σ(rowmean−M)²)/(n(k−1));
    ICC(1,1) = (BMS−WMS)/(BMS+(k−1)WMS), ICC(2,1) = (BMS−EMS)/(BMS+(k−1)EMS+k(JMS−EMS)/n),
    ICC(3,1) = (BMS−EMS)/(BMS+(k−1)EMS). ``None`` where undefined (n < 2, k < 2, zero denominator).
    """
    x = np.asarray(table, dtype=float)
    if x.ndim != 2:
        raise ValueError("icc needs a 2-D table (targets × raters)")
    n, k = x.shape
    if n < 2 or k < 2 or not np.isfinite(x).all():
        return ICC(None, None, None, int(n), int(k))
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    ems = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
    wms = (ss_total - ss_rows) / (n * (k - 1))

    def ratio(num: float, den: float) -> float | None:
        return float(num / den) if abs(den) > 1e-12 else None

    return ICC(
        icc1=ratio(bms - wms, bms + (k - 1) * wms),
        icc2=ratio(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        icc3=ratio(bms - ems, bms + (k - 1) * ems),
        n=int(n),
        k=int(k),
    )


@dataclass(frozen=True)
class Agreement:
    """How well the first two graders agree, over candidates both have marked."""

    n: int  # candidates marked by both
    exact: float | None  # share with identical totals
    within: float | None  # share with |difference| <= tolerance
    mean_abs_diff: float | None
    icc: ICC
    tolerance: float
    final_rule: str
    awaiting: list[str] = field(default_factory=list)  # candidate numbers waiting for a third grader
    arbitrated: int = 0


def agreement(totals: pl.DataFrame | pl.LazyFrame, policy: DoubleMarkingPolicy) -> Agreement:
    """Agreement statistics and the arbitration queue from a ``resolve``-shaped totals frame."""
    resolved = totals if isinstance(totals, pl.DataFrame) and "status" in totals.columns else resolve(totals, policy)
    pairs = resolved.filter(pl.col("first").is_not_null() & pl.col("second").is_not_null())
    n = pairs.height
    summary = pairs.select(
        (pl.col("diff") == 0).mean().alias("exact"),
        (pl.col("diff") <= policy.tolerance).mean().alias("within"),
        pl.col("diff").mean().alias("mad"),
    ).row(0, named=True)
    awaiting = resolved.filter(pl.col("status") == "awaiting_arbitration").sort("candidate_no")
    return Agreement(
        n=n,
        exact=summary["exact"] if n else None,
        within=summary["within"] if n else None,
        mean_abs_diff=summary["mad"] if n else None,
        icc=icc(pairs.select("first", "second").to_numpy()) if n else ICC(None, None, None, 0, 2),
        tolerance=policy.tolerance,
        final_rule=policy.final_rule,
        awaiting=awaiting.get_column("candidate_no").cast(pl.String).to_list(),
        arbitrated=resolved.filter(pl.col("status") == "arbitrated").height,
    )


def agreement_table(a: Agreement) -> pl.DataFrame:
    """The agreement figures as a two-column display table (message catalog labels)."""

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:.1%}"

    def num(v: float | None) -> str:
        return "—" if v is None else f"{v:.3f}"

    rows = [
        (t("agreement.n"), str(a.n)),
        (t("agreement.exact"), pct(a.exact)),
        (t("agreement.within", tolerance=f"{a.tolerance:g}"), pct(a.within)),
        (t("agreement.mean_abs_diff"), num(a.mean_abs_diff)),
        (t("agreement.icc2"), num(a.icc.icc2)),
        (t("agreement.icc3"), num(a.icc.icc3)),
        (t("agreement.awaiting"), str(len(a.awaiting))),
        (t("agreement.arbitrated"), str(a.arbitrated)),
        (t("agreement.final_rule"), t(f"agreement.rule_{a.final_rule}")),
    ]
    return pl.DataFrame(
        {t("agreement.measure"): [r[0] for r in rows], t("agreement.value"): [r[1] for r in rows]},
        schema={t("agreement.measure"): pl.String, t("agreement.value"): pl.String},
    )
