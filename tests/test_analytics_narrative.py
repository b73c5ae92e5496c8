"""Sentences are computed from the data, never placeholders; small groups get counts, no rate."""

from __future__ import annotations

import polars as pl

from examkit.analysis import passrates as an
from examkit.analysis.stats import Reliability
from examkit.report import narrative as nv
from tests.test_analytics import POLICY, _mixed_year, cands_from


def _school_rates(cands: pl.LazyFrame, lang: str) -> pl.DataFrame:
    return an.label_column(
        an.ranked(an.pass_rates(cands, ["school_code"], POLICY), POLICY), ["school_code"], cands, lang
    )


def test_group_sentence_one_ranked_group_and_small_ones() -> None:
    # 甲校: 11 sat, 8 passed → 72.7%; Wilson(8, 11) = (43.4%, 90.3%); 乙校 (9 sat) and social (2 sat) are small
    text = nv.groups(_school_rates(_mixed_year(), "zh"), "school_code", POLICY, "zh")
    assert text.startswith("甲校 11 人实考，通过率 72.7%（95% 区间 43.4%–90.3%）。")
    assert "另有 2 个组实考少于 10 人" in text
    assert "乙校" not in text  # a small group is never named with a rate
    en = nv.groups(_school_rates(_mixed_year(), "en"), "school_code", POLICY, "en")
    assert en == (
        "甲校: 11 sat, pass rate 72.7% (95% interval 43.4%–90.3%). "
        "2 more groups had fewer than 10 sat: registered and sat only, not ranked."
    )


def test_group_sentence_top_and_bottom_with_overlap() -> None:
    a = cands_from([("graded", 70.0)] * 6 + [("graded", 10.0)] * 4, school_code="A", school_name="甲校")
    b = cands_from([("graded", 70.0)] * 9 + [("graded", 10.0)] * 1, school_code="B", school_name="乙校")
    b = b.with_columns(pl.col("candidate_no") + "b")
    text = nv.groups(_school_rates(pl.concat([a, b]), "zh"), "school_code", POLICY, "zh")
    # 乙校 9/10 = 90.0% (Wilson 59.6%–98.2%), 甲校 6/10 = 60.0% (31.3%–83.2%): intervals overlap
    assert "最高的是乙校（10 人实考，90.0%，95% 区间 59.6%–98.2%）" in text
    assert "最低的是甲校（10 人实考，60.0%，95% 区间 31.3%–83.2%）" in text
    assert text.endswith("两者的区间重叠，差别可能只是偶然。")


def test_all_small_groups() -> None:
    cands = cands_from([("graded", 70.0)] * 3)
    text = nv.groups(_school_rates(cands, "zh"), "school_code", POLICY, "zh")
    assert text == "按院校：所有 1 个组实考都少于 10 人，只列报名和实考人数、不排名。"


def test_headline_numbers_and_small_batch() -> None:
    overall = an.pass_rates(_mixed_year(), [], POLICY)
    # 23 registered, 1 absent, 22 sat, 13 passed → 59.1%
    text = nv.headline(overall, "2023年第一次统考", POLICY, "zh")
    assert text.startswith(
        "2023年第一次统考：报名 23 人，缺考 1 人，实考 22 人（其中违纪 0 人），通过 13 人，通过率 59.1%"
    )
    small = an.pass_rates(cands_from([("graded", 70.0)] * 3 + [("ungraded", None)]), [], POLICY)
    text = nv.headline(an.ranked(small, POLICY), "2023-01", POLICY, "zh")
    # issue 17: a small batch shows registered and sat only — no passed count, no rate, nothing about grading
    assert text == "2023-01：报名 4 人，缺考 0 人，实考 4 人；实考少于 10 人，不列通过人数和通过率。"


def test_distribution_sentence() -> None:
    cands = cands_from([("graded", 56.0), ("graded", 59.5), ("graded", 61.0), ("graded", 90.0), ("void", 58.0)])
    text = nv.distribution(an.score_summary(cands), an.near_line(cands, POLICY), POLICY, "zh")
    # valid totals 56, 59.5, 61, 90: median (59.5 + 61)/2 = 60.25 → "60.3" (a half rounds up, issue 17);
    # mean 266.5/4 = 66.625 → "66.6"
    assert text == (
        "4 份有效成绩的总分中位数为 60.3 分、平均 66.6 分；2 人差不足 5 分未能合格（55–60 分），1 人刚过合格线（60–65 分）。"
    )


def test_items_sentence() -> None:
    analysis = pl.DataFrame({"item": ["来电受理", "投诉受理", "工单处理"], "facility": [0.8, 0.45, 0.9]})
    assert nv.items(analysis, "zh") == "失分最多的是“投诉受理”（平均得分率 45.0%），得分率最高的是“工单处理”（90.0%）。"


def test_reliability_sentence_warns_and_explains() -> None:
    coefs = [
        Reliability("alpha", 0.812, 12, 6, "too_few_candidates"),
        Reliability("kr20", None, 1, 20, "too_few_candidates"),
    ]
    text = nv.reliability(coefs, POLICY, "zh")
    assert (
        text
        == "实操 Cronbach's α = 0.81（12 人，6 项；人数少于 30，仅供参考）。理论 KR-20：不足 2 人，无法计算（1 人，20 项）。"
    )


def test_trend_and_retakes_sentences() -> None:
    trend = pl.DataFrame(
        {
            "batch": ["2023-01", "2023-03", "2023-05"],
            "sat": [40, 8, 50],
            "passed": [30, 6, 45],
            "pass_rate": [0.75, 0.75, 0.9],
            "ci_low": [0.6, 0.4, 0.785],
            "ci_high": [0.86, 0.93, 0.96],
            "small_group": [False, True, False],
        }
    )
    text = nv.trend(trend, "2023-03", "junior", POLICY, "zh")
    assert (
        text
        == "本年度至今共 2 个初级批次；本批次 2023-03 通过率 实考 8 人（人数少，不列通过情况），上一个初级批次 2023-01 为 75.0%（60.0%–86.0%）。"
    )
    assert nv.trend(trend, "2023-01", "junior", POLICY, "zh") == "2023-01 是本年度第一个初级批次，尚无可比较的批次。"
    retake = pl.DataFrame(
        {
            "attempt": ["first", "retake"],
            "sat": [100, 4],
            "passed": [70, 3],
            "pass_rate": [0.7, 0.75],
            "ci_low": [0.604, 0.3],
            "ci_high": [0.781, 0.95],
            "small_group": [False, True],
        }
    )
    assert nv.retakes(retake, "zh") == (
        "本年度至今，首次参加：100 人实考，通过率 70.0%（95% 区间 60.4%–78.1%）；补考：实考 4 人（人数少，不列通过情况）。"
    )
