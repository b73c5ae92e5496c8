"""The demo bank statement: one transfer per paying school and batch, plus planted discrepancies.

Planted (each recorded in ``planted.json`` under ``payments`` with the Excel row(s) and amounts):
underpaid, overpaid, a duplicated bank line, a receipt from an unknown payer, one lump sum covering
two batches, a payment under an alias with no school code, the provincial price (浙江省 sites),
one school-batch left unpaid, a negative and an unparseable amount (findings), and amounts written
as ``6,800.00`` / ``￥6800``. The discrepancies sit in the first two batches so that a demo run of
``--batches 2023-01`` already shows them.
"""

from __future__ import annotations

import datetime as dt
import random

from examkit.core.money import format_yuan
from examkit.demo import people
from examkit.demo.generate import DemoYear

PAYMENT_HEADERS = ["付款单位", "院校代码", "金额(元)", "到账日期", "摘要"]
UNKNOWN_PAYER = "星海教育咨询有限公司"  # fictional; matches no school, code or alias


def _school(code: str) -> people.School:
    return next(s for s in people.SCHOOLS if s.code == code)


def _first_alias(school: people.School) -> str:
    return school.aliases.replace(";", "、").replace(",", "、").split("、")[0]


def payment_rows(demo: DemoYear, rng: random.Random, prices_fen: dict) -> tuple[list[dict], list[dict]]:
    """Bank rows (``fen`` is the amount; ``金额(元)`` set when written in a particular way) and what was planted."""
    notice = demo.notice
    rows: list[dict] = []
    excluded = {(p["batch"], p["candidate_no"]) for p in demo.planted.get("registrations", []) if p.get("excluded")}
    owed: dict[tuple[str, str], dict] = {}  # (site, batch) → {n, unit, fen}
    for b in notice.batches:
        counts: dict[str, int] = {}
        for c in demo.registrations[b.id]:
            if (b.id, c.candidate_no) in excluded:
                continue
            counts[c.site_code] = counts.get(c.site_code, 0) + 1
        for site, n in sorted(counts.items()):
            school = _school(site)
            unit = prices_fen.get(school.province, {}).get(b.level, notice.levels[b.level].fee_fen)
            owed[(site, b.id)] = {"n": n, "unit": unit, "fen": n * unit}
            rows.append(
                {
                    "付款单位": school.name,
                    "院校代码": school.code,
                    "fen": n * unit,
                    "到账日期": b.registration_close + dt.timedelta(days=rng.randrange(2, 12)),
                    "摘要": f"{b.name_zh}考试费 {n}人次",
                    "batch": b.id,
                }
            )
    return _plant(demo, rows, owed)


def _row_of(rows: list[dict], site: str, batch: str) -> dict | None:
    return next((r for r in rows if r.get("院校代码") == site and r.get("batch") == batch), None)


