"""A batch in the gradebook: the rubric it is graded with, and its registered candidates.

``BatchSetupMixin`` is part of ``examkit.store.gradebook.Gradebook`` (the only code that touches the
database); it uses the gradebook's ``_write``, ``_rows``, ``_frame`` and ``_refresh_final``. A batch
records the hash of its rubric and refuses a different rubric once marks exist.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from examkit.core.exceptions import GradebookError, RubricError
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.core.rubric import Item, Rubric, Section
from examkit.settings.rubrics import load_rubric
from examkit.store.schema import CANDIDATE_COLUMNS, now

_ITEM_COLUMNS = "item_id, name_zh, name_en, max, step, section, auto_scored"  # the order of ``Item``'s fields


def _item_of(row: tuple) -> Item:
    return Item(*row[:6], bool(row[6]))


class BatchSetupMixin:
    """Batches and their rubrics, candidates, rubric items."""

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
        recorded = self.rubric_hash(batch)
        if recorded == rubric.sha256:
            return False
        self._check_rubric(batch, recorded, rubric)
        stamp = now()
        if recorded is not None:
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

    def _check_rubric(self, batch: str, recorded: str | None, rubric: Rubric) -> None:
        """Refuse (``RubricError``) ``rubric`` for a batch holding marks under the ``recorded`` one.

        Any mark row counts (a cleared mark still has its history): the batch's rubric is then fixed.
        """
        if recorded in (None, rubric.sha256):
            return
        if self._rows("SELECT EXISTS (SELECT 1 FROM marks WHERE batch = ?)", (batch,))[0][0]:
            raise RubricError(
                t("rubric.changed", batch=batch, recorded=recorded[:12], new=rubric.sha256[:12], file=str(rubric.file))
            )

    def check_rubric(self, batch: str, rubric: Rubric) -> None:
        """Raise ``RubricError`` if ``batch`` has marks under a rubric other than ``rubric``."""
        self._check_rubric(batch, self.rubric_hash(batch), rubric)

    def rubric(self, batch: str) -> Rubric:
        """The rubric recorded for ``batch`` (the one its marks were entered with)."""
        head = self._rows(
            "SELECT level, rubric_status, rubric_sha256, rubric_file FROM batches WHERE batch = ?", (batch,)
        )
        if not head:
            raise GradebookError(t("gradebook.unknown_batch", file=str(self.path), batch=batch))
        level, status, sha, file = head[0]
        rows = self._rows(
            f"SELECT {_ITEM_COLUMNS}, section_zh, section_en FROM rubric_items WHERE batch = ? ORDER BY position",
            (batch,),
        )
        sections: dict[str, Section] = {}
        for r in rows:
            sections.setdefault(r[5], Section(r[5], r[7], r[8], bool(r[6])))
        return Rubric(
            level=level,
            status=status,
            items=tuple(_item_of(r) for r in rows),
            sha256=sha,
            file=Path(file),
            sections=tuple(sections.values()),
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
            *[pl.col(c) if c in registrations.columns else pl.lit(None, pl.String).alias(c) for c in CANDIDATE_COLUMNS],
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
                f"INSERT INTO candidates (batch, {', '.join(CANDIDATE_COLUMNS)}, registered_at) "
                f"VALUES ({', '.join('?' * (len(CANDIDATE_COLUMNS) + 2))}) "
                "ON CONFLICT (batch, candidate_no) DO UPDATE SET "
                + ", ".join(f"{col} = excluded.{col}" for col in CANDIDATE_COLUMNS[1:])
                + " WHERE "
                + " OR ".join(f"candidates.{col} IS NOT excluded.{col}" for col in CANDIDATE_COLUMNS[1:]),
                [(*row, stamp) for row in frame.iter_rows()],
            )
            added = c.execute("SELECT count(*) FROM candidates").fetchone()[0] - before
            for b in batch_ids:
                self._refresh_final(c, b)
        return int(added)

    def candidates(self, batch: str) -> pl.DataFrame:
        """Registered candidates of ``batch`` (number, name, ID number, type, school, province, site, level)."""
        return self._frame(
            f"SELECT {', '.join(CANDIDATE_COLUMNS)} FROM candidates WHERE batch = ? ORDER BY candidate_no",
            (batch,),
            dict.fromkeys(CANDIDATE_COLUMNS, pl.String),
        )

    def _require_candidate(self, c: sqlite3.Connection, batch: str, candidate_no: str) -> None:
        if not c.execute(
            "SELECT 1 FROM candidates WHERE batch = ? AND candidate_no = ?", (batch, candidate_no)
        ).fetchone():
            raise GradebookError(t("gradebook.unknown_candidate", file=str(self.path), batch=batch, value=candidate_no))

    # ------------------------------------------------------------------ rubric items

    def _item(self, c: sqlite3.Connection, batch: str, item_id: str) -> Item:
        row = c.execute(
            f"SELECT {_ITEM_COLUMNS} FROM rubric_items WHERE batch = ? AND item_id = ?", (batch, item_id)
        ).fetchone()
        if not row:
            accepted = ", ".join(r[0] for r in c.execute("SELECT item_id FROM rubric_items WHERE batch = ?", (batch,)))
            raise GradebookError(t("gradebook.unknown_item", batch=batch, value=item_id, accepted=accepted or "-"))
        return _item_of(row)
