"""Double marking in the gradebook: independent rounds, arbitration, final scores per rule, audit."""

from __future__ import annotations

import polars as pl
import pytest

from examkit.analysis.agreement import agreement
from examkit.core.double_marking import DoubleMarkingPolicy, resolve
from examkit.core.exceptions import GradebookError
from examkit.report.double_marking import ensure, requested
from examkit.store.gradebook import Gradebook

BATCH = "2023-02"  # intermediate: M1..M5, 20 points each
ITEMS = ("M1", "M2", "M3", "M4", "M5")
MEAN = DoubleMarkingPolicy(tolerance=5.0, final_rule="mean")


@pytest.fixture
def gb(tmp_path):
    book = Gradebook(tmp_path / "gb.sqlite", durable=False)
    book.register(
        pl.DataFrame({"batch": [BATCH] * 3, "candidate_no": ["c1", "c2", "c3"], "level": ["intermediate"] * 3})
    )
    book.set_double_marking(BATCH, MEAN, actor="教务")
    yield book
    book.close()


def mark_all(gb: Gradebook, cand: str, grader: str, marks: tuple[float, ...], rnd: int | None = None) -> int:
    rnd = rnd or gb.marking_round_for(BATCH, cand, grader)
    for item, value in zip(ITEMS, marks, strict=True):
        gb.save_mark(BATCH, cand, item, value, grader=grader, expected_version=None, marking_round=rnd)
    return rnd


def result(gb: Gradebook, cand: str) -> tuple[str, float | None]:
    row = gb.results(BATCH).filter(pl.col("candidate_no") == cand).row(0, named=True)
    return row["status"], row["total"]


def test_rounds_are_assigned_and_independent(gb):
    assert gb.marking_round_for(BATCH, "c1", "甲") == 1
    mark_all(gb, "c1", "甲", (14, 14, 14, 14, 14))  # 70
    assert gb.marking_round_for(BATCH, "c1", "甲") == 1  # her own round again
    assert gb.marking_round_for(BATCH, "c1", "乙") == 2
    # one grader cannot take the second round too, nor write into someone else's round
    with pytest.raises(GradebookError):
        gb.save_mark(BATCH, "c1", "M1", 10, grader="甲", expected_version=None, marking_round=2)
    with pytest.raises(GradebookError):
        gb.save_mark(BATCH, "c1", "M1", 10, grader="乙", expected_version=None, marking_round=1)
    # round 3 only to arbitrate
    with pytest.raises(GradebookError):
        gb.save_mark(BATCH, "c1", "M1", 10, grader="丙", expected_version=None, marking_round=3)
    # a half-marked first round is not a total yet
    assert result(gb, "c1") == ("ungraded", None)
    mark_all(gb, "c1", "乙", (13, 13, 13, 13, 14))  # 66: within 5 → mean 68
    assert result(gb, "c1") == ("graded", 68.0)
    with pytest.raises(GradebookError):
        gb.marking_round_for(BATCH, "c1", "丙")  # nothing left to do: no arbitration needed
    # each grader's own marks are stored apart
    assert gb.candidate_marks(BATCH, "c1", marking_round=1)["M5"].value == 14
    assert gb.candidate_marks(BATCH, "c1", marking_round=2)["M1"].value == 13


