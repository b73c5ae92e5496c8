"""The demo ledger's planted discrepancies show up in the statement, the CLI outputs and the xlsx."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from examkit.analysis.fees import reconcile
from examkit.cli import main
from examkit.core.i18n import t
from examkit.core.notice import load_notice
from examkit.intake.payments import load_payments
from examkit.session.fee_inputs import load_inputs
from examkit.settings.prices import load_prices

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "data" / "fixture"


@pytest.fixture(scope="module")
def demo(demo_project) -> Path:
    return demo_project.data


@pytest.fixture(scope="module")
def planted(demo) -> dict[str, dict]:
    items = json.loads((demo / "planted.json").read_text(encoding="utf-8"))["payments"]
    return {p["kind"]: p for p in items}


@pytest.fixture(scope="module")
def inputs(demo):
    regs, schools, _ = load_inputs([demo / "registrations"], demo / "schools.xlsx")
    return regs, schools, load_payments(demo / "payments.csv")


def _reconcile(inputs, upto: str | None = None):
    """The year (every batch of the notice), or the year so far up to ``upto`` (as that batch's report sees it)."""
    regs, schools, pay = inputs
    notice = load_notice(2023)
    return reconcile(
        regs,
        pay.frame,
        notice=notice,
        schools=schools,
        prices=load_prices(),
        findings=pay.findings,
        scope=[b.id for b in notice.batches if b.id <= upto] if upto else None,
    )


@pytest.fixture(scope="module")
def year(inputs):
    return _reconcile(inputs)


def _row(statement: pl.DataFrame, payer: str, batch: str) -> dict:
    rows = statement.filter((pl.col("payer_code") == payer) & (pl.col("batch") == batch)).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_every_planted_kind_is_there(planted):
    assert set(planted) == {
        "provincial_price",
        "lump_sum",
        "underpaid",
        "overpaid",
        "duplicate",
        "alias",
        "unpaid",
        "unmatched",
        "negative_amount",
        "unparseable_amount",
    }


def test_status_discrepancies_show_in_the_year_statement(year, planted):
    for kind in ("underpaid", "overpaid", "unpaid"):
        p = planted[kind]
        row = _row(year.statement, p["payer_code"], p["batch"])
        assert row["status"] == kind
        assert (row["expected_fen"], row["paid_fen"], row["balance_fen"]) == (
            p["expected_fen"],
            p["paid_fen"],
            p["balance_fen"],
        )


def test_amounts_written_with_separator_and_yen_sign_are_read_exactly(year, planted):
    assert planted["underpaid"]["amount_text"].count(",") == 1
    assert planted["overpaid"]["amount_text"].startswith("￥")
    for kind in ("underpaid", "overpaid"):
        p = planted[kind]
        part = year.allocations.filter(pl.col("_row") == p["row"])
        assert part["paid_fen"].to_list() == [p["paid_fen"]]


def test_nothing_else_is_out_of_line(year, planted):
    odd = year.statement.filter(pl.col("status") != "paid").select("payer_code", "batch", "status").rows()
    want = [(planted[k]["payer_code"], planted[k]["batch"], k) for k in ("underpaid", "overpaid", "unpaid")]
    assert sorted(odd) == sorted(want)


def test_duplicate_is_flagged_and_counted_once(year, planted):
    p = planted["duplicate"]
    first, copy = p["rows"]
    assert year.duplicates.select("_row", "duplicate_of").rows() == [(first, None), (copy, first)]
    assert year.unmatched.filter(pl.col("_row") == copy)["reason"].to_list() == ["possible_duplicate"]
    row = _row(year.statement, p["payer_code"], p["batch"])
    assert (row["paid_fen"], row["status"]) == (p["expected_fen"], "paid")


def test_unknown_payer_is_unmatched_with_its_reason(year, planted):
    p = planted["unmatched"]
    assert year.unmatched.filter(pl.col("_row") == p["row"]).select("reason", "amount_fen").rows() == [
        ("unknown_payer", p["amount_fen"])
    ]
    assert sorted(year.unmatched["_row"].to_list()) == sorted([p["row"], planted["duplicate"]["rows"][1]])


def test_lump_sum_is_allocated_across_its_batches(year, planted):
    p = planted["lump_sum"]
    parts = year.allocations.filter(pl.col("_row") == p["row"]).select("batch", "paid_fen", "allocated").rows()
    assert parts == [(b, p["parts_fen"][b], True) for b in p["batches"]]
    assert sum(fen for _, fen, _ in parts) == p["amount_fen"]
    for b in p["batches"]:
        row = _row(year.statement, p["payer_code"], b)
        assert row["status"] == "paid" and row["allocated"]


def test_lump_sum_seen_from_the_first_batch_keeps_the_later_share_apart(inputs, planted):
    p = planted["lump_sum"]
    first, second = p["batches"]
    view = _reconcile(inputs, upto=first)
    assert view.allocations.filter(pl.col("_row") == p["row"])["paid_fen"].to_list() == [p["parts_fen"][first]]
    assert view.other_batches.filter(pl.col("_row") == p["row"])["aside_fen"].to_list() == [p["parts_fen"][second]]
    assert p["row"] not in view.unmatched["_row"].to_list()


def test_alias_without_code_is_matched(year, planted):
    p = planted["alias"]
    got = year.receipts.filter(pl.col("_row") == p["row"]).select("payer_name", "school_code", "payer_code", "match_by")
    assert got.rows() == [(p["payer_name"], None, p["payer_code"], "alias")]
    assert _row(year.statement, p["payer_code"], p["batch"])["status"] == "paid"


def test_provincial_price_is_used_for_zhejiang_sites(year, planted):
    p = planted["provincial_price"]
    row = _row(year.statement, p["payer_code"], p["batch"])
    assert row["unit_price_fen"] == p["unit_price_fen"] != p["notice_price_fen"]
    assert row["expected_fen"] == p["person_times"] * p["unit_price_fen"] == p["expected_fen"]
    assert row["status"] == "paid"
    # every 浙江省 row of the year is billed at the example provincial price, the others at the notice's
    prices = load_prices().fen["浙江省"]
    zj = year.statement.filter(pl.col("payer_code").is_in(["33001", "33002"]))
    assert all(r["unit_price_fen"] == prices[r["level"]] for r in zj.to_dicts())


def test_bad_amounts_are_findings_naming_row_column_value(year, planted):
    got = {(f.row, f.column, f.value) for f in year.findings}
    assert got == {
        (planted[k]["row"], planted[k]["column"], planted[k]["value"])
        for k in ("negative_amount", "unparseable_amount")
    }
    bad_rows = {planted[k]["row"] for k in ("negative_amount", "unparseable_amount")}
    assert bad_rows.isdisjoint(year.receipts["_row"].to_list())


# --------------------------------------------------------------------------- command line and xlsx


def test_cli_csv_json_unmatched_and_xlsx(demo, planted, tmp_path, capsys):
    import openpyxl

    args = ["fees", "--registrations", str(demo / "registrations"), "--payments", str(demo / "payments.csv"),
            "--schools", str(demo / "schools.xlsx")]  # fmt: skip
    xlsx, unmatched = tmp_path / "statement.xlsx", tmp_path / "unmatched.csv"
    assert main([*args, "--format", "csv", "--xlsx", str(xlsx), "--unmatched", str(unmatched)]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0] == "payer_code,batch,level,person_times,unit_price_fen,expected_fen,paid_fen,balance_fen,status"
    rows = list(csv.DictReader(lines))
    u = planted["underpaid"]
    hit = [r for r in rows if (r["payer_code"], r["batch"]) == (u["payer_code"], u["batch"])]
    assert hit[0]["status"] == "underpaid" and int(hit[0]["balance_fen"]) == u["balance_fen"]
    assert "-340.00" in out.err  # the finding is reported, not a traceback

    with unmatched.open(encoding="utf-8-sig") as fh:
        listed = {int(r["row"]): r["reason"] for r in csv.DictReader(fh)}
    assert listed == {
        planted["unmatched"]["row"]: "unknown_payer",
        planted["duplicate"]["rows"][1]: "possible_duplicate",
    }

    wb = openpyxl.load_workbook(xlsx)  # an independent reader opens it
    payers = sorted({r["payer_code"] for r in rows})
    assert wb.sheetnames[0] == t("fees.sheet_summary")
    assert len(wb.sheetnames) == len(payers) + 1
    assert [name.split(" ")[0] for name in wb.sheetnames[1:]] == payers
    sheet = wb[next(n for n in wb.sheetnames if n.startswith(u["payer_code"]))]
    cells = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(cells) if r[0] == t("fees.col_batch"))
    cols = cells[header]
    line = next(r for r in cells[header + 1 :] if r[0] == u["batch"])
    expected_yuan = line[cols.index(t("fees.col_expected"))]
    paid_yuan = line[cols.index(t("fees.col_paid"))]
    assert round(expected_yuan * 100) == u["expected_fen"] and round(paid_yuan * 100) == u["paid_fen"]
    assert line[cols.index(t("fees.col_status"))] == t("fees.status_underpaid")

    assert main([*args, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {"rows", "unmatched", "duplicates", "other_batches", "findings", "unreadable"} <= set(payload)
    assert {u["reason"] for u in payload["unmatched"]} == {"unknown_payer", "possible_duplicate"}
    assert payload["other_batches"] == [] and payload["unreadable"] == []  # the year: nothing is set aside


def test_cli_batch_narrows_to_the_year_so_far_and_the_table_lists_what_it_sets_aside(demo, planted, capsys):
    p = planted["lump_sum"]
    first, second = p["batches"]
    args = ["fees", "--registrations", str(demo / "registrations"), "--payments", str(demo / "payments.csv"),
            "--schools", str(demo / "schools.xlsx"), "--batch", first]  # fmt: skip
    assert main([*args, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["scope"][-1] == first and second not in payload["scope"]
    assert {r["batch"] for r in payload["rows"]} <= set(payload["scope"])
    aside = {r["_row"]: r["aside_fen"] for r in payload["other_batches"]}
    assert aside[p["row"]] == p["parts_fen"][second]  # the later share of the lump sum, set aside
    assert main([*args, "--format", "table"]) == 0
    out = capsys.readouterr().out
    listed = out[out.index(t("fees.xlsx_other_batches")) :]
    assert f"│ {p['row']} " in listed  # shown in the table output, not only in the json


def test_xlsx_is_the_same_when_written_twice(inputs, tmp_path):
    from examkit.report.fee_statement import write_statement_xlsx

    write_statement_xlsx(_reconcile(inputs), tmp_path / "a.xlsx")
    write_statement_xlsx(_reconcile(inputs), tmp_path / "b.xlsx")
    import openpyxl

    def cells(p):
        wb = openpyxl.load_workbook(p)
        return {ws.title: [r for r in ws.iter_rows(values_only=True)][1:] for ws in wb.worksheets}

    assert cells(tmp_path / "a.xlsx") == cells(tmp_path / "b.xlsx")


# --------------------------------------------------------------------------- the notebook's session


def test_session_fees_on_the_fixture(tmp_path):
    from examkit.notebook.open import open_batch

    session = open_batch(
        "2023-01",
        registrations=str(FIXTURE / "registrations" / "2023-01.xlsx"),
        registrations_dir=str(FIXTURE / "registrations"),
        schools=str(FIXTURE / "schools.xlsx"),
        payments=str(FIXTURE / "payments.csv"),
        settings_dir=str(ROOT / "params"),
    )
    rec = session.fees
    assert rec.scope == ("2023-01",)
    with (FIXTURE / "payments.csv").open(encoding="gb18030") as fh:
        bank = list(csv.DictReader(fh))
    first = [r for r in bank if "2023年第一次统考" in r["摘要"]]
    # the fixture ledger pays each site exactly for 2023-01; the rest names later batches and is set apart
    assert rec.statement["status"].to_list() == ["paid"] * len(first)
    assert sorted(rec.statement["payer_code"].to_list()) == sorted(r["院校代码"] for r in first)
    assert rec.statement["paid_fen"].sum() == sum(int(r["金额(元)"]) * 100 for r in first)
    assert rec.other_batches.height == len(bank) - len(first)
    assert rec.unmatched.height == 0
