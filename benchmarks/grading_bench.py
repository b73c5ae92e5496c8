"""Grading: time to save one mark with its audit row, and to open the grading form on a batch.

Runs in one fresh process (``benchmarks.child grading``): a new gradebook file (durable: every
commit synced to disk, the default), one batch of generated candidates registered, then
``saves`` marks saved one at a time through ``Gradebook.save_mark`` (each is its own
transaction; the database writes the audit row), then the form opened and marks typed into it.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from benchmarks.measure import percentile

BATCH = "2023-01"


def typed_registrations(reg_file: Path):
    """The typed registrations frame of a generated batch, through examkit's own validation."""
    from benchmarks.ekit import load_registrations_frame

    return load_registrations_frame([reg_file])


def run(args: dict, stages: dict[str, float]) -> dict:
    import ipywidgets  # noqa: F401  (import cost is not part of opening the form)

    from benchmarks.synth import generate
    from examkit.notebook.widgets import GradingForm
    from examkit.store.gradebook import Gradebook

    work = Path(args["work"])
    candidates = int(args.get("candidates", 1000))
    saves = int(args.get("saves", 1000))
    form_saves = int(args.get("form_saves", 200))
    opens = int(args.get("opens", 5))
    year = generate(work / "data", candidates, batches=[BATCH])
    regs = typed_registrations(year.registration_files[0])
    stages["_start"] = time.perf_counter()
    path = work / "gradebook.sqlite"
    for p in work.glob("gradebook.sqlite*"):
        p.unlink()
    gb = Gradebook(path)
    t0 = time.perf_counter()
    gb.register(regs)
    stages["register"] = time.perf_counter() - t0
    rubric = gb.rubric(BATCH)
    items = list(rubric.items)
    cands = gb.candidates(BATCH)["candidate_no"].to_list()
    rng = random.Random(7)
    audit_before = gb.audit(BATCH).height

    def value(item) -> float:
        return rng.randrange(int(item.max / item.step) + 1) * item.step

    save_times: list[float] = []
    for i in range(saves):
        cand, item = cands[i % len(cands)], items[(i // len(cands)) % len(items)]
        version = gb.mark(BATCH, cand, item.id).version  # what the form read (not timed)
        v = value(item)
        start = time.perf_counter()
        gb.save_mark(BATCH, cand, item.id, v, grader="bench", expected_version=version)
        save_times.append(time.perf_counter() - start)
    audit_rows = gb.audit(BATCH).height - audit_before

    open_times: list[float] = []
    form = None
    for _ in range(opens):
        start = time.perf_counter()
        form = GradingForm(gb, BATCH, grader="bench")
        open_times.append(time.perf_counter() - start)

    form_times: list[float] = []
    form_saved = 0
    assert form is not None
    for i in range(form_saves):
        cand = cands[(i * 7) % len(cands)]
        form.load(cand)
        item = items[i % len(items)]
        old = form.inputs[item.id].value
        v = value(item)
        text = f"{v:g}"
        if text == old:
            v = item.max if v != item.max else 0.0
            text = f"{v:g}"
        start = time.perf_counter()
        form.inputs[item.id].value = text  # what typing a mark and pressing Enter does
        form_times.append(time.perf_counter() - start)
        form_saved += gb.mark(BATCH, cand, item.id).value == v
    gb.close()
    return {
        "candidates": len(cands),
        "saves": saves,
        "audit_rows": audit_rows,
        "save_median_ms": statistics.median(save_times) * 1000,
        "save_p99_ms": percentile(save_times, 0.99) * 1000,
        "save_max_ms": max(save_times) * 1000,
        "open_first_s": open_times[0],
        "open_median_s": statistics.median(open_times),
        "opens": opens,
        "form_saves": form_saves,
        "form_saved_ok": int(form_saved),
        "form_save_median_ms": statistics.median(form_times) * 1000,
        "form_save_p99_ms": percentile(form_times, 0.99) * 1000,
    }
