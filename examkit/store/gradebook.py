"""The gradebook: candidates, rubric items, marks, flags and final scores in SQLite, with an audit log.

``Gradebook`` is the only code that touches the database. The tables, triggers and migrations are
in ``examkit.store.schema``: the DATABASE writes every change of a mark, a flag or a rubric to
the append-only ``audit`` table and refuses to rewrite it. Marks carry a version for optimistic
concurrency: a save names the version it read, and a save against a newer version is refused
(``StaleWriteError``) with the current value.

One class, in parts: this module (connection, transactions, migrations, marks and flags one at a
time, results, audit), ``examkit.store.setup`` (a batch's rubric and candidates),
``examkit.store.bulk`` (one-transaction bulk writes: score sheets, the demo, reviews),
``examkit.store.publicity`` (publish and freeze, reviews, certificate register) and
``examkit.store.double`` (double marking).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import polars as pl

from examkit.core.exceptions import GradebookError, StaleWriteError
from examkit.core.grading import FLAGS, check_mark, passed_expr
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.io.write import write_csv, write_xlsx
from examkit.store.bulk import BulkWriteMixin
from examkit.store.certificates import CertificateMixin
from examkit.store.double import DoubleMarkingMixin
from examkit.store.migrations import MIGRATIONS
from examkit.store.publicity import PublicityMixin
from examkit.store.schema import (
    AUDIT_SCHEMA,
    ITEM_MARKS_SCHEMA,
    REFRESH_FINAL,
    RESULTS_SCHEMA,
    REVIEW_SOURCE,
    Applied,
    Flag,
    Mark,
    Saved,
    now,
    require_actor,
    statements,
)
from examkit.store.setup import BatchSetupMixin

__all__ = [
    "AUDIT_SCHEMA",
    "DEFAULT_TIMEOUT_S",
    "ITEM_MARKS_SCHEMA",
    "MIGRATIONS",
    "RESULTS_SCHEMA",
    "REVIEW_SOURCE",
    "Applied",
    "Flag",
    "Gradebook",
    "Mark",
    "Saved",
    "now",
    "write_export",
]

DEFAULT_TIMEOUT_S = 30.0  # busy timeout: how long a writer waits for another writer's transaction


class Gradebook(BatchSetupMixin, BulkWriteMixin, PublicityMixin, CertificateMixin, DoubleMarkingMixin):
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
        """Rows of a query (inside a ``_write`` transaction when one is open: same connection, re-entrant lock)."""
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
                for statement in statements(script):
                    c.execute(statement)
            c.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    @property
    def schema_version(self) -> int:
        return int(self._rows("PRAGMA user_version")[0][0])

    # ------------------------------------------------------------------ marks and flags, one at a time

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
        grader = require_actor(grader)
        with self._write() as c:
            self._require_candidate(c, batch, candidate_no)
            item = self._item(c, batch, item_id)
            self._check_round(c, batch, candidate_no, item, marking_round, grader)
            check = check_mark(value, item)
            if not check.ok:
                raise GradebookError(check.error)
            new = check.value

            def stale(current: object) -> str:
                shown, typed = ("—" if v is None else f"{v:g}" for v in (current, new))
                return t("gradebook.stale", item=item.name(), candidate=candidate_no, current=shown, value=typed)

            key = {"batch": batch, "candidate_no": candidate_no, "item_id": item_id, "marking_round": marking_round}
            return self._save_versioned(c, "marks", "value", key, new, grader, expected_version, reason, source, stale)

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
        grader = require_actor(grader)
        if flag is not None and flag not in FLAGS:
            raise GradebookError(t("gradebook.bad_flag", value=flag, accepted=", ".join(FLAGS)))

        def stale(current: object) -> str:
            shown = t(f"labels.{current}") if current else "—"
            return t("gradebook.stale_flag", candidate=candidate_no, current=shown)

        with self._write() as c:
            self._require_candidate(c, batch, candidate_no)
            key = {"batch": batch, "candidate_no": candidate_no}
            return self._save_versioned(c, "flags", "flag", key, flag, grader, expected_version, reason, source, stale)

    def _save_versioned(
        self,
        c: sqlite3.Connection,
        table: str,
        column: str,
        key: dict[str, object],
        new: object,
        grader: str,
        expected_version: int | None,
        reason: str | None,
        source: str,
        stale: Callable[[object], str],
    ) -> Saved:
        """Store ``new`` in ``table.column`` at ``key`` (a mark or a flag) under the optimistic version rule.

        An unchanged value writes nothing; a published batch refuses; a version other than
        ``expected_version`` raises ``StaleWriteError(stale(current))``. The triggers add the audit row.
        """
        where = " AND ".join(f"{k} = ?" for k in key)
        row = c.execute(f"SELECT {column}, version FROM {table} WHERE {where}", tuple(key.values())).fetchone()
        cur_value, cur_version = row if row else (None, 0)
        if cur_value == new:
            return Saved(cur_version, False, cur_value)
        self._check_frozen(c, str(key["batch"]), [str(key["candidate_no"])], source)
        if expected_version is not None and expected_version != cur_version:
            raise StaleWriteError(stale(cur_value), current=cur_value)
        stamp = now()
        if row is None:
            cols = [*key, column, "version", "grader", "updated_at", "reason", "source"]
            c.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                (*key.values(), new, 1, grader, stamp, reason, source),
            )
        else:
            c.execute(
                f"UPDATE {table} SET {column} = ?, version = version + 1, grader = ?, updated_at = ?, reason = ?, "
                f"source = ? WHERE {where}",
                (new, grader, stamp, reason, source, *key.values()),
            )
        self._refresh_final(c, str(key["batch"]), str(key["candidate_no"]))
        return Saved(cur_version + 1, True, new)

    def _refresh_final(self, c: sqlite3.Connection, batch: str, candidate_no: str | None = None) -> None:
        """Recompute final scores (one candidate or the batch): the double-marking rule when switched on."""
        policy = self._policy(c, batch)
        if policy is not None:
            self._refresh_final_double(c, batch, candidate_no, policy)
            return
        c.execute(REFRESH_FINAL, {"batch": batch, "candidate_no": candidate_no, "now": now()})

    def has_marks(self, batch: str, *, flags: bool = True) -> bool:
        """True when ``batch`` has any mark (or, with ``flags``, any absent/void flag)."""
        sql = "SELECT EXISTS (SELECT 1 FROM marks WHERE batch = :b AND value IS NOT NULL)"
        if flags:
            sql += " OR EXISTS (SELECT 1 FROM flags WHERE batch = :b AND flag IS NOT NULL)"
        return bool(self._rows(sql, {"b": batch})[0][0])

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
        """Every stored mark of ``batch`` (all rounds, cleared ones included) with its grader, time and version,
        and whether its item is auto-scored (the theory paper, imported from the answer key)."""
        return self._frame(
            "SELECT m.candidate_no, m.item_id, r.section, m.marking_round, m.value, r.max, m.version, m.grader, "
            "m.updated_at, r.auto_scored FROM marks m JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
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
                "auto_scored": pl.Boolean,
            },
        )

    def item_marks(self, batch: str) -> pl.DataFrame:
        """Item marks (long) of candidates whose paper counts (graded or void): ``candidate_no, item_id, section, mark, max``."""
        with self._lock:
            policy = self._policy(self._conn, batch)
            if policy is not None:
                return self._item_marks_double(batch, policy)
        return self._frame(
            "SELECT m.candidate_no, m.item_id, r.section, m.value, r.max FROM marks m "
            "JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
            "JOIN final_scores s ON s.batch = m.batch AND s.candidate_no = m.candidate_no "
            "WHERE m.batch = ? AND m.marking_round = 1 AND m.value IS NOT NULL AND s.status IN ('graded', 'void') "
            "ORDER BY m.candidate_no, r.position",
            (batch,),
            ITEM_MARKS_SCHEMA,
        )

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
        frame = self.audit(batch).rename({col: t(f"gradebook.col_{col}") for col in AUDIT_SCHEMA})
        return write_export(frame, path, t("gradebook.audit_sheet"))


def write_export(frame: pl.DataFrame, path: str | os.PathLike, sheet: str) -> Path:
    """Write ``frame`` atomically as ``.csv`` (UTF-8 BOM, opens in Excel) or ``.xlsx`` (one ``sheet``), by suffix.

    Any other suffix is refused (``GradebookError``) before anything is written.
    """
    p = Path(path)
    if p.suffix.lower() == ".csv":
        write_csv(frame, p)
    elif p.suffix.lower() == ".xlsx":
        write_xlsx({sheet: frame}, p)
    else:
        raise GradebookError(t("gradebook.bad_export", file=str(p), accepted=".csv, .xlsx"))
    return p
