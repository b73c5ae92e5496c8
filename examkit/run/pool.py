"""Warm workers for the runner: processes that each keep a kernel and run many notebooks.

Each ``WarmWorker`` is a ``python -m examkit.cli.worker --serve KERNEL`` process: it starts one kernel,
imports what reports need, says it is ready, then takes one JSON spec per line on stdin and answers
one JSON line on stdout. A worker that dies or stops answering is killed and replaced; the runner
retries a notebook once in a fresh worker when the worker (or its kernel) died under it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading

READY_TIMEOUT_S = 180.0  # starting a kernel and importing polars/altair/nbconvert on a busy machine


class WorkerDied(Exception):
    """The worker process ended (or stopped answering) before it answered; ``tail`` is its last stderr."""

    def __init__(self, tail: str, timed_out: bool = False) -> None:
        super().__init__(tail)
        self.tail = tail
        self.timed_out = timed_out


def worker_env(jobs: int) -> dict[str, str]:
    """The workers' environment: UTF-8 pipes, and polars' threads shared out between the workers' kernels."""
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    return {**os.environ, "PYTHONIOENCODING": "utf-8", "POLARS_MAX_THREADS": str(threads)}


class WarmWorker:
    """One worker process with a warm kernel."""

    def __init__(self, kernel: str, env: dict[str, str]) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "examkit.cli.worker", "--serve", kernel],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            encoding="utf-8",
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._ready = False

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self._lines.put(line)
        self._lines.put(None)  # end of output: the process ended

    def _answer(self, timeout: float) -> dict:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise WorkerDied(self.stderr_tail(), timed_out=True) from None
        if line is None:
            self.kill()
            raise WorkerDied(self.stderr_tail())
        return json.loads(line)

    def run(self, spec: dict, timeout: float) -> dict:
        """Send one notebook's spec and wait for its result (``WorkerDied`` when the worker is gone)."""
        if not self._ready:
            self._answer(READY_TIMEOUT_S)  # {"ready": true}, once
            self._ready = True
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(spec, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except OSError:
            self.kill()
            raise WorkerDied(self.stderr_tail()) from None
        return self._answer(timeout)

    def stderr_tail(self, lines: int = 3) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "?"

    def close(self, timeout: float = 60.0) -> None:
        """Ask the worker to stop (end of input), then make sure it has."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._stderr.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class WorkerPool:
    """Up to ``size`` warm workers, started on first use and handed out one task at a time."""

    def __init__(self, kernel: str, size: int) -> None:
        self.kernel = kernel
        self.env = worker_env(size)
        self._idle: queue.Queue[WarmWorker | None] = queue.Queue()
        for _ in range(max(1, size)):
            self._idle.put(None)  # a place for a worker not started yet
        self._all: list[WarmWorker] = []
        self._lock = threading.Lock()

    def _new(self) -> WarmWorker:
        w = WarmWorker(self.kernel, self.env)
        with self._lock:
            self._all.append(w)
        return w

    def start(self) -> None:
        """Start every worker now, so they warm up while the caller does other work."""
        for _ in range(self._idle.qsize()):
            w = self._idle.get()
            self._idle.put(w or self._new())

    def run(self, spec: dict, timeout: float) -> dict:
        """Run one spec on a free worker; a worker that died under it is replaced and the spec retried once."""
        w = self._idle.get() or self._new()
        try:
            try:
                return w.run(spec, timeout)
            except WorkerDied as died:
                if died.timed_out:
                    w = self._new()  # the hung one was killed; the next task gets a fresh worker
                    raise
                w = self._new()
                return w.run(spec, timeout)
        finally:
            self._idle.put(w if w.proc.poll() is None else None)

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
        for w in workers:
            w.close()
