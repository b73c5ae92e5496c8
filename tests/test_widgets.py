"""The grading form without a browser: setting widget values fires the observers that save."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from examkit.core.notice import load_notice
from examkit.notebook.widgets import GradingForm, grading_form
from examkit.store.gradebook import Gradebook

B = "2023-01"  # junior: J1..J6, maxima 20, 15, 20, 15, 15, 15


@pytest.fixture
def gb(tmp_path: Path) -> Gradebook:
    g = Gradebook(tmp_path / "g.sqlite")
    g.register(
        pl.DataFrame({"candidate_no": ["A01", "A02", "A03"], "name": ["张三", "李四", "王五"], "batch": [B] * 3})
    )
    yield g
    g.close()


def test_form_shows_each_item_with_its_maximum(gb):
    f = GradingForm(gb, B, grader="王老师")
    assert list(f.inputs) == ["J1", "J2", "J3", "J4", "J5", "J6"]
    assert f.inputs["J1"].description == "来电受理"
    assert "/ 20（步长 0.5）" in f.item_hints["J1"].value
    assert "/ 15（步长 0.5）" in f.item_hints["J2"].value
    assert all(not box.continuous_update for box in f.inputs.values())  # saved on Enter / leaving the field
    assert f.current == "A01"  # the first ungraded candidate
    assert "0 / 3" in f.progress_label.value


def test_typing_a_mark_saves_it_with_its_audit_row(gb):
    f = GradingForm(gb, B, grader="王老师")
    f.inputs["J1"].value = "15"  # what the browser does when the teacher leaves the field
    m = gb.mark(B, "A01", "J1")
    assert (m.value, m.version, m.grader) == (15.0, 1, "王老师")
    a = gb.audit(B).filter(pl.col("kind") == "mark")
    assert a.select("actor", "candidate_no", "item_id", "old", "new").rows() == [("王老师", "A01", "J1", None, "15.0")]
    assert "已保存" in f.status_line.value
    assert "15" in f.total_label.value and "5 项未评" in f.total_label.value


def test_over_maximum_is_refused_with_the_message_shown(gb):
    f = GradingForm(gb, B, grader="王老师")
    f.inputs["J2"].value = "16"  # J2's maximum is 15
    assert "超过该项满分 15" in f.item_errors["J2"].value
    assert "未保存" in f.status_line.value
    assert gb.mark(B, "A01", "J2").version == 0
    assert gb.audit(B).filter(pl.col("kind") == "mark").height == 0
    f.inputs["J2"].value = "14.5"
    assert f.item_errors["J2"].value == ""
    assert gb.mark(B, "A01", "J2").value == 14.5


def test_live_total_and_pass_fail(gb):
    pass_mark = load_notice(2023).pass_mark
    f = GradingForm(gb, B, grader="王老师")
    for item, v in {"J1": "12", "J2": "9", "J3": "12", "J4": "9", "J5": "9", "J6": "8.5"}.items():
        f.inputs[item].value = v
    assert "59.5" in f.total_label.value and "不合格" in f.verdict_label.value
    f.inputs["J6"].value = "9"
    assert f"合计 {pass_mark} / 100" in f.total_label.value and "合格" in f.verdict_label.value
    assert "不合格" not in f.verdict_label.value
    assert gb.results(B).row(0, named=True)["passed"] is True
    assert "1 / 3" in f.progress_label.value and f.progress_bar.value == 1


def test_a_second_graders_change_is_not_overwritten(gb):
    f = GradingForm(gb, B, grader="王老师")
    f.inputs["J1"].value = "10"
    gb.save_mark(B, "A01", "J1", 12, grader="李老师", expected_version=1)  # the other teacher, meanwhile
    f.inputs["J1"].value = "11"
    assert gb.mark(B, "A01", "J1").value == 12.0  # not overwritten
    assert "12" in f.status_line.value and "11" in f.status_line.value  # told, with the current value
    assert f.inputs["J1"].value == "12"  # the form now shows the current value
    f.inputs["J1"].value = "11"  # entering it again, knowingly, saves
    assert gb.mark(B, "A01", "J1").value == 11.0


def test_absent_and_void_are_one_click_each(gb):
    f = GradingForm(gb, B, grader="王老师")
    f.absent_button.value = True
    assert gb.flag(B, "A01").value == "absent"
    assert all(box.disabled for box in f.inputs.values())
    f.void_button.value = True  # switching to void switches absent off
    assert gb.flag(B, "A01").value == "void" and not f.absent_button.value
    f.void_button.value = False
    assert gb.flag(B, "A01").value is None
    flags = gb.audit(B).filter(pl.col("kind") == "flag")
    assert flags.select("old", "new").rows() == [(None, "absent"), ("absent", "void"), ("void", None)]


def test_next_ungraded_and_search(gb):
    gb.set_flag(B, "A02", "absent", grader="x", expected_version=0)
    f = GradingForm(gb, B, grader="王老师")
    assert f.current == "A01"
    assert f.go_next() == "A03"  # A02 is absent: nothing to grade
    f.search_box.value = "李四"
    assert f.current == "A02"
    assert f.matches.options == (("A02 李四", "A02"),)
    f.search_box.value = "nobody"
    assert "没有找到" in f.status_line.value and f.current == "A02"
    f.search_box.value = ""
    assert len(f.matches.options) == 3  # every candidate again
    f.matches.value = "A01"
    assert f.current == "A01"


def test_loading_a_candidate_does_not_save_anything(gb):
    gb.save_mark(B, "A02", "J1", 7, grader="李老师", expected_version=0)
    f = GradingForm(gb, B, grader="王老师")
    before = gb.audit(B).height
    f.load("A02")
    assert f.inputs["J1"].value == "7" and f.versions["J1"] == 1
    f.load("A01")
    assert gb.audit(B).height == before


def test_a_save_without_a_grader_name_is_refused(gb):
    f = GradingForm(gb, B)
    f.inputs["J1"].value = "10"
    assert gb.mark(B, "A01", "J1").version == 0
    assert "评分员" in f.item_errors["J1"].value


def test_report_mode_builds_no_form(gb):
    from types import SimpleNamespace

    assert grading_form(SimpleNamespace(params={"report_mode": True})) is None


def test_a_locked_grader_name_cannot_be_changed_from_the_browser(gb):
    """LAN links: the name comes from the token; a crafted widget update of the name box changes nothing."""
    f = GradingForm(gb, B, grader="王老师", grader_locked=True)
    assert f.grader_box.disabled
    f.grader_box.value = "李老师"  # what a crafted comm_msg could do
    assert f.grader_box.value == "王老师"
    f.inputs["J1"].value = "12"
    assert gb.mark(B, "A01", "J1").grader == "王老师"
    assert "已保存" in f.item_states["J1"].value  # the saved state beside the mark itself
    f.inputs["J2"].value = "99"
    assert "未保存" in f.item_errors["J2"].value and "超过该项满分 15" in f.item_errors["J2"].value
    assert f.item_states["J2"].value == ""
