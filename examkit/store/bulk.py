"""Bulk writes to the gradebook: many marks and flags in ONE transaction (score sheets, the demo, reviews).

``BulkWriteMixin`` is part of ``examkit.store.gradebook.Gradebook`` (the only code that touches the
database); it uses the gradebook's ``_write``, ``_frame``, ``has_marks``, ``_check_frozen`` and
``_refresh_final``. Every changed row gets its audit row from the triggers, like a single save.
"""

from __future__ import annotations

import polars as pl

from examkit.core.exceptions import GradebookError, OverwriteRefused
from examkit.core.grading import FLAGS
from examkit.core.i18n import label, t
from examkit.store.schema import Applied, now, require_actor


class BulkWriteMixin:
    """``apply``: write a frame of marks and flags all or nothing."""

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
        overwrite: bool = True,
    ) -> Applied:
        """Write many marks and flags in ONE transaction (all or nothing), each change with its audit row.

        ``marks``: ``candidate_no``, ``item_id``, ``mark`` (nulls are skipped: a blank cell changes nothing).
        ``flags``: ``candidate_no``, ``flag`` (``absent`` / ``void`` / null = no flag).
        Unchanged values write nothing. With ``only_if_empty`` nothing is written when the batch
        already has a mark or flag (``Applied.skipped``). With ``overwrite=False`` a write that would
        change a stored mark or flag is refused (``OverwriteRefused`` listing them); new marks are fine.
        Invalid rows raise ``GradebookError``.
        """
        grader = require_actor(grader)
        m = marks.select(
            pl.col("candidate_no").cast(pl.String), pl.col("item_id").cast(pl.String), pl.col("mark").cast(pl.Float64)
        ).filter(pl.col("mark").is_not_null())
        f = (
            flags.select(pl.col("candidate_no").cast(pl.String), pl.col("flag").cast(pl.String))
            if flags is not None
            else pl.DataFrame(schema={"candidate_no": pl.String, "flag": pl.String})
        )
        with self._write() as c:
            if only_if_empty and self.has_marks(batch, flags=True):
                return Applied(skipped=True)
            stamp = now()  # inside the write lock: audit times follow commit order
            self._check_bulk(batch, m, f)
            if not overwrite:
                self._refuse_overwrite(batch, m, f)
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

    def _check_bulk(self, batch: str, m: pl.DataFrame, f: pl.DataFrame) -> None:
        """Refuse a bulk write naming an unknown candidate or item, an invalid mark or flag, or a duplicate."""
        known = self._frame(
            "SELECT candidate_no FROM candidates WHERE batch = ?", (batch,), {"candidate_no": pl.String}
        )
        items = self._frame(
            "SELECT item_id, max, step FROM rubric_items WHERE batch = ?",
            (batch,),
            {"item_id": pl.String, "max": pl.Float64, "step": pl.Float64},
        )
        # all or nothing, and every offending row in the one message (not just the first)
        stray = pl.concat([m.select("candidate_no"), f.select("candidate_no")]).join(
            known, on="candidate_no", how="anti"
        )
        if stray.height:
            names = stray.get_column("candidate_no").unique(maintain_order=True).to_list()
            raise GradebookError(
                t(
                    "gradebook.unknown_candidates",
                    file=str(self.path),
                    batch=batch,
                    n=len(names),
                    values="、".join(names),
                )
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
            marks = [
                t("gradebook.bad_bulk_mark_one", candidate=c, item=i, value=f"{v:g}")
                for c, i, v in bad.select("candidate_no", "item_id", "mark").iter_rows()
            ]
            raise GradebookError(t("gradebook.bad_bulk_marks", batch=batch, n=len(marks), marks="；".join(marks)))
        if (
            m.select(pl.struct("candidate_no", "item_id").is_duplicated().any()).item()
            or f.get_column("candidate_no").is_duplicated().any()
        ):
            raise GradebookError(t("gradebook.duplicate_bulk", batch=batch))
        badflag = f.filter(pl.col("flag").is_not_null() & ~pl.col("flag").is_in(list(FLAGS)))
        if badflag.height:
            raise GradebookError(t("gradebook.bad_flag", value=badflag.item(0, 1), accepted=", ".join(FLAGS)))

    def _refuse_overwrite(self, batch: str, m: pl.DataFrame, f: pl.DataFrame) -> None:
        """Raise ``OverwriteRefused`` when ``m`` / ``f`` would change a stored (non-empty) mark or flag."""
        stored_marks = self._frame(
            "SELECT candidate_no, item_id, value FROM marks WHERE batch = ? AND marking_round = 1 AND value IS NOT NULL",
            (batch,),
            {"candidate_no": pl.String, "item_id": pl.String, "stored": pl.Float64},
        )
        stored_flags = self._frame(
            "SELECT candidate_no, flag FROM flags WHERE batch = ? AND flag IS NOT NULL",
            (batch,),
            {"candidate_no": pl.String, "stored": pl.String},
        )
        flag_names = {flag: label(flag) for flag in FLAGS}
        shown = [
            pl.col(c).cast(pl.String).str.replace(r"\.0$", "").replace(flag_names).fill_null("—")
            for c in ("stored", "incoming")
        ]
        conflicts = pl.concat(
            [
                m.join(stored_marks, on=["candidate_no", "item_id"], how="inner")
                .filter(pl.col("mark") != pl.col("stored"))
                .select("candidate_no", "item_id", pl.col("stored"), pl.col("mark").alias("incoming"))
                .with_columns(shown),
                f.join(stored_flags, on="candidate_no", how="inner")
                .filter(pl.col("flag").ne_missing(pl.col("stored")))
                .select(
                    "candidate_no", pl.lit(None, pl.String).alias("item_id"), "stored", pl.col("flag").alias("incoming")
                )
                .with_columns(shown),
            ]
        ).sort("candidate_no", "item_id", nulls_last=True)
        if conflicts.height:
            examples = conflicts.head(3).select(
                pl.concat_str(
                    pl.col("candidate_no"),
                    pl.lit(" "),
                    pl.col("item_id").fill_null(t("gradebook.flag_word")),
                    pl.lit(": "),
                    pl.col("stored"),
                    pl.lit(" → "),
                    pl.col("incoming"),
                )
            )
            raise OverwriteRefused(
                t(
                    "gradebook.overwrite_refused",
                    batch=batch,
                    n=conflicts.height,
                    examples="; ".join(examples.to_series().to_list()),
                ),
                conflicts=conflicts,
            )
