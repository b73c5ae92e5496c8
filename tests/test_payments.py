"""Reading bank statement exports: amounts to integer fen, dates, and findings for bad rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from examkit.core.exceptions import InputError
from examkit.intake.payments import RECEIPT_SCHEMA, amounts_to_fen, load_payments

HEADER = "付款单位,院校代码,金额(元),到账日期,摘要"


def _csv(tmp_path: Path, lines: list[str], header: str = HEADER, encoding: str = "utf-8-sig") -> Path:
    p = tmp_path / "bank.csv"
    p.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode(encoding))
    return p


def test_amounts_as_people_write_them_become_exact_fen(tmp_path):
    p = _csv(
        tmp_path,
        [
            'A校,44001,"6,800.00",2023-04-14,x',
            "A校,44001,￥6800,2023-04-14,x",
            "A校,44001,340,2023-04-14,x",
            "A校,44001,360.5,2023-04-14,x",
            "A校,44001,０.０１,2023-04-14,x",
            "A校,44001,1234.56元,2023-04-14,x",
        ],
    )
    pay = load_payments(p)
    assert pay.findings == []
    # by hand: yuan × 100
    assert pay.frame["amount_fen"].to_list() == [680000, 680000, 34000, 36050, 1, 123456]
    assert pay.frame.schema == pl.Schema(RECEIPT_SCHEMA)


def test_dates_in_the_spellings_banks_use(tmp_path):
    p = _csv(
        tmp_path,
        [
            "A校,44001,1,2023/4/5,x",
            "A校,44001,1,2023年4月5日,x",
            "A校,44001,1,20230405,x",
            "A校,44001,1,2023-04-05 00:00:00,x",
            "A校,44001,1,45021,x",  # Excel serial: 1899-12-30 + 45021 days = 2023-04-05
        ],
    )
    pay = load_payments(p)
    assert pay.findings == []
    assert pay.frame["paid_on"].to_list() == [dt.date(2023, 4, 5)] * 5


def test_bad_amounts_and_dates_are_findings_with_file_row_column_value(tmp_path):
    p = _csv(
        tmp_path,
        [
            "A校,44001,3400,2023-04-14,ok",  # row 2
            "A校,44001,-340.00,2023-04-14,refund",  # row 3: negative
            "A校,44001,0,2023-04-14,zero",  # row 4: zero
            "A校,44001,六千八,2023-04-14,words",  # row 5: not an amount
            "A校,44001,340.123,2023-04-14,fraction of a fen",  # row 6
            "A校,44001,,2023-04-14,empty amount",  # row 7
            "A校,44001,3400,2023-02-30,no such day",  # row 8
            "B校,44002,1700,2023-04-15,ok",  # row 9
        ],
        header="付款人,院校代码,收入金额,交易日期,附言",  # the user's own headers (aliases in columns.yaml)
    )
    pay = load_payments(p)
    got = {(f.row, f.column, f.value, f.rule) for f in pay.findings}
    assert got == {
        (3, "收入金额", "-340.00", "fees.amount_negative"),
        (4, "收入金额", "0", "fees.amount_zero"),
        (5, "收入金额", "六千八", "fees.amount_unparseable"),
        (6, "收入金额", "340.123", "fees.amount_unparseable"),
        (7, "收入金额", "", "fees.amount_missing"),
        (8, "交易日期", "2023-02-30", "fees.date_invalid"),
    }
    for f in pay.findings:
        assert f.file == str(p)
        assert f.severity == "error"
        assert "bank.csv" in f.message and str(f.row) in f.message and f.column in f.message
    unparseable = next(f for f in pay.findings if f.row == 5)
    assert "6,800.00" in unparseable.message  # says what is accepted
    bad_date = next(f for f in pay.findings if f.row == 8)
    assert "2023年3月5日" in bad_date.message
    # the good rows are kept, with their Excel row numbers; bad ones are not receipts
    assert pay.frame[["_row", "amount_fen"]].rows() == [(2, 340000), (9, 170000)]


def test_english_messages(tmp_path):
    from examkit.core.i18n import get_lang, set_lang

    p = _csv(tmp_path, ["A校,44001,-5,2023-04-14,x"])
    before = get_lang()
    set_lang("en")
    try:
        pay = load_payments(p)
    finally:
        set_lang(before)
    assert "row 2" in pay.findings[0].message and "negative" in pay.findings[0].message


def test_gbk_csv_and_blank_rows(tmp_path):
    p = _csv(
        tmp_path,
        [
            "杭州钱江职业技术学院,33001,￥8000,2023-04-09,考试费",
            ",,,,",
            "宁波港城职业学院,33002,3520,2023-04-16,考试费",
        ],
        encoding="gb18030",
    )
    pay = load_payments(p)
    assert pay.findings == []
    assert pay.frame["payer_name"].to_list() == ["杭州钱江职业技术学院", "宁波港城职业学院"]
    assert pay.frame["_row"].to_list() == [2, 4]  # the blank row 3 is skipped, not renumbered
    assert pay.frame["school_code"].to_list() == ["33001", "33002"]


def test_xlsx_number_and_date_cells(tmp_path):
    import xlsxwriter

    p = tmp_path / "bank.xlsx"
    with xlsxwriter.Workbook(str(p)) as wb:
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["付款单位", "院校代码", "金额(元)", "到账日期", "摘要"])
        ws.write_row(1, 0, ["绵阳科创职业学院", "03107"])
        ws.write_number(1, 2, 6800)
        ws.write_datetime(1, 3, dt.datetime(2023, 4, 14), wb.add_format({"num_format": "yyyy-mm-dd"}))
        ws.write_row(2, 0, ["绵阳科创职业学院", "03107"])
        ws.write_number(2, 2, 340.1)
        ws.write_string(2, 3, "2023/4/15")
    pay = load_payments(p)
    assert pay.findings == []
    assert pay.frame["amount_fen"].to_list() == [680000, 34010]
    assert pay.frame["paid_on"].to_list() == [dt.date(2023, 4, 14), dt.date(2023, 4, 15)]
    assert pay.frame["school_code"].to_list() == ["03107", "03107"]  # the leading zero survives


def test_missing_amount_column_is_an_input_error_naming_the_file(tmp_path):
    p = _csv(tmp_path, ["A校,2023-04-14,x"], header="付款单位,到账日期,摘要")
    with pytest.raises(InputError) as err:
        load_payments(p)
    assert "bank.csv" in str(err.value) and "金额(元)" in str(err.value)


def test_amounts_to_fen_series():
    s = pl.Series(["6,800.00", "￥6800", "abc", None, "6,800.00"])
    assert amounts_to_fen(s).to_list() == [680000, 680000, None, None, 680000]
