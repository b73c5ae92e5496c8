"""Publishing freezes a batch; review requests inside the period re-mark through the audited path."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import polars as pl
import pytest
from factories import MARKS, graded_gradebook, marks_frame, registrations

from examkit.core.exceptions import GradebookError, PublicityError
from examkit.store.gradebook import Gradebook

B = "2023-01"  # junior: items J1..J6, maxima 20, 15, 20, 15, 15, 15, step 0.5
PUBLISHED = dt.date(2023, 5, 1)
DAYS = 7  # period 2023-05-01 … 2023-05-07 inclusive
D = dt.date


# registrations(n): C001… of 44001; MARKS totals: C001 = 60 (pass), C002 = 59.5 (fail, near the line), C003 = 45 (fail)


@pytest.fixture
def gb(tmp_path: Path):
    g = graded_gradebook(tmp_path / "gradebook.sqlite", B)  # C001–C003 marked as in MARKS, C004 absent
    yield g
    g.close()


def totals(g: Gradebook) -> dict[str, float | None]:
    return dict(g.results(B).select("candidate_no", "total").iter_rows())


# --------------------------------------------------------------------------- publishing


def test_publish_records_the_period_and_stage(gb):
    assert gb.publication(B) is None
    assert gb.stage(B, D(2023, 4, 30)).code == "grading"
    period = gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    assert (period.first_day, period.last_day) == (D(2023, 5, 1), D(2023, 5, 7))
    assert gb.publication(B) == period
    assert gb.stage(B, D(2023, 5, 7)).code == "publicity"
    assert gb.stage(B, D(2023, 5, 8)).code == "ended"
    # same date again: nothing changes; another date: refused
    assert gb.publish(B, PUBLISHED, days=DAYS, by="考务") == period
    with pytest.raises(PublicityError, match="2023-05-01"):
        gb.publish(B, D(2023, 5, 2), days=DAYS, by="考务")
    assert gb.audit(B).filter(pl.col("kind") == "publish").height == 1


def test_ungraded_batch_cannot_be_published(tmp_path):
    with Gradebook(tmp_path / "g.sqlite", durable=False) as g:
        g.register(registrations(3))
        g.apply(B, marks_frame({"C001": MARKS["C001"]}), grader="王老师")
        with pytest.raises(PublicityError) as err:
            g.publish(B, PUBLISHED, days=DAYS, by="考务")
        assert "2" in str(err.value) and "C002" in str(err.value)
        assert g.publication(B) is None


def test_frozen_scores_refuse_a_direct_edit(gb):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    before = totals(gb)
    audit_rows = gb.audit(B).height
    with pytest.raises(PublicityError) as err:
        gb.save_mark(B, "C002", "J6", 9, grader="王老师", expected_version=None)
    assert "C002" in str(err.value) and "2023-05-01" in str(err.value) and "复核" in str(err.value)
    with pytest.raises(PublicityError):
        gb.set_flag(B, "C003", "void", grader="王老师", expected_version=None)
    with pytest.raises(PublicityError):
        gb.apply(B, marks_frame({"C003": {"J1": 10}}), grader="王老师")
    # even a review-tagged write is refused without an open request for that candidate
    with pytest.raises(PublicityError):
        gb.apply(B, marks_frame({"C003": {"J1": 10}}), grader="王老师", source="review")
    # and the database itself refuses, whatever the code path
    with pytest.raises(sqlite3.IntegrityError, match="published"):
        gb._conn.execute(
            "UPDATE marks SET value = 20, version = version + 1 WHERE batch = ? AND candidate_no = 'C003'", (B,)
        )
    assert totals(gb) == before
    assert gb.audit(B).height == audit_rows


def test_publishing_one_batch_leaves_others_editable(tmp_path):
    with Gradebook(tmp_path / "g.sqlite", durable=False) as g:
        g.register(registrations(1))
        g.register(registrations(1, batch="2023-03"))
        g.apply(B, marks_frame({"C001": MARKS["C001"]}), grader="王老师")
        g.publish(B, PUBLISHED, days=DAYS, by="考务")
        saved = g.save_mark("2023-03", "C001", "J1", 10, grader="王老师", expected_version=0)
        assert saved.changed


# --------------------------------------------------------------------------- review requests


@pytest.mark.parametrize(("day", "accepted"), [(D(2023, 5, 1), True), (D(2023, 5, 7), True), (D(2023, 5, 8), False)])
def test_review_requests_only_inside_the_period(gb, day, accepted):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    if accepted:
        rid = gb.request_review(B, "C002", requested_by="考生本人", on=day, recorded_by="考务")
        (review,) = gb.reviews(B)
        assert (review.id, review.candidate_no, review.requested_on, review.outcome) == (rid, "C002", day, None)
        assert review.old_total == 59.5 and review.old_passed is False
    else:
        with pytest.raises(PublicityError) as err:
            gb.request_review(B, "C002", requested_by="考生本人", on=day, recorded_by="考务")
        assert "2023-05-07" in str(err.value) and "2023-05-08" in str(err.value)
        assert gb.reviews(B) == []


def test_review_before_publishing_or_before_the_period_is_refused(gb):
    with pytest.raises(PublicityError, match="examkit publish"):
        gb.request_review(B, "C002", requested_by="考生本人", on=D(2023, 5, 2), recorded_by="考务")
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    with pytest.raises(PublicityError, match="2023-04-30"):
        gb.request_review(B, "C002", requested_by="考生本人", on=D(2023, 4, 30), recorded_by="考务")
    with pytest.raises(GradebookError, match="C999"):
        gb.request_review(B, "C999", requested_by="考生本人", on=D(2023, 5, 2), recorded_by="考务")


def test_a_second_open_request_for_the_same_candidate_is_refused(gb):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    rid = gb.request_review(B, "C002", requested_by="考生本人", on=D(2023, 5, 2), recorded_by="考务")
    with pytest.raises(PublicityError, match=f"#{rid}"):
        gb.request_review(B, "C002", requested_by="家长", on=D(2023, 5, 3), recorded_by="考务")


def test_review_remark_flips_fail_to_pass_with_audit(gb):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    rid = gb.request_review(B, "C002", requested_by="考生本人", on=D(2023, 5, 3), recorded_by="考务", reason="分数有误")
    review = gb.decide_review(B, rid, marks={"J6": "9"}, decided_by="复核组李老师", reason="J6 漏计 0.5 分")
    assert (review.old_total, review.new_total) == (59.5, 60.0)
    assert (review.old_passed, review.new_passed) == (False, True)
    assert review.outcome == "changed" and review.flip == "fail_to_pass"
    row = gb.results(B).filter(pl.col("candidate_no") == "C002").row(0, named=True)
    assert (row["total"], row["passed"]) == (60.0, True)
    marks = gb.audit(B, "C002").filter(pl.col("kind") == "mark")
    last = marks.row(-1, named=True)
    assert (last["item_id"], last["old"], last["new"], last["actor"], last["source"]) == (
        "J6",
        "8.5",
        "9.0",
        "复核组李老师",
        "review",
    )
    assert f"#{rid}" in last["reason"] and "漏计" in last["reason"]
    kinds = gb.audit(B, "C002").get_column("kind").to_list()
    assert kinds[-3:] == ["review_request", "mark", "review_outcome"]
    # decided: frozen again, and the decision is final
    with pytest.raises(PublicityError):
        gb.save_mark(B, "C002", "J6", 8.5, grader="王老师", expected_version=None)
    with pytest.raises(PublicityError, match=f"#{rid}"):
        gb.decide_review(B, rid, marks={"J6": 8.5}, decided_by="复核组李老师")


def test_review_confirming_the_mark_is_unchanged(gb):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    rid = gb.request_review(B, "C003", requested_by="考生本人", on=D(2023, 5, 3), recorded_by="考务")
    marks_before = gb.audit(B).filter(pl.col("kind") == "mark").height
    review = gb.decide_review(B, rid, decided_by="复核组李老师")
    assert review.outcome == "unchanged" and review.flip is None
    assert review.old_total == review.new_total == 45.0
    assert gb.audit(B).filter(pl.col("kind") == "mark").height == marks_before


def test_review_remark_is_validated(gb):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    rid = gb.request_review(B, "C003", requested_by="考生本人", on=D(2023, 5, 3), recorded_by="考务")
    with pytest.raises(GradebookError, match="21"):
        gb.decide_review(B, rid, marks={"J1": 21}, decided_by="复核组")  # J1 max 20
    with pytest.raises(GradebookError, match="J9"):
        gb.decide_review(B, rid, marks={"J9": 1}, decided_by="复核组")
    # items may be named as on the score sheet
    review = gb.decide_review(B, rid, marks={"来电受理": 10}, decided_by="复核组")
    assert (review.old_total, review.new_total, review.flip) == (45.0, 46.0, None)


def test_absent_candidate_review_cannot_add_marks(gb):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    rid = gb.request_review(B, "C004", requested_by="考生本人", on=D(2023, 5, 3), recorded_by="考务")
    with pytest.raises(PublicityError, match="C004"):
        gb.decide_review(B, rid, marks={"J1": 10}, decided_by="复核组")
    assert gb.decide_review(B, rid, decided_by="复核组").outcome == "unchanged"


def test_decided_reviews_are_final_in_the_database(gb):
    gb.publish(B, PUBLISHED, days=DAYS, by="考务")
    rid = gb.request_review(B, "C003", requested_by="考生本人", on=D(2023, 5, 3), recorded_by="考务")
    gb.decide_review(B, rid, decided_by="复核组")
    with pytest.raises(sqlite3.IntegrityError):
        gb._conn.execute("UPDATE review_requests SET outcome = 'changed' WHERE id = ?", (rid,))
    with pytest.raises(sqlite3.IntegrityError):
        gb._conn.execute("DELETE FROM review_requests WHERE id = ?", (rid,))
    with pytest.raises(sqlite3.IntegrityError):
        gb._conn.execute("DELETE FROM publications WHERE batch = ?", (B,))
