"""The demo year graded through the gradebook API (owned by the gradebook work).

No side door: candidates are registered with ``Gradebook.register`` and the marks enter from
the demo's paper score sheets (``data/demo/scores/<batch>.xlsx``), read and checked by the
score-sheet reader and written with ``Gradebook.apply`` (one transaction per grader), exactly as
a site that grades on paper would. Each exam site's papers are marked by one of two demo
graders, so the grading report has graders to compare.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from examkit.core.exceptions import ValidationFailed
from examkit.demo.generate import DemoYear
from examkit.intake.scoresheet import read_scores
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook
from examkit.store.scores import ScoreImport

DEMO_GRADERS = ("演示评分员甲", "演示评分员乙")
GRADEBOOK_NAME = "gradebook.sqlite"
_SIDE_FILES = ("-wal", "-shm", "-journal")


def demo_candidates(demo: DemoYear) -> pl.DataFrame:
    """The demo's registered candidates as a registrations frame, without those validation excludes."""
    excluded = {
        (p.get("batch"), p.get("candidate_no")) for p in demo.planted.get("registrations", []) if p.get("excluded")
    }
    rows = [
        {
            "candidate_no": c.candidate_no,
            "name": c.name,
            "id_number": c.id_number,
            "candidate_type": c.candidate_type,
            "school_code": c.school_code or None,
            "school_name": c.school_name or None,
            "province": c.province,
            "site_code": c.site_code,
            "batch": b,
            "level": c.level,
        }
        for b, cands in demo.registrations.items()
        for c in cands
        if (b, c.candidate_no) not in excluded
    ]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String) if rows else None)
    # hand-typed numbers in planted rows: compare them as the score sheet reader does
    return frame.with_columns(pl.col("candidate_no").str.normalize("NFKC").str.strip_chars()).unique(
        subset=["batch", "candidate_no"], keep="first", maintain_order=True
    )


def _graders(registered: pl.DataFrame) -> pl.DataFrame:
    """Which demo grader marks each candidate: exam sites in turn (``candidate_no``, ``grader``)."""
    sites = registered.get_column("site_code").unique().sort()
    turn = pl.DataFrame(
        {"site_code": sites, "grader": [DEMO_GRADERS[i % len(DEMO_GRADERS)] for i in range(sites.len())]}
    )
    return registered.join(turn, on="site_code", how="left").select("candidate_no", "grader")


def _remove(path: Path) -> None:
    for suffix in ("", *_SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def grade_demo(data_dir: Path, demo: DemoYear, params_dir: Path | None = None) -> Path:
    """Build ``data_dir/gradebook.sqlite`` for the freshly generated demo year; returns its path.

    The demo's gradebook is rebuilt from scratch (in a temporary file, then moved into place) because
    the whole demo year has just been regenerated; real gradebooks are never rebuilt or cleared.
    """
    data_dir = Path(data_dir)
    target = data_dir / GRADEBOOK_NAME
    building = data_dir / f".{GRADEBOOK_NAME}.building"
    _remove(building)
    rubrics = {lv: load_rubric(lv, params_dir) for lv in demo.notice.levels}
    frame = demo_candidates(demo)
    with Gradebook(building, durable=False) as gb:
        for b in demo.notice.batches:
            registered = frame.filter(pl.col("batch") == b.id)
            gb.register(registered, rubrics=rubrics)
            path = data_dir / "scores" / f"{b.id}.xlsx"
            sheet = read_scores(
                path, b.id, gb.rubric(b.id), registered.get_column("candidate_no"), params_dir=params_dir
            )
            if not sheet.ok:
                raise ValidationFailed(ScoreImport(sheet, None).summary(), sheet.findings)
            graders = _graders(registered)
            for name in DEMO_GRADERS:
                mine = graders.filter(pl.col("grader") == name).select("candidate_no")
                gb.apply(
                    b.id,
                    sheet.marks.join(mine, on="candidate_no", how="semi"),
                    sheet.flags.join(mine, on="candidate_no", how="semi"),
                    grader=name,
                    source=f"import:{path.name}",
                )
    _remove(target)  # a stale -wal beside a replaced database would corrupt it
    os.replace(building, target)
    return target
