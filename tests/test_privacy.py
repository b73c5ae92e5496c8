"""Masking personal data: names, ID numbers, phone numbers, and whole frames before display."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examkit.core import idcard
from examkit.core.privacy import mask_id, mask_name, mask_phone, scrub_text
from examkit.report.check import scan_text
from examkit.report.masking import mask_frame, personal_kind


def _apply(fn, values: list) -> list:
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(fn(pl.col("v")))["v"].to_list()


def test_names_keep_first_and_last_character():
    got = _apply(mask_name, ["张三", "张三明", "欧阳娜娜", "李", " 王五 ", None, ""])
    assert got == ["张*", "张*明", "欧**娜", "*", "王*", None, ""]


def test_id_numbers_keep_first_six_and_last_four():
    got = _apply(mask_id, ["11010519491231002X", " 440301200001010017 ", "A1234", None])
    assert got == ["110105********002X", "440301********0017", "*****", None]


def test_phone_numbers_keep_first_three_and_last_four():
    got = _apply(mask_phone, ["13812345678", "+86 138-1234-5678", "0571-88886666", "12345", None])
    assert got == ["138****5678", "138****5678", "057*****6666", "*****", None]


def test_scrub_masks_numbers_inside_text_and_leaves_other_digits():
    texts = [
        "身份证11010519491231002X，电话13812345678",
        "13812345678,13912345678",
        "hash a13812345678b0f and 0.13812345678",
        "考生号 20230100001",
    ]
    got = _apply(scrub_text, texts)
    assert got == [
        "身份证110105********002X，电话138****5678",
        "138****5678,139****5678",
        "hash a13812345678b0f and 0.13812345678",
        "考生号 20230100001",  # 11 digits but not a mobile prefix (2…)
    ]


def test_personal_columns_found_by_canonical_and_user_headers():
    assert personal_kind("name") == "name"
    assert personal_kind("姓名") == "name"
    assert personal_kind("身份证号码") == "id_number"
    assert personal_kind("手机号") == "phone"
    assert personal_kind("school_name") is None
    assert personal_kind("院校名称") is None


def test_headers_added_to_the_column_mapping_are_personal_too(tmp_path):
    (tmp_path / "columns.yaml").write_text(
        "kinds:\n  registrations:\n    name: {required: true, headers: [学员名字]}\n", encoding="utf-8"
    )
    assert personal_kind("学员名字", str(tmp_path)) == "name"
    assert personal_kind("学员名字") is None


def test_mask_frame_masks_personal_columns_and_keeps_the_rest():
    frame = pl.DataFrame(
        {
            "candidate_no": ["2023010001", "2023010002"],
            "姓名": ["张三明", "李四"],
            "id_number": ["11010519491231002X", "440301200001010017"],
            "phone": ["13812345678", None],
            "school_name": ["甲职业技术学院", "乙校"],
            "total": [72.5, 58.0],
            "registered_on": [dt.date(2023, 3, 6), dt.date(2023, 3, 7)],
        }
    )
    got = mask_frame(frame)
    assert got["姓名"].to_list() == ["张*明", "李*"]
    assert got["id_number"].to_list() == ["110105********002X", "440301********0017"]
    assert got["phone"].to_list() == ["138****5678", None]
    for col in ("candidate_no", "school_name", "total", "registered_on"):
        assert got[col].to_list() == frame[col].to_list()
    lazy = mask_frame(frame.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(got)


def test_mask_frame_extra_columns():
    frame = pl.DataFrame({"grader": ["王老师"], "n": [1]})
    assert mask_frame(frame, extra={"grader": "name"})["grader"].to_list() == ["王*师"]


def test_personal_numbers_in_a_free_text_column_are_scrubbed():
    frame = pl.DataFrame({"memo": ["退款给 13812345678"], "n": [13812345678]})
    got = mask_frame(frame)
    assert got["memo"].to_list() == ["退款给 138****5678"]
    assert got["n"].to_list() == [13812345678]  # numbers are not text; tables format them as counts


@settings(max_examples=60, deadline=None)
@given(
    born=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2009, 12, 31)),
    seq=st.integers(0, 999),
    area=st.sampled_from(["110105", "330102", "440301", "510107"]),
    mobile=st.integers(13_000_000_000, 19_999_999_999),
)
def test_masked_frames_pass_the_output_scan(born, seq, area, mobile):
    number = idcard.make(area, born, seq)
    phone = str(mobile)
    frame = pl.DataFrame({"id_number": [number], "phone": [phone], "memo": [f"{number} / {phone}"]})
    raw = frame.write_csv()
    masked = mask_frame(frame)
    assert masked["id_number"][0] == number[:6] + "********" + number[-4:]
    assert masked["phone"][0] == phone[:3] + "****" + phone[-4:]
    if phone[1] in "3456789":  # a real mobile prefix: the scan must see the raw one
        assert {f.rule for f in scan_text(raw)} == {"id_number", "mobile"}
    else:
        assert {f.rule for f in scan_text(raw)} == {"id_number"}
    assert scan_text(masked.write_csv()) == []


@pytest.mark.parametrize("dtype", [pl.Categorical, pl.String])
def test_categorical_name_columns_are_masked(dtype):
    frame = pl.DataFrame({"name": ["张三"]}).with_columns(pl.col("name").cast(dtype))
    assert mask_frame(frame)["name"].to_list() == ["张*"]
