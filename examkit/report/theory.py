"""The senior theory paper in a batch's reports: scored from the parameters' files, into the gradebook once.

Batch parameters ``theory_key`` and ``theory_responses`` name the answer key and the responses
export. Opening the grading report scores them and, when the batch has no theory marks yet,
writes them into the gradebook (``examkit.intake.theory.import_theory``: one transaction, audited).
"""

from __future__ import annotations

import html

import polars as pl

from examkit.core.exceptions import ExamkitError
from examkit.core.i18n import t
from examkit.core.rounding import fixed
from examkit.intake.theory import TheoryScores, score_responses
from examkit.intake.theory import summary as question_summary
from examkit.intake.theory_key import load_key, theory_item
from examkit.report.tables import HTMLBlock, table_html
from examkit.settings.policy import load_partial_credit
from examkit.store.theory import TheoryImport, import_theory

THEORY_IMPORTER = "examkit-theory"  # who the audit log names when a report imports theory marks


def theory_scores(session) -> TheoryScores | None:
    """The batch's scored theory responses (None when its parameters name no theory files)."""
    key, responses = session.path("theory_key"), session.path("theory_responses")
    if key is None or responses is None:
        return None
    rubric = session.gradebook.rubric(session.batch_id)
    return score_responses(
        responses,
        load_key(key),
        partial_credit=load_partial_credit(session.settings_dir),
        item=theory_item(rubric),
    )


def ensure_imported(session, scores: TheoryScores) -> TheoryImport | None:
    """Write the theory marks unless the batch already has some (then None: re-import is explicit)."""
    item = theory_item(session.gradebook.rubric(session.batch_id))
    marks = session.gradebook.marks_frame(session.batch_id)
    if marks.filter((pl.col("item_id") == item.id) & pl.col("mark").is_not_null()).height:
        return None
    grader = str(session.params.get("grader") or THEORY_IMPORTER)
    return import_theory(session.gradebook, session.batch_id, scores, grader=grader)


def theory_correct(session) -> pl.DataFrame | None:
    """Per-question right/wrong (``candidate_no, question_id, correct``) for item analysis (KR-20)."""
    scores = theory_scores(session)
    return None if scores is None else scores.correctness()


def report(session):
    """The grading report's theory section: what was scored, per-question facility, reported answers."""
    try:
        scores = theory_scores(session)
        if scores is None:
            return None
        done = ensure_imported(session, scores)
    except ExamkitError as exc:  # a missing or unusable file: say so in the report, no traceback
        return HTMLBlock(f'<p class="ek-error">{html.escape(str(exc))}</p>')
    totals = scores.totals
    parts = [
        f"<h3>{html.escape(t('theory.report_title'))}</h3>",
        "<p>"
        + html.escape(
            t(
                "theory.report_intro",
                key=scores.key.file.name,
                n_q=scores.key.frame.height,
                points=f"{scores.key.total:g}",
                rule=t(f"theory.rule_{scores.partial_credit}"),
                n=totals.height,
                mean=fixed(totals.get_column("mark").mean() or 0, 1),
            )
        )
        + "</p>",
    ]
    if done is not None:
        key = "theory.imported" if done.ok else "theory.not_imported"
        parts.append(f"<p>{html.escape(t(key, n=totals.height))}</p>")
    facility = question_summary(scores).select(
        pl.col("question_id").alias(t("theory.col_question")),
        pl.col("answered").alias(t("theory.col_n")),
        pl.col("blank").alias(t("theory.col_blank")),
        pl.col("malformed").alias(t("theory.col_malformed")),
        (pl.col("facility") * 100).alias(t("theory.col_facility")),  # one decimal, a half up: table_html
    )
    parts.append(table_html(facility, t("theory.facility_caption"), mask=False, decimals=1))
    findings = [
        f for f in (done.findings if done is not None else scores.findings) if f.rule != "theory.unknown_column"
    ]
    if findings:
        frame = pl.DataFrame(
            {
                t("theory.col_row"): [f.row for f in findings],
                t("theory.col_column"): [f.column for f in findings],
                t("theory.col_value"): [f.value for f in findings],
                t("theory.col_problem"): [f.message for f in findings],
            },
            schema={
                t("theory.col_row"): pl.Int64,
                t("theory.col_column"): pl.String,
                t("theory.col_value"): pl.String,
                t("theory.col_problem"): pl.String,
            },
        )
        parts.append(table_html(frame, t("theory.findings_caption", n=len(findings)), mask=False))
    return HTMLBlock("\n".join(parts))
