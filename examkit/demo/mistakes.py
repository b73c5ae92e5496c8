"""Realistic registration mistakes planted in the demo year (owned by the validation work).

Two kinds of edits, spread over the batches:
- mistakes that ``examkit validate`` must report (each recorded with its file, Excel row, column,
  rule and severity; errors are marked ``excluded``): typos in ID numbers, dates outside the
  window, the wrong level, a batch that does not exist, a person registered twice, students of
  schools that are not (filed) pilots or have no trained teacher, a missing borrowed sitting,
  a school code that lost its leading zero, empty cells, unreadable dates and types,
  unusual ages (warnings), and a retake registered by someone whose earlier result became a
  pass on review (a warning once the gradebook is given: ``examkit validate --gradebook``);
- hand-typing noise that must NOT be reported: full-width digits, stray and non-breaking
  spaces, a lowercase ``x``, other date spellings and Excel serial numbers
  (recorded under ``demo.planted["registration_noise"]``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable

import polars as pl

from examkit.core import idcard
from examkit.core.notice import Batch
from examkit.demo import people
from examkit.demo.generate import FILE_FORMATS, REG_HEADERS, TYPE_ZH, Candidate, DemoYear
from examkit.demo.publicity import FLIP_BATCH, _near_line

_FULL_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclasses.dataclass
class _Plan:
    """One planted mistake: what to do to which candidate, and what validation must report."""

    rule: str
    column: str  # canonical column the finding names
    severity: str
    note: str
    fits: Callable[[Candidate, Batch], bool]
    apply: Callable[[Candidate, Batch, random.Random], None]


def _set_raw(c: Candidate, **cells: object) -> None:
    c.raw = {**c.raw, **cells}  # a new dict: retakes copied from earlier batches may share the old one


# Swapping two different adjacent digits of the sequence part (positions 15–17) always breaks the
# MOD 11-2 check (weights 4, 2, 1 differ by 1 or 2, never a multiple of 11) and keeps the birth date.
_SWAPPABLE = (14, 15)


def _transpose(c: Candidate, b: Batch, rng: random.Random) -> None:
    n = c.id_number
    i = next(i for i in _SWAPPABLE if n[i] != n[i + 1])
    _set_raw(c, id_number=n[:i] + n[i + 1] + n[i] + n[i + 2 :])


def _can_transpose(c: Candidate, b: Batch) -> bool:
    return any(c.id_number[i] != c.id_number[i + 1] for i in _SWAPPABLE)


def _drop_digit(c: Candidate, b: Batch, rng: random.Random) -> None:
    i = rng.randrange(6, 17)
    _set_raw(c, id_number=c.id_number[:i] + c.id_number[i + 1 :])


def _late(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, registered_on=b.registration_close + dt.timedelta(days=rng.choice((1, 1, 2, 3))))


def _early(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, registered_on=b.registration_open - dt.timedelta(days=rng.choice((1, 2))))


def _other_level(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, level="中级" if b.level == "junior" else "初级")


def _no_such_batch(c: Candidate, b: Batch, rng: random.Random) -> None:
    year = b.id[:4]
    _set_raw(c, batch=f"{year}-14" if rng.random() < 0.5 else f"{year}年第十四次统考")


def _move_to(code: str) -> Callable[[Candidate, Batch, random.Random], None]:
    school = next(s for s in people.SCHOOLS if s.code == code)

    def apply(c: Candidate, b: Batch, rng: random.Random) -> None:
        c.school_code, c.school_name, c.province, c.site_code = school.code, school.name, school.province, school.code

    return apply


def _typed_as_pilot(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, candidate_type=TYPE_ZH["pilot_student"])


def _sits_at_home(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, site_code=c.school_code)


def _lost_zero(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, school_code=int(c.school_code))  # an xlsx number cell / a csv "3107"


def _blank(column: str) -> Callable[[Candidate, Batch, random.Random], None]:
    def apply(c: Candidate, b: Batch, rng: random.Random) -> None:
        _set_raw(c, **{column: ""})

    return apply


def _no_year(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, registered_on=f"{c.registered_on.month}月{c.registered_on.day}日")


def _vague_type(c: Candidate, b: Batch, rng: random.Random) -> None:
    _set_raw(c, candidate_type="学生")


def _aged(years: int) -> Callable[[Candidate, Batch, random.Random], None]:
    def apply(c: Candidate, b: Batch, rng: random.Random) -> None:
        born = b.exam_date.replace(year=b.exam_date.year - years) - dt.timedelta(days=rng.randrange(30, 300))
        c.id_number = idcard.make(c.id_number[:6], born, rng.randrange(1000))

    return apply


def _is(ctype: str) -> Callable[[Candidate, Batch], bool]:
    return lambda c, b: c.candidate_type == ctype


def _any(c: Candidate, b: Batch) -> bool:
    return True


PLANS: tuple[_Plan, ...] = (
    _Plan("id_checksum", "id_number", "error", "two digits swapped", _can_transpose, _transpose),
    _Plan("id_checksum", "id_number", "error", "two digits swapped", _can_transpose, _transpose),
    _Plan("id_format", "id_number", "error", "a digit left out (17 characters)", _any, _drop_digit),
    _Plan("window", "registered_on", "error", "registered after the window closed", _any, _late),
    _Plan("window", "registered_on", "error", "registered before the window opened", _any, _early),
    _Plan("level_mismatch", "level", "error", "the other level typed", _any, _other_level),
    _Plan("unknown_batch", "batch", "error", "a 14th batch that the notice does not have", _any, _no_such_batch),
    _Plan(
        "school_not_pilot",
        "school_code",
        "error",
        "non-pilot school typed as pilot student",
        _is("nonpilot_student"),
        _typed_as_pilot,
    ),
    _Plan(
        "school_not_filed",
        "school_code",
        "error",
        "pilot school not yet filed (37002)",
        _is("pilot_student"),
        _move_to("37002"),
    ),
    _Plan(
        "teacher_not_trained",
        "school_code",
        "error",
        "school without a trained teacher (37003)",
        _is("pilot_student"),
        _move_to("37003"),
    ),
    _Plan(
        "site_not_pilot",
        "site_code",
        "error",
        "non-pilot student with no borrowed sitting",
        _is("nonpilot_student"),
        _sits_at_home,
    ),
    _Plan(
        "unknown_school",
        "school_code",
        "error",
        "school code 03107 typed as the number 3107",
        lambda c, b: c.school_code == "03107" and c.candidate_type == "pilot_student",
        _lost_zero,
    ),
    _Plan("missing_value", "id_number", "error", "ID number left empty", _any, _blank("id_number")),
    _Plan(
        "missing_value",
        "site_code",
        "error",
        "social candidate without an exam site",
        _is("social"),
        _blank("site_code"),
    ),
    _Plan("bad_date", "registered_on", "error", "date without a year", _any, _no_year),
    _Plan("bad_type", "candidate_type", "error", "candidate type too vague", _any, _vague_type),
    _Plan("age_unusual", "id_number", "warning", "social candidate aged 72 (allowed)", _is("social"), _aged(72)),
    _Plan("age_unusual", "id_number", "warning", "student aged 15 (allowed)", _is("pilot_student"), _aged(15)),
)


def file_name(demo: DemoYear, batch_id: str) -> str:
    """The name of a batch's registrations file as the demo writes it."""
    i = [b.id for b in demo.notice.batches].index(batch_id)
    return f"{batch_id}.{'xlsx' if FILE_FORMATS[i % len(FILE_FORMATS)] == 'xlsx' else 'csv'}"


