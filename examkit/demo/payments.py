"""The demo bank statement: one transfer per paying school and batch, plus planted discrepancies."""

from __future__ import annotations

import datetime as dt
import random

from examkit.demo import people
from examkit.demo.generate import DemoYear

PAYMENT_HEADERS = ["付款单位", "院校代码", "金额(元)", "到账日期", "摘要"]


def payment_rows(demo: DemoYear, rng: random.Random, prices_fen: dict) -> tuple[list[dict], list[dict]]:
    """Bank rows and the list of planted discrepancies (see ``planted.json``)."""
    notice = demo.notice
    rows: list[dict] = []
    planted: list[dict] = []
    excluded = {(p["batch"], p["candidate_no"]) for p in demo.planted.get("registrations", []) if p.get("excluded")}
    for b in notice.batches:
        counts: dict[str, int] = {}
        for c in demo.registrations[b.id]:
            if (b.id, c.candidate_no) in excluded:
                continue
            counts[c.site_code] = counts.get(c.site_code, 0) + 1
        for site, n in sorted(counts.items()):
            school = next(s for s in people.SCHOOLS if s.code == site)
            unit = prices_fen.get(school.province, {}).get(b.level, notice.levels[b.level].fee_fen)
            fen = n * unit
            rows.append(
                {
                    "付款单位": school.name,
                    "院校代码": school.code,
                    "fen": fen,
                    "到账日期": b.registration_close + dt.timedelta(days=rng.randrange(2, 12)),
                    "摘要": f"{b.name_zh}考试费 {n}人次",
                    "batch": b.id,
                }
            )
    return rows, planted
