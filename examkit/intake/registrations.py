"""Registration intake: read a registrations file, normalise what people typed, check the notice's rules.

``load_registrations(path, ...)`` returns a ``Registrations``: ``frame`` (typed rows that passed,
``REG_SCHEMA``), ``findings`` (every error and warning, each naming file, Excel row, the user's
column, the value and what is accepted), ``excluded`` (rows with errors and why, without personal
data). The rules (DESIGN.md R2, R4, R5, R8, R9, R10) are polars expressions over the whole file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import polars as pl

from examkit.core.exceptions import InputError, NoticeError
from examkit.core.findings import ERROR, Finding
from examkit.core.i18n import t
from examkit.core.notice import Notice
from examkit.intake.registration_checks import check_table
from examkit.intake.registration_model import (
    EXCLUDED_SCHEMA,
    FILE_SUFFIXES,
    KIND,
    REG_SCHEMA,
    Context,
    Registrations,
    _required,
    make_context,
)
from examkit.io.tables import read_table
from examkit.settings.columns import columns_for

# One file read and checked: ``check_file`` itself, or the input store's copy of what it returns.
FileCheck = Callable[[Path, Context, dict, tuple[str, ...]], Registrations]


def check_file(path: Path, ctx: Context, mapping: dict, required: tuple[str, ...]) -> Registrations:
    """Read one registrations file and check its rows against ``ctx`` (``mapping``: every kind's columns)."""
    return check_table(read_table(path, KIND, mapping), ctx, mapping[KIND], required)


def load_registrations(
    path: str | os.PathLike,
    *,
    schools: pl.DataFrame | str | os.PathLike | None = None,
    notice: Notice | None = None,
    batch: str | None = None,
    prior_passes: pl.DataFrame | None = None,
    columns: dict | None = None,
    params_dir: str | os.PathLike | None = None,
    check: FileCheck = check_file,
) -> Registrations:
    """Read and validate one registrations file (xlsx, or csv in UTF-8/BOM/GBK).

    ``schools``: the schools list (frame from ``load_schools`` or its path) — enables the pilot,
    filing, teacher-training and exam-site rules. ``batch``: the batch this file is for (rows of
    another batch are errors). ``prior_passes``: earlier passes (``id_number``, ``level``, optional
    ``batch``) for the "already passed" warning. ``columns``: the column mapping (default
    ``columns.yaml`` of ``params_dir``). ``check``: how one file is read and checked (the input store passes
    its own). Raises ``InputError`` when the file is unusable.
    """
    mapping = columns or columns_for(params_dir)
    ctx = make_context(
        notice=notice, batch=batch, schools=schools, prior_passes=prior_passes, params_dir=params_dir, columns=mapping
    )
    return check(Path(path), ctx, mapping, _required(params_dir, mapping))


def load_registrations_dir(
    folder: str | os.PathLike,
    *,
    schools: pl.DataFrame | str | os.PathLike | None = None,
    notice: Notice | None = None,
    upto: str | None = None,
    prior_passes: pl.DataFrame | None = None,
    columns: dict | None = None,
    params_dir: str | os.PathLike | None = None,
    check: FileCheck = check_file,
) -> Registrations:
    """Every registrations file in ``folder`` (the year so far), validated and concatenated.

    A file named after a batch (``2023-01.xlsx``) is checked as that batch's file. ``upto``: keep
    only batches up to and including this one (files of later batches are not read). A file that
    cannot be read at all becomes an ``unusable_file`` finding; the other files are still used.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(t("validate.not_found", file=str(root)), file=str(root))
    mapping = columns or columns_for(params_dir)
    base = make_context(
        notice=notice, schools=schools, prior_passes=prior_passes, params_dir=params_dir, columns=mapping
    )
    words = base.batch_words()
    last = words.get(str(upto).strip()) if upto else None
    if upto and last is None:
        b0, b1 = base.batches[0], base.batches[-1]
        raise NoticeError(t("notice.unknown_batch", value=upto, accepted=f"{b0.id} … {b1.id}"))
    by_id = {b.id: b for b in base.batches}
    required = _required(params_dir, mapping)
    parts: list[Registrations] = []
    unusable: list[Finding] = []
    for f in registration_files(root):
        stem_batch = words.get(f.stem.strip())
        if last and stem_batch and stem_batch > last:
            continue
        ctx = dataclasses.replace(base, expected=by_id.get(stem_batch) if stem_batch else None)
        try:
            parts.append(check(f, ctx, mapping, required))
        except InputError as exc:
            unusable.append(Finding(str(f), None, None, None, "unusable_file", ERROR, str(exc)))
    frame = pl.concat([p.frame for p in parts]) if parts else pl.DataFrame(schema=REG_SCHEMA)
    excluded = pl.concat([p.excluded for p in parts]) if parts else pl.DataFrame(schema=EXCLUDED_SCHEMA)
    if last:
        frame = frame.filter(pl.col("batch") <= last)
    return Registrations(
        file=root,
        frame=frame,
        findings=[f for p in parts for f in p.findings] + unusable,
        excluded=excluded,
        rows=sum(p.rows for p in parts),
    )


@dataclasses.dataclass(frozen=True)
class UnreadableFile:
    """A registrations file that could not be read: its path, the batch its name gives (None if none), and why."""

    file: str
    batch: str | None
    reason: str

    @property
    def name(self) -> str:
        return Path(self.file).name


def file_batches(names: list[str], notice: Notice | None = None) -> dict[str, str | None]:
    """File name or path → the batch it is named after (``2023-05.xlsx``, ``2023年第五次统考.csv``), else None."""
    words = make_context(notice=notice).batch_words()
    return {n: words.get(Path(n).stem.strip()) for n in names}


def unreadable_files(loaded: Registrations, notice: Notice | None = None) -> list[UnreadableFile]:
    """The files of a folder that could not be read at all (``unusable_file`` findings), each with its batch."""
    found = [f for f in loaded.findings if f.rule == "unusable_file"]
    batches = file_batches([f.file for f in found], notice)
    return [UnreadableFile(f.file, batches[f.file], f.message) for f in found]


def excluded_per_batch(loaded: Registrations, notice: Notice | None = None, batch: str | None = None) -> dict[str, int]:
    """How many rows validation left out, per batch: the batch each file is named after, else ``batch``."""
    counts = loaded.excluded.group_by("file").len()
    names = dict(zip(counts["file"].to_list(), counts["len"].to_list(), strict=True))
    out: dict[str, int] = {}
    for name, b in file_batches(list(names), notice).items():
        if b or batch:
            out[b or batch] = out.get(b or batch, 0) + names[name]
    return out


def registration_files(folder: Path) -> list[Path]:
    """The registrations files of a folder (xlsx/xls/csv; Excel's ``~$`` lock files and hidden files skipped)."""
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and f.suffix.lower() in FILE_SUFFIXES and not f.name.startswith(("~$", "."))
    )
