"""Notebook runs: one batch's three notebooks through the runner versus bare papermill runs (the floor),
and the whole demo year with ``--jobs 1`` and ``--jobs 2``."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.machine import load_average

BATCH = "2023-01"
# the libraries every report notebook loads, whatever its cells import directly
LIBRARIES = ("polars", "altair", "ipywidgets")


def _env() -> dict:
    from benchmarks.measure import ROOT

    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}


def examkit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "examkit", *args]


def prepare_demo(workdir: Path, batches: str | None = BATCH, jobs: int = 1) -> tuple[float, int]:
    """``examkit demo --workdir W`` (the whole demo year's data; runs ``batches``); returns (seconds, exit code)."""
    cmd = examkit_cmd("demo", "--workdir", str(workdir), "--jobs", str(jobs), "--quiet")
    if batches:
        cmd += ["--batches", batches]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=_env())
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-6:]
        print("    examkit demo failed: " + " | ".join(tail), file=sys.stderr)
    return seconds, proc.returncode


def notebook_imports() -> list[str]:
    """The import statements of the shipped notebooks (top-level lines of their code cells)."""
    import nbformat

    from examkit.settings.resources import NOTEBOOKS, notebooks_dir

    lines: list[str] = []
    for name in NOTEBOOKS:
        nb = nbformat.read(str(notebooks_dir() / f"{name}.ipynb"), as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
                continue
            for line in cell.source.splitlines():
                if line.startswith(("import ", "from ")) and line not in lines:
                    lines.append(line)
    return lines


def write_empty_notebook(path: Path) -> Path:
    """A notebook with a parameters cell and one cell importing the same libraries as the reports."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    params = new_code_cell(f'batch = "{BATCH}"\nlang = "zh"')
    params.metadata["tags"] = ["parameters"]
    imports = "\n".join([f"import {lib}" for lib in LIBRARIES] + notebook_imports())
    nb = new_notebook(cells=[params, new_code_cell(imports)])
    nb.metadata["kernelspec"] = {"name": "examkit", "display_name": "Python (examkit)", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


_BARE = """
import sys, papermill as pm
pm.execute_notebook(sys.argv[1], sys.argv[2], parameters={"batch": sys.argv[4]}, kernel_name=sys.argv[3],
                    language="python", progress_bar=False, log_output=False, request_save_on_cell_execute=False)
if len(sys.argv) > 5:
    from examkit.report.render import render_html
    render_html(sys.argv[2], sys.argv[5])
"""


def bare_runs(empty: Path, out: Path, count: int, render: bool = False) -> float:
    """``count`` bare papermill runs of ``empty``, one fresh process each, one after the other (like --jobs 1)."""
    from examkit.run.kernel import ensure_kernel

    kernel = ensure_kernel()
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i in range(count):
        cmd = [sys.executable, "-c", _BARE, str(empty), str(out / f"bare{i}.ipynb"), kernel, BATCH]
        if render:
            cmd.append(str(out / f"bare{i}.html"))
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=_env())
        if proc.returncode != 0:
            raise RuntimeError("bare papermill run failed: " + (proc.stderr or "")[-500:])
    return time.perf_counter() - start


def runner_batch(workdir: Path, out: Path, jobs: int = 1) -> tuple[float, list]:
    """One batch's three notebooks through ``examkit.run.runner.run``; returns (seconds, job results)."""
    from examkit.run.runner import run

    start = time.perf_counter()
    report = run([workdir / "params" / f"{BATCH}.yaml"], out, jobs=jobs, progress=False)
    return time.perf_counter() - start, report.results


def measure(work: Path, repeats: int, whole_year: bool, log=print) -> dict:
    """Everything of section 2 of RESULTS.md."""
    work.mkdir(parents=True, exist_ok=True)
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    log("  notebooks: preparing the demo project (examkit demo --batches 2023-01)")
    prep_s, prep_rc = prepare_demo(project)
    empty = write_empty_notebook(work / "empty.ipynb")
    runner, floor, floor_render, per_nb, failures = [], [], [], {}, []
    for i in range(repeats):
        s, results = runner_batch(project, work / f"out-runner-{i}")
        runner.append(s)
        for r in results:
            per_nb.setdefault(r.notebook, []).append(r.seconds)
            if not r.ok:
                failures.append(f"{r.batch} {r.notebook}: {r.error}")
        floor.append(bare_runs(empty, work / f"out-bare-{i}", len(results) or 3))
        floor_render.append(bare_runs(empty, work / f"out-bare-render-{i}", len(results) or 3, render=True))
        log(
            f"  notebooks run {i + 1}/{repeats}: runner {s:.1f}s, bare {floor[-1]:.1f}s, bare+html {floor_render[-1]:.1f}s"
        )
    out: dict = {
        "repeats": repeats,
        "prepare_seconds": prep_s,
        "prepare_exit": prep_rc,
        "runner_seconds": statistics.median(runner),
        "floor_seconds": statistics.median(floor),
        "floor_render_seconds": statistics.median(floor_render),
        "per_notebook": {k: statistics.median(v) for k, v in per_nb.items()},
        "failures": failures,
        "imports": [f"import {lib}" for lib in LIBRARIES] + notebook_imports(),
        "year": {},
    }
    if whole_year:
        for jobs in (1, 2):
            wd = work / f"year-jobs{jobs}"
            shutil.rmtree(wd, ignore_errors=True)
            s, rc = prepare_demo(wd, batches=None, jobs=jobs)
            html = len(list((wd / "outputs").glob("*/*.html")))
            out["year"][jobs] = {"seconds": s, "exit": rc, "reports": html, "load": load_average()}
            log(f"  whole demo year --jobs {jobs}: {s:.1f}s (exit {rc}, {html} reports)")
    return out
