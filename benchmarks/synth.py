"""Synthetic exam years at any size, vectorised (numpy + polars; no per-row Python).

Writes the files users have, as CSV (UTF-8 with BOM, as Excel saves them) with the
Chinese headers of the national platform:

    DIR/schools.csv
    DIR/registrations/<batch>.csv     one file per batch of the year
    DIR/scores/<batch>.csv            考生号 + one column per rubric item + 状态
    DIR/payments.csv                  the bank statement export
    DIR/truth.json                    what was generated (totals to cross-check both sides)

Every value is valid input (real ID check digits, dates inside the registration window,
filed pilot schools), so each side does its full work on every row. Retakes reuse the
ID number of a failed candidate of an earlier batch of the same level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from examkit.core.money import yuan_to_fen
from examkit.core.notice import Notice, load_notice
from examkit.demo import SCHOOL_HEADERS as DEMO_SCHOOL_HEADERS
from examkit.demo.generate import REG_HEADERS as DEMO_REG_HEADERS
from examkit.settings.params import load_settings
from examkit.settings.rubrics import load_rubric

# (province, two-digit ID area prefix)
PROVINCES = (
    ("广东省", "44"),
    ("浙江省", "33"),
    ("四川省", "51"),
    ("山东省", "37"),
    ("江苏省", "32"),
    ("河南省", "41"),
    ("湖北省", "42"),
    ("湖南省", "43"),
    ("福建省", "35"),
    ("河北省", "13"),
    ("安徽省", "34"),
    ("陕西省", "61"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞宇浩然欣怡梓涵子轩思雨晨阳佳琪俊杰雅婷嘉欣宏博瑞泽一诺心怡雨桐梦琪诗涵晓东海燕志强春梅"
TYPE_ZH = {"pilot_student": "试点院校学生", "nonpilot_student": "非试点院校学生", "social": "社会考生"}
TYPES = ("pilot_student", "nonpilot_student", "social")
LEVEL_ZH = {"junior": "初级", "intermediate": "中级", "senior": "高级"}
LEVEL_WEIGHT = {"junior": 140, "intermediate": 105, "senior": 55}  # the demo year's batch sizes
ABSENT, VOID = 0.03, 0.006  # shares of absent and voided candidates
RETAKE_SHARE = 0.05
SOCIAL_SHARE = 0.06
STUDENT_DAYS, SOCIAL_DAYS = 1460, 7300  # birth-date spans (students 17.8–21.8, social 22–42)
REG_HEADERS = tuple(DEMO_REG_HEADERS.values())  # the same sheets the demo writes
SCHOOL_HEADERS = tuple(DEMO_SCHOOL_HEADERS)
PAYMENT_HEADERS = ("付款单位", "院校代码", "金额(元)", "到账日期", "摘要")
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"))


@dataclass
class Year:
    """Where a generated year was written, and its headline numbers."""

    dir: Path
    registrations: int
    batches: list[str]
    truth: dict

    @property
    def registration_files(self) -> list[Path]:
        return [self.dir / "registrations" / f"{b}.csv" for b in self.batches]

    @property
    def score_files(self) -> list[Path]:
        return [self.dir / "scores" / f"{b}.csv" for b in self.batches]

    @property
    def schools_file(self) -> Path:
        return self.dir / "schools.csv"

    @property
    def payments_file(self) -> Path:
        return self.dir / "payments.csv"


def load_year(data_dir: str | Path) -> Year:
    """A year written earlier by ``generate``."""
    d = Path(data_dir)
    truth = json.loads((d / "truth.json").read_text(encoding="utf-8"))
    return Year(d, int(truth["registrations"]), list(truth["batches"]), truth)


def batch_sizes(total: int, notice: Notice, batches: list[str] | None = None) -> dict[str, int]:
    """Split ``total`` registrations over the batches in the demo year's proportions."""
    chosen = [b for b in notice.batches if batches is None or b.id in batches]
    w = np.array([LEVEL_WEIGHT[b.level] for b in chosen], dtype=float)
    sizes = np.floor(total * w / w.sum()).astype(int)
    sizes[: total - sizes.sum()] += 1
    return {b.id: int(n) for b, n in zip(chosen, sizes, strict=True)}


