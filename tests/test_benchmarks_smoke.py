"""Keeps the benchmark suite working: its smallest run once, and its helpers. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from benchmarks import ceiling, notebooks, report
from benchmarks.measure import percentile
from benchmarks.synth import generate
from examkit.core import idcard

ROOT = Path(__file__).resolve().parent.parent


def test_generated_year_is_valid_input(tmp_path: Path) -> None:
    year = generate(tmp_path / "y", 600, seed=5)
    regs = pl.concat([pl.read_csv(f, infer_schema=False) for f in year.registration_files])
    assert regs.height == 600
    assert regs["考生号"].n_unique() == 600
    assert all(idcard.is_valid(x) for x in regs["身份证号"].to_list())
    # nobody registers twice for one batch; retakes reuse an ID number in a later batch only
    assert regs.group_by("批次").agg(pl.col("身份证号").n_unique() == pl.len())["身份证号"].all()
    assert year.truth["per_batch"]["2023-03"]["retakes"] > 0
    social = regs.filter(pl.col("考生类型") == "社会考生")
    assert social.height > 0 and social["院校代码"].is_null().all()
    students = regs.filter(pl.col("考生类型") != "社会考生")
    assert students["院校代码"].is_not_null().all()
    scores = pl.concat(
        [pl.read_csv(f, infer_schema=False).select("考生号", "状态") for f in year.score_files], how="vertical"
    )
    absent = scores.filter(pl.col("状态") == "缺考").height
    assert absent == sum(b["absent"] for b in year.truth["per_batch"].values())
    pay = pl.read_csv(year.payments_file, infer_schema=False)
    assert pay.columns == ["付款单位", "院校代码", "金额(元)", "到账日期", "摘要"]


def test_smallest_run_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--quick",
        "--sizes",
        "500",
        "--only",
        "analytics,grading",
        "--work",
        str(tmp_path / "w"),
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((tmp_path / "w" / "results.json").read_text(encoding="utf-8"))
    entry = res["analytics"]["sizes"]["500"]
    truth = entry["truth"]
    for side in ("pandas", "examkit"):
        task = entry["tasks"][side]
        assert task["ok"], task["error"]
        r = task["result"]
        assert (r["registered"], r["sat"], r["passed"], r["expected_fen"]) == (
            500,
            truth["sat"],
            truth["passed"],
            truth["expected_fen"],
        )
    assert entry["tasks"]["floor"]["result"]["registered"] == 500
    assert entry["tasks"]["pandas"]["result"]["paid_fen"] == entry["tasks"]["examkit"]["result"]["paid_fen"]
    gr = res["grading"]
    assert gr["ok"], gr["error"]
    assert gr["audit_rows"] == gr["saves"] == 100  # one audit row per saved mark
    assert gr["form_saved_ok"] == gr["form_saves"]
    text = out.read_text(encoding="utf-8")
    assert "## 1. Analytics + fee reconciliation" in text and "## 4. Grading" in text


def _canned() -> dict:
    return {
        "machine": {
            "date": "2026-11-29T10:00+00:00",
            "cpus": 2,
            "cpu_model": "x",
            "memory": 24 * 2**30,
            "os": "Linux",
            "python": "3.11",
            "examkit": "0",
            "git": "abc",
            "versions": {},
            "load_start": None,
        },
        "config": {"repeats": 3, "quick": True},
        "notebooks": {
            "repeats": 3,
            "runner_seconds": 13.0,
            "floor_seconds": 10.0,
            "floor_render_seconds": 11.0,
            "per_notebook": {"grading": 4.0},
            "failures": [],
            "imports": ["import polars"],
            "year": {},
        },
        "size": {
            "100": {"ok": True, "bytes": 1000, "seconds": 1.0},
            "100000": {"ok": True, "bytes": 1500, "seconds": 2.0},
        },
        "grading": {"ok": True, "save_median_ms": 9.99},
    }


def test_targets_are_judged_against_the_issue() -> None:
    rows = {name.split(" ")[0]: (value, ok) for name, value, ok in report.targets(_canned())}
    assert rows["One"] == ("1.30× (13.0 s vs 10.0 s)", True)  # 13 / 10 = 1.3 ≤ 1.3
    assert rows["Pass-rate"] == ("1.50×", False)  # 1500 / 1000 = 1.5 > 1.2
    assert rows["Save"] == ("9.99 ms", True)


def test_helpers(tmp_path: Path) -> None:
    assert percentile(list(range(1, 101)), 0.99) == pytest.approx(99.01)
    assert percentile([5.0], 0.5) == 5.0
    # a line through (1M, 1 GiB) and (2M, 1.5 GiB) reaches 2 GiB at 3M
    assert ceiling._round(1_834_567) == 1_800_000 and ceiling._round(183_456) == 180_000
    assert ceiling._estimate([(1_000_000, 2**30), (2_000_000, 3 * 2**29)], 2 * 2**30) == 3_000_000
    nb = notebooks.write_empty_notebook(tmp_path / "empty.ipynb")
    import nbformat

    cells = nbformat.read(str(nb), as_version=4).cells
    assert cells[0].metadata["tags"] == ["parameters"]
    assert "import polars" in cells[1].source
    assert all(line.startswith(("import ", "from ")) for line in cells[1].source.splitlines())
