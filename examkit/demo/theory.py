"""The demo's senior theory paper: an answer key, candidates' responses, and auto-scoring.

``plant`` (before the paper score sheets are written) makes the key and the responses export of
every batch whose rubric has an auto-scored theory item (2023-13), typed the way people type
(``a``, ``A,C``, ``a、c``, full-width letters), with a few planted blank and malformed answers
recorded in ``planted.json``. The theory item is left out of the paper score sheet, as a real
site's practical sheet would be. ``import_demo`` (after the gradebook is built) scores the
responses with ``examkit.intake.theory``, writes the theory marks through the gradebook, and puts them back
into the in-memory demo year, which then again holds every mark the gradebook holds.
"""

from __future__ import annotations

import math
import random
import unicodedata
from pathlib import Path

from examkit.core.exceptions import RubricError
from examkit.demo.generate import DemoYear, write_table
from examkit.intake.theory import score_responses
from examkit.intake.theory_key import load_key, theory_item
from examkit.settings.policy import load_partial_credit
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook
from examkit.store.theory import import_theory

DEMO_IMPORTER = "理论机考导入"  # who the audit log names for the demo's theory import
OPTIONS = "ABCD"
SINGLE_POINTS, MULTI_POINTS, N_MULTI = 2.0, 4.0, 4
KEY_HEADERS = ["题号", "答案", "分值", "选项"]


def key_file(data_dir: Path, batch_id: str) -> Path:
    return Path(data_dir) / "theory" / f"{batch_id}-key.xlsx"


def responses_file(data_dir: Path, batch_id: str) -> Path:
    return Path(data_dir) / "theory" / f"{batch_id}-responses.csv"


def theory_batches(demo: DemoYear, params_dir: Path | None = None) -> list[tuple[str, object]]:
    """(batch id, theory item) of every batch whose level's rubric has an auto-scored theory item."""
    out = []
    for b in demo.notice.batches:
        try:
            out.append((b.id, theory_item(load_rubric(b.level, params_dir))))
        except RubricError:
            continue
    return out


def make_key(max_points: float) -> list[dict]:
    """Single-answer questions at 2 points and four multiple-answer ones at 4, adding up to ``max_points``."""
    n_single = (max_points - N_MULTI * MULTI_POINTS) / SINGLE_POINTS
    if n_single < 1 or n_single != int(n_single):  # a changed rubric: equal single-answer questions instead
        n = 20
        return [{"q": str(i + 1), "answer": OPTIONS[i % 4], "points": max_points / n, "multi": False} for i in range(n)]
    multi_answers = ["AC", "BCD", "ABD", "AB"]
    rows = [
        {"q": str(i + 1), "answer": "BDACCABDCABD"[i % 12], "points": SINGLE_POINTS, "multi": False}
        for i in range(int(n_single))
    ]
    start = len(rows)
    rows += [
        {
            "q": str(start + i + 1),
            "answer": multi_answers[i % len(multi_answers)],
            "points": MULTI_POINTS,
            "multi": True,
        }
        for i in range(N_MULTI)
    ]
    return rows


def _typed(rng: random.Random, letters: str) -> str:
    """Letters as a person types them: case, separators, order, now and then full-width."""
    chars = list(letters)
    if len(chars) > 1 and rng.random() < 0.3:
        rng.shuffle(chars)
    style = rng.random()
    if style < 0.15:
        chars = [c.lower() for c in chars]
    sep = rng.choice(["", "", ",", "、", " "]) if len(chars) > 1 else ""
    text = sep.join(chars)
    if rng.random() < 0.05:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "ABCDabcd,"})  # full-width
    return text


def _answer(rng: random.Random, q: dict, p_right: float) -> str:
    if rng.random() < p_right:
        return q["answer"]
    if not q["multi"]:
        return rng.choice([o for o in OPTIONS if o != q["answer"]])
    right = list(q["answer"])
    if rng.random() < 0.6 and len(right) > 1:  # missed one: partial credit under "proportional"
        right.remove(rng.choice(right))
        return "".join(right)
    wrong = [o for o in OPTIONS if o not in q["answer"]] or ["A"]
    return "".join(sorted({*right[:1], rng.choice(wrong)}))


def plant(demo: DemoYear, data_dir: Path, rng: random.Random, params_dir: Path | None = None) -> list[dict]:
    """Write each theory batch's key and responses; drop the theory item from the paper scores; return the plants."""
    planted: list[dict] = []
    excluded = {
        (p.get("batch"), p.get("candidate_no")) for p in demo.planted.get("registrations", []) if p.get("excluded")
    }
    for batch_id, item in theory_batches(demo, params_dir):
        key = make_key(item.max)
        write_table(
            [{"题号": q["q"], "答案": ",".join(q["answer"]), "分值": q["points"], "选项": OPTIONS} for q in key],
            KEY_HEADERS,
            key_file(data_dir, batch_id),
            "xlsx",
        )
        difficulty = {q["q"]: rng.gauss(0.0, 0.6) for q in key}
        abilities = {c.candidate_no: c.ability for c in demo.registrations[batch_id]}
        rows = []
        for cand_no, sc in demo.scores[batch_id].items():
            sc["marks"].pop(item.id, None)  # theory is scored from the responses, not on the paper sheet
            if sc["status"] == "absent" or (batch_id, cand_no) in excluded:
                continue
            row = {"考生号": cand_no}
            for q in key:
                p = 1 / (1 + math.exp(-(0.9 + 1.1 * abilities.get(cand_no, 0.0) - difficulty[q["q"]])))
                row[f"第{q['q']}题"] = _typed(rng, _answer(rng, q, p))
            rows.append(row)
        # planted: a few blank and malformed answers (reported by the import, scored 0)
        headers = [f"第{q['q']}题" for q in key]
        picks = rng.sample(range(len(rows)), k=min(5, len(rows)))
        for n, idx in enumerate(picks):
            col = headers[rng.randrange(len(headers))]
            value = "" if n < 3 else ("E" if n == 3 else "B?")
            rows[idx][col] = value
            planted.append(
                {
                    "batch": batch_id,
                    "candidate_no": rows[idx]["考生号"],
                    "column": col,
                    "value": value,
                    "rule": "theory.blank_answer" if value == "" else "theory.malformed_answer",
                }
            )
        write_table(rows, ["考生号", *headers], responses_file(data_dir, batch_id), "csv-utf8bom")
    return planted


def import_demo(data_dir: Path, demo: DemoYear, params_dir: Path | None = None) -> None:
    """Score every theory batch's responses and write the theory marks into the demo gradebook."""
    batches = theory_batches(demo, params_dir)
    if not batches:
        return
    rule = load_partial_credit(params_dir)
    with Gradebook(Path(data_dir) / "gradebook.sqlite", durable=False) as gb:
        for batch_id, item in batches:
            scores = score_responses(
                responses_file(data_dir, batch_id),
                load_key(key_file(data_dir, batch_id)),
                partial_credit=rule,
                item=item,
            )
            import_theory(gb, batch_id, scores, grader=DEMO_IMPORTER)
            # the in-memory demo year keeps the marks the gradebook now holds (tests compare the two)
            marks = dict(scores.totals.select("candidate_no", "mark").iter_rows())
            for cand, sc in demo.scores[batch_id].items():
                number = unicodedata.normalize("NFKC", cand).strip()
                if number in marks:
                    sc["marks"][item.id] = marks[number]
