"""``examkit passrates`` against independently computed numbers, the gradebook, and the report's session."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import polars as pl
import pytest

from examkit.analysis import passrates as an
from examkit.cli import main
from examkit.core.notice import load_notice
from examkit.io.tables import read_raw

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "data" / "fixture"
REG = FIXTURE / "registrations" / "2023-01.xlsx"
SCORES = FIXTURE / "scores" / "2023-01.xlsx"
SCHOOLS = FIXTURE / "schools.xlsx"
NOTICE = load_notice(2023)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["passrates", *argv])
    return code, out.getvalue(), err.getvalue()


def csv_of(text: str) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(text), schema_overrides={"school_code": pl.String, "batch": pl.String})


def independent_by_school() -> pl.DataFrame:
    """Pass counts per school computed straight from the raw files (no examkit analytics involved):
    total = sum of the item columns, absent = 状态 缺考, passed = total ≥ the notice's pass mark."""
    # candidate numbers typed with full-width digits are the same numbers (NFKC), as issue 3 says
    cand = pl.col("考生号").str.normalize("NFKC").str.strip_chars().alias("cand")
    reg = read_raw(REG).select(cand, pl.col("院校代码").alias("school_code"))
    sheet = read_raw(SCORES)
    items = [c for c in sheet.columns if c not in ("考生号", "状态")]
    scores = sheet.select(
        cand,
        (pl.col("状态") == "缺考").fill_null(False).alias("absent"),
        pl.sum_horizontal([pl.col(c).cast(pl.Float64) for c in items]).alias("total"),
    )
    # a registered candidate without a score row is ungraded: sat, not passed (the report's definition of sat)
    joined = reg.join(scores, on="cand", how="left").with_columns(pl.col("absent").fill_null(False))
    return (
        joined.group_by("school_code")
        .agg(
            pl.len().alias("registered"),
            (~pl.col("absent")).sum().alias("sat"),
            ((~pl.col("absent")) & (pl.col("total") >= NOTICE.pass_mark)).sum().alias("passed"),
        )
        .sort("school_code", nulls_last=True)
    )


def test_csv_columns_and_counts_match_an_independent_computation() -> None:
    code, out, _ = run("--registrations", str(REG), "--scores", str(SCORES), "--by", "school_code", "--format", "csv")
    assert code == 0
    got = csv_of(out)
    assert got.columns == ["school_code", *an.CSV_COLUMNS]
    want = independent_by_school()
    assert got["school_code"].to_list() == want["school_code"].to_list()
    for col in ("registered", "sat", "passed"):
        assert got[col].to_list() == want[col].cast(pl.Int64).to_list(), col
    rates = (want["passed"] / want["sat"]).to_list()
    assert got["pass_rate"].to_list() == pytest.approx(rates)
    assert got["small_group"].to_list() == (want["sat"] < 10).to_list()


def test_gradebook_and_score_sheet_give_the_same_rates(tmp_path: Path) -> None:
    from examkit.store.scores import prepare_gradebook

    gb_path = tmp_path / "gradebook.sqlite"
    gb, imported = prepare_gradebook(gb_path, "2023-01", registrations=REG, schools=SCHOOLS, scores=SCORES)
    gb.close()
    assert imported is not None and imported.ok
    args = ("--registrations", str(REG), "--by", "batch,level,school_code", "--format", "csv")
    code_a, from_sheet, _ = run(*args, "--scores", str(SCORES))
    code_b, from_gb, _ = run(*args, "--gradebook", str(gb_path))
    assert code_a == code_b == 0
    assert csv_of(from_sheet).equals(csv_of(from_gb))


def _small_registrations(tmp_path: Path, n: int) -> tuple[Path, list[str]]:
    raw = read_raw(REG).head(n).with_columns(pl.col("报名日期").str.slice(0, 10))
    path = tmp_path / "2023-01.csv"
    raw.write_csv(path)
    return path, raw["考生号"].to_list()


