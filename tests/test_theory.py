"""Senior theory auto-scoring: key, normalisation, partial credit, blank and malformed answers."""

from __future__ import annotations

import polars as pl
import pytest

from examkit.core.exceptions import ConfigError, InputError, RubricError, ValidationFailed
from examkit.intake.theory import score_responses, summary
from examkit.intake.theory_key import load_key, normalised_answer, question_key, question_key_expr, theory_item
from examkit.io.write import write_xlsx
from examkit.settings.policy import load_partial_credit
from examkit.settings.rubrics import load_rubric

# Key: two single-answer questions (1, 2) and two multiple-answer ones (3: AC, 4: BCD); 10 points each = 40.
KEY_CSV = '题号,答案,分值,选项\n1,A,10,ABCD\n2,C,10,\n3,"A,C",10,ABCD\n4,BCD,10,4\n'
RESPONSES_CSV = (
    "考生号,第1题,第2题,第3题,第4题,备注\n"
    "S001,a,C,AC,BCD,\n"  # row 2: all right
    "S002,A,B,A,BC,\n"  # row 3: Q1 right, Q2 wrong, Q3 one of two, Q4 two of three
    'S003,,c,"c, a",A,\n'  # row 4: Q1 blank, Q2 right (lower case), Q3 right (typed "c, a"), Q4 wrong letter
    "S004,E,C?,ＡＣ,B D,\n"  # row 5: Q1 E not offered, Q2 junk, Q3 full-width AC right, Q4 two of three
    ",A,C,AC,BCD,\n"  # row 6: no candidate number
    "S005,A,C,AC,BCD,\n"  # rows 7-8: the same candidate twice
    "S005,A,C,AC,BCD,\n"
)


@pytest.fixture
def files(tmp_path):
    key = tmp_path / "key.csv"
    key.write_text(KEY_CSV, encoding="utf-8")
    responses = tmp_path / "responses.csv"
    responses.write_text(RESPONSES_CSV, encoding="utf-8")
    return key, responses


@pytest.fixture
def item():
    return theory_item(load_rubric("senior"))


def _marks(scores) -> dict[str, float]:
    return dict(scores.totals.select("candidate_no", "mark").iter_rows())


def test_all_or_nothing_scores_match_hand_scoring(files, item):
    key_path, responses = files
    scores = score_responses(responses, load_key(key_path), partial_credit="none", item=item)
    # S001: 10+10+10+10 = 40; S002: Q1 only = 10; S003: Q2 + Q3 = 20; S004: Q3 only = 10
    assert _marks(scores) == {"S001": 40.0, "S002": 10.0, "S003": 20.0, "S004": 10.0}
    assert scores.totals.get_column("_row").to_list() == [2, 3, 4, 5]


def test_proportional_partial_credit_matches_hand_scoring(files, item):
    key_path, responses = files
    scores = score_responses(responses, load_key(key_path), partial_credit="proportional", item=item)
    raw = dict(scores.totals.select("candidate_no", "raw").iter_rows())
    # S002: 10 + 0 + 10·(1/2) + 10·(2/3) = 21.667 → rounded DOWN to the 0.5 step: 21.5
    # S003: Q4 "A" has a wrong letter → 0 (no credit for wrong letters): 0 + 10 + 10 + 0 = 20
    # S004: 0 + 0 + 10 + 10·(2/3) = 16.667 → 16.5
    assert raw["S002"] == pytest.approx(10 + 5 + 20 / 3)
    assert raw["S004"] == pytest.approx(10 + 20 / 3)
    assert _marks(scores) == {"S001": 40.0, "S002": 21.5, "S003": 20.0, "S004": 16.5}


def test_blank_and_malformed_answers_are_reported_not_crashed(files, item):
    key_path, responses = files
    scores = score_responses(responses, load_key(key_path), partial_credit="none", item=item)
    got = {(f.row, f.column, f.value, f.rule, f.severity) for f in scores.findings}
    assert got == {
        (1, "备注", "备注", "theory.unknown_column", "warning"),
        (4, "第1题", "", "theory.blank_answer", "warning"),
        (5, "第1题", "E", "theory.malformed_answer", "warning"),
        (5, "第2题", "C?", "theory.malformed_answer", "warning"),
        (6, "考生号", "", "theory.blank_candidate", "error"),
        (7, "考生号", "S005", "theory.duplicate_candidate", "error"),
        (8, "考生号", "S005", "theory.duplicate_candidate", "error"),
    }
    for f in scores.findings:
        assert f.file.endswith("responses.csv")
        assert "responses.csv" in f.message
        assert str(f.row) in f.message
    # the unusable rows are not scored at all
    assert "S005" not in _marks(scores)
    s004 = scores.per_question.filter(pl.col("candidate_no") == "S004").sort("question_id")
    assert s004.get_column("status").to_list() == ["malformed", "malformed", "ok", "ok"]
    assert s004.get_column("response").to_list() == ["E", "C?", "AC", "BD"]


