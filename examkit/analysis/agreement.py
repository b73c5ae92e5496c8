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

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from examkit.core.double_marking import DoubleMarkingPolicy, resolve
from examkit.core.i18n import t

# --------------------------------------------------------------------------- the discrepancy rule


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
