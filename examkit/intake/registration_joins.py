"""Registration rows joined with what they are checked against: the schools list and earlier passes."""

from __future__ import annotations

import polars as pl

from examkit.core import text as nz
from examkit.io.tables import ROW


def _join_schools(lf: pl.LazyFrame, schools: pl.DataFrame | None) -> pl.LazyFrame:
    """The school's and the exam site's entries in the schools list (``s_*`` and ``site_*``; null without one)."""
    if schools is None:
        return lf.with_columns(
            *[pl.lit(None, pl.String).alias(c) for c in ("s_name", "s_province", "site_province")],
            *[pl.lit(None, pl.Boolean).alias(c) for c in ("s_known", "s_pilot", "s_filed", "s_trained")],
            *[pl.lit(None, pl.Boolean).alias(c) for c in ("site_pilot", "site_filed")],
        )
    s = schools.lazy().unique("school_code", keep="first")
    school = s.select(
        pl.col("school_code").alias("n_school_code"),
        pl.col("school_name").alias("s_name"),
        pl.col("province").alias("s_province"),
        pl.lit(True).alias("s_known"),
        pl.col("is_pilot").alias("s_pilot"),
        pl.col("filed").alias("s_filed"),
        pl.col("teacher_cert").is_not_null().alias("s_trained"),
    )
    site = s.select(
        pl.col("school_code").alias("n_site_code"),
        pl.col("is_pilot").alias("site_pilot"),
        pl.col("filed").alias("site_filed"),
        pl.col("province").alias("site_province"),  # where a social or non-pilot candidate sits (借考)
    )
    return (
        lf.join(school, on="n_school_code", how="left", nulls_equal=False)
        .join(site, on="n_site_code", how="left", nulls_equal=False)
        .with_columns(pl.col("s_known").fill_null(False))
    )


def _join_passes(lf: pl.LazyFrame, passes: pl.DataFrame | None) -> pl.LazyFrame:
    if passes is None or passes.height == 0:
        return lf.with_columns(pl.lit(None, pl.String).alias("passed_batch"))
    p = passes.lazy().select(
        nz.id_number(pl.col("id_number")).alias("n_id_number"),
        pl.col("level").alias("n_level"),
        (pl.col("batch") if "batch" in passes.columns else pl.lit("")).cast(pl.String).alias("passed_batch"),
    )
    earlier = (
        lf.select(ROW, "n_id_number", "n_level", "n_batch")
        .join(p, on=["n_id_number", "n_level"], how="inner")
        .filter((pl.col("passed_batch") < pl.col("n_batch")) | (pl.col("passed_batch") == ""))
        .group_by(ROW)
        .agg(pl.col("passed_batch").min())
    )
    return lf.join(earlier, on=ROW, how="left")
