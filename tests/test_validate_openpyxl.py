"""A workbook written by openpyxl (an independent spreadsheet writer, not the kit's own) with Chinese headers.

It has what real files have: a merged title row above the header, real date cells, numbers in
code columns, a code with a leading zero stored as text, a blank row inside the table, blank
rows at the end, and a second sheet that must be ignored.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from factories import REG_HEADERS as HEADERS

from examkit.core import idcard
from examkit.intake.registrations import load_registrations

ID_1 = idcard.make("510703", dt.date(2004, 6, 1), 1)
ID_2 = idcard.make("440106", dt.date(2003, 9, 9), 2)
ID_3 = idcard.make("370102", dt.date(1988, 1, 20), 3)
SCHOOLS = [
    ["院校代码", "院校名称", "省份", "是否试点", "备案", "师资培训证书编号", "别名"],
    ["03107", "绵阳科创职业学院", "四川省", "是", "是", "HT-SZ-2022-0990", "科创职院"],
    ["44001", "广州南方职业技术学院", "广东省", "是", "是", "HT-SZ-2022-0131", "南方职院、广州南方职院"],
    ["44901", "广州白云商贸学校", "广东省", "否", "否", None, None],
]


@pytest.fixture
def workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "报名表"
    ws.append(["2023年第一次统考报名汇总表"])
    ws.merge_cells("A1:L1")
    ws.append(HEADERS)  # Excel row 2
    ws.append(
        [
            "2301031070001",
            "龙梅娜",
            ID_1,
            "试点院校学生",
            "03107",
            "绵阳科创职业学院",
            "四川省",
            "03107",
            "2023-01",
            "初级",
            dt.datetime(2023, 3, 26),
            13812356019,
        ]
    )  # row 3: a real date cell, the phone typed as a number
    ws.append([None] * 12)  # row 4: blank inside the table
    ws.append(
        [
            2301440010002,
            "罗飞",
            ID_2,
            "非试点院校学生",
            44901,
            "广州白云商贸学校",
            "广东省",
            44001,
            "2023年第一次统考",
            "初级",
            dt.datetime(2023, 4, 5, 16, 30),
            None,
        ]
    )  # row 5: codes typed as numbers, registered in the afternoon of the last day
    ws.append(
        [
            "2301440010003",
            "邓婷",
            ID_3[:17] + ("0" if ID_3[17] != "0" else "1"),
            "社会考生",
            None,
            None,
            "广东省",
            "44901",
            "2023-01",
            "中级",
            dt.datetime(2023, 4, 6),
            "13900000000",
        ]
    )  # row 6: wrong check character, non-pilot site, wrong level, one day late
    for cell in ws["K"][2:]:
        cell.number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append([" "])  # trailing blank rows
    other = wb.create_sheet("说明")
    other.append(["这张表不是报名表"])
    p = tmp_path / "报名表.xlsx"
    wb.save(p)

    sw = openpyxl.Workbook()
    for row in SCHOOLS:
        sw.active.append(row)
    s = tmp_path / "院校名单.xlsx"
    sw.save(s)
    return p, s


def test_openpyxl_workbook_with_title_row(workbook):
    path, schools = workbook
    before = path.read_bytes()
    reg = load_registrations(path, schools=schools, batch="2023-01")
    found = [(f.row, f.column, f.rule) for f in reg.findings]
    assert found == [
        (6, "身份证号", "id_checksum"),
        (6, "考点代码", "site_not_pilot"),
        (6, "等级", "level_mismatch"),
        (6, "报名日期", "window"),
    ]
    assert reg.rows == 3
    assert reg.frame["_row"].to_list() == [3, 5]
    assert reg.frame["school_code"].to_list() == ["03107", "44901"]
    assert reg.frame["site_code"].to_list() == ["03107", "44001"]
    assert reg.frame["candidate_no"].to_list() == ["2301031070001", "2301440010002"]
    assert reg.frame["registered_on"].to_list() == [dt.date(2023, 3, 26), dt.date(2023, 4, 5)]
    assert reg.frame["phone"].to_list() == ["13812356019", None]
    assert reg.frame["batch"].to_list() == ["2023-01", "2023-01"]
    late = next(f for f in reg.findings if f.rule == "window")
    assert late.value.startswith("2023-04-06") and "2023-04-05" in late.message
    assert path.read_bytes() == before
