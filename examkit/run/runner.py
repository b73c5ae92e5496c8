"""The batch runner: every batch's notebooks through papermill, one subprocess each, from a bounded pool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from examkit.core.exceptions import ConfigError
from examkit.core.i18n import get_lang, t
from examkit.report.index import write_index
from examkit.report.render import pdf_note
from examkit.report.run_records import write_run_record
from examkit.run.kernel import ensure_kernel
from examkit.run.pool import WorkerDied, WorkerPool
from examkit.run.worker import remove_outputs
from examkit.session.ingest import ingest
from examkit.settings.params import BatchParams, load_batch_params
from examkit.settings.resources import NOTEBOOKS, notebooks_dir


@dataclass
class JobResult:
    """What happened to one notebook of one batch."""

    batch: str
    notebook: str
    ok: bool
    seconds: float = 0.0
    error: str | None = None
    outputs: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    """Every notebook's result, where the outputs are, and notes for the user (e.g. no Chromium for PDF)."""

    results: list[JobResult]
    out_dir: Path
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed


def _spec(params: BatchParams, notebook: str, out_dir: Path, kernel: str, pdf: bool) -> dict:
    return {
        "notebook": str(notebooks_dir() / f"{notebook}.ipynb"),
        "parameters": {**params.notebook_parameters(), "report_mode": True},
        "out_dir": str(out_dir / params.batch),
        "kernel": kernel,
        "pdf": pdf,
        "lang": str(params.values.get("lang", get_lang())),
    }


def _job_command(params: BatchParams, notebook: str, out_dir: Path, kernel: str, pdf: bool) -> list[str]:
    spec = _spec(params, notebook, out_dir, kernel, pdf)
    return [sys.executable, "-m", "examkit.cli.worker", json.dumps(spec, ensure_ascii=False)]


def _result(params: BatchParams, notebook: str, start: float, data: dict) -> JobResult:
    """A worker's answer as a ``JobResult``."""
    seconds = time.perf_counter() - start
    return JobResult(params.batch, notebook, bool(data["ok"]), seconds, data.get("error"), data.get("outputs", []))


def _run_warm(
    pool: WorkerPool, params: BatchParams, notebook: str, out_dir: Path, kernel: str, pdf: bool, timeout: int
) -> JobResult:
    start = time.perf_counter()
    try:
        data = pool.run(_spec(params, notebook, out_dir, kernel, pdf), timeout)
    except WorkerDied as died:  # died twice, or hung: its outputs cannot be trusted
        remove_outputs(out_dir / params.batch, notebook)
        error = t("run.timeout", seconds=timeout) if died.timed_out else died.tail
        return JobResult(params.batch, notebook, False, time.perf_counter() - start, error)
    return _result(params, notebook, start, data)


def _run_one(params: BatchParams, notebook: str, out_dir: Path, kernel: str, pdf: bool, timeout: int) -> JobResult:
    start = time.perf_counter()
    cmd = _job_command(params, notebook, out_dir, kernel, pdf)
    env = {**os.environ, "EXAMKIT_LANG": str(params.values.get("lang", get_lang())), "PYTHONIOENCODING": "utf-8"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return JobResult(params.batch, notebook, False, time.perf_counter() - start, t("run.timeout", seconds=timeout))
    last = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    try:
        data = json.loads(last[0]) if last else None
    except json.JSONDecodeError:
        data = None
    if not data:  # the worker itself died: its outputs cannot be trusted
        remove_outputs(out_dir / params.batch, notebook)
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        return JobResult(params.batch, notebook, False, time.perf_counter() - start, " | ".join(tail) or "?")
    return _result(params, notebook, start, data)


def run(
    params_files: list[str | os.PathLike],
    out_dir: str | os.PathLike = "outputs",
    *,
    jobs: int = 2,
    notebooks: tuple[str, ...] = NOTEBOOKS,
    kernel: str | None = None,
    pdf: bool = False,
    progress: Callable[[JobResult, int], None] | None = None,
    timeout: int = 900,
    index: bool = True,
    fresh_kernels: bool = False,
) -> RunReport:
    """Run ``notebooks`` for each params file; keep going when one fails; write the index page.

    ``progress(result, total)`` is called as each notebook finishes (the CLI draws a bar with it).
    Notebooks run in ``jobs`` warm kernels that each run many notebooks (``fresh_kernels``: one new
    kernel per notebook, the slower way that shares nothing).
    """
    if not params_files:
        raise ConfigError(t("run.no_params"))
    batches = [load_batch_params(p) for p in params_files]
    out = Path(out_dir).resolve()
    kernel = kernel or ensure_kernel()
    notes: list[str] = []
    if pdf:
        note = pdf_note()
        if note:  # say so once, then render HTML only
            notes.append(note)
            pdf = False
    tasks = [(b, nb) for b in batches for nb in notebooks]
    results: list[JobResult] = []
    warm = None if fresh_kernels else WorkerPool(kernel, max(1, min(jobs, len(tasks))))
    try:
        if warm is not None:
            warm.start()  # the kernels import while this process fills the input store
        try:
            ingest(params_files)  # each input checked once here; a batch that fails shows why in its reports
        except Exception as exc:  # a bug in reading must not stop the run: each notebook meets it and says where
            notes.append(t("run.ingest_failed", error=f"{type(exc).__name__}: {exc}"))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
            futures = [
                threads.submit(_run_one, b, nb, out, kernel, pdf, timeout)
                if warm is None
                else threads.submit(_run_warm, warm, b, nb, out, kernel, pdf, timeout)
                for b, nb in tasks
            ]
            for fut in as_completed(futures):
                res = fut.result()
                results.append(res)
                if progress:
                    progress(res, len(tasks))
    finally:
        if warm is not None:
            warm.close()
    results.sort(key=lambda r: (r.batch, notebooks.index(r.notebook)))
    report = RunReport(results, out, notes)
    for b in batches:
        write_run_record(out, b, [r for r in results if r.batch == b.batch])
    if index:
        write_index(out)
    return report


def summarize(report: RunReport) -> str:
    """One line per failure (the failing cell and its message), then the totals."""
    lines = list(report.notes)
    lines += [t("run.failed_line", batch=r.batch, notebook=r.notebook, error=r.error) for r in report.failed]
    lines.append(
        t(
            "run.summary",
            ok=len(report.results) - len(report.failed),
            failed=len(report.failed),
            out=str(report.out_dir),
        )
    )
    return "\n".join(lines)
