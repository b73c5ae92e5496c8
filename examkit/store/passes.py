"""Earlier passes from a gradebook file, for the registration check's already-passed warning."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from examkit.core.exceptions import InputError
from examkit.core.i18n import t
from examkit.store.gradebook import Gradebook


def gradebook_passes(path: str | os.PathLike) -> pl.DataFrame:
    """Every pass recorded in an existing gradebook: ``id_number, level, batch`` (one row per pass).

    A missing file is an ``InputError`` (a mistyped path never creates a gradebook).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(t("validate.no_gradebook", file=str(p)), file=str(p))
    schema = {"id_number": pl.String, "level": pl.String, "batch": pl.String}
    with Gradebook(p) as gb:
        parts = [
            gb.results(b)
            .lazy()
            .filter(pl.col("passed").fill_null(False))
            .join(gb.candidates(b).lazy().select("candidate_no", "id_number", "level"), on="candidate_no")
            .select(*schema)
            .collect()
            for b in gb.batches()
        ]
    return pl.concat(parts).cast(schema) if parts else pl.DataFrame(schema=schema)
