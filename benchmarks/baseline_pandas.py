"""The baseline: the straightforward pandas a teacher would write for the same aggregations.

Reads the same CSV files, joins scores to registrations, computes pass rates with Wilson
intervals per grouping, and reconciles fees per paying site and batch (payer by the code
column, else by name or alias; batch from the memo; duplicates flagged). It does NOT
validate rows (ID check digits, windows, schools) the way examkit does: it trusts its input.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from benchmarks.synth import LEVEL_ZH, Year
from examkit.core.money import yuan_to_fen
from examkit.core.notice import load_notice
from examkit.settings.params import load_settings

TEXT = {"考生号": str, "身份证号": str, "院校代码": str, "考点代码": str, "手机号": str}
GROUPINGS = (("批次", "等级"), ("批次", "院校代码"), ("批次", "考点代码"), ("等级",))
Z95 = 1.959963984540054


def wilson(k: pd.Series, n: pd.Series) -> tuple[pd.Series, pd.Series]:
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def pass_rates(year: Year) -> tuple[dict[tuple, pd.DataFrame], pd.DataFrame]:
    notice = load_notice(2023)
    regs = pd.concat([pd.read_csv(f, dtype=TEXT, encoding="utf-8-sig") for f in year.registration_files])
    scores = pd.concat([pd.read_csv(f, dtype={"考生号": str}, encoding="utf-8-sig") for f in year.score_files])
    items = [c for c in scores.columns if c not in ("考生号", "状态")]
    scores["total"] = scores[items].sum(axis=1).round(2)
    df = regs.merge(scores[["考生号", "total", "状态"]], on="考生号", how="left")
    df["sat"] = df["状态"] != "缺考"
    df["passed"] = df["状态"].isna() & (df["total"] >= notice.pass_mark)
    out = {}
    for by in GROUPINGS:
        g = df.groupby(list(by), dropna=False).agg(
            registered=("考生号", "size"), sat=("sat", "sum"), passed=("passed", "sum")
        )
        g["pass_rate"] = g["passed"] / g["sat"]
        g["ci_low"], g["ci_high"] = wilson(g["passed"], g["sat"])
        g["small_group"] = g["sat"] < 10
        out[by] = g.reset_index()
    return out, regs


def fees(year: Year, regs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    notice = load_notice(2023)
    prices = load_settings("prices.yaml").get("prices") or {}
    level_code = {zh: code for code, zh in LEVEL_ZH.items()}
    pt = regs.groupby(["考点代码", "批次", "等级", "省份"]).size().rename("person_times").reset_index()

    def unit_price(row) -> int:
        lv = level_code[row["等级"]]
        if row["省份"] in prices and lv in prices[row["省份"]]:
            return yuan_to_fen(prices[row["省份"]][lv])
        return notice.levels[lv].fee_fen

    pt["unit_price_fen"] = pt.apply(unit_price, axis=1)
    pt["expected_fen"] = pt["person_times"] * pt["unit_price_fen"]

    schools = pd.read_csv(year.schools_file, dtype=str, encoding="utf-8-sig")
    by_name = dict(zip(schools["院校名称"], schools["院校代码"], strict=True))
    for code, aliases in zip(schools["院校代码"], schools["别名"].fillna(""), strict=True):
        for a in re.split("[、;,]", aliases):
            if a:
                by_name[a] = code
    batch_of = {b.name_zh: b.id for b in notice.batches}
    pay = pd.read_csv(year.payments_file, dtype=str, encoding="utf-8-sig")
    pay["fen"] = pay["金额(元)"].map(yuan_to_fen)
    pay["payer_code"] = pay["院校代码"].fillna(pay["付款单位"].map(by_name))
    pay["batch"] = pay["摘要"].str.extract(r"(\d{4}年第.+?次统考)")[0].map(batch_of)
    pay["duplicate"] = pay.duplicated(["付款单位", "fen", "到账日期", "摘要"], keep="first")
    ok = pay["payer_code"].notna() & pay["batch"].notna() & ~pay["duplicate"]
    paid = pay[ok].groupby(["payer_code", "batch"])["fen"].sum().rename("paid_fen").reset_index()
    st = pt.merge(paid, left_on=["考点代码", "批次"], right_on=["payer_code", "batch"], how="left")
    st["paid_fen"] = st["paid_fen"].fillna(0).astype("int64")
    st["balance_fen"] = st["expected_fen"] - st["paid_fen"]
    st["status"] = np.select(
        [st["paid_fen"] == 0, st["balance_fen"] > 0, st["balance_fen"] < 0], ["unpaid", "underpaid", "overpaid"], "paid"
    )
    unmatched = pay[~ok]
    return st, unmatched


def run(year: Year) -> dict:
    """Everything, with a summary to cross-check against examkit's numbers."""
    rates, regs = pass_rates(year)
    st, unmatched = fees(year, regs)
    first = rates[GROUPINGS[0]]
    return {
        "registered": int(first["registered"].sum()),
        "sat": int(first["sat"].sum()),
        "passed": int(first["passed"].sum()),
        "expected_fen": int(st["expected_fen"].sum()),
        "paid_fen": int(st["paid_fen"].sum()),
        "statement_rows": len(st),
        "unmatched": len(unmatched),
        "groups": {"+".join(by): len(g) for by, g in rates.items()},
    }
