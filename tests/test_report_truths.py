"""Issue 17 §6: small report truths — the year-to-date footer label, the theory table's answered count,
graders compared on people's marks only, and halves rounded up for display (stored values stay exact)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from examkit.core.i18n import set_lang
from examkit.report import narrative
from examkit.report.tables import table_html
from examkit.session.batch import BatchSession
from examkit.store.gradebook import Gradebook

SENIOR = "2023-13"


# --------------------------------------------------------------------------- rounding for display


@pytest.mark.parametrize(
    ("x", "places", "shown"),
    [
        (75.25, 1, "75.3"),  # a median of 75.25: half up, not to even (75.2)
        (75.35, 1, "75.4"),
        (75.24, 1, "75.2"),
        (2.675, 2, "2.68"),  # stored as 2.67499999…: rounded as the 2.675 it reads as
        (1.005, 2, "1.01"),
        (0.125, 2, "0.13"),
        (-0.5, 0, "-1"),  # a negative half rounds away from zero, as Excel's ROUND does
        (-2.5, 0, "-3"),
        (-0.04, 1, "0.0"),  # never "-0.0"
        (60.0, 1, "60.0"),
    ],
)
def test_halves_round_up(x, places, shown):
    from examkit.core.rounding import fixed, round_half_up

    assert fixed(x, places) == shown
    assert str(round_half_up(x, places)).lstrip("-") == shown.lstrip("-")


def test_tables_show_halves_rounded_up():
    frame = pl.DataFrame({"median": [75.25, 75.24, 75.35, -0.05, 1234.45]})
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table_html(frame, decimals=1))
    assert cells == ["75.3", "75.2", "75.4", "-0.1", "1234.5"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table_html(pl.DataFrame({"x": [2.675, 1.005, -0.5]}), decimals=2))
    assert cells == ["2.68", "1.01", "-0.50"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table_html(pl.DataFrame({"x": [-0.5, 0.5, 2.5]}), decimals=0))
    assert cells == ["-1", "1", "3"]
    assert frame["median"][0] == 75.25  # the value itself is untouched


def test_sentences_and_the_dashboard_round_halves_up():
    from examkit.report.index import _pct

    assert narrative.num(75.25) == "75.3" and narrative.num(60.0) == "60"
    assert narrative.pct(0.6025) == "60.3%"  # 241 of 400: 60.25 % (binary 0.6025 × 100 = 60.25 exactly or not)
    assert narrative.pct(0.75) == "75.0%"
    assert _pct(0.6025) == "60.3%" and _pct(0.12345) == "12.3%"


# --------------------------------------------------------------------------- the footer


def test_footer_names_the_registrations_folder_year_to_date(tmp_path):
    from examkit.report.batch_info import footer_rows

    regdir = tmp_path / "registrations"
    regdir.mkdir()
    (regdir / "2023-01.csv").write_text("考生号\n1\n", encoding="utf-8")
    (regdir / "2023-02.csv").write_text("考生号\n2\n", encoding="utf-8")
    session = BatchSession("2023-01", params={"registrations_dir": str(regdir), "lang": "zh"})
    (what,) = [w for w, name, _ in footer_rows(session) if name.endswith(".csv")]  # 2023-02.csv is not listed
    assert "截至本批次" in what and "全年" not in what
    set_lang("en")
    (what,) = [w for w, name, _ in footer_rows(session) if name.endswith(".csv")]
    assert "year to date" in what


# --------------------------------------------------------------------------- theory and graders


KEY = [["题号", "答案", "分值"], [1, "A", 10], [2, "B", 10], [3, "C", 20]]  # the senior theory item T: 40
# S1 answers all; S2 leaves question 1 blank; S3 leaves questions 1 and 2 blank; S4 writes junk ("C?") in 3
RESPONSES = [["考生号", "1", "2", "3"], ["S1", "A", "B", "C"], ["S2", None, "B", "D"], ["S3", " ", None, "C"]]
RESPONSES += [["S4", "A", "A", "C?"]]


def _xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


class _Session:
    """What the theory section and the grader table read of a batch session."""

    def __init__(self, tmp_path: Path):
        self.batch_id = SENIOR
        self.params: dict = {}
        self.settings_dir = None
        self.files = {
            "theory_key": _xlsx(tmp_path / "key.xlsx", KEY),
            "theory_responses": _xlsx(tmp_path / "responses.xlsx", RESPONSES),
        }
        self.gradebook = Gradebook(tmp_path / "gb.sqlite", durable=False)
        cands = [f"S{i}" for i in range(1, 5)]
        self.gradebook.register(pl.DataFrame({"batch": [SENIOR] * 4, "candidate_no": cands, "level": ["senior"] * 4}))

    def path(self, key: str) -> Path | None:
        return self.files.get(key)


@pytest.fixture
def senior(tmp_path):
    s = _Session(tmp_path)
    yield s
    s.gradebook.close()


def test_theory_table_counts_who_answered_and_blanks_apart(senior):
    from examkit.report.theory import report

    html = report(senior)._repr_html_()
    head = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", html)
    assert head[:3] == ["题号", "作答人数", "空白"]
    body = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr><td.*?</tr>", html)]
    # question: answered (not blank), blank, unrecognised — counted from RESPONSES by hand
    assert [r[:4] for r in body[:3]] == [["1", "2", "2", "0"], ["2", "3", "1", "0"], ["3", "4", "0", "1"]]


def test_the_grader_comparison_leaves_the_theory_import_out(senior):
    from examkit.report.grading_tables import grader_table
    from examkit.report.theory import ensure_imported, theory_scores

    done = ensure_imported(senior, theory_scores(senior))
    assert done is not None and done.ok
    practical = [i.id for i in senior.gradebook.rubric(SENIOR).items if not i.auto_scored]
    marks = pl.DataFrame({"candidate_no": ["S1", "S2"], "item_id": [practical[0]] * 2, "mark": [5.0, 4.0]})
    senior.gradebook.apply(SENIOR, marks, grader="李老师")
    shown = grader_table(senior.gradebook.marks_frame(SENIOR))
    assert shown["评分员"].to_list() == ["李老师"]  # not the theory import
    assert shown.row(0)[1:3] == (2, 2)  # 2 candidates, 2 marks: the 4 theory marks are not counted
    assert shown.row(0)[4] is None  # nobody else marked practical items: no comparison to make
