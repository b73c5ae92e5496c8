"""What a pass-rate report shared across schools may disclose about small groups.

A group with fewer than the policy's ``small_group_min_sat`` candidates who sat shows registered
and sat only: its passed count would tell every reader how its few candidates did. Hiding it is
not enough when the table's total is shown (in the same table or elsewhere in the report): the
total minus the groups shown gives the hidden groups' passed count back. So when the hidden
groups together have fewer than ``min_sat`` candidates who sat, the next smallest groups are
withheld as well, until the hidden groups together reach ``min_sat`` (or no group is left, and the
table shows its total without a breakdown).
"""

from __future__ import annotations

import polars as pl

# Columns a suppressed group keeps: who registered and who sat (absent = registered − sat).
KEPT_COLUMNS = ("registered", "absent", "sat")
# Outcome columns a suppressed group loses (set to null), when the frame has them.
OUTCOME_COLUMNS = ("passed", "void", "ungraded", "assessed", "pass_rate", "ci_low", "ci_high", "provisional")


def suppress(rates: pl.DataFrame, min_sat: int, keep: pl.Expr | None = None) -> pl.DataFrame:
    """Add ``withheld`` (hidden only so that no small group can be recovered by subtraction) and
    ``suppressed`` (``small_group`` or ``withheld``).

    ``rates`` has ``sat`` and ``small_group`` (and ``registered`` when known). Groups matching
    ``keep`` are published elsewhere in the report, so withholding them would protect nothing:
    they are never chosen. Among equally small candidates the first in the frame's order goes.
    """
    has_reg = "registered" in rates.columns
    idx = rates.with_row_index("_i")
    hidden_sat = int(idx.filter(pl.col("small_group")).get_column("sat").sum() or 0)
    exposed = idx.filter(pl.col("small_group") & (pl.col("sat") > 0)).height > 0
    need = min_sat - hidden_sat
    withheld: list[int] = []
    if exposed and need > 0:
        pool = idx.filter(~pl.col("small_group") & (pl.col("sat") > 0))
        if keep is not None:
            pool = pool.filter(~keep.fill_null(False))
        pool = pool.sort(["sat", *(["registered"] if has_reg else []), "_i"])
        # take groups in order while the hidden total before each one is still short of min_sat
        before = pl.col("sat").cum_sum() - pl.col("sat")
        withheld = pool.filter(before < need).get_column("_i").to_list()
    flag = pl.col("_i").is_in(withheld)
    return idx.with_columns(flag.alias("withheld"), (pl.col("small_group") | flag).alias("suppressed")).drop("_i")


def hide_outcomes(rates: pl.DataFrame) -> pl.DataFrame:
    """Null every outcome column (passed, void, ungraded, rate, interval…) of the suppressed groups."""
    cols = [c for c in OUTCOME_COLUMNS if c in rates.columns]
    return rates.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in cols)
