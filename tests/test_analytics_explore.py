"""The explorer's plain functions, and its dropdowns driving them (no browser)."""

from __future__ import annotations

import polars as pl

from examkit.analysis import passrates as an
from examkit.notebook import explore
from tests.test_analytics import POLICY, registrations, results


def _cands() -> pl.LazyFrame:
    rows, res = [], []
    for i in range(30):
        school = ("A", "甲校") if i < 12 else ("B", "乙校") if i < 24 else (None, None)
        level = "junior" if i % 3 else "intermediate"
        rows.append({"candidate_no": f"C{i:04d}", "school_code": school[0], "school_name": school[1], "level": level})
        res.append((f"C{i:04d}", "2023-01", "graded", 70.0 if i % 2 else 40.0))
    return an.outcomes(registrations(rows), results(res), POLICY.pass_mark)


def test_choices_come_from_the_data() -> None:
    ch = explore.choices(_cands(), "zh")
    assert [v for _, v in ch.by] == list(an.GROUP_COLUMNS)
    assert ch.levels == [("全部", None), ("中级", "intermediate"), ("初级", "junior")]
    assert ch.schools == [("全部", None), ("甲校（A）", "A"), ("乙校（B）", "B")]
    en = explore.choices(_cands(), "en")
    assert en.levels[0] == ("All", None) and en.schools[1] == ("甲校 (A)", "A")


def test_filtered_and_view() -> None:
    cands = _cands()
    assert explore.filtered(cands, school="A").collect().height == 12
    # level junior: i % 3 != 0 → 20 of 30; in school A (i < 12): i in 1,2,4,5,7,8,10,11 → 8
    assert explore.filtered(cands, level="junior", school="A").collect().height == 8
    frame, chart = explore.view(cands, POLICY, "school_code", lang="zh")
    assert frame.columns[:3] == ["排名", "组别", "报名"]
    # issue 17: the social group (6 sat) is small; hidden alone, the total minus 甲校 and 乙校 would give it
    # back, so the next smallest group is withheld too (甲校 and 乙校 both have 12: the first in key order)
    assert frame["组别"].to_list() == ["乙校", "甲校", "社会考生（无院校）"]
    assert frame["报名"].to_list() == [12, 12, 6]
    assert frame["通过"].to_list() == [6, None, None]
    assert frame["通过率"].to_list() == ["50.0%", "—（防推算）", "—（人数少）"]
    assert chart.to_dict()["datasets"]


def test_widget_follows_the_dropdowns() -> None:
    box = explore.explorer(_cands(), POLICY, "zh")
    by, level, school = box.children[0].children
    assert box.current["组别"].to_list() == ["乙校", "甲校", "社会考生（无院校）"]  # 甲校 withheld, see above
    by.value = "level"
    # both levels pass half (junior 10/20, intermediate 5/10): equal rates rank the larger group first
    assert box.current["组别"].to_list() == ["初级", "中级"]
    assert box.current["报名"].to_list() == [20, 10]
    school.value = "A"
    # school A (i < 12): intermediate i = 0, 3, 6, 9 → 4; junior → 8
    assert sorted(box.current["报名"].to_list()) == [4, 8]
    level.value = "junior"
    assert box.current["报名"].to_list() == [8]
