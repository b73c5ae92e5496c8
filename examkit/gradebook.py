"""The gradebook: candidates, rubric items, marks, flags and final scores in SQLite, with an audit log.

``Gradebook`` is the only code that touches the database. Every change of a mark, a flag or a
batch's rubric is written to the append-only ``audit`` table BY THE DATABASE (triggers), and
triggers refuse UPDATE and DELETE on audit rows, so no code path can change a mark unrecorded
or rewrite history. Marks carry a version for optimistic concurrency: a save names the version
it read, and a save against a newer version is refused (``StaleWriteError``) with the current value.

Schema changes are appended to ``MIGRATIONS`` (``PRAGMA user_version`` counts those applied), so
later features (double marking: ``marking_round`` > 1; publicity, reviews, certificates: new tables)
extend the file in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit.agreement import DoubleMarkingPolicy, resolve
from examkit.exceptions import CertificateError, GradebookError, PublicityError, RubricError, StaleWriteError
from examkit.grading import FLAGS, check_mark, passed_expr
from examkit.i18n import t
from examkit.notice import notice_for_batch
from examkit.rubric import Item, Rubric, Section, header_key, load_rubric

if TYPE_CHECKING:
    from examkit.certificates import CertificateLayout, IssueResult
    from examkit.publicity import PublicityPeriod, Review, Stage

DEFAULT_TIMEOUT_S = 30.0  # busy timeout: how long a writer waits for another writer's transaction

# --------------------------------------------------------------------------- schema

_SCHEMA_1 = """
CREATE TABLE batches (
    batch         TEXT PRIMARY KEY,
    level         TEXT NOT NULL,
    rubric_sha256 TEXT NOT NULL,
    rubric_file   TEXT NOT NULL,
    rubric_status TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE rubric_items (
    batch       TEXT NOT NULL REFERENCES batches(batch),
    item_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    section     TEXT NOT NULL,
    section_zh  TEXT NOT NULL,
    section_en  TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    max         REAL NOT NULL CHECK (max > 0),
    step        REAL NOT NULL CHECK (step > 0),
    auto_scored INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch, item_id)
);
CREATE TABLE candidates (
    batch          TEXT NOT NULL REFERENCES batches(batch),
    candidate_no   TEXT NOT NULL,
    name           TEXT,
    id_number      TEXT,
    candidate_type TEXT,
    school_code    TEXT,
    school_name    TEXT,
    province       TEXT,
    site_code      TEXT,
    level          TEXT,
    registered_at  TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no)
);
CREATE TABLE marks (
    batch         TEXT NOT NULL,
    candidate_no  TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    marking_round INTEGER NOT NULL DEFAULT 1 CHECK (marking_round >= 1),
    value         REAL CHECK (value IS NULL OR value >= 0),
    version       INTEGER NOT NULL CHECK (version >= 1),
    grader        TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    reason        TEXT,
    source        TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no, item_id, marking_round),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no),
    FOREIGN KEY (batch, item_id) REFERENCES rubric_items(batch, item_id)
);
CREATE TABLE flags (
    batch        TEXT NOT NULL,
    candidate_no TEXT NOT NULL,
    flag         TEXT CHECK (flag IS NULL OR flag IN ('absent', 'void')),
    version      INTEGER NOT NULL CHECK (version >= 1),
    grader       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    reason       TEXT,
    source       TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE TABLE final_scores (
    batch        TEXT NOT NULL,
    candidate_no TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('graded', 'absent', 'void', 'ungraded')),
    total        REAL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (batch, candidate_no),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    batch         TEXT NOT NULL,
    candidate_no  TEXT,
    item_id       TEXT,
    marking_round INTEGER,
    old           TEXT,
    new           TEXT,
    version       INTEGER,
    reason        TEXT,
    source        TEXT
);
CREATE INDEX audit_by_candidate ON audit(batch, candidate_no);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'examkit: the audit log is append-only (UPDATE refused)'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'examkit: the audit log is append-only (DELETE refused)'); END;
CREATE TRIGGER marks_no_delete BEFORE DELETE ON marks
BEGIN SELECT RAISE(ABORT, 'examkit: marks are never deleted; clear them (value NULL) instead'); END;
CREATE TRIGGER flags_no_delete BEFORE DELETE ON flags
BEGIN SELECT RAISE(ABORT, 'examkit: flags are never deleted; clear them (flag NULL) instead'); END;

CREATE TRIGGER marks_within_max_insert BEFORE INSERT ON marks
WHEN NEW.value > (SELECT max FROM rubric_items WHERE batch = NEW.batch AND item_id = NEW.item_id) + 1e-9
BEGIN SELECT RAISE(ABORT, 'examkit: mark above the item maximum'); END;
CREATE TRIGGER marks_within_max_update BEFORE UPDATE ON marks
WHEN NEW.value > (SELECT max FROM rubric_items WHERE batch = NEW.batch AND item_id = NEW.item_id) + 1e-9
BEGIN SELECT RAISE(ABORT, 'examkit: mark above the item maximum'); END;
CREATE TRIGGER marks_version_step BEFORE UPDATE ON marks
WHEN NEW.version IS NOT OLD.version + 1
BEGIN SELECT RAISE(ABORT, 'examkit: a mark update must raise its version by one'); END;
CREATE TRIGGER flags_version_step BEFORE UPDATE ON flags
WHEN NEW.version IS NOT OLD.version + 1
BEGIN SELECT RAISE(ABORT, 'examkit: a flag update must raise its version by one'); END;

CREATE TRIGGER marks_audit_insert AFTER INSERT ON marks
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, item_id, marking_round, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'mark', NEW.batch, NEW.candidate_no, NEW.item_id, NEW.marking_round,
            NULL, NEW.value, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER marks_audit_update AFTER UPDATE ON marks
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, item_id, marking_round, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'mark', NEW.batch, NEW.candidate_no, NEW.item_id, NEW.marking_round,
            OLD.value, NEW.value, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER flags_audit_insert AFTER INSERT ON flags
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'flag', NEW.batch, NEW.candidate_no,
            NULL, NEW.flag, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER flags_audit_update AFTER UPDATE ON flags
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, version, reason, source)
    VALUES (NEW.updated_at, NEW.grader, 'flag', NEW.batch, NEW.candidate_no,
            OLD.flag, NEW.flag, NEW.version, NEW.reason, NEW.source);
END;
CREATE TRIGGER batches_audit_insert AFTER INSERT ON batches
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new, source)
    VALUES (NEW.updated_at, NEW.updated_by, 'rubric', NEW.batch, NULL, NEW.rubric_sha256, NEW.rubric_file);
END;
CREATE TRIGGER batches_audit_update AFTER UPDATE OF rubric_sha256 ON batches
WHEN NEW.rubric_sha256 IS NOT OLD.rubric_sha256
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new, source)
    VALUES (NEW.updated_at, NEW.updated_by, 'rubric', NEW.batch, OLD.rubric_sha256, NEW.rubric_sha256, NEW.rubric_file);
END;
"""

# Publicity, review requests and the certificate register (R11, R12). A published batch's marks,
# flags and final scores change only through an open review request (source 'review').
_SCHEMA_2_PUBLICITY = """
CREATE TABLE publications (
    batch          TEXT PRIMARY KEY REFERENCES batches(batch),
    published_on   TEXT NOT NULL,
    publicity_days INTEGER NOT NULL CHECK (publicity_days >= 1),
    published_by   TEXT NOT NULL,
    published_at   TEXT NOT NULL
);
CREATE TABLE review_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    batch        TEXT NOT NULL REFERENCES publications(batch),
    candidate_no TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_on TEXT NOT NULL,
    reason       TEXT,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    old_status   TEXT NOT NULL,
    old_total    REAL,
    outcome      TEXT CHECK (outcome IS NULL OR outcome IN ('unchanged', 'changed')),
    new_status   TEXT,
    new_total    REAL,
    decided_by   TEXT,
    decided_at   TEXT,
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE UNIQUE INDEX review_one_open ON review_requests(batch, candidate_no) WHERE outcome IS NULL;
CREATE TABLE certificates (
    certificate_no TEXT PRIMARY KEY,
    scope          TEXT NOT NULL,
    serial         INTEGER NOT NULL CHECK (serial >= 1),
    batch          TEXT NOT NULL REFERENCES publications(batch),
    candidate_no   TEXT NOT NULL,
    id_number      TEXT NOT NULL,
    level          TEXT NOT NULL,
    total          REAL NOT NULL,
    issued_on      TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    UNIQUE (scope, serial),
    UNIQUE (id_number, level),
    UNIQUE (batch, candidate_no),
    FOREIGN KEY (batch, candidate_no) REFERENCES candidates(batch, candidate_no)
);
CREATE TABLE certificate_runs (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    batch     TEXT NOT NULL REFERENCES publications(batch),
    issued_on TEXT NOT NULL,
    issued    INTEGER NOT NULL,
    held      INTEGER NOT NULL,
    run_by    TEXT NOT NULL,
    run_at    TEXT NOT NULL
);

