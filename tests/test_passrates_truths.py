"""Issue 17, sections 4 and 5: pass rates that say exactly what is true.

- A candidate who sat but is not graded yet is neither passed nor failed: pass_rate = passed / (sat − ungraded),
  provisional while anyone is ungraded, no rate at all while nobody is graded.
- A shared report never shows a small group's passed count, and never lets it be recovered by subtracting
  the groups it shows from the total it shows.

Every expected number below is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from types import SimpleNamespace

import polars as pl
import pytest

from examkit.analysis import passrates as an
from examkit.cli import main
from examkit.report import passrates as report
from examkit.report.index import Headline, index_html
from tests.test_analytics import POLICY, cands_from
from tests.test_passrates_cli import REG, SCORES

# Wilson 95% for 3 of 6, by hand (z = 1.959964, z² = 3.841459):
#   centre = (3 + z²/2) / (6 + z²) = 4.920729 / 9.841459 = 0.5
#   half   = z·sqrt(3·3/6 + z²/4) / (6 + z²) = 1.959964 × 1.568555 / 9.841459 = 0.312384
WILSON_3_6 = (0.187616, 0.812384)


def group(code: str | None, name: str | None, passed: int, failed: int, ungraded: int = 0, absent: int = 0):
    """One school's candidates: ``passed`` graded 70, ``failed`` graded 40, then ungraded, then absent."""
    statuses = ([("graded", 70.0)] * passed + [("graded", 40.0)] * failed + [("ungraded", None)] * ungraded) + [
        ("absent", None)
    ] * absent
    return cands_from(statuses, school_code=code, school_name=name).with_columns(
        pl.col("candidate_no") + (code or "social")
    )


def session_of(cands: pl.LazyFrame, lang: str = "zh") -> SimpleNamespace:
    """What the report sections read from a BatchSession, for a batch made by hand."""
    frame = cands.collect()
    batch = SimpleNamespace(name_zh="2023年第一次统考", id="2023-01", level="junior")
    return SimpleNamespace(
        lang=lang, analytics_policy=POLICY, batch_results=frame, year_results=frame, batch=batch, batch_id="2023-01"
    )


def chart_labels(chart) -> list[str]:
    spec = chart.to_dict()
    return [r["label"] for rows in spec.get("datasets", {}).values() for r in rows if "label" in r]


def table_cells(markup: str) -> list[list[str]]:
    """The body rows of a report table as cell texts (the header row left out)."""
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", markup)]
    return [r for r in rows if r]


def determined(total_passed: int, rows: list[tuple[int, int | None]]) -> list[int]:
    """Indexes of hidden groups (passed None, sat > 0) whose passed count the shown figures pin down.

    ``rows``: (sat, passed shown or None). The hidden groups together passed ``total − Σ shown``; a group's
    count is pinned down when only one value 0…sat leaves a possible remainder for the other hidden groups.
    """
    residual = total_passed - sum(p for _, p in rows if p is not None)
    hidden = [i for i, (sat, p) in enumerate(rows) if p is None and sat > 0]
    out = []
    for i in hidden:
        others = sum(rows[j][0] for j in hidden if j != i)
        possible = [a for a in range(rows[i][0] + 1) if 0 <= residual - a <= others]
        if len(possible) <= 1:
            out.append(i)
    return out


# --------------------------------------------------------------------------- 4. ungraded is not failed


def test_ungraded_candidates_are_left_out_of_the_denominator() -> None:
    # 10 sat: 3 passed, 3 failed, 4 not graded yet → 3 of the 6 with a result = 0.5 (not 3/10 = 0.3)
    rates = an.pass_rates(group("A", "甲校", passed=3, failed=3, ungraded=4), ["school_code"], POLICY)
    row = rates.row(0, named=True)
    assert (row["sat"], row["ungraded"], row["assessed"], row["passed"]) == (10, 4, 6, 3)
    assert row["pass_rate"] == pytest.approx(0.5)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(WILSON_3_6, abs=1e-6)
    assert row["provisional"] is True and row["small_group"] is False
    done = an.pass_rates(group("B", "乙校", passed=3, failed=7), [], POLICY).row(0, named=True)
    assert done["provisional"] is False and done["pass_rate"] == pytest.approx(0.3)


