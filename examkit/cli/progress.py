"""The progress bars of ``examkit run``, ``demo`` and ``ingest`` (on stderr, so stdout stays clean)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from tqdm import tqdm

from examkit.core.i18n import t
from examkit.run.runner import JobResult

T = TypeVar("T")


def _job_label(result: JobResult) -> str:
    return f"{result.batch} {result.notebook} {'✓' if result.ok else '✗'}"


def progress_bar(
    quiet: bool,
    *,
    desc: str = "run.progress",
    unit: str = "nb",
    label: Callable[[T], str] = _job_label,  # type: ignore[assignment]
) -> tuple[Callable[[T, int], None] | None, Callable[[], None]]:
    """A callback ``(item, total)`` drawing a bar (``desc``: its catalog key; ``label``: the item's text),
    and a function that closes it."""
    if quiet:
        return None, lambda: None
    bar: list[tqdm] = []

    def update(item: T, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit=unit, desc=t(desc), file=sys.stderr, dynamic_ncols=True))
        bar[0].set_postfix_str(label(item))
        bar[0].update(1)

    def close() -> None:
        if bar:
            bar[0].close()

    return update, close
