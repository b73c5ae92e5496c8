"""The reading edge (``examkit.io.tables.read_table``): Excel row numbers, header search, encodings, junk."""

from __future__ import annotations

import pytest
import xlsxwriter

from examkit.core.exceptions import InputError
from examkit.io.tables import read_raw, read_table


def _xlsx(path, cells: dict[tuple[int, int], str]) -> None:
    """Write string cells at (0-based row, col)."""
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet()
        for (r, c), v in cells.items():
            ws.write_string(r, c, v)


def test_xlsx_rows_keep_excel_numbers_when_the_table_starts_lower(tmp_path):
    p = tmp_path / "low.xlsx"
    # title in C2, header in row 4 starting at column B, data in rows 5 and 7 (row 6 blank)
    _xlsx(
        p,
        {
            (1, 2): "2023年报名表",
            (3, 1): "考生号",
            (3, 2): "姓名",
            (4, 1): "A1",
            (4, 2): "甲",
            (6, 1): "A2",
            (6, 2): "乙",
        },
    )
    t = read_table(p, "registrations")
    assert t.header_row == 4
    assert t.frame.select("_row", "candidate_no").rows() == [(5, "A1"), (6, None), (7, "A2")]


def test_csv_header_below_blank_and_title_lines(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("\n\n报名表\n考生号,姓名\nA1,甲\n", encoding="utf-8")
    t = read_table(p, "registrations")
    assert t.header_row == 4 and t.frame.rows() == [(5, "A1", "甲")]


def test_header_matching_ignores_width_case_spaces_and_brackets(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("ＩＤ　Ｎｕｍｂｅｒ,\u200b姓 名 ,Candidate_No\n1,2,3\n", encoding="utf-8")
    t = read_table(p, "registrations")
    assert t.headers == {"id_number": "ＩＤ Ｎｕｍｂｅｒ", "name": "\u200b姓 名", "candidate_no": "Candidate_No"}
    q = tmp_path / "pay.csv"
    q.write_text("付款单位,金额（元）,到账日期\n甲,1.00,2023-04-01\n", encoding="utf-8")
    assert read_table(q, "payments").headers["amount"] == "金额（元）"


def test_unknown_and_repeated_headers(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("考生号,备注,考生号,,姓名\nA1,x,A9,,甲\n", encoding="utf-8")
    t = read_table(p, "registrations")
    assert t.unknown == ["备注", "考生号_2"]
    assert t.frame.columns == ["_row", "candidate_no", "name"]
    wide = read_table(p, "registrations", keep_unknown=True)
    assert wide.frame.select("candidate_no", "备注", "考生号_2").rows() == [("A1", "x", "A9")]


@pytest.mark.parametrize(
    ("data", "sep_name"),
    [
        ("考生号,姓名\r甲1,甲\r".encode(), "classic Mac line ends"),
        ("考生号\t姓名\r\n甲1\t甲\r\n".encode("utf-16"), "Excel Unicode text"),
        ("考生号;姓名\n甲1;甲\n".encode("gbk"), "semicolons, GBK"),
        ("\ufeff考生号,姓名\n甲1,甲,多余\n".encode(), "BOM and a ragged row"),
    ],
)
def test_csv_variants(tmp_path, data, sep_name):
    p = tmp_path / "v.csv"
    p.write_bytes(data)
    t = read_table(p, "registrations")
    assert t.frame.rows() == [(2, "甲1", "甲")], sep_name


def test_quoted_newline_is_one_row(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('考生号,姓名\nA1,"甲\n乙"\nA2,丙\n', encoding="utf-8")
    assert read_table(p, "registrations").frame.rows() == [(2, "A1", "甲\n乙"), (3, "A2", "丙")]


def test_read_raw_uses_the_first_non_blank_row_as_header(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("\n列1,列2\na,b\n", encoding="utf-8")
    assert read_raw(p).columns == ["列1", "列2"]


@pytest.mark.parametrize(
    "data",
    [b"", b"\r\n \r\n", b"\xef\xbb\xbf", b"PK\x03\x04\x00\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk", b"a\x00b,c\n"],
)
def test_unusable(tmp_path, data):
    p = tmp_path / "x.csv"
    p.write_bytes(data)
    with pytest.raises(InputError):
        read_table(p, "registrations")


def test_gbk_file_whose_start_is_plain_ascii_is_read_as_gbk(tmp_path):
    """The first 80 KB decode as UTF-8 too: the GBK bytes further down decide, and nothing turns to mojibake."""
    rows = [f"A{i},name{i}" for i in range(10_000)] + ["甲1,张三"]
    p = tmp_path / "gbk.csv"
    p.write_bytes(("candidate_no,name\n" + "\n".join(rows)).encode("gbk"))
    frame = read_table(p, "registrations").frame
    assert frame.height == 10_001
    assert frame.row(-1) == (10_002, "甲1", "张三")


def test_utf8_character_cut_by_the_first_look_and_a_ragged_last_line(tmp_path):
    """Read right with a character split in two where the separator is guessed and the widest line the last."""
    head = "考生号;姓名  \n" + "".join(f"甲{i};乙{'中' * 30}\n" for i in range(1_000))  # byte 80,000 inside 中
    p = tmp_path / "cut.csv"
    p.write_bytes((head + "丙9;丁;多余\n").encode())
    t = read_table(p, "registrations", keep_unknown=True)
    assert t.frame.height == 1_001
    assert t.frame.row(-1)[:3] == (1_002, "丙9", "丁")
    assert t.frame.row(0)[:3] == (2, "甲0", "乙" + "中" * 30)


def test_trailing_blank_rows_far_beyond_the_last_filled_one_are_dropped(tmp_path):
    p = tmp_path / "blank.csv"
    p.write_text("考生号,姓名\nA1,甲\n\n, \nA2,乙\n" + ",\n" * 5_000, encoding="utf-8")
    assert read_table(p, "registrations").frame.rows() == [
        (2, "A1", "甲"),
        (3, None, None),
        (4, None, " "),
        (5, "A2", "乙"),
    ]
