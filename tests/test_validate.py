"""``examkit validate``: exit codes, output formats, languages; and the notebooks' validation report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import polars as pl
import pytest

from examkit.cli import main
from examkit.core import idcard
from examkit.core.i18n import set_lang
from examkit.intake.registrations import load_registrations
from examkit.report.validation import report_frame, validation_report
from examkit.session.batch import BatchSession

ID_A = idcard.make("110105", dt.date(2004, 1, 1), 1)  # 19 on the exam day of 2023-01
ID_B = idcard.make("110105", dt.date(2005, 2, 2), 2)
ID_OLD = idcard.make("110105", dt.date(1940, 1, 1), 1)  # 83 on the exam day
ID_B_TYPO = ID_B[:17] + ("1" if ID_B[17] != "1" else "2")
HEADER = "考生号,姓名,身份证号,考生类型,院校代码,院校名称,省份,考点代码,批次,等级,报名日期,手机号"
GOOD = [
    f"2301440010001,王伟,{ID_A},试点院校学生,44001,广州南方职业技术学院,广东省,44001,2023-01,初级,2023-03-20,13800000001",
    f"2301440010002,李娜,{ID_B},非试点院校学生,44901,,广东省,44001,2023-01,初级,2023-04-05,",
]
SCHOOLS = [
    "院校代码,院校名称,省份,是否试点,备案,师资培训证书编号,别名",
    "44001,广州南方职业技术学院,广东省,是,是,HT-1,",
    "44901,广州白云商贸学校,广东省,否,否,,",
]


def run(capsys, *argv):
    rc = main(["validate", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def write(tmp_path, lines, name="reg.csv"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_exit_0_when_clean(tmp_path, capsys):
    rc, out, err = run(capsys, write(tmp_path, [HEADER, *GOOD]), "--schools", write(tmp_path, SCHOOLS, "s.csv"))
    assert rc == 0 and "2 行" in out and err == ""


def test_exit_0_with_warnings_only(tmp_path, capsys):
    old = GOOD[0].replace(ID_A, ID_OLD)
    rc, out, _ = run(capsys, write(tmp_path, [HEADER, old]))
    assert rc == 0 and "[提醒]" in out and "83" in out


def test_exit_1_lists_every_problem(tmp_path, capsys):
    bad = [GOOD[0].replace("初级", "中级"), GOOD[1].replace("2023-04-05", "2023-04-06").replace(ID_B, ID_B_TYPO)]
    p = write(tmp_path, [HEADER, *bad])
    before = p.read_bytes()
    rc, out, _ = run(capsys, p)
    assert rc == 1
    lines = out.strip().splitlines()
    assert len(lines) == 4  # three findings and the summary
    assert lines[0].startswith(f"{p} 第 2 行 [错误]") and "等级" in lines[0] and "中级" in lines[0]
    assert "第 3 行" in lines[1] and ID_B_TYPO in lines[1] and "校验位" in lines[1]
    assert "第 3 行" in lines[2] and "2023-04-06" in lines[2] and "2023-03-05 至 2023-04-05" in lines[2]
    assert "3 个错误" in lines[3]
    assert p.read_bytes() == before  # never modifies its input


def test_csv_and_json_fields(tmp_path, capsys):
    p = write(tmp_path, [HEADER, GOOD[0].replace("广东省,44001,2023", "广东省,44901,2023")])
    s = write(tmp_path, SCHOOLS, "s.csv")
    rc, out, err = run(capsys, p, "--schools", s, "--format", "csv")
    assert rc == 1 and "1 个错误" in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["file", "row", "column", "value", "rule", "severity", "message"]
    assert [(r["row"], r["column"], r["value"], r["rule"], r["severity"]) for r in rows] == [
        ("2", "考点代码", "44901", "site_not_pilot", "error")
    ]
    rc, out, _ = run(capsys, p, "--schools", s, "--format", "json")
    data = json.loads(out)
    assert rc == 1 and data[0]["rule"] == "site_not_pilot" and data[0]["row"] == 2 and data[0]["file"] == str(p)


def test_english(tmp_path, capsys):
    p = write(tmp_path, [HEADER, GOOD[0].replace("初级", "中级")])
    rc, out, _ = run(capsys, p, "--lang", "en")
    assert rc == 1 and "row 2 [error]" in out and "does not match batch 2023-01" in out
    set_lang("zh")
    rc = main(["--lang", "en", "validate", str(p)])
    assert rc == 1 and "does not match" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.csv", b""),
        ("words.csv", "这不是报名表\n只是一些文字\n".encode()),
        ("header-only.csv", (HEADER + "\n").encode()),
        ("broken.xlsx", b"PK\x03\x04not really a zip"),
        ("binary.csv", bytes(range(256))),
    ],
)
def test_exit_2_when_the_file_is_unusable(tmp_path, capsys, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    rc, out, err = run(capsys, p)
    assert rc == 2 and out == "" and str(p) in err and "Traceback" not in err


def test_exit_2_for_a_missing_file_and_a_bad_schools_list(tmp_path, capsys):
    rc, _, err = run(capsys, tmp_path / "nope.csv")
    assert rc == 2 and "nope.csv" in err
    bad_schools = write(tmp_path, [SCHOOLS[0], "44001,甲,广东省,也许,是,,"], "s.csv")
    rc, _, err = run(capsys, write(tmp_path, [HEADER, *GOOD]), "--schools", bad_schools)
    assert rc == 2 and "也许" in err


def test_missing_column_is_an_error_not_unusable(tmp_path, capsys):
    header = HEADER.replace(",报名日期", "")
    rows = [",".join(r.split(",")[:10] + r.split(",")[11:]) for r in GOOD]
    rc, out, _ = run(capsys, write(tmp_path, [header, *rows]))
    assert rc == 1 and "第 1 行" in out and "报名日期" in out


def test_a_folder_of_files(tmp_path, capsys):
    folder = tmp_path / "regs"
    folder.mkdir()
    write(folder, [HEADER, *GOOD], "2023-01.csv")
    write(folder, [HEADER, GOOD[0].replace("初级", "中级")], "2023-03.csv")
    rc, out, _ = run(capsys, folder)
    assert rc == 1 and "2023-03.csv 第 2 行" in out and "wrong" not in out
    assert "2023-01.csv 第" not in out


def test_report_frame_without_personal_data(tmp_path):
    rows = [
        GOOD[0].replace("初级", "中级"),
        GOOD[1],
        GOOD[1].replace("2301440010002", "2301440010003"),  # the same person again
        GOOD[0].replace(ID_A, ID_OLD).replace("0001,", "0004,"),  # aged 83
    ]
    reg = load_registrations(write(tmp_path, [HEADER, *rows]))
    frame = report_frame(reg)
    assert frame.columns == ["项目", "行数", "所在行（Excel 行号）"]
    assert frame.rows() == [
        ("报名表数据行", 4, ""),
        ("通过校验、纳入本报告", 2, ""),
        ("有提醒的行（不影响报名）", 1, ""),
        ("已排除：重复报名或考生号重复", 1, "4"),
        ("已排除：等级与批次不符", 1, "2"),
        ("提醒（未排除）：年龄异常（请核对）", 1, "5"),
    ]
    text = str(frame.rows())
    for personal in ("王伟", "李娜", ID_A, ID_B, ID_OLD, "13800000001"):
        assert personal not in text


def test_validation_report_for_a_session(tmp_path):
    p = write(tmp_path, [HEADER, *GOOD])
    frame = validation_report(BatchSession(batch_id="2023-01", params={"registrations": str(p)}))
    assert frame.rows()[:2] == [("报名表数据行", 2, ""), ("通过校验、纳入本报告", 2, "")]
    empty = validation_report(BatchSession(batch_id="2023-01", params={}))
    assert isinstance(empty, pl.DataFrame) and empty.height == 1


def test_report_frame_when_a_column_is_missing(tmp_path):
    header = HEADER.replace(",报名日期", "")
    rows = [",".join(r.split(",")[:10] + r.split(",")[11:]) for r in GOOD]
    frame = report_frame(load_registrations(write(tmp_path, [header, *rows])))
    assert frame.rows()[1] == ("通过校验、纳入本报告", 0, "")
    assert frame.rows()[3] == ("已排除：缺少必需的列", 2, "报名日期")


def test_exit_2_for_a_folder_without_registration_files(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    rc, out, err = run(capsys, tmp_path)
    assert rc == 2 and out == "" and str(tmp_path) in err
