"""A small explorer for JupyterLab: group by, level and school filters over the year so far.

The logic lives in plain functions (``choices``, ``filtered``, ``view``); the widget only wires
dropdowns to them, so it is tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import altair as alt
import polars as pl

from examkit.analysis import passrates as an
from examkit.core.i18n import label, t
from examkit.core.policy import Policy
from examkit.report import charts
from examkit.report.passrates import _heading, _lang, _policy, rates_table
from examkit.report.tables import table

if TYPE_CHECKING:
    from examkit.session.batch import BatchSession

Frame = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class Choices:
    """Dropdown options as (display text, value) pairs."""

    by: list[tuple[str, str]]
    levels: list[tuple[str, str | None]]
    schools: list[tuple[str, str | None]]


def choices(cands: Frame, lang: str | None = None) -> Choices:
    """Options for the dropdowns, from the data: group columns, the levels and schools present."""
    lf = cands.lazy()
    levels = lf.select(pl.col("level").unique().sort()).collect()["level"].drop_nulls().to_list()
    schools = (
        lf.filter(pl.col("school_code").is_not_null())
        .group_by("school_code")
        .agg(pl.col("school_name").drop_nulls().first())
        .sort("school_code")
        .collect()
    )
    every = t("analytics.explore_all", lang)
    return Choices(
        by=[(t(f"analytics.dim_{c}", lang), c) for c in an.GROUP_COLUMNS],
        levels=[(every, None), *[(label(lv, lang), lv) for lv in levels]],
        schools=[
            (every, None),
            *[(f"{n or c}（{c}）" if lang != "en" else f"{n or c} ({c})", c) for c, n in schools.iter_rows()],
        ],
    )


def filtered(cands: Frame, level: str | None = None, school: str | None = None) -> pl.LazyFrame:
    """Candidates of one level and/or one school (None = all)."""
    lf = cands.lazy()
    if level is not None:
        lf = lf.filter(pl.col("level") == level)
    if school is not None:
        lf = lf.filter(pl.col("school_code") == school)
    return lf


def view(
    cands: Frame,
    policy: Policy,
    by: str,
    level: str | None = None,
    school: str | None = None,
    lang: str | None = None,
) -> tuple[pl.DataFrame, alt.TopLevelMixin]:
    """The ranked rates table (display form) and the bar chart for one choice of the dropdowns."""
    lf = filtered(cands, level, school)
    rates = an.label_column(an.ranked(an.pass_rates(lf, [by], policy), policy), [by], lf, lang)
    title = t("charts.title_by", lang, dim=t(f"analytics.dim_{by}", lang))
    return rates_table(rates, lang), charts.pass_rate_bars(rates, lang, title)


def explorer(cands: Frame, policy: Policy, lang: str | None = None, default_by: str = "school_code", **_: object):
    """Dropdowns (group by, level, school) above a table and chart that follow them."""
    import ipywidgets as w  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)
    from IPython.display import display  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    data = cands.lazy().collect()
    opts = choices(data, lang)
    by = w.Dropdown(options=opts.by, value=default_by, description=t("analytics.explore_by", lang))
    level = w.Dropdown(options=opts.levels, value=None, description=t("analytics.explore_level", lang))
    school = w.Dropdown(options=opts.schools, value=None, description=t("analytics.explore_school", lang))
    out = w.Output()
    box = w.VBox([w.HBox([by, level, school]), out])

    def render(_change: object = None) -> None:
        frame, chart = view(data, policy, by.value, level.value, school.value, lang)
        box.current = frame  # the frame on show, for tests and for copying
        out.clear_output(wait=True)
        with out:
            display(chart)
            display(table(frame))

    for dd in (by, level, school):
        dd.observe(render, names="value")
    render()
    return box


def explorer_section(session: BatchSession) -> list:
    """The interactive explorer (JupyterLab only, never in a rendered report)."""
    lang = _lang(session)
    return [_heading("h_explore", lang), explorer(session.year_results, _policy(session), lang)]
