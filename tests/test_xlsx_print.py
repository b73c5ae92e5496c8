"""Printing the xlsx outputs: A4, one page wide, the title in the page header, page numbers in the footer,
and a fee statement's sign-off lines. Checked in the files (openpyxl) and in the PDF LibreOffice prints:
each of these small sheets on exactly one page. Without LibreOffice that test skips, except under
``CI=true`` where it fails.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from factories import GRADED_BATCH, graded_gradebook
from test_fees import NOTICE, PRICES, receipts, regs, schools

from examkit.analysis.fees import reconcile
from examkit.core.i18n import t
from examkit.io.write import write_xlsx
from examkit.io.xlsx_print import MAX_WIDTH, column_widths, sign_off_lines, text_width
from examkit.report.certificates import write_issue_list
from examkit.report.fee_statement import write_statement_xlsx
from examkit.store.scores import export_scores

FOOTER = "第 &P 页 / 共 &N 页"


def _recon():
    """Two paying sites over two batches: 33001 underpaid, 44001 paid for 2023-01 and not for 2023-02;
    one receipt nobody claims; example provincial prices (so the summary carries the warning line)."""
    return reconcile(
        regs([("44001", "2023-01", 3), ("44001", "2023-02", 2), ("33001", "2023-01", 4)]),
        receipts(
            [
                (2, "44001学院", "44001", 102000, "03-10", "2023年第一次统考 考试费 44001学院 三人"),
                (3, "33001学院", None, 100000, "03-12", "考试费"),
                (4, "无名单位", None, 5000, "03-13", "不明款项"),
            ]
        ),
        notice=NOTICE,
        schools=schools(),
        prices=PRICES,
    )


def _register() -> tuple[pl.DataFrame, pl.DataFrame]:
    issued = pl.DataFrame(
        {
            "certificate_no": ["202314403107000001", "202314403107000002"],
            "candidate_no": ["2301031070001", "2301031070002"],
            "name": ["王五明", "李四"],
            "id_number": ["44010620050101123X", "440106200501011258"],
            "level": ["junior", "junior"],
            "batch": ["2023-01", "2023-01"],
            "issued_on": [dt.date(2023, 5, 8)] * 2,
        }
    )
    held = pl.DataFrame(
        {
            "candidate_no": ["2301031070009"],
            "name": ["张三"],
            "id_number": ["440106200501011266"],
            "level": ["junior"],
            "held_certificate_no": ["202214403107000001"],
            "held_batch": ["2022-05"],
        }
    )
    return issued, held


@pytest.fixture
def statement(tmp_path) -> Path:
    path = tmp_path / "对账单.xlsx"
    write_statement_xlsx(_recon(), path, notice=NOTICE)
    return path


@pytest.fixture
def certificates(tmp_path) -> dict[str, Path]:
    issued, held = _register()
    return write_issue_list(issued, tmp_path, "2023-01", held=held, lang="zh")


def assert_prints_one_page_wide(ws, title: str, *, landscape: bool, repeat: str = "$1:$1") -> None:
    """The print setup of one sheet, as an independent reader (openpyxl) sees it."""
    setup = ws.page_setup
    assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    # fitToWidth 1 is the file format's default: xlsxwriter writes only other values, openpyxl reads None
    assert (setup.fitToWidth if setup.fitToWidth is not None else 1) == 1, ws.title
    assert setup.fitToHeight == 0, ws.title  # as many pages tall as it takes
    assert int(setup.paperSize) == 9, ws.title  # A4
    assert setup.orientation == ("landscape" if landscape else "portrait"), ws.title
    assert ws.print_title_rows == repeat, ws.title
    assert ws.print_options.horizontalCentered, ws.title
    assert ws.page_margins.left == ws.page_margins.right == 0.5
    assert title in ws.oddHeader.center.text, (ws.title, ws.oddHeader.center.text)
    assert ws.oddFooter.center.text == FOOTER, ws.title


def _rows(ws) -> list[tuple]:
    return [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]


# --------------------------------------------------------------------------- the files


def test_fee_statement_sheets_print_one_page_wide_with_title_and_page_numbers(statement):
    wb = openpyxl.load_workbook(statement)
    summary, *sites = wb.worksheets
    assert [ws.title for ws in sites] == ["33001 33001学院", "44001 44001学院"]
    assert_prints_one_page_wide(summary, "考试费对账单 2023-01–2023-02", landscape=True)
    for ws, code in zip(sites, ("33001", "44001"), strict=True):
        assert_prints_one_page_wide(ws, t("fees.xlsx_school_title", code=code, name=f"{code}学院"), landscape=True)


def test_a_site_sheet_ends_with_issuer_handler_seal_and_date(statement):
    wb = openpyxl.load_workbook(statement)
    for ws in wb.worksheets[1:]:
        last = [r[0] for r in _rows(ws)[-4:]]
        assert last[0].startswith("开具单位：") and last[0].endswith("____")  # the site's name is not known
        assert last[1].startswith("经办人") and last[1].endswith("____")
        assert last[2].startswith("盖章")
        assert ws.row_dimensions[ws.max_row - 1].height >= 60  # room for the seal
        today = dt.date.today()
        assert last[3] == f"日期：{today.year}年{today.month}月{today.day}日"
    # the summary is not a statement to a site: no sign-off
    assert not any("经办人" in str(v) for r in _rows(wb.worksheets[0]) for v in r)


def test_the_summarys_long_lines_wrap_across_the_tables_width(statement):
    ws = openpyxl.load_workbook(statement).worksheets[0]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # summary sentence, example-price warning, the absent-billing rule: A2..A4 spread over the 10 columns
    assert {"A2:J2", "A3:J3", "A4:J4"} <= merged
    assert ws["A3"].value.startswith("⚠") and ws["A3"].alignment.wrap_text
    assert ws["A5"].value is None and ws["A6"].value == t("fees.xlsx_by_school")  # the tables did not move


def test_sign_off_lines_name_the_issuer_and_date_when_known(tmp_path):
    import xlsxwriter

    path = tmp_path / "s.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet()
        assert sign_off_lines(ws, 3, None, "zh", issuer="某考点 & 分站", on=dt.date(2023, 5, 8)) == 7
        sign_off_lines(wb.add_worksheet(), 0, None, "en")
    first, second = openpyxl.load_workbook(path).worksheets
    assert [r[0] for r in _rows(first)] == [
        "开具单位：某考点 & 分站",
        f"经办人（签字）：{'_' * 24}",
        "盖章：",
        "日期：2023年5月8日",
    ]
    assert [r[0] for r in _rows(second)] == [
        f"Issued by: {'_' * 24}",
        f"Handled by (signature): {'_' * 24}",
        "Seal:",
        "Date: ______-____-____",
    ]


def test_certificate_lists_print_one_page_wide_and_keep_their_cells(certificates):
    for key in ("xlsx", "masked"):
        wb = openpyxl.load_workbook(certificates[key])
        assert wb.sheetnames == ["本批发证名单", "已持有该等级证书"]
        for ws in wb.worksheets:
            assert_prints_one_page_wide(ws, f"2023-01 {ws.title}", landscape=False)
        first = _rows(wb.worksheets[0])
        assert first[0][0] == "证书编号" and first[1][0] == "202314403107000001"  # header still row 1
    widths = openpyxl.load_workbook(certificates["xlsx"]).worksheets[0].column_dimensions
    assert widths["C"].width >= 7.5  # 姓名: three Chinese characters are six units wide, not three


def test_score_and_audit_exports_print_one_page_wide(tmp_path):
    gb = graded_gradebook(tmp_path / "gb.sqlite")
    try:
        scores, _ = export_scores(gb, GRADED_BATCH, tmp_path / "成绩.xlsx", lang="zh")
        audit = gb.export_audit(tmp_path / "审计.xlsx")
    finally:
        gb.close()
    ws = openpyxl.load_workbook(scores).worksheets[0]
    assert_prints_one_page_wide(ws, f"{GRADED_BATCH} {ws.title}", landscape=False)
    ws = openpyxl.load_workbook(audit).worksheets[0]
    assert_prints_one_page_wide(ws, ws.title, landscape=True)  # 13 columns: wide
    assert ws.max_column == 13


def test_orientation_follows_the_width_and_titles_escape_ampersands(tmp_path):
    narrow = pl.DataFrame({"a": ["x"], "b": ["y"]})
    wide = pl.DataFrame({f"第{i}列较长的标题": ["值"] for i in range(12)})
    path = tmp_path / "w.xlsx"
    write_xlsx({"窄": narrow, "宽": wide}, path, title="R&D 2023")
    wb = openpyxl.load_workbook(path)
    assert [ws.page_setup.orientation for ws in wb.worksheets] == ["portrait", "landscape"]
    # a lone & would start a header code: written doubled, it prints as one &
    header = wb.worksheets[0].HeaderFooter.oddHeader.center.text
    assert "R&&D 2023 窄" in header and "R&D" not in header.replace("&&", "")
    write_xlsx({"s": narrow}, tmp_path / "t.xlsx", title="&" * 300)
    raw = openpyxl.load_workbook(tmp_path / "t.xlsx").worksheets[0].oddHeader.center.text
    assert raw and set(raw) == {"&"} and len(raw) % 2 == 0  # cut to Excel's 255 characters, never half an "&&"


def test_column_widths_count_chinese_characters_twice():
    assert text_width("王五明") == 6 and text_width("A1") == 2 and text_width("（全角）") == 8
    frame = pl.DataFrame({"姓名": ["王五明", None], "n": [1, 22], "memo": ["x" * 200, ""]})
    assert column_widths(frame) == [7.5, 6.0, MAX_WIDTH]
    assert column_widths(frame.clear()) == [7, 6.0, 7]  # headers only


# --------------------------------------------------------------------------- the PDF LibreOffice prints


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        reason = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the print test (.ci/run installs it): {reason}")
        pytest.skip(reason)
    return exe


def _to_pdf(files: list[Path], out: Path) -> dict[str, bytes]:
    """Each xlsx converted to PDF by LibreOffice (its own profile under ``out``: runs as root too)."""
    home = out / "home"
    home.mkdir(parents=True)
    cmd = [_soffice(), "--headless", f"-env:UserInstallation={home.as_uri()}"]
    cmd += ["--convert-to", "pdf", "--outdir", str(out), *map(str, files)]
    try:
        done = subprocess.run(cmd, env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("LibreOffice took over 120 s to convert the sheets to PDF")
    pdfs = {}
    for f in files:
        pdf = out / f"{f.stem}.pdf"
        assert pdf.is_file(), f"no PDF of {f.name}: {done.returncode} {done.stdout} {done.stderr}"
        pdfs[f.name] = pdf.read_bytes()
    return pdfs


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF: its page objects (LibreOffice writes them uncompressed), checked against /Count."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    counts = {int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)}
    counts |= {int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)}
    assert pages and (not counts or max(counts) == pages), (pages, counts)
    return pages


def pdf_font_sizes(pdf: bytes) -> list[float]:
    """The font sizes (pt) text is drawn at, from the page content streams (``/F1 8.8 Tf``)."""
    sizes = []
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        try:
            content = zlib.decompress(pdf[m.end() : end])
        except zlib.error:
            continue  # a font or an image, not a page's content
        sizes += [float(s) for s in re.findall(rb"/F\d+\s+([\d.]+)\s+Tf", content)]
    return sizes


@pytest.mark.slow
def test_libreoffice_prints_each_small_sheet_on_one_page(statement, certificates, tmp_path):
    pdfs = _to_pdf([statement, certificates["xlsx"]], tmp_path / "pdf")
    # one page per sheet: the summary and two sites; the issued and the held list
    assert pdf_pages(pdfs[statement.name]) == 3
    assert pdf_pages(pdfs[certificates["xlsx"].name]) == 2
    for name, pdf in pdfs.items():
        sizes = sorted(pdf_font_sizes(pdf))
        assert sizes, f"{name}: no text found in the PDF"
        # the 11 pt body text shrinks to fit the width, but stays readable (here 7.6-8.8 pt: no Calibri metrics)
        assert sizes[len(sizes) // 2] >= 6, f"{name}: body text printed at {sizes[len(sizes) // 2]} pt"
