"""Turn a published notice's text into the data of ``examkit/data/notice_YYYY.yaml`` (pure, no writes).

The parser refuses rather than guesses: a schedule row it cannot read, a missing table, a
level without a fee, a date outside the notice's year or an impossible registration window
raises ``NoticeError`` naming the line. Readers for ``.txt``/``.docx``/``.html`` live in
``examkit.intake.notice_read``; writing the files is ``examkit.io.notice_files``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections import Counter
from pathlib import Path

from examkit.core.exceptions import NoticeError
from examkit.core.i18n import label, t
from examkit.core.money import FEN_PER_YUAN, format_yuan_plain, yuan_to_fen
from examkit.core.notice import LEVELS
from examkit.intake.notice_read import html_lines, notice_lines

__all__ = ["html_lines", "notice_lines", "parse_notice", "parse_notice_file", "schedule_headers", "schedule_table"]

DEFAULT_TIMEZONE = "Asia/Shanghai"  # the notices give Beijing time
MAX_ISSUER_CHARS = 50  # a longer line above the date is a sentence, not an organisation
LEVEL_BY_CHAR = dict(zip("初中高", LEVELS, strict=True))
FORMS = {(True, True): "theory+practical", (False, True): "practical", (True, False): "theory"}

_WEEKDAY = r"(?:\s*\((?:周|星期)[一二三四五六日天]\))?"
_DATE = r"\d{4}\s*[-/年]\s*\d{1,2}\s*[-/月]\s*\d{1,2}\s*日?" + _WEEKDAY
_SHORT_DATE = r"\d{1,2}\s*月\s*\d{1,2}\s*日" + _WEEKDAY  # 3月31日: the year of the range's first date
_TIME = r"\d{1,2}\s*:\s*\d{2}"
_RANGE = r"\s*(?:~|〜|至|到|—+|–|−|-)\s*"
EXAM = re.compile(rf"({_DATE})\s*({_TIME}){_RANGE}({_TIME})")
WINDOW = re.compile(rf"({_DATE}){_RANGE}({_DATE}|{_SHORT_DATE})")
NAME = re.compile(r"^(?:\d{1,3}\s+)?(\d{4})\s*年\s*第\s*(\d+|[零〇一二两三四五六七八九十]+)\s*次\s*统考")
LEVEL = re.compile(r"([初中高])\s*级")
FEE = re.compile(r"([初中高])\s*级\s*\)?\s*:?\s*(\d+(?:\.\d+)?)\s*元\s*/\s*人\s*次")
FULL = re.compile(r"(?:总分|满分)\s*(?:为|是)?\s*(\d+)\s*分")
PASS = re.compile(r"(\d+)\s*分\s*(?:\(含\)\s*(?:及\s*)?|及\s*)以上\s*(?:的\s*)?(?:即\s*)?(?:为|视为)?\s*合格")
FORM_HEAD = re.compile(r"考试形式|考核形式")
NUMBERED = re.compile(r"^\s*(?:\d+\s*[.、)]|\(\d+\)|[一二三四五六七八九十]+\s*、)")
SENTENCE = re.compile(r"[。；;]")
LEVEL_GROUP = re.compile(r"([初中高](?:\s*[、,/和及与]\s*[初中高])*)\s*级")
MINUTES = re.compile(r"(\d+)\s*分钟")
TITLE = re.compile(r"^关于.*通知$")
TITLE_YEAR = re.compile(r"(\d{4})\s*年")
_ZH_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def _norm(line: str) -> str:
    """NFKC (full-width digits, colons, brackets, ～ become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", line).strip()


def _fail(key: str, **fields: object) -> NoticeError:
    return NoticeError(t(f"notice_import.{key}", **fields))


def _ordinal(text: str) -> int | None:
    """``十三`` → 13, ``二十一`` → 21, ``7`` → 7; None when not a number from 1 to 99."""
    if text.isdigit():
        n = int(text)
    elif "十" in text:
        m = re.fullmatch(r"([一二两三四五六七八九])?十([一二三四五六七八九])?", text)
        if not m:
            return None
        n = _ZH_DIGIT[m.group(1)] * 10 if m.group(1) else 10
        n += _ZH_DIGIT[m.group(2)] if m.group(2) else 0
    elif len(text) == 1:
        n = _ZH_DIGIT[text]
    else:
        return None
    return n if 1 <= n <= 99 else None


def _date(text: str, line: int, year: int | None = None) -> dt.date:
    """A date in ``2024-04-13``, ``2024/4/13`` or ``2024年4月13日`` form (``4月13日`` given ``year``)."""
    s = re.sub(r"\s+|\((?:周|星期).\)", "", text)
    m = (
        re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
        or re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", s)
        or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", s)
    )
    parts = m.groups() if m else None
    if parts is None and year is not None:
        short = re.fullmatch(r"(\d{1,2})月(\d{1,2})日", s)
        parts = (year, *short.groups()) if short else None
    try:
        return dt.date(*map(int, parts or ()))
    except (TypeError, ValueError):
        raise _fail("bad_date", line=line, value=text.strip()) from None


def _time(text: str, line: int) -> tuple[int, int]:
    h, m = (int(x) for x in text.split(":"))
    if h > 23 or m > 59:
        raise _fail("bad_time", line=line, value=text.replace(" ", ""))
    return h, m


def _row(norm: str, no: int) -> dict:
    """One schedule row: batch name, level, exam date and time range, registration window."""
    m = NAME.match(norm)
    ordinal = _ordinal(m.group(2)) if m else None
    if m is None or ordinal is None:
        raise _fail("bad_row", line=no, text=norm, expected=t("notice_import.expect_ordinal"))
    rest = norm[m.end() :]
    levels = LEVEL.findall(rest)
    if len(levels) != 1:
        raise _fail("bad_row", line=no, text=norm, expected=t("notice_import.expect_level"))
    rest = LEVEL.sub("\t", rest)
    exam = EXAM.search(rest)
    if exam is None:
        raise _fail("bad_row", line=no, text=norm, expected=t("notice_import.expect_exam"))
    rest = rest[: exam.start()] + "\t" + rest[exam.end() :]
    window = WINDOW.search(rest)
    if window is None:
        raise _fail("bad_row", line=no, text=norm, expected=t("notice_import.expect_window"))
    leftover = (rest[: window.start()] + rest[window.end() :]).strip()
    if leftover:
        raise _fail("bad_row", line=no, text=norm, expected=t("notice_import.expect_nothing_else", value=leftover))
    day = _date(exam.group(1), no)
    start, end = _time(exam.group(2), no), _time(exam.group(3), no)
    if end <= start:
        raise _fail("bad_time", line=no, value=exam.group(0))
    opens = _date(window.group(1), no)
    return {
        "line": no,
        "year": int(m.group(1)),
        "ordinal": ordinal,
        "name_zh": f"{m.group(1)}年第{m.group(2)}次统考",
        "level": LEVEL_BY_CHAR[levels[0]],
        "day": day,
        "start": start,
        "end": end,
        "open": opens,
        "close": _date(window.group(2), no, year=opens.year),
    }


def _schedule(norm: list[str]) -> list[dict]:
    rows = [_row(s, i + 1) for i, s in enumerate(norm) if NAME.match(s)]
    if not rows:
        header = next((i + 1 for i, s in enumerate(norm) if "批次" in s and ("等级" in s or "级别" in s)), None)
        if header is not None:
            raise _fail("no_schedule_rows", line=header)
        raise _fail("no_schedule", count=len(norm))
    row_lines = {r["line"] for r in rows}
    first, last = min(row_lines), max(row_lines)
    for i, s in enumerate(norm):
        no = i + 1
        inside = first < no < last and s
        looks_like_row = LEVEL.search(s) and EXAM.search(s)
        if no not in row_lines and (inside or looks_like_row):
            raise _fail("bad_row", line=no, text=s, expected=t("notice_import.expect_name"))
    return rows


def _check_batches(rows: list[dict], year: int) -> None:
    seen: dict[int, int] = {}
    for r in rows:
        no = r["line"]
        if r["year"] != year:
            raise _fail("year_mismatch", line=no, value=r["year"], year=year)
        if r["ordinal"] in seen:
            raise _fail("duplicate_batch", line=no, batch=r["name_zh"], first_line=seen[r["ordinal"]])
        seen[r["ordinal"]] = no
        for day in (r["day"], r["open"], r["close"]):
            if day.year != year:
                raise _fail("date_outside_year", line=no, value=day.isoformat(), year=year)
        if r["open"] > r["close"]:
            raise _fail("window_reversed", line=no, batch=r["name_zh"], open=r["open"], close=r["close"])
        if r["close"] >= r["day"]:
            raise _fail("window_after_exam", line=no, batch=r["name_zh"], close=r["close"], exam=r["day"])
    for expected, r in enumerate(sorted(rows, key=lambda r: r["ordinal"]), start=1):
        if r["ordinal"] != expected:
            raise _fail("batch_gap", line=r["line"], batch=r["name_zh"], expected=expected)


def _fees(norm: list[str]) -> dict[str, tuple[int | str, int]]:
    """Fee in yuan per level, with the line it was read from."""
    fees: dict[str, tuple[int | str, int]] = {}
    for i, s in enumerate(norm):
        for char, amount in FEE.findall(s):
            code = LEVEL_BY_CHAR[char]
            try:
                fen = yuan_to_fen(amount)
            except ValueError:
                raise _fail("bad_fee", line=i + 1, value=amount) from None
            value: int | str = fen // FEN_PER_YUAN if fen % FEN_PER_YUAN == 0 else format_yuan_plain(fen)
            if code in fees and fees[code][0] != value:
                raise _fail("conflicting", line=i + 1, what=char + "级", value=value, first=fees[code][0])
            fees.setdefault(code, (value, i + 1))
    return fees


def _forms(norm: list[str]) -> dict[str, dict]:
    """Exam form and duration per level from the 考试形式 paragraph(s)."""
    out: dict[str, dict] = {}
    for i, s in enumerate(norm):
        if not FORM_HEAD.search(s):
            continue
        block, j = [s], i + 1
        while j < len(norm) and not NUMBERED.match(norm[j]) and not FORM_HEAD.search(norm[j]):
            block.append(norm[j])
            j += 1
        current: list[str] = []
        for sentence in SENTENCE.split("".join(block)):
            groups = LEVEL_GROUP.findall(sentence)
            if groups:
                current = [LEVEL_BY_CHAR[c] for g in groups for c in g if c in LEVEL_BY_CHAR]
            minutes = set(MINUTES.findall(sentence))
            if len(minutes) > 1:
                raise _fail("ambiguous_duration", line=i + 1, value="/".join(sorted(minutes)))
            facts = {}
            if minutes:
                facts["duration_min"] = int(minutes.pop())
            if re.search(r"方式|形式|采用", sentence) and ("理论" in sentence or "实操" in sentence):
                facts["form"] = FORMS[("理论" in sentence, "实操" in sentence)]
            for code in current:
                for key, value in facts.items():
                    if out.setdefault(code, {}).setdefault(key, value) != value:
                        raise _fail(
                            "conflicting", line=i + 1, what=label(code, "zh"), value=value, first=out[code][key]
                        )
    return out


def _marks(norm: list[str]) -> tuple[int, int]:
    """Full mark (总分 N 分) and pass mark (N 分（含）以上为合格)."""
    found: dict[str, tuple[int, int]] = {}
    for key, pattern in (("full_mark", FULL), ("pass_mark", PASS)):
        for i, s in enumerate(norm):
            for v in pattern.findall(s):
                first = found.setdefault(key, (int(v), i + 1))
                if first[0] != int(v):
                    raise _fail("conflicting", line=i + 1, what=t(f"notice_import.what_{key}"), value=v, first=first[0])
        if key not in found:
            raise _fail(f"no_{key}")
    (full, _), (pass_mark, no) = found["full_mark"], found["pass_mark"]
    if not 0 < pass_mark <= full:
        raise _fail("pass_above_full", line=no, value=pass_mark, full=full)
    return full, pass_mark


def _signature(lines: list[str], norm: list[str], after: int) -> tuple[str | None, dt.date | None]:
    """Issuer and issue date from the signature at the end (an organisation line, then a date line)."""
    dates = [i for i in range(after, len(norm)) if re.fullmatch(_DATE, norm[i])]
    if not dates:
        return None, None
    i = dates[-1]
    issued = _date(norm[i], i + 1)
    j = i - 1
    while j >= after and not norm[j]:
        j -= 1
    cand = norm[j] if j >= after else ""
    plain = (
        cand
        and len(cand) <= MAX_ISSUER_CHARS
        and not re.search(r"[。，,;；:：!?\t]", cand)
        and not NUMBERED.match(cand)
    )
    return (" ".join(lines[j].split()) if plain else None), issued


def parse_notice(
    lines: list[str],
    source_name: str,
    source_sha256: str,
    *,
    issuer: str | None = None,
    issued_on: dt.date | str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict:
    """The notice as the dict ``notice_YYYY.yaml`` holds, plus ``source: {file, sha256}``.

    ``issuer``/``issued_on`` are used only when the text has no signature (organisation + date
    at the end); without either, the key is left out. Raises ``NoticeError`` naming the line.
    """
    norm = [_norm(s) for s in lines]
    rows = _schedule(norm)
    title_at = next((i for i, s in enumerate(norm) if TITLE.match(s)), None)
    if title_at is None:
        raise _fail("no_title")
    title = " ".join(lines[title_at].split())
    # the notice's year: the title's, unless no batch name has it; else the batch names' most common one
    row_years = Counter(r["year"] for r in rows)
    title_year = TITLE_YEAR.search(norm[title_at])
    year = int(title_year.group(1)) if title_year else row_years.most_common(1)[0][0]
    if year not in row_years:
        raise _fail("year_mismatch", line=title_at + 1, value=year, year=row_years.most_common(1)[0][0])
    _check_batches(rows, year)
    fees, forms = _fees(norm), _forms(norm)
    for r in rows:
        if r["level"] not in fees:
            raise _fail("no_fee", line=r["line"], level=label(r["level"], "zh"))
    levels = {}
    for code in LEVELS:
        if code not in fees:
            continue
        form = forms.get(code, {})
        for key in ("form", "duration_min"):
            if key not in form:
                raise _fail(f"no_{key}", line=fees[code][1], level=label(code, "zh"))
        levels[code] = {
            "name_zh": label(code, "zh"),
            "fee_cny": fees[code][0],
            "form": form["form"],
            "duration_min": form["duration_min"],
        }
    full, pass_mark = _marks(norm)
    text_issuer, text_date = _signature(lines, norm, max(r["line"] for r in rows))
    if isinstance(issued_on, str):
        try:
            issued_on = dt.date.fromisoformat(issued_on)
        except ValueError:
            raise _fail("bad_issued_on", value=issued_on) from None
    out: dict = {"year": year, "title": title}
    if text_issuer or issuer:
        out["issuer"] = text_issuer or issuer
    if text_date or issued_on:
        out["issued_on"] = text_date or issued_on
    out |= {"timezone": timezone, "full_mark": full, "pass_mark": pass_mark, "levels": levels}
    out["batches"] = [
        {
            "batch": f"{year}-{r['ordinal']:02d}",
            "name_zh": r["name_zh"],
            "level": r["level"],
            "exam_start": f"{r['day'].isoformat()}T{r['start'][0]:02d}:{r['start'][1]:02d}",
            "exam_end": f"{r['day'].isoformat()}T{r['end'][0]:02d}:{r['end'][1]:02d}",
            "registration_open": r["open"],
            "registration_close": r["close"],
        }
        for r in sorted(rows, key=lambda r: r["ordinal"])
    ]
    out["source"] = {"file": source_name, "sha256": source_sha256}
    return out


def parse_notice_file(
    path: str | os.PathLike,
    *,
    issuer: str | None = None,
    issued_on: dt.date | str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict:
    """``parse_notice`` of a file: its lines, its name and the SHA-256 of its bytes."""
    p = Path(path)
    lines = notice_lines(p)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    return parse_notice(lines, p.name, digest, issuer=issuer, issued_on=issued_on, timezone=timezone)


SCHEDULE_TABLE_COLUMNS = ("batch", "name", "level", "exam", "registration", "fee")


def schedule_headers(lang: str | None = None) -> dict[str, str]:
    """Column titles for ``schedule_table`` rows in ``lang``."""
    return {c: t(f"notice_import.col_{c}", lang) for c in SCHEDULE_TABLE_COLUMNS}


def schedule_table(notice_dict: dict) -> list[dict]:
    """One row per parsed batch (batch, name, level, exam, registration, fee) for the user to check."""
    levels = notice_dict["levels"]
    return [
        {
            "batch": b["batch"],
            "name": b["name_zh"],
            "level": label(b["level"]),
            "exam": f"{b['exam_start'].replace('T', ' ')}-{b['exam_end'][11:]}",
            "registration": f"{b['registration_open']} ~ {b['registration_close']}",
            "fee": format_yuan_plain(yuan_to_fen(levels[b["level"]]["fee_cny"])),
        }
        for b in notice_dict["batches"]
    ]
