"""The fee reconciliation's inputs read from files: registrations (files or folders), schools, gradebook statuses."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from examkit.intake.registrations import load_registrations, load_registrations_dir
from examkit.intake.schools import load_schools
from examkit.settings.columns import columns_for
from examkit.store.gradebook import Gradebook


def load_results(gradebook: str | os.PathLike | None, batches: tuple[str, ...]) -> pl.DataFrame | None:
    """Results (candidate status) of ``batches`` from the gradebook, or None when there is no gradebook file."""
    if not gradebook or not Path(gradebook).is_file():
        return None

    with Gradebook(gradebook) as gb:
        return pl.concat([gb.results(b).select("candidate_no", "batch", "status") for b in batches])


def load_inputs(
    registrations: list[str | os.PathLike],
    schools: str | os.PathLike | None = None,
    params_dir: str | os.PathLike | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None, int]:
    """Typed registrations (files or folders of batch files), the schools frame, and how many rows failed validation."""
    columns = columns_for(params_dir)
    school_frame = load_schools_frame(schools, params_dir) if schools else None
    frames, excluded = [], 0
    for path in registrations:
        p = Path(path)
        load = load_registrations_dir if p.is_dir() else load_registrations
        loaded = load(p, schools=school_frame, columns=columns, params_dir=params_dir)
        frames.append(loaded.frame)
        excluded += loaded.excluded.height
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    return frame, school_frame, excluded


def load_schools_frame(path: str | os.PathLike, params_dir: str | os.PathLike | None = None) -> pl.DataFrame:
    """The typed schools list (``examkit.intake.schools.load_schools``) with the column mapping of ``params_dir``."""
    return load_schools(path, columns_for(params_dir))
