"""Altair chart builders over AGGREGATED frames, and examkit's one chart theme.

Every builder takes a small aggregate (one row per group, bin, item or batch) and returns a
chart; it never prints or saves. Builders keep only the columns they draw, so the data a
chart embeds depends on the number of groups, never on the number of candidates.
Other chart modules (fees…) use ``THEME`` / ``FONT_STACK`` / ``enable_theme()`` from here.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from examkit.core.i18n import t
from examkit.report.style import FONT_STACK  # the pages' font stack: SVG text takes the same CSS list

THEME = "examkit"
WIDTH = 320  # fits a 375-px phone screen
ROW_STEP = 22  # height per bar / heatmap row
COLORS = {"main": "#2f6db5", "pass": "#2f6db5", "fail": "#c8553d", "line": "#333333", "ci": "#222222"}
LEVEL_COLORS = ["#2f6db5", "#e08a1e", "#3a9a5b"]


@alt.theme.register(THEME, enable=False)
def examkit_theme() -> alt.theme.ThemeConfig:
    """One look for every examkit chart: CJK font stack, quiet axes, phone-sized width."""
    return {
        "config": {
            "font": FONT_STACK,
            "view": {"continuousWidth": WIDTH, "continuousHeight": 220, "stroke": None},
            "axis": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": 11,
                "titleFontSize": 12,
                "gridColor": "#e6e6e6",
                "domainColor": "#999999",
                "labelLimit": 160,
            },
            "legend": {"labelFont": FONT_STACK, "titleFont": FONT_STACK, "orient": "bottom"},
            "title": {"font": FONT_STACK, "fontSize": 14, "anchor": "start"},
            "text": {"font": FONT_STACK},
            "header": {"labelFont": FONT_STACK, "titleFont": FONT_STACK},
            "range": {"category": LEVEL_COLORS},
        }
    }


def enable_theme() -> None:
    """Make the examkit theme the active altair theme (idempotent)."""
    if alt.theme.active != THEME:
        alt.theme.enable(THEME)


use_theme = enable_theme  # the name examkit.report.tables.setup() looks for
enable_theme()


def _pct_axis(title: str) -> alt.Axis:
    return alt.Axis(format=".0%", title=title)


def _shown(frame: pl.DataFrame) -> pl.Expr:
    """Rows a chart may draw: a rate that is neither a small group's nor withheld (``analytics.ranked``)."""
    hidden = pl.col("small_group")
    if "suppressed" in frame.columns:
        hidden = hidden | pl.col("suppressed").fill_null(False)
    return ~hidden & pl.col("pass_rate").is_not_null()


