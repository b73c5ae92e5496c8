"""The demo year: realistic input files for all batches, deterministic from a seed.

Writes the files users really have (xlsx and csv with Chinese headers, GBK and UTF-8),
plus ``planted.json`` listing every deliberate mistake and discrepancy, so that tests
can check that examkit finds exactly those.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from examkit.core.notice import Batch, Notice, load_notice
from examkit.core.rubric import Rubric
from examkit.demo import people
from examkit.io.write import atomic_path, atomic_write_bytes, atomic_write_text
from examkit.settings.rubrics import load_rubric

REG_HEADERS = {
    "candidate_no": "考生号",
    "name": "姓名",
    "id_number": "身份证号",
    "candidate_type": "考生类型",
    "school_code": "院校代码",
    "school_name": "院校名称",
    "province": "省份",
    "site_code": "考点代码",
    "batch": "批次",
    "level": "等级",
    "registered_on": "报名日期",
    "phone": "手机号",
}
TYPE_ZH = {"pilot_student": "试点院校学生", "nonpilot_student": "非试点院校学生", "social": "社会考生"}
LEVEL_ZH = {"junior": "初级", "intermediate": "中级", "senior": "高级"}
# How each batch's registrations file is saved: as sites really send them.
FILE_FORMATS = ("xlsx", "csv-gbk", "xlsx", "csv-utf8bom")


@dataclass
class Candidate:
    candidate_no: str
    name: str
    id_number: str
    candidate_type: str
    school_code: str
    school_name: str
    province: str
    site_code: str
    batch: str
    level: str
    registered_on: dt.date
    phone: str
    ability: float = 0.0
    raw: dict = field(default_factory=dict)  # field → cell as written, when typed differently (planted)


@dataclass
class DemoYear:
    """Everything generated, in memory, before it is written."""

    notice: Notice
    registrations: dict[str, list[Candidate]] = field(default_factory=dict)
    scores: dict[str, dict[str, dict]] = field(default_factory=dict)  # batch → candidate_no → {status, marks}
    planted: dict[str, list] = field(default_factory=dict)


def batch_size(rng: random.Random, b: Batch) -> int:
    return {"junior": 140, "intermediate": 105, "senior": 55}[b.level] + rng.randrange(-15, 16)


def _site_for(rng: random.Random, school: people.School, ctype: str) -> str:
    if ctype == "social":
        return rng.choice(people.SOCIAL_SITES)
    return people.HOST_SITE.get(school.code, school.code)


def _draw_school(rng: random.Random) -> people.School:
    pool = [s for s in people.SCHOOLS if s.weight > 0]
    return rng.choices(pool, weights=[s.weight for s in pool])[0]


def _registered_on(rng: random.Random, b: Batch) -> dt.date:
    span = (b.registration_close - b.registration_open).days
    # most register in the last days of the window
    return b.registration_close - dt.timedelta(days=min(span, int(rng.expovariate(1 / 6))))


def _new_candidate(rng: random.Random, b: Batch, seq: int, exam: dt.date) -> Candidate:
    school = _draw_school(rng)
    r = rng.random()
    if not school.pilot:
        ctype = "nonpilot_student"
    elif r < 0.06:
        ctype = "social"
    else:
        ctype = "pilot_student"
    site = _site_for(rng, school, ctype)
    born = people.social_birth(rng, exam) if ctype == "social" else people.student_birth(rng, exam)
    site_school = next(s for s in people.SCHOOLS if s.code == site)
    area = school.area if ctype != "social" else site_school.area
    return Candidate(
        candidate_no="",
        name=people.person_name(rng),
        id_number=people.id_number(rng, area, born),
        candidate_type=ctype,
        school_code=school.code if ctype != "social" else "",
        school_name=school.name if ctype != "social" else "",
        province=site_school.province,
        site_code=site,
        batch=b.id,
        level=b.level,
        registered_on=_registered_on(rng, b),
        phone=people.phone(rng),
        ability=rng.gauss(0.0, 1.0),
    )


def _marks(
    rng: random.Random, rubric: Rubric, ability: float, ease: float, difficulty: dict[str, float]
) -> dict[str, float]:
    marks = {}
    for item in rubric.items:
        p = 1 / (1 + math.exp(-(0.75 + ease + 1.0 * ability + rng.gauss(0, 0.45) + difficulty[item.id])))
        raw = item.max * p
        marks[item.id] = min(item.max, max(0.0, round(raw / item.step) * item.step))
    return marks


def generate_year(seed: int = 2023, year: int = 2023, params_dir: Path | None = None) -> DemoYear:
    """Generate the whole demo year in memory."""
    rng = random.Random(seed)
    notice = load_notice(year)
    demo = DemoYear(notice=notice)
    history: list[tuple[Candidate, bool]] = []  # (candidate, passed) of earlier batches
    rubrics = {lv: load_rubric(lv, params_dir) for lv in notice.levels}
    difficulty = {i.id: rng.gauss(0.0, 0.5) for r in rubrics.values() for i in r.items}
    for b in notice.batches:
        rubric = rubrics[b.level]
        exam = b.exam_date
        cands: list[Candidate] = []
        n = batch_size(rng, b)
        # retakes: earlier failures of the same level come back; junior passers move up
        for prev, passed in history:
            if (
                prev.level == b.level
                and not passed
                and rng.random() < 0.35
                and not any(c.id_number == prev.id_number for c in cands)
            ):
                cands.append(_again(rng, prev, b))
            elif prev.level == "junior" and b.level == "intermediate" and passed and rng.random() < 0.08:
                cands.append(_again(rng, prev, b))
        history = [(p, ok) for p, ok in history if not any(c.id_number == p.id_number for c in cands)]
        while len(cands) < n:
            cands.append(_new_candidate(rng, b, len(cands), exam))
        cands.sort(key=lambda c: (c.site_code, c.registered_on, c.id_number))
        per_site: dict[str, int] = {}
        for c in cands:
            per_site[c.site_code] = per_site.get(c.site_code, 0) + 1
            c.candidate_no = f"{b.id[2:4]}{b.id[5:7]}{c.site_code}{per_site[c.site_code]:04d}"
        ease = rng.gauss(0.0, 0.25)
        scored: dict[str, dict] = {}
        for c in cands:
            u = rng.random()
            if u < 0.03:
                scored[c.candidate_no] = {"status": "absent", "marks": {}}
                continue
            marks = _marks(rng, rubric, c.ability, ease, difficulty)
            scored[c.candidate_no] = {"status": "void" if u < 0.036 else "graded", "marks": marks}
            passed = scored[c.candidate_no]["status"] == "graded" and notice.passes(sum(marks.values()))
            history.append((c, passed))
        demo.registrations[b.id] = cands
        demo.scores[b.id] = scored
    return demo


def _again(rng: random.Random, prev: Candidate, b: Batch) -> Candidate:
    c = Candidate(**{**prev.__dict__})
    c.batch, c.level = b.id, b.level
    c.registered_on = _registered_on(rng, b)
    c.ability = prev.ability + abs(rng.gauss(0.3, 0.3))  # people improve after a failed attempt
    return c


# --------------------------------------------------------------------------- writing


def registration_rows(cands: list[Candidate], style: int) -> list[dict]:
    """Rows as a site's file holds them (Chinese values; batch written in one of two ways)."""
    rows = []
    for c in cands:
        rows.append(
            {
                "考生号": c.candidate_no,
                "姓名": c.name,
                "身份证号": c.id_number,
                "考生类型": TYPE_ZH[c.candidate_type],
                "院校代码": c.school_code,
                "院校名称": c.school_name,
                "省份": c.province,
                "考点代码": c.site_code,
                "批次": c.batch if style % 2 == 0 else _batch_name(c.batch),
                "等级": LEVEL_ZH[c.level],
                "报名日期": c.registered_on,
                "手机号": c.phone,
            }
        )
        rows[-1].update({REG_HEADERS[k]: v for k, v in c.raw.items()})
    return rows