def test_a_provisional_rate_says_how_many_are_not_graded_yet() -> None:
    session = session_of(group("A", "甲校", passed=3, failed=3, ungraded=4))
    _, sentence, shown = report.headline(session)
    assert "通过 3 人，通过率 50.0%（95% 区间 18.8%–81.2%）" in sentence
    assert "评分中：4 人未评，通过率按已有结果的 6 人计算，是暂定值。" in sentence
    cells = table_cells(shown.html)[0]
    assert "50.0%（评分中：4 人未评）" in cells and "18.8%–81.2%" in cells
    en = session_of(group("A", "甲校", passed=3, failed=3, ungraded=4), "en")
    assert "50.0% (grading in progress: 4 not yet graded)" in report.headline(en)[2].html


def test_a_group_nobody_is_graded_in_has_no_rate() -> None:
    # 甲校: 12 sat, none graded yet; 乙校: 10 sat, 6 passed of 10 → only 乙校 has a rate
    cands = pl.concat([group("A", "甲校", passed=0, failed=0, ungraded=12), group("B", "乙校", passed=6, failed=4)])
    rates = an.pass_rates(cands, ["school_code"], POLICY)
    a = rates.row(0, named=True)
    assert a["pass_rate"] is None and a["ci_low"] is None and a["provisional"] is True  # not 0%
    session = session_of(cands)
    _, sentence, _, table = report.by_group(session, "school_code")
    assert "另有 1 个组暂无成绩（评分中）。" in sentence
    rows = {c[1]: c for c in table_cells(table.html)}
    assert rows["甲校"][0] == "" and rows["甲校"][7] == "暂无成绩" and "%" not in "".join(rows["甲校"])
    assert rows["乙校"][0] == "1" and rows["乙校"][7] == "60.0%"
    lonely = session_of(group("A", "甲校", passed=0, failed=0, ungraded=12))
    _, sentence, _ = report.headline(lonely)
    assert sentence == "2023年第一次统考：报名 12 人，缺考 0 人，实考 12 人；暂无成绩（评分中：12 人未评）。"


def test_csv_gains_ungraded_and_provisional_after_small_group() -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(
            ["passrates", "--registrations", str(REG), "--scores", str(SCORES), "--by", "batch", "--format", "csv"]
        )
    assert code == 0
    header = out.getvalue().splitlines()[0]
    assert header.split(",") == [
        "batch",
        *("registered", "sat", "passed", "pass_rate", "ci_low", "ci_high", "small_group", "ungraded", "provisional"),
    ]


def test_definitions_state_both_rules() -> None:
    text = str(report.definitions(session_of(group("A", "甲校", passed=3, failed=7)))[1])
    assert "通过率 = 通过人数 ÷（实考人数 − 未评分人数）" in text
    assert "评分中：N 人未评" in text and "暂无成绩" in text
    assert "实考少于 10 人的组只列报名和实考人数，不列通过人数" in text
    assert "防推算" in text and "合计减去其余各组" in text


# --------------------------------------------------------------------------- 5. small groups


def _one_small_group() -> pl.LazyFrame:
    # 甲校 1 sat (failed), 乙校 12 sat (8 passed), 丙校 15 sat (9 passed): total 28 sat, 17 passed
    return pl.concat(
        [group("A", "甲校", passed=0, failed=1), group("B", "乙校", passed=8, failed=4), group("C", "丙校", 9, 6)]
    )


