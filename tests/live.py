"""Helpers for tests that drive live servers and a real browser: the Chromium to use, a free port, a
child process's output read line by line."""

from __future__ import annotations

import os
import queue
import socket
from pathlib import Path

import polars as pl
import pytest


def chromium_executable() -> str:
    """The Chromium to drive; skips (fails under CI=true) when there is none or no playwright."""
    from examkit.report.render import find_chromium

    path = os.environ.get("EXAMKIT_CHROMIUM") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    path = path or find_chromium()
    problem = None
    if not path:
        problem = "no Chromium installed (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e .[dev])"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(problem)
    return str(path)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_lines(stream, out: queue.Queue) -> None:
    """Put each line of ``stream`` on ``out``, then None at its end (run in a thread)."""
    for line in iter(stream.readline, ""):
        out.put(line)
    out.put(None)


def grading_project(root: Path, batch: str, candidates: dict[str, str]) -> tuple[Path, Path]:
    """A project folder under ``root`` for ``examkit grade``: ``params/<batch>.yaml`` and a gradebook
    with ``candidates`` (candidate number → name) registered at the batch's level; (params, gradebook)."""
    from examkit.core.notice import notice_for_batch
    from examkit.store.gradebook import Gradebook

    params = root / "params"
    params.mkdir(parents=True)
    gradebook = root / "gradebook.sqlite"
    (params / f"{batch}.yaml").write_text(
        f'batch: "{batch}"\nlang: zh\ngradebook: {gradebook.as_posix()}\n', encoding="utf-8"
    )
    level = notice_for_batch(batch).batch(batch).level
    regs = pl.DataFrame(
        {
            "batch": [batch] * len(candidates),
            "candidate_no": list(candidates),
            "name": list(candidates.values()),
            "level": [level] * len(candidates),
        }
    )
    with Gradebook(gradebook) as gb:
        gb.register(regs)
    return params, gradebook