def _batch_name(batch_id: str) -> str:
    return load_notice(int(batch_id[:4])).batch(batch_id).name_zh


def write_table(rows: list[dict], headers: list[str], path: Path, fmt: str) -> None:
    """Write rows as xlsx (real date cells) or csv (``csv-gbk`` / ``csv-utf8bom``)."""
    if fmt == "xlsx":
        import xlsxwriter  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

        with atomic_path(path) as tmp:
            with xlsxwriter.Workbook(str(tmp)) as wb:
                ws = wb.add_worksheet("Sheet1")
                date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
                text_fmt = wb.add_format({"num_format": "@"})
                ws.write_row(0, 0, headers)
                for r, row in enumerate(rows, start=1):
                    for ci, h in enumerate(headers):
                        v = row.get(h)
                        if isinstance(v, dt.date):
                            ws.write_datetime(r, ci, dt.datetime.combine(v, dt.time()), date_fmt)
                        elif v is None or v == "":
                            continue
                        elif isinstance(v, (int, float)) and not isinstance(v, bool):
                            ws.write_number(r, ci, v)
                        else:
                            ws.write_string(r, ci, str(v), text_fmt)
        return
    lines = [",".join(headers)]
    for row in rows:
        cells = []
        for h in headers:
            v = row.get(h)
            v = "" if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v))
            cells.append(f'"{v}"' if ("," in v or '"' in v) else v)
        lines.append(",".join(cells))
    text = "\r\n".join(lines) + "\r\n"
    data = text.encode("gbk") if fmt == "csv-gbk" else b"\xef\xbb\xbf" + text.encode("utf-8")
    atomic_write_bytes(path, data)


def schools_rows() -> list[dict]:
    return [
        {
            "院校代码": s.code,
            "院校名称": s.name,
            "省份": s.province,
            "是否试点": "是" if s.pilot else "否",
            "备案": "是" if s.filed else "否",
            "师资培训证书编号": s.teacher_cert,
            "别名": s.aliases,
        }
        for s in people.SCHOOLS
    ]


def write_json(obj: object, path: Path) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=1, default=str))
