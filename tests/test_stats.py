"""Wilson intervals, Cronbach's α, KR-20 and corrected item–total correlation on hand-computed examples."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from examkit.analysis.stats import corrected_item_total, cronbach_alpha, kr20, wilson_exprs, wilson_interval, z_value

# z = Φ⁻¹(0.975) = 1.959963985, z² = 3.841458821
Z = 1.959963985
Z2 = 3.841458821


def test_z_value_is_the_two_sided_95_percent_quantile() -> None:
    assert z_value() == pytest.approx(Z, abs=1e-9)


def test_wilson_0_of_5() -> None:
    # low = 0 (no successes); high = (0 + z²/2 + z·sqrt(0 + z²/4)) / (5 + z²) = z² / (5 + z²)
    #      = 3.841458821 / 8.841458821 = 0.434482
    low, high = wilson_interval(0, 5)
    assert low == 0.0
    assert high == pytest.approx(0.434482, abs=1e-6)


def test_wilson_5_of_5() -> None:
    # mirror image of 0/5: low = 1 − 0.434482 = 0.565518, high = 1
    low, high = wilson_interval(5, 5)
    assert low == pytest.approx(0.565518, abs=1e-6)
    assert high == 1.0


def test_wilson_30_of_50() -> None:
    # centre = (30 + z²/2) / (50 + z²) = 31.920729411 / 53.841458821 = 0.592865
    # half   = z·sqrt(30·20/50 + z²/4) / (50 + z²) = 1.959963985 × sqrt(12.960364705) / 53.841458821
    #        = 1.959963985 × 3.600050653 / 53.841458821 = 7.055970 / 53.841458821 = 0.131051
    # → (0.461814, 0.723916); the normal approximation would give 0.6 ± 0.135789 = (0.464211, 0.735789)
    low, high = wilson_interval(30, 50)
    assert low == pytest.approx(0.461814, abs=1e-6)
    assert high == pytest.approx(0.723916, abs=1e-6)


def test_wilson_no_candidates_and_bad_counts() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(6, 5)


def test_wilson_expressions_match_the_scalar_and_give_null_for_zero() -> None:
    frame = pl.DataFrame({"k": [0, 5, 30, 0, 1], "n": [5, 5, 50, 0, 1_000_000]})
    low, high = wilson_exprs("k", "n")
    out = frame.with_columns(low.alias("low"), high.alias("high"))
    for k, n, lo, hi in out.iter_rows():
        expected = wilson_interval(k, n)
        if expected is None:
            assert lo is None and hi is None
        else:
            assert lo == pytest.approx(expected[0], abs=1e-12)
            assert hi == pytest.approx(expected[1], abs=1e-12)


@given(st.integers(min_value=1, max_value=10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_observed_rate_within_0_1(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


# --------------------------------------------------------------------------- reliability

# Worked example: 4 candidates × 3 items
#   c1: 2 3 3 (8)   c2: 4 4 5 (13)   c3: 3 5 4 (12)   c4: 5 4 6 (15)
# item sample variances: i1 SS = 2.25+.25+.25+2.25 = 5 → 5/3; i2 SS = 1+0+1+0 = 2 → 2/3; i3 SS = 5 → 5/3
# totals 8, 13, 12, 15, mean 12, SS = 16+1+0+9 = 26 → 26/3
# α = 3/2 · (1 − (5+2+5)/26) = 3/2 · 14/26 = 21/26 = 0.807692…
ALPHA_MARKS = {"c1": [2, 3, 3], "c2": [4, 4, 5], "c3": [3, 5, 4], "c4": [5, 4, 6]}


def _long(table: dict[str, list[float]], items: list[str], item: str = "item_id", value: str = "mark") -> pl.DataFrame:
    rows = [(c, i, float(v)) for c, vs in table.items() for i, v in zip(items, vs, strict=True)]
    return pl.DataFrame(rows, schema={"candidate_no": pl.String, item: pl.String, value: pl.Float64}, orient="row")


def test_cronbach_alpha_worked_example() -> None:
    r = cronbach_alpha(_long(ALPHA_MARKS, ["i1", "i2", "i3"]))
    assert r.value == pytest.approx(21 / 26, abs=1e-12)
    assert (r.n, r.k, r.method) == (4, 3, "alpha")
    assert r.warning == "too_few_candidates"  # 4 < 30


def test_alpha_has_no_warning_with_enough_candidates() -> None:
    # ten copies of each candidate: every variance scales by the same factor, α stays 21/26
    table = {f"{c}_{j}": v for c, v in ALPHA_MARKS.items() for j in range(10)}
    r = cronbach_alpha(_long(table, ["i1", "i2", "i3"]).lazy())
    assert r.value == pytest.approx(21 / 26, abs=1e-12)
    assert r.n == 40 and r.warning is None


def test_alpha_uses_complete_cases_only() -> None:
    marks = pl.concat(
        [
            _long(ALPHA_MARKS, ["i1", "i2", "i3"]),
            _long({"c5": [0, 0]}, ["i1", "i2"]),  # no mark for i3: left out
            pl.DataFrame({"candidate_no": ["c6"] * 3, "item_id": ["i1", "i2", "i3"], "mark": [1.0, None, 1.0]}),
        ]
    )
    r = cronbach_alpha(marks)
    assert r.n == 4
    assert r.value == pytest.approx(21 / 26, abs=1e-12)


def test_alpha_undefined_cases() -> None:
    one_item = cronbach_alpha(_long({"a": [1], "b": [2], "c": [3]}, ["i1"]))
    assert one_item.value is None and one_item.warning == "too_few_items"
    one_cand = cronbach_alpha(_long({"a": [1, 2]}, ["i1", "i2"]))
    assert one_cand.value is None and one_cand.warning == "too_few_candidates"
    flat = cronbach_alpha(_long({"a": [1, 2], "b": [1, 2], "c": [1, 2]}, ["i1", "i2"]))
    assert flat.value is None and flat.warning == "no_variance"


# KR-20 worked example: 5 candidates × 4 right/wrong questions (a Guttman pattern)
#   1111 (4)  1110 (3)  1100 (2)  1000 (1)  0000 (0)
# p = 4/5, 3/5, 2/5, 1/5 → p·q = 4/25, 6/25, 6/25, 4/25, Σ = 20/25 = 0.8
# totals 4,3,2,1,0: mean 2, population variance (4+1+0+1+4)/5 = 2
# KR-20 = 4/3 · (1 − 0.8/2) = 4/3 · 0.6 = 0.8
KR_TABLE = {"a": [1, 1, 1, 1], "b": [1, 1, 1, 0], "c": [1, 1, 0, 0], "d": [1, 0, 0, 0], "e": [0, 0, 0, 0]}


def test_kr20_worked_example() -> None:
    frame = _long(KR_TABLE, ["q1", "q2", "q3", "q4"], item="question_id", value="correct")
    r = kr20(frame)
    assert r.value == pytest.approx(0.8, abs=1e-12)
    assert (r.n, r.k, r.method) == (5, 4, "kr20")


def test_kr20_accepts_booleans_and_equals_alpha_on_binary_items() -> None:
    frame = _long(KR_TABLE, ["q1", "q2", "q3", "q4"], item="question_id", value="correct")
    as_bool = frame.with_columns(pl.col("correct") > 0)
    assert kr20(as_bool).value == pytest.approx(0.8, abs=1e-12)
    alpha = cronbach_alpha(frame, item="question_id", value="correct")
    assert alpha.value == pytest.approx(0.8, abs=1e-12)


def test_corrected_item_total_worked_example() -> None:
    # i1 = 2,4,3,5 (dev −1.5,.5,−.5,1.5; SS 5); rest = i2+i3 = 6,9,9,10 (mean 8.5; dev −2.5,.5,.5,1.5; SS 9)
    # Σ dev·dev = 3.75 + .25 − .25 + 2.25 = 6 → r = 6/√45 = 0.894427
    # i2 = 3,4,5,4 (dev −1,0,1,0; SS 2); rest = i1+i3 = 5,9,7,11 (mean 8; dev −3,1,−1,3; SS 20)
    # Σ = 3 + 0 − 1 + 0 = 2 → r = 2/√40 = 0.316228
    out = corrected_item_total(_long(ALPHA_MARKS, ["i1", "i2", "i3"]))
    r = dict(zip(out["item_id"], out["r"], strict=True))
    assert r["i1"] == pytest.approx(6 / math.sqrt(45), abs=1e-12)
    assert r["i2"] == pytest.approx(2 / math.sqrt(40), abs=1e-12)
    assert r["i3"] == pytest.approx(6 / math.sqrt(45), abs=1e-12)  # i3 = i1 + 1 for every candidate
    assert out["n"].to_list() == [4, 4, 4]


def test_corrected_item_total_is_null_without_variance() -> None:
    # i1 is the same for everyone: no correlation is defined
    out = corrected_item_total(_long({"a": [1, 1, 2], "b": [1, 2, 3], "c": [1, 3, 1]}, ["i1", "i2", "i3"]))
    assert out.filter(pl.col("item_id") == "i1")["r"].item() is None
    assert out.filter(pl.col("item_id") == "i2")["r"].item() is not None