CREATE TRIGGER publications_final_update BEFORE UPDATE ON publications
BEGIN SELECT RAISE(ABORT, 'examkit: a publication is final (UPDATE refused)'); END;
CREATE TRIGGER publications_final_delete BEFORE DELETE ON publications
BEGIN SELECT RAISE(ABORT, 'examkit: a publication is final (DELETE refused)'); END;
CREATE TRIGGER review_no_delete BEFORE DELETE ON review_requests
BEGIN SELECT RAISE(ABORT, 'examkit: review requests are never deleted'); END;
CREATE TRIGGER review_decided_final BEFORE UPDATE ON review_requests WHEN OLD.outcome IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'examkit: a decided review is final'); END;
CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates
BEGIN SELECT RAISE(ABORT, 'examkit: the certificate register is append-only (UPDATE refused)'); END;
CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
BEGIN SELECT RAISE(ABORT, 'examkit: the certificate register is append-only (DELETE refused)'); END;
CREATE TRIGGER certificate_runs_no_change BEFORE UPDATE ON certificate_runs
BEGIN SELECT RAISE(ABORT, 'examkit: certificate runs are append-only'); END;
CREATE TRIGGER certificate_runs_no_delete BEFORE DELETE ON certificate_runs
BEGIN SELECT RAISE(ABORT, 'examkit: certificate runs are append-only'); END;

-- a published batch's marks and flags change only through an open review request (source 'review')
CREATE TRIGGER marks_frozen_insert BEFORE INSERT ON marks
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch) AND NOT (NEW.source = 'review' AND EXISTS
    (SELECT 1 FROM review_requests WHERE batch = NEW.batch AND candidate_no = NEW.candidate_no AND outcome IS NULL))
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; marks change only through a review request'); END;
CREATE TRIGGER marks_frozen_update BEFORE UPDATE ON marks
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch) AND NOT (NEW.source = 'review' AND EXISTS
    (SELECT 1 FROM review_requests WHERE batch = NEW.batch AND candidate_no = NEW.candidate_no AND outcome IS NULL))
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; marks change only through a review request'); END;
CREATE TRIGGER flags_frozen_insert BEFORE INSERT ON flags
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch)
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; flags are frozen'); END;
CREATE TRIGGER flags_frozen_update BEFORE UPDATE ON flags
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch)
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; flags are frozen'); END;

CREATE TRIGGER publications_audit AFTER INSERT ON publications
BEGIN
    INSERT INTO audit (at, actor, kind, batch, new, source)
    VALUES (NEW.published_at, NEW.published_by, 'publish', NEW.batch,
            NEW.published_on || ' +' || NEW.publicity_days || 'd', 'publish');
END;
CREATE TRIGGER review_audit_request AFTER INSERT ON review_requests
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, reason, source)
    VALUES (NEW.recorded_at, NEW.recorded_by, 'review_request', NEW.batch, NEW.candidate_no,
            NULL, NEW.requested_by || ' @ ' || NEW.requested_on, NEW.reason, 'review #' || NEW.id);
END;
CREATE TRIGGER review_audit_decide AFTER UPDATE OF outcome ON review_requests WHEN NEW.outcome IS NOT NULL
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, old, new, reason, source)
    VALUES (NEW.decided_at, NEW.decided_by, 'review_outcome', NEW.batch, NEW.candidate_no,
            coalesce(NEW.old_total, NEW.old_status), coalesce(NEW.new_total, NEW.new_status), NEW.outcome,
            'review #' || NEW.id);
END;
CREATE TRIGGER certificates_audit AFTER INSERT ON certificates
BEGIN
    INSERT INTO audit (at, actor, kind, batch, candidate_no, new, source)
    VALUES (NEW.issued_at, NEW.issued_by, 'certificate', NEW.batch, NEW.candidate_no, NEW.certificate_no, 'certificates');
END;
CREATE TRIGGER final_scores_frozen BEFORE UPDATE ON final_scores
WHEN EXISTS (SELECT 1 FROM publications WHERE batch = NEW.batch) AND NOT EXISTS
    (SELECT 1 FROM review_requests WHERE batch = NEW.batch AND candidate_no = NEW.candidate_no AND outcome IS NULL)
BEGIN SELECT RAISE(ABORT, 'examkit: the batch is published; final scores change only through a review request'); END;
"""

# Double marking (examkit.agreement): a batch switched on here has its candidates marked in rounds
# 1 and 2 by two graders, round 3 by an arbiter; final scores follow the recorded tolerance and rule.
_SCHEMA_3_DOUBLE_MARKING = """
CREATE TABLE double_marking (
    batch      TEXT PRIMARY KEY REFERENCES batches(batch),
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    tolerance  REAL NOT NULL CHECK (tolerance >= 0),
    final_rule TEXT NOT NULL CHECK (final_rule IN ('mean', 'arbiter')),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TRIGGER double_marking_no_delete BEFORE DELETE ON double_marking
BEGIN SELECT RAISE(ABORT, 'examkit: double marking is never deleted; switch it off instead'); END;
CREATE TRIGGER double_marking_audit_insert AFTER INSERT ON double_marking
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new)
    VALUES (NEW.updated_at, NEW.updated_by, 'double_marking', NEW.batch, NULL,
            CASE NEW.enabled WHEN 1 THEN 'on' ELSE 'off' END || ' tolerance=' || NEW.tolerance || ' rule=' || NEW.final_rule);
END;
CREATE TRIGGER double_marking_audit_update AFTER UPDATE ON double_marking
BEGIN
    INSERT INTO audit (at, actor, kind, batch, old, new)
    VALUES (NEW.updated_at, NEW.updated_by, 'double_marking', NEW.batch,
            CASE OLD.enabled WHEN 1 THEN 'on' ELSE 'off' END || ' tolerance=' || OLD.tolerance || ' rule=' || OLD.final_rule,
            CASE NEW.enabled WHEN 1 THEN 'on' ELSE 'off' END || ' tolerance=' || NEW.tolerance || ' rule=' || NEW.final_rule);
END;
"""

# Append-only: entry N brings a gradebook from user_version N to N+1. Never edit a shipped entry.
MIGRATIONS: list[str] = [_SCHEMA_1, _SCHEMA_2_PUBLICITY, _SCHEMA_3_DOUBLE_MARKING]

REVIEW_SOURCE = "review"  # the source of marks re-marked through a review request

# One place for the final-score rule (round 1 marks; flags win). Double marking replaces this query.
_REFRESH_FINAL = """
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

