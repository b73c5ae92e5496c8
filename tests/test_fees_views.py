"""How the reconciliation is shown: yuan text, words from the catalog, the rules, the chart."""

from __future__ import annotations

import polars as pl
from test_fees import NOTICE, PRICES, receipts, regs

from examkit.analysis.fees import reconcile
from examkit.core.i18n import t
from examkit.report.fee_charts import expected_vs_paid
from examkit.report.fee_statement import (
    notes_markdown,
    rules_markdown,
    statement_view,
    summary_text,
    totals_view,
    unmatched_view,
    unreadable_notice,
)
from examkit.settings.prices import Prices


def _rec():
    frame = regs([("44001", "2023-01", 20), ("33001", "2023-01", 1)])  # 44001 owes 20 × 340 = ¥6,800.00
    bank = receipts(
        [
            (2, "44001学院", "44001", 612000, "04-08", "2023-01"),  # ¥6,120.00
            (3, "44001学院", "44001", 612000, "04-08", "2023-01"),  # the same line again
        ]
    )
    return reconcile(frame, bank, notice=NOTICE, prices=PRICES)


def test_statement_view_in_yuan_and_words():
    view = statement_view(_rec().statement, "zh")
    row = view.filter(pl.col(t("fees.col_payer_code", "zh")) == "44001").to_dicts()[0]
    assert row[t("fees.col_expected", "zh")] == "¥6,800.00"
    assert row[t("fees.col_paid", "zh")] == "¥6,120.00"
    assert row[t("fees.col_balance", "zh")] == "¥680.00"
    assert row[t("fees.col_status", "zh")] == "少缴"
    assert row[t("fees.col_level", "zh")] == "初级"
    en = statement_view(_rec().statement, "en")
    assert "Underpaid" in en["Status"].to_list()


def test_unmatched_reason_in_words_names_the_first_copy():
    view = unmatched_view(_rec().unmatched, "zh")
    reason = view[t("fees.col_reason", "zh")].to_list()
    assert len(reason) == 1 and "第 2 行" in reason[0]


def test_summary_line():
    text = summary_text(_rec().statement, "en")
    # expected 6800 + 320 = 7120 yuan; paid 6120; balance 1000; one underpaid, one unpaid
    assert "Expected ¥7,120.00" in text and "paid ¥6,120.00" in text and "balance ¥1,000.00" in text
    assert "1 underpaid" in text and "1 unpaid" in text and "0 paid" in text


def test_rules_state_the_notice_fees_and_the_example_label():
    text = rules_markdown(NOTICE, PRICES, True, ("2023-01",), "zh")
    assert "初级 ¥340.00" in text and "高级 ¥360.00" in text  # the notice's fees (二)
    assert "浙江省" in text and "¥320.00" in text
    assert "示例" in text and "⚠" in text  # prices labelled example → the warning is shown
    assert "bill_absent: true" in text
    official = Prices(fen=PRICES.fen, status="official", source="省教育厅")
    assert "⚠" not in rules_markdown(NOTICE, official, False, (), "zh")
    assert "bill_absent: false" in rules_markdown(NOTICE, official, False, (), "zh")
    assert t("fees.rule_no_province_price", "zh") in rules_markdown(NOTICE, None, True, (), "zh")


def test_chart_has_two_bars_per_school_in_yuan_from_totals():
    rec = _rec()
    chart = expected_vs_paid(rec.by_school(), "zh")
    spec = chart.to_dict()
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 2 * rec.by_school().height
    values = {(d["school"].split(" ")[0], d["kind"]): d["yuan"] for d in data}
    assert values[("44001", t("fees.chart_expected", "zh"))] == 6800
    assert values[("44001", t("fees.chart_paid", "zh"))] == 6120
    assert spec["title"] == t("fees.chart_title", "zh")


def test_chart_of_nothing_says_so():
    empty = _rec().by_school().clear()
    spec = expected_vs_paid(empty, "en").to_dict()
    assert spec["title"] == t("fees.chart_title", "en")
    assert "mark" in spec and spec["mark"]["type"] == "text"


# --------------------------------------------------------------------------- nothing billed, set aside, unknown


def _aside_and_credit():
    """Scope narrowed to 2023-01…2023-02: 44001 owes 2023-01 (1 × 340); 2023-02's only row was excluded;
    row 3 pays 2023-02 anyway (a credit, overpaid); row 4 names 2023-05, outside the scope (set aside)."""
    frame = regs([("44001", "2023-01", 1)])
    bank = receipts(
        [
            (2, "44001学院", "44001", 34000, "04-08", "2023-01"),
            (3, "44001学院", "44001", 34000, "05-08", "2023-02"),
            (4, "44001学院", "44001", 12000, "06-08", "2023-05 预缴"),
        ]
    )
    return reconcile(frame, bank, notice=NOTICE, scope=("2023-01", "2023-02"), excluded={"2023-02": 1})


