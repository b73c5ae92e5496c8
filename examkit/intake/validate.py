"""``examkit validate``: every problem of a registrations file at once; and the notebooks' validation report.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 the file itself is unusable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from examkit.core.findings import Finding
from examkit.core.i18n import t
from examkit.intake.registration_model import Registrations
from examkit.intake.registrations import FileCheck, check_file, load_registrations, load_registrations_dir
from examkit.settings.columns import columns_for

WHERE_MAX = 30  # rows listed per problem in the report; more are counted, not listed


def validate_path(
    path: str | os.PathLike,
    *,
    schools: pl.DataFrame | None = None,
    prior_passes: pl.DataFrame | None = None,
    params_dir: str | os.PathLike | None = None,
    check: FileCheck = check_file,
) -> Registrations:
    """Validate a registrations file, or every registrations file of a folder.

    ``prior_passes`` (``id_number, level, batch``) enables the "already passed" warning; ``check``: how one
    file is read and checked (the input store passes its own).
    """
    p = Path(path)
    kw = {"schools": schools, "prior_passes": prior_passes, "columns": columns_for(params_dir), "check": check}
    if p.is_dir():
        return load_registrations_dir(p, params_dir=params_dir, **kw)
    return load_registrations(p, params_dir=params_dir, **kw)


def format_text(findings: Iterable[Finding]) -> str:
    """One line per finding, in the current language."""
    lines = []
    for f in findings:
        severity = t(f"validate.severity_{f.severity}")
        if f.row is None:
            lines.append(t("validate.line_file", file=f.file, severity=severity, message=f.message))
        else:
            lines.append(t("validate.line", file=f.file, row=f.row, severity=severity, message=f.message))
    return "\n".join(lines)


def count(key: str, n: int) -> str:
    """``n`` with its noun from the catalog: ``<key>_one`` for exactly one, else ``<key>`` ("1 warning", "2 warnings")."""
    return t(f"{key}_one" if n == 1 else key, n=n)


def summary(reg: Registrations) -> str:
    """One line: rows, errors, rows to fix, warnings."""
    rows = count("validate.n_rows", reg.rows)
    if not reg.findings:
        return t("validate.all_ok", file=str(reg.file), rows=rows)
    return t(
        "validate.summary",
        file=str(reg.file),
        rows=rows,
        errors=count("validate.n_errors", len(reg.errors)),
        excluded=count("validate.n_to_fix", reg.excluded.height),
        warnings=count("validate.n_warnings", len(reg.warnings)),
    )


# --------------------------------------------------------------------------- notebooks
