"""The grading report's sections built from several pieces: the progress section, and the optional
double-marking agreement and auto-scored theory paper.

The optional sections apply only to some batches (``double_marking: true``; senior batches with
theory files); for the others they show nothing.
"""

from __future__ import annotations

from examkit.report.double_marking import report as double_marking_report
from examkit.report.grading_tables import import_table, rubric_note, status_counts, ungraded_table
from examkit.report.tables import HTMLBlock, table
from examkit.report.theory import report as theory_report


def _joined(blocks: list) -> object:
    """Display pieces (``None`` = nothing to show) as one block, or None when none shows anything."""
    shown = [str(b) for b in blocks if b is not None]
    return HTMLBlock("\n".join(shown)) if shown else None


def progress_section(session):
    """Grading progress of ``session``'s batch: the example-rubric note, candidates per status, what the
    score-sheet import did (if one ran), and the candidates still to grade (names masked)."""
    gb, batch = session.gradebook, session.batch_id
    return _joined(
        [
            rubric_note(gb.rubric(batch)),
            table(status_counts(session.results)),
            import_table(session.score_import),
            table(ungraded_table(session.results, gb.candidates(batch))),
        ]
    )


def extra_sections(session):
    """Double-marking agreement and theory auto-scoring for ``session``'s batch, or None when neither applies."""
    return _joined([double_marking_report(session), theory_report(session)])
