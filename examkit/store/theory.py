"""The senior theory paper's auto-scored marks into the gradebook, once per batch."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from examkit.core.findings import errors
from examkit.core.i18n import t
from examkit.intake.theory import TheoryScores, _finding
from examkit.intake.theory_key import theory_item
from examkit.io.tables import ROW
from examkit.io.write import sha256_file


@dataclass
class TheoryImport:
    """What ``import_theory`` did: ``applied`` (None when refused) and every finding."""

    scores: TheoryScores
    findings: list
    applied: object | None

    @property
    def ok(self) -> bool:
        return self.applied is not None


def import_theory(
    gradebook, batch: str, scores: TheoryScores, *, grader: str, reason: str | None = None
) -> TheoryImport:
    """Write the theory section marks into ``gradebook`` (one transaction, audited like any mark).

    Nothing is written when the responses had errors (unusable rows) or name candidates the batch
    does not have: the findings say what to fix. Blank and malformed answers are warnings only.
    """
    item = theory_item(gradebook.rubric(batch))
    known = gradebook.candidates(batch).select("candidate_no")
    unknown = scores.totals.join(known, on="candidate_no", how="anti")
    findings = list(scores.findings)
    findings += [
        _finding(scores.file, int(row), scores.candidate_header, cand, "theory.unknown_candidate", "error", batch=batch)
        for cand, row in unknown.select("candidate_no", ROW).iter_rows()
    ]
    if errors(findings):
        return TheoryImport(scores, findings, None)
    marks = scores.totals.select("candidate_no", pl.lit(item.id).alias("item_id"), "mark")
    why = reason or t(
        "theory.audit_reason",
        key=scores.key.file.name,
        sha=sha256_file(scores.key.file)[:12],
        rule=scores.partial_credit,
    )
    applied = gradebook.apply(batch, marks, grader=grader, source="theory", reason=why)
    return TheoryImport(scores, findings, applied)