def test_disagreement_goes_to_arbitration_and_the_final_follows_the_rule(gb):
    mark_all(gb, "c2", "甲", (16, 16, 16, 16, 16))  # 80
    mark_all(gb, "c2", "乙", (12, 12, 12, 12, 12))  # 60: 20 apart
    assert result(gb, "c2") == ("ungraded", None)  # waiting for a third grader
    assert gb.marking_round_for(BATCH, "c2", "丙") == 3
    assert "c2" in gb.to_mark(BATCH, "丙")
    assert "c2" not in gb.to_mark(BATCH, "甲")
    mark_all(gb, "c2", "丙", (15, 15, 15, 15, 14))  # 74: nearer to 80 → (74 + 80) / 2 = 77
    assert result(gb, "c2") == ("graded", 77.0)
    # the item marks follow the same rule: (15 + 16) / 2 on M1, (14 + 16) / 2 on M5
    items = dict(gb.item_marks(BATCH).filter(pl.col("candidate_no") == "c2").select("item_id", "mark").iter_rows())
    assert items == {"M1": 15.5, "M2": 15.5, "M3": 15.5, "M4": 15.5, "M5": 15.0}
    # switching the rule to "arbiter" (audited) makes the arbiter's total final
    assert gb.set_double_marking(BATCH, DoubleMarkingPolicy(5.0, "arbiter"), actor="教务")
    assert result(gb, "c2") == ("graded", 74.0)
    log = gb.audit(BATCH).filter(pl.col("kind") == "double_marking")
    assert log.get_column("new").to_list() == ["on tolerance=5.0 rule=mean", "on tolerance=5.0 rule=arbiter"]
    assert log.get_column("actor").to_list() == ["教务", "教务"]


def test_tolerance_boundary_in_the_gradebook(gb):
    mark_all(gb, "c1", "甲", (14, 14, 14, 14, 14))  # 70
    mark_all(gb, "c1", "乙", (13, 13, 13, 13, 13))  # 65: exactly 5 apart → agreed, mean 67.5
    assert result(gb, "c1") == ("graded", 67.5)
    mark_all(gb, "c2", "甲", (14, 14, 14, 14, 14))  # 70
    mark_all(gb, "c2", "乙", (13, 13, 13, 13, 12.5))  # 64.5: 5.5 apart → arbitration
    assert result(gb, "c2") == ("ungraded", None)


def test_flags_win_and_to_mark_lists_open_work(gb):
    gb.set_flag(BATCH, "c3", "absent", grader="甲", expected_version=0)
    assert result(gb, "c3") == ("absent", None)
    assert gb.to_mark(BATCH, "甲") == ["c1", "c2"]
    mark_all(gb, "c1", "甲", (14, 14, 14, 14, 14))
    assert gb.to_mark(BATCH, "甲") == ["c2"]  # c1's first round is hers and complete
    assert gb.to_mark(BATCH, "乙") == ["c1", "c2"]


def test_agreement_from_the_gradebook(gb):
    mark_all(gb, "c1", "甲", (14, 14, 14, 14, 14))  # 70
    mark_all(gb, "c1", "乙", (14, 14, 14, 14, 14))  # 70: identical
    mark_all(gb, "c2", "甲", (16, 16, 16, 16, 16))  # 80
    mark_all(gb, "c2", "乙", (12, 12, 12, 12, 12))  # 60
    totals = gb.round_totals(BATCH)
    assert totals.select("candidate_no", "first", "second", "first_grader", "second_grader").rows() == [
        ("c1", 70.0, 70.0, "甲", "乙"),
        ("c2", 80.0, 60.0, "甲", "乙"),
        ("c3", None, None, None, None),
    ]
    a = agreement(resolve(totals, MEAN), MEAN)
    assert (a.n, a.exact, a.within, a.awaiting) == (2, 0.5, 0.5, ["c2"])


def test_switching_off_is_refused_once_second_marks_exist(gb):
    mark_all(gb, "c1", "甲", (14, 14, 14, 14, 14))
    mark_all(gb, "c1", "乙", (14, 14, 14, 14, 14))
    with pytest.raises(GradebookError):
        gb.set_double_marking(BATCH, None, actor="教务")
    assert gb.double_marking(BATCH) == DoubleMarkingPolicy(5.0, "mean", source=str(gb.path))


def test_single_marked_batches_are_unchanged(tmp_path):
    with Gradebook(tmp_path / "gb.sqlite", durable=False) as book:
        book.register(pl.DataFrame({"batch": [BATCH], "candidate_no": ["c1"], "level": ["intermediate"]}))
        assert book.double_marking(BATCH) is None
        assert book.marking_round_for(BATCH, "c1", "甲") == 1
        for item in ITEMS:
            book.save_mark(BATCH, "c1", item, 12, grader="甲", expected_version=None)
        assert book.results(BATCH).row(0, named=True)["total"] == 60.0


