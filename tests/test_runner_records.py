"""Run records: a failed notebook leaves nothing stale, and the index keeps every batch run so far."""

from __future__ import annotations

import json

import pytest

from examkit.report.index import write_index
from examkit.report.run_records import run_records, write_run_record
from examkit.run.runner import JobResult
from examkit.run.worker import execute_one
from examkit.settings.params import load_batch_params


def test_a_crashing_notebook_removes_its_stale_outputs(tmp_path):
    out = tmp_path / "2023-01"
    out.mkdir()
    for suffix in (".ipynb", ".html", ".pdf"):
        (out / f"grading{suffix}").write_text("from an earlier run", encoding="utf-8")
    (out / "fees.html").write_text("another notebook's report", encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - any failure that is not a cell error
        execute_one(str(tmp_path / "missing" / "grading.ipynb"), {}, str(out), "examkit")
    assert sorted(p.name for p in out.iterdir()) == ["fees.html"]


def _params(tmp_path, batch):
    (tmp_path / "params").mkdir(exist_ok=True)
    f = tmp_path / "params" / f"{batch}.yaml"
    f.write_text(f'batch: "{batch}"\nregistrations: data/{batch}.csv\n', encoding="utf-8")
    return load_batch_params(f)


def test_index_lists_every_recorded_batch_and_shows_failures_without_figures(tmp_path):
    out = tmp_path / "outputs"
    ok, bad = _params(tmp_path, "2023-01"), _params(tmp_path, "2023-02")
    write_run_record(out, ok, [JobResult("2023-01", "grading", True)])
    write_run_record(out, bad, [JobResult("2023-02", "fees", False, error="cell 4 failed: InputError: 坏文件.csv")])
    (out / "2023-01" / "grading.html").write_text("<html></html>", encoding="utf-8")

    records = run_records(out)
    assert [r["batch"] for r in records] == ["2023-01", "2023-02"]
    assert json.loads((out / "2023-02" / "run.json").read_text(encoding="utf-8"))["notebooks"]["fees"]["ok"] is False

    page = write_index(out).read_text(encoding="utf-8")
    assert 'href="2023-01/grading.html"' in page
    row = page.split("2023-02", 1)[1].split("</tr>", 1)[0]
    assert "坏文件.csv" in row  # the failure is shown where the figures would be
    assert "¥" not in row and "%" not in row  # and no figures that could be read as real
