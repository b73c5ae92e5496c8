"""Rubrics: the shipped ones add up to the notice's full mark; broken ones are refused with the file named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from examkit.core.exceptions import RubricError
from examkit.core.notice import load_notice
from examkit.settings.resources import default_params_dir
from examkit.settings.rubrics import load_rubric


@pytest.fixture
def params(tmp_path: Path) -> Path:
    dst = tmp_path / "params"
    shutil.copytree(default_params_dir() / "rubrics", dst / "rubrics")
    return dst


def write(params: Path, level: str, text: str) -> Path:
    p = params / "rubrics" / f"{level}.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("level", ["junior", "intermediate", "senior"])
def test_shipped_rubrics_add_up_to_the_full_mark(level):
    r = load_rubric(level)
    assert sum(i.max for i in r.items) == load_notice(2023).full_mark
    assert r.level == level
    assert r.is_example  # the notice publishes no rubric: shipped ones are labelled examples
    assert all(i.step > 0 for i in r.items)


def test_junior_and_intermediate_are_practical_only_senior_has_theory():
    assert {i.section for i in load_rubric("junior").items} == {"practical"}
    assert {i.section for i in load_rubric("intermediate").items} == {"practical"}
    senior = load_rubric("senior")
    assert {s.id for s in senior.sections} == {"theory", "practical"}
    theory = [i for i in senior.items if i.section == "theory"]
    assert theory and all(i.auto_scored for i in theory)
    assert not any(i.auto_scored for i in senior.items if i.section == "practical")


def test_items_have_chinese_and_english_names():
    r = load_rubric("junior")
    j1 = r.item("J1")
    assert j1.name("zh") == "来电受理"
    assert j1.name("en") == "Inbound call handling"
    assert r.item_for_header(" 来电受理 ") is j1
    assert r.item_for_header("inbound call HANDLING") is j1
    assert r.item_for_header("ｊ１") is j1  # full-width id
    assert r.item_for_header("备注") is None


BAD_TOTAL = """level: junior
sections:
  - id: practical
    items:
      - {id: A, name_zh: 甲, max: 50, step: 0.5}
      - {id: B, name_zh: 乙, max: 40, step: 0.5}
"""


def test_a_rubric_that_does_not_add_up_is_refused_naming_the_file(params):
    p = write(params, "junior", BAD_TOTAL)
    with pytest.raises(RubricError) as exc:
        load_rubric("junior", params)
    assert str(p) in str(exc.value)
    assert "90" in str(exc.value) and "100" in str(exc.value)


def test_duplicate_names_and_ids_and_bad_steps_are_refused(params):
    dup_name = BAD_TOTAL.replace("乙, max: 40", "甲, max: 50")
    write(params, "junior", dup_name)
    with pytest.raises(RubricError, match="名称"):
        load_rubric("junior", params)
    dup_id = BAD_TOTAL.replace("{id: B, name_zh: 乙, max: 40", "{id: A, name_zh: 乙, max: 50")
    write(params, "junior", dup_id)
    with pytest.raises(RubricError, match="重复"):
        load_rubric("junior", params)
    off_step = BAD_TOTAL.replace("max: 40, step: 0.5", "max: 50, step: 3")
    write(params, "junior", off_step)
    with pytest.raises(RubricError, match="步长"):
        load_rubric("junior", params)


def test_wrong_level_and_malformed_files_are_refused(params):
    write(params, "junior", BAD_TOTAL.replace("level: junior", "level: senior"))
    with pytest.raises(RubricError, match="senior"):
        load_rubric("junior", params)
    write(params, "junior", "level: junior\nsections:\n  - id: practical\n")
    with pytest.raises(RubricError):
        load_rubric("junior", params)


def test_hash_is_stable_and_changes_with_the_items(params):
    a = load_rubric("junior", params)
    assert load_rubric("junior", params).sha256 == a.sha256
    p = params / "rubrics" / "junior.yaml"
    text = p.read_text(encoding="utf-8")
    # a comment does not change the rubric; a changed maximum does
    p.write_text("# edited\n" + text, encoding="utf-8")
    assert load_rubric("junior", params).sha256 == a.sha256
    p.write_text(
        text.replace("max: 20, step: 0.5}", "max: 25, step: 0.5}", 1).replace(
            "max: 15, step: 0.5}", "max: 10, step: 0.5}", 1
        ),
        encoding="utf-8",
    )
    b = load_rubric("junior", params)
    assert sum(i.max for i in b.items) == 100
    assert b.sha256 != a.sha256
