"""The runner's record of each batch (``outputs/<batch>/run.json``): what the index lists and what failed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Protocol

from examkit.io.write import atomic_write_text
from examkit.settings.params import BatchParams

RUN_RECORD = "run.json"


class NotebookOutcome(Protocol):
    """What a record keeps of one notebook's run."""

    notebook: str
    ok: bool
    error: str | None


def write_run_record(out: Path, params: BatchParams, results: list[NotebookOutcome]) -> Path:
    """``out/<batch>/run.json``: which params file produced the batch's reports, and what failed."""
    record = {
        "batch": params.batch,
        "params_file": str(params.file),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "notebooks": {r.notebook: {"ok": r.ok, "error": r.error} for r in results},
    }
    target = out / params.batch / RUN_RECORD
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(record, ensure_ascii=False, indent=1))
    return target


def run_records(out: Path) -> list[dict]:
    """Every batch's run record under ``out`` (batches run earlier stay on the index)."""
    records = []
    for f in sorted(Path(out).glob(f"*/{RUN_RECORD}")):
        try:
            records.append(json.loads(f.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    return records
