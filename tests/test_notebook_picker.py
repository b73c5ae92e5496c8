"""Issue 16 §3: the notebooks open on the fixture, and a picker switches them to a batch of ``params/`` (no browser)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml

from examkit.core.exceptions import ConfigError
from examkit.notebook import open as nb_open
from examkit.notebook.open import FIXTURE, open_batch
from examkit.notebook.picker import batch_picker

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_REGISTRATIONS = ROOT / "data" / "fixture" / "registrations" / "2023-01.xlsx"


def _data_rows(xlsx: Path) -> int:
    """Rows below the header row of the first sheet, counted with openpyxl (not examkit's reader)."""
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    try:
        rows = [r for r in wb.worksheets[0].iter_rows(values_only=True) if any(v not in (None, "") for v in r)]
    finally:
        wb.close()
    return len(rows) - 1


def _opening_cell(namespace: dict):
    """What the notebooks' opening cell runs, with the names it reads from the kernel's namespace."""
    return open_batch(namespace["batch"], namespace["params_file"], report_mode=False)


def test_pass_rates_switches_from_the_fixture_to_2023_05(demo_project) -> None:
    ns = {"batch": "2023-01", "params_file": FIXTURE}  # the parameters cell as committed
    ns["session"] = _opening_cell(ns)
    assert ns["session"].path("registrations") == FIXTURE_REGISTRATIONS

    picker = batch_picker(ns["session"], params_dir=demo_project.params, namespace=ns)
    target = str((demo_project.params / "2023-05.yaml").resolve())
    values = [v for _, v in picker.dropdown.options]
    # the fixture, then the 13 batches of the demo year's params/ in order
    assert values[0] == FIXTURE and picker.dropdown.value == FIXTURE
    assert [Path(v).stem for v in values[1:]] == [f"2023-{n:02d}" for n in range(1, 14)]
    assert target in values
    assert picker.summary.value == ""

    picker.dropdown.value = target  # what the browser does when the teacher picks 2023-05

    session = ns["session"]
    assert session is picker.session and session.batch_id == "2023-05"
    assert (ns["batch"], ns["params_file"]) == ("2023-05", target)
    reg = demo_project.data / "registrations" / "2023-05.xlsx"
    assert session.path("registrations") == reg.resolve()
    assert session.path("gradebook") == (demo_project.data / "gradebook.sqlite").resolve()
    assert session.registrations.frame["batch"].unique().to_list() == ["2023-05"]
    # the picker shows the new batch's summary: its id and the rows of its registrations file
    demo_rows, fixture_rows = _data_rows(reg), _data_rows(FIXTURE_REGISTRATIONS)
    assert demo_rows != fixture_rows
    assert "2023-05" in picker.summary.value and f">{demo_rows}<" in picker.summary.value
    assert "2023-01" not in picker.summary.value
    assert "已切换到 2023-05" in picker.status.value and "运行下面的单元格" in picker.status.value

    # re-running the opening cell keeps the choice: it reads the rebound names
    again = _opening_cell(ns)
    assert again.batch_id == "2023-05" and again.path("registrations") == reg.resolve()

    picker.dropdown.value = FIXTURE  # and back
    assert ns["session"].batch_id == "2023-01" and ns["params_file"] == FIXTURE
    assert f">{fixture_rows}<" in picker.summary.value


def test_a_batch_whose_files_are_missing_is_refused_and_the_session_kept(tmp_path: Path) -> None:
    params = tmp_path / "params"
    params.mkdir()
    (params / "2023-05.yaml").write_text(
        yaml.safe_dump({"batch": "2023-05", "registrations": "data/nowhere/2023-05.xlsx"}), encoding="utf-8"
    )
    (params / "2023-06.yaml").write_text("batch: [unclosed\n", encoding="utf-8")
    ns = {"batch": "2023-01", "params_file": FIXTURE}
    ns["session"] = first = _opening_cell(ns)
    picker = batch_picker(first, params_dir=params, namespace=ns)
    labels = dict((v, k) for k, v in picker.dropdown.options)
    target = str((params / "2023-05.yaml").resolve())
    assert labels[target].endswith("（未找到报名表）")
    assert "2023-06.yaml" in picker.status.value  # the unreadable file is named, not listed

    picker.dropdown.value = target
    assert "未能切换批次" in picker.status.value and "nowhere" in picker.status.value
    assert picker.dropdown.value == FIXTURE  # back to what is open
    assert ns["session"] is first and (ns["batch"], ns["params_file"]) == ("2023-01", FIXTURE)


def test_rendered_reports_show_no_picker() -> None:
    assert batch_picker(open_batch("2023-01", FIXTURE, report_mode=True)) is None


def test_open_batch_reads_everything_from_the_params_file(demo_project) -> None:
    file = demo_project.params / "2023-05.yaml"
    s = open_batch("2023-05", str(file))
    assert s.params["params_file"] == str(file.resolve())
    assert s.path("registrations_dir") == (demo_project.data / "registrations").resolve()
    assert s.path("payments") == (demo_project.data / "payments.csv").resolve()
    assert s.settings_dir == demo_project.params.resolve()  # the params file's own folder
    assert open_batch("", str(file)).batch_id == "2023-05"  # the batch may come from the file alone
    with pytest.raises(ConfigError, match="是批次 2023-05 的数据，不能作为批次 2023-01 打开"):
        open_batch("2023-01", str(file))


def test_open_batch_finds_the_projects_params_else_the_fixture(demo_project, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(nb_open, "default_params_dir", lambda: demo_project.params)
    s = open_batch("2023-05")
    assert s.path("registrations") == (demo_project.data / "registrations" / "2023-05.xlsx").resolve()
    assert open_batch("2023-05", report_mode=True).params["report_mode"] is True  # keywords laid over the file

    monkeypatch.setattr(nb_open, "default_params_dir", lambda: tmp_path / "params")  # no params/2023-01.yaml
    s = open_batch("2023-01")
    assert s.params["params_file"] == FIXTURE and s.path("registrations").name == "2023-01.xlsx"
    with pytest.raises(ConfigError, match="2023-05"):
        open_batch("2023-05")  # the fixture has no 2023-05, so the missing params file is named


def test_the_keyword_form_opens_exactly_the_paths_given() -> None:
    """Unchanged from before the picker (tests and older notebooks): no params file is looked up."""
    s = open_batch("2023-01", registrations=str(FIXTURE_REGISTRATIONS), lang="en")
    assert s.params == {"batch": "2023-01", "registrations": str(FIXTURE_REGISTRATIONS), "lang": "en"}


def test_the_fixture_holds_one_batch_only() -> None:
    with pytest.raises(ConfigError, match="是批次 2023-01 的数据，不能作为批次 2023-05 打开"):
        open_batch("2023-05", FIXTURE)
