"""Registration intake: one test (or more) per rule, the typed frame, excluded rows, folders, sessions.

Every file here is written by the test itself (csv in the encodings sites use); expected findings
are spelled out by hand as (Excel row, user's header, rule).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from factories import REG_HEADERS as HEADERS
from factories import REG_SCHEMA

from examkit.core import idcard
from examkit.core.exceptions import InputError, NoticeError
from examkit.core.i18n import set_lang
from examkit.intake.registrations import load_registrations, load_registrations_dir
from examkit.session.batch import BatchSession

SCHOOLS = [
    "院校代码,院校名称,省份,是否试点,备案,师资培训证书编号,别名",
    "44001,广州南方职业技术学院,广东省,是,是,HT-1,南方职院",
    "03107,绵阳科创职业学院,四川省,是,是,HT-2,",
    "44901,广州白云商贸学校,广东省,否,否,,",
    "37002,济南历下职业学院,山东省,是,否,HT-3,",
    "37003,青岛海滨职业学院,山东省,是,是,,",
]
EXAM_2023_01 = dt.date(2023, 4, 15)  # batch 2023-01: junior, registration 2023-03-05 … 2023-04-05


def person(years: int, seq: int, area: str = "440106") -> str:
    """A valid ID number of someone ``years`` old (and 100 days) on the 2023-01 exam day."""
    born = EXAM_2023_01.replace(year=EXAM_2023_01.year - years) - dt.timedelta(days=100)
    return idcard.make(area, born, seq)


def person_x(years: int) -> str:
    """Like ``person`` but with the check character X."""
    return next(n for n in (person(years, seq) for seq in range(1000)) if n.endswith("X"))


def base_rows() -> list[dict]:
    """Three correct rows of batch 2023-01: a pilot student, a non-pilot student (借考), a social candidate."""
    return [
        {
            "考生号": "2301440010001",
            "姓名": "王伟",
            "身份证号": person(19, 11),
            "考生类型": "试点院校学生",
            "院校代码": "44001",
            "院校名称": "广州南方职业技术学院",
            "省份": "广东省",
            "考点代码": "44001",
            "批次": "2023-01",
            "等级": "初级",
            "报名日期": "2023-03-20",
            "手机号": "13800000001",
        },
        {
            "考生号": "2301440010002",
            "姓名": "李娜",
            "身份证号": person(18, 12),
            "考生类型": "非试点院校学生",
            "院校代码": "44901",
            "院校名称": "广州白云商贸学校",
            "省份": "广东省",
            "考点代码": "44001",
            "批次": "2023年第一次统考",
            "等级": "初级",
            "报名日期": "2023/4/5",
            "手机号": "13800000002",
        },
        {
            "考生号": "2301440010003",
            "姓名": "张强",
            "身份证号": person(35, 13),
            "考生类型": "社会考生",
            "院校代码": "",
            "院校名称": "",
            "省份": "广东省",
            "考点代码": "44001",
            "批次": "2023-01",
            "等级": "初级",
            "报名日期": "2023年3月5日",
            "手机号": "",
        },
    ]


def write_csv(path, rows, headers=HEADERS, encoding="utf-8-sig", sep=","):
    lines = [sep.join(headers)] + [sep.join(str(r.get(h, "")) for h in headers) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def schools(tmp_path):
    p = tmp_path / "schools.csv"
    p.write_text("\n".join(SCHOOLS) + "\n", encoding="utf-8")
    return p


def check(tmp_path, rows, **kw):
    reg = load_registrations(write_csv(tmp_path / "reg.csv", rows), **kw)
    return reg, {(f.row, f.column, f.rule) for f in reg.findings}


def edited(**cells_by_index):
    """The base rows with cells replaced: ``edited(r0={"姓名": ""})`` edits row index 0 (Excel row 2)."""
    rows = base_rows()
    for key, cells in cells_by_index.items():
        rows[int(key[1:])].update(cells)
    return rows


# --------------------------------------------------------------------------- the clean file


def test_clean_file_gives_typed_rows_and_no_findings(tmp_path, schools):
    reg, found = check(tmp_path, base_rows(), schools=schools, batch="2023-01")
    assert found == set()
    assert reg.ok and reg.rows == 3 and reg.excluded.height == 0
    f = reg.frame
    assert f.schema == pl.Schema(REG_SCHEMA)
    assert f["_row"].to_list() == [2, 3, 4]
    assert f["candidate_type"].to_list() == ["pilot_student", "nonpilot_student", "social"]
    assert f["school_code"].to_list() == ["44001", "44901", None]  # social candidates have no school
    assert f["batch"].to_list() == ["2023-01"] * 3  # 2023年第一次统考 too
    assert f["level"].to_list() == ["junior"] * 3
    assert f["registered_on"].to_list() == [dt.date(2023, 3, 20), dt.date(2023, 4, 5), dt.date(2023, 3, 5)]
    assert f["phone"].to_list() == ["13800000001", "13800000002", None]
    assert f["file"].to_list() == ["reg.csv"] * 3


def test_hand_typing_noise_is_accepted(tmp_path, schools):
    rows = edited(
        r0={
            "考生号": "２３０１４４００１０００１",
            "姓名": " 王伟\u00a0",
            "报名日期": "45005",
            "手机号": "138 0000 0001",
        },
        r1={"身份证号": " " + person_x(18).lower() + " ", "批次": " 2023-01 ", "等级": "Junior"},
        r2={"考生类型": "social", "报名日期": "2023.3.5", "院校代码": "\u3000"},
    )
    reg, found = check(tmp_path, rows, schools=schools, batch="2023-01")
    assert found == set()
    f = reg.frame
    assert f["candidate_no"][0] == "2301440010001"
    assert f["name"][0] == "王伟"
    assert f["registered_on"][0] == dt.date(2023, 3, 20)  # 45005 = 1899-12-30 + 45005 days
    assert f["phone"][0] == "13800000001"
    assert f["id_number"][1] == person_x(18)
    assert f["level"][1] == "junior"
    assert f["registered_on"][2] == dt.date(2023, 3, 5)


# --------------------------------------------------------------------------- one rule at a time


# 省份 without a schools list and 批次 without the file's batch cannot be derived; 等级 always can
# (issue 17: tests/test_registration_needs.py)
@pytest.mark.parametrize("header", ["考生号", "姓名", "身份证号", "考生类型", "省份", "考点代码", "批次", "报名日期"])
def test_missing_value(tmp_path, header):
    _, found = check(tmp_path, edited(r0={header: " "}))
    assert found == {(2, header, "missing_value")}


def test_school_code_required_for_pilot_students_only(tmp_path):
    # issue 17: only the pilot-school rules (R8, R9) need a school code; a non-pilot student sits at a host site
    reg, found = check(tmp_path, edited(r0={"院校代码": ""}, r1={"院校代码": ""}, r2={"院校代码": ""}))
    assert found == {(2, "院校代码", "missing_value")}
    assert reg.frame["_row"].to_list() == [3, 4]


def test_optional_columns_may_be_empty_or_absent(tmp_path):
    rows = edited(r0={"院校名称": "", "手机号": ""})
    _, found = check(tmp_path, rows)
    assert found == set()
    headers = [h for h in HEADERS if h not in ("院校名称", "手机号")]
    reg = load_registrations(write_csv(tmp_path / "narrow.csv", rows, headers=headers))
    assert reg.findings == [] and reg.frame["phone"].to_list() == [None] * 3


def test_missing_column_excludes_every_row(tmp_path):
    headers = [h for h in HEADERS if h != "报名日期"]
    reg = load_registrations(write_csv(tmp_path / "reg.csv", base_rows(), headers=headers))
    assert [(f.row, f.column, f.rule) for f in reg.findings] == [(1, "报名日期", "missing_column")]
    assert reg.frame.height == 0
    assert reg.excluded["_row"].to_list() == [2, 3, 4]
    assert set(reg.excluded["rule"]) == {"missing_column"}


def test_bad_date(tmp_path):
    _, found = check(tmp_path, edited(r0={"报名日期": "3月20日"}, r1={"报名日期": "2023-02-30"}))
    assert found == {(2, "报名日期", "bad_date"), (3, "报名日期", "bad_date")}


def test_bad_type_and_bad_level(tmp_path):
    _, found = check(tmp_path, edited(r0={"考生类型": "学生"}, r1={"等级": "一级"}))
    assert found == {(2, "考生类型", "bad_type"), (3, "等级", "bad_level")}


def test_unknown_batch(tmp_path):
    _, found = check(tmp_path, edited(r0={"批次": "2023-14"}, r1={"批次": "2023年第十四次统考"}, r2={"批次": "第一批"}))
    assert found == {(2, "批次", "unknown_batch"), (3, "批次", "unknown_batch"), (4, "批次", "unknown_batch")}


def test_wrong_batch_only_when_the_files_batch_is_known(tmp_path):
    # 2023-02 is intermediate, 2023-03-20 is inside its window (2023-03-05 … 2023-04-10)
    rows = edited(r0={"批次": "2023-02", "等级": "中级"})
    _, found = check(tmp_path, rows)
    assert found == set()
    _, found = check(tmp_path, rows, batch="2023-01")
    assert found == {(2, "批次", "wrong_batch")}
    with pytest.raises(NoticeError):
        load_registrations(write_csv(tmp_path / "x.csv", rows), batch="2023-99")


@pytest.mark.parametrize(
    ("day", "inside"),
    [("2023-03-04", False), ("2023-03-05", True), ("2023-04-05", True), ("2023-04-06", False), ("2023-10-01", False)],
)
def test_window_inclusive_at_both_ends(tmp_path, day, inside):
    _, found = check(tmp_path, edited(r0={"报名日期": day}))
    assert found == (set() if inside else {(2, "报名日期", "window")})


def test_window_follows_each_rows_batch(tmp_path):
    # 2023-04-08 is outside 2023-01's window but inside 2023-02's (intermediate)
    rows = edited(r0={"报名日期": "2023-04-08"}, r1={"报名日期": "2023-04-08", "批次": "2023-02", "等级": "中级"})
    _, found = check(tmp_path, rows)
    assert found == {(2, "报名日期", "window")}


def test_level_mismatch(tmp_path):
    _, found = check(tmp_path, edited(r0={"等级": "中级"}, r1={"等级": "senior"}))
    assert found == {(2, "等级", "level_mismatch"), (3, "等级", "level_mismatch")}


def test_id_format_and_checksum(tmp_path):
    good = base_rows()[0]["身份证号"]
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = edited(
        r0={"身份证号": wrong_check},
        r1={"身份证号": good[:16]},  # too short
        r2={"身份证号": "440106" + "20230231" + "0011"},  # 31 February
    )
    reg, found = check(tmp_path, rows)
    assert found == {(2, "身份证号", "id_checksum"), (3, "身份证号", "id_format"), (4, "身份证号", "id_format")}
    f = next(f for f in reg.findings if f.rule == "id_checksum")
    assert f.value == wrong_check and good[17] in f.message  # names the character that would be right


def test_id_born_after_the_exam_is_malformed(tmp_path):
    later = idcard.make("440106", dt.date(2023, 5, 1), 1)
    _, found = check(tmp_path, edited(r0={"身份证号": later}))
    assert found == {(2, "身份证号", "id_format")}


def test_duplicate_person_and_candidate_number(tmp_path):
    rows = base_rows()
    twin = {**rows[0], "考生号": "2301440010009", "报名日期": "2023-03-25"}
    clash = {**rows[1], "身份证号": person(20, 99), "姓名": "赵敏"}  # same 考生号 as row 3
    reg, found = check(tmp_path, [*rows, twin, clash])
    assert found == {(5, "身份证号", "duplicate"), (6, "考生号", "duplicate")}
    messages = {f.row: f.message for f in reg.findings}
    assert "第 2 行" in messages[5] and "第 3 行" in messages[6]


def test_same_person_in_two_batches_is_not_a_duplicate(tmp_path):
    rows = base_rows()
    other = {**rows[0], "考生号": "2302440010001", "批次": "2023-02", "等级": "中级"}
    _, found = check(tmp_path, [*rows, other])
    assert found == set()


def test_school_rules_need_the_schools_list(tmp_path, schools):
    rows = edited(
        r0={"院校代码": "44901"},  # a pilot student of a non-pilot school
        r1={"考点代码": "44901"},  # a non-pilot student sitting at a non-pilot school
    )
    _, found = check(tmp_path, rows)
    assert found == set()  # without the list these cannot be judged
    _, found = check(tmp_path, rows, schools=schools)
    assert found == {(2, "院校代码", "school_not_pilot"), (3, "考点代码", "site_not_pilot")}


def test_pilot_school_filed_and_trained(tmp_path, schools):
    rows = edited(
        r0={"院校代码": "37002", "考点代码": "37002"},
        r1={"考生类型": "试点院校学生", "院校代码": "37003", "考点代码": "37003"},
        r2={"考生类型": "试点院校学生", "院校代码": "3107", "考点代码": "03107"},  # lost its leading zero
    )
    reg, found = check(tmp_path, rows, schools=schools)
    assert found == {
        (2, "院校代码", "school_not_filed"),
        (3, "院校代码", "teacher_not_trained"),
        (4, "院校代码", "unknown_school"),
    }
    assert "济南历下职业学院" in next(f.message for f in reg.findings if f.row == 2)


def test_borrowed_sitting_must_be_at_a_filed_pilot_site(tmp_path, schools):
    rows = edited(
        r1={"考点代码": "37002"},  # pilot but not filed
        r2={"考点代码": "99999"},  # not a school at all
    )
    r0_elsewhere = {**base_rows()[0], "考生号": "2301030010001", "身份证号": person(20, 1), "考点代码": "03107"}
    _, found = check(tmp_path, [*rows, r0_elsewhere], schools=schools)
    # a pilot student sitting at another filed pilot school is fine
    assert found == {(3, "考点代码", "site_not_pilot"), (4, "考点代码", "site_not_pilot")}


@pytest.mark.parametrize(("years", "warned"), [(15, True), (16, False), (70, False), (71, True)])
def test_unusual_age_is_a_warning_only(tmp_path, years, warned):
    reg, found = check(tmp_path, edited(r2={"身份证号": person(years, 5)}))
    assert found == ({(4, "身份证号", "age_unusual")} if warned else set())
    assert reg.frame.height == 3  # still registered
    if warned:
        assert reg.warnings[0].severity == "warning" and str(years) in reg.warnings[0].message


def test_already_passed_is_a_warning(tmp_path):
    rows = base_rows()
    passes = pl.DataFrame(
        {
            "id_number": [rows[0]["身份证号"], rows[1]["身份证号"], rows[2]["身份证号"].lower()],
            "level": ["junior", "intermediate", "junior"],
            "batch": ["2022-11", "2022-12", "2023-03"],
        }
    )
    reg, found = check(tmp_path, rows, prior_passes=passes)
    # row 2 passed junior before; row 3 passed another level; row 4's pass is from a later batch
    assert found == {(2, "身份证号", "already_passed")}
    assert "2022-11" in reg.warnings[0].message and reg.frame.height == 3


# --------------------------------------------------------------------------- what comes out


def test_excluded_rows_name_rules_but_no_personal_data(tmp_path, schools):
    rows = edited(r0={"身份证号": base_rows()[0]["身份证号"][:17] + "Y", "等级": "中级"}, r2={"报名日期": "2099-01-01"})
    reg, _ = check(tmp_path, rows, schools=schools)
    ex = reg.excluded
    assert ex.columns == ["file", "_row", "candidate_no", "rule", "message"]
    assert ex["_row"].to_list() == [2, 4]
    assert ex["candidate_no"].to_list() == ["2301440010001", "2301440010003"]
    assert ex["rule"].to_list() == ["id_format, level_mismatch", "window"]
    text = str(ex.rows())
    for r in rows:
        for personal in (r["姓名"], r["身份证号"], r["手机号"]):
            assert not personal or personal not in text
    assert reg.frame["_row"].to_list() == [3]


def test_every_finding_names_file_row_column_value_and_what_is_accepted(tmp_path):
    reg, _ = check(tmp_path, edited(r0={"等级": "一级"}, r1={"报名日期": "3/5/2023"}))
    level = next(f for f in reg.findings if f.rule == "bad_level")
    assert (level.file, level.row, level.column, level.value) == (str(tmp_path / "reg.csv"), 2, "等级", "一级")
    assert "一级" in level.message and "初级" in level.message and "junior" in level.message
    date = next(f for f in reg.findings if f.rule == "bad_date")
    assert "3/5/2023" in date.message and "2023年3月5日" in date.message


def test_english_messages(tmp_path):
    set_lang("en")
    reg, _ = check(tmp_path, edited(r0={"等级": "中级"}))
    assert reg.findings[0].message.startswith("“等级” value “中级” does not match batch 2023-01")


def test_english_headers_and_codes(tmp_path):
    headers = ["candidate_no", "name", "id number", "candidate type", "school code", "school name", "province"]
    headers += ["site code", "batch", "level", "registration date", "phone"]
    rows = [dict(zip(headers, r.values(), strict=True)) for r in base_rows()]
    rows[0]["candidate type"], rows[0]["level"] = "pilot_student", "junior"
    reg = load_registrations(write_csv(tmp_path / "en.csv", rows, headers=headers))
    assert reg.findings == [] and reg.frame.height == 3
    assert reg.headers["id_number"] == "id number"


# --------------------------------------------------------------------------- reading edge


@pytest.mark.parametrize(
    ("encoding", "sep"), [("gbk", ","), ("gb18030", ","), ("utf-8", ","), ("utf-16", "\t"), ("utf-8-sig", ";")]
)
def test_encodings_and_separators(tmp_path, encoding, sep):
    reg = load_registrations(write_csv(tmp_path / "r.csv", base_rows(), encoding=encoding, sep=sep))
    assert reg.findings == [] and reg.frame["name"].to_list() == ["王伟", "李娜", "张强"]


def test_title_row_blank_rows_and_trailing_blank_rows_keep_excel_row_numbers(tmp_path):
    rows = base_rows()
    lines = ["2023年第一次统考报名表,,,", ",,,", ",".join(HEADERS)]
    lines += [",".join(rows[0].values()), ",,,,,,,,,,,", ",".join(rows[1].values()), ",".join(rows[2].values())]
    lines[-1] = lines[-1].replace("2023年3月5日", "2023-03-04")  # outside the window: row 7 in Excel
    lines += [",,,,", "", ""]
    p = tmp_path / "titled.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reg = load_registrations(p)
    assert [(f.row, f.rule) for f in reg.findings] == [(7, "window")]
    assert reg.frame["_row"].to_list() == [4, 6]
    assert reg.rows == 3  # the blank row 5 is not a registration


def test_unusable_files_raise_input_error(tmp_path):
    for name, data in [
        ("empty.csv", b""),
        ("blank.csv", b" \r\n\r\n"),
        ("nohead.csv", "甲,乙\n1,2\n".encode()),
        ("zip.xlsx", b"PK\x03\x04garbage"),
        ("nul.csv", b"\x00\x01\x02"),
    ]:
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(InputError):
            load_registrations(p)
    with pytest.raises(InputError):
        load_registrations(tmp_path / "does-not-exist.csv")


# --------------------------------------------------------------------------- folders and sessions


def _year(tmp_path):
    folder = tmp_path / "registrations"
    folder.mkdir()
    write_csv(folder / "2023-01.csv", base_rows())
    second = [
        {**r, "考生号": "2302" + r["考生号"][4:], "批次": "2023-02", "等级": "中级", "报名日期": "2023-04-08"}
        for r in base_rows()
    ]
    second[2]["批次"] = "2023-01"  # a 2023-01 row in 2023-02's file
    write_csv(folder / "2023-02.csv", second, encoding="gbk")
    third = [{**r, "批次": "2023-03", "报名日期": "2023-04-20"} for r in base_rows()]
    write_csv(folder / "2023-03.csv", third)
    (folder / "~$2023-01.xlsx").write_bytes(b"lock")  # Excel's lock file: ignored
    (folder / "notes.txt").write_text("not a registrations file", encoding="utf-8")
    return folder


def test_folder_of_the_year_so_far(tmp_path):
    folder = _year(tmp_path)
    reg = load_registrations_dir(folder)
    assert reg.rows == 9
    # the file name fixes its batch: the 2023-01 row of 2023-02.csv is a wrong batch (and, as a
    # 2023-01 row, outside that batch's window and of the wrong level)
    assert {(Path(f.file).name, f.row, f.rule) for f in reg.findings} == {
        ("2023-02.csv", 4, "wrong_batch"),
        ("2023-02.csv", 4, "window"),
        ("2023-02.csv", 4, "level_mismatch"),
    }
    assert reg.frame.group_by("batch").len().sort("batch").rows() == [("2023-01", 3), ("2023-02", 2), ("2023-03", 3)]
    upto = load_registrations_dir(folder, upto="2023年第二次统考")
    assert sorted(set(upto.frame["batch"])) == ["2023-01", "2023-02"]
    assert upto.frame.schema == pl.Schema(REG_SCHEMA)


def test_folder_keeps_going_past_an_unusable_file(tmp_path):
    folder = _year(tmp_path)
    (folder / "2023-03.csv").write_bytes(b"")
    reg = load_registrations_dir(folder)
    bad = [f for f in reg.findings if f.rule == "unusable_file"]
    assert len(bad) == 1 and bad[0].row is None and bad[0].file.endswith("2023-03.csv")
    assert reg.frame.height == 5


def test_session_properties(tmp_path, schools):
    folder = _year(tmp_path)
    rows = edited(r0={"院校代码": "37002", "考点代码": "37002"})
    write_csv(folder / "2023-01.csv", rows)
    s = BatchSession(
        batch_id="2023-01",
        params={
            "registrations": str(folder / "2023-01.csv"),
            "registrations_dir": str(folder),
            "schools": str(schools),
        },
    )
    assert s.registrations.frame["_row"].to_list() == [3, 4]
    assert s.registrations.excluded["rule"].to_list() == ["school_not_filed"]
    assert sorted(set(s.year_registrations.frame["batch"])) == ["2023-01"]  # up to this batch only


def test_session_without_registrations(tmp_path):
    s = BatchSession(batch_id="2023-01", params={})
    assert s.registrations.frame.height == 0 and s.registrations.frame.schema == pl.Schema(REG_SCHEMA)
    assert s.year_registrations.findings == []


@pytest.mark.parametrize(("born", "warned"), [(dt.date(2007, 4, 15), False), (dt.date(2007, 4, 16), True)])
def test_age_turns_on_the_birthday(tmp_path, born, warned):
    # 16 on 2023-04-15 exactly when born on or before 2007-04-15
    _, found = check(tmp_path, edited(r2={"身份证号": idcard.make("440106", born, 5)}))
    assert found == ({(4, "身份证号", "age_unusual")} if warned else set())
