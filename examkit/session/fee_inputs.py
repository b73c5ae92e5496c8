"""The fee reconciliation's inputs read from files: registrations (files or folders), schools, gradebook statuses."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from examkit.core.notice import Notice
from examkit.intake.registration_model import REG_SCHEMA
from examkit.intake.registrations import (
    UnreadableFile,
    excluded_per_batch,
    load_registrations,
    load_registrations_dir,
    unreadable_files,
)
from examkit.settings.columns import columns_for
from examkit.store.gradebook import Gradebook
from examkit.store.inputs import InputStore


def load_results(gradebook: str | os.PathLike | None, batches: tuple[str, ...]) -> pl.DataFrame | None:
    """Results (candidate status) of ``batches`` from the gradebook, or None when there is no gradebook file."""
    if not gradebook or not Path(gradebook).is_file():
        return None

    with Gradebook(gradebook) as gb:
        parts = [gb.results(b).select("candidate_no", "batch", "status") for b in batches]
    empty = pl.DataFrame(schema={"candidate_no": pl.String, "batch": pl.String, "status": pl.String})
    return pl.concat(parts) if parts else empty


@dataclass
class FeeInputs:
    """What the registrations give the reconciliation: the rows that passed, the rows left out (per batch),
    and the files of a folder that could not be read (their batches are unknown)."""

    registrations: pl.DataFrame
    schools: pl.DataFrame | None
    excluded: int = 0
    excluded_by_batch: dict[str, int] = field(default_factory=dict)
    unreadable: list[UnreadableFile] = field(default_factory=list)


def read_fee_inputs(
    registrations: list[str | os.PathLike],
    schools: str | os.PathLike | None = None,
    params_dir: str | os.PathLike | None = None,
    *,
    notice: Notice | None = None,
    upto: str | None = None,
    store: InputStore | None = None,
) -> FeeInputs:
    """Typed registrations of files or folders of batch files (folders: batch files up to ``upto``), validated.

    A folder's file that cannot be read is listed in ``unreadable`` (a file given by name raises ``InputError``).
    ``store``: where each file's checked rows are kept (default: checked every time).
    """
    store = store or InputStore(None, params_dir)
    check = store.registrations_check()
    columns = columns_for(params_dir)
    school_frame = store.schools(schools) if schools else None
    frames, excluded, unreadable = [], {}, []
    total = 0
    for path in registrations:
        p = Path(path)
        if p.is_dir():
            loaded = load_registrations_dir(
                p, schools=school_frame, notice=notice, upto=upto, columns=columns, params_dir=params_dir, check=check
            )
            unreadable += unreadable_files(loaded, notice)
        else:
            loaded = load_registrations(p, schools=school_frame, columns=columns, params_dir=params_dir, check=check)
        frames.append(loaded.frame)
        total += loaded.excluded.height
        for batch, n in excluded_per_batch(loaded, notice).items():
            excluded[batch] = excluded.get(batch, 0) + n
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=REG_SCHEMA)
    return FeeInputs(frame, school_frame, total, excluded, unreadable)


def load_inputs(
    registrations: list[str | os.PathLike],
    schools: str | os.PathLike | None = None,
    params_dir: str | os.PathLike | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None, int]:
    """Typed registrations (files or folders of batch files), the schools frame, and how many rows failed validation."""
    got = read_fee_inputs(registrations, schools, params_dir)
    return got.registrations, got.schools, got.excluded
