"""What the gradebook stores: tables, triggers, migrations, the final-score rule, frame schemas, record types.

Every change of a mark, a flag or a batch's rubric is written to the append-only ``audit`` table BY
THE DATABASE (triggers), and triggers refuse UPDATE and DELETE on audit rows, so no code path can
change a mark unrecorded or rewrite history. Schema changes are appended to ``MIGRATIONS``
(``PRAGMA user_version`` counts those applied); a shipped entry is never edited.
Only ``examkit.store.gradebook.Gradebook`` executes this SQL.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

import polars as pl

from examkit.core.exceptions import GradebookError
from examkit.core.i18n import t

# --------------------------------------------------------------------------- schema


REVIEW_SOURCE = "review"  # the source of marks re-marked through a review request

# One place for the final-score rule (round 1 marks; flags win). Double marking replaces this query.
REFRESH_FINAL = """
INSERT INTO final_scores (batch, candidate_no, status, total, updated_at)
SELECT c.batch, c.candidate_no,
       CASE WHEN f.flag IS NOT NULL THEN f.flag
            WHEN coalesce(m.n, 0) = r.n THEN 'graded'
            ELSE 'ungraded' END,
       CASE WHEN f.flag = 'absent' THEN NULL
            WHEN coalesce(m.n, 0) = r.n THEN round(m.s, 2)
            ELSE NULL END,
       :now
FROM candidates AS c
JOIN (SELECT batch, count(*) AS n FROM rubric_items WHERE batch = :batch GROUP BY batch) AS r ON r.batch = c.batch
LEFT JOIN (SELECT candidate_no, count(value) AS n, sum(value) AS s FROM marks
           WHERE batch = :batch AND marking_round = 1 GROUP BY candidate_no) AS m ON m.candidate_no = c.candidate_no
LEFT JOIN flags AS f ON f.batch = c.batch AND f.candidate_no = c.candidate_no
WHERE c.batch = :batch AND (:candidate_no IS NULL OR c.candidate_no = :candidate_no)
ON CONFLICT (batch, candidate_no) DO UPDATE SET
    status = excluded.status, total = excluded.total, updated_at = excluded.updated_at
WHERE final_scores.status IS NOT excluded.status OR final_scores.total IS NOT excluded.total
"""

CANDIDATE_COLUMNS = (
    "candidate_no",
    "name",
    "id_number",
    "candidate_type",
    "school_code",
    "school_name",
    "province",
    "site_code",
    "level",
)

RESULTS_SCHEMA = {
    "candidate_no": pl.String,
    "batch": pl.String,
    "status": pl.String,
    "total": pl.Float64,
    "passed": pl.Boolean,
}
ITEM_MARKS_SCHEMA = {
    "candidate_no": pl.String,
    "item_id": pl.String,
    "section": pl.String,
    "mark": pl.Float64,
    "max": pl.Float64,
}
AUDIT_SCHEMA = {
    "id": pl.Int64,
    "at": pl.String,
    "actor": pl.String,
    "kind": pl.String,
    "batch": pl.String,
    "candidate_no": pl.String,
    "item_id": pl.String,
    "marking_round": pl.Int64,
    "old": pl.String,
    "new": pl.String,
    "version": pl.Int64,
    "reason": pl.String,
    "source": pl.String,
}


def now() -> str:
    """The current local time, ISO 8601 with offset and microseconds (how the gradebook stamps changes)."""
    return dt.datetime.now().astimezone().isoformat(timespec="microseconds")


def require_actor(name: str | None) -> str:
    """Who makes a change, as recorded in the audit log (``GradebookError`` when blank)."""
    text = str(name or "").strip()
    if not text:
        raise GradebookError(t("gradebook.no_grader"))
    return text


def statements(script: str) -> list[str]:
    """Split a SQL script into complete statements (triggers included)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    return out


# --------------------------------------------------------------------------- record types


@dataclass(frozen=True)
class Stored:
    """A stored mark or flag as read; ``version`` 0 means nothing was ever saved."""

    value: float | str | None
    version: int
    grader: str | None = None
    at: str | None = None


class Mark(Stored):
    """A stored mark as read (``value`` a number or None)."""


class Flag(Stored):
    """A candidate's flag as read (``absent``, ``void`` or None)."""


@dataclass(frozen=True)
class Saved:
    """Outcome of a save: the version now stored, whether anything changed, the value now stored."""

    version: int
    changed: bool
    value: object = None


@dataclass(frozen=True)
class Applied:
    """Outcome of a bulk write: rows changed (each has its audit row), or skipped as not empty."""

    marks: int = 0
    flags: int = 0
    skipped: bool = False
