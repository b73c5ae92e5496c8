"""Double marking in the gradebook: rounds 1 and 2 by two graders, round 3 by an arbiter (``examkit.analysis.agreement``).

``DoubleMarkingMixin`` is part of ``examkit.store.gradebook.Gradebook`` (the only code that touches the
database); it uses the gradebook's transaction and query helpers (``_write``, ``_rows``, ``_frame``,
``_require_candidate``, ``_refresh_final``, ``results``). A batch switched on here has final scores
following the recorded tolerance and rule; flags still win.
"""

from __future__ import annotations

import sqlite3

import polars as pl

from examkit.core.double_marking import DoubleMarkingPolicy, resolve
from examkit.core.exceptions import GradebookError
from examkit.core.i18n import t
from examkit.core.rubric import Item
from examkit.store.schema import ITEM_MARKS_SCHEMA, now, require_actor

ROUNDS = ((1, "first"), (2, "second"), (3, "third"))  # marking round → its column in round totals


class DoubleMarkingMixin:
    """Double-marking policy, round totals, who marks which round, and double-marked final scores."""

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
        actor = require_actor(actor)
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

    def _round_totals(self, batch: str, candidate_no: str | None = None) -> pl.DataFrame:
        """Per candidate: each round's total (null until the round is complete) and its grader.

        A round is complete when its grader has marked every item that is not auto-scored; auto-scored
        items (the senior theory paper) are stored in round 1 and count in every round's total.
        """
        n_manual, n_auto = self._rows(
            "SELECT coalesce(sum(auto_scored = 0), 0), coalesce(sum(auto_scored = 1), 0) FROM rubric_items "
            "WHERE batch = ?",
            (batch,),
        )[0]
        args = {"b": batch, "c": candidate_no}
        cands = self._frame(
            "SELECT candidate_no FROM candidates WHERE batch = :b AND (:c IS NULL OR candidate_no = :c)",
            args,
            {"candidate_no": pl.String},
        )
        marks = self._frame(
            "SELECT m.candidate_no, m.marking_round, r.auto_scored, m.value, m.grader, m.updated_at FROM marks m "
            "JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
            "WHERE m.batch = :b AND (:c IS NULL OR m.candidate_no = :c) AND m.value IS NOT NULL",
            args,
            {
                "candidate_no": pl.String,
                "round": pl.Int64,
                "auto": pl.Int64,
                "value": pl.Float64,
                "grader": pl.String,
                "at": pl.String,
            },
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
        for rnd, name in ROUNDS:
            part = rounds.filter(pl.col("round") == rnd).select(
                "candidate_no", pl.col("total").alias(name), pl.col("grader").alias(f"{name}_grader")
            )
            out = out.join(part, on="candidate_no", how="left")
        return out.sort("candidate_no")

    def round_totals(self, batch: str) -> pl.DataFrame:
        """Double marking: ``candidate_no, first, second, third`` (round totals, null until complete) and each
        round's grader (``first_grader``…). Feed it to ``examkit.analysis.agreement.resolve`` / ``agreement``."""
        with self._lock:
            return self._round_totals(batch)

    def _round_state(self, batch: str, candidate_no: str, policy: DoubleMarkingPolicy) -> tuple[dict[int, str], str]:
        """(round → grader, resolved status) of one candidate."""
        row = resolve(self._round_totals(batch, candidate_no), policy).row(0, named=True)
        owners = {rnd: row[f"{name}_grader"] for rnd, name in ROUNDS if row[f"{name}_grader"] is not None}
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
        owners, status = self._round_state(batch, candidate_no, policy)
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
        grader = require_actor(grader)
        with self._lock:
            policy = self._policy(self._conn, batch)
            if policy is None:
                return 1
            self._require_candidate(self._conn, batch, candidate_no)
            owners, status = self._round_state(batch, candidate_no, policy)
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
            flagged = self._frame(
                "SELECT candidate_no FROM flags WHERE batch = ? AND flag IS NOT NULL",
                (batch,),
                {"candidate_no": pl.String},
            )
            if policy is None:
                res = self.results(batch).filter(pl.col("status") == "ungraded")
                return res.join(flagged, on="candidate_no", how="anti").get_column("candidate_no").to_list()
            r = resolve(self._round_totals(batch), policy).join(flagged, on="candidate_no", how="anti")
        me = pl.lit(str(grader or "").strip())
        unfinished = pl.lit(False)
        owns = pl.lit(False)
        for _, name in ROUNDS:
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
        """Final scores of a double-marked batch: flags win; else the resolved final (examkit.analysis.agreement)."""
        resolved = resolve(self._round_totals(batch, candidate_no), policy)
        flags = self._frame(
            "SELECT candidate_no, flag FROM flags WHERE batch = :b AND (:c IS NULL OR candidate_no = :c)",
            {"b": batch, "c": candidate_no},
            {"candidate_no": pl.String, "flag": pl.String},
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

    def _item_marks_double(self, batch: str, policy: DoubleMarkingPolicy) -> pl.DataFrame:
        """Item marks of a double-marked batch: each item weighted over the rounds the final rule counts."""
        weights = (
            resolve(self._round_totals(batch), policy)
            .filter(pl.col("final").is_not_null())
            .select("candidate_no", *(f"w_{name}" for _, name in ROUNDS))
        )
        marks = self._frame(
            "SELECT m.candidate_no, m.item_id, r.section, r.position, m.marking_round, r.auto_scored, m.value, "
            "r.max FROM marks m JOIN rubric_items r ON r.batch = m.batch AND r.item_id = m.item_id "
            "JOIN final_scores s ON s.batch = m.batch AND s.candidate_no = m.candidate_no "
            "WHERE m.batch = ? AND m.value IS NOT NULL AND s.status IN ('graded', 'void')",
            (batch,),
            {
                "candidate_no": pl.String,
                "item_id": pl.String,
                "section": pl.String,
                "position": pl.Int64,
                "round": pl.Int64,
                "auto": pl.Int64,
                "value": pl.Float64,
                "max": pl.Float64,
            },
        )
        # auto-scored items (stored in round 1) count once; others by the weight of their round
        weight = pl.when(pl.col("auto") == 1).then((pl.col("round") == 1).cast(pl.Float64))
        for rnd, name in ROUNDS:
            weight = weight.when(pl.col("round") == rnd).then(pl.col(f"w_{name}"))
        return (
            marks.join(weights, on="candidate_no", how="inner")
            .with_columns(weight.otherwise(0.0).alias("w"))
            .filter(pl.col("w") > 0)
            .group_by("candidate_no", "item_id", "section", "position", "max")
            .agg((pl.col("value") * pl.col("w")).sum().round(2).alias("mark"))
            .sort("candidate_no", "position")
            .select(list(ITEM_MARKS_SCHEMA))
            .cast(ITEM_MARKS_SCHEMA)
        )
