"""Pass-rate analytics: pure functions over polars (lazy) frames of the canonical contracts.

Definitions (the notice's numbers are read from the notice, the rest from ``params/policy.yaml``):
- passed: status ``graded`` and total (rounded to 2 decimals) ≥ the notice's pass mark;
- sat = registered − absent; a voided candidate sat and did not pass;
- assessed = sat − ungraded (graded or void): a candidate not graded yet has no outcome, so
  pass_rate = passed / assessed, and the rate is ``provisional`` while anyone of the group is ungraded;
- ci_low/ci_high: 95% Wilson score interval over the same denominator; ``small_group``: sat <
  policy ``small_group_min_sat`` (what a shared report may then show: ``examkit.analysis.disclosure``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from examkit.analysis.disclosure import hide_outcomes, suppress
from examkit.analysis.stats import Reliability, corrected_item_total, cronbach_alpha, kr20, wilson_exprs
from examkit.core.exceptions import InputError
from examkit.core.i18n import label, t
from examkit.core.policy import Policy

Frame = pl.DataFrame | pl.LazyFrame

GROUP_COLUMNS = ("batch", "level", "school_code", "site_code", "province", "candidate_type")
CSV_COLUMNS = (
    "registered",
    "sat",
    "passed",
    "pass_rate",
    "ci_low",
    "ci_high",
    "small_group",
    "ungraded",
    "provisional",
)
HISTOGRAM_BINS = 20  # bin width = full mark / 20 (5 points out of 100)


# --------------------------------------------------------------------------- per-candidate outcome


def outcomes(registrations: Frame, results: Frame, pass_mark: float) -> pl.LazyFrame:
    """Registrations joined with results: one row per registration with its outcome flags.

    Adds ``status`` (a registration without a result is ``ungraded``), ``total`` (rounded to 2
    decimals), and Boolean ``sat``, ``absent``, ``void``, ``ungraded``, ``passed`` (never null).
    Results for candidates who are not registered are ignored.
    """
    res = results.lazy()
    keys = ["candidate_no", "batch"] if "batch" in res.collect_schema().names() else ["candidate_no"]
    res = res.select(*keys, pl.col("status").cast(pl.String), pl.col("total").cast(pl.Float64))
    status = pl.col("status").fill_null("ungraded")
    total = pl.col("total").round(2)
    return (
        registrations.lazy()
        .join(res, on=keys, how="left", maintain_order="left")
        .with_columns(status.alias("status"), total.alias("total"))
        .with_columns(
            (pl.col("status") != "absent").alias("sat"),
            (pl.col("status") == "absent").alias("absent"),
            (pl.col("status") == "void").alias("void"),
            (pl.col("status") == "ungraded").alias("ungraded"),
            ((pl.col("status") == "graded") & (pl.col("total") >= pass_mark)).fill_null(False).alias("passed"),
        )
    )


# --------------------------------------------------------------------------- pass rates


def pass_rates(cands: Frame, by: Sequence[str], policy: Policy) -> pl.DataFrame:
    """Per group: registered, absent, void, ungraded, sat, assessed, passed, pass_rate, ci_low, ci_high,
    small_group, provisional.

    ``assessed`` = sat − ungraded; ``pass_rate`` = passed / assessed (null when nobody is assessed)
    with its Wilson interval over the same denominator; ``provisional``: some candidate who sat is
    not graded yet. ``by`` may be empty (one overall row). Groups are sorted by their keys (nulls last).
    """
    by = list(by)
    aggs = [
        pl.len().cast(pl.Int64).alias("registered"),
        pl.col("absent").sum().cast(pl.Int64).alias("absent"),
        pl.col("void").sum().cast(pl.Int64).alias("void"),
        pl.col("ungraded").sum().cast(pl.Int64).alias("ungraded"),
        pl.col("sat").sum().cast(pl.Int64).alias("sat"),
        pl.col("passed").sum().cast(pl.Int64).alias("passed"),
    ]
    lf = cands.lazy()
    grouped = lf.group_by(by).agg(aggs) if by else lf.select(aggs)
    grouped = grouped.with_columns((pl.col("sat") - pl.col("ungraded")).alias("assessed"))
    low, high = wilson_exprs("passed", "assessed", policy.confidence)
    out = grouped.with_columns(
        pl.when(pl.col("assessed") > 0).then(pl.col("passed") / pl.col("assessed")).otherwise(None).alias("pass_rate"),
        low.alias("ci_low"),
        high.alias("ci_high"),
        (pl.col("sat") < policy.small_group_min_sat).alias("small_group"),
        (pl.col("ungraded") > 0).alias("provisional"),
    )
    if by:
        out = out.sort(by, nulls_last=True)
    return out.collect()


def csv_frame(rates: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """The columns of ``examkit passrates --format csv``: the group columns, then CSV_COLUMNS."""
    return rates.select(*by, *CSV_COLUMNS)


def ranked(rates: pl.DataFrame, policy: Policy, keep: pl.Expr | None = None) -> pl.DataFrame:
    """Groups as a shared report may show them: ranked groups by pass rate (``rank`` 1…), then the rest
    unranked in key order.

    Adds ``withheld`` and ``suppressed`` (``disclosure.suppress``; ``keep``: groups the report shows
    elsewhere). A suppressed group keeps registered, absent and sat; its passed, void, ungraded,
    rate and interval are null. A group nobody is assessed in yet keeps its counts but has no rate
    and no rank.
    """
    marked = hide_outcomes(suppress(rates, policy.small_group_min_sat, keep))
    shown = ~pl.col("suppressed") & pl.col("pass_rate").is_not_null()
    big = marked.filter(shown).sort(["pass_rate", "sat"], descending=True, nulls_last=True)
    big = big.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
    rest = marked.filter(~shown).with_columns(pl.lit(None, dtype=pl.Int64).alias("rank"))
    return pl.concat([big, rest.select(big.columns)], how="vertical")


# --------------------------------------------------------------------------- labels


def label_column(rates: pl.DataFrame, by: Sequence[str], cands: Frame, lang: str | None = None) -> pl.DataFrame:
    """Add ``label``: the groups' display names (school names, 初级/Junior…), joined with " · "."""
    parts = []
    for col in by:
        parts.append(_labels_of(rates, col, cands, lang).alias(f"_label_{col}"))
    if not parts:
        return rates.with_columns(pl.lit(t("analytics.all_candidates", lang)).alias("label"))
    out = rates.with_columns(parts)
    return out.with_columns(pl.concat_str([f"_label_{c}" for c in by], separator=" · ").alias("label")).drop(
        [f"_label_{c}" for c in by]
    )


