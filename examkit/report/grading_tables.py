"""The grading report's tables: status counts, candidates still to grade, graders, final scores (masked)."""

from __future__ import annotations

import html

import polars as pl

from examkit.core.findings import findings_frame
from examkit.core.grading import STATUSES, grader_summary
from examkit.core.i18n import label, t
from examkit.core.privacy import mask_id, mask_name
from examkit.core.rubric import Rubric
from examkit.report.tables import HTMLBlock, number_text, table
from examkit.store.scores import ScoreImport


def status_counts(results: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """Candidates per status (graded, absent, void, ungraded) with their share, headers in ``lang``."""
    order = pl.DataFrame({"status": list(STATUSES)})
    counts = order.join(results.group_by("status").len(), on="status", how="left").with_columns(
        pl.col("len").fill_null(0)
    )
    n = max(results.height, 1)
    return counts.select(
        pl.col("status").replace_strict({s: label(s, lang) for s in STATUSES}).alias(t("grading.status_col", lang)),
        pl.col("len").alias(t("grading.count_col", lang)),
        number_text(pl.col("len") / n * 100, 1).add("%").alias(t("grading.share_col", lang)),
    )


def _masked_people(candidates: pl.DataFrame) -> pl.DataFrame:
    return candidates.select(
        "candidate_no",
        mask_name(pl.col("name")).alias("name"),
        mask_id(pl.col("id_number")).alias("id_number"),
        "site_code",
    )


def ungraded_table(results: pl.DataFrame, candidates: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """The candidates still to grade: number, masked name, exam site."""
    return (
        results.filter(pl.col("status") == "ungraded")
        .select("candidate_no")
        .join(_masked_people(candidates), on="candidate_no", how="left")
        .sort("candidate_no")
        .select(
            pl.col("candidate_no").alias(t("grading.col_candidate_no", lang)),
            pl.col("name").alias(t("grading.col_name", lang)),
            pl.col("site_code").alias(t("grading.col_site_code", lang)),
        )
    )


def grader_table(marks: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """``grader_summary`` with headers in ``lang``: people's marks only (auto-scored theory marks left out)."""
    return grader_summary(marks).rename(
        {
            c: t(f"grading.col_{c}", lang)
            for c in ("grader", "candidates", "marks", "mean_pct", "others_pct", "difference")
        }
    )


def final_table(results: pl.DataFrame, candidates: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """The final scores for a report: number, masked name and ID number, total, pass, status."""
    return (
        results.join(_masked_people(candidates), on="candidate_no", how="left")
        .sort("candidate_no")
        .select(
            pl.col("candidate_no").alias(t("grading.col_candidate_no", lang)),
            pl.col("name").alias(t("grading.col_name", lang)),
            pl.col("id_number").alias(t("grading.col_id_number", lang)),
            pl.col("total").alias(t("grading.col_total", lang)),
            pl.when(pl.col("passed"))
            .then(pl.lit(label("pass", lang)))
            .when(~pl.col("passed"))
            .then(pl.lit(label("fail", lang)))
            .otherwise(pl.lit(""))
            .alias(t("grading.col_passed", lang)),
            pl.col("status").replace_strict({s: label(s, lang) for s in STATUSES}).alias(t("grading.col_status", lang)),
        )
    )


def rubric_note(rubric: Rubric, lang: str | None = None):
    """A visible note when the batch is graded with an example rubric (never presented as official); else None."""
    if not rubric.is_example:
        return None
    split = t("rubric.split", lang) if len(rubric.sections) > 1 else ""
    text = t("rubric.example", lang, split=split, file=rubric.file.name)
    return HTMLBlock(f"<p><em>{html.escape(text)}</em></p>")


def import_table(result: ScoreImport | None, lang: str | None = None):
    """What opening the batch imported from its score sheet, for a report: a captioned table of
    findings (or of nothing), or None when no sheet was imported."""
    if result is None:
        return None
    frame = findings_frame(result.findings).select("row", "column", "value", "severity", "message")
    return table(frame, caption=result.summary(lang))
