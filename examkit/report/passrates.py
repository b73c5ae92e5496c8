"""The pass-rate report's sections: each returns what a notebook cell displays (sentence, chart, table).

Every section reads the session's aggregated analytics; nothing here touches per-candidate
rows beyond aggregating them, and no table carries personal data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit.analysis import passrates as an
from examkit.core.i18n import label, t
from examkit.core.policy import Policy
from examkit.report import charts, narrative
from examkit.report.narrative import Heading, Sentence
from examkit.report.tables import number_text, table
from examkit.report.unreadable import unreadable_markdown
from examkit.report.validation import validation_report

if TYPE_CHECKING:
    from examkit.session.batch import BatchSession

BATCH_DIMENSIONS = ("school_code", "site_code", "province", "candidate_type")


def _lang(session: BatchSession) -> str:
    return session.lang


def _policy(session: BatchSession) -> Policy:
    return session.analytics_policy


def _table(frame: pl.DataFrame, caption: str | None = None):
    return table(frame, caption)


def unreadable(session: BatchSession) -> list:
    """At the top: each registrations file of the year so far that could not be read, and why; its batch is
    unknown (left out of every year-so-far figure), not a batch nobody registered for. Nothing when all were read."""
    text = unreadable_markdown(session.passrates_inputs.unreadable, "analytics", _lang(session))
    return [Sentence(text)] if text else []


def definitions(session: BatchSession) -> list:
    """The report's definitions, with the notice's marks and the policy's defaults filled in."""
    p, lang = _policy(session), _lang(session)
    lines = [
        t("analytics.def_total", lang, full_mark=f"{p.full_mark:g}", pass_mark=f"{p.pass_mark:g}"),
        t("analytics.def_sat", lang),
        t("analytics.def_rate", lang),
        t("analytics.def_provisional", lang),
        t("analytics.def_ci", lang),
        t("analytics.def_small", lang, min_sat=p.small_group_min_sat),
        t("analytics.def_withheld", lang, min_sat=p.small_group_min_sat),
        t(
            "analytics.def_near",
            lang,
            low=f"{p.pass_mark - p.near_line_band:g}",
            pass_mark=f"{p.pass_mark:g}",
            band=f"{p.near_line_band:g}",
        ),
        t("analytics.def_retake", lang),
    ]
    return [_heading("h_definitions", lang), Sentence("\n".join(f"- {line}" for line in lines))]


def _heading(key: str, lang: str, **fields: object) -> Heading:
    return Heading(t(f"analytics.{key}", lang, **fields))


# --------------------------------------------------------------------------- display frames


def _message_expr(key: str, lang: str | None, **fields: pl.Expr) -> pl.Expr:
    """The catalog message ``key`` as a polars expression, its fields filled per row from ``fields``."""
    names = list(fields)
    text = t(key, lang, **{name: f"\x00{i}\x00" for i, name in enumerate(names)})
    exprs = []
    for j, part in enumerate(re.split("\x00(\\d+)\x00", text)):
        if j % 2:
            exprs.append(fields[names[int(part)]].cast(pl.String))
        elif part:
            exprs.append(pl.lit(part))
    return pl.concat_str(exprs)


