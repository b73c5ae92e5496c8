"""Publicity and review requests (复核) in the gradebook (R11): publish and freeze a batch, record and decide requests.

``PublicityMixin`` is part of ``examkit.store.gradebook.Gradebook`` (the only code that touches the
database); it uses the gradebook's transaction and query helpers (``_write``, ``_rows``, ``_frame``,
``_require_candidate``, ``apply``, ``rubric``, ``results``, ``candidates``). A published batch's marks,
flags and final scores change only through an open review request (source ``REVIEW_SOURCE``); the
database triggers enforce it, ``_check_frozen`` says so in words first.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING

import polars as pl

from examkit.core.exceptions import GradebookError, PublicityError
from examkit.core.grading import check_mark
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.core.publicity import PublicityPeriod, Review, stage_of
from examkit.core.rubric import Rubric, header_key
from examkit.store.schema import REVIEW_SOURCE, now, require_actor

if TYPE_CHECKING:
    from examkit.core.publicity import PublicityPeriod, Review, Stage


class PublicityMixin:
    """Publish and freeze a batch, record and decide review requests, issue and list certificates."""

    def publication(self, batch: str) -> PublicityPeriod | None:
        """The publicity period ``batch`` was published with, or None while it is still being graded."""
        rows = self._rows("SELECT published_on, publicity_days FROM publications WHERE batch = ?", (batch,))
        return PublicityPeriod(dt.date.fromisoformat(rows[0][0]), int(rows[0][1])) if rows else None

    def publish(self, batch: str, on: dt.date, *, days: int, by: str) -> PublicityPeriod:
        """Publish ``batch`` on ``on`` for ``days`` days: its marks and flags are frozen from now on.

        Publishing again on the same date changes nothing; another date, or a batch with ungraded
        candidates, is refused (``PublicityError``).
        """
        by = require_actor(by)
        with self._write() as c:
            done = self.publication(batch)
            if done is not None:
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
            return self.publication(batch)

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
        requested_by, recorded_by = require_actor(requested_by), require_actor(recorded_by)
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
            status, total = self._final(batch, candidate_no)
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
        decided_by = require_actor(decided_by)
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
            status, total = self._final(batch, review.candidate_no)
            changed = status != review.old_status or total != review.old_total
            c.execute(
                "UPDATE review_requests SET outcome = ?, new_status = ?, new_total = ?, decided_by = ?, decided_at = ? "
                "WHERE id = ? AND outcome IS NULL",
                ("changed" if changed else "unchanged", status, total, decided_by, now(), review_id),
            )
        return self._review(batch, review_id)

    def _final(self, batch: str, candidate_no: str) -> tuple[str, float | None]:
        """A candidate's final status and total as stored now."""
        return self._rows(
            "SELECT status, total FROM final_scores WHERE batch = ? AND candidate_no = ?", (batch, candidate_no)
        )[0]

    def _review(self, batch: str, review_id: int) -> Review:
        found = [r for r in self.reviews(batch) if r.id == int(review_id)]
        if not found:
            raise PublicityError(t("publicity.no_review", batch=batch, id=review_id))
        return found[0]

    def reviews(self, batch: str) -> list[Review]:
        """The review requests of ``batch``, oldest first, with their outcomes once decided."""
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
        run = self._rows("SELECT min(issued_on) FROM certificate_runs WHERE batch = ?", (batch,))[0][0]
        issued = self._rows("SELECT count(*) FROM certificates WHERE batch = ?", (batch,))[0][0]
        return stage_of(
            self.publication(batch), day, issued_on=dt.date.fromisoformat(run) if run else None, issued=int(issued)
        )


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
