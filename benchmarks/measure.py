"""Running tasks in fresh subprocesses, several times, and summarising the figures (medians)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Sample:
    """One run of one task in its own process."""

    ok: bool
    seconds: float = 0.0
    wall: float = 0.0
    peak_rss: int | None = None
    stages: dict[str, float] = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class Measured:
    """Several samples of one task at one size, summarised."""

    task: str
    size: int
    samples: list[Sample]

    @property
    def good(self) -> list[Sample]:
        return [s for s in self.samples if s.ok]

    @property
    def ok(self) -> bool:
        return bool(self.samples) and all(s.ok for s in self.samples)

    @property
    def error(self) -> str | None:
        bad = [s.error for s in self.samples if not s.ok]
        return bad[0] if bad else None

    @property
    def seconds(self) -> float | None:
        return statistics.median(s.seconds for s in self.good) if self.good else None

    @property
    def best(self) -> float | None:
        return min(s.seconds for s in self.good) if self.good else None

    @property
    def peak_rss(self) -> int | None:
        vals = [s.peak_rss for s in self.good if s.peak_rss]
        return int(statistics.median(vals)) if vals else None

    @property
    def stages(self) -> dict[str, float]:
        names = list(self.good[0].stages) if self.good else []
        return {n: statistics.median(s.stages.get(n, 0.0) for s in self.good) for n in names}

    @property
    def result(self) -> dict:
        return self.good[0].result if self.good else {}

    def to_json(self) -> dict:
        return {
            "task": self.task,
            "size": self.size,
            "ok": self.ok,
            "error": self.error,
            "seconds": self.seconds,
            "best": self.best,
            "all_seconds": [s.seconds for s in self.good],
            "peak_rss": self.peak_rss,
            "stages": self.stages,
            "result": self.result,
        }


def _limit_address_space(limit: int):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_child(task: str, args: dict, timeout: float = 1800, rlimit_as: int | None = None) -> Sample:
    """Run ``benchmarks.child`` once; a crash or timeout is a failed sample, never an exception.

    ``rlimit_as``: cap the child's address space at this many bytes (POSIX only; ignored elsewhere).
    """
    preexec = _limit_address_space(rlimit_as) if rlimit_as and os.name == "posix" else None
    cmd = [sys.executable, "-m", "benchmarks.child", task, json.dumps(args, ensure_ascii=False)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            env=env,
            cwd=str(ROOT),
            preexec_fn=preexec,
        )
    except subprocess.TimeoutExpired:
        return Sample(False, wall=time.perf_counter() - start, error=f"timeout after {timeout:.0f}s")
    wall = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " | ".join((proc.stderr or "").strip().splitlines()[-3:])
        return Sample(False, wall=wall, error=f"exit {proc.returncode}: {tail or 'no output'}")
    if not data.get("ok"):
        return Sample(False, wall=wall, peak_rss=data.get("peak_rss"), error=data.get("error"))
    return Sample(
        True,
        seconds=float(data["seconds"]),
        wall=wall,
        peak_rss=data.get("peak_rss"),
        stages=data.get("stages") or {},
        result=data.get("result") or {},
    )


def interleaved(tasks: tuple[str, ...], data_dir: Path, size: int, repeats: int, log=print) -> dict[str, Measured]:
    """``repeats`` rounds of one fresh-process run of each task, in turn, so that a busy moment of the
    machine hits every side alike; a task that failed is not run again."""
    samples: dict[str, list[Sample]] = {t: [] for t in tasks}
    for i in range(repeats):
        for task in tasks:
            if samples[task] and not samples[task][-1].ok:
                continue
            s = run_child(task, {"data": str(data_dir)})
            samples[task].append(s)
            rss = f"{s.peak_rss / 2**20:.0f} MiB" if s.peak_rss else "?"
            log(f"  {task:8s} n={size:>9,} run {i + 1}/{repeats}: " + (f"{s.seconds:.2f}s, {rss}" if s.ok else s.error))
    return {t: Measured(t, size, v) for t, v in samples.items()}


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0–1) by linear interpolation between order statistics."""
    xs = sorted(values)
    if not xs:
        raise ValueError("no values")
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
