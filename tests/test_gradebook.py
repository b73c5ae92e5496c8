"""The gradebook: registration, marks with versions, flags, results contract, audit log and its triggers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from examkit.core.exceptions import GradebookError, RubricError, StaleWriteError
from examkit.core.notice import load_notice
from examkit.io.tables import read_raw
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook

B = "2023-01"  # a junior batch: items J1..J6 with maxima 20, 15, 20, 15, 15, 15
PASS = load_notice(2023).pass_mark


def registrations(n: int = 4, batch: str = B) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "candidate_no": [f"C{i:02d}" for i in range(1, n + 1)],
            "name": ["张三", "李四", "王五", "赵六", "钱七", "孙八"][:n],
            "id_number": [f"11010120000101{i:03d}X" for i in range(1, n + 1)],
            "batch": [batch] * n,
            "level": ["junior"] * n,
        }
    )


@pytest.fixture
def gb(tmp_path: Path) -> Gradebook:
    g = Gradebook(tmp_path / "gradebook.sqlite")
    g.register(registrations())
    yield g
    g.close()


def grade(gb: Gradebook, cand: str, marks: dict[str, float], grader: str = "王老师") -> None:
    for item, value in marks.items():
        gb.save_mark(B, cand, item, value, grader=grader, expected_version=None)


FULL_60 = {"J1": 12, "J2": 9, "J3": 12, "J4": 9, "J5": 9, "J6": 9}  # 60 in all


def test_register_sets_up_rubric_and_candidates(gb):
    assert gb.batches() == [B]
    assert gb.rubric_hash(B) == load_rubric("junior").sha256
    assert [i.id for i in gb.rubric(B).items] == ["J1", "J2", "J3", "J4", "J5", "J6"]
    c = gb.candidates(B)
    assert c.get_column("candidate_no").to_list() == ["C01", "C02", "C03", "C04"]
    assert c.filter(pl.col("candidate_no") == "C02").item(0, "name") == "李四"
    # registering again adds nothing and updates changed details
    assert gb.register(registrations().with_columns(pl.col("name").str.replace("张三", "张三丰"))) == 0
    assert gb.candidates(B).item(0, "name") == "张三丰"
    assert gb.register(registrations(6)) == 2


def test_results_contract_and_statuses(gb):
    grade(gb, "C01", FULL_60)  # exactly the pass mark
    grade(gb, "C02", {**FULL_60, "J6": 8.5})  # half a point under
    grade(gb, "C03", FULL_60)
    gb.set_flag(B, "C03", "void", grader="王老师", expected_version=0)
    gb.set_flag(B, "C04", "absent", grader="王老师", expected_version=0)
    gb.register(registrations(5))  # C05: nothing entered
    r = gb.results(B)
    assert r.schema == pl.Schema(
        {"candidate_no": pl.String, "batch": pl.String, "status": pl.String, "total": pl.Float64, "passed": pl.Boolean}
    )
    rows = {row["candidate_no"]: row for row in r.iter_rows(named=True)}
    assert PASS == 60  # the hand-computed totals below assume the notice's pass mark
    assert rows["C01"] == {"candidate_no": "C01", "batch": B, "status": "graded", "total": 60.0, "passed": True}
    assert rows["C02"]["status"] == "graded" and rows["C02"]["total"] == 59.5 and rows["C02"]["passed"] is False
    assert rows["C03"]["status"] == "void" and rows["C03"]["total"] == 60.0 and rows["C03"]["passed"] is False
    assert rows["C04"]["status"] == "absent" and rows["C04"]["total"] is None and rows["C04"]["passed"] is None
    assert rows["C05"]["status"] == "ungraded" and rows["C05"]["total"] is None and rows["C05"]["passed"] is None


def test_partial_candidate_is_ungraded_until_every_item_has_a_mark(gb):
    grade(gb, "C01", {k: v for k, v in FULL_60.items() if k != "J6"})
    assert gb.results(B).row(0, named=True)["status"] == "ungraded"
    grade(gb, "C01", {"J6": 9})
    assert gb.results(B).row(0, named=True)["status"] == "graded"
    gb.save_mark(B, "C01", "J6", None, grader="王老师", expected_version=None)  # cleared again
    assert gb.results(B).row(0, named=True)["status"] == "ungraded"


def test_item_marks_long_frame(gb):
    grade(gb, "C01", FULL_60)
    grade(gb, "C02", {"J1": 5})  # incomplete: not in item marks
    gb.set_flag(B, "C01", None, grader="x", expected_version=0)  # clearing a flag never set changes nothing
    im = gb.item_marks(B)
    assert im.schema == pl.Schema(
        {"candidate_no": pl.String, "item_id": pl.String, "section": pl.String, "mark": pl.Float64, "max": pl.Float64}
    )
    assert im.get_column("candidate_no").unique().to_list() == ["C01"]
    assert im.select("item_id", "mark", "max").rows() == [
        ("J1", 12.0, 20.0),
        ("J2", 9.0, 15.0),
        ("J3", 12.0, 20.0),
        ("J4", 9.0, 15.0),
        ("J5", 9.0, 15.0),
        ("J6", 9.0, 15.0),
    ]
    assert set(im.get_column("section")) == {"practical"}


def test_versions_and_stale_writes(gb):
    s1 = gb.save_mark(B, "C01", "J1", 15, grader="王老师", expected_version=0)
    assert (s1.version, s1.changed) == (1, True)
    s2 = gb.save_mark(B, "C01", "J1", "16.5", grader="王老师", expected_version=1)
    assert (s2.version, s2.value) == (2, 16.5)
    with pytest.raises(StaleWriteError) as exc:
        gb.save_mark(B, "C01", "J1", 10, grader="李老师", expected_version=1)  # read before 王老师's second save
    assert exc.value.current == 16.5
    assert "16.5" in str(exc.value) and "10" in str(exc.value)
    assert gb.mark(B, "C01", "J1").value == 16.5 and gb.mark(B, "C01", "J1").version == 2
    # the same value as stored is no conflict and no change
    same = gb.save_mark(B, "C01", "J1", 16.5, grader="李老师", expected_version=1)
    assert (same.version, same.changed) == (2, False)
    with pytest.raises(StaleWriteError):
        gb.save_mark(B, "C01", "J2", 3, grader="李老师", expected_version=4)  # no mark yet: version is 0
    assert gb.mark(B, "C01", "J2").version == 0


def test_invalid_marks_are_refused_and_nothing_stored(gb):
    for bad in (20.5, -1, 10.3, "abc"):
        with pytest.raises(GradebookError, match="来电受理"):
            gb.save_mark(B, "C01", "J1", bad, grader="王老师", expected_version=0)
    with pytest.raises(GradebookError, match="ZZ"):
        gb.save_mark(B, "ZZ", "J1", 1, grader="王老师", expected_version=0)
    with pytest.raises(GradebookError, match="J9"):
        gb.save_mark(B, "C01", "J9", 1, grader="王老师", expected_version=0)
    with pytest.raises(GradebookError):
        gb.save_mark(B, "C01", "J1", 1, grader="  ", expected_version=0)  # who made the change is required
    with pytest.raises(GradebookError):
        gb.set_flag(B, "C01", "late", grader="王老师", expected_version=0)
    assert gb.marks_frame(B).height == 0
    assert gb.audit(B).filter(pl.col("kind") != "rubric").height == 0


def test_audit_records_who_when_old_new_and_reason(gb):
    gb.save_mark(B, "C01", "J1", 15, grader="王老师", expected_version=0)
    gb.save_mark(B, "C01", "J1", 14, grader="李老师", expected_version=1, reason="复核")
    gb.set_flag(B, "C02", "absent", grader="王老师", expected_version=0)
    gb.set_flag(B, "C02", None, grader="王老师", expected_version=1, reason="误点")
    a = gb.audit(B).filter(pl.col("kind") != "rubric")
    assert a.select("kind", "actor", "candidate_no", "item_id", "old", "new", "version", "reason").rows() == [
        ("mark", "王老师", "C01", "J1", None, "15.0", 1, None),
        ("mark", "李老师", "C01", "J1", "15.0", "14.0", 2, "复核"),
        ("flag", "王老师", "C02", None, None, "absent", 1, None),
        ("flag", "王老师", "C02", None, "absent", None, 2, "误点"),
    ]
    assert a.get_column("at").str.contains(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$").all()
    assert a.get_column("at").is_sorted()


def test_raw_update_and_delete_on_the_audit_table_fail(gb):
    gb.save_mark(B, "C01", "J1", 15, grader="王老师", expected_version=0)
    raw = sqlite3.connect(gb.path)
    try:
        for sql in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit", "DELETE FROM audit WHERE id = 2"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(sql)
        with pytest.raises(sqlite3.DatabaseError):
            raw.execute("DELETE FROM marks")
        # even a raw change of a mark leaves its audit row (the database writes it)
        before = raw.execute("SELECT count(*) FROM audit").fetchone()[0]
        raw.execute("UPDATE marks SET value = 3, version = version + 1, grader = 'sql' WHERE candidate_no = 'C01'")
        raw.commit()
        last = raw.execute("SELECT actor, old, new FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        assert raw.execute("SELECT count(*) FROM audit").fetchone()[0] == before + 1
        assert last == ("sql", "15.0", "3.0")
        # and the database itself refuses a mark above the maximum or an update that skips the version
        with pytest.raises(sqlite3.DatabaseError, match="maximum"):
            raw.execute("UPDATE marks SET value = 21, version = version + 1 WHERE candidate_no = 'C01'")
        with pytest.raises(sqlite3.DatabaseError, match="version"):
            raw.execute("UPDATE marks SET value = 2 WHERE candidate_no = 'C01'")
    finally:
        raw.close()


def test_rubric_hash_refuses_a_different_rubric_once_marks_exist(gb, tmp_path):
    params = tmp_path / "params"
    (params / "rubrics").mkdir(parents=True)
    text = load_rubric("junior").file.read_text(encoding="utf-8")
    (params / "rubrics" / "junior.yaml").write_text(
        text.replace("max: 20, step: 0.5}", "max: 25, step: 0.5}", 1).replace(
            "max: 15, step: 0.5}", "max: 10, step: 0.5}", 1
        ),
        encoding="utf-8",
    )
    other = load_rubric("junior", params)
    assert other.sha256 != gb.rubric_hash(B)
    assert gb.set_rubric(B, other) is True  # no marks yet: the batch may switch
    assert gb.rubric(B).item("J1").max == 25
    assert gb.set_rubric(B, load_rubric("junior")) is True
    gb.save_mark(B, "C01", "J1", 15, grader="王老师", expected_version=0)
    with pytest.raises(RubricError) as exc:
        gb.set_rubric(B, other)
    assert B in str(exc.value)
    with pytest.raises(RubricError):
        gb.register(registrations(), rubrics={"junior": other})
    with pytest.raises(RubricError):
        gb.check_rubric(B, other)
    gb.check_rubric(B, load_rubric("junior"))
    assert gb.rubric_hash(B) == load_rubric("junior").sha256
    rubric_audit = gb.audit(B).filter(pl.col("kind") == "rubric")
    assert rubric_audit.height == 3  # set up, switched, switched back; the refused one left no trace
    assert rubric_audit.get_column("new").to_list()[-1] == load_rubric("junior").sha256


def test_bulk_apply_is_all_or_nothing(gb):
    good = pl.DataFrame({"candidate_no": ["C01", "C02"], "item_id": ["J1", "J1"], "mark": [10.0, 12.5]})
    bad = pl.concat([good, pl.DataFrame({"candidate_no": ["C09"], "item_id": ["J1"], "mark": [1.0]})])
    with pytest.raises(GradebookError, match="C09"):
        gb.apply(B, bad, grader="导入")
    over = good.with_columns(
        pl.when(pl.col("candidate_no") == "C02").then(30.0).otherwise(pl.col("mark")).alias("mark")
    )
    with pytest.raises(GradebookError):
        gb.apply(B, over, grader="导入")
    assert gb.marks_frame(B).height == 0
    flags = pl.DataFrame({"candidate_no": ["C03", "C04"], "flag": ["absent", None]})
    applied = gb.apply(B, good, flags, grader="导入")
    assert (applied.marks, applied.flags) == (2, 1)
    assert gb.apply(B, good, flags, grader="导入").marks == 0  # unchanged values write nothing
    assert gb.apply(B, good, flags, grader="导入", only_if_empty=True).skipped
    assert gb.audit(B).filter(pl.col("kind") == "mark").height == 2


def test_export_audit_csv_and_xlsx(gb, tmp_path):
    gb.save_mark(B, "C01", "J1", 15, grader="王老师", expected_version=0)
    csv = gb.export_audit(tmp_path / "out" / "audit.csv", B)
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly BOM
    back = read_raw(csv)
    assert back.columns[:3] == ["序号", "时间", "操作人"]
    assert back.filter(pl.col("类别") == "mark").select("操作人", "考生号", "新值").rows() == [
        ("王老师", "C01", "15.0")
    ]
    xlsx = gb.export_audit(tmp_path / "out" / "audit.xlsx")
    assert read_raw(xlsx).height == back.height
    with pytest.raises(GradebookError, match=r"\.csv"):
        gb.export_audit(tmp_path / "audit.pdf")


def test_reopening_keeps_everything(tmp_path):
    path = tmp_path / "g.sqlite"
    with Gradebook(path) as g:
        g.register(registrations())
        g.save_mark(B, "C01", "J1", 15, grader="王老师", expected_version=0)
    with Gradebook(path) as g:
        assert g.mark(B, "C01", "J1").value == 15
        assert g.schema_version >= 1
        g.register(registrations())  # registering again clears nothing
        assert g.mark(B, "C01", "J1").version == 1


def test_not_a_gradebook(tmp_path):
    p = tmp_path / "notes.sqlite"
    p.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(GradebookError, match=str(p)):
        Gradebook(p)
