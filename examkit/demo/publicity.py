"""The demo year carried through publicity, review requests and certificates (through the gradebook API).

Every batch is published a fixed number of days after its exam (a demo choice), a few review
requests are planted (one re-mark flips a fail to a pass, one request arrives after the period
and is refused), and certificates are issued the day after each period ends. What was planted
is added to ``planted.json`` under ``reviews``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl

from examkit.core.exceptions import PublicityError
from examkit.demo.generate import DemoYear, write_json
from examkit.report.certificates import issue_batch
from examkit.report.publicity import publish_batch
from examkit.store.gradebook import Gradebook

DEMO_STAFF = "演示考务员"
DEMO_REVIEWER = "演示复核员"
PUBLISH_AFTER_EXAM_DAYS = 14  # demo choice: results published two weeks after the exam
FLIP_BATCH = "2023-01"  # the batch whose top near-line failer is re-marked to a pass
UNCHANGED_BATCHES = ("2023-02", "2023-06", "2023-13")  # a near-line failer asks; the re-check confirms the mark
LATE_BATCH = "2023-03"  # a request dated the day after the period: refused


def _near_line(results: pl.DataFrame, pass_mark: float) -> pl.DataFrame:
    """Graded failers, closest to the line first (ties by candidate number)."""
    return results.filter((pl.col("status") == "graded") & ~pl.col("passed")).sort(
        ["total", "candidate_no"], descending=[True, False]
    )


def _flip_marks(gb, batch: str, candidate_no: str, total: float, pass_mark: float) -> dict[str, float]:
    """Re-marked items raising ``total`` to exactly the pass mark or just above (a mis-added item found on review)."""
    need = pass_mark - total
    out: dict[str, float] = {}
    rubric = gb.rubric(batch)
    marks = gb.candidate_marks(batch, candidate_no)
    for item in rubric.items:
        if need <= 0:
            break
        current = marks[item.id].value or 0.0
        room = item.max - current
        if room <= 0:
            continue
        add = min(room, math.ceil(need / item.step) * item.step)
        out[item.id] = current + add
        need -= add
    return out


def publicize_demo(data_dir: Path, demo: DemoYear, params_dir: Path | None = None) -> list[dict]:
    """Publish every demo batch, plant review requests, issue certificates; returns what was planted."""
    data_dir = Path(data_dir)
    pass_mark = float(demo.notice.pass_mark)
    planted: list[dict] = []
    with Gradebook(data_dir / "gradebook.sqlite", durable=False) as gb:
        for b in demo.notice.batches:
            on = b.exam_date + dt.timedelta(days=PUBLISH_AFTER_EXAM_DAYS)
            period, _ = publish_batch(gb, b.id, on, by=DEMO_STAFF, params_dir=params_dir)
            failers = _near_line(gb.results(b.id), pass_mark)
            if b.id in (FLIP_BATCH, *UNCHANGED_BATCHES, LATE_BATCH) and failers.height:
                cand, total = failers.row(0)[0], float(failers.item(0, "total"))
                asked = period.first_day + dt.timedelta(days=2)
                if b.id == LATE_BATCH:
                    late = period.last_day + dt.timedelta(days=1)
                    try:
                        gb.request_review(b.id, cand, requested_by=cand, on=late, recorded_by=DEMO_STAFF)
                        refused = False
                    except PublicityError:
                        refused = True
                    planted.append({"batch": b.id, "candidate_no": cand, "requested_on": late, "refused": refused})
                else:
                    rid = gb.request_review(
                        b.id, cand, requested_by=cand, on=asked, recorded_by=DEMO_STAFF, reason="考生申请复核"
                    )
                    marks = _flip_marks(gb, b.id, cand, total, pass_mark) if b.id == FLIP_BATCH else {}
                    review = gb.decide_review(b.id, rid, marks=marks, decided_by=DEMO_REVIEWER, reason="复核")
                    # the year's final marks after review (the paper score sheet keeps the original ones)
                    if cand in demo.scores[b.id]:
                        demo.scores[b.id][cand]["marks"].update(marks)
                    planted.append(
                        {
                            "batch": b.id,
                            "candidate_no": cand,
                            "requested_on": asked,
                            "id": rid,
                            "old_total": review.old_total,
                            "new_total": review.new_total,
                            "outcome": review.outcome,
                            "flip": review.flip,
                        }
                    )
            issue_batch(gb, b.id, period.certificates_from, by=DEMO_STAFF, params_dir=params_dir)
    demo.planted["reviews"] = planted
    write_json(demo.planted, data_dir / "planted.json")
    return planted
