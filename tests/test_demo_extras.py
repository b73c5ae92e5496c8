"""The demo year's double-marked batch (2023-08) and auto-scored senior theory (2023-13)."""

from __future__ import annotations

import polars as pl
import pytest

from examkit.demo.double_marking import ARBITER, SECOND_GRADER
from examkit.demo.theory import key_file, responses_file
from examkit.intake.theory import score_responses
from examkit.intake.theory_key import load_key
from examkit.io.tables import read_table
from examkit.settings.params import load_batch_params
from examkit.store.gradebook import Gradebook

DM_BATCH, SENIOR = "2023-08", "2023-13"


@pytest.fixture(scope="module")
def demo(demo_project):
    return demo_project.root, demo_project.year


def test_planted_disagreements_are_arbitrated_per_the_rule(demo):
    work, year = demo
    planted = [p for p in year.planted["double_marking"] if p["batch"] == DM_BATCH]
    assert len(planted) >= 4
    with Gradebook(work / "data" / "demo" / "gradebook.sqlite") as gb:
        assert gb.double_marking(DM_BATCH) is not None
        totals = {r["candidate_no"]: r for r in gb.round_totals(DM_BATCH).iter_rows(named=True)}
        results = dict(gb.results(DM_BATCH).select("candidate_no", "total").iter_rows())
    for p in planted:
        got = totals[p["candidate_no"]]
        assert (got["first"], got["second"]) == (p["first"], p["second"])
        diff = abs(p["first"] - p["second"])
        if p["expected"] == "agreed":
            assert diff == 5.0  # planted exactly at the (default) tolerance: still agreement
            assert got["third"] is None
            assert results[p["candidate_no"]] == (p["first"] + p["second"]) / 2
        else:
            assert diff > 5.0
            assert got["third"] == p["third"]
            assert got["third_grader"] == ARBITER
            # default rule "mean": the arbiter's total with the nearer of the first two
            nearer = min((p["first"], p["second"]), key=lambda v: abs(v - p["third"]))
            assert results[p["candidate_no"]] == (p["third"] + nearer) / 2


def test_every_candidate_who_sat_has_a_second_independent_marking(demo):
    work, _ = demo
    with Gradebook(work / "data" / "demo" / "gradebook.sqlite") as gb:
        totals = gb.round_totals(DM_BATCH)
        sat = gb.results(DM_BATCH).filter(pl.col("status").is_in(["graded", "void"])).get_column("candidate_no")
        assert gb.results(DM_BATCH).filter(pl.col("status") == "ungraded").height == 0  # nobody left waiting
    marked = totals.filter(pl.col("candidate_no").is_in(sat.implode()))
    assert marked.get_column("second").null_count() == 0
    assert set(marked.get_column("second_grader").to_list()) == {SECOND_GRADER}
    assert marked.filter(pl.col("first_grader") == pl.col("second_grader")).height == 0


def test_theory_is_auto_scored_into_the_gradebook_with_the_planted_answers_reported(demo):
    work, year = demo
    data = work / "data" / "demo"
    scores = score_responses(responses_file(data, SENIOR), load_key(key_file(data, SENIOR)), partial_credit="none")
    rows = dict(
        read_table(responses_file(data, SENIOR), "theory_responses").frame.select("_row", "candidate_no").iter_rows()
    )
    reported = {
        (rows[f.row], f.column, f.value, f.rule)
        for f in scores.findings
        if f.rule in ("theory.blank_answer", "theory.malformed_answer")
    }
    planted = {(p["candidate_no"], p["column"], p["value"], p["rule"]) for p in year.planted["theory"]}
    assert reported == planted
    with Gradebook(data / "gradebook.sqlite") as gb:
        t_marks = gb.marks_frame(SENIOR).filter(pl.col("item_id") == "T")
        audit = gb.audit(SENIOR).filter((pl.col("kind") == "mark") & (pl.col("item_id") == "T"))
    assert dict(t_marks.select("candidate_no", "mark").iter_rows()) == dict(
        scores.totals.select("candidate_no", "mark").iter_rows()
    )
    assert set(audit.get_column("source").to_list()) == {"theory"}


def test_grading_reports_show_both(demo):
    from examkit.notebook.open import open_batch
    from examkit.report.grading import extra_sections

    work, _ = demo

    def section(batch: str) -> str | None:
        values = load_batch_params(work / "params" / f"{batch}.yaml").values
        block = extra_sections(open_batch(**values))
        return None if block is None else str(block)

    dm = section(DM_BATCH)
    assert "双评一致性" in dm
    assert "ICC(2,1)" in dm
    theory = section(SENIOR)
    assert "理论机考自动评分" in theory
    assert "B?" in theory  # a planted malformed answer is listed for checking
    assert section("2023-01") is None  # single-marked junior batch: nothing to show
