"""Pass-rate analytics over contract frames built by hand (no loaders involved)."""

from __future__ import annotations

import polars as pl
import pytest
from factories import typed_registrations as registrations

from examkit.analysis import passrates as an
from examkit.analysis.stats import wilson_interval
from examkit.core.exceptions import InputError
from examkit.core.notice import load_notice
from examkit.core.policy import Policy
from examkit.settings.policy import load_policy

NOTICE = load_notice(2023)
POLICY = Policy(
    pass_mark=float(NOTICE.pass_mark),
    full_mark=float(NOTICE.full_mark),
    near_line_band=5.0,
    small_group_min_sat=10,
)
P = NOTICE.pass_mark

RES_SCHEMA = {
    "candidate_no": pl.String,
    "batch": pl.String,
    "status": pl.String,
    "total": pl.Float64,
    "passed": pl.Boolean,
}


def results(rows: list[tuple[str, str, str, float | None]]) -> pl.DataFrame:
    """(candidate_no, batch, status, total) → a results frame (``passed`` as the contract says)."""
    return pl.DataFrame(
        [(c, b, s, tot, (s == "graded" and tot >= P) if s in ("graded", "void") else None) for c, b, s, tot in rows],
        schema=RES_SCHEMA,
        orient="row",
    )


def cands_from(totals: list[tuple[str, float | None]], **reg: object) -> pl.LazyFrame:
    """Candidates C0000… with the given (status, total) in batch 2023-01."""
    regs = registrations([dict(reg) for _ in totals])
    res = results([(f"C{i:04d}", "2023-01", s, tot) for i, (s, tot) in enumerate(totals)])
    return an.outcomes(regs, res, P)


# --------------------------------------------------------------------------- outcomes and the boundary


def test_pass_boundary_and_rounding() -> None:
    totals = [
        ("graded", 59.5),  # fails
        ("graded", float(P)),  # 60 passes
        ("graded", 60.0),  # 60.0 passes
        ("graded", 59.994),  # rounds to 59.99: fails
        ("graded", 59.996),  # rounds to 60.00: passes
        ("graded", 100.0),
        ("graded", 0.0),
    ]
    out = cands_from(totals).collect()
    assert out["passed"].to_list() == [False, True, True, False, True, True, False]
    assert out["total"].to_list()[3] == pytest.approx(59.99)


def test_absent_void_and_ungraded_handling() -> None:
    regs = registrations([{} for _ in range(5)])
    res = results(
        [
            ("C0000", "2023-01", "graded", 75.0),
            ("C0001", "2023-01", "absent", None),
            ("C0002", "2023-01", "void", 88.0),  # misconduct: sat, not passed, however high the total
            ("C0003", "2023-01", "ungraded", None),
            # C0004 has no result row at all → ungraded
            ("X9999", "2023-01", "graded", 99.0),  # not registered: ignored
        ]
    )
    out = an.outcomes(regs, res, P).collect()
    assert out.height == 5
    assert out["status"].to_list() == ["graded", "absent", "void", "ungraded", "ungraded"]
    assert out["sat"].to_list() == [True, False, True, True, True]
    assert out["passed"].to_list() == [True, False, False, False, False]
    rates = an.pass_rates(out, [], POLICY)
    row = rates.row(0, named=True)
    # registered 5, absent 1 → sat 4; 2 of them ungraded → 2 with a result (graded + void); passed 1 → 1/2
    # (issue 17: an ungraded candidate is neither passed nor failed, so it is not in the denominator)
    assert (row["registered"], row["absent"], row["sat"], row["void"], row["ungraded"], row["passed"]) == (
        5,
        1,
        4,
        1,
        2,
        1,
    )
    assert row["assessed"] == 2 and row["provisional"] is True
    assert row["pass_rate"] == pytest.approx(0.5)


