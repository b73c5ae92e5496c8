"""Altair chart of the fee reconciliation: expected versus paid per paying school (from totals only)."""

from __future__ import annotations

import altair as alt
import polars as pl

from examkit.core.i18n import t
from examkit.core.money import FEN_PER_YUAN
from examkit.report.charts import COLORS, ROW_STEP, WIDTH, empty_chart, enable_theme

PAID_COLOR = "#3a9a5b"


def expected_vs_paid(totals: pl.DataFrame, lang: str | None = None, title: str | None = None) -> alt.Chart:
    """Grouped bars, one pair per school: expected and paid, in yuan.

    ``totals`` is ``Reconciliation.by_school()`` (``payer_code``, ``payer_name``, ``expected_fen``, ``paid_fen``);
    one row per school, so the chart embeds two data rows per school whatever the number of candidates.
    """
    enable_theme()
    title = title or t("fees.chart_title", lang)
    if totals.height == 0:
        return empty_chart(lang, title)
    expected, paid = t("fees.chart_expected", lang), t("fees.chart_paid", lang)
    data = (
        totals.select(
            pl.concat_str([pl.col("payer_code"), pl.col("payer_name").fill_null("")], separator=" ")
            .str.strip_chars()
            .alias("school"),
            pl.col("expected_fen").alias(expected),
            pl.col("paid_fen").alias(paid),
        )
        .unpivot(index="school", variable_name="kind", value_name="fen")
        .with_columns((pl.col("fen") / FEN_PER_YUAN).alias("yuan"))  # display only: the chart's axis in yuan
        .select("school", "kind", "yuan")
        .sort("school", "kind")
    )
    amount = t("fees.chart_amount", lang)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("school:N", title=None, sort=None),
            yOffset=alt.YOffset("kind:N", sort=[expected, paid]),
            x=alt.X("yuan:Q", title=amount, axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "kind:N",
                title=t("fees.chart_kind", lang),
                scale=alt.Scale(domain=[expected, paid], range=[COLORS["main"], PAID_COLOR]),
            ),
            tooltip=[
                alt.Tooltip("school:N", title=t("fees.col_payer_name", lang)),
                alt.Tooltip("kind:N", title=t("fees.chart_kind", lang)),
                alt.Tooltip("yuan:Q", title=amount, format=",.2f"),
            ],
        )
        .properties(width=WIDTH, height=alt.Step(ROW_STEP // 2), title=title)
    )