def plant(demo: DemoYear, rng: random.Random) -> list[dict]:
    """Plant mistakes into ``demo.registrations``; return what was planted (for ``planted.json``).

    Also plants harmless noise, recorded in ``demo.planted["registration_noise"]``.
    """
    batches = list(demo.notice.batches)
    touched: set[int] = set()  # id() of candidates already edited (one edit per candidate)
    done: list[tuple[_Plan, Batch, Candidate]] = []
    plans = list(PLANS)
    rng.shuffle(plans)
    for k, plan in enumerate(plans):
        for step in range(len(batches)):  # the planned batch, else the next one with a fitting candidate
            b = batches[(k + step) % len(batches)]
            pool = [c for c in demo.registrations[b.id] if id(c) not in touched and plan.fits(c, b)]
            if pool:
                c = rng.choice(pool)
                plan.apply(c, b, rng)
                touched.add(id(c))
                done.append((plan, b, c))
                break
    dups = _plant_duplicates(demo, rng, batches, touched)
    demo.planted["registration_noise"] = _plant_noise(demo, rng, batches, touched)
    excluded = {id(c) for plan, _, c in done if plan.severity == "error"} | {id(c) for _, c in dups}
    retake = _plant_retake_after_pass(demo, batches, touched, excluded)
    out = []
    for plan, b, c in done:
        out.append(_record(demo, b, c, plan.rule, plan.column, plan.severity, plan.note))
    for b, c in dups:
        out.append(_record(demo, b, c, "duplicate", "id_number", "error", "the same person registered twice"))
    if retake is not None:
        note = "registered for the retake before the results; a review later raised the earlier result to a pass"
        out.append(_record(demo, *retake, "already_passed", "id_number", "warning", note))
    return sorted(out, key=lambda r: (r["batch"], r["row"], r["column"]))