def test_final_score_sheet_boundary_absent_void_and_ungraded(tmp_path: Path) -> None:
    reg, cands = _small_registrations(tmp_path, 6)
    sheet = tmp_path / "final.csv"
    rows = [
        "考生号,总分,是否合格,标记",
        f"{cands[0]},59.5,不合格,",  # fails
        f"{cands[1]},60,合格,",  # 60 passes
        f"{cands[2]},60.0,合格,",  # 60.0 passes
        f"{cands[3]},,,缺考",  # absent: not sat
        f"{cands[4]},75,不合格,违纪（成绩无效）",  # void: sat, not passed
        # cands[5] has no row: ungraded, sat, no result yet
    ]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = run("--registrations", str(reg), "--scores", str(sheet), "--by", "batch", "--format", "json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert (row["registered"], row["sat"], row["passed"], row["small_group"]) == (6, 5, 2, True)
    # issue 17: the ungraded candidate is neither passed nor failed: 2 passed of the 4 with a result
    assert (row["ungraded"], row["provisional"]) == (1, True)
    assert row["pass_rate"] == pytest.approx(0.5)
    # Wilson 2/4: centre (2 + z²/2)/(4 + z²) = 3.920729/7.841459 = 0.5,
    # half z·sqrt(2·2/4 + z²/4)/(4 + z²) = 1.959964 × 1.400130 / 7.841459 = 0.349961
    assert row["ci_low"] == pytest.approx(0.150039, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.849961, abs=1e-6)
    assert "未评分" in err  # the ungraded candidate is pointed out
    assert "仅供工作人员核对" in err  # the output keeps a small group's passed count: for staff only


def test_bad_total_names_file_row_column_value(tmp_path: Path) -> None:
    reg, cands = _small_registrations(tmp_path, 2)
    sheet = tmp_path / "final.csv"
    sheet.write_text(f"考生号,总分\n{cands[0]},61\n{cands[1]},六十\n", encoding="utf-8")
    code, _, err = run("--registrations", str(reg), "--scores", str(sheet))
    assert code == 1
    assert str(sheet) in err and "第 3 行" in err and "总分" in err and "六十" in err and "100" in err
    assert "Traceback" not in err


def test_bad_by_and_missing_gradebook(tmp_path: Path) -> None:
    code, _, err = run("--registrations", str(REG), "--scores", str(SCORES), "--by", "name")
    assert code == 2 and "name" in err and "school_code" in err
    missing = tmp_path / "nope.sqlite"
    code, _, err = run("--registrations", str(REG), "--gradebook", str(missing))
    assert code == 2 and str(missing) in err
    assert not missing.exists()  # never created


def test_cli_agrees_with_the_report_session() -> None:
    from examkit.notebook.open import open_batch

    session = open_batch(
        "2023-01",
        registrations=str(REG),
        registrations_dir=str(REG.parent),
        schools=str(SCHOOLS),
        gradebook=str(FIXTURE / "no-gradebook.sqlite"),
        scores=str(SCORES),
        settings_dir=str(ROOT / "params"),
    )
    for by in (["school_code"], ["site_code"], ["province"], ["candidate_type"], []):
        arg = ",".join(by) or "batch"
        code, out, _ = run(
            *("--registrations", str(REG), "--scores", str(SCORES), "--schools", str(SCHOOLS)),
            *("--by", arg, "--format", "csv"),
        )
        assert code == 0
        cli = csv_of(out)
        shown = an.csv_frame(
            an.pass_rates(session.batch_results, by or ["batch"], session.analytics_policy), by or ["batch"]
        )
        assert cli.select(an.CSV_COLUMNS).equals(shown.select(an.CSV_COLUMNS)), by
    assert not (FIXTURE / "no-gradebook.sqlite").exists()


def test_without_schools_a_warning_says_the_school_rules_are_skipped() -> None:
    args = ("--registrations", str(REG), "--scores", str(SCORES), "--format", "csv")
    code, out, err = run(*args)
    assert code == 0 and "--schools" in err and "通过率笔记本" in err
    assert csv_of(out).columns == ["batch", "level", *an.CSV_COLUMNS]  # stdout stays clean csv
    code, _, err = run(*args, "--schools", str(SCHOOLS))
    assert code == 0 and "--schools" not in err
    out_en, err_en = io.StringIO(), io.StringIO()
    with redirect_stdout(out_en), redirect_stderr(err_en):
        assert main(["--lang", "en", "passrates", *args]) == 0
    from examkit.core.i18n import set_lang

    set_lang("zh")
    assert "no --schools given" in err_en.getvalue() and "notebook" in err_en.getvalue()


def test_help_says_the_notebook_uses_the_schools_file(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["passrates", "--help", "--lang", "en"])  # help is Chinese unless English is asked for
    text = " ".join(capsys.readouterr().out.split())
    assert "--schools" in text and "notebook" in text and "schools file" in text


def test_demo_school_rules_make_the_difference(demo_project, tmp_path: Path) -> None:
    """In the demo's first batch two rows break school rules: only --schools leaves them out, as the notebook does."""
    from examkit.notebook.open import open_batch

    data = demo_project.data
    reg, scores, schools = (
        data / "registrations" / "2023-01.xlsx",
        data / "scores" / "2023-01.xlsx",
        data / "schools.xlsx",
    )
    school_rules = {"school_not_pilot", "school_not_filed", "teacher_not_trained", "site_not_pilot", "unknown_school"}
    planted = json.loads((data / "planted.json").read_text(encoding="utf-8"))["registrations"]
    broken = [p for p in planted if p["file"] == reg.name and p["rule"] in school_rules]
    assert broken  # the demo plants school-rule mistakes in this file
    args = ("--registrations", str(reg), "--scores", str(scores), "--format", "json")
    _, without, err = run(*args)
    _, with_schools, _ = run(*args, "--schools", str(schools))
    (a,), (b,) = json.loads(without), json.loads(with_schools)
    assert "--schools" in err
    assert a["registered"] - b["registered"] == len(broken)
    session = open_batch(
        "2023-01",
        registrations=str(reg),
        schools=str(schools),
        gradebook=str(tmp_path / "none.sqlite"),
        scores=str(scores),
        settings_dir=str(demo_project.params),
    )
    shown = an.csv_frame(an.pass_rates(session.batch_results, ["batch"], session.analytics_policy), ["batch"])
    assert shown.row(0, named=True)["registered"] == b["registered"]
    assert shown.row(0, named=True)["sat"] == b["sat"] and shown.row(0, named=True)["passed"] == b["passed"]
    assert not (tmp_path / "none.sqlite").exists()


# --------------------------------------------------------------------------- issue 17 §3: one stray row


def _stray_year(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Registrations of four pilot students of 2023-01 (Excel rows 2–5), the one in row 4 with a wrong ID
    check character (excluded by validation); a paper score sheet and a final score sheet listing all four.
    Every workbook is written by openpyxl. By hand: S1 100 (pass), S2 50 (fail), S4 absent, S3 left out
    → registered 3, absent 1, sat 2, passed 1, rate 1/2."""
    import datetime as dt

    import openpyxl
    from factories import REG_HEADERS

    from examkit.core import idcard

    ids = [idcard.make("440106", dt.date(2004, 3, 1), i) for i in (1, 2, 3, 4)]
    ids[2] = ids[2][:17] + ("0" if ids[2][17] != "0" else "1")
    wb = openpyxl.Workbook()
    wb.active.append(REG_HEADERS)
    school = ["试点院校学生", "44001", "广州南方职业技术学院", "广东省", "44001"]
    for i, idn in enumerate(ids, start=1):
        wb.active.append([f"S{i}", f"考生{i}", idn, *school, "2023-01", "初级", dt.datetime(2023, 3, 20), None])
    (tmp_path / "registrations").mkdir()
    (tmp_path / "scores").mkdir()
    (tmp_path / "final").mkdir()
    reg = tmp_path / "registrations" / "2023-01.xlsx"
    wb.save(reg)
    items = ["考生号", "来电受理", "客户信息录入", "业务咨询解答", "投诉受理", "工单处理", "服务规范与礼仪", "状态"]
    wb = openpyxl.Workbook()
    for r in [
        items,
        ["S1", 20, 15, 20, 15, 15, 15, None],
        ["S2", 10, 7.5, 10, 7.5, 7.5, 7.5, None],
        ["S3", 20, 15, 20, 15, 15, 15, None],  # row 4: S3's registration did not pass validation
        ["S4", None, None, None, None, None, None, "缺考"],
    ]:
        wb.active.append(r)
    paper = tmp_path / "scores" / "2023-01.xlsx"  # the notebook finds a batch's sheet by its name
    wb.save(paper)
    wb = openpyxl.Workbook()
    for r in [["考生号", "总分", "是否合格", "标记"], ["S1", 100, "合格", None], ["S2", 50, "不合格", None]]:
        wb.active.append(r)
    wb.active.append(["S3", 100, "合格", None])  # row 4
    wb.active.append(["S4", None, None, "缺考"])
    final = tmp_path / "final" / "2023-01.xlsx"
    wb.save(final)
    return reg, paper, final


@pytest.mark.parametrize("which", ["paper", "final"])
def test_a_stray_row_is_left_out_and_named_but_the_rates_are_written(tmp_path: Path, which: str) -> None:
    reg, paper, final = _stray_year(tmp_path)
    sheet = paper if which == "paper" else final
    code, out, err = run("--registrations", str(reg), "--scores", str(sheet), "--by", "batch", "--format", "json")
    assert code == 1  # problems listed
    (row,) = json.loads(out)
    assert (row["registered"], row["sat"], row["passed"]) == (3, 2, 1)
    assert row["pass_rate"] == pytest.approx(0.5)
    (line,) = [x for x in err.splitlines() if "S3" in x]
    assert str(sheet) in line and "第 4 行" in line and "未通过校验" in line and "身份证号校验位错误" in line
    assert "未计入通过率" in line and "Traceback" not in err


def test_the_pass_rate_notebook_leaves_a_stray_row_out_and_shows_it(tmp_path: Path) -> None:
    from examkit.notebook.open import open_batch
    from examkit.report import passrates as report

    reg, paper, _ = _stray_year(tmp_path)
    session = open_batch(
        "2023-01",
        registrations=str(reg),
        gradebook=str(tmp_path / "none.sqlite"),
        scores=str(paper),
        settings_dir=str(ROOT / "params"),
    )
    shown = an.pass_rates(session.batch_results, ["batch"], session.analytics_policy).row(0, named=True)
    assert (shown["registered"], shown["sat"], shown["passed"]) == (3, 2, 1)
    (finding,) = session.passrates_inputs.findings
    assert (finding.file, finding.row, finding.value) == (str(paper), 4, "S3")
    shown_after = report.registration_check(session)[2:]  # after the heading and the validation report
    (block,) = shown_after
    html = block._repr_html_()
    assert "成绩表中未计入的行（1 行）" in html and "2023-01.xlsx" in html and ">4<" in html
    assert "身份证号校验位错误" in html and "未计入通过率" in html
    assert not (tmp_path / "none.sqlite").exists()
