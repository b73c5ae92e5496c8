"""The schools list: typed frame, aliases, yes/no spellings, and findings for bad rows."""

from __future__ import annotations

import polars as pl
import pytest

from examkit.core.exceptions import InputError, ValidationFailed
from examkit.intake.schools import SCHOOLS_SCHEMA, load_schools, read_schools

HEADER = "院校代码,院校名称,省份,是否试点,备案,师资培训证书编号,别名"


def _write(tmp_path, lines, name="schools.csv", encoding="utf-8-sig"):
    p = tmp_path / name
    p.write_bytes("\r\n".join(lines).encode(encoding))
    return p


def test_typed_frame_codes_as_text_aliases_split(tmp_path):
    p = _write(
        tmp_path,
        [
            HEADER,
            "03107,绵阳科创职业学院,四川省,是,是,HT-SZ-2022-0990,科创职院、绵阳科创；科创学院",
            "44901 ,广州白云商贸学校,广东省,否,否,,",
            '37003,青岛海滨职业学院,山东省,Y,yes, ,"海滨职院,青岛海滨，滨院"',
            "37002,济南历下职业学院,山东省,是,,HT-1,",
        ],
        encoding="gbk",
    )
    frame = load_schools(p)
    assert frame.schema == pl.Schema(SCHOOLS_SCHEMA)
    assert frame["school_code"].to_list() == ["03107", "44901", "37003", "37002"]
    assert frame["is_pilot"].to_list() == [True, False, True, True]
    assert frame["filed"].to_list() == [True, False, True, False]  # blank 备案 counts as not filed
    assert frame["teacher_cert"].to_list() == ["HT-SZ-2022-0990", None, None, "HT-1"]
    assert frame["aliases"].to_list() == [
        ["科创职院", "绵阳科创", "科创学院"],
        [],
        ["海滨职院", "青岛海滨", "滨院"],
        [],
    ]


def test_bad_yes_no_and_duplicate_code_are_findings(tmp_path):
    p = _write(
        tmp_path,
        [
            HEADER,
            "44001,甲,广东省,是,是,HT,",
            "44002,乙,广东省,也许,是,HT,",
            "44001,丙,广东省,是,是,HT,",
            ",丁,广东省,是,是,,",
        ],
    )
    frame, findings = read_schools(p)
    got = {(f.row, f.column, f.rule, f.value) for f in findings}
    assert got == {
        (3, "是否试点", "bad_value", "也许"),
        (4, "院校代码", "duplicate", "44001"),
        (5, "院校代码", "missing_value", None),
    }
    assert frame["school_code"].to_list() == ["44001"]  # rows with findings are left out
    with pytest.raises(ValidationFailed) as exc:
        load_schools(p)
    assert len(exc.value.findings) == 3 and "也许" in str(exc.value)


def test_missing_required_column(tmp_path):
    p = _write(tmp_path, ["院校代码,院校名称,省份,是否试点", "44001,甲,广东省,是"])
    frame, findings = read_schools(p)
    assert [(f.row, f.column, f.rule) for f in findings] == [(1, "备案", "missing_column")]
    assert frame.height == 0


def test_unusable_file(tmp_path):
    p = _write(tmp_path, ["just,some,words", "1,2,3"])
    with pytest.raises(InputError):
        load_schools(p)