def _labels_of(rates: pl.DataFrame, col: str, cands: Frame, lang: str | None) -> pl.Expr:
    values = rates.get_column(col).cast(pl.String)
    if col in ("level", "candidate_type", "attempt"):
        mapping = {v: _code_label(col, v, lang) for v in values.unique().drop_nulls().to_list()}
        expr = pl.col(col).cast(pl.String).replace_strict(mapping, default=pl.col(col).cast(pl.String))
    elif col in ("school_code", "site_code"):
        names = (
            cands.lazy()
            .filter(pl.col("school_code").is_not_null() & pl.col("school_name").is_not_null())
            .group_by("school_code")
            .agg(pl.col("school_name").first())
            .collect()
        )
        mapping = dict(zip(names["school_code"].to_list(), names["school_name"].to_list(), strict=True))
        mapping = {v: mapping.get(v, v) for v in values.unique().drop_nulls().to_list()}
        expr = pl.col(col).cast(pl.String).replace_strict(mapping, default=pl.col(col).cast(pl.String))
    else:
        expr = pl.col(col).cast(pl.String)
    none = t("analytics.no_school", lang) if col == "school_code" else t("analytics.unknown", lang)
    return expr.fill_null(none)


def _code_label(col: str, value: str, lang: str | None) -> str:
    if col == "attempt":
        return t(f"analytics.attempt_{value}", lang)
    return label(value, lang)


# --------------------------------------------------------------------------- scores