def test_auto_scored_theory_counts_in_every_round(tmp_path):
    senior = "2023-13"  # T (auto-scored theory, 40) + S1..S3 (20 each)
    with Gradebook(tmp_path / "gb.sqlite", durable=False) as book:
        book.register(pl.DataFrame({"batch": [senior], "candidate_no": ["s1"], "level": ["senior"]}))
        book.set_double_marking(senior, MEAN)
        book.save_mark(senior, "s1", "T", 30, grader="理论导入", expected_version=None, source="theory")
        for grader, marks in (("甲", (10, 10, 10)), ("乙", (12, 10, 10))):
            rnd = book.marking_round_for(senior, "s1", grader)
            for item, value in zip(("S1", "S2", "S3"), marks, strict=True):
                book.save_mark(senior, "s1", item, value, grader=grader, expected_version=None, marking_round=rnd)
        assert book.round_totals(senior).select("first", "second").row(0) == (60.0, 62.0)
        assert book.results(senior).row(0, named=True)["total"] == 61.0
        with pytest.raises(GradebookError):  # the theory item is not marked per round
            book.save_mark(senior, "s1", "T", 20, grader="乙", expected_version=None, marking_round=2)


def test_batch_parameter_switches_double_marking_on(tmp_path):
    assert requested({"double_marking": True})
    assert requested({"double_marking": "true"})
    assert not requested({})
    with Gradebook(tmp_path / "gb.sqlite", durable=False) as book:
        book.register(pl.DataFrame({"batch": [BATCH], "candidate_no": ["c1"], "level": ["intermediate"]}))
        assert ensure(book, BATCH, {}) is None
        policy = ensure(book, BATCH, {"double_marking": True})
        assert (policy.tolerance, policy.final_rule) == (5.0, "mean")  # the shipped policy.yaml defaults


# --------------------------------------------------------------------------- the form (no browser)


def test_form_shows_each_grader_only_her_own_round(gb):
    from examkit.notebook.widgets import GradingForm

    first = GradingForm(gb, BATCH, grader="甲", lang="zh")
    first.load("c1")
    assert first.round == 1
    for item, value in zip(ITEMS, (14, 14, 14, 14, 14), strict=True):
        first.inputs[item].value = str(value)  # fires the observer: saved at once
    assert gb.candidate_marks(BATCH, "c1", marking_round=1)["M3"].value == 14

    second = GradingForm(gb, BATCH, grader="乙", lang="zh")
    second.load("c1")
    assert second.round == 2
    assert [second.inputs[i].value for i in ITEMS] == [""] * 5  # the first grader's marks are not shown
    assert "二评" in second.round_line.value
    second.inputs["M1"].value = "10"
    assert gb.mark(BATCH, "c1", "M1", marking_round=2).value == 10
    assert gb.mark(BATCH, "c1", "M1", marking_round=1).value == 14  # untouched

    third = GradingForm(gb, BATCH, grader="丙", lang="zh")
    third.load("c1")
    # both rounds of c1 are taken and no arbitration is due: nothing for a third grader to mark
    assert third.round is None
    assert all(box.disabled for box in third.inputs.values())
    assert "乙" not in third.round_line.value and "14" not in third.round_line.value  # no names, no marks shown
    third.inputs["M1"].value = "5"
    assert gb.mark(BATCH, "c1", "M1", marking_round=3).version == 0


def test_form_next_goes_to_this_graders_open_work(gb):
    from examkit.notebook.widgets import GradingForm

    mark_all(gb, "c1", "甲", (14, 14, 14, 14, 14))
    form = GradingForm(gb, BATCH, grader="甲", lang="zh")
    assert form.current == "c2"  # c1's first round is done by her; c2 is the first with work for her
    form.grader_box.value = "乙"  # another grader at the same screen: c2 reloads as her round 1
    assert form.round == 1
    assert form.go_next() == "c3"
    assert form.go_next() == "c1"  # 乙 has c1's second round to do
    assert form.round == 2
