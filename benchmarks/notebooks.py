"""Notebook runs: the whole demo year (13 batches × 3 notebooks) through ``examkit run --jobs 2`` (warm
runner) versus one bare papermill run of an import-only notebook (the floor), side by side, round after
round; and the year with ``--fresh-kernels`` once, as a reference."""

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


def prepare_project(workdir: Path) -> float:
    """The demo project (params + generated data, as ``examkit demo`` writes it) in ``workdir``, untimed."""
    code = (
        "import sys; from examkit.demo import prepare_project, write_demo; "
        "p = prepare_project(sys.argv[1]); write_demo(p.parent / 'data' / 'demo', params_dir=p)"
    )
    shutil.rmtree(workdir, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, str(workdir)], capture_output=True, text=True, encoding="utf-8", env=_env()
    )
    if proc.returncode != 0:
        raise RuntimeError("preparing the demo project failed: " + (proc.stderr or "")[-500:])
    return time.perf_counter() - start


def year_run(workdir: Path, out: Path, jobs: int = 2, fresh: bool = False) -> dict:
    """``examkit run --jobs N [--fresh-kernels] params/*.yaml`` on a prepared project, timed as a whole (the
    runner fills the project's input store first); the store and the reports are removed before, untimed."""
    shutil.rmtree(workdir / "store", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    from examkit.settings.params import batch_params_files

    params = [str(p) for p in batch_params_files(workdir / "params")]
    cmd = examkit_cmd("run", "--jobs", str(jobs), "--quiet", "--out", str(out), *params)
    if fresh:
        cmd.append("--fresh-kernels")
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=_env(), cwd=str(workdir))
    seconds = time.perf_counter() - start
    reports = len(list(out.glob("*/*.html")))
    tail = " | ".join((proc.stderr or "").strip().splitlines()[-3:])
    return {
        "seconds": seconds,
        "exit": proc.returncode,
        "reports": reports,
        "batches": len(params),
        "load": load_average(),
        "error": None if proc.returncode == 0 else tail,
    }


def measure(work: Path, repeats: int, fresh: bool = True, log=print) -> dict:
    """Everything of section 2 of RESULTS.md: the year (warm runner) ``repeats`` times, with one bare papermill
    run before the first and after each (median of all); then, once, the year with fresh kernels (``fresh``)."""
    work.mkdir(parents=True, exist_ok=True)
    project = work / "project"
    log("  notebooks: preparing the demo project (params + generated data, untimed)")
    prep = prepare_project(project)
    empty = write_empty_notebook(work / "empty.ipynb")
    bare, years = [], []
    for i in range(repeats):  # a bare run just before and just after each year run
        if not bare:
            bare.append(bare_runs(empty, work / "out-bare", 1))
        y = year_run(project, work / f"out-year-{i}")
        years.append(y)
        bare.append(bare_runs(empty, work / "out-bare", 1))
        log(
            f"  notebooks run {i + 1}/{repeats}: bare papermill {bare[-2]:.1f}s / {bare[-1]:.1f}s, "
            f"year --jobs 2 {y['seconds']:.1f}s (exit {y['exit']}, {y['reports']} reports)"
        )
    good = [y["seconds"] for y in years if y["exit"] == 0]
    out: dict = {
        "repeats": repeats,
        "prepare_seconds": prep,
        "bare_seconds": statistics.median(bare),
        "bare_all": bare,
        "year_seconds": statistics.median(good) if good else None,
        "year_runs": years,
        "notebooks": 3 * (years[0]["batches"] if years else 0),
        "imports": [f"import {lib}" for lib in LIBRARIES] + notebook_imports(),
        "fresh": None,
    }
    if fresh:
        y = year_run(project, work / "out-year-fresh", fresh=True)
        out["fresh"] = y
        log(f"  year --jobs 2 --fresh-kernels: {y['seconds']:.1f}s (exit {y['exit']}, {y['reports']} reports)")
    return out
