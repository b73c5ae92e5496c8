"""Double marking of a batch: switching it on from the batch parameters, and its status for reports.

A batch is double-marked when its parameters say ``double_marking: true``; the tolerance and the
final-score rule come from ``policy.yaml`` (labelled defaults). The gradebook records the setting
(audited) and computes final scores by ``examkit.analysis.agreement``'s rules; this module connects the
parameters to the gradebook and shows the agreement figures.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

import polars as pl

from examkit.analysis.agreement import Agreement, agreement, agreement_table
from examkit.core.double_marking import DoubleMarkingPolicy, resolve
from examkit.core.i18n import t
from examkit.report.tables import HTMLBlock, table_html
from examkit.settings.policy import load_double_marking


def requested(params: dict) -> bool:
    """True when the batch parameters ask for double marking (``double_marking: true``)."""
    value = params.get("double_marking")
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "是")
    return bool(value)


def ensure(
    gradebook, batch: str, params: dict, params_dir: str | os.PathLike | None = None
) -> DoubleMarkingPolicy | None:
    """Record the batch's double marking in the gradebook when its parameters ask for it; the policy in force.

    Never switches double marking off on its own: a batch that has second marks keeps them.
    """
    if requested(params):
        gradebook.set_double_marking(batch, load_double_marking(params_dir))
    return gradebook.double_marking(batch)


@dataclass(frozen=True)
class Status:
    """Agreement between the two graders of a double-marked batch, and who waits for a third grader."""

    policy: DoubleMarkingPolicy
    agreement: Agreement
    totals: pl.DataFrame  # candidate_no, first, second, third, diff, status, final, graders

    def waiting(self) -> pl.DataFrame:
        """Candidates waiting for a third grader: number, the two totals and their difference."""
        return (
            self.totals.filter(pl.col("status") == "awaiting_arbitration")
            .sort("candidate_no")
            .select(
                pl.col("candidate_no").alias(t("agreement.col_candidate")),
                pl.col("first").alias(t("agreement.col_first")),
                pl.col("second").alias(t("agreement.col_second")),
                pl.col("diff").alias(t("agreement.col_diff")),
            )
        )


def status(gradebook, batch: str) -> Status | None:
    """The double-marking status of ``batch`` (None when the batch is single-marked)."""
    policy = gradebook.double_marking(batch)
    if policy is None:
        return None
    totals = resolve(gradebook.round_totals(batch), policy)
    return Status(policy=policy, agreement=agreement(totals, policy), totals=totals)


def report(session):
    """The grading report's double-marking section: agreement table and the arbitration queue (or nothing)."""
    ensure(session.gradebook, session.batch_id, session.params, session.settings_dir)
    st = status(session.gradebook, session.batch_id)
    if st is None:
        return None
    a = st.agreement
    parts = [
        f"<h3>{html.escape(t('agreement.title'))}</h3>",
        f"<p>{html.escape(t('agreement.intro', tolerance=f'{a.tolerance:g}'))}</p>",
        table_html(agreement_table(a)),
    ]
    waiting = st.waiting()
    if waiting.height:
        parts += [f"<h4>{html.escape(t('agreement.waiting_title', n=waiting.height))}</h4>", table_html(waiting)]
    else:
        parts.append(f"<p>{html.escape(t('agreement.none_waiting'))}</p>")
    return HTMLBlock("\n".join(parts))
