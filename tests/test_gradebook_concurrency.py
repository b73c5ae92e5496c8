"""Several processes on one gradebook: no lost update, every save present or refused; a killed writer loses nothing confirmed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest

from examkit.store.gradebook import Gradebook

B = "2023-01"
ITEMS = ("J1", "J2", "J3")  # maxima 20, 15, 20 in the junior rubric

WRITER = r"""
import json, random, sys, time
from pathlib import Path
from examkit.core.exceptions import StaleWriteError
from examkit.store.gradebook import Gradebook

path, seed, n, go, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5])
rng = random.Random(seed)
gb = Gradebook(path)
cands = [c for c in gb.candidates("2023-01").get_column("candidate_no")]
items = ("J1", "J2", "J3")
while not go.exists():
    time.sleep(0.005)
log = []
for _ in range(n):
    cand, item = rng.choice(cands), rng.choice(items)
    cur = gb.mark("2023-01", cand, item)
    choices = [k / 2 for k in range(0, 31) if k / 2 != cur.value]
    value = rng.choice(choices)
    time.sleep(rng.random() * 0.001)  # a grader thinks between reading and saving: the other may save meanwhile
    try:
        s = gb.save_mark("2023-01", cand, item, value, grader=f"p{seed}", expected_version=cur.version)
        log.append(["ok", cand, item, value, s.version, s.changed])
    except StaleWriteError as e:
        log.append(["stale", cand, item, value, None, e.current])
out.write_text(json.dumps(log), encoding="utf-8")
"""


def setup_gradebook(path: Path, n: int) -> None:
    with Gradebook(path) as gb:
        gb.register(
            pl.DataFrame({"candidate_no": [f"C{i:03d}" for i in range(n)], "batch": [B] * n, "name": ["x"] * n})
        )


def test_two_processes_1000_saves_each_lose_nothing(tmp_path):
    path = tmp_path / "g.sqlite"
    setup_gradebook(path, 4)  # 4 candidates x 3 items: the two writers collide often
    go = tmp_path / "go"
    procs, outs = [], []
    for seed in (1, 2):
        out = tmp_path / f"log{seed}.json"
        outs.append(out)
        procs.append(subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seed), "1000", str(go), str(out)]))
    time.sleep(0.3)
    go.touch()
    for p in procs:
        assert p.wait(timeout=120) == 0
    logs = [json.loads(o.read_text(encoding="utf-8")) for o in outs]
    assert [len(log) for log in logs] == [1000, 1000]  # every save answered: accepted or refused as stale
    attempts = [e for log in logs for e in log]

    # three outcomes, counted apart: accepted and changed the value, accepted with nothing to change
    # (the other grader had just stored the same value), refused as stale
    accepted_changed = [e for e in attempts if e[0] == "ok" and e[5] is True]
    accepted_nochange = [e for e in attempts if e[0] == "ok" and e[5] is False]
    refused = [e for e in attempts if e[0] == "stale"]
    assert len(accepted_changed) + len(accepted_nochange) + len(refused) == len(attempts) == 2000
    assert refused, "the writers never collided: the conflict path was not exercised"
    by_key: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for _, cand, item, value, version, _changed in accepted_changed:
        assert version not in by_key[cand, item], "two saves were given the same version: a lost update"
        by_key[cand, item][version] = value
    for _, cand, item, value, version, _changed in accepted_nochange:
        assert by_key[cand, item][version] == value  # the version it found holds exactly the value it saved

    with Gradebook(path) as gb:
        marks = gb.marks_frame(B)
        audit = gb.audit(B).filter(pl.col("kind") == "mark")
    assert audit.height == len(accepted_changed)  # one audit row per accepted change; none for a no-change save
    for cand, item, value, version in marks.select("candidate_no", "item_id", "mark", "version").iter_rows():
        saved = by_key[cand, item]
        assert sorted(saved) == list(range(1, version + 1))  # versions 1..N, none missing, none doubled
        assert value == saved[version]  # the stored value is the last accepted one
        # the audit chain of this mark: each row's old value is the previous row's new value
        chain = audit.filter((pl.col("candidate_no") == cand) & (pl.col("item_id") == item)).sort("version")
        assert chain.get_column("version").to_list() == list(range(1, version + 1))
        assert [float(x) for x in chain.get_column("new")] == [saved[v] for v in range(1, version + 1)]
        assert chain.get_column("old").to_list()[1:] == chain.get_column("new").to_list()[:-1]
    assert sum(len(v) for v in by_key.values()) == len(accepted_changed)


CRASHER = r"""
import sys
from examkit.store.gradebook import Gradebook

gb = Gradebook(sys.argv[1])
cands = list(gb.candidates("2023-01").get_column("candidate_no"))
i = 0
while True:  # until killed
    cand, item = cands[i % len(cands)], ("J1", "J2", "J3")[(i // len(cands)) % 3]
    value = float((i // (3 * len(cands)) % 30) / 2)  # a new value every round over all marks
    s = gb.save_mark("2023-01", cand, item, value, grader="crash", expected_version=None)
    assert s.changed
    print(cand, item, value, s.version, flush=True)  # printed only after the commit returned
    i += 1
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only")
def test_sigkill_after_n_confirmed_saves_loses_none(tmp_path):
    path = tmp_path / "g.sqlite"
    setup_gradebook(path, 50)
    n = 500
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHER, str(path)], stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )
    confirmed = []
    try:
        while len(confirmed) < n:
            line = proc.stdout.readline()
            assert line, "the writer stopped early"
            cand, item, value, version = line.split()
            confirmed.append((cand, item, float(value), int(version)))
    finally:
        proc.kill()  # SIGKILL: no cleanup, possibly in the middle of a transaction
        proc.wait(timeout=30)
        proc.stdout.close()

    with Gradebook(path) as gb:
        assert gb._rows("PRAGMA integrity_check")[0][0] == "ok"
        marks = {
            (c, i): (v, ver)
            for c, i, v, ver in gb.marks_frame(B).select("candidate_no", "item_id", "mark", "version").iter_rows()
        }
        audit = gb.audit(B).filter(pl.col("kind") == "mark")
    # every confirmed save is there (with its version, or overwritten later by this same writer)
    last_confirmed = {}
    for cand, item, value, version in confirmed:
        last_confirmed[cand, item] = (value, version)
    for key, (value, version) in last_confirmed.items():
        stored_value, stored_version = marks[key]
        assert stored_version >= version
        if stored_version == version:
            assert stored_value == value
    assert len(confirmed) == n
    # the audit log is consistent with the marks: one row per version of every mark, nothing more
    assert audit.height == sum(v for _, v in marks.values())
    assert audit.height >= n
    for (cand, item), (value, version) in marks.items():
        rows = audit.filter((pl.col("candidate_no") == cand) & (pl.col("item_id") == item)).sort("version")
        assert rows.get_column("version").to_list() == list(range(1, version + 1))
        assert float(rows.get_column("new")[-1]) == value
    for cand, item, value, version in confirmed:
        hit = audit.filter(
            (pl.col("candidate_no") == cand) & (pl.col("item_id") == item) & (pl.col("version") == version)
        )
        assert hit.height == 1 and float(hit.item(0, "new")) == value
