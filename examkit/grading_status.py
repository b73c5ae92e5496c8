"""The grading report's optional sections: double-marking agreement and the auto-scored theory paper.

Each applies only to some batches (``double_marking: true``; senior batches with theory files);
for the others this shows nothing.
"""

from __future__ import annotations


def extra_sections(session):
    """Double-marking agreement and theory auto-scoring for ``session``'s batch, or None when neither applies."""
    from examkit.display import HTMLBlock
    from examkit.double_marking import report as double_marking_report
    from examkit.theory_report import report as theory_report

    blocks = [b for b in (double_marking_report(session), theory_report(session)) if b is not None]
    return HTMLBlock("\n".join(str(b) for b in blocks)) if blocks else None