def score_distribution(cands: Frame, policy: Policy, by: Sequence[str] = ()) -> pl.DataFrame:
    """Histogram of graded totals: every bin of width full_mark/20 (empty ones too) per group.

    Columns: the group columns, ``bin_start``, ``bin_end``, ``n``, ``passing`` (bin_start ≥ pass mark).
    The last bin is closed (it holds the full mark).
    """
    by = list(by)
    width = policy.full_mark / HISTOGRAM_BINS
    graded = cands.lazy().filter(pl.col("status") == "graded")
    idx = (pl.col("total") / width).floor().cast(pl.Int64).clip(0, HISTOGRAM_BINS - 1).alias("bin")
    counts = graded.with_columns(idx).group_by([*by, "bin"]).agg(pl.len().cast(pl.Int64).alias("n"))
    bins = pl.LazyFrame({"bin": pl.int_range(0, HISTOGRAM_BINS, eager=True).cast(pl.Int64)})
    grid = graded.select(by).unique().join(bins, how="cross") if by else bins
    out = (
        grid.join(counts, on=[*by, "bin"], how="left", nulls_equal=True)
        .with_columns(
            pl.col("n").fill_null(0),
            (pl.col("bin") * width).alias("bin_start"),
            ((pl.col("bin") + 1) * width).alias("bin_end"),
        )
        .with_columns((pl.col("bin_start") >= policy.pass_mark).alias("passing"))
        .sort([*by, "bin"], nulls_last=True)
        .select(*by, "bin_start", "bin_end", "n", "passing")
    )
    return out.collect()


