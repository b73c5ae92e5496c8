"""``examkit validate --gradebook``: earlier passes → "already passed"; summaries count in good English; OS errors in words."""

from __future__ import annotations

import json

import polars as pl
import pytest
from factories import marks_frame
from test_validate import GOOD, HEADER, ID_A, ID_B, ID_OLD, run, write

from examkit.core.exceptions import ConfigError, InputError
from examkit.core.i18n import set_lang
from examkit.io.tables import read_grid
from examkit.settings.params import read_yaml
from examkit.store.gradebook import Gradebook

# 2023-01 (junior): ID_A passes with 60, ID_B fails with 45
PASS = {"J1": 12, "J2": 9, "J3": 12, "J4": 9, "J5": 9, "J6": 9}
FAIL = {"J1": 9, "J2": 7, "J3": 9, "J4": 7, "J5": 7, "J6": 6}


@pytest.fixture
def gradebook(tmp_path):
    path = tmp_path / "gb.sqlite"
    frame = pl.DataFrame(
        {
            "candidate_no": ["2301440010001", "2301440010002"],
            "name": ["王伟", "李娜"],
            "id_number": [ID_A, ID_B],
            "candidate_type": ["pilot_student", "nonpilot_student"],
            "school_code": ["44001", "44901"],
            "school_name": ["广州南方职业技术学院", "广州白云商贸学校"],
            "province": ["广东省", "广东省"],
            "site_code": ["44001", "44001"],
            "batch": ["2023-01", "2023-01"],
            "level": ["junior", "junior"],
        }
    )
    with Gradebook(path, durable=False) as g:
        g.register(frame)
        g.apply("2023-01", marks_frame({"2301440010001": PASS, "2301440010002": FAIL}), None, grader="王老师")
    return path


def later(batch: str, level: str, day: str) -> list[str]:
    """GOOD's two people registered again for ``batch`` on ``day`` (new candidate numbers 23NN44001000x)."""
    out = []
    for row in GOOD:
        cells = row.split(",")
        cells[0] = cells[0].replace("2301", f"23{batch[-2:]}", 1)
        cells[8], cells[9], cells[10] = batch, level, day
        out.append(",".join(cells))
    return out


def test_a_retake_after_a_pass_is_a_warning(tmp_path, gradebook, capsys):
    reg = write(tmp_path, [HEADER, *later("2023-03", "初级", "2023-04-20")], "2023-03.csv")
    rc, out, _ = run(capsys, reg, "--gradebook", gradebook, "--format", "json")
    findings = json.loads(out)
    # only ID_A (row 2) passed the junior exam before; ID_B failed it, so their retake is expected
    assert rc == 0
    assert [(f["row"], f["column"], f["rule"], f["severity"]) for f in findings] == [
        (2, "身份证号", "already_passed", "warning")
    ]
    assert "2023-01" in findings[0]["message"]
    # without the gradebook nothing is known about earlier passes
    rc, out, _ = run(capsys, reg, "--format", "json")
    assert rc == 0 and json.loads(out) == []


def test_another_level_is_no_retake(tmp_path, gradebook, capsys):
    reg = write(tmp_path, [HEADER, *later("2023-02", "中级", "2023-04-01")], "2023-02.csv")
    rc, out, _ = run(capsys, reg, "--gradebook", gradebook, "--format", "json")
    assert rc == 0 and json.loads(out) == []


def test_a_folder_with_the_gradebook(tmp_path, gradebook, capsys):
    folder = tmp_path / "regs"
    folder.mkdir()
    write(folder, [HEADER, *GOOD], "2023-01.csv")  # the batch they passed in: no warning there
    write(folder, [HEADER, *later("2023-03", "初级", "2023-04-20")], "2023-03.csv")
    rc, out, _ = run(capsys, folder, "--gradebook", gradebook, "--format", "json")
    got = [(f["file"].rsplit("/", 1)[-1], f["row"], f["rule"]) for f in json.loads(out)]
    assert rc == 0 and got == [("2023-03.csv", 2, "already_passed")]