def rates_table(rates: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """A ranked rates frame (``analytics.ranked`` + ``label``) as the report shows it: localised headers,
    rates as percentages (a provisional one with how many are not graded yet), and suppressed groups
    with registered, absent and sat only (why, in the rate column), no rank."""
    rate = pl.col("pass_rate")
    percent = pl.concat_str([(rate * 100).round(1).cast(pl.String), pl.lit("%")])
    ci = pl.concat_str(
        [
            (pl.col("ci_low") * 100).round(1).cast(pl.String),
            pl.lit("%–"),
            (pl.col("ci_high") * 100).round(1).cast(pl.String),
            pl.lit("%"),
        ]
    )
    rate_cell = (
        pl.when(pl.col("small_group"))
        .then(pl.lit(t("analytics.small_group_cell", lang)))
        .when(pl.col("suppressed"))
        .then(pl.lit(t("analytics.withheld_cell", lang)))
        .when(rate.is_null())
        .then(pl.lit(t("analytics.no_results", lang)))
        .when(pl.col("provisional"))
        .then(_message_expr("analytics.rate_provisional", lang, rate=percent, count=pl.col("ungraded")))
        .otherwise(percent)
    )
    return rates.select(
        pl.col("rank").alias(t("analytics.col_rank", lang)),
        pl.col("label").alias(t("analytics.col_group", lang)),
        pl.col("registered").alias(t("analytics.col_registered", lang)),
        pl.col("absent").alias(t("analytics.col_absent", lang)),
        pl.col("sat").alias(t("analytics.col_sat", lang)),
        pl.col("void").alias(t("analytics.col_void", lang)),
        pl.col("passed").alias(t("analytics.col_passed", lang)),
        rate_cell.alias(t("analytics.col_rate", lang)),
        pl.when(pl.col("suppressed") | rate.is_null())
        .then(pl.lit(""))
        .otherwise(ci)
        .alias(t("analytics.col_ci", lang)),
    )


def grouped(session: BatchSession, cands: pl.DataFrame | pl.LazyFrame, by: list[str]) -> pl.DataFrame:
    """Pass rates of ``by`` groups as a shared report may show them (``analytics.ranked``), with display labels."""
    rates = an.pass_rates(cands, by, _policy(session))
    return an.label_column(an.ranked(rates, _policy(session)), by, cands, _lang(session))


# --------------------------------------------------------------------------- sections


def headline(session: BatchSession) -> list:
    """The batch in one sentence, and its counts by status."""
    lang, p = _lang(session), _policy(session)
    shown = grouped(session, session.batch_results, [])
    name = session.batch.name_zh if lang == "zh" else session.batch.id
    sentence = narrative.headline(shown, name, p, lang)
    return [_heading("h_headline", lang), sentence, _table(rates_table(shown, lang))]


def by_group(session: BatchSession, dim: str, *, year: bool = False) -> list:
    """Pass rates by one dimension (this batch, or the year so far): sentence, bar chart, table."""
    lang, p = _lang(session), _policy(session)
    cands = session.year_results if year else session.batch_results
    rates = grouped(session, cands, [dim])
    dim_name = t(f"analytics.dim_{dim}", lang)
    title = t("charts.title_by", lang, dim=dim_name)
    return [
        _heading("h_year_by" if year else "h_by", lang, dim=dim_name),
        narrative.groups(rates, dim, p, lang),
        charts.pass_rate_bars(rates, lang, title),
        _table(rates_table(rates, lang)),
    ]


def distribution(session: BatchSession) -> list:
    """The score distribution with the pass line, and how many sit just under it."""
    lang, p = _lang(session), _policy(session)
    cands = session.batch_results
    if an.pass_rates(cands, [], p).row(0, named=True)["small_group"]:  # a histogram would show who failed
        return [
            _heading("h_distribution", lang),
            Sentence(t("analytics.distribution_small", lang, min_sat=p.small_group_min_sat)),
        ]
    sentence = narrative.distribution(an.score_summary(cands), an.near_line(cands, p), p, lang)
    chart = charts.score_histogram(an.score_distribution(cands, p), p.pass_mark, lang)
    return [_heading("h_distribution", lang), sentence, chart]


def _with_item_names(frame: pl.DataFrame, session: BatchSession) -> pl.DataFrame:
    """Add ``item`` (display name in the report's language) and ``_pos`` (rubric order)."""
    items = session.rubric.items
    names = {i.id: i.name(_lang(session)) for i in items}
    pos = {i.id: k for k, i in enumerate(items)}
    return frame.with_columns(
        pl.col("item_id").replace_strict(names, default=pl.col("item_id")).alias("item"),
        pl.col("item_id").replace_strict(pos, default=len(items), return_dtype=pl.Int64).alias("_pos"),
    )


def items(session: BatchSession) -> list:
    """Rubric items: where candidates lose points (facility), discrimination, reliability."""
    lang, p = _lang(session), _policy(session)
    marks = session.batch_item_marks
    if marks is None or marks.is_empty():
        return [_heading("h_items", lang), Sentence(t("analytics.items_none", lang))]
    cands = session.batch_results
    analysis = _with_item_names(an.item_analysis(marks, p, cands), session).sort("_pos")
    by_school = an.label_column(an.item_facility(marks, p, cands, by=["school_code"]), ["school_code"], cands, lang)
    heat_cols = ["item", "label", "facility", "n", "small_group", "_pos"]
    overall = analysis.with_columns(
        pl.lit(t("analytics.all_candidates", lang)).alias("label"), pl.lit(False).alias("small_group")
    )
    heat = pl.concat(
        [overall.select(heat_cols), _with_item_names(by_school, session).select(heat_cols)], how="vertical_relaxed"
    ).sort("_pos", maintain_order=True)
    sections = {s: t(f"analytics.section_{s}", lang) for s in ("practical", "theory")}
    table = analysis.select(
        pl.col("item").alias(t("analytics.col_item", lang)),
        pl.col("section").replace_strict(sections, default=pl.col("section")).alias(t("analytics.col_section", lang)),
        pl.col("max").alias(t("analytics.col_max", lang)),
        pl.col("n").alias(t("analytics.col_n", lang)),
        pl.col("mean").alias(t("analytics.col_mean", lang)),  # shown with 2 decimals, a half up (table_html)
        pl.concat_str([number_text(pl.col("facility") * 100, 1), pl.lit("%")]).alias(t("analytics.col_facility", lang)),
        pl.col("discrimination").alias(t("analytics.col_discrimination", lang)),
    )
    coefs = an.reliability(marks, p, cands, session.batch_theory_correct)
    return [
        _heading("h_items", lang),
        narrative.items(analysis, lang),
        charts.item_heatmap(heat.drop("_pos"), "label", lang),
        _table(table),
        narrative.reliability(coefs, p, lang),
    ]


def trend(session: BatchSession) -> list:
    """This batch against earlier batches of the same level this year."""
    lang, p = _lang(session), _policy(session)
    level = session.batch.level
    tr = an.trend(session.year_results, p, level)
    # this batch's own figures are in the headline: withholding it here would protect nothing
    tr = an.ranked(tr, p, keep=pl.col("batch") == session.batch_id).sort("batch")
    tr = tr.with_columns(
        pl.col("level").replace_strict({level: label(level, lang)}, default=pl.col("level")).alias("level_label")
    )
    table = tr.with_columns(pl.col("batch").alias("label"))
    return [
        _heading("h_trend", lang),
        narrative.trend(tr, session.batch_id, level, p, lang),
        charts.trend_lines(tr, lang),
        _table(rates_table(table, lang).drop(t("analytics.col_rank", lang))),
    ]


def retakes(session: BatchSession) -> list:
    """First attempts versus retakes over the year so far (same ID number, same level)."""
    lang, p = _lang(session), _policy(session)
    rates = an.retake_rates(session.year_results, p)
    shown = an.label_column(an.ranked(rates, p), ["attempt"], session.year_results, lang)
    title = t("charts.title_by", lang, dim=t("analytics.dim_attempt", lang))
    return [
        _heading("h_retakes", lang),
        narrative.retakes(shown, lang),
        charts.pass_rate_bars(shown, lang, title),
        _table(rates_table(shown, lang).drop(t("analytics.col_rank", lang))),
    ]


def registration_check(session: BatchSession) -> list:
    """The registration check of this batch's file (the validation report), when examkit provides one,
    and the score-sheet rows the pass rates leave out."""
    lang = _lang(session)
    return [_heading("h_registration_check", lang), _table(validation_report(session)), *score_sheet_findings(session)]


def score_sheet_findings(session: BatchSession) -> list:
    """The score sheets' rows left out of the rates (e.g. a candidate whose registration did not pass
    validation): file, Excel row and why. Nothing when there are none."""
    found = session.passrates_inputs.findings
    if not found:
        return []
    lang = _lang(session)
    frame = pl.DataFrame(
        {
            t("scoresheet.col_file", lang): [Path(f.file).name for f in found],
            t("scoresheet.col_row", lang): [f.row for f in found],
            t("scoresheet.col_problem", lang): [f.message for f in found],
        },
        schema={
            t("scoresheet.col_file", lang): pl.String,
            t("scoresheet.col_row", lang): pl.Int64,
            t("scoresheet.col_problem", lang): pl.String,
        },
    )
    return [_table(frame, t("scoresheet.findings_caption", lang, n=len(found)))]
