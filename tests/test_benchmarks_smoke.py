"""Keeps the benchmark suite working: its smallest run once, and its helpers. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from benchmarks import ceiling, notebooks, pytest_log, report, run
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
    for side in ("pandas", "examkit", "examkit_warm"):
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
    cold, warm = entry["tasks"]["examkit"]["result"], entry["tasks"]["examkit_warm"]["result"]
    # the cold run filled an empty store, the warm run only read it, and both found the same
    assert cold["store"]["hits"] == 0 and cold["store"]["builds"] > 0
    assert warm["store"] == {"hits": cold["store"]["builds"], "builds": 0, "rebuilt": 0}
    assert warm["digests"] == cold["digests"] and report.same_results(cold, warm)
    gr = res["grading"]
    assert gr["ok"], gr["error"]
    assert gr["audit_rows"] == gr["saves"] == 100  # one audit row per saved mark
    assert gr["form_saved_ok"] == gr["form_saves"]
    text = out.read_text(encoding="utf-8")
    assert "## 1. Fee statement + pass rates" in text and "## 4. Grading" in text
    assert "| examkit warm |" in text and ": equal." in text


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
            "repeats": 1,
            "bare_seconds": 4.0,
            "bare_all": [4.0],
            "year_seconds": 60.0,
            "year_runs": [{"seconds": 60.0, "exit": 0, "reports": 39, "batches": 13, "load": None, "error": None}],
            "notebooks": 39,
            "imports": ["import polars"],
            "fresh": None,
        },
        "size": {
            "100": {"ok": True, "bytes": 500, "seconds": 1.0},
            "1000": {"ok": True, "bytes": 1000, "seconds": 1.0},
            "100000": {"ok": True, "bytes": 1500, "seconds": 2.0},
        },
        "grading": {"ok": True, "save_median_ms": 9.99},
    }


def test_targets_are_judged_against_the_issue() -> None:
    rows = {name.split(" ")[1]: (value, ok, by) for name, value, ok, by in report.targets(_canned())}
    assert rows["demo"] == ("15.00× (60.0 s vs 4.00 s)", True, "met, 1.00× to spare")  # 60 / 4 = 15 ≤ 15
    assert rows["report"][:2] == ("1.50×", False)  # 1500 / 1000 (the report at 1,000) = 1.5 > 1.05
    assert rows["report"][2] == "missed by **1.43×**"
    assert rows["one"][:2] == ("9.99 ms", True)
    assert rows["test`:"] == ("not measured (no --pytest-log)", None, "—")


LOG = """\
============================= test session starts ==============================
tests/test_a.py ....s.                                                   [100%]
\x1b[33m================= 5 passed, 1 skipped, 2 warnings in 191.40s (0:03:11) =================\x1b[0m
"""


def test_pytest_log_is_read_and_judged(tmp_path: Path) -> None:
    got = pytest_log.parse_text(LOG)
    assert got is not None and got["seconds"] == 191.4
    assert got["counts"] == {"passed": 5, "skipped": 1, "warnings": 2}
    assert pytest_log.judge(got, 180) == (False, ["1.06× the 180 s limit", "1 skipped"])
    assert pytest_log.judge(pytest_log.parse_text("660 passed in 150.00s (0:02:30)"), 180) == (True, [])
    assert pytest_log.parse_text("make: *** [Makefile:20: test] Error 2") is None
    # --render adds the log to an earlier run's results and judges it in the Targets table
    (tmp_path / "test.log").write_text(LOG, encoding="utf-8")
    canned = {k: v for k, v in _canned().items() if k != "grading"}  # its section needs every figure
    (tmp_path / "results.json").write_text(json.dumps(canned), encoding="utf-8")
    out = tmp_path / "RESULTS.md"
    argv = ["--render", str(tmp_path / "results.json"), "--pytest-log", str(tmp_path / "test.log"), "--out", str(out)]
    assert run.main(argv) == 0
    text = out.read_text(encoding="utf-8")
    assert "| 191.4 s; 5 passed, 1 skipped | **missed** | missed: 1.06× the 180 s limit; 1 skipped |" in text
    assert "5 passed, 1 skipped, 2 warnings in 191.40s" in text  # the line itself, in section 6


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
