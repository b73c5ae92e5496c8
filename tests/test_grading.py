"""Grading rules as plain functions: mark checks, totals, pass/fail, navigation, grader comparison."""

from __future__ import annotations

import polars as pl
import pytest

from examkit.core.grading import (
    check_mark,
    grader_summary,
    next_ungraded,
    partial_total,
    progress,
    search,
    status_of,
    total,
    verdict,
)
from examkit.core.notice import load_notice
from examkit.core.rubric import Item
from examkit.settings.rubrics import load_rubric

ITEM = Item(id="J1", name_zh="来电受理", name_en="Inbound call handling", max=20, step=0.5, section="practical")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("15", 15.0),
        (" 12.5 ", 12.5),
        ("１２．５", 12.5),
        (0, 0.0),
        (20, 20.0),
        ("20.0", 20.0),
        ("", None),
        (None, None),
    ],
)
def test_valid_marks(raw, value):
    c = check_mark(raw, ITEM)
    assert c.ok and c.value == value


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("20.5", "over_max"),
        ("25", "over_max"),
        ("-1", "negative"),
        ("10.3", "off_step"),
        ("abc", "not_number"),
        ("nan", "not_number"),
        ("inf", "not_number"),
        (True, "not_number"),
    ],
)
def test_invalid_marks_name_item_value_and_what_is_accepted(raw, rule):
    c = check_mark(raw, ITEM)
    assert not c.ok and c.rule == rule and c.value is None
    assert "来电受理" in c.error
    assert "0 到 20" in c.error and "0.5" in c.error  # what is accepted
    if rule != "not_number" or isinstance(raw, str):
        assert str(raw).strip() in c.error


def test_over_max_message_in_english():
    c = check_mark("25", ITEM, "en")
    assert c.error == (
        '"Inbound call handling": 25 is above the item\'s maximum 20; '
        "expected a mark from 0 to 20 in steps of 0.5 (blank = not graded)"
    )


def test_totals_and_status():
    r = load_rubric("junior")  # J1..J6, maxima 20, 15, 20, 15, 15, 15
    marks = {"J1": 10, "J2": 7.5, "J3": 12, "J4": 9.5, "J5": 11, "J6": 10.25}
    assert total(marks, r) == 60.25
    assert status_of(marks, None, r) == "graded"
    partial = {**marks, "J6": None}
    assert total(partial, r) is None
    assert partial_total(partial) == 50.0
    assert status_of(partial, None, r) == "ungraded"
    assert status_of(partial, "absent", r) == "absent"
    assert status_of(marks, "void", r) == "void"


def test_verdict_at_the_pass_mark():
    n = load_notice(2023)
    assert verdict("graded", float(n.pass_mark), n) is True
    assert verdict("graded", n.pass_mark - 0.5, n) is False
    assert verdict("graded", n.pass_mark - 0.001, n) is True  # totals are rounded to 2 decimals first
    assert verdict("graded", n.pass_mark - 0.01, n) is False
    assert verdict("void", 95.0, n) is False
    assert verdict("absent", None, n) is None
    assert verdict("ungraded", None, n) is None


def results(statuses: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame({"candidate_no": list(statuses), "status": list(statuses.values())})


def test_next_ungraded_moves_forward_and_wraps():
    r = results({"A3": "ungraded", "A1": "graded", "A2": "ungraded", "A4": "absent", "A5": "graded"})
    assert next_ungraded(r) == "A2"
    assert next_ungraded(r, "A2") == "A3"
    assert next_ungraded(r, "A3") == "A2"  # wraps round
    assert next_ungraded(r, "A5") == "A2"
    assert next_ungraded(results({"A1": "graded"})) is None


def test_progress_counts():
    p = progress(results({"a": "graded", "b": "graded", "c": "absent", "d": "void", "e": "ungraded"}))
    assert (p.graded, p.absent, p.void, p.ungraded, p.total, p.done) == (2, 1, 1, 1, 5, 4)
    assert p.share == 0.8


def test_search_by_number_or_name():
    c = pl.DataFrame(
        {"candidate_no": ["2301031070001", "2301031070002", "2301510010011"], "name": ["龙梅娜", "罗飞", "汪欣"]}
    )
    assert search(c, "罗飞").get_column("candidate_no").to_list() == ["2301031070002"]
    assert search(c, "梅").get_column("candidate_no").to_list() == ["2301031070001"]
    assert search(c, "２３０１５１").get_column("candidate_no").to_list() == ["2301510010011"]  # full-width digits
    assert search(c, "23010310700").height == 2
    assert search(c, "2301031070002").item(0, 0) == "2301031070002"
    assert search(c, "").height == 3
    assert search(c, "张三").height == 0


def test_grader_summary_compares_each_grader_with_the_others():
    marks = pl.DataFrame(
        {
            "grader": ["甲", "甲", "乙", "乙", "丙"],
            "candidate_no": ["c1", "c1", "c2", "c3", "c4"],
            "mark": [10.0, 5.0, 20.0, None, 8.0],
            "max": [20.0, 10.0, 20.0, 20.0, 10.0],
        }
    )
    s = {r["grader"]: r for r in grader_summary(marks).iter_rows(named=True)}
    # 甲: 15 of 30 = 50 %; everyone else: (20 + 8) of (20 + 10) = 93.3 %
    assert s["甲"]["mean_pct"] == 50.0 and s["甲"]["others_pct"] == 93.3 and s["甲"]["difference"] == -43.3
    # 乙 (the blank mark ignored): 20 of 20 = 100 %; others: 23 of 40 = 57.5 %
    assert s["乙"]["marks"] == 1 and s["乙"]["mean_pct"] == 100.0 and s["乙"]["others_pct"] == 57.5
    assert s["丙"]["candidates"] == 1 and s["丙"]["mean_pct"] == 80.0
    alone = grader_summary(marks.filter(pl.col("grader") == "甲"))
    assert alone.item(0, "others_pct") is None


def test_example_rubrics_are_labelled_as_such():
    from dataclasses import replace

    from examkit.report.grading_tables import rubric_note

    junior = str(rubric_note(load_rubric("junior")))
    assert "示例" in junior and "非官方" in junior and "junior.yaml" in junior
    assert "理论/实操" not in junior
    assert "理论/实操" in str(rubric_note(load_rubric("senior")))  # the split is not official either
    assert "not official" in str(rubric_note(load_rubric("senior"), "en"))
    assert rubric_note(replace(load_rubric("junior"), status="official")) is None