def test_results_without_batch_column_join_on_candidate_number() -> None:
    regs = registrations([{}, {}])
    res = pl.DataFrame({"candidate_no": ["C0000", "C0001"], "status": ["graded", "graded"], "total": [60.0, 59.5]})
    out = an.outcomes(regs, res, P).collect()
    assert out["passed"].to_list() == [True, False]


# --------------------------------------------------------------------------- pass rates


def _mixed_year() -> pl.LazyFrame:
    """School A: 12 registered, 1 absent, 11 sat, 8 passed; school B: 9 registered, 9 sat, 3 passed;
    social (no school): 2 sat, 2 passed."""
    rows, res = [], []
    spec = [("A", "甲校", 12, 1, 8), ("B", "乙校", 9, 0, 3), (None, None, 2, 0, 2)]
    i = 0
    for code, name, n, absent, passed in spec:
        for j in range(n):
            ctype = "social" if code is None else "pilot_student"
            rows.append(
                {"candidate_no": f"C{i:04d}", "school_code": code, "school_name": name, "candidate_type": ctype}
            )
            if j < absent:
                res.append((f"C{i:04d}", "2023-01", "absent", None))
            elif j < absent + passed:
                res.append((f"C{i:04d}", "2023-01", "graded", 70.0))
            else:
                res.append((f"C{i:04d}", "2023-01", "graded", 40.0))
            i += 1
    return an.outcomes(registrations(rows), results(res), P)


def test_pass_rates_by_school_counts_interval_and_small_group() -> None:
    rates = an.pass_rates(_mixed_year(), ["school_code"], POLICY)
    assert rates["school_code"].to_list() == ["A", "B", None]  # sorted by key, nulls last
    assert rates["registered"].to_list() == [12, 9, 2]
    assert rates["sat"].to_list() == [11, 9, 2]
    assert rates["passed"].to_list() == [8, 3, 2]
    assert rates["pass_rate"].to_list() == pytest.approx([8 / 11, 3 / 9, 1.0])
    assert rates["small_group"].to_list() == [False, True, True]  # 11 ≥ 10; 9 < 10; 2 < 10
    lo, hi = wilson_interval(8, 11)
    assert rates["ci_low"][0] == pytest.approx(lo) and rates["ci_high"][0] == pytest.approx(hi)


def test_small_group_threshold_counts_sat_not_registered() -> None:
    # 10 registered, 1 absent → 9 sat: small; 10 sat: not small
    nine = cands_from([("absent", None)] + [("graded", 70.0)] * 9)
    ten = cands_from([("graded", 70.0)] * 10)
    assert an.pass_rates(nine, [], POLICY)["small_group"].item() is True
    assert an.pass_rates(ten, [], POLICY)["small_group"].item() is False


def test_zero_sat_gives_no_rate() -> None:
    rates = an.pass_rates(cands_from([("absent", None)] * 3), [], POLICY)
    assert rates["sat"].item() == 0
    assert rates["pass_rate"].item() is None and rates["ci_low"].item() is None


def test_ranked_never_ranks_small_groups_and_hides_their_rate() -> None:
    rates = an.pass_rates(_mixed_year(), ["school_code"], POLICY)
    out = an.ranked(rates, POLICY)
    assert out["school_code"].to_list() == ["A", "B", None]
    assert out["rank"].to_list() == [1, None, None]
    assert out["pass_rate"].to_list()[1:] == [None, None]
    # issue 17: a small group keeps registered and sat, never its passed count (B 9 + social 2 = 11 hidden
    # together, at least 10: no other group needs withholding)
    assert out["registered"].to_list() == [12, 9, 2] and out["sat"].to_list() == [11, 9, 2]
    assert out["passed"].to_list() == [8, None, None]
    assert out["withheld"].to_list() == [False, False, False]


def test_ranked_orders_by_rate() -> None:
    a = cands_from([("graded", 70.0)] * 6 + [("graded", 10.0)] * 4, school_code="A")
    b = cands_from([("graded", 70.0)] * 9 + [("graded", 10.0)] * 1, school_code="B").with_columns(
        pl.col("candidate_no") + "b"
    )
    rates = an.pass_rates(pl.concat([a, b]), ["school_code"], POLICY)
    out = an.ranked(rates, POLICY)
    assert out["school_code"].to_list() == ["B", "A"]
    assert out["rank"].to_list() == [1, 2]


