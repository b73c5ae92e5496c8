"""Invariants of the reconciliation on generated ledgers (hypothesis).

Σ expected − Σ allocated paid = Σ balance exactly; every receipt row is either allocated (parts, plus any
part set aside for batches outside the scope, summing to its amount) or listed unmatched, exactly once;
re-running gives the same statement.
"""

from __future__ import annotations

from collections import Counter

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fees import NOTICE, PRICES, PROVINCE, receipts, regs, schools

from examkit.analysis.fees import STATUSES, reconcile

SITES = ("44001", "44002", "33001", "51001")
SCOPE = ("2023-01", "2023-02", "2023-03")
MEMOS = ("", "考试费", "2023-01", "2023年第二次统考", "2023-02、2023-03", "2023-01、2023-05", "2023-05", "2023-13")
DAYS = ("04-10", "04-11", "05-02")
PAYERS = (
    *[("code", s) for s in SITES],
    *[("name", s) for s in SITES],
    ("alias", "51001"),
    ("code", "37003"),  # a known school with no registrations
    ("unknown", None),
)


def _unit(site: str, batch: str) -> int:
    """The unit price worked out independently: the example 浙江省 junior price, else the notice's level fee."""
    level = NOTICE.batch(batch).level
    return PRICES.fen.get(PROVINCE[site], {}).get(level, NOTICE.levels[level].fee_fen)


ledgers = st.tuples(
    st.dictionaries(st.tuples(st.sampled_from(SITES), st.sampled_from(SCOPE)), st.integers(0, 4), max_size=10),
    st.lists(
        st.tuples(
            st.sampled_from(PAYERS),
            st.integers(1, 200_000),
            st.sampled_from(DAYS),
            st.sampled_from(MEMOS),
            st.booleans(),  # repeat the previous bank line exactly (a duplicate)
        ),
        max_size=14,
    ),
)


def _bank(lines: list) -> pl.DataFrame:
    rows, prev = [], None
    for i, ((how, site), fen, day, memo, repeat) in enumerate(lines):
        if repeat and prev is not None:
            line = prev
        elif how == "code":
            line = (f"财务{i}", site, fen, day, memo)
        elif how == "name":
            line = (f"{site}学院", None, fen, day, memo)
        elif how == "alias":
            line = ("天府职院", None, fen, day, memo)
        else:
            line = ("无关公司", None, fen, day, memo)
        rows.append((i + 2, *line))
        prev = line
    return receipts(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers)
def test_invariants_hold_on_generated_ledgers(ledger):
    counts, lines = ledger
    frame = regs([(s, b, n) for (s, b), n in sorted(counts.items())])
    bank = _bank(lines)
    sch = schools({"51001": ["天府职院"]})
    rec = reconcile(frame, bank, notice=NOTICE, schools=sch, prices=PRICES, scope=SCOPE)
    stmt = rec.statement

    # Σ expected − Σ allocated paid = Σ balance, exactly (integers), and per row
    assert stmt["expected_fen"].sum() - rec.allocations["paid_fen"].sum() == stmt["balance_fen"].sum()
    assert (stmt["expected_fen"] - stmt["paid_fen"] == stmt["balance_fen"]).all()
    assert stmt["paid_fen"].sum() == rec.allocations["paid_fen"].sum()

    # expected = person-times × unit price, worked out here from the raw counts
    want = {(s, b): n * _unit(s, b) for (s, b), n in counts.items() if n > 0}
    got = {(r["payer_code"], r["batch"]): r["expected_fen"] for r in stmt.to_dicts() if r["expected_fen"] > 0}
    assert got == want
    assert all(r["person_times"] == counts.get((r["payer_code"], r["batch"]), 0) for r in stmt.to_dicts())

    # every receipt exactly once: allocated (parts + set-aside = amount) or unmatched
    amount = dict(bank.select("_row", "amount_fen").iter_rows())
    parts = Counter()
    for r, fen in rec.allocations.select("_row", "paid_fen").iter_rows():
        assert fen > 0
        parts[r] += fen
    for r, fen in rec.other_batches.select("_row", "aside_fen").iter_rows():
        assert fen > 0
        parts[r] += fen
    unmatched = rec.unmatched["_row"].to_list()
    assert len(unmatched) == len(set(unmatched))
    assert set(unmatched).isdisjoint(parts)
    assert set(unmatched) | set(parts) == set(amount)
    assert all(parts[r] == amount[r] for r in parts)

    # statuses agree with the numbers
    for r in stmt.to_dicts():
        assert r["status"] in STATUSES
        if r["paid_fen"] == 0 and r["expected_fen"] > 0:
            assert r["status"] == "unpaid"
        elif r["balance_fen"] == 0:
            assert r["status"] == "paid"
        else:
            assert r["status"] == ("underpaid" if r["balance_fen"] > 0 else "overpaid")

    # the same inputs give the same statement
    again = reconcile(frame, bank, notice=NOTICE, schools=sch, prices=PRICES, scope=SCOPE)
    assert again.statement.equals(stmt)
    assert again.allocations.equals(rec.allocations)
