"""Issue 17 §2: a billable, gradeable registration is not excluded for a field nothing needs.

A blank the kit can derive is filled in with a warning naming the row (province from the schools
list: a pilot student's school, else the exam site where a social or non-pilot candidate sits; the
batch from the file's batch; the level from the batch); a column no rule needs for a candidate type
is not required; every exclusion for a blank names the rule that needs the column.
Every workbook here is written by openpyxl, not by the kit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from factories import REG_HEADERS as HEADERS

from examkit.analysis.fee_matching import expected_fees
from examkit.core import idcard
from examkit.core.i18n import set_lang
from examkit.core.notice import load_notice
from examkit.intake.registrations import load_registrations
from examkit.intake.schools import load_schools
from examkit.report.validation import report_frame

SCHOOLS = [
    ["院校代码", "院校名称", "省份", "是否试点", "备案", "师资培训证书编号"],
    ["44001", "广州南方职业技术学院", "广东省", "是", "是", "HT-1"],
    ["03107", "绵阳科创职业学院", "四川省", "是", "是", "HT-2"],
    ["44901", "广州白云商贸学校", "广东省", "否", "否", None],
]


def _id(seq: int) -> str:
    return idcard.make("440106", dt.date(1995, 6, 1), seq)


def rows() -> list[list[object]]:
    """Batch 2023-01 (junior, window 2023-03-05 … 2023-04-05), Excel rows 2–5; 省份 is column 7."""
    day = dt.datetime(2023, 3, 20)
    return [
        # a pilot student of 03107 (四川) sitting at 44001 (广东): the province is the school's
        ["2301440010001", "王伟", _id(1), "试点院校学生", "03107", "", None, "44001", "2023-01", "初级", day, ""],
        # a non-pilot student of 44901 (广东) sitting at host site 03107 (四川): the host site's province
        ["2301031070002", "李娜", _id(2), "非试点院校学生", "44901", "", None, "03107", "2023-01", "初级", day, ""],
        # a social candidate sitting at 44001 (广东)
        ["2301440010003", "张强", _id(3), "社会考生", None, None, None, "44001", "2023-01", "初级", day, None],
        # a social candidate who wrote a province: kept as written, no warning
        ["2301031070004", "陈静", _id(4), "社会考生", None, None, "广东省", "03107", "2023-01", "初级", day, None],
    ]


def xlsx(path: Path, header: list[str], data: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in data:
        ws.append(r)
    wb.save(path)
    return path


def without(column: str, data: list[list[object]]) -> tuple[list[str], list[list[object]]]:
    i = HEADERS.index(column)
    return [h for h in HEADERS if h != column], [r[:i] + r[i + 1 :] for r in data]


@pytest.fixture
def schools(tmp_path: Path) -> Path:
    return xlsx(tmp_path / "院校名单.xlsx", SCHOOLS[0], SCHOOLS[1:])


def found(reg) -> set[tuple[int, str, str, str]]:
    return {(f.row, f.column, f.rule, f.severity) for f in reg.findings}


def test_blank_province_comes_from_the_school_or_the_host_site(tmp_path, schools):
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", HEADERS, rows()), schools=schools, batch="2023-01")
    assert found(reg) == {
        (2, "省份", "derived_value", "warning"),
        (3, "省份", "derived_value", "warning"),
        (4, "省份", "derived_value", "warning"),
    }
    assert reg.excluded.height == 0 and reg.frame["_row"].to_list() == [2, 3, 4, 5]
    assert reg.frame["province"].to_list() == ["四川省", "四川省", "广东省", "广东省"]
    by_row = {f.row: f.message for f in reg.findings}
    assert "03107" in by_row[2] and "四川省" in by_row[2]  # the pilot student's own school
    assert "考点 03107" in by_row[3] and "四川省" in by_row[3]  # the non-pilot student's host site
    assert "考点 44001" in by_row[4] and "广东省" in by_row[4]
    assert all("请核对" in m for m in by_row.values())


def test_a_derived_province_is_billed_at_the_host_sites_price(tmp_path, schools):
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", HEADERS, rows()), schools=schools, batch="2023-01")
    fees = expected_fees(reg.frame, notice=load_notice(2023), schools=load_schools(schools))
    # every person-time is billed (on main three were excluded): two sit at 44001, two at 03107
    assert dict(fees.select("payer_code", "person_times").iter_rows()) == {"03107": 2, "44001": 2}


def test_without_a_schools_list_a_blank_province_is_excluded_naming_the_rule(tmp_path):
    reg = load_registrations(xlsx(tmp_path / "r.xlsx", HEADERS, rows()))
    assert found(reg) == {(r, "省份", "missing_value", "error") for r in (2, 3, 4)}
    assert reg.frame["_row"].to_list() == [5]
    assert all("R3" in f.message and "R12" in f.message for f in reg.findings)
    assert reg.excluded["rule"].to_list() == ["missing_value"] * 3
    assert all(m.startswith("“省份”为空") and "R3" in m for m in reg.excluded["message"])


def test_blank_level_is_the_batchs_and_blank_batch_the_files(tmp_path):
    data = rows()
    for r in data:
        r[6] = "广东省"
    data[0][9] = None  # 等级
    data[1][8] = "  "  # 批次
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", HEADERS, data), batch="2023-01")
    assert found(reg) == {(2, "等级", "derived_value", "warning"), (3, "批次", "derived_value", "warning")}
    assert reg.frame["level"].to_list() == ["junior"] * 4 and reg.frame["batch"].to_list() == ["2023-01"] * 4
    msgs = {f.row: f.message for f in reg.findings}
    assert "初级" in msgs[2] and "2023-01" in msgs[2]
    assert "2023-01.xlsx" in msgs[3] and "“2023-01”" in msgs[3]
    # a file for no particular batch cannot say which batch a blank means: R1 needs it
    reg = load_registrations(xlsx(tmp_path / "any.xlsx", HEADERS, data))
    assert (3, "批次", "missing_value", "error") in found(reg)
    (message,) = reg.excluded.filter(pl.col("_row") == 3)["message"]
    assert message.startswith("“批次”为空") and "R1" in message


def test_optional_columns_may_be_absent_and_are_derived_row_by_row(tmp_path, schools):
    header, data = without("省份", rows())
    header, data = (
        [h for h in header if h != "等级"],
        [r[: header.index("等级")] + r[header.index("等级") + 1 :] for r in data],
    )
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", header, data), schools=schools)
    assert reg.frame["_row"].to_list() == [2, 3, 4, 5]
    assert reg.frame["province"].to_list() == ["四川省", "四川省", "广东省", "四川省"]  # row 5: its site 03107
    assert reg.frame["level"].to_list() == ["junior"] * 4
    assert found(reg) == {(r, c, "derived_value", "warning") for r in (2, 3, 4, 5) for c in ("省份", "等级")}
    assert all(f.value is None and f.message.startswith(f"本表没有“{f.column}”列") for f in reg.findings)
    # without the schools list nothing tells the province: each row is out, saying the column is missing and why
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", header, data))
    assert reg.frame.height == 0
    assert all(m.startswith("缺少“省份”列；需要它的规则：R3") for m in reg.excluded["message"])


def test_a_required_column_that_is_missing_names_the_rule(tmp_path):
    header, data = without("报名日期", rows())
    reg = load_registrations(xlsx(tmp_path / "r.xlsx", header, data))
    assert [(f.row, f.column, f.rule) for f in reg.findings if f.rule == "missing_column"] == [
        (1, "报名日期", "missing_column")
    ]
    assert reg.frame.height == 0
    assert all("缺少“报名日期”列" in m and "R1" in m for m in reg.excluded["message"])


def test_the_validation_report_names_the_rule_of_a_blank(tmp_path, schools):
    data = rows()
    data[2][2] = None  # row 4: no ID number
    data[3][1] = ""  # row 5: no name
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", HEADERS, data), schools=schools)
    items = report_frame(reg).get_column("项目").to_list()
    id_line = next(i for i in items if "身份证号" in i)
    name_line = next(i for i in items if "姓名" in i)
    assert id_line.startswith("已排除：") and "R12" in id_line
    assert name_line.startswith("已排除：") and "R11" in name_line
    assert any(i.startswith("提醒（未排除）：“省份”为空，已补齐") for i in items)
    assert all(pid not in "".join(items) for pid in (_id(3), "陈静"))


def test_english(tmp_path, schools):
    set_lang("en")
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", HEADERS, rows()), schools=schools)
    msg = next(f.message for f in reg.findings if f.row == 4)
    assert msg.startswith("“省份” is empty; filled in as “广东省” from the province of exam site 44001")
    reg = load_registrations(xlsx(tmp_path / "2023-01.xlsx", HEADERS, rows()))
    assert "R3 provincial prices" in next(f.message for f in reg.findings if f.row == 4)
