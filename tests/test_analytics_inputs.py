"""Reading the pass-rate inputs: theory correctness for KR-20, score-sheet batches, read-only gradebook."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from examkit.analysis.stats import kr20
from examkit.session import year as pi

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "data" / "fixture"


def test_theory_correctness_feeds_kr20(tmp_path: Path) -> None:
    key = tmp_path / "key.csv"
    key.write_text("题号,答案,分值,选项\n1,A,2,ABCD\n2,B,2,ABCD\n3,C,2,ABCD\n4,AC,4,ABCD\n", encoding="utf-8")
    responses = tmp_path / "responses.csv"
    # the KR-20 worked example of test_stats (Guttman pattern 1111, 1110, 1100, 1000, 0000) → 0.8
    responses.write_text(
        "考生号,1,2,3,4\nc1,a,B,c,A、C\nc2,A,b,C,A\nc3,A,B,D,\nc4,A,C,D,B\nc5,B,C,D,D\n", encoding="utf-8"
    )
    correct = pi.theory_correctness(key, responses, ROOT / "params")
    wide = correct.sort("candidate_no", "question_id").group_by("candidate_no", maintain_order=True).agg("correct")
    assert wide["correct"].to_list() == [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert kr20(correct).value == pytest.approx(0.8)


def test_theory_correctness_needs_both_files(tmp_path: Path) -> None:
    assert pi.theory_correctness(None, None) is None
    assert pi.theory_correctness(tmp_path / "missing.xlsx", tmp_path / "missing.csv") is None


def test_score_sheet_for_a_batch_is_found_beside_the_given_one() -> None:
    given = FIXTURE / "scores" / "2023-01.xlsx"
    assert pi.sheet_for(given, "2023-01") == given
    assert pi.sheet_for(given, "2023-03") is None
    assert pi.sheet_for(None, "2023-01") is None


def test_item_sheet_results_follow_the_contract() -> None:
    reg, _ = pi.load_registration_files([FIXTURE / "registrations" / "2023-01.xlsx"])
    got = pi.results_for("2023-01", reg["candidate_no"], scores=FIXTURE / "scores" / "2023-01.xlsx")
    assert got.source == "scores"
    assert got.results.columns == ["candidate_no", "batch", "status", "total"]
    assert set(got.results["status"].unique()) <= {"graded", "absent", "void", "ungraded"}
    # absent candidates have no total and no item marks
    absent = got.results.filter(pl.col("status") == "absent")["candidate_no"]
    assert absent.len() == 3
    assert got.item_marks.filter(pl.col("candidate_no").is_in(absent.implode())).is_empty()
    # a graded total is the sum of its item marks
    sums = got.item_marks.group_by("candidate_no").agg(pl.col("mark").sum().alias("s"))
    joined = got.results.join(sums, on="candidate_no").filter(pl.col("status") == "graded")
    assert (joined["total"] - joined["s"]).abs().max() < 1e-9


def test_missing_gradebook_is_not_created(tmp_path: Path) -> None:
    gb = tmp_path / "gradebook.sqlite"
    assert pi.from_gradebook(gb, "2023-01") is None
    assert not gb.exists()


def test_a_score_sheet_row_of_someone_not_registered_is_left_out_as_a_finding() -> None:
    """Issue 17 §3: the row is left out and named (file, Excel row, why); the other rows still count."""
    sheet = FIXTURE / "scores" / "2023-01.xlsx"
    reg, _ = pi.load_registration_files([FIXTURE / "registrations" / "2023-01.xlsx"])
    everyone = pi.results_for("2023-01", reg["candidate_no"], scores=sheet)
    gone = reg["candidate_no"][0]
    excluded = pl.DataFrame({"candidate_no": [gone], "message": ["身份证号校验位错误"]})
    got = pi.results_for("2023-01", reg["candidate_no"][1:], scores=sheet, excluded=excluded)
    assert everyone.findings == []
    (f,) = got.findings
    assert (f.file, f.value, f.rule, f.severity) == (str(sheet), gone, "scores.stray_row", "error")
    assert f"第 {f.row} 行" in f.message and "身份证号校验位错误" in f.message
    assert got.results["candidate_no"].to_list() == everyone.results["candidate_no"].to_list()[1:]
    assert gone not in got.item_marks["candidate_no"].to_list()
    # found in no registrations at all: the reason says so
    (f,) = pi.results_for("2023-01", reg["candidate_no"][1:], scores=sheet).findings
    assert "不是批次 2023-01 的报名考生" in f.message
