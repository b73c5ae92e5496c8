"""The demo year graded through the gradebook API (owned by the gradebook work)."""

from __future__ import annotations

from pathlib import Path

from examkit.demo.generate import DemoYear


def grade_demo(data_dir: Path, demo: DemoYear, params_dir: Path | None = None) -> None:
    """Enter the demo year's marks into ``data_dir/gradebook.sqlite`` through ``Gradebook``."""
    return None