def test_csv_frame_columns() -> None:
    rates = an.pass_rates(_mixed_year(), ["batch", "level"], POLICY)
    assert an.csv_frame(rates, ["batch", "level"]).columns == [
        "batch",
        "level",
        "registered",
        "sat",
        "passed",
        "pass_rate",
        "ci_low",
        "ci_high",
        "small_group",
        "ungraded",
        "provisional",
    ]


def test_labels_zh_and_en() -> None:
    cands = _mixed_year()
    rates = an.pass_rates(cands, ["school_code", "level"], POLICY)
    zh = an.label_column(rates, ["school_code", "level"], cands, "zh")["label"].to_list()
    assert zh == ["甲校 · 初级", "乙校 · 初级", "社会考生（无院校） · 初级"]
    en = an.label_column(rates, ["school_code", "level"], cands, "en")["label"].to_list()
    assert en[2] == "Social candidates (no school) · Junior"


def test_parse_by() -> None:
    assert an.parse_by("batch, school_code") == ["batch", "school_code"]
    with pytest.raises(InputError) as exc:
        an.parse_by("batch,name")
    assert "name" in str(exc.value) and "candidate_type" in str(exc.value)
    with pytest.raises(InputError):
        an.parse_by("level,level")


def test_load_policy_reads_notice_and_policy_file(tmp_path) -> None:
    (tmp_path / "policy.yaml").write_text("near_line_band: 3\nsmall_group_min_sat: 20\n", encoding="utf-8")
    pol = load_policy(NOTICE, tmp_path)
    assert (pol.pass_mark, pol.full_mark) == (NOTICE.pass_mark, NOTICE.full_mark)
    assert (pol.near_line_band, pol.small_group_min_sat) == (3.0, 20)


# --------------------------------------------------------------------------- scores


def test_score_distribution_bins() -> None:
    cands = cands_from(
        [
            ("graded", 0.0),
            ("graded", 59.5),  # [55, 60)
            ("graded", 60.0),  # [60, 65)
            ("graded", 64.5),  # [60, 65)
            ("graded", 100.0),  # full mark: the last, closed bin [95, 100]
            ("void", 80.0),  # not a valid total
            ("absent", None),
        ]
    )
    dist = an.score_distribution(cands, POLICY)
    assert dist.height == 20  # every bin, empty ones too
    assert dist["bin_start"].to_list()[:2] == [0.0, 5.0] and dist["bin_end"].to_list()[-1] == 100.0
    n = dict(zip(dist["bin_start"], dist["n"], strict=True))
    assert (n[0.0], n[55.0], n[60.0], n[95.0], n[80.0]) == (1, 1, 2, 1, 0)
    assert dist["n"].sum() == 5
    passing = dict(zip(dist["bin_start"], dist["passing"], strict=True))
    assert passing[55.0] is False and passing[60.0] is True


def test_score_distribution_by_group_is_a_complete_grid() -> None:
    a = cands_from([("graded", 70.0)], level="junior")
    b = cands_from([("graded", 30.0)], level="intermediate").with_columns(pl.col("candidate_no") + "b")
    dist = an.score_distribution(pl.concat([a, b]), POLICY, by=["level"])
    assert dist.height == 40
    assert dist.group_by("level").agg(pl.col("n").sum()).sort("level")["n"].to_list() == [1, 1]


def test_near_line_band() -> None:
    cands = cands_from(
        [
            ("graded", 54.5),  # below the band
            ("graded", 55.0),  # in: pass − 5 ≤ total < pass
            ("graded", 59.5),  # in
            ("graded", 60.0),  # just above
            ("graded", 64.5),  # just above
            ("graded", 65.0),  # not "just" above
            ("void", 58.0),  # not a valid total
        ]
    )
    row = an.near_line(cands, POLICY).row(0, named=True)
    assert (row["near_below"], row["near_above"], row["graded"], row["sat"]) == (2, 2, 6, 7)