def test_a_missing_gradebook_is_refused_and_not_created(tmp_path, capsys):
    reg = write(tmp_path, [HEADER, *GOOD])
    nope = tmp_path / "nope.sqlite"
    rc, out, err = run(capsys, reg, "--gradebook", nope)
    assert rc == 2 and out == "" and str(nope) in err and "Traceback" not in err
    assert not nope.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["reg.csv"]


# --------------------------------------------------------------------------- summaries


def test_english_summary_counts_in_singular_and_plural(tmp_path, capsys):
    old = GOOD[0].replace(ID_A, ID_OLD)  # 83 on the exam day: one warning
    rc, out, _ = run(capsys, write(tmp_path, [HEADER, old]), "--lang", "en")
    assert rc == 0 and out.strip().splitlines()[-1].endswith(": 1 row, 0 errors (0 rows to fix), 1 warning")
    set_lang("zh")
    bad = [GOOD[0].replace("初级", "中级"), GOOD[1].replace("初级", "中级")]
    rc, out, _ = run(capsys, write(tmp_path, [HEADER, bad[1], old], "two.csv"), "--lang", "en")
    assert rc == 1 and out.strip().splitlines()[-1].endswith(": 2 rows, 1 error (1 row to fix), 1 warning")
    set_lang("zh")
    rc, out, _ = run(capsys, write(tmp_path, [HEADER, *bad], "three.csv"), "--lang", "en")
    assert rc == 1 and out.strip().splitlines()[-1].endswith(": 2 rows, 2 errors (2 rows to fix), 0 warnings")
    set_lang("zh")
    rc, out, _ = run(capsys, write(tmp_path, [HEADER, GOOD[0]], "one.csv"), "--lang", "en")
    assert rc == 0 and out.strip().endswith(": 1 row, all within the notice's rules")
    set_lang("zh")
    rc, out, _ = run(capsys, write(tmp_path, [HEADER, *bad], "three.csv"))
    assert out.strip().splitlines()[-1].endswith("：2 行，2 个错误（2 行需改正），0 个提醒")


def test_bad_schools_list_counts_its_errors(tmp_path, capsys):
    schools = write(
        tmp_path, ["院校代码,院校名称,省份,是否试点,备案,师资培训证书编号,别名", "44001,甲,广东省,也许,是,,"], "s.csv"
    )
    rc, _, err = run(capsys, write(tmp_path, [HEADER, *GOOD]), "--schools", schools, "--lang", "en")
    assert rc == 2 and "has 1 error;" in err


# --------------------------------------------------------------------------- OS errors in the message language


def test_missing_file_is_explained_in_chinese(tmp_path, capsys):
    rc, _, err = run(capsys, tmp_path / "nope.csv")
    assert rc == 2 and "nope.csv" in err and "文件不存在" in err and "No such file" not in err
    rc, _, err = run(capsys, tmp_path / "nope.csv", "--lang", "en")
    assert rc == 2 and "no such file" in err


def test_a_folder_where_a_file_belongs(tmp_path):
    with pytest.raises(InputError) as got:
        read_grid(tmp_path)
    assert str(tmp_path) in str(got.value) and "文件夹" in str(got.value) and "Errno" not in str(got.value)
    (tmp_path / "x.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError) as got:
        read_grid(tmp_path / "x.csv" / "y.csv")
    assert "路径中有一部分是文件" in str(got.value)


def test_params_file_errors_are_catalogued(tmp_path):
    with pytest.raises(ConfigError) as got:
        read_yaml(tmp_path / "2023-01.yaml")
    text = str(got.value)
    assert "2023-01.yaml" in text and "文件不存在" in text and "No such file" not in text
    with pytest.raises(ConfigError) as got:
        read_yaml(tmp_path)
    assert "文件夹" in str(got.value)
