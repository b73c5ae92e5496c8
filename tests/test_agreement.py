"""Double marking: the discrepancy rule, the final-score rules, and agreement statistics."""

from __future__ import annotations

import polars as pl
import pytest

from examkit.analysis.agreement import agreement, agreement_table, icc
from examkit.core.double_marking import DoubleMarkingPolicy, exceeds_tolerance, resolve
from examkit.core.exceptions import ConfigError
from examkit.settings.policy import load_double_marking as load_policy

MEAN = DoubleMarkingPolicy(tolerance=5.0, final_rule="mean")
ARBITER = DoubleMarkingPolicy(tolerance=5.0, final_rule="arbiter")


def _totals(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"candidate_no": pl.String, "first": pl.Float64, "second": pl.Float64, "third": pl.Float64},
        orient="row",
    )


# --------------------------------------------------------------------------- the discrepancy rule


@pytest.mark.parametrize(
    ("first", "second", "over"),
    [
        (70.0, 65.0, False),  # exactly at the tolerance: still agreement
        (70.0, 65.5, False),  # just under (4.5)
        (70.0, 64.5, True),  # just over (5.5)
        (65.0, 70.0, False),  # order does not matter
        (64.5, 70.0, True),
        (64.4, 59.4, False),  # 64.4 − 59.4 is 5.000000000000007 in floating point: still AT the tolerance
        (70.0, 70.0, False),
    ],
)
def test_discrepancy_rule_at_under_and_over_the_tolerance(first, second, over):
    assert exceeds_tolerance(first, second, 5.0) is over
    status = resolve(_totals([("c", first, second, None)]), MEAN).get_column("status").item()
    assert status == ("awaiting_arbitration" if over else "agreed")


def test_tolerance_zero_sends_any_difference_to_arbitration():
    strict = DoubleMarkingPolicy(tolerance=0.0, final_rule="mean")
    out = resolve(_totals([("a", 70.0, 70.0, None), ("b", 70.0, 69.5, None)]), strict)
    assert out.get_column("status").to_list() == ["agreed", "awaiting_arbitration"]


# --------------------------------------------------------------------------- final score per rule


def test_final_score_per_rule_and_arbitration_changes_it():
    rows = [
        ("agreed", 70.0, 66.0, None),  # within tolerance: (70+66)/2 = 68 under both rules
        ("waiting", 70.0, 60.0, None),  # 10 apart, no arbiter yet: no final score
        ("nearer_first", 70.0, 60.0, 68.0),  # arbiter 68: nearer is 70 (|68−70|=2 < |68−60|=8)
        ("nearer_second", 70.0, 60.0, 61.0),  # arbiter 61: nearer is 60 (1 < 9)
        ("equidistant", 70.0, 60.0, 65.0),  # arbiter in the middle: the arbiter's own 65
        ("half_marked", 70.0, None, None),  # second grader not done
    ]
    mean = resolve(_totals(rows), MEAN)
    arbiter = resolve(_totals(rows), ARBITER)
    assert mean.get_column("status").to_list() == [
        "agreed",
        "awaiting_arbitration",
        "arbitrated",
        "arbitrated",
        "arbitrated",
        "incomplete",
    ]
    # mean rule: (68+70)/2 = 69, (61+60)/2 = 60.5, equidistant → 65
    assert mean.get_column("final").to_list() == [68.0, None, 69.0, 60.5, 65.0, None]
    # arbiter rule: the arbiter's total once arbitrated
    assert arbiter.get_column("final").to_list() == [68.0, None, 68.0, 61.0, 65.0, None]
    # the weights say which graders count (so item marks can follow the same rule)
    w = mean.select("w_first", "w_second", "w_third").rows()
    assert w == [(0.5, 0.5, 0.0), (None, None, None), (0.5, 0.0, 0.5), (0.0, 0.5, 0.5), (0.0, 0.0, 1.0), (None,) * 3]


def test_resolve_accepts_frames_without_an_arbiter_column():
    out = resolve(pl.DataFrame({"candidate_no": ["a"], "first": [50.0], "second": [51.0]}), MEAN)
    assert out.get_column("final").item() == 50.5


# --------------------------------------------------------------------------- agreement statistics


def test_icc_matches_shrout_and_fleiss_published_example():
    # Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges; published ICC(1,1)=.17, ICC(2,1)=.29, ICC(3,1)=.71
    table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    r = icc(table)
    assert round(r.icc1, 2) == 0.17
    assert round(r.icc2, 2) == 0.29
    assert round(r.icc3, 2) == 0.71