def test_score_summary() -> None:
    s = an.score_summary(cands_from([("graded", 50.0), ("graded", 70.0), ("graded", 90.0), ("void", 10.0)]))
    row = s.row(0, named=True)
    assert (row["graded"], row["mean"], row["median"], row["min"], row["max"]) == (3, 70.0, 70.0, 50.0, 90.0)


# --------------------------------------------------------------------------- items


def _marks(table: dict[str, list[float]], items: list[tuple[str, str, float]]) -> pl.DataFrame:
    rows = [(c, iid, sec, float(v), mx) for c, vs in table.items() for (iid, sec, mx), v in zip(items, vs, strict=True)]
    return pl.DataFrame(
        rows,
        schema={
            "candidate_no": pl.String,
            "item_id": pl.String,
            "section": pl.String,
            "mark": pl.Float64,
            "max": pl.Float64,
        },
        orient="row",
    )


ITEMS = [("J1", "practical", 20.0), ("J2", "practical", 10.0)]


def test_item_facility_excludes_void_candidates() -> None:
    cands = cands_from([("graded", 30.0), ("graded", 18.0), ("void", 30.0)])
    marks = _marks({"C0000": [20, 10], "C0001": [10, 8], "C0002": [0, 0]}, ITEMS)
    fac = an.item_facility(marks, POLICY, cands)
    f = dict(zip(fac["item_id"], fac["facility"], strict=True))
    # J1: mean (20 + 10)/2 = 15 of 20 → 0.75; J2: mean (10 + 8)/2 = 9 of 10 → 0.9
    assert f == pytest.approx({"J1": 0.75, "J2": 0.9})
    assert fac["n"].to_list() == [2, 2]


def test_item_facility_by_group_hides_small_groups() -> None:
    big = {f"C{i:04d}": [10, 5] for i in range(10)}
    cands = cands_from([("graded", 15.0)] * 10 + [("graded", 30.0)] * 2).with_columns(
        pl.when(pl.col("candidate_no") < "C0010").then(pl.lit("A")).otherwise(pl.lit("B")).alias("school_code")
    )
    marks = _marks({**big, "C0010": [20, 10], "C0011": [20, 10]}, ITEMS)
    fac = an.item_facility(marks, POLICY, cands, by=["school_code"])
    a = fac.filter(pl.col("school_code") == "A")
    assert a["facility"].to_list() == pytest.approx([0.5, 0.5])
    b = fac.filter(pl.col("school_code") == "B")
    assert b["small_group"].to_list() == [True, True] and b["facility"].to_list() == [None, None]


def test_item_analysis_and_reliability() -> None:
    # the α worked example of test_stats (21/26) as practical items, plus a theory item that α must ignore
    table = {"C0000": [2, 3, 3, 10], "C0001": [4, 4, 5, 0], "C0002": [3, 5, 4, 30], "C0003": [5, 4, 6, 5]}
    items = [("S1", "practical", 10.0), ("S2", "practical", 10.0), ("S3", "practical", 10.0), ("T", "theory", 40.0)]
    marks = _marks(table, items)
    cands = cands_from([("graded", 50.0)] * 4)
    coefs = an.reliability(marks, POLICY, cands)
    assert len(coefs) == 1 and coefs[0].k == 3
    assert coefs[0].value == pytest.approx(21 / 26)
    theory = pl.DataFrame(
        {
            "candidate_no": [c for c in ["C0000", "C0001", "C0002", "C0003"] for _ in range(2)],
            "question_id": ["q1", "q2"] * 4,
            "correct": [1, 1, 1, 0, 0, 0, 1, 1],
        }
    )
    coefs = an.reliability(marks, POLICY, cands, theory_correct=theory)
    assert [c.method for c in coefs] == ["alpha", "kr20"]
    # p = 3/4, 2/4 → Σpq = 3/16 + 4/16 = 7/16; totals 2,1,0,2: mean 5/4, pop. var (9+1+25+9)/16/4 = 11/16
    # KR-20 = 2/1 · (1 − (7/16)/(11/16)) = 2 · 4/11 = 8/11
    assert coefs[1].value == pytest.approx(8 / 11)
    analysis = an.item_analysis(marks.filter(pl.col("section") == "practical"), POLICY, cands)
    # S1 mean (2+4+3+5)/4 = 3.5 of 10; discrimination r(S1, S2+S3) = 6/√45 (see test_stats)
    s1 = analysis.filter(pl.col("item_id") == "S1").row(0, named=True)
    assert s1["facility"] == pytest.approx(0.35)
    assert s1["discrimination"] == pytest.approx(6 / 45**0.5)