def test_per_question_correctness_feeds_kr20(files, item):
    from examkit.analysis.stats import kr20

    key_path, responses = files
    scores = score_responses(responses, load_key(key_path), partial_credit="proportional", item=item)
    wide = (
        scores.correctness()
        .pivot(on="question_id", index="candidate_no", values="correct")
        .sort("candidate_no")
        .select("1", "2", "3", "4")
        .rows()
    )
    # fully right = 1 (partial credit is not "correct")
    assert wide == [(1, 1, 1, 1), (1, 0, 0, 0), (0, 1, 1, 0), (0, 0, 1, 0)]
    # KR-20 by hand: p = .5 .5 .75 .25 → Σpq = .25+.25+.1875+.1875 = .875;
    # totals 4 1 2 1 → mean 2, population variance (4+1+0+1)/4 = 1.5; KR-20 = 4/3·(1 − .875/1.5) = 5/9
    assert kr20(scores.correctness(), min_n=2).value == pytest.approx(5 / 9)
    facility = dict(summary(scores).select("question_id", "facility").iter_rows())
    assert facility == {"1": 0.5, "2": 0.5, "3": 0.75, "4": 0.25}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("a", "A"),
        ("A", "A"),
        ("A,C", "AC"),
        ("AC", "AC"),
        ("CA", "AC"),
        ("c, a", "AC"),
        ("a、c", "AC"),
        ("Ａ，Ｃ", "AC"),  # full-width letters and comma
        ("  B  ", "B"),
        ("A；B", "AB"),  # full-width semicolon
        ("A C D", "ACD"),
        ("AAC", "AC"),
        ("1", "1"),  # not letters: left as typed (malformed)
        ("B?", "B?"),
    ],
)
def test_typed_answers_are_normalised(typed, expected):
    out = pl.DataFrame({"a": [typed]}).select(normalised_answer("a")).item()
    assert out == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1", "1"),
        ("第1题", "1"),
        ("Q1", "1"),
        ("q01", "1"),
        ("１", "1"),
        ("第 12 题", "12"),
        ("题3", "3"),
        ("A3", "a3"),
    ],
)
def test_question_headers_match_key_numbers(header, expected):
    assert question_key(header) == expected
    assert pl.DataFrame({"h": [header]}).select(question_key_expr("h")).item() == expected


def test_key_from_xlsx_and_responses_headed_differently(tmp_path, item):
    key = tmp_path / "key.xlsx"
    write_xlsx({"key": pl.DataFrame({"question": ["Q1", "Q2"], "answer": ["b", "a c"], "points": ["20", "２０"]})}, key)
    responses = tmp_path / "r.csv"
    responses.write_text("candidate_no,1,2\nX1,B,AC\nX2,B,A\n", encoding="utf-8")
    scores = score_responses(responses, load_key(key), partial_credit="proportional", item=item)
    assert _marks(scores) == {"X1": 40.0, "X2": 30.0}  # X2: 20 + 20·1/2