def test_agreement_statistics_against_a_hand_computed_example():
    # first:  70 60 80 50      second: 72 58 80 57      |diff|: 2 2 0 7   (tolerance 5)
    # exact agreement 1/4 = 0.25; within tolerance 3/4 = 0.75; mean |diff| = 11/4 = 2.75
    #
    # ICC by hand (n = 4 candidates, k = 2 graders):
    #   grand mean M = (260 + 267)/8 = 65.875; row means 71, 59, 80, 53.5; column means 65, 66.75
    #   SS_rows = 2·(5.125² + 6.875² + 14.125² + 12.375²) = 2·426.1875 = 852.375
    #   SS_cols = 4·(0.875² + 0.875²) = 6.125
    #   SS_total = (4.125² + 5.875² + 14.125² + 15.875²) + (6.125² + 7.875² + 14.125² + 8.875²)
    #            = 503.0625 + 377.8125 = 880.875
    #   SS_err = 880.875 − 852.375 − 6.125 = 22.375
    #   BMS = 852.375/3, JMS = 6.125/1, EMS = 22.375/3
    #   ICC(3,1) = (BMS − EMS)/(BMS + EMS) = (852.375 − 22.375)/(852.375 + 22.375) = 830/874.75
    #   ICC(2,1) = (BMS − EMS)/(BMS + EMS + 2(JMS − EMS)/4)
    #            = (830/3)/(874.75/3 + (6.125 − 22.375/3)/2) = 830/(874.75 + (18.375 − 22.375)/2) = 830/872.75
    totals = _totals(
        [("1", 70.0, 72.0, None), ("2", 60.0, 58.0, None), ("3", 80.0, 80.0, None), ("4", 50.0, 57.0, None)]
    )
    a = agreement(totals, MEAN)
    assert a.n == 4
    assert a.exact == pytest.approx(0.25)
    assert a.within == pytest.approx(0.75)
    assert a.mean_abs_diff == pytest.approx(2.75)
    assert a.icc.icc3 == pytest.approx(830 / 874.75)
    assert a.icc.icc2 == pytest.approx(830 / 872.75)
    assert a.awaiting == ["4"]
    assert a.arbitrated == 0


def test_agreement_ignores_half_marked_and_counts_arbitrated():
    totals = _totals([("1", 70.0, 70.0, None), ("2", 70.0, None, None), ("3", 80.0, 60.0, 75.0)])
    a = agreement(totals, MEAN)
    assert a.n == 2  # candidate 2 has one mark only
    assert a.exact == pytest.approx(0.5)
    assert a.awaiting == []
    assert a.arbitrated == 1


def test_agreement_with_too_few_candidates_has_no_coefficient():
    a = agreement(_totals([("1", 70.0, 72.0, None)]), MEAN)
    assert a.icc.icc2 is None
    empty = agreement(_totals([]), MEAN)
    assert empty.n == 0
    assert empty.exact is None
    table = agreement_table(empty)
    assert table.height == 9
    assert "—" in table.to_series(1).to_list()


def test_identical_graders_with_spread_have_icc_one():
    r = icc([[50, 50], [60, 60], [70, 70]])
    assert r.icc2 == pytest.approx(1.0)
    assert r.icc3 == pytest.approx(1.0)


# --------------------------------------------------------------------------- the policy


def _policy_dir(tmp_path, text: str):
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_policy_from_settings(tmp_path):
    p = load_policy(_policy_dir(tmp_path, "double_marking:\n  tolerance: 3\n  final_rule: arbiter\n"))
    assert (p.tolerance, p.final_rule) == (3.0, "arbiter")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("double_marking:\n  tolerance: -1\n", "double_marking.tolerance"),
        ("double_marking:\n  tolerance: five\n", "double_marking.tolerance"),
        ("double_marking:\n  final_rule: median\n", "double_marking.final_rule"),
    ],
)
def test_bad_policy_is_refused_naming_file_key_and_accepted(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        load_policy(_policy_dir(tmp_path, text))
    msg = str(err.value)
    assert "policy.yaml" in msg
    assert key in msg


def test_shipped_policy_is_mean_with_tolerance_five():
    p = load_policy()
    assert (p.tolerance, p.final_rule) == (5.0, "mean")
