"""The demo's double-marked batch: a second grader for everyone, a few planted disagreements, arbitration.

Batches whose parameters say ``double_marking: true`` (2023-08) are double-marked: the paper score
sheet is the first marking; ``apply`` enters a second grader's marks through the gradebook (close to
the first, as two careful graders would be), plants a few totals further apart than the tolerance
(and one exactly at it, which still agrees), and has a third grader arbitrate them. ``plant`` returns the
same plan for ``planted.json`` before anything is written.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import polars as pl

from examkit.core.double_marking import resolve
from examkit.demo.generate import DemoYear
from examkit.report.double_marking import requested
from examkit.settings.params import load_batch_params
from examkit.settings.policy import load_double_marking
from examkit.settings.resources import settings_file
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook

SECOND_GRADER = "演示二评"
ARBITER = "演示仲裁"
SETTER = "演示教务"
N_DISAGREE = 4  # planted totals further apart than the tolerance
# The demo year ends published, and a batch with a candidate still waiting for a third grader cannot be
# published: every planted disagreement is arbitrated (the waiting state is covered by the tests).
N_ARBITRATED = N_DISAGREE


def double_marked(demo: DemoYear, params_dir: Path | None = None) -> list[str]:
    """Batches whose parameters file asks for double marking."""
    out = []
    for b in demo.notice.batches:
        path = settings_file(f"{b.id}.yaml", params_dir)
        if path.is_file() and requested(load_batch_params(path).values):
            out.append(b.id)
    return out


def _on_step(value: float, item) -> float:
    return min(item.max, max(0.0, round(value / item.step) * item.step))


def _rounds(demo: DemoYear, seed: int, batch_id: str, params_dir: Path | None) -> tuple[dict, dict, list[dict]]:
    """(second marks, third marks, planted) for one batch, deterministic from ``seed``."""
    rng = random.Random(f"{seed}-double-{batch_id}")
    rubric = load_rubric(demo.notice.batch(batch_id).level, params_dir)
    policy = load_double_marking(params_dir)
    items = [i for i in rubric.items if not i.auto_scored]
    excluded = {p.get("candidate_no") for p in demo.planted.get("registrations", []) if p.get("excluded")}
    marked = sorted(
        c
        for c, sc in demo.scores[batch_id].items()
        if sc["status"] in ("graded", "void") and c not in excluded and sc["marks"]
    )
    second: dict[str, dict[str, float]] = {}
    for cand in marked:
        first = demo.scores[batch_id][cand]["marks"]
        # two careful graders: each item within a point of the other (totals within the tolerance)
        second[cand] = {i.id: _on_step(first[i.id] + rng.choice((-1, -0.5, 0, 0, 0, 0.5, 1)), i) for i in items}
        total_diff = sum(second[cand][i.id] - first[i.id] for i in items)
        if abs(total_diff) > policy.tolerance:
            second[cand] = dict(first)
    third: dict[str, dict[str, float]] = {}
    planted: list[dict] = []
    picks = rng.sample(marked, k=min(N_DISAGREE + 1, len(marked)))
    for n, cand in enumerate(picks):
        first = demo.scores[batch_id][cand]["marks"]
        gap = policy.tolerance if n == N_DISAGREE else policy.tolerance + rng.choice((3, 5, 8))
        # move the second grader's items down (or up, if there is no room) until the totals are ``gap`` apart
        sign = -1 if sum(first[i.id] for i in items) >= gap else 1
        left, marks = gap, dict(first)
        for i in items:
            room = first[i.id] if sign < 0 else i.max - first[i.id]
            step = min(room, left)
            marks[i.id] = _on_step(first[i.id] + sign * step, i)
            left -= abs(marks[i.id] - first[i.id])
        second[cand] = {i.id: marks[i.id] for i in items}
        first_total = sum(first[i.id] for i in items)
        second_total = sum(second[cand][i.id] for i in items)
        entry = {"batch": batch_id, "candidate_no": cand, "first": first_total, "second": second_total}
        if n == N_DISAGREE:
            entry["expected"] = "agreed"  # exactly at the tolerance: still agreement
        elif n < N_ARBITRATED:
            third[cand] = {i.id: _on_step(first[i.id] - rng.choice((0, 0.5, 1)), i) for i in items}
            entry["third"] = sum(third[cand].values())
            entry["expected"] = "arbitrated"
        else:
            entry["expected"] = "awaiting_arbitration"
        planted.append(entry)
    return second, third, planted


def plant(demo: DemoYear, seed: int, params_dir: Path | None = None) -> list[dict]:
    """What ``apply`` will plant (for ``planted.json``): per disagreement, the totals and the expected status."""
    return [p for b in double_marked(demo, params_dir) for p in _rounds(demo, seed, b, params_dir)[2]]


def apply(data_dir: Path, demo: DemoYear, seed: int, params_dir: Path | None = None) -> None:
    """Switch double marking on and enter the second and third graders' marks through the gradebook."""
    batches = double_marked(demo, params_dir)
    if not batches:
        return
    with Gradebook(Path(data_dir) / "gradebook.sqlite", durable=False) as gb:
        for batch_id in batches:
            gb.set_double_marking(batch_id, load_double_marking(params_dir), actor=SETTER)
            second, third, _ = _rounds(demo, seed, batch_id, params_dir)
            for grader, rnd, marks in ((SECOND_GRADER, 2, second), (ARBITER, 3, third)):
                for cand, items in marks.items():
                    number = unicodedata.normalize("NFKC", cand).strip()  # as the score sheet import reads it
                    for item_id, value in items.items():
                        gb.save_mark(
                            batch_id, number, item_id, value, grader=grader, expected_version=0, marking_round=rnd
                        )
            _keep_final(demo, batch_id, second, third, load_double_marking(params_dir))


def _keep_final(demo: DemoYear, batch_id: str, second: dict, third: dict, policy) -> None:
    """Put the final item marks (the final rule's weights over the rounds) into the in-memory demo year."""

    firsts = {c: demo.scores[batch_id][c]["marks"] for c in second}
    totals = pl.DataFrame(
        {
            "candidate_no": list(second),
            "first": [sum(firsts[c][i] for i in second[c]) for c in second],
            "second": [sum(second[c].values()) for c in second],
            "third": [sum(third[c].values()) if c in third else None for c in second],
        },
        schema={"candidate_no": pl.String, "first": pl.Float64, "second": pl.Float64, "third": pl.Float64},
    )
    for cand, w1, w2, w3 in resolve(totals, policy).select("candidate_no", "w_first", "w_second", "w_third").rows():
        marks = {}
        for item_id, a in firsts[cand].items():
            if item_id not in second[cand]:  # auto-scored (theory): recorded once, counts as is
                marks[item_id] = a
                continue
            marks[item_id] = w1 * a + w2 * second[cand][item_id] + (w3 * third[cand][item_id] if w3 else 0.0)
        demo.scores[batch_id][cand]["marks"] = marks