def _schools(rng: np.random.Generator, total: int, n_pilot: int | None = None) -> pl.DataFrame:
    n_pilot = int(n_pilot or min(60_000, max(12, total // 400)))
    n_np = max(2, n_pilot // 4)
    n = n_pilot + n_np
    codes = rng.choice(np.arange(1_000, 100_000), size=n, replace=False)
    prov = np.concatenate([np.arange(len(PROVINCES)), rng.integers(0, len(PROVINCES), size=n - len(PROVINCES))])
    pilot = np.arange(n) < n_pilot
    weight = rng.lognormal(0.0, 0.8, size=n)
    # a non-pilot school's students sit at a pilot site of the same province (借考)
    host = np.arange(n)
    first_pilot = {int(p): int(np.flatnonzero((prov == p) & pilot)[0]) for p in range(len(PROVINCES))}
    for p, i in first_pilot.items():  # 12 provinces: a loop over provinces, not rows
        host[(prov == p) & ~pilot] = i
    seq = pl.Series(np.arange(1, n + 1)).cast(pl.String)
    stem = pl.Series([PROVINCES[int(p)][0][:2] for p in range(len(PROVINCES))])[prov]
    df = pl.DataFrame(
        {
            "idx": np.arange(n),
            "code": pl.Series(codes).cast(pl.String).str.zfill(5),
            "province": pl.Series([p[0] for p in PROVINCES])[prov],
            "stem": stem,
            "seq": seq,
            "pilot": pilot,
            "weight": weight,
            "host": host,
        }
    )
    return df.with_columns(
        name=pl.when("pilot")
        .then(pl.concat_str("stem", pl.lit("第"), "seq", pl.lit("职业技术学院")))
        .otherwise(pl.concat_str("stem", pl.lit("第"), "seq", pl.lit("商贸学校"))),
        alias=pl.concat_str("stem", "seq", pl.lit("职院")),
        cert=pl.when("pilot").then(pl.concat_str(pl.lit("HT-SZ-2022-"), pl.col("seq").str.zfill(5))).otherwise(None),
    )


def _id_numbers(person: np.ndarray, social: np.ndarray) -> tuple[pl.Series, np.ndarray]:
    """Unique, valid ID numbers derived from the person index (injective by construction)."""
    days = np.where(social, SOCIAL_DAYS, STUDENT_DAYS)
    seq = person % 1000
    day = (person // 1000) % days
    area_i = person // (1000 * days)
    prov_prefix = np.array([int(p[1]) for p in PROVINCES])[area_i % len(PROVINCES)]
    area = prov_prefix * 10_000 + (area_i // len(PROVINCES) + 1) * 100 + np.where(social, 2, 1)
    base = np.where(social, np.datetime64("1978-01-01"), np.datetime64("2001-07-01"))
    born = base + day.astype("timedelta64[D]")
    ymd = born.astype("datetime64[D]").astype(str)
    ymd_int = np.char.replace(ymd, "-", "").astype(np.int64)
    first17 = area.astype(np.int64) * 10**11 + ymd_int * 1000 + seq
    digits = (first17[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = _ID_CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    ids = pl.Series(first17).cast(pl.String).str.zfill(17) + pl.Series(check)
    return ids, born


def _null_where(values: pl.Series, mask: np.ndarray) -> pl.Series:
    """``values`` with nulls where ``mask`` is true."""
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(None).otherwise(pl.lit(values))).to_series()


def _names(person: np.ndarray) -> pl.Series:
    s = pl.Series(list(SURNAMES))
    g = pl.Series(list(GIVEN))
    ns, ng = len(SURNAMES), len(GIVEN)
    first = s[person % ns] + g[(person // ns) % ng]
    second = pl.Series(np.where(person % 10 < 7, g[(person // (ns * ng)) % ng].to_numpy(), ""))
    return first + second


def generate(
    out_dir: str | Path,
    total: int,
    *,
    seed: int = 2023,
    batches: list[str] | None = None,
    year: int = 2023,
    pilot_schools: int | None = None,
) -> Year:
    """Generate ``total`` registrations (with scores and payments) spread over the year's batches.

    ``pilot_schools``: how many pilot schools (default: one per 400 registrations, at least 12),
    plus a quarter as many non-pilot schools whose students sit at a pilot site.
    """
    rng = np.random.default_rng(seed)
    notice = load_notice(year)
    out = Path(out_dir)
    (out / "registrations").mkdir(parents=True, exist_ok=True)
    (out / "scores").mkdir(parents=True, exist_ok=True)
    schools = _schools(rng, total, pilot_schools)
    n_sch = schools.height
    pilot = schools["pilot"].to_numpy()
    weight = schools["weight"].to_numpy()
    host = schools["host"].to_numpy()
    pilot_idx = np.flatnonzero(pilot)
    sch_code = schools["code"]
    sch_name = schools["name"]
    sch_prov = schools["province"]
    prices = load_settings("prices.yaml").get("prices") or {}
    prices_fen = {prov: {lv: yuan_to_fen(v) for lv, v in lv_map.items()} for prov, lv_map in prices.items()}
    sizes = batch_sizes(total, notice, batches)
    rubrics = {lv: load_rubric(lv) for lv in notice.levels}
    difficulty = {i.id: rng.normal(0.0, 0.5) for r in rubrics.values() for i in r.items}
    next_person = 0
    previous: dict[str, dict] = {}  # level → failed candidates of the last batch of that level
    truth: dict = {"registrations": total, "seed": seed, "batches": list(sizes), "per_batch": {}, "fees": {}}
    pay_parts: list[pl.DataFrame] = []
    for b in notice.batches:
        if b.id not in sizes:
            continue
        n = sizes[b.id]
        prev = previous.get(b.level)
        k = 0 if prev is None else min(int(n * RETAKE_SHARE), len(prev["person"]))
        pick = rng.choice(len(prev["person"]), size=k, replace=False) if k else np.zeros(0, dtype=int)
        m = n - k
        school = rng.choice(n_sch, size=m, p=weight / weight.sum())
        is_pilot = pilot[school]
        social = is_pilot & (rng.random(m) < SOCIAL_SHARE)
        ctype = np.where(is_pilot, np.where(social, 2, 0), 1)
        site = np.where(ctype == 0, school, host[school])
        site = np.where(social, rng.choice(pilot_idx, size=m), site)
        person = np.arange(next_person, next_person + m)
        next_person += m
        ability = rng.normal(0.0, 1.0, size=m)
        if k:
            school = np.concatenate([prev["school"][pick], school])
            ctype = np.concatenate([prev["ctype"][pick], ctype])
            site = np.concatenate([prev["site"][pick], site])
            person = np.concatenate([prev["person"][pick], person])
            ability = np.concatenate([prev["ability"][pick] + np.abs(rng.normal(0.3, 0.3, size=k)), ability])
        social = ctype == 2
        ids, _ = _id_numbers(person, social)
        span = (b.registration_close - b.registration_open).days
        back = np.minimum(span, np.floor(rng.exponential(6.0, size=n))).astype(int)
        registered = np.datetime64(b.registration_close) - back.astype("timedelta64[D]")
        phone = pl.Series(np.array(["138", "139", "150", "186", "177", "199"])[rng.integers(0, 6, size=n)]) + pl.Series(
            rng.integers(0, 10**8, size=n)
        ).cast(pl.String).str.zfill(8)
        reg = pl.DataFrame(
            {
                "person": person,
                "name": _names(person),
                "id_number": ids,
                "ctype": ctype,
                "school_code": _null_where(sch_code[school], social),
                "school_name": _null_where(sch_name[school], social),
                "province": sch_prov[site],
                "site_code": sch_code[site],
                "site": site,
                "school": school,
                "registered_on": pl.Series(registered).cast(pl.Date),
                "phone": phone,
                "ability": ability,
            }
        )
        reg = reg.sort("site_code", "registered_on", "id_number").with_columns(
            candidate_no=pl.concat_str(
                pl.lit(b.id[2:4] + b.id[5:7]),
                "site_code",
                (pl.int_range(pl.len()).over("site_code") + 1).cast(pl.String).str.zfill(4),
            )
        )
        # scores
        rubric = rubrics[b.level]
        ease = rng.normal(0.0, 0.25)
        ab = reg["ability"].to_numpy()
        u = rng.random(n)
        status = np.where(u < ABSENT, "缺考", np.where(u < ABSENT + VOID, "违纪", ""))  # "" = graded
        total_marks = np.zeros(n)
        marks: dict[str, np.ndarray] = {}
        for item in rubric.items:  # a handful of rubric items, each a vector over all candidates
            z = 0.75 + ease + ab + rng.normal(0.0, 0.45, size=n) + difficulty[item.id]
            raw = item.max / (1.0 + np.exp(-z))
            mk = np.clip(np.round(raw / item.step) * item.step, 0.0, item.max)
            marks[item.name_zh] = np.where(status == "缺考", np.nan, mk)
            total_marks += mk
        graded = status == ""
        passed = graded & (np.round(total_marks, 2) >= notice.pass_mark)
        sat = status != "缺考"
        # files
        ctype_zh = pl.Series([TYPE_ZH[t] for t in TYPES])[reg["ctype"].to_numpy()]
        reg_out = pl.DataFrame(
            {
                "考生号": reg["candidate_no"],
                "姓名": reg["name"],
                "身份证号": reg["id_number"],
                "考生类型": ctype_zh,
                "院校代码": reg["school_code"],
                "院校名称": reg["school_name"],
                "省份": reg["province"],
                "考点代码": reg["site_code"],
                "批次": pl.Series([b.id]).gather(np.zeros(n, dtype=int)),
                "等级": pl.Series([LEVEL_ZH[b.level]]).gather(np.zeros(n, dtype=int)),
                "报名日期": reg["registered_on"],
                "手机号": reg["phone"],
            }
        )
        reg_out.write_csv(out / "registrations" / f"{b.id}.csv", include_bom=True)
        sc = pl.DataFrame({"考生号": reg["candidate_no"], **marks, "状态": status}).with_columns(
            pl.col(list(marks)).fill_nan(None), pl.col("状态").replace("", None)
        )
        sc.write_csv(out / "scores" / f"{b.id}.csv", include_bom=True)
        # fees: person-times per host site (every registration is billed, absent too — the default policy)
        per_site = reg.group_by("site_code", "site", "province").agg(person_times=pl.len()).sort("site_code")
        level_prices = {p: lv[b.level] for p, lv in prices_fen.items() if b.level in lv}
        unit = per_site["province"].replace_strict(
            level_prices, default=notice.levels[b.level].fee_fen, return_dtype=pl.Int64
        )
        per_site = per_site.with_columns(unit_fen=unit, expected_fen=pl.col("person_times") * unit)
        pay_parts.append(_payments(rng, per_site, b, sch_name, schools["alias"]))
        truth["per_batch"][b.id] = {
            "registered": n,
            "sat": int(sat.sum()),
            "passed": int(passed.sum()),
            "absent": int((~sat).sum()),
            "void": int((status == "违纪").sum()),
            "retakes": int(k),
        }
        truth["fees"][b.id] = {"expected_fen": int(per_site["expected_fen"].sum()), "payers": per_site.height}
        fails = ~passed
        previous[b.level] = {
            "person": reg["person"].to_numpy()[fails],
            "school": reg["school"].to_numpy()[fails],
            "ctype": reg["ctype"].to_numpy()[fails],
            "site": reg["site"].to_numpy()[fails],
            "ability": ab[fails],
        }
    schools.select(
        pl.col("code").alias("院校代码"),
        pl.col("name").alias("院校名称"),
        pl.col("province").alias("省份"),
        pl.when("pilot").then(pl.lit("是")).otherwise(pl.lit("否")).alias("是否试点"),
        pl.when("pilot").then(pl.lit("是")).otherwise(pl.lit("否")).alias("备案"),
        pl.col("cert").alias("师资培训证书编号"),
        pl.col("alias").alias("别名"),
    ).write_csv(out / "schools.csv", include_bom=True)
    payments = pl.concat(pay_parts)
    payments.drop("fen").write_csv(out / "payments.csv", include_bom=True)
    truth["payments"] = {"rows": payments.height, "fen": int(payments["fen"].sum())}
    truth["schools"] = n_sch
    truth["sat"] = sum(v["sat"] for v in truth["per_batch"].values())
    truth["passed"] = sum(v["passed"] for v in truth["per_batch"].values())
    truth["expected_fen"] = sum(v["expected_fen"] for v in truth["fees"].values())
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return Year(out, total, list(sizes), truth)


def _payments(
    rng: np.random.Generator, per_site: pl.DataFrame, b, sch_name: pl.Series, sch_alias: pl.Series
) -> pl.DataFrame:
    """One bank row per paying site and batch: most exact, some under/over/unpaid/duplicated, a few unknown."""
    n = per_site.height
    u = rng.random(n)
    unit = per_site["unit_fen"].to_numpy()
    expected = per_site["expected_fen"].to_numpy()
    short = np.minimum(rng.integers(1, 4, size=n), np.maximum(per_site["person_times"].to_numpy() - 1, 0))
    fen = np.where(u < 0.04, expected - short * unit, np.where(u < 0.06, expected + unit, expected))
    keep = (u < 0.06) | (u >= 0.09)  # 0.06–0.09: unpaid, no row at all
    dup = u >= 0.99  # the same transfer exported twice
    site = per_site["site"].to_numpy()
    use_alias = rng.random(n) < 0.2
    payer = pl.Series(np.where(use_alias, sch_alias[site].to_numpy(), sch_name[site].to_numpy()))
    with_code = rng.random(n) < 0.7
    code = _null_where(per_site["site_code"], ~with_code)
    paid_on = np.datetime64(b.registration_close) + rng.integers(2, 12, size=n).astype("timedelta64[D]")
    memo = pl.Series(per_site["person_times"]).cast(pl.String)
    rows = pl.DataFrame(
        {
            "付款单位": payer,
            "院校代码": code,
            "fen": fen,
            "到账日期": pl.Series(paid_on).cast(pl.Date),
            "摘要": f"{b.name_zh}考试费 " + memo + "人次",
        }
    )
    rows = pl.concat([rows.filter(pl.Series(keep)), rows.filter(pl.Series(keep & dup))])
    n_unknown = max(1, n // 200)
    unknown = pl.DataFrame(
        {
            "付款单位": [f"某培训服务中心{i}" for i in range(n_unknown)],
            "院校代码": pl.Series([None] * n_unknown, dtype=pl.String),
            "fen": rng.integers(1, 50, size=n_unknown) * 10_000,
            "到账日期": pl.Series([b.registration_close] * n_unknown, dtype=pl.Date),
            "摘要": ["转账"] * n_unknown,
        }
    )
    rows = pl.concat([rows, unknown])
    yuan = (pl.col("fen") // 100).cast(pl.String)
    cents = (pl.col("fen") % 100).cast(pl.String).str.zfill(2)
    sym = pl.Series(rng.random(rows.height) < 0.1)
    return rows.with_columns(
        pl.when(sym)
        .then(pl.concat_str(pl.lit("￥"), yuan, pl.lit("."), cents))
        .otherwise(pl.concat_str(yuan, pl.lit("."), cents))
        .alias("金额(元)")
    ).select(*PAYMENT_HEADERS, "fen")


def main() -> None:  # pragma: no cover - manual use
    import argparse
    import time

    ap = argparse.ArgumentParser(description="write a synthetic exam year")
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=2023)
    a = ap.parse_args()
    t0 = time.perf_counter()
    y = generate(a.out, a.size, seed=a.seed)
    print(f"{y.registrations} registrations in {time.perf_counter() - t0:.1f}s → {y.dir}")


if __name__ == "__main__":
    main()
