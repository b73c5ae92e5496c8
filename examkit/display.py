"""How reports look: display setup for notebooks, tables, and the reproducibility footer.

(Owned by the reports work; these are the entry points every notebook calls.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from examkit.session import BatchSession


def setup(lang: str = "zh") -> None:
    """Configure rendering for this kernel (chart renderer, theme, table style)."""
    return None


def table(frame: pl.DataFrame, caption: str | None = None):
    """A frame for display in a report."""
    return frame


def footer(session: BatchSession):
    """The reproducibility footer: batch, parameters file, input hashes, version, run time."""
    from examkit import __version__

    return f"examkit {__version__} · {session.batch_id} · {session.started:%Y-%m-%d %H:%M}"
