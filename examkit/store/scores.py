"""Paper score sheets into the gradebook (all or nothing) and the final score sheet out of it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from examkit.core.findings import ERROR, Finding
from examkit.core.i18n import label, t
from examkit.core.notice import notice_for_batch
from examkit.intake.registrations import load_registrations
from examkit.intake.scoresheet import ScoreSheet, read_scores
from examkit.io.write import write_csv, write_xlsx
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Applied, Gradebook


def import_scores(
    gradebook: Gradebook,
    batch: str,
    path: str | os.PathLike,
    *,
    grader: str | None = None,
    only_if_empty: bool = False,
    reason: str | None = None,
    params_dir: str | os.PathLike | None = None,
    lang: str | None = None,
) -> ScoreImport:
    """Check a score sheet against ``batch``'s recorded rubric and candidates; write it in one transaction if clean.

    Nothing is written when any finding is an error (``ScoreImport.ok`` is False). ``grader`` (who is
    recorded in the audit log) defaults to "score sheet import (file name)".
    """
    p = Path(path)
    sheet = read_scores(
        p,
        batch,
        gradebook.rubric(batch),
        gradebook.candidates(batch).get_column("candidate_no"),
        params_dir=params_dir,
        lang=lang,
    )
    if not sheet.ok:
        return ScoreImport(sheet, None)
    applied = gradebook.apply(
        batch,
        sheet.marks,
        sheet.flags,
        grader=grader or t("scoresheet.actor", lang, file=p.name),
        source=f"import:{p.name}",
        reason=reason,
        only_if_empty=only_if_empty,
    )
    return ScoreImport(sheet, applied)


def final_scores(gradebook: Gradebook, batch: str, lang: str | None = None) -> pl.DataFrame:
    """The final score sheet for the platform: candidate number, total, pass, flags (headers in ``lang``)."""
    flag_text = pl.col("status").replace_strict(
        {s: label(s, lang) for s in ("absent", "void", "ungraded")}, default=None, return_dtype=pl.String
    )
    results = gradebook.results(batch)
    return results.select(
        pl.col("candidate_no").alias(t("scoresheet.col_candidate_no", lang)),
        pl.col("total").alias(t("scoresheet.col_total", lang)),
        pl.when(pl.col("passed"))
        .then(pl.lit(label("pass", lang)))
        .when(~pl.col("passed"))
        .then(pl.lit(label("fail", lang)))
        .otherwise(pl.lit(None, pl.String))
        .alias(t("scoresheet.col_passed", lang)),
        flag_text.alias(t("scoresheet.col_flags", lang)),
    )


def export_scores(
    gradebook: Gradebook,
    batch: str,
    xlsx_path: str | os.PathLike,
    csv_path: str | os.PathLike | None = None,
    *,
    lang: str | None = None,
) -> tuple[Path, Path]:
    """Write the final score sheet as xlsx and csv (csv beside the xlsx unless given); atomic writes."""
    frame = final_scores(gradebook, batch, lang)
    x = Path(xlsx_path)
    c = Path(csv_path) if csv_path else x.with_suffix(".csv")
    write_xlsx({t("scoresheet.sheet", lang): frame}, x, title=batch)
    write_csv(frame, c)
    return x, c


def prepare_gradebook(
    path: str | os.PathLike,
    batch: str,
    *,
    registrations: pl.DataFrame | str | os.PathLike | None = None,
    schools: str | os.PathLike | None = None,
    scores: str | os.PathLike | None = None,
    params_dir: str | os.PathLike | None = None,
) -> tuple[Gradebook, ScoreImport | None]:
    """Open the gradebook for ``batch``: record its rubric, register its validated candidates, and import
    ``scores`` when the batch has no marks yet. Never clears anything already there.

    ``registrations``: a typed registrations frame, or a file to validate (``load_registrations``).
    """
    gb = Gradebook(path)
    level = notice_for_batch(batch).batch(batch).level
    rubric = load_rubric(level, params_dir)
    gb.set_rubric(batch, rubric)  # refuses (RubricError) a changed rubric once marks exist
    if registrations is not None:
        if isinstance(registrations, pl.DataFrame):
            frame = registrations
        else:
            frame = load_registrations(registrations, schools=schools, batch=batch, params_dir=params_dir).frame
        gb.register(frame.filter(pl.col("batch") == batch), rubrics={level: rubric})
    result = None
    if scores is not None and Path(scores).exists() and not gb.has_marks(batch):
        result = import_scores(gb, batch, scores, only_if_empty=True, params_dir=params_dir)
    return gb, result


@dataclass
class ScoreImport:
    """Outcome of an import: the findings, and what was written (None when nothing was)."""

    sheet: ScoreSheet
    applied: Applied | None

    @property
    def ok(self) -> bool:
        return self.sheet.ok

    @property
    def findings(self) -> list[Finding]:
        return self.sheet.findings

    def summary(self, lang: str | None = None) -> str:
        """One line for people: imported / skipped / refused."""
        name = self.sheet.file.name
        if not self.ok:
            errors = [f for f in self.findings if f.severity == ERROR]
            rows = sorted({f.row for f in errors if f.row is not None})  # every offending row, not just the first
            listed = t("scoresheet.rows_list", lang, rows=t("scoresheet.row_sep", lang).join(map(str, rows)))
            return t("scoresheet.import_failed", lang, file=name, n=len(errors), rows=listed)
        if self.applied is None or self.applied.skipped:
            return t("scoresheet.skipped", lang, file=name, batch=self.sheet.batch)
        return t("scoresheet.imported", lang, file=name, marks=self.applied.marks, flags=self.applied.flags)
