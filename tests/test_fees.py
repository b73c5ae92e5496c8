"""Fee reconciliation (rule R3) on hand-built frames: every expected value below is worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from factories import typed_registrations

from examkit.analysis.fee_matching import expected_fees
from examkit.analysis.fees import CSV_COLUMNS, reconcile
from examkit.core.exceptions import ConfigError
from examkit.core.notice import load_notice
from examkit.intake.payments import RECEIPT_SCHEMA
from examkit.settings.prices import Prices, load_prices

NOTICE = load_notice(2023)
# The notice (二): 340 CNY per person-time for junior and intermediate, 360 for senior — in fen, by hand.
JUNIOR, INTERMEDIATE, SENIOR = 34000, 34000, 36000
ZJ_JUNIOR = 32000  # the example provincial price used below: 浙江省 junior 320 CNY
PRICES = Prices(fen={"浙江省": {"junior": ZJ_JUNIOR}}, status="example", source="test")
LEVEL = {b.id: b.level for b in NOTICE.batches}
PROVINCE = {"44001": "广东省", "44002": "广东省", "33001": "浙江省", "51001": "四川省", "37003": "山东省"}
SCOPE_1_3 = ("2023-01", "2023-02", "2023-03")  # the year so far up to 2023-03


def regs(spec: list[tuple[str, str, int]], extra: list[dict] | None = None) -> pl.DataFrame:
    """Typed registrations: (site, batch, n) → n pilot students of the site sitting at the site."""
    rows = []
    for site, batch, n in spec:
        for i in range(n):
            rows.append(
                {
                    "candidate_no": f"{batch}-{site}-{i:03d}",
                    "candidate_type": "pilot_student",
                    "school_code": site,
                    "school_name": f"{site}学院",
                    "province": PROVINCE[site],
                    "site_code": site,
                    "batch": batch,
                }
            )
    rows += extra or []
    return typed_registrations(
        [{"name": "测试", "id_number": "x", "level": LEVEL[r["batch"]], "school_name": None, **r} for r in rows]
    )


def receipts(rows: list[tuple]) -> pl.DataFrame:
    """(row, payer_name, school_code, yuan, date 'MM-DD' in 2023, memo) → receipts frame (amount in fen)."""
    data = [
        {
            "file": "bank.csv",
            "_row": row,
            "payer_name": name,
            "school_code": code,
            "amount_fen": fen,
            "paid_on": dt.date(2023, int(day[:2]), int(day[3:])),
            "memo": memo,
        }
        for row, name, code, fen, day, memo in rows
    ]
    return pl.DataFrame(data, schema=RECEIPT_SCHEMA)


def schools(aliases: dict[str, list[str]] | None = None) -> pl.DataFrame:
    aliases = aliases or {}
    codes = sorted(PROVINCE)
    return pl.DataFrame(
        {
            "school_code": codes,
            "school_name": [f"{c}学院" for c in codes],
            "province": [PROVINCE[c] for c in codes],
            "is_pilot": [True] * len(codes),
            "filed": [True] * len(codes),
            "teacher_cert": [None] * len(codes),
            "aliases": [aliases.get(c, []) for c in codes],
        },
        schema_overrides={"aliases": pl.List(pl.String), "teacher_cert": pl.String},
    )


def row_of(statement: pl.DataFrame, payer: str, batch: str) -> dict:
    rows = statement.filter((pl.col("payer_code") == payer) & (pl.col("batch") == batch)).to_dicts()
    assert len(rows) == 1, (payer, batch, rows)
    return rows[0]


# --------------------------------------------------------------------------- who owes what


def test_csv_columns_are_exactly_the_issue_header():
    assert ",".join(CSV_COLUMNS) == (
        "payer_code,batch,level,person_times,unit_price_fen,expected_fen,paid_fen,balance_fen,status"
    )


def test_one_person_time_per_row_billed_to_the_host_site():
    borrowed = [
        # a non-pilot student of 44901 sitting at 44001, and a social candidate sitting at 44002
        {
            "candidate_no": "b1",
            "candidate_type": "nonpilot_student",
            "school_code": "44901",
            "province": "广东省",
            "site_code": "44001",
            "batch": "2023-01",
        },
        {
            "candidate_no": "s1",
            "candidate_type": "social",
            "school_code": None,
            "province": "广东省",
            "site_code": "44002",
            "batch": "2023-01",
        },
    ]
    exp = expected_fees(regs([("44001", "2023-01", 2)], borrowed), notice=NOTICE)
    assert exp.select("payer_code", "person_times", "unit_price_fen", "expected_fen").rows() == [
        ("44001", 3, JUNIOR, 3 * JUNIOR),  # 102000
        ("44002", 1, JUNIOR, JUNIOR),
    ]
    assert "44901" not in exp["payer_code"].to_list()


def test_provincial_price_for_listed_province_and_level_else_the_notice():
    frame = regs([("33001", "2023-01", 2), ("33001", "2023-02", 1), ("44001", "2023-01", 1), ("44001", "2023-13", 2)])
    exp = expected_fees(frame, notice=NOTICE, prices=PRICES)
    got = {(r["payer_code"], r["batch"]): (r["unit_price_fen"], r["expected_fen"]) for r in exp.to_dicts()}
    assert got == {
        ("33001", "2023-01"): (ZJ_JUNIOR, 64000),  # 2 × 320
        ("33001", "2023-02"): (INTERMEDIATE, 34000),  # 浙江省 lists no intermediate price here → notice
        ("44001", "2023-01"): (JUNIOR, 34000),
        ("44001", "2023-13"): (SENIOR, 72000),  # 2 × 360
    }


def test_province_of_the_site_comes_from_the_schools_file_when_given():
    frame = regs([("33001", "2023-01", 1)]).with_columns(pl.lit("浙江").alias("province"))  # short form in the file
    without = expected_fees(frame, notice=NOTICE, prices=PRICES)
    with_schools = expected_fees(frame, notice=NOTICE, prices=PRICES, schools=schools())
    assert without["unit_price_fen"].to_list() == [JUNIOR]
    assert with_schools["unit_price_fen"].to_list() == [ZJ_JUNIOR]


def test_absent_candidates_billed_by_default_and_left_out_when_policy_says_so():
    frame = regs([("44001", "2023-01", 3)])
    results = pl.DataFrame(
        {
            "candidate_no": ["2023-01-44001-000", "2023-01-44001-001", "2023-01-44001-002"],
            "batch": ["2023-01"] * 3,
            "status": ["graded", "absent", "void"],
        }
    )
    billed = expected_fees(frame, notice=NOTICE, results=results)
    not_billed = expected_fees(frame, notice=NOTICE, bill_absent=False, results=results)
    assert billed["person_times"].to_list() == [3]
    assert not_billed["person_times"].to_list() == [2]
    assert not_billed["expected_fen"].to_list() == [2 * JUNIOR]
    with pytest.raises(ConfigError):
        expected_fees(frame, notice=NOTICE, bill_absent=False)


def test_load_prices_reads_yuan_as_fen_with_its_label(tmp_path):
    shipped = load_prices()
    assert shipped.fen["浙江省"] == {"junior": 32000, "intermediate": 32000, "senior": 35000}
    assert shipped.status == "example" and shipped.is_example
    official = tmp_path / "prices.yaml"
    official.write_text("status: official\nprices:\n  江苏省: {senior: '365.50'}\n", encoding="utf-8")
    got = load_prices(official)
    assert got.fen == {"江苏省": {"senior": 36550}} and not got.is_example
    bad = tmp_path / "bad.yaml"
    bad.write_text("status: official\nprices:\n  江苏省: {expert: 300}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_prices(bad)
    bad.write_text("status: official\nprices:\n  江苏省: {junior: -3}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"江苏省\.junior"):
        load_prices(bad)


def test_load_bill_absent_default_is_true(tmp_path):
    from examkit.settings.policy import load_bill_absent

    assert load_bill_absent() is True
    (tmp_path / "policy.yaml").write_text("bill_absent: false\n", encoding="utf-8")
    assert load_bill_absent(tmp_path) is False
    (tmp_path / "policy.yaml").write_text("bill_absent: maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_bill_absent(tmp_path)


# --------------------------------------------------------------------------- statuses


def test_each_status_by_hand():
    frame = regs([("44001", "2023-01", 2), ("44002", "2023-01", 3), ("51001", "2023-01", 1), ("33001", "2023-01", 1)])
    bank = receipts(
        [
            (2, "44001学院", "44001", 68000, "04-08", "2023-01 考试费"),  # 2 × 340: paid
            (3, "44002学院", "44002", 68000, "04-08", "2023-01 考试费"),  # owes 3 × 340 = 102000: underpaid
            (4, "51001学院", "51001", 40000, "04-08", "2023-01 考试费"),  # owes 34000: overpaid by 6000
        ]
    )
    st = reconcile(frame, bank, notice=NOTICE, prices=PRICES).statement
    assert {k: row_of(st, k, "2023-01")["status"] for k in ("44001", "44002", "51001", "33001")} == {
        "44001": "paid",
        "44002": "underpaid",
        "51001": "overpaid",
        "33001": "unpaid",
    }
    assert row_of(st, "44002", "2023-01")["balance_fen"] == 34000
    assert row_of(st, "51001", "2023-01")["balance_fen"] == -6000
    assert row_of(st, "33001", "2023-01")["balance_fen"] == ZJ_JUNIOR
    assert row_of(st, "33001", "2023-01")["paid_fen"] == 0


def test_a_receipt_naming_a_batch_goes_to_it_even_when_an_older_one_is_outstanding():
    frame = regs([("44001", "2023-01", 1), ("44001", "2023-03", 1)])
    bank = receipts([(2, "44001学院", "44001", 34000, "05-10", "2023年第三次统考考试费")])
    st = reconcile(frame, bank, notice=NOTICE).statement
    assert row_of(st, "44001", "2023-03")["status"] == "paid"
    assert row_of(st, "44001", "2023-01")["status"] == "unpaid"
    assert not row_of(st, "44001", "2023-03")["allocated"]


# --------------------------------------------------------------------------- lump sums


def test_lump_sum_is_allocated_to_the_oldest_outstanding_batches_first():
    # owes 2023-01: 2 × 340 = 68000; 2023-02: 1 × 340 = 34000; 2023-03: 3 × 340 = 102000
    frame = regs([("44001", "2023-01", 2), ("44001", "2023-02", 1), ("44001", "2023-03", 3)])
    bank = receipts([(2, "44001学院", "44001", 120000, "05-20", "考试费")])  # names no batch
    rec = reconcile(frame, bank, notice=NOTICE)
    parts = rec.lump_sums().select("batch", "paid_fen").rows()
    assert parts == [("2023-01", 68000), ("2023-02", 34000), ("2023-03", 18000)]
    st = rec.statement
    assert [row_of(st, "44001", b)["status"] for b in ("2023-01", "2023-02", "2023-03")] == [
        "paid",
        "paid",
        "underpaid",
    ]
    assert row_of(st, "44001", "2023-03")["balance_fen"] == 84000
    assert all(row_of(st, "44001", b)["allocated"] for b in ("2023-01", "2023-02", "2023-03"))


def test_lump_sums_are_applied_in_date_order_not_file_order():
    frame = regs([("44001", "2023-01", 2), ("44001", "2023-02", 1), ("44001", "2023-03", 3)])
    bank = receipts(
        [
            (2, "44001学院", "44001", 50000, "06-01", "考试费"),  # later
            (3, "44001学院", "44001", 80000, "05-01", "考试费"),  # earlier: applied first
        ]
    )
    parts = reconcile(frame, bank, notice=NOTICE).lump_sums().select("_row", "batch", "paid_fen").rows()
    assert sorted(parts) == sorted(
        [
            (3, "2023-01", 68000),
            (3, "2023-02", 12000),
            (2, "2023-02", 22000),
            (2, "2023-03", 28000),
        ]
    )


def test_lump_sum_naming_batches_goes_only_to_those():
    frame = regs([("44001", "2023-01", 1), ("44001", "2023-02", 1), ("44001", "2023-03", 1)])
    bank = receipts([(2, "44001学院", "44001", 68000, "05-20", "2023-02、2023-03 考试费")])
    rec = reconcile(frame, bank, notice=NOTICE)
    assert rec.lump_sums().select("batch", "paid_fen").rows() == [("2023-02", 34000), ("2023-03", 34000)]
    assert row_of(rec.statement, "44001", "2023-01")["status"] == "unpaid"


def test_what_is_left_after_every_target_is_an_overpayment_of_the_newest():
    frame = regs([("44001", "2023-01", 2), ("44001", "2023-02", 1)])  # owes 68000 + 34000
    bank = receipts([(2, "44001学院", "44001", 110000, "05-20", "考试费")])
    st = reconcile(frame, bank, notice=NOTICE).statement
    assert row_of(st, "44001", "2023-01")["paid_fen"] == 68000
    assert row_of(st, "44001", "2023-02")["paid_fen"] == 42000
    assert row_of(st, "44001", "2023-02")["status"] == "overpaid"
    assert row_of(st, "44001", "2023-02")["balance_fen"] == -8000


def test_scope_a_lump_sum_partly_for_later_batches_keeps_their_share_apart():
    frame = regs([("44001", "2023-01", 2)])  # owes 68000 for 2023-01
    bank = receipts(
        [
            (2, "44001学院", "44001", 100000, "04-20", "2023年第一次统考、2023年第二次统考"),
            (3, "44001学院", "44001", 34000, "04-21", "2023年第二次统考"),  # only a batch outside the scope
        ]
    )
    rec = reconcile(frame, bank, notice=NOTICE, scope=("2023-01",))  # narrowed: 2023-01 only
    assert rec.narrowed
    assert rec.allocations.select("_row", "batch", "paid_fen").rows() == [(2, "2023-01", 68000)]
    assert rec.other_batches.select("_row", "aside_fen").rows() == [(2, 32000), (3, 34000)]
    assert rec.unmatched.height == 0
    assert row_of(rec.statement, "44001", "2023-01")["status"] == "paid"


def test_the_scope_is_the_year_so_receipts_for_batches_with_nothing_billed_are_statement_rows():
    frame = regs([("44001", "2023-01", 2)])  # owes 68000 for 2023-01; nothing registered for 2023-02
    bank = receipts(
        [
            (2, "44001学院", "44001", 100000, "04-20", "2023年第一次统考、2023年第二次统考"),
            (3, "44001学院", "44001", 34000, "04-21", "2023年第二次统考"),
        ]
    )
    rec = reconcile(frame, bank, notice=NOTICE)  # no scope given: every batch of the notice
    assert rec.scope == tuple(f"2023-{n:02d}" for n in range(1, 14)) and not rec.narrowed
    assert rec.other_batches.height == 0 and rec.unmatched.height == 0
    # row 2: 68000 settles 2023-01, the 32000 left is an overpayment of 2023-02 (its newest target)
    assert rec.allocations.select("_row", "batch", "paid_fen").rows() == [
        (2, "2023-01", 68000),
        (2, "2023-02", 32000),
        (3, "2023-02", 34000),
    ]
    credit = row_of(rec.statement, "44001", "2023-02")
    assert (credit["person_times"], credit["expected_fen"], credit["paid_fen"], credit["balance_fen"]) == (
        0,
        0,
        66000,
        -66000,
    )
    assert (credit["status"], credit["note"]) == ("overpaid", "no_registrations")
    assert row_of(rec.statement, "44001", "2023-01")["note"] is None


def test_a_receipt_for_a_batch_whose_rows_were_all_excluded_is_an_overpaid_row_saying_why():
    # the issue's case: 2023-02's only registration row failed validation, so nothing is billed for it
    frame = regs([("44001", "2023-01", 1)])
    bank = receipts([(2, "44001学院", "44001", 34000, "05-20", "2023-02 考试费")])
    rec = reconcile(frame, bank, notice=NOTICE, excluded={"2023-02": 1})
    assert rec.other_batches.height == 0 and rec.unmatched.height == 0
    row = row_of(rec.statement, "44001", "2023-02")
    assert (row["expected_fen"], row["paid_fen"], row["balance_fen"], row["status"]) == (0, 34000, -34000, "overpaid")
    assert (row["note"], row["note_detail"]) == ("all_excluded", "1")
    assert rec.notes().select("payer_code", "batch", "note").rows() == [("44001", "2023-02", "all_excluded")]


def test_why_nothing_was_billed_for_each_case():
    # 2023-01: 44001 has 2 rows (both absent below), 44002 has 1; 1 more row of 2023-01 was excluded
    # 2023-03: 44001 has 1 row, nobody sits at 51001, nothing excluded; 2023-02: no registrations at all
    frame = regs([("44001", "2023-01", 2), ("44002", "2023-01", 1), ("44001", "2023-03", 1)])
    results = pl.DataFrame(
        {
            "candidate_no": ["2023-01-44001-000", "2023-01-44001-001"],
            "batch": ["2023-01", "2023-01"],
            "status": ["absent", "absent"],
        }
    )
    bank = receipts(
        [
            (2, "44001学院", "44001", 1000, "05-20", "2023-01"),  # site registered, all absent, not billed
            (3, "51001学院", "51001", 2000, "05-20", "2023-01"),  # nobody of 2023-01 at 51001, 1 row excluded
            (4, "51001学院", "51001", 3000, "05-20", "2023-03"),  # nobody of 2023-03 at 51001
            (5, "44002学院", "44002", 4000, "05-20", "2023-02"),  # no registrations of 2023-02
            (6, "44002学院", "44002", 5000, "05-20", "2023-01"),  # billed 1 row: no note
        ]
    )
    rec = reconcile(
        frame, bank, notice=NOTICE, schools=schools(), bill_absent=False, results=results, excluded={"2023-01": 1}
    )
    got = {(r["payer_code"], r["batch"]): (r["note"], r["note_detail"]) for r in rec.statement.to_dicts()}
    assert got == {
        ("44001", "2023-01"): ("all_absent", "2"),
        ("51001", "2023-01"): ("none_here_excluded", "1"),
        ("51001", "2023-03"): ("none_here", None),
        ("44002", "2023-02"): ("no_registrations", None),
        ("44002", "2023-01"): (None, None),
        ("44001", "2023-03"): (None, None),
    }
    assert row_of(rec.statement, "44001", "2023-01")["status"] == "overpaid"


def _unreadable(batch: str = "2023-02"):
    from examkit.intake.registrations import UnreadableFile

    return UnreadableFile(f"/data/registrations/{batch}.xlsx", batch, f"文件 {batch}.xlsx 没有可识别的表头")


def test_a_batch_whose_file_could_not_be_read_is_unknown_not_absent():
    frame = regs([("44001", "2023-01", 2), ("44001", "2023-03", 1)])
    bank = receipts(
        [
            (2, "44001学院", "44001", 34000, "05-20", "2023-02"),  # for the unknown batch
            (3, "44002学院", "44002", 20000, "05-21", "2023年第二次统考"),
            (4, "44001学院", "44001", 68000, "05-22", "2023-01"),
        ]
    )
    rec = reconcile(frame, bank, notice=NOTICE, schools=schools(), scope=SCOPE_1_3, unreadable=[_unreadable()])
    assert rec.unknown == ("2023-02",)
    assert rec.other_batches.height == 0 and rec.unmatched.height == 0  # not set aside with other batches
    for payer, paid in (("44001", 34000), ("44002", 20000)):
        row = row_of(rec.statement, payer, "2023-02")
        assert (row["status"], row["paid_fen"]) == ("unknown", paid)
        assert row["person_times"] is None and row["expected_fen"] is None and row["balance_fen"] is None
        assert (row["note"], row["note_detail"]) == ("unknown_batch", "2023-02.xlsx")
    by_batch = {r["batch"]: r for r in rec.by_batch().to_dicts()}
    assert sorted(by_batch) == ["2023-01", "2023-02", "2023-03"]  # 2023-03 unpaid: 1 × 340
    assert by_batch["2023-02"]["expected_fen"] is None and by_batch["2023-02"]["paid_fen"] == 54000
    assert by_batch["2023-02"]["unknown"] == 2
    # the year's totals per school are over the known batches: 44001 owes 68000 + 34000, paid 68000 of it
    school = rec.by_school().filter(pl.col("payer_code") == "44001").to_dicts()[0]
    assert (school["expected_fen"], school["paid_fen"], school["balance_fen"]) == (102000, 102000, 34000)


def test_an_unknown_batch_nobody_paid_for_still_has_its_row_in_the_totals_per_batch():
    frame = regs([("44001", "2023-01", 1)])
    bank = receipts([(2, "44001学院", "44001", 34000, "05-20", "2023-01")])
    rec = reconcile(frame, bank, notice=NOTICE, scope=SCOPE_1_3, unreadable=[_unreadable()])
    rows = {r["batch"]: r for r in rec.by_batch().to_dicts()}
    assert sorted(rows) == ["2023-01", "2023-02"]
    assert (rows["2023-02"]["expected_fen"], rows["2023-02"]["paid_fen"], rows["2023-02"]["balance_fen"]) == (
        None,
        0,
        None,
    )


# --------------------------------------------------------------------------- matching


def test_matching_by_code_column_memo_code_name_and_alias():
    frame = regs([(c, "2023-01", 1) for c in ("44001", "44002", "33001", "51001")])
    sch = schools({"51001": ["天府职院"], "33001": ["钱江职院", "钱江学院"]})
    bank = receipts(
        [
            (2, "随便写的名字", "44001", 34000, "04-08", "2023-01"),  # code column
            (3, "财务处", None, 34000, "04-08", "院校44002 2023-01 考试费"),  # code in the memo
            (4, " 33001学院 ", None, 32000, "04-08", "2023-01"),  # registered name (spaces ignored)
            (5, "天府职院", None, 34000, "04-08", "2023年第一次统考考试费"),  # alias, no code anywhere
            (6, "某某公司", None, 5000, "04-08", "2023-01"),  # nobody
        ]
    )
    rec = reconcile(frame, bank, notice=NOTICE, schools=sch, prices=PRICES)
    got = {r["_row"]: (r["payer_code"], r["match_by"]) for r in rec.receipts.to_dicts()}
    assert got == {
        2: ("44001", "code"),
        3: ("44002", "memo_code"),
        4: ("33001", "name"),
        5: ("51001", "alias"),
        6: (None, None),
    }
    assert rec.unmatched.select("_row", "reason").rows() == [(6, "unknown_payer")]
    assert set(rec.statement["status"]) == {"paid"}


def test_aliases_as_raw_text_are_split_on_the_usual_separators():
    frame = regs([("33001", "2023-01", 1)])
    raw = schools().with_columns(
        pl.when(pl.col("school_code") == "33001").then(pl.lit("钱江职院;钱江学院、杭钱")).alias("aliases")
    )
    bank = receipts([(2, "钱江学院", None, 32000, "04-08", "2023-01"), (3, "杭钱", None, 1, "04-09", "2023-01")])
    rec = reconcile(frame, bank, notice=NOTICE, schools=raw, prices=PRICES)
    assert rec.receipts["payer_code"].to_list() == ["33001", "33001"]


def test_an_alias_shared_by_two_schools_is_ambiguous():
    frame = regs([("44001", "2023-01", 1), ("44002", "2023-01", 1)])
    sch = schools({"44001": ["广东职院"], "44002": ["广东职院"]})
    bank = receipts([(2, "广东职院", None, 34000, "04-08", "2023-01")])
    rec = reconcile(frame, bank, notice=NOTICE, schools=sch)
    assert rec.unmatched.select("_row", "reason").rows() == [(2, "ambiguous_payer")]


def test_unknown_code_in_the_column_falls_back_to_the_name():
    frame = regs([("44001", "2023-01", 1)])
    bank = receipts([(2, "44001学院", "99999", 34000, "04-08", "2023-01")])
    rec = reconcile(frame, bank, notice=NOTICE, schools=schools())
    assert rec.receipts.select("payer_code", "match_by").rows() == [("44001", "name")]


# --------------------------------------------------------------------------- duplicates and leftovers


def test_same_payer_amount_date_memo_is_a_possible_duplicate_not_summed():
    frame = regs([("44001", "2023-01", 2), ("44002", "2023-01", 1)])
    bank = receipts(
        [
            (2, "44001学院", "44001", 68000, "04-08", "2023-01 考试费"),
            (3, "44001学院", "44001", 68000, "04-08", "2023-01 考试费"),  # the same line again
            (4, "44002学院", "44002", 17000, "04-08", "2023-01 第一笔"),  # same payer/amount/date, other memo:
            (5, "44002学院", "44002", 17000, "04-08", "2023-01 第二笔"),  # two real payments
        ]
    )
    rec = reconcile(frame, bank, notice=NOTICE)
    assert row_of(rec.statement, "44001", "2023-01")["paid_fen"] == 68000
    assert row_of(rec.statement, "44001", "2023-01")["status"] == "paid"
    assert row_of(rec.statement, "44002", "2023-01")["paid_fen"] == 34000
    assert rec.unmatched.select("_row", "reason", "detail").rows() == [(3, "possible_duplicate", "2")]
    assert rec.duplicates.select("_row", "duplicate_of").rows() == [(2, None), (3, 2)]


def test_a_known_school_owing_nothing_and_naming_no_batch_is_unmatched():
    frame = regs([("44001", "2023-01", 1)])
    bank = receipts(
        [
            (2, "37003学院", "37003", 34000, "04-08", "考试费"),
            (3, "37003学院", "37003", 34000, "04-09", "2023-01 考试费"),  # names a batch in scope: a credit
        ]
    )
    rec = reconcile(frame, bank, notice=NOTICE, schools=schools())
    assert rec.unmatched.select("_row", "reason", "detail").rows() == [(2, "nothing_billed", "37003")]
    credit = row_of(rec.statement, "37003", "2023-01")
    assert (credit["person_times"], credit["expected_fen"], credit["paid_fen"], credit["status"]) == (
        0,
        0,
        34000,
        "overpaid",
    )


def test_rerunning_and_reordering_the_bank_rows_gives_the_same_statement():
    frame = regs([("44001", "2023-01", 2), ("44001", "2023-02", 1), ("44002", "2023-01", 1)])
    bank = receipts(
        [
            (2, "44001学院", "44001", 50000, "04-20", "考试费"),
            (3, "44001学院", "44001", 60000, "04-21", "考试费"),
            (4, "44002学院", "44002", 34000, "04-08", "2023-01"),
            (5, "44002学院", "44002", 34000, "04-08", "2023-01"),
        ]
    )
    first = reconcile(frame, bank, notice=NOTICE)
    again = reconcile(frame.sample(fraction=1.0, shuffle=True, seed=1), bank.reverse(), notice=NOTICE)
    assert first.statement.equals(again.statement)
    assert first.allocations.equals(again.allocations)
    assert first.unmatched.equals(again.unmatched)