def _rounded(frame: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Round floats to 4 decimals: the embedded data stays small and stable."""
    return frame.with_columns([pl.col(c).round(4) for c in cols if frame.schema[c].is_float()])


def empty_chart(lang: str | None = None, title: str | None = None) -> alt.Chart:
    """A chart that says there is nothing to draw (so a report never shows a blank box)."""
    data = pl.DataFrame({"text": [t("charts.no_data", lang)]})
    chart = alt.Chart(data).mark_text(size=13, color="#555555").encode(text="text:N")
    return chart.properties(width=WIDTH, height=40, title=title or "")


def pass_rate_bars(
    rates: pl.DataFrame, lang: str | None = None, title: str | None = None
) -> alt.LayerChart | alt.Chart:
    """Horizontal bars of pass rates with 95% interval whiskers, best first; groups without a rate
    (small, withheld, or nobody graded yet) left out.

    ``rates`` needs ``label``, ``sat``, ``passed``, ``pass_rate``, ``ci_low``, ``ci_high``, ``small_group``;
    build it with ``analytics.ranked`` (then ``suppressed`` and ``ungraded`` are honoured too).
    """
    cols = [
        "label",
        "sat",
        "passed",
        "pass_rate",
        "ci_low",
        "ci_high",
        *(["ungraded"] if "ungraded" in rates.columns else []),
    ]
    data = rates.filter(_shown(rates)).select(cols)
    if data.is_empty():
        return empty_chart(lang, title)
    data = _rounded(data, cols)
    order = data.sort(["pass_rate", "sat"], descending=True)["label"].to_list()
    y = alt.Y("label:N", sort=order, title=None)
    tooltip = [
        alt.Tooltip("label:N", title=t("charts.group", lang)),
        alt.Tooltip("sat:Q", title=t("charts.sat", lang)),
        alt.Tooltip("passed:Q", title=t("charts.passed", lang)),
        alt.Tooltip("pass_rate:Q", format=".1%", title=t("charts.pass_rate", lang)),
        alt.Tooltip("ci_low:Q", format=".1%", title=t("charts.ci", lang)),
        alt.Tooltip("ci_high:Q", format=".1%", title=t("charts.ci", lang)),
    ]
    if "ungraded" in cols:  # a provisional rate: how many are not graded yet
        tooltip.append(alt.Tooltip("ungraded:Q", title=t("analytics.col_ungraded", lang)))
    base = alt.Chart(data)
    bars = base.mark_bar(color=COLORS["main"], opacity=0.85).encode(
        x=alt.X("pass_rate:Q", scale=alt.Scale(domain=[0, 1]), axis=_pct_axis(t("charts.pass_rate", lang))),
        y=y,
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color=COLORS["ci"], strokeWidth=1.5).encode(x="ci_low:Q", x2="ci_high:Q", y=y)
    caps = alt.layer(
        base.mark_tick(color=COLORS["ci"], thickness=1.5, size=10).encode(x="ci_low:Q", y=y),
        base.mark_tick(color=COLORS["ci"], thickness=1.5, size=10).encode(x="ci_high:Q", y=y),
    )
    return alt.layer(bars, whiskers, caps).properties(
        width=WIDTH, height=alt.Step(ROW_STEP), title=title or t("charts.pass_rate", lang)
    )


def score_histogram(
    dist: pl.DataFrame, pass_mark: float, lang: str | None = None, title: str | None = None
) -> alt.LayerChart:
    """Histogram from pre-binned counts (``bin_start``, ``bin_end``, ``n``, ``passing``) with the pass line."""
    data = dist.group_by(["bin_start", "bin_end", "passing"]).agg(pl.col("n").sum()).sort("bin_start")
    data = data.with_columns(
        pl.when(pl.col("passing"))
        .then(pl.lit(t("charts.passing", lang)))
        .otherwise(pl.lit(t("charts.failing", lang)))
        .alias("side")
    ).select("bin_start", "bin_end", "n", "side")
    lo, hi = float(data["bin_start"].min() or 0.0), float(data["bin_end"].max() or 0.0)
    bars = (
        alt.Chart(data)
        .mark_bar(binSpacing=1)
        .encode(
            x=alt.X("bin_start:Q", bin="binned", scale=alt.Scale(domain=[lo, hi]), title=t("charts.total", lang)),
            x2="bin_end:Q",
            y=alt.Y("n:Q", title=t("charts.candidates", lang)),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(
                    domain=[t("charts.failing", lang), t("charts.passing", lang)],
                    range=[COLORS["fail"], COLORS["pass"]],
                ),
                title=None,
            ),
            tooltip=[
                alt.Tooltip("bin_start:Q", title=t("charts.total", lang)),
                alt.Tooltip("bin_end:Q", title="–"),
                alt.Tooltip("n:Q", title=t("charts.candidates", lang)),
            ],
        )
    )
    line_data = pl.DataFrame({"mark": [float(pass_mark)], "text": [t("charts.pass_line", lang, mark=f"{pass_mark:g}")]})
    rule = alt.Chart(line_data).mark_rule(color=COLORS["line"], strokeDash=[4, 3], strokeWidth=1.5).encode(x="mark:Q")
    text = (
        alt.Chart(line_data)
        .mark_text(align="left", dx=4, dy=-4, baseline="top", color=COLORS["line"])
        .encode(x="mark:Q", y=alt.value(0), text="text:N")
    )
    return alt.layer(bars, rule, text).properties(
        width=WIDTH, height=200, title=title or t("charts.title_histogram", lang)
    )


def item_heatmap(
    facility: pl.DataFrame, group: str = "label", lang: str | None = None, title: str | None = None
) -> alt.LayerChart | alt.Chart:
    """Heatmap of facility (mean share of the maximum): rubric items × groups; small groups left out.

    ``facility`` needs ``item`` (display name), ``group``, ``facility``, ``n`` and ``small_group``.
    """
    data = facility
    if "small_group" in data.columns:
        data = data.filter(~pl.col("small_group"))
    data = data.filter(pl.col("facility").is_not_null()).select("item", pl.col(group).alias("group"), "facility", "n")
    if data.is_empty():
        return empty_chart(lang, title)
    data = _rounded(data, ["facility"])
    base = alt.Chart(data).encode(
        x=alt.X("group:N", title=None, sort=None, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("item:N", title=None, sort=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "facility:Q",
            scale=alt.Scale(domain=[0, 1], scheme="blues"),
            legend=alt.Legend(format=".0%", title=t("charts.facility", lang)),
        ),
        tooltip=[
            alt.Tooltip("item:N", title=t("charts.item", lang)),
            alt.Tooltip("group:N", title=t("charts.group", lang)),
            alt.Tooltip("facility:Q", format=".0%", title=t("charts.facility", lang)),
            alt.Tooltip("n:Q", title=t("charts.candidates", lang)),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("facility:Q", format=".0%"),
        color=alt.condition("datum.facility > 0.6", alt.value("white"), alt.value("#222222")),
    )
    return alt.layer(rect, text).properties(
        width=alt.Step(40), height=alt.Step(ROW_STEP), title=title or t("charts.title_heatmap", lang)
    )


def trend_lines(trend: pl.DataFrame, lang: str | None = None, title: str | None = None) -> alt.LayerChart | alt.Chart:
    """Pass rate per batch, one line per level, with 95% interval whiskers; batches without a rate left out.

    ``trend`` needs ``batch``, ``level_label``, ``sat``, ``pass_rate``, ``ci_low``, ``ci_high``, ``small_group``.
    """
    cols = ["batch", "level_label", "sat", "pass_rate", "ci_low", "ci_high"]
    data = trend.filter(_shown(trend)).select(cols)
    if data.is_empty():
        return empty_chart(lang, title)
    data = _rounded(data, cols)
    x = alt.X("batch:O", title=t("charts.batch", lang), axis=alt.Axis(labelAngle=-40))
    color = alt.Color("level_label:N", title=t("charts.level", lang))
    base = alt.Chart(data)
    line = base.mark_line(point=True).encode(
        x=x,
        y=alt.Y("pass_rate:Q", scale=alt.Scale(domain=[0, 1]), axis=_pct_axis(t("charts.pass_rate", lang))),
        color=color,
        tooltip=[
            alt.Tooltip("batch:O", title=t("charts.batch", lang)),
            alt.Tooltip("sat:Q", title=t("charts.sat", lang)),
            alt.Tooltip("pass_rate:Q", format=".1%", title=t("charts.pass_rate", lang)),
        ],
    )
    whiskers = base.mark_rule(strokeWidth=1.2, opacity=0.7).encode(x=x, y="ci_low:Q", y2="ci_high:Q", color=color)
    return alt.layer(whiskers, line).properties(width=WIDTH, height=200, title=title or t("charts.title_trend", lang))


def chart_data_rows(chart: alt.TopLevelMixin) -> int:
    """How many data rows a chart embeds (all inline datasets together)."""
    spec = chart.to_dict()
    return sum(len(v) for v in spec.get("datasets", {}).values())