def _plant(demo: DemoYear, rows: list[dict], owed: dict) -> tuple[list[dict], list[dict]]:
    notice = demo.notice
    b1, b2 = notice.batches[0], notice.batches[1]
    used: set[tuple[str, str]] = set()

    def pick(batch: str, *prefer: str) -> str | None:
        """A site that owes something in ``batch`` and is not planted yet (preferred codes first)."""
        sites = [s for (s, b) in sorted(owed) if b == batch]
        for site in [*prefer, *sites]:
            if site in sites and (site, batch) not in used:
                used.add((site, batch))
                return site
        return None

    planted: list[dict] = []
    tags: list[tuple[dict, dict]] = []  # (planted record, row) to fill in Excel rows at the end

    # provincial price: a 浙江省 site paying its province's (example) price for a whole batch
    site = pick(b1.id, "33002")
    if site:
        o = owed[(site, b1.id)]
        rec = {
            "kind": "provincial_price",
            "payer_code": site,
            "batch": b1.id,
            "person_times": o["n"],
            "unit_price_fen": o["unit"],
            "notice_price_fen": notice.levels[b1.level].fee_fen,
            "expected_fen": o["fen"],
            "paid_fen": o["fen"],
            "status": "paid",
        }
        planted.append(rec)
        tags.append((rec, _row_of(rows, site, b1.id)))

    # lump sum: one 浙江省 site pays two batches in one transfer naming both
    site = pick(b1.id, "33001")
    if site and (site, b2.id) in owed and (site, b2.id) not in used:
        used.add((site, b2.id))
        first, second = owed[(site, b1.id)], owed[(site, b2.id)]
        for r in (_row_of(rows, site, b1.id), _row_of(rows, site, b2.id)):
            rows.remove(r)
        school = _school(site)
        lump = {
            "付款单位": school.name,
            "院校代码": site,
            "fen": first["fen"] + second["fen"],
            "到账日期": b2.registration_close + dt.timedelta(days=3),
            "摘要": f"{b1.name_zh}、{b2.name_zh}考试费 {first['n'] + second['n']}人次",
            "batch": b2.id,
        }
        rows.append(lump)
        rec = {
            "kind": "lump_sum",
            "payer_code": site,
            "batches": [b1.id, b2.id],
            "amount_fen": lump["fen"],
            "parts_fen": {b1.id: first["fen"], b2.id: second["fen"]},
            "unit_price_fen": first["unit"],
            "notice_price_fen": notice.levels[b1.level].fee_fen,
            "status": "paid",
        }
        planted.append(rec)
        tags.append((rec, lump))

    # underpaid: two person-times short, amount written with a thousands separator
    site = pick(b1.id, "44002")
    if site:
        o, r = owed[(site, b1.id)], _row_of(rows, site, b1.id)
        r["fen"] = o["fen"] - 2 * o["unit"]
        r["金额(元)"] = format_yuan(r["fen"], symbol="")
        rec = {
            "kind": "underpaid",
            "payer_code": site,
            "batch": b1.id,
            "expected_fen": o["fen"],
            "paid_fen": r["fen"],
            "balance_fen": o["fen"] - r["fen"],
            "status": "underpaid",
            "amount_text": r["金额(元)"],
        }
        planted.append(rec)
        tags.append((rec, r))

    # overpaid: one person-time too many, amount written as ￥6800 (no decimals, full-width yen sign)
    site = pick(b1.id, "37001")
    if site:
        o, r = owed[(site, b1.id)], _row_of(rows, site, b1.id)
        r["fen"] = o["fen"] + o["unit"]
        r["金额(元)"] = "￥" + str(r["fen"] // 100)
        rec = {
            "kind": "overpaid",
            "payer_code": site,
            "batch": b1.id,
            "expected_fen": o["fen"],
            "paid_fen": r["fen"],
            "balance_fen": o["fen"] - r["fen"],
            "status": "overpaid",
            "amount_text": r["金额(元)"],
        }
        planted.append(rec)
        tags.append((rec, r))

    # duplicate: the same bank line exported twice (same payer, amount, date, memo)
    site = pick(b1.id, "44001")
    if site:
        o, r = owed[(site, b1.id)], _row_of(rows, site, b1.id)
        copy = dict(r)
        rows.insert(rows.index(r) + 1, copy)
        rec = {
            "kind": "duplicate",
            "payer_code": site,
            "batch": b1.id,
            "expected_fen": o["fen"],
            "paid_fen": o["fen"],
            "amount_fen": r["fen"],
            "status": "paid",
        }
        planted.append(rec)
        tags.append((rec, r))
        tags.append((rec, copy))

    # alias: paid under an alias, no school code anywhere (column empty, memo names only the batch)
    site = pick(b1.id, "51001", "44001", "03107")
    if site and _school(site).aliases:
        o, r = owed[(site, b1.id)], _row_of(rows, site, b1.id)
        r["付款单位"] = _first_alias(_school(site))
        r["院校代码"] = ""
        r["摘要"] = f"{b1.name_zh}考试费"
        rec = {
            "kind": "alias",
            "payer_code": site,
            "batch": b1.id,
            "payer_name": r["付款单位"],
            "expected_fen": o["fen"],
            "paid_fen": o["fen"],
            "status": "paid",
        }
        planted.append(rec)
        tags.append((rec, r))

    # unpaid: one school-batch with no transfer at all
    site = pick(b2.id, "37001", "44002", "51001")
    if site:
        o = owed[(site, b2.id)]
        rows.remove(_row_of(rows, site, b2.id))
        planted.append(
            {
                "kind": "unpaid",
                "payer_code": site,
                "batch": b2.id,
                "expected_fen": o["fen"],
                "paid_fen": 0,
                "balance_fen": o["fen"],
                "status": "unpaid",
            }
        )

    # unmatched: a transfer from a payer that is no school
    unknown = {
        "付款单位": UNKNOWN_PAYER,
        "院校代码": "",
        "fen": 102000,
        "到账日期": b1.registration_close + dt.timedelta(days=6),
        "摘要": "培训服务费",
        "batch": None,
    }
    rows.append(unknown)
    rec = {"kind": "unmatched", "payer_name": UNKNOWN_PAYER, "amount_fen": unknown["fen"], "reason": "unknown_payer"}
    planted.append(rec)
    tags.append((rec, unknown))

    # findings: a reversal (negative) and an amount in words (unparseable); neither is a receipt
    refund_site = next(iter(sorted({s for (s, b) in owed if b == b1.id})))
    reversal = "-" + format_yuan(notice.levels[b1.level].fee_fen, symbol="")  # one person-time refunded
    for kind, text, memo in (("negative_amount", reversal, "退款冲正"), ("unparseable_amount", "六千八", "考试费")):
        school = _school(refund_site)
        bad = {
            "付款单位": school.name,
            "院校代码": school.code,
            "fen": 0,
            "金额(元)": text,
            "到账日期": b1.registration_close + dt.timedelta(days=8),
            "摘要": memo,
            "batch": None,
        }
        rows.append(bad)
        rec = {"kind": kind, "payer_code": school.code, "value": text, "column": "金额(元)"}
        planted.append(rec)
        tags.append((rec, bad))

    rows.sort(key=lambda r: (r["到账日期"], r["院校代码"] or "~", r["fen"]))  # as a bank lists them: by date
    index = {id(r): i + 2 for i, r in enumerate(rows)}  # Excel row: header is row 1
    for rec, r in tags:
        rec.setdefault("rows", []).append(index[id(r)])
    for rec in planted:
        if "rows" in rec:
            rec["row"] = rec["rows"][0]
    return rows, planted