def test_bad_key_rows_are_all_reported(tmp_path):
    key = tmp_path / "key.csv"
    key.write_text(
        "题号,答案,分值,选项\n1,A,10,\n1,B,10,\n,C,10,\n4,,10,\n5,A1,x,\n6,E,10,ABCD\n7,A,-2,\n8,A,5,Z\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as err:
        load_key(key)
    got = {(f.row, f.column, f.rule) for f in err.value.findings}
    assert got == {
        (2, "题号", "theory.key_duplicate_question"),
        (3, "题号", "theory.key_duplicate_question"),
        (4, "题号", "theory.key_blank_question"),
        (5, "答案", "theory.key_blank_answer"),
        (6, "答案", "theory.key_bad_answer"),
        (6, "分值", "theory.key_bad_points"),
        (7, "答案", "theory.key_answer_not_an_option"),
        (8, "分值", "theory.key_bad_points"),
        (9, "选项", "theory.key_bad_options"),
    }


def test_key_must_add_up_to_the_theory_item(tmp_path, item):
    key = tmp_path / "key.csv"
    key.write_text("题号,答案,分值\n1,A,10\n", encoding="utf-8")
    responses = tmp_path / "r.csv"
    responses.write_text("考生号,1\nS1,A\n", encoding="utf-8")
    with pytest.raises(RubricError) as err:
        score_responses(responses, load_key(key), item=item)
    assert "40" in str(err.value)
    assert "10" in str(err.value)


def test_responses_missing_a_question_or_the_candidate_column(files, tmp_path, item):
    key_path, _ = files
    r = tmp_path / "r.csv"
    r.write_text("考生号,1,2,3\nS1,A,C,AC\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        score_responses(r, load_key(key_path), item=item)
    assert "4" in str(err.value)
    r.write_text("学号,1,2,3,4\nS1,A,C,AC,BCD\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        score_responses(r, load_key(key_path), item=item)
    assert "考生号" in str(err.value)


def test_levels_without_theory_have_no_theory_item():
    with pytest.raises(RubricError):
        theory_item(load_rubric("junior"))
    assert theory_item(load_rubric("senior")).id == "T"


def test_partial_credit_policy(tmp_path):
    assert load_partial_credit() == "none"  # the shipped labelled default
    (tmp_path / "policy.yaml").write_text("theory_partial_credit: proportional\n", encoding="utf-8")
    assert load_partial_credit(tmp_path) == "proportional"
    (tmp_path / "policy.yaml").write_text("theory_partial_credit: half\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_partial_credit(tmp_path)
    assert "half" in str(err.value)


# --------------------------------------------------------------------------- into the gradebook


@pytest.fixture
def senior_gradebook(tmp_path):
    from examkit.store.gradebook import Gradebook

    gb = Gradebook(tmp_path / "gb.sqlite", durable=False)
    gb.register(
        pl.DataFrame(
            {"batch": ["2023-13"] * 4, "candidate_no": ["S001", "S002", "S003", "S004"], "level": ["senior"] * 4}
        )
    )
    yield gb
    gb.close()


def test_import_writes_the_theory_item_audited(files, item, senior_gradebook, tmp_path):
    from examkit.store.theory import import_theory

    key_path, _ = files
    clean = tmp_path / "clean.csv"
    clean.write_text("考生号,1,2,3,4\nS001,A,C,AC,BCD\nS003,,c,AC,A\n", encoding="utf-8")
    scores = score_responses(clean, load_key(key_path), partial_credit="none", item=item)
    done = import_theory(senior_gradebook, "2023-13", scores, grader="理论导入")
    assert done.ok
    assert [f.rule for f in done.findings] == ["theory.blank_answer"]  # a warning does not stop the import
    assert senior_gradebook.mark("2023-13", "S001", "T").value == 40.0
    assert senior_gradebook.mark("2023-13", "S003", "T").value == 20.0
    assert senior_gradebook.mark("2023-13", "S002", "T").version == 0
    audit = senior_gradebook.audit("2023-13").filter(pl.col("kind") == "mark")
    assert audit.height == 2
    assert set(audit.get_column("source").to_list()) == {"theory"}
    assert set(audit.get_column("actor").to_list()) == {"理论导入"}
    assert all("key.csv" in r for r in audit.get_column("reason").to_list())


def test_import_refuses_unusable_rows_and_unknown_candidates(files, item, senior_gradebook, tmp_path):
    from examkit.store.theory import import_theory

    key_path, responses = files
    scores = score_responses(responses, load_key(key_path), partial_credit="none", item=item)
    refused = import_theory(senior_gradebook, "2023-13", scores, grader="理论导入")
    assert not refused.ok  # rows 6-8 are unusable: nothing is written
    assert senior_gradebook.mark("2023-13", "S001", "T").version == 0

    stray = tmp_path / "stray.csv"
    stray.write_text("考生号,1,2,3,4\nS001,A,C,AC,BCD\nS999,A,C,AC,BCD\n", encoding="utf-8")
    scores = score_responses(stray, load_key(key_path), partial_credit="none", item=item)
    refused = import_theory(senior_gradebook, "2023-13", scores, grader="理论导入")
    assert not refused.ok
    bad = [f for f in refused.findings if f.rule == "theory.unknown_candidate"]
    assert [(f.row, f.column, f.value) for f in bad] == [(3, "考生号", "S999")]
    assert senior_gradebook.mark("2023-13", "S001", "T").version == 0
