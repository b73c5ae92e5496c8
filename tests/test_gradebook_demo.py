"""The demo year goes through the gradebook API: every batch graded, results as the generator decided."""

from __future__ import annotations

from pathlib import Path

import pytest

from examkit.core.notice import load_notice
from examkit.demo import write_demo
from examkit.demo.grading import DEMO_GRADERS
from examkit.store.gradebook import Gradebook


@pytest.fixture(scope="module")
def demo_year(demo_project):
    return demo_project.data, demo_project.year


def test_every_batch_is_graded_as_generated(demo_year):
    data_dir, demo = demo_year
    pass_mark = load_notice(2023).pass_mark
    excluded = {(p["batch"], p["candidate_no"]) for p in demo.planted.get("registrations", []) if p.get("excluded")}
    graders = set()
    with Gradebook(data_dir / "gradebook.sqlite") as gb:
        assert gb.batches() == [b.id for b in demo.notice.batches]
        for b in demo.notice.batches:
            expected = {}
            for cand, sc in demo.scores[b.id].items():
                if (b.id, cand) in excluded:
                    continue
                total = None if sc["status"] == "absent" else round(sum(sc["marks"].values()), 2)
                passed = {"absent": None, "void": False}.get(sc["status"], total is not None and total >= pass_mark)
                expected[cand] = (sc["status"], total, passed)
            got = {c: (s, t, p) for c, _, s, t, p in gb.results(b.id).iter_rows()}
            assert got == expected, b.id
            assert not gb.results(b.id).filter(gb.results(b.id)["status"] == "ungraded").height
            audit = gb.audit(b.id)
            # re-marks: publicity tests; rounds 2-3 (double marking) and theory auto-scoring: tests/test_demo_extras.py
            marks = audit.filter(
                (audit["kind"] == "mark") & (audit["source"] != "review") & (audit["marking_round"] == 1)
            )
            graders |= set(marks.filter(marks["source"] != "theory").get_column("actor"))
            n_marks = sum(len(sc["marks"]) for c, sc in demo.scores[b.id].items() if (b.id, c) not in excluded)
            assert marks.height == n_marks  # each mark entered once, with its audit row
    assert graders == set(DEMO_GRADERS)  # sites are shared out between the demo graders


def test_regenerating_the_demo_rebuilds_its_gradebook(demo_copy):
    data_dir = demo_copy.data
    path = data_dir / "gradebook.sqlite"
    with Gradebook(path) as gb:
        before = gb.audit().height
    write_demo(data_dir, params_dir=demo_copy.params)
    with Gradebook(path) as gb:
        assert gb.audit().height == before  # fresh, not doubled
    assert not Path(f"{path}-journal").exists()