def _plant_retake_after_pass(
    demo: DemoYear, batches: list[Batch], touched: set[int], excluded: set[int]
) -> tuple[Batch, Candidate] | None:
    """A retake by someone who passed: the candidate whose fail the demo's review turns into a pass.

    ``examkit.demo.publicity`` re-marks the top near-line failer of ``FLIP_BATCH`` to a pass during
    publicity. By then that candidate had registered for the next batch of the same level as a retake
    (retakes register before results are published), so that registration now repeats a level they
    hold: the "already passed" warning. The generator often brings that failer back already; when it
    did not, an untouched candidate at the same exam site of the next batch becomes that person.
    Returns the retake (batch, candidate), or None when the year offers none.
    """

    first = demo.notice.batch(FLIP_BATCH)
    scores = demo.scores[first.id]
    kept = [c for c in demo.registrations[first.id] if id(c) not in excluded and c.candidate_no in scores]
    totals = [round(sum(scores[c.candidate_no]["marks"].values()), 2) for c in kept]
    results = pl.DataFrame(
        {
            "candidate_no": [c.candidate_no for c in kept],
            "status": [scores[c.candidate_no]["status"] for c in kept],
            "total": totals,
            "passed": [
                scores[c.candidate_no]["status"] == "graded" and demo.notice.passes(x)
                for c, x in zip(kept, totals, strict=True)
            ],
        }
    )
    failers = _near_line(results, float(demo.notice.pass_mark))
    later = [b for b in batches if b.level == first.level and b.ordinal > first.ordinal]
    if not failers.height or not later:
        return None
    who = next(c for c in kept if c.candidate_no == failers.item(0, "candidate_no"))
    for b in later:
        again = next((c for c in demo.registrations[b.id] if c.id_number == who.id_number), None)
        if again is not None:
            return None if id(again) in excluded else (b, again)
    b = later[0]
    pool = [c for c in demo.registrations[b.id] if id(c) not in touched and c.site_code == who.site_code]
    if not pool:
        return None
    c = pool[0]
    for attr in ("name", "id_number", "phone", "candidate_type", "school_code", "school_name"):
        setattr(c, attr, getattr(who, attr))
    touched.add(id(c))
    return b, c


def _plant_duplicates(demo: DemoYear, rng: random.Random, batches: list[Batch], touched: set[int]) -> list:
    """A person registered twice (a second row, a new candidate number, a later date)."""
    out = []
    for b in rng.sample(batches, 2):
        cands = demo.registrations[b.id]
        i = rng.choice([i for i, c in enumerate(cands[:-1]) if id(c) not in touched])
        orig = cands[i]
        twin = dataclasses.replace(orig, raw={})
        same_site = [c.candidate_no for c in cands if c.site_code == orig.site_code]
        twin.candidate_no = f"{max(same_site)[:-4]}{int(max(same_site)[-4:]) + 1:04d}"
        twin.registered_on = min(b.registration_close, orig.registered_on + dt.timedelta(days=rng.randrange(1, 4)))
        cands.insert(rng.randrange(i + 1, len(cands) + 1), twin)
        touched.update({id(orig), id(twin)})
        out.append((b, twin))
    return out


def _plant_noise(demo: DemoYear, rng: random.Random, batches: list[Batch], touched: set[int]) -> list[dict]:
    """Hand-typing that validation must accept without a word."""
    out = []
    for i, b in enumerate(batches):
        gbk = FILE_FORMATS[i % len(FILE_FORMATS)] == "csv-gbk"
        space = "\u3000" if gbk else "\u00a0"  # GBK has no non-breaking space
        cands = [c for c in demo.registrations[b.id] if id(c) not in touched]
        ex = [c for c in cands if c.id_number.endswith("X")]
        edits: list[tuple[Candidate, str, object]] = []
        picks = rng.sample(cands, 6)
        d = picks[2].registered_on
        edits += [
            (picks[0], "candidate_no", picks[0].candidate_no.translate(_FULL_DIGITS)),
            (picks[1], "name", f" {picks[1].name}{space}"),
            (
                picks[2],
                "registered_on",
                rng.choice((f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y.%m.%d}")),
            ),
            (picks[3], "registered_on", (picks[3].registered_on - dt.date(1899, 12, 30)).days),
            (picks[4], "phone", f"{picks[4].phone[:3]} {picks[4].phone[3:7]} {picks[4].phone[7:]}"),
            (picks[5], "batch", f" {b.id} "),
        ]
        if ex:
            c = rng.choice([c for c in ex if all(c is not p for p in picks)] or ex)
            edits.append((c, "id_number", c.id_number.lower()))
        for c, col, value in edits:
            _set_raw(c, **{col: value})
            touched.add(id(c))
            row = _index(demo.registrations[b.id], c) + 2
            out.append(
                {
                    "batch": b.id,
                    "file": file_name(demo, b.id),
                    "row": row,
                    "column": REG_HEADERS[col],
                    "written": str(value),
                }
            )
    return out


def _record(demo: DemoYear, b: Batch, c: Candidate, rule: str, column: str, severity: str, note: str) -> dict:
    return {
        "batch": b.id,
        "file": file_name(demo, b.id),
        "row": _index(demo.registrations[b.id], c) + 2,
        "column": REG_HEADERS[column],
        "rule": rule,
        "severity": severity,
        "candidate_no": c.candidate_no,
        "excluded": severity == "error",
        "note": note,
    }


def _index(cands: list[Candidate], c: Candidate) -> int:
    return next(i for i, x in enumerate(cands) if x is c)
