"""Charts are built from aggregates: their data does not grow with the number of candidates."""

from __future__ import annotations

import json

import altair as alt
import polars as pl
import pytest

from examkit.analysis import passrates as an
from examkit.core.notice import load_notice
from examkit.core.policy import Policy
from examkit.report import charts

NOTICE = load_notice(2023)
POLICY = Policy(float(NOTICE.pass_mark), float(NOTICE.full_mark), 5.0, 10)
SCHOOLS = [("A", "甲校"), ("B", "乙校"), ("C", "丙校"), ("D", "丁校"), ("E", "戊校")]
PERSONAL = ("candidate_no", "name", "id_number", "phone")


def synthetic(n: int) -> pl.LazyFrame:
    """``n`` candidates spread over 5 schools, two batches of one level; totals cycle over 0…100 (vectorised)."""
    i = pl.int_range(0, n, eager=True)
    regs = pl.DataFrame(
        {
            "candidate_no": "C" + i.cast(pl.String),
            "id_number": "ID" + i.cast(pl.String),
            "school_code": pl.Series([s[0] for s in SCHOOLS]).gather(i % 5),
            "school_name": pl.Series([s[1] for s in SCHOOLS]).gather(i % 5),
            "candidate_type": pl.Series(["pilot_student"]).gather(i * 0),
            "batch": pl.Series(["2023-01", "2023-03"]).gather(i % 2),
            "level": pl.Series(["junior"]).gather(i * 0),
        }
    )
    res = pl.DataFrame(
        {
            "candidate_no": regs["candidate_no"],
            "batch": regs["batch"],
            "status": pl.Series(["graded"] * 8 + ["absent", "void"]).gather(i // 5 % 10),
            "total": ((i * 37) % 201 / 2).cast(pl.Float64),
        }
    )
    return an.outcomes(regs, res, POLICY.pass_mark)


def synthetic_marks(cands: pl.LazyFrame) -> pl.DataFrame:
    ids = cands.select("candidate_no").collect()["candidate_no"]
    items = pl.DataFrame({"item_id": ["J1", "J2", "J3"], "max": [40.0, 30.0, 30.0]})
    return (
        pl.DataFrame({"candidate_no": ids})
        .join(items, how="cross")
        .with_columns(
            pl.lit("practical").alias("section"),
            ((pl.col("candidate_no").str.slice(1).cast(pl.Int64) * 13) % 31 / 31 * pl.col("max")).alias("mark"),
        )
    )


def all_charts(n: int) -> dict[str, alt.TopLevelMixin]:
    cands = synthetic(n)
    by_school = an.label_column(an.pass_rates(cands, ["school_code"], POLICY), ["school_code"], cands)
    dist = an.score_distribution(cands, POLICY)
    marks = synthetic_marks(cands)
    fac = an.label_column(an.item_facility(marks, POLICY, cands, by=["school_code"]), ["school_code"], cands)
    fac = fac.with_columns(pl.col("item_id").alias("item"))
    tr = an.trend(cands, POLICY, "junior").with_columns(pl.lit("初级").alias("level_label"))
    return {
        "bars": charts.pass_rate_bars(by_school),
        "histogram": charts.score_histogram(dist, POLICY.pass_mark),
        "heatmap": charts.item_heatmap(fac),
        "trend": charts.trend_lines(tr),
    }


def datasets(chart: alt.TopLevelMixin) -> list[list[dict]]:
    return list(chart.to_dict()["datasets"].values())


def test_charts_embed_the_same_data_for_100_and_100000_candidates() -> None:
    small, large = all_charts(100), all_charts(100_000)
    for name in small:
        ds_small, ds_large = datasets(small[name]), datasets(large[name])
        rows_small = sorted(len(d) for d in ds_small)
        rows_large = sorted(len(d) for d in ds_large)
        assert rows_small == rows_large, name  # same number of rows per dataset
        keys_small = sorted(tuple(sorted(r)) for d in ds_small for r in d[:1])
        keys_large = sorted(tuple(sorted(r)) for d in ds_large for r in d[:1])
        assert keys_small == keys_large, name  # same fields
        size_small, size_large = len(json.dumps(ds_small)), len(json.dumps(ds_large))
        # only the digits of the counts differ (20 → 20000)
        assert size_large <= 1.25 * size_small, (name, size_small, size_large)
        assert sum(rows_large) <= 100, name
        text = json.dumps(ds_large)
        assert not any(f'"{p}"' in text for p in PERSONAL), name


def test_histogram_has_every_bin_and_the_notice_pass_line() -> None:
    spec = charts.score_histogram(an.score_distribution(synthetic(50), POLICY), POLICY.pass_mark).to_dict()
    rows = [r for d in spec["datasets"].values() for r in d]
    assert sum(1 for r in rows if "bin_start" in r) == 20
    marks = [r["mark"] for r in rows if "mark" in r]
    assert marks == [NOTICE.pass_mark]
    assert f"合格线 {NOTICE.pass_mark} 分" in json.dumps(spec, ensure_ascii=False)


def test_bars_leave_out_small_groups_and_sort_best_first() -> None:
    rates = pl.DataFrame(
        {
            "label": ["甲校", "乙校", "丙校"],
            "sat": [20, 5, 30],
            "passed": [10, 5, 27],
            "pass_rate": [0.5, 1.0, 0.9],
            "ci_low": [0.3, 0.5, 0.75],
            "ci_high": [0.7, 1.0, 0.96],
            "small_group": [False, True, False],
        }
    )
    spec = charts.pass_rate_bars(rates).to_dict()
    rows = [r for d in spec["datasets"].values() for r in d]
    assert sorted(r["label"] for r in rows) == ["丙校", "甲校"]  # 乙校 (5 sat) is a small group
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["丙校", "甲校"]


def test_only_small_groups_gives_a_message_not_an_empty_chart() -> None:
    rates = pl.DataFrame(
        {
            "label": ["乙校"],
            "sat": [5],
            "passed": [5],
            "pass_rate": [1.0],
            "ci_low": [0.5],
            "ci_high": [1.0],
            "small_group": [True],
        }
    )
    spec = charts.pass_rate_bars(rates, "en").to_dict()
    texts = [r["text"] for d in spec["datasets"].values() for r in d]
    assert texts == ["Nothing to chart (small groups show counts only)"]


def test_labels_follow_the_language() -> None:
    dist = an.score_distribution(synthetic(50), POLICY)
    zh = json.dumps(charts.score_histogram(dist, POLICY.pass_mark, "zh").to_dict(), ensure_ascii=False)
    en = json.dumps(charts.score_histogram(dist, POLICY.pass_mark, "en").to_dict(), ensure_ascii=False)
    assert "总分" in zh and "Total score" not in zh
    assert "Total score" in en and "总分" not in en


@pytest.mark.parametrize("name", ["bars", "histogram", "heatmap", "trend"])
def test_theme_with_cjk_fonts_applies_to_every_chart(name: str) -> None:
    assert alt.theme.active == charts.THEME
    spec = all_charts(40)[name].to_dict()
    assert spec["config"]["font"] == charts.FONT_STACK
    assert "Noto Sans CJK SC" in charts.FONT_STACK and charts.FONT_STACK.endswith("sans-serif")


def test_charts_render_to_svg_offline() -> None:
    import vl_convert as vlc

    for name, chart in all_charts(40).items():
        svg = vlc.vegalite_to_svg(chart.to_dict(), allowed_base_urls=[])
        assert svg.startswith("<svg") and "<path" in svg, name