def score_summary(cands: Frame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Per group: graded count, mean, median, min, max and standard deviation of totals."""
    by = list(by)
    graded = cands.lazy().filter(pl.col("status") == "graded")
    aggs = [
        pl.len().cast(pl.Int64).alias("graded"),
        pl.col("total").mean().alias("mean"),
        pl.col("total").median().alias("median"),
        pl.col("total").min().alias("min"),
        pl.col("total").max().alias("max"),
        pl.col("total").std().alias("sd"),
    ]
    out = graded.group_by(by).agg(aggs).sort(by, nulls_last=True) if by else graded.select(aggs)
    return out.collect()


def near_line(cands: Frame, policy: Policy, by: Sequence[str] = ()) -> pl.DataFrame:
    """Per group: graded candidates just under the line (pass − band ≤ total < pass) and just over it.

    Columns: the group columns, ``sat``, ``graded``, ``near_below``, ``near_above``
    (pass ≤ total < pass + band), ``band``, ``pass_mark``.
    """
    by = list(by)
    p, band = policy.pass_mark, policy.near_line_band
    graded = (pl.col("status") == "graded") & pl.col("total").is_not_null()
    aggs = [
        pl.col("sat").sum().cast(pl.Int64).alias("sat"),
        graded.sum().cast(pl.Int64).alias("graded"),
        (graded & (pl.col("total") >= p - band) & (pl.col("total") < p)).sum().cast(pl.Int64).alias("near_below"),
        (graded & (pl.col("total") >= p) & (pl.col("total") < p + band)).sum().cast(pl.Int64).alias("near_above"),
    ]
    lf = cands.lazy()
    out = lf.group_by(by).agg(aggs).sort(by, nulls_last=True) if by else lf.select(aggs)
    return out.with_columns(pl.lit(band).alias("band"), pl.lit(p).alias("pass_mark")).collect()


# --------------------------------------------------------------------------- items


def graded_marks(item_marks: Frame, cands: Frame | None = None) -> pl.LazyFrame:
    """Item marks of graded candidates only (absent/void/ungraded dropped when ``cands`` is given)."""
    marks = item_marks.lazy().filter(pl.col("mark").is_not_null())
    if cands is None:
        return marks
    keep = cands.lazy().filter(pl.col("status") == "graded").select("candidate_no").unique()
    return marks.join(keep, on="candidate_no", how="semi")


def item_facility(
    item_marks: Frame, policy: Policy, cands: Frame | None = None, by: Sequence[str] = ()
) -> pl.DataFrame:
    """Per item (and group): n, mean mark, max, ``facility`` = mean / max, and ``small_group``.

    With ``by``, group columns come from ``cands``; facility is null for small groups.
    """
    by = list(by)
    marks = graded_marks(item_marks, cands)
    if by:
        if cands is None:
            raise ValueError("grouping item facility needs the candidates frame")
        marks = marks.join(cands.lazy().select("candidate_no", *by).unique("candidate_no"), on="candidate_no")
    small = pl.col("n") < policy.small_group_min_sat if by else pl.lit(False)
    out = (
        marks.group_by([*by, "item_id", "section"])
        .agg(
            pl.col("candidate_no").n_unique().cast(pl.Int64).alias("n"),
            pl.col("mark").mean().alias("mean"),
            pl.col("max").max().alias("max"),
        )
        .with_columns(small.alias("small_group"))
        .with_columns(
            pl.when(pl.col("small_group")).then(None).otherwise(pl.col("mean") / pl.col("max")).alias("facility")
        )
    )
    return out.sort([*by, "item_id"], nulls_last=True).collect()


def item_analysis(item_marks: Frame, policy: Policy, cands: Frame | None = None) -> pl.DataFrame:
    """Per item: n, mean, max, facility and corrected item–total discrimination ``r``."""
    marks = graded_marks(item_marks, cands)
    fac = item_facility(marks, policy)
    disc = corrected_item_total(marks).select("item_id", pl.col("r").alias("discrimination"))
    return fac.join(disc, on="item_id", how="left").drop("small_group").sort("item_id")


def reliability(
    item_marks: Frame,
    policy: Policy,
    cands: Frame | None = None,
    theory_correct: Frame | None = None,
    practical_section: str = "practical",
) -> list[Reliability]:
    """Cronbach's α over the practical items; KR-20 over per-question theory correctness when given.

    ``theory_correct`` is long: ``candidate_no``, ``question_id``, ``correct`` (0/1 or Boolean).
    """
    marks = graded_marks(item_marks, cands).filter(pl.col("section") == practical_section)
    out = [cronbach_alpha(marks, min_n=policy.reliability_min_n)]
    if theory_correct is not None:
        theory = theory_correct.lazy()
        if cands is not None:
            keep = cands.lazy().filter(pl.col("status") == "graded").select("candidate_no").unique()
            theory = theory.join(keep, on="candidate_no", how="semi")
        out.append(kr20(theory, min_n=policy.reliability_min_n))
    return out


# --------------------------------------------------------------------------- year so far


def trend(cands_year: Frame, policy: Policy, level: str | None = None) -> pl.DataFrame:
    """Batch-over-batch pass rates of one level (all levels when None), in batch order."""
    lf = cands_year.lazy()
    if level is not None:
        lf = lf.filter(pl.col("level") == level)
    return pass_rates(lf, ["batch", "level"], policy).sort("batch")


def with_attempts(cands_year: Frame) -> pl.LazyFrame:
    """Add ``attempt``: ``first`` or ``retake`` — a retake when the same ID number sat the same
    level in an earlier batch (absence is not an attempt)."""
    keys = ["id_number", "level"]
    lf = cands_year.lazy()
    first_sat = lf.filter(pl.col("sat")).group_by(keys).agg(pl.col("batch").min().alias("_first_sat"))
    retake = pl.col("_first_sat").is_not_null() & (pl.col("batch") > pl.col("_first_sat"))
    return (
        lf.join(first_sat, on=keys, how="left")
        .with_columns(pl.when(retake).then(pl.lit("retake")).otherwise(pl.lit("first")).alias("attempt"))
        .drop("_first_sat")
    )


def retake_rates(cands_year: Frame, policy: Policy, by: Sequence[str] = ()) -> pl.DataFrame:
    """Pass rates of first attempts versus retakes (optionally per extra group columns)."""
    return pass_rates(with_attempts(cands_year), [*by, "attempt"], policy)


def year_so_far(cands_year: Frame, batch_id: str) -> pl.LazyFrame:
    """Rows of batches up to and including ``batch_id`` (batch ids sort in schedule order)."""
    return cands_year.lazy().filter(pl.col("batch") <= batch_id)


# --------------------------------------------------------------------------- CLI


def parse_by(text: str) -> list[str]:
    """``--by`` as a list of group columns; raises ``InputError`` naming the value and what is accepted."""
    cols = [c.strip() for c in str(text).split(",") if c.strip()]
    bad = [c for c in cols if c not in GROUP_COLUMNS]
    if bad or len(set(cols)) != len(cols):
        raise InputError(t("analytics.bad_by", value=text, accepted=",".join(GROUP_COLUMNS)))
    return cols