_CANDIDATE_COLUMNS = (
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


# --------------------------------------------------------------------------- small value types


@dataclass(frozen=True)
class Mark:
    """A stored mark as read; ``version`` 0 means no mark was ever saved."""

    value: float | None
    version: int
    grader: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class Flag:
    """A candidate's flag as read (``absent``, ``void`` or None); ``version`` 0 means never set."""

    value: str | None
    version: int
    grader: str | None = None
    at: str | None = None


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


# --------------------------------------------------------------------------- the gradebook


class Gradebook:
    """One gradebook file. Safe for several processes at once (WAL, busy timeout, optimistic versions)."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        durable: bool = True,
    ) -> None:
        """Open (creating if needed) the gradebook at ``path``.

        ``durable=True`` syncs every commit to disk (survives power loss); ``False`` survives a killed
        process but may lose the last commits on power loss (faster bulk work, e.g. tests).
        """
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if self._conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(Exception):
                self._conn.close()
            raise GradebookError(t("gradebook.cannot_open", file=str(self.path), error=str(exc))) from None

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Gradebook({str(self.path)!r})"

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: waits up to the busy timeout for other writers)."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise GradebookError(t("gradebook.busy", file=str(self.path), error=str(exc))) from None
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise GradebookError(t("gradebook.busy", file=str(self.path), error=str(exc))) from None

    def _rows(self, sql: str, params: Mapping | tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _frame(self, sql: str, params: Mapping | tuple, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        return pl.DataFrame(self._rows(sql, params), schema=dict(schema), orient="row")

    def _migrate(self) -> None:
        current = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if current > len(MIGRATIONS):
            raise GradebookError(t("gradebook.too_new", file=str(self.path), version=current))
        if current == len(MIGRATIONS):
            return
        with self._write() as c:
            current = c.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            for script in MIGRATIONS[current:]:
                for statement in _statements(script):
                    c.execute(statement)
            c.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    @property
    def schema_version(self) -> int:
        return int(self._rows("PRAGMA user_version")[0][0])

    # ------------------------------------------------------------------ batches and rubrics

    def batches(self) -> list[str]:
        """Batch ids known to this gradebook."""
        return [r[0] for r in self._rows("SELECT batch FROM batches ORDER BY batch")]

    def rubric_hash(self, batch: str) -> str | None:
        """SHA-256 of the rubric ``batch`` is graded with (None if the batch is not set up)."""
        rows = self._rows("SELECT rubric_sha256 FROM batches WHERE batch = ?", (batch,))
        return rows[0][0] if rows else None

    def set_rubric(self, batch: str, rubric: Rubric, *, actor: str = "examkit") -> bool:
        """Record ``rubric`` for ``batch``; True if it changed. Refuses (``RubricError``) once marks exist."""
        if self.rubric_hash(batch) == rubric.sha256:
            return False  # the usual case: no write lock needed
        with self._write() as c:
            return self._set_rubric(c, batch, rubric, actor)

    def _set_rubric(self, c: sqlite3.Connection, batch: str, rubric: Rubric, actor: str) -> bool:
        row = c.execute("SELECT rubric_sha256 FROM batches WHERE batch = ?", (batch,)).fetchone()
        if row and row[0] == rubric.sha256:
            return False
        stamp = now()
        if row:
            if self._marks_exist(c, batch):
                raise RubricError(
                    t(
                        "rubric.changed",
                        batch=batch,
                        recorded=row[0][:12],
                        new=rubric.sha256[:12],
                        file=str(rubric.file),
                    )
                )
            c.execute("DELETE FROM rubric_items WHERE batch = ?", (batch,))
            c.execute(
                "UPDATE batches SET level = ?, rubric_sha256 = ?, rubric_file = ?, rubric_status = ?, "
                "updated_by = ?, updated_at = ? WHERE batch = ?",
                (rubric.level, rubric.sha256, str(rubric.file), rubric.status, actor, stamp, batch),
            )
        else:
            c.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?)",
                (batch, rubric.level, rubric.sha256, str(rubric.file), rubric.status, actor, stamp),
            )
        sections = {s.id: s for s in rubric.sections}
        c.executemany(
            "INSERT INTO rubric_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    batch,
                    i.id,
                    pos,
                    i.section,
                    sections[i.section].name_zh if i.section in sections else i.section,
                    sections[i.section].name_en if i.section in sections else i.section,
                    i.name_zh,
                    i.name_en,
                    i.max,
                    i.step,
                    int(i.auto_scored),
                )
                for pos, i in enumerate(rubric.items)
            ],
        )
        self._refresh_final(c, batch)
        return True

    def _marks_exist(self, c: sqlite3.Connection, batch: str) -> bool:
        """Any mark row at all (a cleared mark still has its history): the batch's rubric is then fixed."""
        return bool(c.execute("SELECT EXISTS (SELECT 1 FROM marks WHERE batch = ?)", (batch,)).fetchone()[0])

    def check_rubric(self, batch: str, rubric: Rubric) -> None:
        """Raise ``RubricError`` if ``batch`` has marks under a rubric other than ``rubric``."""
        recorded = self.rubric_hash(batch)
        with self._lock:
            locked = self._marks_exist(self._conn, batch)
        if recorded not in (None, rubric.sha256) and locked:
            raise RubricError(
                t("rubric.changed", batch=batch, recorded=recorded[:12], new=rubric.sha256[:12], file=str(rubric.file))
            )

    def rubric(self, batch: str) -> Rubric:
        """The rubric recorded for ``batch`` (the one its marks were entered with)."""
        head = self._rows(
            "SELECT level, rubric_status, rubric_sha256, rubric_file FROM batches WHERE batch = ?", (batch,)
        )
        if not head:
            raise GradebookError(t("gradebook.unknown_batch", file=str(self.path), batch=batch))
        level, status, sha, file = head[0]
        rows = self._rows(
            "SELECT item_id, name_zh, name_en, max, step, section, auto_scored, section_zh, section_en "
            "FROM rubric_items WHERE batch = ? ORDER BY position",
            (batch,),
        )
        items = tuple(Item(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows)
        sections: dict[str, Section] = {}
        for r in rows:
            sections.setdefault(r[5], Section(r[5], r[7], r[8], bool(r[6])))
        return Rubric(
            level=level, status=status, items=items, sha256=sha, file=Path(file), sections=tuple(sections.values())
        )

    # ------------------------------------------------------------------ candidates

    def register(
        self,
        registrations: pl.DataFrame,
        *,
        rubrics: Mapping[str, Rubric] | None = None,
        params_dir: str | os.PathLike | None = None,
        actor: str = "examkit",
    ) -> int:
        """Register the candidates of a typed registrations frame (any batches); returns how many are new.

        Each batch gets its level's rubric (from ``rubrics`` or ``params_dir``); a batch with marks
        under another rubric refuses it (``RubricError``). Known candidates have their details
        updated. Candidates are never removed.
        """
        if registrations.height == 0:
            return 0
        frame = registrations.select(
            "batch",
            *[
                pl.col(c) if c in registrations.columns else pl.lit(None, pl.String).alias(c)
                for c in _CANDIDATE_COLUMNS
            ],
        ).unique(subset=["batch", "candidate_no"], keep="first", maintain_order=True)
        batch_ids = frame.get_column("batch").unique().sort().to_list()
        wanted = {}
        for b in batch_ids:
            level = notice_for_batch(b).batch(b).level
            wanted[b] = (rubrics or {}).get(level) or load_rubric(level, params_dir)
        with self._write() as c:
            stamp = now()
            before = c.execute("SELECT count(*) FROM candidates").fetchone()[0]
            for b in batch_ids:
                self._set_rubric(c, b, wanted[b], actor)
            c.executemany(
                f"INSERT INTO candidates (batch, {', '.join(_CANDIDATE_COLUMNS)}, registered_at) "
                f"VALUES ({', '.join('?' * (len(_CANDIDATE_COLUMNS) + 2))}) "
                "ON CONFLICT (batch, candidate_no) DO UPDATE SET "
                + ", ".join(f"{col} = excluded.{col}" for col in _CANDIDATE_COLUMNS[1:])
                + " WHERE "
                + " OR ".join(f"candidates.{col} IS NOT excluded.{col}" for col in _CANDIDATE_COLUMNS[1:]),
                [(*row, stamp) for row in frame.iter_rows()],
            )
            added = c.execute("SELECT count(*) FROM candidates").fetchone()[0] - before
            for b in batch_ids:
                self._refresh_final(c, b)
        return int(added)

    def candidates(self, batch: str) -> pl.DataFrame:
        """Registered candidates of ``batch`` (number, name, ID number, type, school, province, site, level)."""
        return self._frame(
            f"SELECT {', '.join(_CANDIDATE_COLUMNS)} FROM candidates WHERE batch = ? ORDER BY candidate_no",
            (batch,),
            dict.fromkeys(_CANDIDATE_COLUMNS, pl.String),
        )

    def _require_candidate(self, c: sqlite3.Connection, batch: str, candidate_no: str) -> None:
        if not c.execute(
            "SELECT 1 FROM candidates WHERE batch = ? AND candidate_no = ?", (batch, candidate_no)
        ).fetchone():
            raise GradebookError(t("gradebook.unknown_candidate", file=str(self.path), batch=batch, value=candidate_no))

    # ------------------------------------------------------------------ marks

    def _item(self, c: sqlite3.Connection, batch: str, item_id: str) -> Item:
        row = c.execute(
            "SELECT item_id, name_zh, name_en, max, step, section, auto_scored FROM rubric_items "
            "WHERE batch = ? AND item_id = ?",
            (batch, item_id),
        ).fetchone()
        if not row:
            accepted = ", ".join(r[0] for r in c.execute("SELECT item_id FROM rubric_items WHERE batch = ?", (batch,)))
            raise GradebookError(t("gradebook.unknown_item", batch=batch, value=item_id, accepted=accepted or "-"))
        return Item(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))

    def mark(self, batch: str, candidate_no: str, item_id: str, *, marking_round: int = 1) -> Mark:
        """The stored mark (``version`` 0 if none was ever saved)."""
        rows = self._rows(
            "SELECT value, version, grader, updated_at FROM marks "
            "WHERE batch = ? AND candidate_no = ? AND item_id = ? AND marking_round = ?",
            (batch, candidate_no, item_id, marking_round),
        )
        return Mark(*rows[0]) if rows else Mark(None, 0)

    def candidate_marks(self, batch: str, candidate_no: str, *, marking_round: int = 1) -> dict[str, Mark]:
        """Every rubric item's stored mark for one candidate (rubric order)."""
        rows = self._rows(
            "SELECT r.item_id, m.value, coalesce(m.version, 0), m.grader, m.updated_at FROM rubric_items r "
            "LEFT JOIN marks m ON m.batch = r.batch AND m.item_id = r.item_id "
            "AND m.candidate_no = ? AND m.marking_round = ? WHERE r.batch = ? ORDER BY r.position",
            (candidate_no, marking_round, batch),
        )
        return {r[0]: Mark(r[1], r[2], r[3], r[4]) for r in rows}

    def save_mark(
        self,
        batch: str,
        candidate_no: str,
        item_id: str,
        value: float | str | None,
        *,
        grader: str,
        expected_version: int | None,
        reason: str | None = None,
        source: str = "form",
        marking_round: int = 1,
    ) -> Saved:
        """Save one mark (None clears it) with its audit row, if the stored version is still ``expected_version``.

        ``expected_version`` is the version the caller read (0: no mark yet); None overwrites whatever
        is stored (imports). A newer stored version raises ``StaleWriteError`` carrying the current
        value, unless it already holds ``value``. An invalid mark raises ``GradebookError`` with the
        catalogued message.
        """
        grader = _actor(grader)
        with self._write() as c:
            self._require_candidate(c, batch, candidate_no)
            item = self._item(c, batch, item_id)
            self._check_round(c, batch, candidate_no, item, marking_round, grader)
            check = check_mark(value, item)
            if not check.ok:
                raise GradebookError(check.error)
            new = check.value
            row = c.execute(
                "SELECT value, version FROM marks "
                "WHERE batch = ? AND candidate_no = ? AND item_id = ? AND marking_round = ?",
                (batch, candidate_no, item_id, marking_round),
            ).fetchone()
            cur_value, cur_version = row if row else (None, 0)
            if cur_value == new:
                return Saved(cur_version, False, cur_value)
            self._check_frozen(c, batch, [candidate_no], source)
            if expected_version is not None and expected_version != cur_version:
                raise StaleWriteError(
                    t(
                        "gradebook.stale",
                        item=item.name(),
                        candidate=candidate_no,
                        current="—" if cur_value is None else f"{cur_value:g}",
                        value="—" if new is None else f"{new:g}",
                    ),
                    current=cur_value,
                )
            stamp = now()
            if row is None:
                c.execute(
                    "INSERT INTO marks (batch, candidate_no, item_id, marking_round, value, version, grader, "
                    "updated_at, reason, source) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                    (batch, candidate_no, item_id, marking_round, new, grader, stamp, reason, source),
                )
            else:
                c.execute(
                    "UPDATE marks SET value = ?, version = version + 1, grader = ?, updated_at = ?, reason = ?, "
                    "source = ? WHERE batch = ? AND candidate_no = ? AND item_id = ? AND marking_round = ?",
                    (new, grader, stamp, reason, source, batch, candidate_no, item_id, marking_round),
                )
            self._refresh_final(c, batch, candidate_no)
            return Saved(cur_version + 1, True, new)

    def flag(self, batch: str, candidate_no: str) -> Flag:
        """The candidate's flag (``absent`` / ``void`` / None) and its version (0 if never set)."""
        rows = self._rows(
            "SELECT flag, version, grader, updated_at FROM flags WHERE batch = ? AND candidate_no = ?",
            (batch, candidate_no),
        )
        return Flag(*rows[0]) if rows else Flag(None, 0)

    def set_flag(
        self,
        batch: str,
        candidate_no: str,
        flag: str | None,
        *,
        grader: str,
        expected_version: int | None,
        reason: str | None = None,
        source: str = "form",
    ) -> Saved:
        """Mark a candidate absent or void (None clears), with its audit row; same version rule as ``save_mark``."""
        grader = _actor(grader)
        if flag is not None and flag not in FLAGS:
            raise GradebookError(t("gradebook.bad_flag", value=flag, accepted=", ".join(FLAGS)))
        with self._write() as c:
            self._require_candidate(c, batch, candidate_no)
            row = c.execute(
                "SELECT flag, version FROM flags WHERE batch = ? AND candidate_no = ?", (batch, candidate_no)
            ).fetchone()
            cur_value, cur_version = row if row else (None, 0)
            if cur_value == flag:
                return Saved(cur_version, False, cur_value)
            self._check_frozen(c, batch, [candidate_no], source)
            if expected_version is not None and expected_version != cur_version:
                raise StaleWriteError(
                    t(
                        "gradebook.stale_flag",
                        candidate=candidate_no,
                        current=t(f"labels.{cur_value}") if cur_value else "—",
                    ),
                    current=cur_value,
                )
            stamp = now()
            if row is None:
                c.execute(
                    "INSERT INTO flags (batch, candidate_no, flag, version, grader, updated_at, reason, source) "
                    "VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                    (batch, candidate_no, flag, grader, stamp, reason, source),
                )
            else:
                c.execute(
                    "UPDATE flags SET flag = ?, version = version + 1, grader = ?, updated_at = ?, reason = ?, "
                    "source = ? WHERE batch = ? AND candidate_no = ?",
                    (flag, grader, stamp, reason, source, batch, candidate_no),
                )
            self._refresh_final(c, batch, candidate_no)
            return Saved(cur_version + 1, True, flag)

    def apply(
        self,
        batch: str,
        marks: pl.DataFrame,
        flags: pl.DataFrame | None = None,
        *,
        grader: str,
        source: str = "import",
        reason: str | None = None,
        only_if_empty: bool = False,
    ) -> Applied:
        """Write many marks and flags in ONE transaction (all or nothing), each change with its audit row.

        ``marks``: ``candidate_no``, ``item_id``, ``mark`` (nulls are skipped: a blank cell changes nothing).
        ``flags``: ``candidate_no``, ``flag`` (``absent`` / ``void`` / null = no flag).
        Unchanged values write nothing. With ``only_if_empty`` nothing is written when the batch
        already has a mark or flag (``Applied.skipped``). Invalid rows raise ``GradebookError``.
        """
        grader = _actor(grader)
        m = marks.select(
            pl.col("candidate_no").cast(pl.String), pl.col("item_id").cast(pl.String), pl.col("mark").cast(pl.Float64)
        ).filter(pl.col("mark").is_not_null())
        f = (
            flags.select(pl.col("candidate_no").cast(pl.String), pl.col("flag").cast(pl.String))
            if flags is not None
            else pl.DataFrame(schema={"candidate_no": pl.String, "flag": pl.String})
        )
        with self._write() as c:
            if only_if_empty and self._has_marks(c, batch, flags=True):
                return Applied(skipped=True)
            stamp = now()  # inside the write lock: audit times follow commit order
            self._check_bulk(c, batch, m, f)
            self._check_frozen(
                c, batch, pl.concat([m["candidate_no"], f["candidate_no"]]).unique().sort().to_list(), source
            )
            c.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_marks (candidate_no TEXT, item_id TEXT, value REAL)")
            c.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_flags (candidate_no TEXT, flag TEXT)")
            c.execute("DELETE FROM incoming_marks")
            c.execute("DELETE FROM incoming_flags")
            c.executemany("INSERT INTO incoming_marks VALUES (?, ?, ?)", m.iter_rows())
            c.executemany("INSERT INTO incoming_flags VALUES (?, ?)", f.iter_rows())
            args = {"batch": batch, "grader": grader, "now": stamp, "reason": reason, "source": source}
            n_marks = c.execute(
                "INSERT INTO marks (batch, candidate_no, item_id, marking_round, value, version, grader, updated_at, "
                "reason, source) SELECT :batch, candidate_no, item_id, 1, value, 1, :grader, :now, :reason, :source "
                "FROM incoming_marks WHERE true "
                "ON CONFLICT (batch, candidate_no, item_id, marking_round) DO UPDATE SET value = excluded.value, "
                "version = marks.version + 1, grader = excluded.grader, updated_at = excluded.updated_at, "
                "reason = excluded.reason, source = excluded.source WHERE marks.value IS NOT excluded.value",
                args,
            ).rowcount
            n_flags = c.execute(
                "INSERT INTO flags (batch, candidate_no, flag, version, grader, updated_at, reason, source) "
                "SELECT :batch, i.candidate_no, i.flag, 1, :grader, :now, :reason, :source FROM incoming_flags i "
                "LEFT JOIN flags f ON f.batch = :batch AND f.candidate_no = i.candidate_no "
                "WHERE i.flag IS NOT NULL OR f.flag IS NOT NULL "
                "ON CONFLICT (batch, candidate_no) DO UPDATE SET flag = excluded.flag, version = flags.version + 1, "
                "grader = excluded.grader, updated_at = excluded.updated_at, reason = excluded.reason, "
                "source = excluded.source WHERE flags.flag IS NOT excluded.flag",
                args,
            ).rowcount
            c.execute("DELETE FROM incoming_marks")
            c.execute("DELETE FROM incoming_flags")
            self._refresh_final(c, batch)
        return Applied(marks=max(n_marks, 0), flags=max(n_flags, 0))

    def _check_bulk(self, c: sqlite3.Connection, batch: str, m: pl.DataFrame, f: pl.DataFrame) -> None:
        """Refuse a bulk write naming an unknown candidate or item, an invalid mark or flag, or a duplicate."""
        known = pl.DataFrame(
            c.execute("SELECT candidate_no FROM candidates WHERE batch = ?", (batch,)).fetchall(),
            schema={"candidate_no": pl.String},
            orient="row",
        )
        items = pl.DataFrame(
            c.execute("SELECT item_id, max, step FROM rubric_items WHERE batch = ?", (batch,)).fetchall(),
            schema={"item_id": pl.String, "max": pl.Float64, "step": pl.Float64},
            orient="row",
        )
        for frame in (m, f):
            stray = frame.join(known, on="candidate_no", how="anti")
            if stray.height:
                raise GradebookError(
                    t("gradebook.unknown_candidate", file=str(self.path), batch=batch, value=stray.item(0, 0))
                )
        bad = (
            m.join(items, on="item_id", how="left")
            .with_columns((pl.col("mark") / pl.col("step")).alias("_k"))
            .filter(
                pl.col("max").is_null()
                | (pl.col("mark") < 0)
                | (pl.col("mark") > pl.col("max") + 1e-9)
                | ((pl.col("_k") - pl.col("_k").round()).abs() > 1e-6)
            )
        )
        if bad.height:
            r = bad.row(0, named=True)
            raise GradebookError(
                t(
                    "gradebook.bad_bulk_mark",
                    batch=batch,
                    candidate=r["candidate_no"],
                    item=r["item_id"],
                    value=r["mark"],
                )
            )
        if (
            m.select(pl.struct("candidate_no", "item_id").is_duplicated().any()).item()
            or f.get_column("candidate_no").is_duplicated().any()
        ):
            raise GradebookError(t("gradebook.duplicate_bulk", batch=batch))
        badflag = f.filter(pl.col("flag").is_not_null() & ~pl.col("flag").is_in(list(FLAGS)))
        if badflag.height:
            raise GradebookError(t("gradebook.bad_flag", value=badflag.item(0, 1), accepted=", ".join(FLAGS)))

    def _refresh_final(self, c: sqlite3.Connection, batch: str, candidate_no: str | None = None) -> None:
        policy = self._policy(c, batch)
        if policy is not None:
            self._refresh_final_double(c, batch, candidate_no, policy)
            return
        c.execute(_REFRESH_FINAL, {"batch": batch, "candidate_no": candidate_no, "now": now()})

    def _has_marks(self, c: sqlite3.Connection, batch: str, flags: bool) -> bool:
        sql = "SELECT EXISTS (SELECT 1 FROM marks WHERE batch = :b AND value IS NOT NULL)"
        if flags:
            sql += " OR EXISTS (SELECT 1 FROM flags WHERE batch = :b AND flag IS NOT NULL)"
        return bool(c.execute(sql, {"b": batch}).fetchone()[0])

    def has_marks(self, batch: str, *, flags: bool = True) -> bool:
        """True when ``batch`` has any mark (or, with ``flags``, any absent/void flag)."""
        with self._lock:
            return self._has_marks(self._conn, batch, flags)

    # ------------------------------------------------------------------ double marking

    def _policy(self, c: sqlite3.Connection, batch: str) -> DoubleMarkingPolicy | None:
        row = c.execute(
            "SELECT tolerance, final_rule FROM double_marking WHERE batch = ? AND enabled = 1", (batch,)
        ).fetchone()
        return DoubleMarkingPolicy(float(row[0]), str(row[1]), source=str(self.path)) if row else None

    def double_marking(self, batch: str) -> DoubleMarkingPolicy | None:
        """The double-marking policy recorded for ``batch`` (None: single marking)."""
        with self._lock:
            return self._policy(self._conn, batch)

    def set_double_marking(self, batch: str, policy: DoubleMarkingPolicy | None, *, actor: str = "examkit") -> bool:
        """Switch double marking on with ``policy`` (or off with None), audited; True if anything changed.

        Final scores are recomputed at once. Switching off is refused once second or third marks exist.
        """
        actor = _actor(actor)
        with self._write() as c:
            if not c.execute("SELECT 1 FROM batches WHERE batch = ?", (batch,)).fetchone():
                raise GradebookError(t("gradebook.unknown_batch", file=str(self.path), batch=batch))
            row = c.execute(
                "SELECT enabled, tolerance, final_rule FROM double_marking WHERE batch = ?", (batch,)
            ).fetchone()
            if policy is None:
                if not row or not row[0]:
                    return False
                if c.execute(
                    "SELECT EXISTS (SELECT 1 FROM marks WHERE batch = ? AND marking_round > 1 AND value IS NOT NULL)",
                    (batch,),
                ).fetchone()[0]:
                    raise GradebookError(t("agreement.cannot_switch_off", batch=batch))
                new = (0, row[1], row[2])
            else:
                new = (1, float(policy.tolerance), policy.final_rule)
            if row and (int(row[0]), float(row[1]), str(row[2])) == new:
                return False
            c.execute(
                "INSERT INTO double_marking (batch, enabled, tolerance, final_rule, updated_by, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (batch) DO UPDATE SET enabled = excluded.enabled, "
                "tolerance = excluded.tolerance, final_rule = excluded.final_rule, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (batch, *new, actor, now()),
            )
            self._refresh_final(c, batch)
            return True

    def _round_totals(self, c: sqlite3.Connection, batch: str, candidate_no: str | None = None) -> pl.DataFrame:
        """Per candidate: each round's total (null until the round is complete) and its grader.

        A round is complete when its grader has marked every item that is not auto-scored; auto-scored
        items (the senior theory paper) are stored in round 1 and count in every round's total.
        """
        n_manual, n_auto = c.execute(
            "SELECT coalesce(sum(auto_scored = 0), 0), coalesce(sum(auto_scored = 1), 0) FROM rubric_items "
            "WHERE batch = ?",
            (batch,),
        ).fetchone()
        args = {"b": batch, "c": candidate_no}
        cands = pl.DataFrame(
            c.execute(
                "SELECT candidate_no FROM candidates WHERE batch = :b AND (:c IS NULL OR candidate_no = :c)", args
            ).fetchall(),
            schema={"candidate_no": pl.String},
            orient="row",
        )
        marks = pl.DataFrame(
            c.execute(
                "SELECT m.candidate_no, m.marking_round, r.auto_scored, m.value, m.grader, m.updated_at FROM marks m "
                "JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
                "WHERE m.batch = :b AND (:c IS NULL OR m.candidate_no = :c) AND m.value IS NOT NULL",
                args,
            ).fetchall(),
            schema={
                "candidate_no": pl.String,
                "round": pl.Int64,
                "auto": pl.Int64,
                "value": pl.Float64,
                "grader": pl.String,
                "at": pl.String,
            },
            orient="row",
        )
        auto = (
            marks.filter((pl.col("auto") == 1) & (pl.col("round") == 1))
            .group_by("candidate_no")
            .agg(pl.len().alias("n_auto"), pl.col("value").sum().alias("s_auto"))
        )
        rounds = (
            marks.filter(pl.col("auto") == 0)
            .group_by("candidate_no", "round")
            .agg(pl.len().alias("n"), pl.col("value").sum().alias("s"), pl.col("grader").sort_by("at").first())
            .join(auto, on="candidate_no", how="left")
            .with_columns(
                pl.when((pl.col("n") == n_manual) & (pl.col("n_auto").fill_null(0) == n_auto))
                .then((pl.col("s") + pl.col("s_auto").fill_null(0.0)).round(2))
                .alias("total")
            )
        )
        out = cands
        for rnd, name in ((1, "first"), (2, "second"), (3, "third")):
            part = rounds.filter(pl.col("round") == rnd).select(
                "candidate_no", pl.col("total").alias(name), pl.col("grader").alias(f"{name}_grader")
            )
            out = out.join(part, on="candidate_no", how="left")
        return out.sort("candidate_no")

    def round_totals(self, batch: str) -> pl.DataFrame:
        """Double marking: ``candidate_no, first, second, third`` (round totals, null until complete) and each
        round's grader (``first_grader``…). Feed it to ``examkit.agreement.resolve`` / ``agreement``."""
        with self._lock:
            return self._round_totals(self._conn, batch)

    def _round_state(self, c: sqlite3.Connection, batch: str, candidate_no: str, policy: DoubleMarkingPolicy):
        """(round → grader, resolved status) of one candidate."""
        row = resolve(self._round_totals(c, batch, candidate_no), policy).row(0, named=True)
        owners = {
            rnd: row[f"{name}_grader"]
            for rnd, name in ((1, "first"), (2, "second"), (3, "third"))
            if row[f"{name}_grader"] is not None
        }
        return owners, row["status"]

    def _check_round(
        self, c: sqlite3.Connection, batch: str, candidate_no: str, item: Item, marking_round: int, grader: str
    ) -> None:
        """In a double-marked batch: one grader per round, one round per grader, round 3 only to arbitrate."""
        policy = self._policy(c, batch)
        if policy is None:
            return
        if item.auto_scored:
            if marking_round != 1:
                raise GradebookError(t("agreement.auto_round", item=item.name()))
            return
        if marking_round not in (1, 2, 3):
            raise GradebookError(t("agreement.bad_round", value=marking_round, accepted="1, 2, 3"))
        owners, status = self._round_state(c, batch, candidate_no, policy)
        owner = owners.get(marking_round)
        if owner is not None and owner != grader:
            raise GradebookError(
                t("agreement.round_taken", candidate=candidate_no, round=t(f"agreement.round_{marking_round}"))
            )
        mine = [r for r, g in owners.items() if g == grader and r != marking_round]
        if mine:
            raise GradebookError(
                t("agreement.one_round", candidate=candidate_no, round=t(f"agreement.round_{mine[0]}"))
            )
        if marking_round == 3 and owner is None and status != "awaiting_arbitration":
            raise GradebookError(t("agreement.no_arbitration", candidate=candidate_no))

    def marking_round_for(self, batch: str, candidate_no: str, grader: str) -> int:
        """The round ``grader`` marks ``candidate_no`` in: 1 for single marking; in a double-marked batch
        their own round, else the first free one, else 3 when the candidate waits for arbitration.
        ``GradebookError`` when there is nothing left for this grader to do."""
        grader = _actor(grader)
        with self._lock:
            policy = self._policy(self._conn, batch)
            if policy is None:
                return 1
            self._require_candidate(self._conn, batch, candidate_no)
            owners, status = self._round_state(self._conn, batch, candidate_no, policy)
        for rnd, who in owners.items():
            if who == grader:
                return rnd
        for rnd in (1, 2):
            if rnd not in owners:
                return rnd
        if 3 not in owners and status == "awaiting_arbitration":
            return 3
        raise GradebookError(t("agreement.nothing_to_do", candidate=candidate_no))

    def to_mark(self, batch: str, grader: str) -> list[str]:
        """Candidates ``grader`` can still work on (no flag): single marking → the ungraded; double marking →
        their own unfinished rounds, free first/second rounds, and free arbitrations."""
        with self._lock:
            policy = self._policy(self._conn, batch)
            flagged = pl.DataFrame(
                self._conn.execute(
                    "SELECT candidate_no FROM flags WHERE batch = ? AND flag IS NOT NULL", (batch,)
                ).fetchall(),
                schema={"candidate_no": pl.String},
                orient="row",
            )
            if policy is None:
                res = self.results(batch).filter(pl.col("status") == "ungraded")
                return res.join(flagged, on="candidate_no", how="anti").get_column("candidate_no").to_list()
            r = resolve(self._round_totals(self._conn, batch), policy).join(flagged, on="candidate_no", how="anti")
        me = pl.lit(str(grader or "").strip())
        unfinished = pl.lit(False)
        owns = pl.lit(False)
        for name in ("first", "second", "third"):
            mine = pl.col(f"{name}_grader") == me
            unfinished = unfinished | (mine & pl.col(name).is_null()).fill_null(False)
            owns = owns | mine.fill_null(False)
        free = (
            pl.col("first_grader").is_null()
            | pl.col("second_grader").is_null()
            | ((pl.col("status") == "awaiting_arbitration") & pl.col("third_grader").is_null())
        )
        return r.filter(unfinished | (~owns & free)).get_column("candidate_no").to_list()

    def _refresh_final_double(
        self, c: sqlite3.Connection, batch: str, candidate_no: str | None, policy: DoubleMarkingPolicy
    ) -> None:
        """Final scores of a double-marked batch: flags win; else the resolved final (examkit.agreement)."""
        resolved = resolve(self._round_totals(c, batch, candidate_no), policy)
        flags = pl.DataFrame(
            c.execute(
                "SELECT candidate_no, flag FROM flags WHERE batch = :b AND (:c IS NULL OR candidate_no = :c)",
                {"b": batch, "c": candidate_no},
            ).fetchall(),
            schema={"candidate_no": pl.String, "flag": pl.String},
            orient="row",
        )
        rows = (
            resolved.join(flags, on="candidate_no", how="left")
            .select(
                pl.lit(batch).alias("batch"),
                "candidate_no",
                pl.when(pl.col("flag").is_not_null())
                .then(pl.col("flag"))
                .when(pl.col("final").is_not_null())
                .then(pl.lit("graded"))
                .otherwise(pl.lit("ungraded"))
                .alias("status"),
                pl.when(pl.col("flag") == "absent").then(None).otherwise(pl.col("final")).alias("total"),
                pl.lit(now()).alias("updated_at"),
            )
            .rows()
        )
        c.executemany(
            "INSERT INTO final_scores (batch, candidate_no, status, total, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (batch, candidate_no) DO UPDATE SET status = excluded.status, total = excluded.total, "
            "updated_at = excluded.updated_at "
            "WHERE final_scores.status IS NOT excluded.status OR final_scores.total IS NOT excluded.total",
            rows,
        )

    def _item_marks_double(self, c: sqlite3.Connection, batch: str, policy: DoubleMarkingPolicy) -> pl.DataFrame:
        """Item marks of a double-marked batch: each item weighted over the rounds the final rule counts."""
        weights = (
            resolve(self._round_totals(c, batch), policy)
            .filter(pl.col("final").is_not_null())
            .select("candidate_no", "w_first", "w_second", "w_third")
        )
        marks = pl.DataFrame(
            c.execute(
                "SELECT m.candidate_no, m.item_id, r.section, r.position, m.marking_round, r.auto_scored, m.value, "
                "r.max FROM marks m JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
                "JOIN final_scores s ON s.batch = m.batch AND s.candidate_no = m.candidate_no "
                "WHERE m.batch = ? AND m.value IS NOT NULL AND s.status IN ('graded', 'void')",
                (batch,),
            ).fetchall(),
            schema={
                "candidate_no": pl.String,
                "item_id": pl.String,
                "section": pl.String,
                "position": pl.Int64,
                "round": pl.Int64,
                "auto": pl.Int64,
                "value": pl.Float64,
                "max": pl.Float64,
            },
            orient="row",
        )
        weight = (
            pl.when(pl.col("auto") == 1)
            .then(pl.when(pl.col("round") == 1).then(1.0).otherwise(0.0))
            .when(pl.col("round") == 1)
            .then(pl.col("w_first"))
            .when(pl.col("round") == 2)
            .then(pl.col("w_second"))
            .when(pl.col("round") == 3)
            .then(pl.col("w_third"))
            .otherwise(0.0)
        )
        return (
            marks.join(weights, on="candidate_no", how="inner")
            .with_columns(weight.alias("w"))
            .filter(pl.col("w") > 0)
            .group_by("candidate_no", "item_id", "section", "position", "max")
            .agg((pl.col("value") * pl.col("w")).sum().round(2).alias("mark"))
            .sort("candidate_no", "position")
            .select(list(ITEM_MARKS_SCHEMA))
            .cast(ITEM_MARKS_SCHEMA)
        )

    # ------------------------------------------------------------------ reading results

    def results(self, batch: str) -> pl.DataFrame:
        """Per registered candidate: ``candidate_no, batch, status, total, passed`` (see the results contract)."""
        pass_mark = notice_for_batch(batch).pass_mark
        frame = self._frame(
            "SELECT candidate_no, batch, status, total FROM final_scores WHERE batch = ? ORDER BY candidate_no",
            (batch,),
            {k: v for k, v in RESULTS_SCHEMA.items() if k != "passed"},
        )
        return frame.with_columns(passed_expr(pass_mark))

    def marks_frame(self, batch: str) -> pl.DataFrame:
        """Every stored mark of ``batch`` (all rounds, cleared ones included) with its grader, time and version."""
        return self._frame(
            "SELECT m.candidate_no, m.item_id, r.section, m.marking_round, m.value, r.max, m.version, m.grader, "
            "m.updated_at FROM marks m JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
            "WHERE m.batch = ? ORDER BY m.candidate_no, r.position, m.marking_round",
            (batch,),
            {
                "candidate_no": pl.String,
                "item_id": pl.String,
                "section": pl.String,
                "marking_round": pl.Int64,
                "mark": pl.Float64,
                "max": pl.Float64,
                "version": pl.Int64,
                "grader": pl.String,
                "updated_at": pl.String,
            },
        )

    def item_marks(self, batch: str) -> pl.DataFrame:
        """Item marks (long) of candidates whose paper counts (graded or void): ``candidate_no, item_id, section, mark, max``."""
        with self._lock:
            policy = self._policy(self._conn, batch)
            if policy is not None:
                return self._item_marks_double(self._conn, batch, policy)
        return self._frame(
            "SELECT m.candidate_no, m.item_id, r.section, m.value, r.max FROM marks m "
            "JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
            "JOIN final_scores s ON s.batch = m.batch AND s.candidate_no = m.candidate_no "
            "WHERE m.batch = ? AND m.marking_round = 1 AND m.value IS NOT NULL AND s.status IN ('graded', 'void') "
            "ORDER BY m.candidate_no, r.position",
            (batch,),
            ITEM_MARKS_SCHEMA,
        )

    # ------------------------------------------------------------------ publicity, reviews, certificates (R11, R12)

    def publication(self, batch: str) -> PublicityPeriod | None:
        """The publicity period ``batch`` was published with, or None while it is still being graded."""
        from examkit.publicity import PublicityPeriod

        rows = self._rows("SELECT published_on, publicity_days FROM publications WHERE batch = ?", (batch,))
        return PublicityPeriod(dt.date.fromisoformat(rows[0][0]), int(rows[0][1])) if rows else None

    def publish(self, batch: str, on: dt.date, *, days: int, by: str) -> PublicityPeriod:
        """Publish ``batch`` on ``on`` for ``days`` days: its marks and flags are frozen from now on.

        Publishing again on the same date changes nothing; another date, or a batch with ungraded
        candidates, is refused (``PublicityError``).
        """
        from examkit.publicity import PublicityPeriod

        by = _actor(by)
        with self._write() as c:
            row = c.execute(
                "SELECT published_on, publicity_days FROM publications WHERE batch = ?", (batch,)
            ).fetchone()
            if row:
                done = PublicityPeriod(dt.date.fromisoformat(row[0]), int(row[1]))
                if done.published_on != on:
                    raise PublicityError(
                        t("publicity.already_published", batch=batch, on=done.published_on, last=done.last_day, new=on)
                    )
                return done
            counts = c.execute(
                "SELECT count(*), sum(status = 'ungraded') FROM final_scores WHERE batch = ?", (batch,)
            ).fetchone()
            if not counts[0]:
                raise PublicityError(t("publicity.no_candidates", file=str(self.path), batch=batch))
            if counts[1]:
                examples = [
                    r[0]
                    for r in c.execute(
                        "SELECT candidate_no FROM final_scores WHERE batch = ? AND status = 'ungraded' "
                        "ORDER BY candidate_no LIMIT 3",
                        (batch,),
                    )
                ]
                raise PublicityError(
                    t("publicity.ungraded", batch=batch, count=counts[1], examples=", ".join(examples))
                )
            c.execute("INSERT INTO publications VALUES (?, ?, ?, ?, ?)", (batch, on.isoformat(), int(days), by, now()))
        return PublicityPeriod(on, int(days))

    def _check_frozen(self, c: sqlite3.Connection, batch: str, candidates: list[str], source: str) -> None:
        """Refuse a direct change to a published batch (``PublicityError``); a review re-mark passes."""
        row = c.execute("SELECT published_on FROM publications WHERE batch = ?", (batch,)).fetchone()
        if row is None:
            return
        if source == REVIEW_SOURCE:
            open_ = {
                r[0]
                for r in c.execute(
                    "SELECT candidate_no FROM review_requests WHERE batch = ? AND outcome IS NULL", (batch,)
                )
            }
            candidates = [x for x in candidates if x not in open_]
        if candidates:
            raise PublicityError(t("publicity.frozen", batch=batch, on=row[0], candidate=candidates[0]))

    def request_review(
        self,
        batch: str,
        candidate_no: str,
        *,
        requested_by: str,
        on: dt.date,
        recorded_by: str,
        reason: str | None = None,
    ) -> int:
        """Record a review request (复核) made on ``on``; returns its number. Refused outside the publicity period."""
        requested_by, recorded_by = _actor(requested_by), _actor(recorded_by)
        with self._write() as c:
            period = self.publication(batch)
            if period is None:
                raise PublicityError(t("publicity.not_published", batch=batch, action=t("publicity.action_review")))
            if on < period.first_day:
                raise PublicityError(t("publicity.review_early", batch=batch, first=period.first_day, on=on))
            if period.has_ended(on):
                raise PublicityError(
                    t("publicity.review_closed", batch=batch, first=period.first_day, last=period.last_day, on=on)
                )
            self._require_candidate(c, batch, candidate_no)
            open_ = c.execute(
                "SELECT id FROM review_requests WHERE batch = ? AND candidate_no = ? AND outcome IS NULL",
                (batch, candidate_no),
            ).fetchone()
            if open_:
                raise PublicityError(t("publicity.review_open", candidate=candidate_no, id=open_[0]))
            status, total = c.execute(
                "SELECT status, total FROM final_scores WHERE batch = ? AND candidate_no = ?", (batch, candidate_no)
            ).fetchone()
            cur = c.execute(
                "INSERT INTO review_requests (batch, candidate_no, requested_by, requested_on, reason, recorded_by, "
                "recorded_at, old_status, old_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch, candidate_no, requested_by, on.isoformat(), reason, recorded_by, now(), status, total),
            )
            return int(cur.lastrowid)

    def decide_review(
        self,
        batch: str,
        review_id: int,
        *,
        marks: Mapping[str, object] | None = None,
        decided_by: str,
        reason: str | None = None,
    ) -> Review:
        """Decide an open review: re-mark the named items (item id or name → mark) through the audited
        mark path, then record the outcome (unchanged / changed, old → new, pass flip). No marks: confirmed.
        """
        decided_by = _actor(decided_by)
        review = self._review(batch, review_id)
        if review.outcome is not None:
            at = self._rows("SELECT decided_at FROM review_requests WHERE id = ?", (review_id,))[0][0]
            raise PublicityError(t("publicity.review_decided", id=review_id, at=at, outcome=review.outcome))
        if marks:
            if review.old_status not in ("graded", "ungraded"):
                raise PublicityError(
                    t("publicity.review_flags", candidate=review.candidate_no, status=t(f"labels.{review.old_status}"))
                )
            rubric = self.rubric(batch)
            frame = pl.DataFrame(
                {
                    "candidate_no": [review.candidate_no] * len(marks),
                    "item_id": [_item_id(rubric, k, batch) for k in marks],
                    "mark": [_checked(rubric, k, v, batch) for k, v in marks.items()],
                }
            )
            note = t("publicity.review_reason", id=review_id) + (f": {reason}" if reason else "")
            self.apply(batch, frame, grader=decided_by, source=REVIEW_SOURCE, reason=note)
        with self._write() as c:
            status, total = c.execute(
                "SELECT status, total FROM final_scores WHERE batch = ? AND candidate_no = ?",
                (batch, review.candidate_no),
            ).fetchone()
            changed = status != review.old_status or total != review.old_total
            c.execute(
                "UPDATE review_requests SET outcome = ?, new_status = ?, new_total = ?, decided_by = ?, decided_at = ? "
                "WHERE id = ? AND outcome IS NULL",
                ("changed" if changed else "unchanged", status, total, decided_by, now(), review_id),
            )
        return self._review(batch, review_id)

    def _review(self, batch: str, review_id: int) -> Review:
        found = [r for r in self.reviews(batch) if r.id == int(review_id)]
        if not found:
            raise PublicityError(t("publicity.no_review", batch=batch, id=review_id))
        return found[0]

    def reviews(self, batch: str) -> list[Review]:
        """The review requests of ``batch``, oldest first, with their outcomes once decided."""
        from examkit.publicity import Review

        passes = notice_for_batch(batch).passes
        rows = self._rows(
            "SELECT id, batch, candidate_no, requested_by, requested_on, old_status, old_total, outcome, new_status, "
            "new_total FROM review_requests WHERE batch = ? ORDER BY id",
            (batch,),
        )

        def passed(status: str | None, total: float | None) -> bool | None:
            return None if status is None else status == "graded" and total is not None and passes(round(total, 2))

        return [
            Review(
                id=r[0],
                batch=r[1],
                candidate_no=r[2],
                requested_by=r[3],
                requested_on=dt.date.fromisoformat(r[4]),
                old_status=r[5],
                old_total=r[6],
                old_passed=passed(r[5], r[6]),
                outcome=r[7],
                new_status=r[8],
                new_total=r[9],
                new_passed=passed(r[8], r[9]) if r[7] else None,
            )
            for r in rows
        ]

    def stage(self, batch: str, day: dt.date) -> Stage:
        """Where ``batch`` is on ``day``: grading → publicity until DATE → certificates issued."""
        from examkit.publicity import stage_of

        run = self._rows("SELECT min(issued_on) FROM certificate_runs WHERE batch = ?", (batch,))[0][0]
        issued = self._rows("SELECT count(*) FROM certificates WHERE batch = ?", (batch,))[0][0]
        return stage_of(
            self.publication(batch), day, issued_on=dt.date.fromisoformat(run) if run else None, issued=int(issued)
        )

    def issue_certificates(self, batch: str, on: dt.date, *, layout: CertificateLayout, by: str) -> IssueResult:
        """Issue one certificate per passer of ``batch`` not yet certified for its level, numbered by ``layout``.

        Only after the publicity period and with no open review. Serials count up within each scope
        of the layout across every batch and run; the register's UNIQUE constraints and one write
        transaction keep numbers unique even when several processes issue at once. A passer who
        already holds this level (same ID number, earlier batch) gets none and is listed in ``held``.
        """
        from examkit.certificates import IssueResult, province_code_expr

        by = _actor(by)
        level = notice_for_batch(batch).batch(batch).level
        year = notice_for_batch(batch).year
        with self._write() as c:
            period = self.publication(batch)
            if period is None:
                raise PublicityError(
                    t("publicity.not_published", batch=batch, action=t("publicity.action_certificates"))
                )
            if not period.has_ended(on):
                raise PublicityError(
                    t("publicity.too_early", batch=batch, last=period.last_day, on=on, from_=period.certificates_from)
                )
            pending = [
                r[0]
                for r in c.execute(
                    "SELECT id FROM review_requests WHERE batch = ? AND outcome IS NULL ORDER BY id", (batch,)
                )
            ]
            if pending:
                raise PublicityError(
                    t(
                        "publicity.reviews_pending",
                        batch=batch,
                        count=len(pending),
                        ids=", ".join(f"#{i}" for i in pending),
                    )
                )
            register = self._frame(
                "SELECT certificate_no, batch, candidate_no, id_number, level FROM certificates WHERE level = ?",
                (level,),
                {
                    "certificate_no": pl.String,
                    "batch": pl.String,
                    "candidate_no": pl.String,
                    "id_number": pl.String,
                    "level": pl.String,
                },
            )
            passers = (
                self.results(batch)
                .filter(pl.col("passed"))
                .join(self.candidates(batch).drop("level"), on="candidate_no", how="left")
                .join(register.filter(pl.col("batch") == batch).select("candidate_no"), on="candidate_no", how="anti")
            )
            held_in = register.filter(pl.col("batch") != batch).select(
                "id_number", pl.col("certificate_no").alias("held_certificate_no"), pl.col("batch").alias("held_batch")
            )
            held = passers.join(held_in, on="id_number", how="inner").with_columns(pl.lit(level).alias("level"))
            todo = passers.join(held_in, on="id_number", how="anti").with_columns(
                pl.lit(year).alias("year"),
                pl.lit(layout.level_codes[level]).alias("level_code"),
                province_code_expr("province").alias("province_code"),
                pl.lit(level).alias("level"),
            )
            self._check_numberable(batch, todo, layout)
            todo = todo.with_columns(layout.scope_expr().alias("scope")).sort("candidate_no")
            top = self._frame(
                "SELECT scope, max(serial) FROM certificates GROUP BY scope", (), {"scope": pl.String, "top": pl.Int64}
            )
            stamp = now()
            issued = (
                todo.join(top, on="scope", how="left")
                .with_columns(
                    (pl.col("top").fill_null(0) + pl.col("candidate_no").cum_count().over("scope")).alias("serial")
                )
                .with_columns(layout.number_expr().alias("certificate_no"))
                .select(
                    "certificate_no",
                    "scope",
                    "serial",
                    pl.lit(batch).alias("batch"),
                    "candidate_no",
                    "id_number",
                    "level",
                    "total",
                    pl.lit(on.isoformat()).alias("issued_on"),
                    pl.lit(by).alias("issued_by"),
                    pl.lit(stamp).alias("issued_at"),
                )
            )
            if issued.height and int(issued.get_column("serial").max()) > layout.max_serial:
                raise CertificateError(
                    t(
                        "certificates.serial_overflow",
                        serial=issued.get_column("serial").max(),
                        width=layout.serial_width,
                        layout=layout.template,
                    )
                )
            try:
                c.executemany(
                    f"INSERT INTO certificates ({', '.join(issued.columns)}) VALUES ({', '.join('?' * issued.width)})",
                    issued.iter_rows(),
                )
            except sqlite3.IntegrityError as exc:  # e.g. a changed layout producing an existing number
                raise CertificateError(t("certificates.register_conflict", batch=batch, error=str(exc))) from None
            already = (
                c.execute("SELECT count(*) FROM certificates WHERE batch = ?", (batch,)).fetchone()[0] - issued.height
            )
            c.execute(
                "INSERT INTO certificate_runs (batch, issued_on, issued, held, run_by, run_at) VALUES (?, ?, ?, ?, ?, ?)",
                (batch, on.isoformat(), issued.height, held.height, by, stamp),
            )
        return IssueResult(batch, issued, held, int(already))

    def _check_numberable(self, batch: str, todo: pl.DataFrame, layout: CertificateLayout) -> None:
        """Refuse (``CertificateError``) a passer lacking what the layout or the register needs."""
        needs = [("id_number", "id_number", "id_number")]
        if "province_code" in layout.part_names:
            needs.append(("province", "province_code", "province"))
        if "site_code" in layout.part_names:
            needs.append(("site_code", "site_code", "site_code"))
        for shown, checked, part in needs:
            bad = todo.filter(
                pl.col(checked).is_null() | ~pl.col(checked).cast(pl.String).str.contains(r"^[0-9A-Za-z]+$")
            )
            if bad.height:
                raise CertificateError(
                    t(
                        "certificates.missing_parts",
                        batch=batch,
                        candidate=bad.item(0, "candidate_no"),
                        part=t(f"certificates.part_{part}"),
                        value=bad.item(0, shown) or "",
                        layout=layout.template,
                    )
                )

    def certificate_register(self, batch: str | None = None) -> pl.DataFrame:
        """The certificate register (one batch or all): number, candidate, name, ID, level, batch, province, site, total, date."""
        frame = self._frame(
            "SELECT r.certificate_no, r.candidate_no, c.name, r.id_number, r.level, r.batch, c.province, c.site_code, "
            "r.total, r.issued_on FROM certificates r LEFT JOIN candidates c "
            "ON c.batch = r.batch AND c.candidate_no = r.candidate_no "
            "WHERE (:b IS NULL OR r.batch = :b) ORDER BY r.certificate_no",
            {"b": batch},
            {
                "certificate_no": pl.String,
                "candidate_no": pl.String,
                "name": pl.String,
                "id_number": pl.String,
                "level": pl.String,
                "batch": pl.String,
                "province": pl.String,
                "site_code": pl.String,
                "total": pl.Float64,
                "issued_on": pl.String,
            },
        )
        return frame.with_columns(pl.col("issued_on").str.to_date())

    # ------------------------------------------------------------------ audit

    def audit(self, batch: str | None = None, candidate_no: str | None = None) -> pl.DataFrame:
        """The audit log (oldest first), optionally for one batch and/or one candidate."""
        return self._frame(
            f"SELECT {', '.join(AUDIT_SCHEMA)} FROM audit WHERE (:b IS NULL OR batch = :b) "
            "AND (:c IS NULL OR candidate_no = :c) ORDER BY id",
            {"b": batch, "c": candidate_no},
            AUDIT_SCHEMA,
        )

    def export_audit(self, path: str | os.PathLike, batch: str | None = None) -> Path:
        """Write the audit log as ``.csv`` (UTF-8 BOM) or ``.xlsx`` (by suffix), headers in the report language."""
        from examkit.iorw import write_csv, write_xlsx

        p = Path(path)
        frame = self.audit(batch).rename({col: t(f"gradebook.col_{col}") for col in AUDIT_SCHEMA})
        if p.suffix.lower() == ".csv":
            write_csv(frame, p)
        elif p.suffix.lower() == ".xlsx":
            write_xlsx({t("gradebook.audit_sheet"): frame}, p)
        else:
            raise GradebookError(t("gradebook.bad_export", file=str(p), accepted=".csv, .xlsx"))
        return p


def _actor(name: str) -> str:
    text = str(name or "").strip()
    if not text:
        raise GradebookError(t("gradebook.no_grader"))
    return text


def _item_id(rubric: Rubric, key: str, batch: str) -> str:
    """The rubric item named ``key`` (its id, or its Chinese or English name as on a score sheet)."""
    wanted = header_key(str(key))
    for item in rubric.items:
        if wanted in (header_key(item.id), header_key(item.name_zh), header_key(item.name_en)):
            return item.id
    accepted = ", ".join(f"{i.id} ({i.name_zh})" for i in rubric.items)
    raise GradebookError(t("gradebook.unknown_item", batch=batch, value=key, accepted=accepted))


def _checked(rubric: Rubric, key: str, value: object, batch: str) -> float | None:
    """``value`` for the item named ``key``, checked against its maximum and step (``GradebookError`` if not)."""
    item_id = _item_id(rubric, key, batch)
    check = check_mark(value, next(i for i in rubric.items if i.id == item_id))
    if not check.ok:
        raise GradebookError(check.error)
    return check.value


def _statements(script: str) -> list[str]:
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