def test_one_small_group_withholds_the_next_smallest() -> None:
    out = an.ranked(an.pass_rates(_one_small_group(), ["school_code"], POLICY), POLICY)
    by = {r["school_code"]: r for r in out.iter_rows(named=True)}
    assert (by["A"]["small_group"], by["A"]["withheld"]) == (True, False)
    assert (by["B"]["small_group"], by["B"]["withheld"]) == (False, True)  # 12 < 15: the next smallest
    assert by["C"]["suppressed"] is False and by["C"]["rank"] == 1
    for code in ("A", "B"):
        assert [by[code][c] for c in ("passed", "void", "ungraded", "pass_rate", "ci_low", "rank")] == [None] * 6
    assert [by[c]["sat"] for c in "ABC"] == [1, 12, 15] and [by[c]["registered"] for c in "ABC"] == [1, 12, 15]
    # what a reader sees: the total 17 and 丙校's 9 → 8 passed among 甲校 + 乙校; 甲校 0 or 1 both fit
    rows = [(r["sat"], r["passed"]) for r in out.iter_rows(named=True)]
    assert determined(17, rows) == []
    # hiding 甲校 alone would not do: 17 − 8 − 9 = 0 pins it down
    assert determined(17, [(1, None), (12, 8), (15, 9)]) == [0]


def test_the_report_table_sentence_and_chart_follow_the_suppression() -> None:
    session = session_of(_one_small_group())
    _, sentence, chart, table = report.by_group(session, "school_code")
    assert chart_labels(chart) == ["丙校"]  # built from the suppressed aggregate
    shown = {c[1]: c for c in table_cells(table.html)}
    # columns: rank, group, registered, absent, sat, void, passed, rate, interval
    assert shown["甲校"][2:] == ["1", "0", "1", "", "", "—（人数少）", ""]
    assert shown["乙校"][2:] == ["12", "0", "12", "", "", "—（防推算）", ""]
    assert shown["丙校"][6:8] == ["9", "60.0%"]
    assert "乙校" not in sentence and "甲校" not in sentence
    assert "另有 1 个组实考少于 10 人" in sentence and "另有 1 个组为防止由合计推算出小组的结果" in sentence
    total = report.headline(session)[1]
    assert "通过 17 人" in total  # the total stays, and with it nothing can be subtracted to 甲校


def test_small_groups_that_reach_the_threshold_together_withhold_nothing() -> None:
    # 甲校 6 + 乙校 5 = 11 hidden together (≥ 10): the total minus 丙校 gives only their sum
    cands = pl.concat([group("A", "甲校", 3, 3), group("B", "乙校", 5, 0), group("C", "丙校", 9, 6)])
    out = an.ranked(an.pass_rates(cands, ["school_code"], POLICY), POLICY)
    assert out["withheld"].to_list() == [False, False, False]
    assert out.filter(pl.col("suppressed"))["school_code"].to_list() == ["A", "B"]
    assert determined(17, [(r["sat"], r["passed"]) for r in out.iter_rows(named=True)]) == []


def test_two_tiny_groups_are_not_given_away_by_their_sum() -> None:
    # 甲校 1 and 乙校 2, all failed: hidden alone their sum (0) would tell each failed → 丙校 (12) withheld too
    cands = pl.concat(
        [group("A", "甲校", 0, 1), group("B", "乙校", 0, 2), group("C", "丙校", 6, 6), group("D", "丁校", 9, 6)]
    )
    out = an.ranked(an.pass_rates(cands, ["school_code"], POLICY), POLICY)
    assert out.filter(pl.col("withheld"))["school_code"].to_list() == ["C"]
    assert determined(15, [(r["sat"], r["passed"]) for r in out.iter_rows(named=True)]) == []


def test_a_group_nobody_sat_in_needs_no_protection() -> None:
    # 甲校: 3 registered, all absent → nothing to disclose, nothing else withheld
    cands = pl.concat([group("A", "甲校", 0, 0, absent=3), group("B", "乙校", 8, 4), group("C", "丙校", 9, 6)])
    out = an.ranked(an.pass_rates(cands, ["school_code"], POLICY), POLICY)
    assert out["withheld"].to_list() == [False, False, False]
    assert out.filter(pl.col("rank").is_not_null())["school_code"].to_list() == ["B", "C"]


def test_only_a_small_group_and_one_other_shows_the_total_without_breakdown() -> None:
    cands = pl.concat([group("A", "甲校", 0, 1), group("B", "乙校", 8, 4)])
    out = an.ranked(an.pass_rates(cands, ["school_code"], POLICY), POLICY)
    assert out["suppressed"].to_list() == [True, True] and out["passed"].to_list() == [None, None]


