"""The progress bar of ``examkit run`` and ``examkit demo`` (on stderr, so stdout stays clean)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tqdm import tqdm

from examkit.core.i18n import t
from examkit.run.runner import JobResult


def progress_bar(quiet: bool) -> tuple[Callable[[JobResult, int], None] | None, Callable[[], None]]:
    """A callback for ``run(progress=...)`` drawing a bar, and a function that closes it."""
    if quiet:
        return None, lambda: None
    bar: list[tqdm] = []

    def update(result: JobResult, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit="nb", desc=t("run.progress"), file=sys.stderr, dynamic_ncols=True))
        bar[0].set_postfix_str(f"{result.batch} {result.notebook} {'✓' if result.ok else '✗'}")
        bar[0].update(1)

    def close() -> None:
        if bar:
            bar[0].close()

    return update, close
