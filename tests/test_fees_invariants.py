"""Invariants of the reconciliation on generated ledgers (hypothesis).

Σ expected − Σ allocated paid = Σ balance exactly (over the batches whose fees are known); every receipt
appears in exactly one visible place: allocated to statement rows (parts, plus any part set aside for
batches outside a narrowed scope, summing to its amount), listed unmatched, or set aside; nothing is set
aside unless the scope was narrowed, and a receipt naming a batch of the scope is never set aside;
re-running gives the same statement.
"""

from __future__ import annotations

from collections import Counter

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fees import NOTICE, PRICES, PROVINCE, receipts, regs, schools

from examkit.analysis.fees import STATUSES, reconcile
from examkit.intake.registrations import UnreadableFile

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
    st.booleans(),  # narrow the scope to 2023-01…2023-03 (else the year: every batch of the notice)
    st.sampled_from((None, *SCOPE)),  # a batch whose registrations file could not be read
    st.dictionaries(st.sampled_from(SCOPE), st.integers(1, 3), max_size=2),  # rows excluded per batch
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
    counts, lines, narrowed, lost, excluded = ledger
    # the lost batch's file could not be read: its rows never reach the reconciliation
    frame = regs([(s, b, n) for (s, b), n in sorted(counts.items()) if b != lost])
    bank = _bank(lines)
    sch = schools({"51001": ["天府职院"]})
    unreadable = [UnreadableFile(f"regs/{lost}.xlsx", lost, "not a workbook")] if lost else []
    scope = SCOPE if narrowed else None
    rec = reconcile(
        frame, bank, notice=NOTICE, schools=sch, prices=PRICES, scope=scope, excluded=excluded, unreadable=unreadable
    )
    stmt = rec.statement
    known = stmt.filter(pl.col("status") != "unknown")
    unknown = stmt.filter(pl.col("status") == "unknown")

    # Σ expected − Σ allocated paid = Σ balance, exactly (integers), per row, over the batches whose fees are known
    paid_known = rec.allocations.filter(pl.col("batch") != lost)["paid_fen"].sum() if lost else None
    paid_known = rec.allocations["paid_fen"].sum() if paid_known is None else paid_known
    assert known["expected_fen"].sum() - paid_known == known["balance_fen"].sum()
    assert (known["expected_fen"] - known["paid_fen"] == known["balance_fen"]).all()
    assert stmt["paid_fen"].sum() == rec.allocations["paid_fen"].sum()

    # a batch whose file could not be read is unknown: no expected fee, no balance, never zero
    assert set(unknown["batch"]) <= {lost}
    assert unknown["expected_fen"].null_count() == unknown["balance_fen"].null_count() == unknown.height
    assert rec.unknown == ((lost,) if lost else ())
    if lost:
        assert lost in rec.by_batch()["batch"].to_list()

    # expected = person-times × unit price, worked out here from the raw counts
    want = {(s, b): n * _unit(s, b) for (s, b), n in counts.items() if n > 0 and b != lost}
    got = {(r["payer_code"], r["batch"]): r["expected_fen"] for r in known.to_dicts() if r["expected_fen"] > 0}
    assert got == want
    assert all(r["person_times"] == counts.get((r["payer_code"], r["batch"]), 0) for r in known.to_dicts())

    # a row billed nothing says why: the excluded rows of its batch when every row of it was left out
    for r in known.filter(pl.col("person_times") == 0).to_dicts():
        assert r["note"] is not None
        billed_here = sum(n for (_, b), n in counts.items() if b == r["batch"])
        if billed_here == 0 and r["batch"] in excluded:
            assert (r["note"], r["note_detail"]) == ("all_excluded", str(excluded[r["batch"]]))

    # every receipt in exactly one visible place: allocated (parts + set-aside = amount), unmatched, set aside
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
    # each part lands on a statement row, whose paid is the sum of its parts
    per_row = rec.allocations.group_by("payer_code", "batch").agg(pl.col("paid_fen").sum())
    assert sorted(per_row.rows()) == sorted(stmt.filter(pl.col("paid_fen") > 0).select(per_row.columns).rows())
    # set aside only when the scope was narrowed, and only receipts naming a batch outside it
    if not narrowed:
        assert rec.other_batches.height == 0
    for named in rec.other_batches["named"].to_list():
        assert set(named) - set(SCOPE)
    # a receipt from a known payer naming one batch of the scope is a statement row (a duplicate copy aside)
    held = set(rec.duplicates.filter(pl.col("duplicate_of").is_not_null())["_row"].to_list())
    for r in rec.receipts.filter(pl.col("payer_code").is_not_null()).to_dicts():
        if len(r["named"]) == 1 and r["named"][0] in rec.scope and r["_row"] not in held:
            assert r["_row"] in set(rec.allocations["_row"].to_list())

    # statuses agree with the numbers
    for r in stmt.to_dicts():
        assert r["status"] in STATUSES
        if r["batch"] == lost:
            assert r["status"] == "unknown"
        elif r["paid_fen"] == 0 and r["expected_fen"] > 0:
            assert r["status"] == "unpaid"
        elif r["balance_fen"] == 0:
            assert r["status"] == "paid"
        else:
            assert r["status"] == ("underpaid" if r["balance_fen"] > 0 else "overpaid")

    # the same inputs give the same statement
    again = reconcile(
        frame, bank, notice=NOTICE, schools=sch, prices=PRICES, scope=scope, excluded=excluded, unreadable=unreadable
    )
    assert again.statement.equals(stmt)
    assert again.allocations.equals(rec.allocations)