# --------------------------------------------------------------------------- year so far


def test_attempts_same_id_number_same_level() -> None:
    regs = registrations(
        [
            {"candidate_no": "a1", "id_number": "ID-A", "batch": "2023-01", "level": "junior"},
            {"candidate_no": "a3", "id_number": "ID-A", "batch": "2023-03", "level": "junior"},  # retake
            {"candidate_no": "b1", "id_number": "ID-B", "batch": "2023-01", "level": "junior"},  # absent
            {"candidate_no": "b3", "id_number": "ID-B", "batch": "2023-03", "level": "junior"},  # first sitting
            {"candidate_no": "c1", "id_number": "ID-C", "batch": "2023-01", "level": "junior"},
            {"candidate_no": "c2", "id_number": "ID-C", "batch": "2023-02", "level": "intermediate"},  # new level
        ]
    )
    res = results(
        [
            ("a1", "2023-01", "graded", 40.0),
            ("a3", "2023-03", "graded", 70.0),
            ("b1", "2023-01", "absent", None),
            ("b3", "2023-03", "graded", 50.0),
            ("c1", "2023-01", "graded", 80.0),
            ("c2", "2023-02", "graded", 65.0),
        ]
    )
    out = an.with_attempts(an.outcomes(regs, res, P)).collect()
    attempt = dict(zip(out["candidate_no"], out["attempt"], strict=True))
    assert attempt == {"a1": "first", "a3": "retake", "b1": "first", "b3": "first", "c1": "first", "c2": "first"}
    rates = an.retake_rates(an.outcomes(regs, res, P), POLICY)
    by = {r["attempt"]: r for r in rates.iter_rows(named=True)}
    # first: a1 (fail), b1 (absent), b3 (fail), c1 (pass), c2 (pass) → sat 4, passed 2; retake: a3 → 1/1
    assert (by["first"]["registered"], by["first"]["sat"], by["first"]["passed"]) == (5, 4, 2)
    assert (by["retake"]["sat"], by["retake"]["passed"]) == (1, 1)


def test_trend_filters_level_and_orders_batches() -> None:
    regs = registrations(
        [
            {"candidate_no": f"x{i}", "batch": b, "level": lv}
            for i, (b, lv) in enumerate(
                [("2023-03", "junior"), ("2023-01", "junior"), ("2023-01", "junior"), ("2023-02", "intermediate")]
            )
        ]
    )
    res = results(
        [
            ("x0", "2023-03", "graded", 90.0),
            ("x1", "2023-01", "graded", 90.0),
            ("x2", "2023-01", "graded", 10.0),
            ("x3", "2023-02", "graded", 90.0),
        ]
    )
    tr = an.trend(an.outcomes(regs, res, P), POLICY, level="junior")
    assert tr["batch"].to_list() == ["2023-01", "2023-03"]
    assert tr["pass_rate"].to_list() == pytest.approx([0.5, 1.0])
    so_far = an.year_so_far(an.outcomes(regs, res, P), "2023-02").collect()
    assert sorted(so_far["batch"].unique().to_list()) == ["2023-01", "2023-02"]
