"""Final score sheets (candidate, total, status) as sites export them, read for the pass rates."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from examkit.core.exceptions import InputError, ValidationFailed
from examkit.core.findings import ERROR, MAX_LISTED, Finding
from examkit.core.i18n import LANGS, label, t
from examkit.core.text import header_key
from examkit.io.tables import ROW, read_table
from examkit.settings.columns import columns_for


def _final_columns(params_dir: Path | None) -> dict[str, dict[str, list[str]]]:
    """Header mapping of the exported final score sheet, in every language of the catalog."""

    cand = columns_for(params_dir).get("scores", {}).get("candidate_no", ["考生号"])
    spec = {
        "candidate_no": list(dict.fromkeys([*cand, *(t("scoresheet.col_candidate_no", lg) for lg in LANGS)])),
        "total": list(dict.fromkeys([t("scoresheet.col_total", lg) for lg in LANGS] + ["total"])),
        "passed": list(dict.fromkeys([t("scoresheet.col_passed", lg) for lg in LANGS] + ["passed"])),
        "status": list(dict.fromkeys([t("scoresheet.col_flags", lg) for lg in LANGS] + ["状态", "status"])),
    }
    return {"final_scores": spec}


def _status_words() -> dict[str, str]:
    """Accepted status words (NFKC, case-folded) → status; blank means graded or ungraded by the total."""
    words = {"缺考": "absent", "违纪": "void", "absent": "absent", "void": "void", "ungraded": "ungraded"}
    for status in ("absent", "void", "ungraded"):
        for lg in LANGS:
            words[header_key(label(status, lg))] = status
    return {header_key(k): v for k, v in words.items()}


def is_final_sheet(path: Path, params_dir: Path | None = None) -> bool:
    """True when the sheet has a total column (the exported final score sheet)."""
    try:
        table = read_table(path, "final_scores", _final_columns(params_dir))
    except InputError:
        return False
    return "total" in table.headers


def read_final_sheet(path: Path, full_mark: float, params_dir: Path | None = None) -> pl.DataFrame:
    """The final score sheet as a results frame (``candidate_no``, ``status``, ``total``).

    Raises ``ValidationFailed`` naming file, row, column, value and what is accepted for a total
    that is not a number within the full mark, or a status word it does not know.
    """
    return _read(path, full_mark, params_dir)[0].drop(ROW)


def final_sheet_results(
    path: Path,
    full_mark: float,
    batch: str,
    registered: pl.Series,
    params_dir: Path | None = None,
    excluded: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, list[Finding]]:
    """The final score sheet's results for ``batch``'s ``registered`` candidates, and a finding for each row
    of someone else (left out: e.g. a candidate whose registration did not pass validation, see ``excluded``)."""
    frame, header = _read(path, full_mark, params_dir)
    known = pl.col("candidate_no").is_in(registered.cast(pl.String).implode())
    strays = [
        stray_finding(str(path), row, header, cand, batch, excluded)
        for row, cand in frame.filter(~known).select(ROW, "candidate_no").iter_rows()
    ]
    return frame.filter(known).drop(ROW), strays


def stray_finding(
    file: str, row: int | None, column: str | None, candidate: str, batch: str, excluded: pl.DataFrame | None
) -> Finding:
    """A score-sheet row left out of the pass rates: its candidate is not among ``batch``'s validated
    registrations; when validation excluded them (``excluded``: ``candidate_no``, ``message``), say why."""
    why = None
    if excluded is not None and excluded.height:
        hit = excluded.filter(pl.col("candidate_no") == candidate)
        why = hit.item(0, "message") if hit.height else None
    reason = (
        t("scoresheet.stray_excluded", value=candidate, reason=why)
        if why
        else t("scoresheet.stray_unregistered", value=candidate, batch=batch)
    )
    return Finding(
        file,
        row,
        column,
        candidate,
        "scores.stray_row",
        ERROR,
        t("scoresheet.stray_row", file=file, row=row, reason=reason),
    )


def _read(path: Path, full_mark: float, params_dir: Path | None) -> tuple[pl.DataFrame, str]:
    """``candidate_no``, ``status``, ``total`` and the Excel row of each result; the candidate column's header."""
    table = read_table(path, "final_scores", _final_columns(params_dir))
    frame = table.frame
    if "status" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("status"))
    words = _status_words()
    norm = pl.col("status").str.normalize("NFKC").str.replace_all(r"\s", "").str.to_lowercase()
    num = pl.col("total").str.normalize("NFKC").str.replace_all(r"\s", "").cast(pl.Float64, strict=False)
    frame = frame.with_columns(
        pl.col("candidate_no").str.normalize("NFKC").str.strip_chars().alias("candidate_no"),
        norm.alias("_word"),
        num.alias("_total"),
    ).filter(pl.col("candidate_no").is_not_null() & (pl.col("candidate_no") != ""))
    flagged = frame.with_columns(
        pl.col("_word").replace_strict(words, default=None).alias("_status"),
    )
    bad_word = flagged.filter(pl.col("_word").is_not_null() & (pl.col("_word") != "") & pl.col("_status").is_null())
    bad_total = flagged.filter(
        pl.col("total").is_not_null()
        & (pl.col("total").str.strip_chars() != "")
        & (pl.col("_total").is_null() | (pl.col("_total") < 0) | (pl.col("_total") > full_mark))
    )
    findings = []
    accepted_words = ", ".join(f"{label(s, 'zh')}/{label(s, 'en')}" for s in ("absent", "void", "ungraded"))
    for r in bad_word.iter_rows(named=True):  # only the bad rows: a handful at most
        findings.append(
            Finding(
                str(path),
                r[ROW],
                table.header("status"),
                r["status"],
                "scores.bad_status",
                ERROR,
                t(
                    "analytics.bad_status",
                    file=str(path),
                    row=r[ROW],
                    column=table.header("status"),
                    value=r["status"],
                    accepted=accepted_words,
                ),
            )
        )
    for r in bad_total.iter_rows(named=True):
        findings.append(
            Finding(
                str(path),
                r[ROW],
                table.header("total"),
                r["total"],
                "scores.bad_total",
                ERROR,
                t(
                    "analytics.bad_total",
                    file=str(path),
                    row=r[ROW],
                    column=table.header("total"),
                    value=r["total"],
                    full=f"{full_mark:g}",
                ),
            )
        )
    if findings:
        findings.sort(key=lambda f: (f.row or 0, f.column or ""))
        raise ValidationFailed("\n".join(f.message for f in findings[:MAX_LISTED]), findings)
    status = (
        pl.when(pl.col("_status").is_not_null())
        .then(pl.col("_status"))
        .when(pl.col("_total").is_not_null())
        .then(pl.lit("graded"))
        .otherwise(pl.lit("ungraded"))
    )
    results = flagged.select(
        "candidate_no",
        status.alias("status"),
        pl.when(status.is_in(["graded", "void"])).then(pl.col("_total")).otherwise(None).alias("total"),
        ROW,
    )
    return results, table.header("candidate_no")