def _unknown_batch():
    from examkit.intake.registrations import UnreadableFile

    frame = regs([("44001", "2023-01", 1)])
    bank = receipts([(2, "44001学院", "44001", 34000, "05-08", "2023-02")])
    lost = UnreadableFile("/year/registrations/2023-02.xlsx", "2023-02", "文件 2023-02.xlsx 没有可识别的表头")
    return reconcile(frame, bank, notice=NOTICE, unreadable=[lost])


def test_a_row_billed_nothing_says_why_in_the_statement_view():
    view = statement_view(_aside_and_credit().statement, "zh")
    row = view.filter(pl.col(t("fees.col_batch", "zh")) == "2023-02").to_dicts()[0]
    assert row[t("fees.col_status", "zh")] == "多缴" and row[t("fees.col_expected", "zh")] == "¥0.00"
    assert (
        row[t("fees.col_note", "zh")] == "本批次全部 1 条报名记录均未通过校验，未计人次：见报名校验（examkit validate）"
    )
    en = statement_view(_aside_and_credit().statement, "en")
    assert "All 1 registration rows of this batch were excluded: see validate" in en["Note"][1]
    assert t("fees.col_note", "zh") not in statement_view(_rec().statement, "zh").columns  # no notes, no column


def test_receipts_set_aside_are_listed_one_by_one_in_the_notes():
    rec = _aside_and_credit()
    assert rec.other_batches.select("_row", "aside_fen").rows() == [(4, 12000)]
    text = notes_markdown(rec, "zh")
    assert "1 笔到账（共 ¥120.00）只写明了对账范围外的批次" in text
    assert "- 流水第 4 行 · 44001 · 2023-06-08 · 金额 ¥120.00，另列 ¥120.00 · 摘要中的批次：2023-05" in text


def test_an_unknown_batch_in_views_and_words():
    rec = _unknown_batch()
    notice = unreadable_notice(rec, "zh")
    assert "2023-02.xlsx（2023-02）" in notice and "没有可识别的表头" in notice
    assert unreadable_notice(_rec(), "zh") is None
    row = statement_view(rec.statement, "zh").filter(pl.col("批次") == "2023-02").to_dicts()[0]
    assert row["状态"] == "应收未知" and row["应收(元)"] is None and row["实收(元)"] == "¥340.00"
    assert "2023-02.xlsx 无法读取" in row["说明"]
    totals = totals_view(rec.by_batch(), "zh")
    assert totals.columns[-1] == "应收未知"  # the unknown count is shown only when some batch is unknown
    assert "应收未知" not in totals_view(_rec().by_batch(), "zh").columns
    # unpaid 2023-01 (340 owed), and the unknown 2023-02's 340 received, in paid only
    assert summary_text(rec.statement, "zh") == (
        "应收 ¥340.00，实收 ¥340.00，差额 ¥340.00：已结清 0，少缴 0，多缴 0，未缴 1。"
        "另有 1 条应收未知（报名文件无法读取），其实收 ¥340.00 已计入实收，未计入应收与差额。"
    )
    assert "2023-02 的报名文件无法读取" in notes_markdown(rec, "zh")


def test_the_xlsx_names_unreadable_files_first_and_shows_notes_and_receipts_set_aside(tmp_path):
    import openpyxl

    from examkit.report.fee_statement import write_statement_xlsx

    write_statement_xlsx(_aside_and_credit(), tmp_path / "aside.xlsx")
    write_statement_xlsx(_unknown_batch(), tmp_path / "unknown.xlsx")
    aside = openpyxl.load_workbook(tmp_path / "aside.xlsx")
    cells = [r for r in aside.worksheets[0].iter_rows(values_only=True)]
    heading = next(i for i, r in enumerate(cells) if r[0] == t("fees.xlsx_other_batches"))
    assert cells[heading + 2][:4] == (4, "44001", 120.0, 120.0)  # row 4, set apart in full
    notes = next(i for i, r in enumerate(cells) if r[0] == t("fees.xlsx_notes"))
    assert cells[notes + 2][:3] == ("44001", "2023-02", t("fees.status_overpaid"))
    assert "均未通过校验" in cells[notes + 2][3]
    site = [r[0] for r in aside.worksheets[1].iter_rows(values_only=True)]
    assert any(str(v).startswith("2023-02：本批次全部 1 条报名记录均未通过校验") for v in site)

    summary = openpyxl.load_workbook(tmp_path / "unknown.xlsx").worksheets[0]
    assert "2023-02.xlsx" in summary["A2"].value and "没有可识别的表头" in summary["A2"].value  # first, at the top
