"""Paper score sheets: validated like registrations, written all or nothing; final score sheet export."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from examkit.core.findings import ERROR, WARNING
from examkit.core.notice import load_notice
from examkit.store.gradebook import Gradebook
from examkit.store.scores import export_scores, import_scores

B = "2023-01"  # junior: 来电受理 20, 客户信息录入 15, 业务咨询解答 20, 投诉受理 15, 工单处理 15, 服务规范与礼仪 15
HEAD = ["考生号", "来电受理", "客户信息录入", "业务咨询解答", "投诉受理", "工单处理", "服务规范与礼仪", "状态"]
FIXTURE = Path(__file__).resolve().parent.parent / "data" / "fixture"


@pytest.fixture
def gb(tmp_path: Path) -> Gradebook:
    g = Gradebook(tmp_path / "g.sqlite")
    g.register(
        pl.DataFrame({"candidate_no": ["A1", "A2", "A3", "A4"], "name": ["甲", "乙", "丙", "丁"], "batch": [B] * 4})
    )
    yield g
    g.close()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig", head: list[str] = HEAD) -> Path:
    path.write_bytes("\r\n".join(",".join(r) for r in [head, *rows]).encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], head: list[str] = HEAD) -> Path:
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet()
        ws.write_row(0, 0, head)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                if v is not None and v != "":
                    ws.write(r, c, v)
    return path


CLEAN = [
    ["A1", "12", "9", "12", "9", "9", "9", ""],  # 60
    ["A2", "20", "15", "20", "15", "15", "14.5", ""],  # 99.5
    ["A3", "", "", "", "", "", "", "缺考"],
    ["A4", "5", "5", "5", "5", "5", "5", "违纪"],  # 30, voided
]


def test_clean_gbk_csv_imports_everything(gb, tmp_path):
    sheet = write_csv(tmp_path / "s.csv", CLEAN, encoding="gbk")
    r = import_scores(gb, B, sheet, grader="录分员")
    assert r.ok and r.findings == []
    assert (r.applied.marks, r.applied.flags) == (18, 2)
    rows = {x["candidate_no"]: x for x in gb.results(B).iter_rows(named=True)}
    assert (rows["A1"]["status"], rows["A1"]["total"], rows["A1"]["passed"]) == ("graded", 60.0, True)
    assert (rows["A2"]["total"], rows["A2"]["passed"]) == (99.5, True)
    assert (rows["A3"]["status"], rows["A3"]["total"], rows["A3"]["passed"]) == ("absent", None, None)
    assert (rows["A4"]["status"], rows["A4"]["total"], rows["A4"]["passed"]) == ("void", 30.0, False)
    audit = gb.audit(B).filter(pl.col("kind") != "rubric")
    assert audit.height == 20 and set(audit.get_column("actor")) == {"录分员"}
    assert set(audit.get_column("source")) == {"import:s.csv"}


def test_xlsx_with_numbers_english_headers_and_fullwidth_values(gb, tmp_path):
    head = [
        "candidate_no",
        "Inbound call handling",
        "Customer record entry",
        "Answering enquiries",
        "Complaint intake",
        "Ticket handling",
        "Service etiquette",
        "status",
    ]
    rows = [
        ["A1", 12, 9, 12, 9, 9, 9.5, None],
        ["Ａ２", "１５", 15, 20, 15, 15, 15, None],
        ["A3", None, None, None, None, None, None, "absent"],
        ["A4", 1, 1, 1, 1, 1, 1, None],
    ]
    r = import_scores(gb, B, write_xlsx(tmp_path / "s.xlsx", rows, head), grader="录分员")
    assert r.ok, r.findings
    totals = dict(gb.results(B).select("candidate_no", "total").iter_rows())
    assert totals == {"A1": 60.5, "A2": 95.0, "A3": None, "A4": 6.0}


def test_every_problem_is_a_finding_and_nothing_is_written(gb, tmp_path):
    rows = [
        ["A1", "25", "9", "12", "9", "9", "9", ""],  # row 2: over the maximum 20
        ["A2", "10", "10.3", "abc", "9", "9", "-1", ""],  # row 3: off step, not a number, negative
        ["Z9", "1", "1", "1", "1", "1", "1", ""],  # row 4: not registered
        ["A1", "1", "1", "1", "1", "1", "1", ""],  # row 5: A1 again
        ["A3", "1", "", "", "", "", "", "缺考"],  # row 6: absent with a mark
        ["A4", "1", "1", "1", "1", "1", "1", "迟到"],  # row 7: unknown status
        ["", "5", "", "", "", "", "", ""],  # row 8: marks without a candidate
    ]
    sheet = write_csv(tmp_path / "bad.csv", rows, head=[*HEAD, "备注"])
    r = import_scores(gb, B, sheet, grader="录分员")
    assert not r.ok and r.applied is None
    got = {(f.row, f.column, f.value, f.rule) for f in r.findings if f.severity == ERROR}
    assert got == {
        (2, "来电受理", "25", "scores.over_max"),
        (3, "客户信息录入", "10.3", "scores.off_step"),
        (3, "业务咨询解答", "abc", "scores.not_number"),
        (3, "服务规范与礼仪", "-1", "scores.negative"),
        (4, "考生号", "Z9", "scores.unknown_candidate"),
        (5, "考生号", "A1", "scores.duplicate"),
        (6, "考生号", "A3", "scores.absent_with_marks"),
        (7, "状态", "迟到", "scores.bad_status"),
        (8, "考生号", None, "scores.missing_candidate"),
    }
    warned = {(f.row, f.column, f.rule) for f in r.findings if f.severity == WARNING}
    assert (1, "备注", "scores.unknown_column") in warned
    over = next(f for f in r.findings if f.rule == "scores.over_max")
    # the message names the file, the Excel row, the user's column, the value and what is accepted
    for part in (str(sheet), "第 2 行", "来电受理", "25", "0 到 20"):
        assert part in over.message
    assert all(f.file == str(sheet) for f in r.findings)
    assert gb.marks_frame(B).height == 0 and gb.audit(B).filter(pl.col("kind") != "rubric").height == 0
    assert "9 处错误" in r.summary()


def test_missing_item_column_and_missing_candidates(gb, tmp_path):
    head = [h for h in HEAD if h != "投诉受理"]
    sheet = write_csv(tmp_path / "s.csv", [["A1", "1", "1", "1", "1", "1", ""]], head=head)
    r = import_scores(gb, B, sheet, grader="录分员")
    errs = [f for f in r.findings if f.severity == ERROR]
    assert [(f.row, f.value, f.rule) for f in errs] == [(1, "投诉受理", "scores.missing_column")]
    warn = sorted((f.value, f.rule) for f in r.findings if f.rule == "scores.not_in_sheet")
    assert warn == [("A2", "scores.not_in_sheet"), ("A3", "scores.not_in_sheet"), ("A4", "scores.not_in_sheet")]


def test_blank_marks_warn_and_leave_the_candidate_ungraded(gb, tmp_path):
    rows = [
        ["A1", "12", "9", "12", "9", "9", "", ""],
        ["A2", "1", "1", "1", "1", "1", "1", ""],
        ["A3", "1", "1", "1", "1", "1", "1", ""],
        ["A4", "1", "1", "1", "1", "1", "1", ""],
    ]
    r = import_scores(gb, B, write_csv(tmp_path / "s.csv", rows), grader="录分员")
    assert r.ok
    assert [(f.row, f.value, f.rule) for f in r.findings] == [(2, "A1", "scores.missing_mark")]
    assert gb.results(B).row(0, named=True)["status"] == "ungraded"


def test_reimport_changes_only_what_changed(gb, tmp_path):
    import_scores(gb, B, write_csv(tmp_path / "s.csv", CLEAN), grader="录分员")
    before = gb.audit(B).height
    again = import_scores(gb, B, write_csv(tmp_path / "s.csv", CLEAN), grader="录分员")
    assert (again.applied.marks, again.applied.flags) == (0, 0) and gb.audit(B).height == before
    fixed = [r[:] for r in CLEAN]
    fixed[0][1] = "13"  # A1 来电受理 12 → 13
    fixed[3][7] = ""  # A4 no longer void
    r = import_scores(gb, B, write_csv(tmp_path / "s2.csv", fixed), grader="复核员")
    assert (r.applied.marks, r.applied.flags) == (1, 1)
    new = gb.audit(B).slice(before)
    assert new.select("kind", "actor", "candidate_no", "old", "new").rows() == [
        ("mark", "复核员", "A1", "12.0", "13.0"),
        ("flag", "复核员", "A4", "void", None),
    ]
    assert gb.results(B).filter(pl.col("candidate_no") == "A4").item(0, "status") == "graded"
    skipped = import_scores(gb, B, write_csv(tmp_path / "s3.csv", CLEAN), grader="x", only_if_empty=True)
    assert skipped.applied.skipped and gb.mark(B, "A1", "J1").value == 13.0


def test_export_final_score_sheet(gb, tmp_path):
    import_scores(gb, B, write_csv(tmp_path / "s.csv", CLEAN), grader="录分员")
    gb.register(pl.DataFrame({"candidate_no": ["A5"], "name": ["戊"], "batch": [B]}))
    xlsx, csv = export_scores(gb, B, tmp_path / "out" / "final.xlsx")
    assert csv == tmp_path / "out" / "final.csv"
    ws = openpyxl.load_workbook(xlsx).active  # an independent reader
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["考生号", "总分", "是否合格", "标记"]
    assert rows[1:] == [
        ["A1", 60, "合格", None],
        ["A2", 99.5, "合格", None],
        ["A3", None, None, "缺考"],
        ["A4", 30, "不合格", "违纪（成绩无效）"],
        ["A5", None, None, "未评分"],
    ]
    text = csv.read_bytes().decode("utf-8-sig").splitlines()
    assert text[0] == "考生号,总分,是否合格,标记" and text[1] == "A1,60.0,合格,"


def test_fixture_sheet_totals_match_an_independent_sum(tmp_path):
    """The committed fixture: totals recomputed here from the sheet with openpyxl, not by examkit."""
    ws = openpyxl.load_workbook(FIXTURE / "scores" / "2023-01.xlsx").active
    head, *body = [[c.value for c in r] for r in ws.iter_rows()]
    items = head[1:7]
    status_col = head.index("状态")
    expected = {}
    for row in body:
        cand = str(row[0])
        if row[status_col] == "缺考":
            expected[cand] = ("absent", None)
        else:
            total = round(sum(float(row[head.index(h)]) for h in items), 2)
            expected[cand] = ("void" if row[status_col] == "违纪" else "graded", total)
    pass_mark = load_notice(2023).pass_mark
    with Gradebook(tmp_path / "g.sqlite") as g:
        g.register(pl.DataFrame({"candidate_no": list(expected), "batch": [B] * len(expected)}))
        r = import_scores(g, B, FIXTURE / "scores" / "2023-01.xlsx")
        assert r.ok, r.findings
        got = {c: (s, t, p) for c, _, s, t, p in g.results(B).iter_rows()}
    assert {c: (s, t) for c, (s, t, _) in got.items()} == expected
    for s, t, p in got.values():
        assert p == (None if s == "absent" else (s == "graded" and t >= pass_mark))
