"""Issuing certificates from the gradebook's register: after the period, unique numbers, nothing twice."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from factories import MARKS, graded_gradebook, marks_frame, registrations

from examkit.core.certificates import parse_layout
from examkit.core.exceptions import PublicityError
from examkit.core.notice import LEVELS
from examkit.settings.policy import load_layout
from examkit.store.gradebook import Gradebook

B1, B3 = "2023-01", "2023-03"  # both junior
D = dt.date
LAYOUT = load_layout()  # the shipped example: {year}{level_code}{province_code}{site_code}{serial:06d}


def publish_and_end(g: Gradebook, batch: str, on: dt.date | None = None) -> dt.date:
    """Publish (by default on 2023-05-01) for 7 days; returns the first day certificates may be issued."""
    return g.publish(batch, on or D(2023, 5, 1), days=7, by="考务").certificates_from


@pytest.fixture
def gb(tmp_path: Path):
    g = graded_gradebook(tmp_path / "gradebook.sqlite", B1)  # C001–C003 marked as in MARKS, C004 absent
    yield g
    g.close()


def test_not_before_the_period_has_ended(gb):
    with pytest.raises(PublicityError, match="examkit publish"):
        gb.issue_certificates(B1, D(2023, 6, 1), layout=LAYOUT, by="考务")
    publish_and_end(gb, B1)
    with pytest.raises(PublicityError) as err:
        gb.issue_certificates(B1, D(2023, 5, 7), layout=LAYOUT, by="考务")  # last day of the period
    assert "2023-05-07" in str(err.value) and "2023-05-08" in str(err.value)
    assert gb.certificate_register(B1).height == 0


def test_issue_numbers_and_second_run_issues_nothing(gb):
    first_day = publish_and_end(gb, B1)
    res = gb.issue_certificates(B1, first_day, layout=LAYOUT, by="考务")
    # only C001 passed (60); 2023 + junior "1" + 广东 "44" + site 44001 + serial 1
    assert res.issued.get_column("certificate_no").to_list() == ["2023" + "1" + "44" + "44001" + "000001"]
    assert res.issued.get_column("candidate_no").to_list() == ["C001"]
    assert (res.held.height, res.already) == (0, 0)
    reg = gb.certificate_register(B1)
    assert reg.select("certificate_no", "candidate_no", "name", "level", "issued_on").row(0) == (
        "202314444001000001",
        "C001",
        "考生1",
        "junior",
        D(2023, 5, 8),
    )
    again = gb.issue_certificates(B1, D(2023, 6, 1), layout=LAYOUT, by="考务")
    assert (again.issued.height, again.already) == (0, 1)
    assert gb.certificate_register(B1).height == 1
    stage = gb.stage(B1, D(2023, 7, 1))
    assert (stage.code, stage.issued_on, stage.issued) == ("certified", D(2023, 5, 8), 1)


def test_review_flip_fail_to_pass_yields_a_certificate(gb):
    first_day = publish_and_end(gb, B1)
    rid = gb.request_review(B1, "C002", requested_by="考生本人", on=D(2023, 5, 7), recorded_by="考务")
    # an open review blocks issuing
    with pytest.raises(PublicityError, match=f"#{rid}"):
        gb.issue_certificates(B1, first_day, layout=LAYOUT, by="考务")
    assert gb.decide_review(B1, rid, marks={"J6": 9}, decided_by="复核组").flip == "fail_to_pass"
    res = gb.issue_certificates(B1, first_day, layout=LAYOUT, by="考务")
    assert res.issued.get_column("candidate_no").to_list() == ["C001", "C002"]
    assert res.issued.get_column("certificate_no").to_list() == ["202314444001000001", "202314444001000002"]


def test_holder_from_an_earlier_batch_gets_none_and_is_listed(tmp_path):
    with Gradebook(tmp_path / "g.sqlite", durable=False) as g:
        g.register(registrations(2))  # C001, C002 (ids …001X, …002X)
        g.register(registrations(2, batch=B3, prefix="E", ids_from=2))  # E001 is C002's person; E002 new
        g.apply(B1, marks_frame({"C001": MARKS["C001"], "C002": MARKS["C001"]}), grader="王老师")
        g.apply(B3, marks_frame({"E001": MARKS["C001"], "E002": MARKS["C001"]}), grader="王老师")
        g.issue_certificates(B1, publish_and_end(g, B1), layout=LAYOUT, by="考务")
        res = g.issue_certificates(B3, publish_and_end(g, B3, D(2023, 6, 1)), layout=LAYOUT, by="考务")
        assert res.issued.get_column("candidate_no").to_list() == ["E002"]
        # the serial continues in the same scope (2023, junior, 44, 44001): never reused across batches
        assert res.issued.get_column("certificate_no").to_list() == ["202314444001000003"]
        assert res.held.select("candidate_no", "held_certificate_no", "held_batch").rows() == [
            ("E001", "202314444001000002", B1)
        ]
        # running again lists the holder again and issues nothing
        again = g.issue_certificates(B3, D(2023, 7, 1), layout=LAYOUT, by="考务")
        assert (again.issued.height, again.held.height, again.already) == (0, 1, 1)


def test_register_is_append_only(gb):
    gb.issue_certificates(B1, publish_and_end(gb, B1), layout=LAYOUT, by="考务")
    with pytest.raises(sqlite3.IntegrityError):
        gb._conn.execute("UPDATE certificates SET certificate_no = 'X'")
    with pytest.raises(sqlite3.IntegrityError):
        gb._conn.execute("DELETE FROM certificates")
    audit = gb.audit(B1).filter(pl.col("kind") == "certificate")
    assert audit.get_column("new").to_list() == ["202314444001000001"]


def test_a_layout_without_site_code_counts_across_sites(tmp_path):
    lay = parse_layout(
        {
            "layout": "ZX{year}-{level_code}-{serial:04d}",
            "level_codes": {"junior": "C", "intermediate": "Z", "senior": "G"},
        },
        LEVELS,
    )
    regs = registrations(3).with_columns(pl.Series("site_code", ["44001", "44002", "03107"]))
    with Gradebook(tmp_path / "g.sqlite", durable=False) as g:
        g.register(regs)
        g.apply(B1, marks_frame({c: MARKS["C001"] for c in ("C001", "C002", "C003")}), grader="王老师")
        res = g.issue_certificates(B1, publish_and_end(g, B1), layout=lay, by="考务")
    assert res.issued.get_column("certificate_no").to_list() == ["ZX2023-C-0001", "ZX2023-C-0002", "ZX2023-C-0003"]


# --------------------------------------------------------------------------- two processes at once

N = 60  # passers per batch

_WORKER = textwrap.dedent(
    """
    import sys, time, datetime as dt
    from pathlib import Path
    from examkit.report.certificates import load_layout
    from examkit.store.gradebook import Gradebook
    path, go, order = sys.argv[1], Path(sys.argv[2]), sys.argv[3].split(",")
    while not go.exists():
        time.sleep(0.005)
    with Gradebook(path, durable=False) as g:
        for b in order:
            r = g.issue_certificates(b, dt.date(2023, 7, 1), layout=load_layout(), by="proc " + sys.argv[3])
            print(b, r.issued.height)
    """
)


def test_numbers_unique_under_two_concurrent_processes(tmp_path):
    path = tmp_path / "g.sqlite"
    all_60 = {"J1": 12, "J2": 9, "J3": 12, "J4": 9, "J5": 9, "J6": 9}
    with Gradebook(path, durable=False) as g:
        for batch, prefix, first_id in ((B1, "C", 1), (B3, "E", 501)):
            g.register(registrations(N, batch=batch, prefix=prefix, ids_from=first_id))
            g.apply(batch, marks_frame({f"{prefix}{i:03d}": all_60 for i in range(1, N + 1)}), grader="王老师")
            publish_and_end(g, batch)
    go = tmp_path / "go"
    root = Path(__file__).resolve().parent.parent
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), str(go), order],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in (f"{B1},{B3}", f"{B3},{B1}")
    ]
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    issued_by_run = sum(int(line.split()[1]) for out, _ in outs for line in out.split("\n") if line.strip())
    with Gradebook(path) as g:
        reg = pl.concat([g.certificate_register(B1), g.certificate_register(B3)])
    assert issued_by_run == 2 * N  # every passer once, whichever process got there first
    assert reg.height == 2 * N
    assert reg.get_column("certificate_no").n_unique() == 2 * N
    assert reg.get_column("candidate_no").n_unique() == 2 * N
    # one scope (2023, junior, 广东, 44001): serials 1 … 2N with no gap and no repeat
    serials = sorted(int(n[-6:]) for n in reg.get_column("certificate_no").to_list())
    assert serials == list(range(1, 2 * N + 1))
    assert {n[:-6] for n in reg.get_column("certificate_no").to_list()} == {"202314444001"}
