"""Normalising hand-typed cells: each expectation written out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from examkit.core import text as nz


def _apply(fn, values, **kw):
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(fn(pl.col("v"), **kw).alias("v"))["v"].to_list()


def test_text_half_width_single_spaces_and_nulls():
    got = _apply(
        nz.text, ["ＡＢＣ１２３", " 王\u00a0伟\u3000", "a   b", "\u200b李四\ufeff", "   ", "", None, "\t张三\n"]
    )
    assert got == ["ABC123", "王 伟", "a b", "李四", None, None, None, "张三"]


def test_compact_removes_every_space():
    assert _apply(nz.compact, ["138 1234 5678", "１３８\u3000１２３４", " "]) == ["13812345678", "1381234", None]


def test_code_keeps_leading_zeros_and_undoes_number_cells():
    assert _apply(nz.code, ["03107", " 03107 ", "44001.0", "４４００１", "3107"]) == [
        "03107",
        "03107",
        "44001",
        "44001",
        "3107",
    ]


def test_id_number_upper_cases_x_and_drops_spaces():
    assert _apply(
        nz.id_number, ["11010519491231002x", "110105 19491231 002X", "１１０１０５１９４９１２３１００２ｘ"]
    ) == [
        "11010519491231002X",
        "11010519491231002X",
        "11010519491231002X",
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2023-03-05", dt.date(2023, 3, 5)),
        ("2023/3/5", dt.date(2023, 3, 5)),
        ("2023.3.5", dt.date(2023, 3, 5)),
        ("2023年3月5日", dt.date(2023, 3, 5)),
        ("2023 年 3 月 5 日", dt.date(2023, 3, 5)),
        ("20230305", dt.date(2023, 3, 5)),
        ("2023-03-05 00:00:00", dt.date(2023, 3, 5)),  # an xlsx date cell read as text
        ("2023-03-05 14:30", dt.date(2023, 3, 5)),
        ("２０２３／３／５", dt.date(2023, 3, 5)),
        ("44990", dt.date(2023, 3, 5)),  # Excel serial: 1899-12-30 + 44990 days
        ("44990.75", dt.date(2023, 3, 5)),  # a serial with a time of day
        ("45000", dt.date(2023, 3, 15)),
        ("2023-02-30", None),
        ("2023-13-01", None),
        ("3月5日", None),
        ("5/3/2023", None),  # day and month order is ambiguous: not accepted
        ("1e308", None),
        ("9" * 64, None),
        ("", None),
        (None, None),
    ],
)
def test_dates(typed, expected):
    assert _apply(nz.date, [typed]) == [expected]


def test_serial_epoch_matches_excel():
    # Excel shows serial 1 as 1900-01-01 and 61 as 1900-03-01 (its phantom 29 Feb 1900 is serial 60);
    # after that quirk every serial is 1899-12-30 + n days; 36526 is 2000-01-01.
    assert nz.EXCEL_EPOCH + dt.timedelta(days=36526) == dt.date(2000, 1, 1)
    assert _apply(nz.date, ["36526"]) == [dt.date(2000, 1, 1)]


def test_vocabulary_matches_case_width_and_spaces():
    words = {"初级": "junior", "Junior": "junior", "pilot student": "pilot_student"}
    got = _apply(
        nz.vocabulary,
        ["初级", " JUNIOR ", "ｊｕｎｉｏｒ", "Pilot Student", "pilotstudent", "高级", None],
        accepted=words,
    )
    assert got == ["junior", "junior", "junior", "pilot_student", "pilot_student", None, None]


def test_boolean():
    got = _apply(nz.boolean, ["是", " 否 ", "Y", "no", "1", "0", "√", "×", "true", "maybe", "", None])
    assert got == [True, False, True, False, True, False, True, False, True, None, None, None]


def test_split_list_on_every_separator():
    got = _apply(nz.split_list, ["南方职院、广州南方职院", "钱江职院;钱江学院", "a，b；c,d", " x 、、 y ", "", None])
    assert got == [["南方职院", "广州南方职院"], ["钱江职院", "钱江学院"], ["a", "b", "c", "d"], ["x", "y"], [], []]
