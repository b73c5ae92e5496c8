"""How the reconciliation is shown: yuan text, words from the catalog, the rules, the chart."""

from __future__ import annotations

import polars as pl
from test_fees import NOTICE, PRICES, receipts, regs

from examkit.analysis.fees import reconcile
from examkit.core.i18n import t
from examkit.report.fee_charts import expected_vs_paid
from examkit.report.fee_statement import rules_markdown, statement_view, summary_text, unmatched_view
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
