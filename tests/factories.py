"""Builders shared by the tests: contract frames by hand, a small graded gradebook, the demo year's project folder.

The schemas and headers here are spelled out from the data contracts on purpose, not imported
from examkit, so that a test built on them fails when the package drifts from the contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from examkit.demo.generate import DemoYear
    from examkit.store.gradebook import Gradebook

# --------------------------------------------------------------------------- registrations

# The typed registrations frame after validation (the canonical data contract).
REG_SCHEMA = {
    "_row": pl.Int64,
    "candidate_no": pl.String,
    "name": pl.String,
    "id_number": pl.String,
    "candidate_type": pl.String,
    "school_code": pl.String,
    "school_name": pl.String,
    "province": pl.String,
    "site_code": pl.String,
    "batch": pl.String,
    "level": pl.String,
    "registered_on": pl.Date,
    "phone": pl.String,
    "file": pl.String,
}
# The headers a site's registration sheet carries, in the usual order.
REG_HEADERS = [
    "考生号",
    "姓名",
    "身份证号",
    "考生类型",
    "院校代码",
    "院校名称",
    "省份",
    "考点代码",
    "批次",
    "等级",
    "报名日期",
    "手机号",
]


def typed_registrations(rows: list[dict], **defaults: object) -> pl.DataFrame:
    """A typed registrations frame; row ``i`` is a default candidate, then ``defaults``, then the row's own values.

    The default candidate: ``_row`` i + 2 (below the header), ``candidate_no`` C0000…, a pilot student
    of school 03107 (浙江省) sitting batch 2023-01 (junior) at the school, registered on 2023-03-20.
    """
    out = []
    for i, row in enumerate(rows):
        base = {
            "_row": i + 2,
            "candidate_no": f"C{i:04d}",
            "name": "某某",
            "id_number": f"1101011990010{i:05d}",
            "candidate_type": "pilot_student",
            "school_code": "03107",
            "school_name": "甲校",
            "province": "浙江省",
            "site_code": "03107",
            "batch": "2023-01",
            "level": "junior",
            "registered_on": dt.date(2023, 3, 20),
            "phone": None,
            "file": "reg.xlsx",
        }
        out.append({**base, **defaults, **row})
    return pl.DataFrame(out, schema=REG_SCHEMA)


# --------------------------------------------------------------------------- a small graded gradebook

GRADED_BATCH = "2023-01"  # junior: items J1..J6, maxima 20, 15, 20, 15, 15, 15, step 0.5

# totals: C001 = 60 (pass), C002 = 59.5 (fail, near the line), C003 = 45 (fail)
MARKS = {
    "C001": {"J1": 12, "J2": 9, "J3": 12, "J4": 9, "J5": 9, "J6": 9},
    "C002": {"J1": 12, "J2": 9, "J3": 12, "J4": 9, "J5": 9, "J6": 8.5},
    "C003": {"J1": 9, "J2": 7, "J3": 9, "J4": 7, "J5": 7, "J6": 6},
}


def registrations(n: int, batch: str = GRADED_BATCH, prefix: str = "C", ids_from: int = 1) -> pl.DataFrame:
    """``n`` pilot students of 44001 (广东省) for the gradebook: C001…, ID numbers 44010620000101001X…"""
    return pl.DataFrame(
        {
            "candidate_no": [f"{prefix}{i:03d}" for i in range(1, n + 1)],
            "name": [f"考生{i}" for i in range(1, n + 1)],
            "id_number": [f"44010620000101{i:03d}X" for i in range(ids_from, ids_from + n)],
            "candidate_type": ["pilot_student"] * n,
            "school_code": ["44001"] * n,
            "school_name": ["广州南方职业技术学院"] * n,
            "province": ["广东省"] * n,
            "site_code": ["44001"] * n,
            "batch": [batch] * n,
            "level": ["junior"] * n,
        }
    )


def marks_frame(marks: dict[str, dict[str, float]]) -> pl.DataFrame:
    """{candidate: {item: mark}} → the long marks frame ``Gradebook.apply`` takes."""
    rows = [(c, i, float(v)) for c, items in marks.items() for i, v in items.items()]
    return pl.DataFrame(
        rows, schema={"candidate_no": pl.String, "item_id": pl.String, "mark": pl.Float64}, orient="row"
    )


def graded_gradebook(path: Path, batch: str = GRADED_BATCH) -> Gradebook:
    """A fresh gradebook at ``path``: C001–C003 of ``batch`` marked as in ``MARKS``, C004 absent (caller closes it)."""
    from examkit.store.gradebook import Gradebook

    g = Gradebook(path, durable=False)
    g.register(registrations(4, batch=batch))
    g.apply(batch, marks_frame(MARKS), pl.DataFrame({"candidate_no": ["C004"], "flag": ["absent"]}), grader="王老师")
    return g


# --------------------------------------------------------------------------- the demo year


@dataclass(frozen=True)
class DemoProject:
    """A project folder holding the generated demo year: ``params/`` and ``data/demo/`` (inputs and gradebook)."""

    root: Path
    year: DemoYear

    @property
    def params(self) -> Path:
        return self.root / "params"

    @property
    def data(self) -> Path:
        return self.root / "data" / "demo"

    def batch_params(self) -> list[Path]:
        """Every batch's params file, in batch order."""
        return sorted(self.params.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].yaml"))

    def copy_to(self, target: Path) -> DemoProject:
        """A writable copy of the whole project under ``target`` (the params' relative paths follow it)."""
        shutil.copytree(self.root, target)
        return replace(self, root=target)


def make_demo_project(root: Path) -> DemoProject:
    """Generate the demo year (inputs, gradebook, planted mistakes) into the new project folder ``root``."""
    from examkit.demo import prepare_project, write_demo

    params = prepare_project(root)
    year = write_demo(root / "data" / "demo", params_dir=params)
    return DemoProject(root, year)


def _content(path: Path) -> bytes:
    """A file's bytes; for a SQLite database its SQL dump (idempotent writes and checkpoints don't count)."""
    if path.suffix != ".sqlite":
        return path.read_bytes()
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump()).encode("utf-8")
    finally:
        conn.close()


def tree_digest(root: Path) -> dict[str, str]:
    """SHA-256 of the content of every file under ``root`` (SQLite's transient side files and the input
    store, a cache the reports fill, left out)."""
    transient = ("-wal", "-shm", "-journal")
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(_content(p)).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(transient) and p.relative_to(root).parts[0] != "store"
    }