def test_trend_never_withholds_the_batch_the_headline_shows() -> None:
    # batches: 2023-01 3 sat (small), 2023-03 12 sat (this batch), 2023-05 15 sat; plain rule would pick 2023-03,
    # but its figures are in the headline, so 2023-05 is withheld instead
    rates = pl.DataFrame(
        {"batch": ["2023-01", "2023-03", "2023-05"], "sat": [3, 12, 15], "registered": [3, 12, 15]}
    ).with_columns((pl.col("sat") < POLICY.small_group_min_sat).alias("small_group"))
    from examkit.analysis.disclosure import suppress

    assert suppress(rates, 10)["withheld"].to_list() == [False, True, False]
    assert suppress(rates, 10, keep=pl.col("batch") == "2023-03")["withheld"].to_list() == [False, False, True]


# --------------------------------------------------------------------------- the index


def _page(heads: list[Headline], tmp_path) -> list[str]:
    page = index_html(tmp_path, heads, generated=dt.datetime(2026, 11, 29, 9, 0))
    return re.findall(r"<tr>(.*?)</tr>", page, re.S)


def test_index_withholds_a_second_batch_so_the_total_gives_nothing_away(tmp_path) -> None:
    day = dt.date(2023, 4, 15)
    heads = [
        Headline("2023-01", "junior", day, 120, 100, 70, 0, 0.7, 0.61, 0.78, False, 0),
        Headline("2023-02", "junior", day, 9, 8, 5, 0, None, None, None, True, 0),
        Headline("2023-03", "junior", day, 40, 30, 20, 0, 2 / 3, 0.49, 0.81, False, 0),
    ]
    for h in heads:
        h.min_sat = 10  # what pass_figures reads from the policy
    _, first, small, third, total = _page(heads, tmp_path)
    # 2023-03 (30 sat) is the next smallest: withheld, else 95 − 70 − 20 = 5 would give 2023-02 away
    assert ">20<" not in third and "%" not in third and "防止由合计推算" in third
    assert ">70<" in first and "70.0%" in first
    assert ">5<" not in small and "实考 8 人，人数过少，不列合格人数和通过率" in small
    assert ">95<" in total
    assert determined(95, [(100, 70), (8, None), (30, None)]) == []


def test_index_shows_provisional_and_missing_results(tmp_path) -> None:
    day = dt.date(2023, 4, 15)
    heads = [
        # 10 sat, 4 ungraded, 3 passed of 6 → 50.0% with Wilson(3, 6)
        Headline("2023-01", "junior", day, 10, 10, 3, 4, 0.5, *WILSON_3_6, False, 0),
        # 10 sat, nobody graded yet
        Headline("2023-02", "junior", day, 10, 10, 0, 10, None, None, None, False, 0),
    ]
    _, first, second, total = _page(heads, tmp_path)
    assert "50.0%" in first and "18.8%–81.2%" in first and "评分中：4 人未评" in first
    assert "暂无成绩" in second and "评分中：10 人未评" in second and "%" not in second.split('data-label="通过率"')[1]
    # total: 20 sat, 14 ungraded, 3 passed → 3 of 6 again (not 3/20 = 15.0%)
    assert "50.0%" in total and "18.8%–81.2%" in total and "评分中：14 人未评" in total and "15.0%" not in total


def test_json_output_keeps_counts_for_staff() -> None:
    # the CLI is a staff tool: a small group's passed count stays in its output (and stderr says so)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert (
            main(
                [
                    "passrates",
                    "--registrations",
                    str(REG),
                    "--scores",
                    str(SCORES),
                    "--by",
                    "school_code",
                    "--format",
                    "json",
                ]
            )
            == 0
        )
    rows = json.loads(out.getvalue())
    small = [r for r in rows if r["small_group"] and r["sat"]]
    assert small and all(r["passed"] is not None for r in small)
    assert "仅供工作人员核对" in err.getvalue()
