"""The publicity period, a batch's stage, and the published list (pure parts)."""

from __future__ import annotations

import datetime as dt

import pytest

from examkit.core.exceptions import ConfigError
from examkit.core.publicity import PublicityPeriod, parse_date, stage_of
from examkit.report.publicity import publicity_html
from examkit.settings.policy import publicity_days

D = dt.date


@pytest.fixture
def period() -> PublicityPeriod:
    # published Monday 2023-05-01 for 7 days: 05-01 … 05-07 inclusive
    return PublicityPeriod(D(2023, 5, 1), 7)


def test_period_includes_publish_date_and_last_day(period):
    assert period.first_day == D(2023, 5, 1)
    assert period.last_day == D(2023, 5, 7)
    assert period.certificates_from == D(2023, 5, 8)


@pytest.mark.parametrize(
    ("day", "inside", "ended"),
    [
        (D(2023, 4, 30), False, False),  # day before publishing
        (D(2023, 5, 1), True, False),  # first day = publish date
        (D(2023, 5, 7), True, False),  # last day
        (D(2023, 5, 8), False, True),  # day after
    ],
)
def test_period_boundaries(period, day, inside, ended):
    assert period.contains(day) is inside
    assert period.has_ended(day) is ended


def test_one_day_period_is_just_the_publish_date():
    p = PublicityPeriod(D(2023, 12, 31), 1)
    assert p.last_day == D(2023, 12, 31)
    assert p.contains(D(2023, 12, 31))
    assert p.has_ended(D(2024, 1, 1))


def test_stages(period):
    assert stage_of(None, D(2023, 5, 3)).code == "grading"
    assert stage_of(period, D(2023, 4, 30)).code == "scheduled"
    assert stage_of(period, D(2023, 5, 1)).code == "publicity"
    assert stage_of(period, D(2023, 5, 7)).code == "publicity"
    assert stage_of(period, D(2023, 5, 8)).code == "ended"
    issued = stage_of(period, D(2023, 5, 9), issued_on=D(2023, 5, 8), issued=42)
    assert issued.code == "certified"
    assert "2023-05-08" in issued.label("zh") and "42" in issued.label("zh")


def test_stage_labels_show_the_last_day(period):
    assert "2023-05-07" in stage_of(period, D(2023, 5, 2)).label("zh")
    assert "2023-05-07" in stage_of(period, D(2023, 5, 2)).label("en")
    assert stage_of(None, D(2023, 5, 2)).label("en").startswith("Grading")


def _policy(tmp_path, text: str):
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_publicity_days_read_from_policy(tmp_path):
    assert publicity_days(_policy(tmp_path, "publicity_days: 5\n")) == 5


@pytest.mark.parametrize(
    ("value", "shown"), [("0", "0"), ("-3", "-3"), ("seven", "seven"), ("2.5", "2.5"), ("true", "True")]
)
def test_bad_publicity_days_are_refused_with_file_and_value(tmp_path, value, shown):
    d = _policy(tmp_path, f"publicity_days: {value}\n")
    with pytest.raises(ConfigError) as err:
        publicity_days(d)
    assert str(d / "policy.yaml") in str(err.value)
    assert f"“{shown}”" in str(err.value)


def test_parse_date():
    assert parse_date("2023-05-08") == D(2023, 5, 8)
    assert parse_date("2023/05/08") == D(2023, 5, 8)
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        parse_date("8.5.2023")


def test_html_is_self_contained_and_escaped():
    import polars as pl

    page = publicity_html(
        pl.DataFrame({"考生号": ["<b>1</b>"], "结果": ["合格"]}), title="T & U", lines=["x"], lang="zh"
    )
    assert "&lt;b&gt;1&lt;/b&gt;" in page and "<b>1</b>" not in page
    assert "T &amp; U" in page
    for ref in ("http://", "https://", "<script", "<link", "src="):
        assert ref not in page


def _results_and_candidates():
    import polars as pl

    results = pl.DataFrame(
        {
            "candidate_no": ["2301440010002", "2301440010001", "2301440010003", "2301440010004"],
            "batch": ["2023-01"] * 4,
            "status": ["graded", "graded", "absent", "void"],
            "total": [59.5, 60.0, None, 71.0],
            "passed": [False, True, None, False],
        }
    )
    candidates = pl.DataFrame(
        {
            "candidate_no": ["2301440010001", "2301440010002", "2301440010003", "2301440010004"],
            "name": ["欧阳娜娜", "李四", "王五明", "赵"],
            "id_number": ["44010620050101123X", "440106200501011258", "440106200501011266", "440106200501011274"],
            "phone": ["13812345678"] * 4,
        }
    )
    return results, candidates


def test_publicity_list_masks_and_labels():
    from examkit.report.publicity import publicity_list

    results, candidates = _results_and_candidates()
    f = publicity_list(results, candidates, "zh")
    assert f.columns == ["考生号", "姓名", "身份证号", "总分", "结果"]  # no phone column
    assert f["考生号"].to_list() == ["2301440010001", "2301440010002", "2301440010003", "2301440010004"]
    assert f["姓名"].to_list() == ["欧**娜", "李*", "王*明", "*"]
    assert f["身份证号"].to_list()[0] == "440106********123X"
    assert f["结果"].to_list() == ["合格", "不合格", "缺考", "违纪（成绩无效）"]
    assert f["总分"].to_list() == [60.0, 59.5, None, None]  # a voided score is not shown


def test_publicity_files_are_written(tmp_path):
    from examkit.report.publicity import publicity_list, write_publicity_list

    results, candidates = _results_and_candidates()
    paths = write_publicity_list(
        publicity_list(results, candidates, "en"), tmp_path, "2023-01", PublicityPeriod(D(2023, 5, 1), 7), "en"
    )
    page = paths["html"].read_text(encoding="utf-8")
    assert "2023-05-07" in page and "欧阳娜娜" not in page and "欧**娜" in page
    import fastexcel

    sheet = fastexcel.read_excel(str(paths["xlsx"])).load_sheet(0).to_polars()
    assert sheet.height == 4 and "欧阳娜娜" not in sheet["Name"].to_list()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["publicity_2023-01.html", "publicity_2023-01.xlsx"]
