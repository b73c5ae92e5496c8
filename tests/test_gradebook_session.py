"""The session's gradebook: the fixture's score sheet imported once; re-opening never clears or re-imports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from examkit.core.exceptions import RubricError
from examkit.notebook.open import open_batch
from examkit.settings.resources import default_params_dir

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "data" / "fixture"


def session(gradebook: Path, settings: Path | None = None, **extra):
    return open_batch(
        "2023-01",
        lang="zh",
        registrations=str(FIX / "registrations" / "2023-01.xlsx"),
        schools=str(FIX / "schools.xlsx"),
        gradebook=str(gradebook),
        scores=str(FIX / "scores" / "2023-01.xlsx"),
        settings_dir=str(settings or default_params_dir()),
        **extra,
    )


def test_fixture_gradebook_is_built_from_the_score_sheet_once(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    s = session(path)
    assert s.score_import is not None and s.score_import.ok
    registered = s.registrations.frame.height
    assert s.results.height == registered
    assert s.results.filter(s.results["status"] == "ungraded").height == 0
    assert set(s.item_marks.get_column("candidate_no")) <= set(s.results.get_column("candidate_no"))
    # a teacher corrects a mark; reports re-run: nothing is re-imported or cleared
    first = s.results.item(0, "candidate_no")
    m = s.gradebook.mark("2023-01", first, "J1")
    s.gradebook.save_mark("2023-01", first, "J1", 0, grader="王老师", expected_version=m.version, reason="复核")
    s.gradebook.close()
    again = session(path, report_mode=True)
    assert again.score_import is None
    assert again.gradebook.mark("2023-01", first, "J1").value == 0
    assert again.gradebook.audit("2023-01").filter(again.gradebook.audit("2023-01")["actor"] == "王老师").height == 1
    again.gradebook.close()


def test_a_changed_rubric_is_refused_once_marks_exist(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    session(path).gradebook.close()
    params = tmp_path / "params"
    shutil.copytree(default_params_dir(), params)
    junior = params / "rubrics" / "junior.yaml"
    text = junior.read_text(encoding="utf-8")
    junior.write_text(
        text.replace("max: 20, step: 0.5}", "max: 25, step: 0.5}", 1).replace(
            "max: 15, step: 0.5}", "max: 10, step: 0.5}", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(RubricError, match="2023-01"):
        _ = session(path, params).gradebook
