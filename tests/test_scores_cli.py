"""``examkit scores import|export`` and ``examkit audit export``: score sheets and the audit log without Python."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from factories import registrations

from examkit.cli import main
from examkit.core.notice import load_notice
from examkit.store.gradebook import Gradebook

B = "2023-01"  # junior: 来电受理 20, 客户信息录入 15, 业务咨询解答 20, 投诉受理 15, 工单处理 15, 服务规范与礼仪 15
HEAD = ["考生号", "来电受理", "客户信息录入", "业务咨询解答", "投诉受理", "工单处理", "服务规范与礼仪", "状态"]
ITEMS = ["J1", "J2", "J3", "J4", "J5", "J6"]  # the same items, in the same order
SHEET = [
    ["C001", "12", "9", "12", "9", "9", "9", ""],
    ["C002", "20", "15", "20", "15", "15", "14.5", ""],
    ["C003", "", "", "", "", "", "", "缺考"],
    ["C004", "5", "5", "5", "5", "5", "5", "违纪"],
]
GRADER = "李老师"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A gradebook with C001–C004 of 2023-01 registered and nothing marked."""
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path, durable=False) as g:
        g.register(registrations(4))
    return path


def sheet(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [HEAD, *rows]) + "\n", encoding="utf-8-sig")
    return path


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def state(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    with Gradebook(path) as g:
        return g.marks_frame(B), g.audit(B)


def imported(capsys, book: Path, tmp_path: Path) -> None:
    code, _ = run(capsys, "scores", "import", sheet(tmp_path / "s.csv", SHEET), "--batch", B, "--gradebook", book)
    assert code == 0


def test_a_bad_row_exits_1_naming_row_and_column_and_writes_nothing(capsys, book, tmp_path):
    rows = [SHEET[0], ["C002", "20", "16", "20", "15", "15", "14.5", ""]]  # 客户信息录入 max 15, in Excel row 3
    code, text = run(capsys, "scores", "import", sheet(tmp_path / "bad.csv", rows), "--batch", B, "--gradebook", book)
    assert code == 1
    line = next(x for x in text.splitlines() if "16" in x)
    assert "bad.csv" in line and "第 3 行" in line and "客户信息录入" in line and "15" in line
    marks, audit = state(book)
    assert marks.height == 0  # C001's good row was not written either
    assert audit.filter(pl.col("kind") != "rubric").height == 0


def test_a_good_import_writes_every_mark_and_flag_with_its_audit_row(capsys, book, tmp_path):
    path = sheet(tmp_path / "paper.csv", SHEET)
    code, text = run(capsys, "scores", "import", path, "--batch", B, "--gradebook", book, "--grader", GRADER)
    assert code == 0, text
    filled = {(r[0], ITEMS[i]): float(v) for r in SHEET for i, v in enumerate(r[1:7]) if v}
    marks, audit = state(book)
    assert {(c, i): v for c, i, v in marks.select("candidate_no", "item_id", "mark").iter_rows()} == filled
    mark_rows = audit.filter(pl.col("kind") == "mark")
    assert {(c, i): float(v) for c, i, v in mark_rows.select("candidate_no", "item_id", "new").iter_rows()} == filled
    assert mark_rows.height == len(filled) == 18
    assert set(mark_rows.get_column("actor")) == {GRADER}
    assert set(mark_rows.get_column("source")) == {"import:paper.csv"}
    flags = audit.filter(pl.col("kind") == "flag").select("candidate_no", "new").rows()
    assert sorted(flags) == [("C003", "absent"), ("C004", "void")]


def test_changing_stored_marks_needs_replace_and_is_audited_with_the_reason(capsys, book, tmp_path):
    imported(capsys, book, tmp_path)
    changed = [["C001", "12", "9", "12", "9", "9", "10", ""], *SHEET[1:]]  # C001 服务规范与礼仪 9 → 10
    path = sheet(tmp_path / "recheck.csv", changed)
    _, before = state(book)
    code, text = run(capsys, "scores", "import", path, "--batch", B, "--gradebook", book)
    assert code == 1
    assert "--replace" in text and "C001 J6: 9 → 10" in text
    marks, audit = state(book)
    assert marks.filter((pl.col("candidate_no") == "C001") & (pl.col("item_id") == "J6")).item(0, "mark") == 9.0
    assert audit.height == before.height

    code, text = run(
        capsys, "scores", "import", path, "--batch", B, "--gradebook", book, "--replace", "--reason", "复核更正"
    )
    assert code == 0, text
    marks, audit = state(book)
    assert marks.filter((pl.col("candidate_no") == "C001") & (pl.col("item_id") == "J6")).item(0, "mark") == 10.0
    new_rows = audit.filter(pl.col("id") > before.get_column("id").max())
    assert new_rows.height == 1  # only the one changed mark
    row = new_rows.row(0, named=True)
    assert (row["candidate_no"], row["item_id"], float(row["old"]), float(row["new"])) == ("C001", "J6", 9.0, 10.0)
    assert "复核更正" in row["reason"]


def expected_final() -> dict[str, tuple[str, str, str]]:
    """The platform sheet worked out from SHEET alone: total, pass, flag, as the user reads them."""
    pass_mark = load_notice(2023).pass_mark
    out = {}
    for r in SHEET:
        if r[7] == "缺考":
            out[r[0]] = ("", "", "缺考")
            continue
        total = sum(float(v) for v in r[1:7])
        verdict = "不合格" if r[7] == "违纪" or total < pass_mark else "合格"
        out[r[0]] = (f"{total:g}", verdict, r[7])
    return out


def test_export_csv_and_xlsx_match_totals_computed_from_the_sheet(capsys, book, tmp_path):
    imported(capsys, book, tmp_path)
    want = expected_final()
    assert want["C001"][1] == "合格" and want["C002"] == ("99.5", "合格", "")  # the sheet covers pass and fail cases
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"final{suffix}"
        code, text = run(capsys, "scores", "export", "--batch", B, "--gradebook", book, "--out", out)
        assert code == 0, text
        if suffix == ".csv":
            with out.open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
        else:
            ws = openpyxl.load_workbook(out, read_only=True).worksheets[0]
            rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
        assert [str(x) for x in rows[0]] == ["考生号", "总分", "是否合格", "标记"]
        got = {}
        for cand, total, verdict, flag in rows[1:]:
            shown = "" if total == "" else f"{float(total):g}"
            got[str(cand)] = (shown, str(verdict), str(flag)[:2])  # 违纪（成绩无效） → 违纪
        assert got == want


def test_audit_export_writes_every_row_as_csv_and_xlsx(capsys, book, tmp_path):
    imported(capsys, book, tmp_path)
    # the batch's rubric row, 18 marks, 2 flags
    code, text = run(capsys, "audit", "export", "--batch", B, "--gradebook", book, "--out", tmp_path / "log.csv")
    assert code == 0, text
    with (tmp_path / "log.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    kinds = [r["类别"] for r in rows]
    assert (len(rows), kinds.count("rubric"), kinds.count("mark"), kinds.count("flag")) == (21, 1, 18, 2)
    assert {r["操作人"] for r in rows if r["类别"] == "mark"} == {"成绩表导入（s.csv）"}
    code, _ = run(capsys, "audit", "export", "--gradebook", book, "--out", tmp_path / "log.xlsx")
    assert code == 0
    wb = openpyxl.load_workbook(tmp_path / "log.xlsx", read_only=True)
    assert wb.sheetnames == ["修改记录"]
    assert len(list(wb["修改记录"].iter_rows(values_only=True))) == 1 + 21


def test_a_missing_gradebook_is_an_error_and_is_not_created(capsys, tmp_path):
    missing = tmp_path / "typo.sqlite"
    out = tmp_path / "final.csv"
    for argv in (
        ["scores", "export", "--batch", B, "--gradebook", missing, "--out", out],
        ["scores", "import", sheet(tmp_path / "s.csv", SHEET), "--batch", B, "--gradebook", missing],
        ["audit", "export", "--gradebook", missing, "--out", out],
    ):
        code, text = run(capsys, *argv)
        assert code == 2 and str(missing) in text
        assert not missing.exists() and not out.exists()


def test_the_default_params_file_names_the_gradebook(capsys, book, tmp_path, monkeypatch):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / f"{B}.yaml").write_text(f'batch: "{B}"\ngradebook: {book.name}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, text = run(capsys, "scores", "import", sheet(tmp_path / "s.csv", SHEET), "--batch", "2023年第一次统考")
    assert code == 0, text
    code, text = run(capsys, "scores", "export", "--batch", B, "--out", "final.txt")  # not csv/xlsx
    assert code == 2 and ".csv, .xlsx" in text and not (tmp_path / "final.txt").exists()
    marks, _ = state(book)
    assert marks.height == 18


def test_a_refused_import_lists_every_offending_row_in_one_message(capsys, book, tmp_path):
    """Issue 17 §3: still all or nothing, but the summary names every bad row, not just the first."""
    wb = openpyxl.Workbook()  # a workbook a spreadsheet program wrote, not the kit
    for r in [HEAD, SHEET[0], ["C777", *SHEET[1][1:]], SHEET[2], ["C888", *SHEET[3][1:]]]:
        wb.active.append(r)
    path = tmp_path / "strays.xlsx"
    wb.save(path)
    code, text = run(capsys, "scores", "import", path, "--batch", B, "--gradebook", book)
    assert code == 1
    summary = text.strip().splitlines()[-1]
    assert "strays.xlsx" in summary and "2 处错误" in summary and "第 3、5 行" in summary
    marks, audit = state(book)
    assert marks.height == 0 and audit.filter(pl.col("kind") != "rubric").height == 0


def test_a_refused_bulk_write_names_every_unknown_candidate_and_bad_mark(book):
    from examkit.core.exceptions import GradebookError

    strays = pl.DataFrame({"candidate_no": ["C001", "C901", "C902"], "item_id": ["J1"] * 3, "mark": [10.0, 5.0, 6.0]})
    with Gradebook(book) as g:
        with pytest.raises(GradebookError) as caught:
            g.apply(B, strays, grader=GRADER)
        assert "C901" in str(caught.value) and "C902" in str(caught.value) and "2" in str(caught.value)
        over = pl.DataFrame({"candidate_no": ["C001", "C002"], "item_id": ["J1", "J2"], "mark": [21.0, 16.0]})
        with pytest.raises(GradebookError) as caught:  # J1 max 20, J2 max 15: both over
            g.apply(B, over, grader=GRADER)
        text = str(caught.value)
        assert "C001" in text and "J1" in text and "21" in text and "C002" in text and "J2" in text and "16" in text
        assert g.marks_frame(B).height == 0
