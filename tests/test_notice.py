"""The notice as data: checked against the notice's own text, not against examkit's output."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from examkit.cli import main
from examkit.core.exceptions import NoticeError
from examkit.core.notice import load_notice

NOTICE_TEXT = Path(__file__).with_name("notice_2023.txt").read_text(encoding="utf-8")
LEVEL = {"初级": "junior", "中级": "intermediate", "高级": "senior"}
ORDINAL = "一二三四五六七八九十"


def _ordinal(zh: str) -> int:
    # 第一 … 第十三
    if zh.startswith("十"):
        return 10 + (ORDINAL.index(zh[1]) + 1 if len(zh) > 1 else 0)
    return ORDINAL.index(zh) + 1


def notice_table() -> list[dict[str, str]]:
    """The schedule table parsed from the notice's original Chinese text."""
    rows = []
    pat = re.compile(
        r"2023年第(.+?)次统考\t(初级|中级|高级)\t(\d{4}-\d\d-\d\d) (\d\d:\d\d)-(\d\d:\d\d)\t(\d{4}-\d\d-\d\d) ~ (\d{4}-\d\d-\d\d)"
    )
    fees = {lv: m for lv, m in re.findall(r"（(初级|中级|高级)）(\d+) 元/人次", NOTICE_TEXT)}
    minutes = re.search(r"实操考核时长为 (\d+) 分钟", NOTICE_TEXT).group(1)
    for m in pat.finditer(NOTICE_TEXT):
        n, lv, day, start, end, ropen, rclose = m.groups()
        rows.append(
            {
                "batch": f"2023-{_ordinal(n):02d}",
                "level": LEVEL[lv],
                "exam_start": f"{day}T{start}",
                "exam_end": f"{day}T{end}",
                "registration_open": ropen,
                "registration_close": rclose,
                "fee_cny": fees[lv],
                "form": "theory+practical" if lv == "高级" else "practical",
                "duration_min": minutes,
            }
        )
    return rows


def test_notice_text_has_thirteen_batches():
    assert len(notice_table()) == 13


def test_schedule_csv_equals_the_notice_row_for_row(capsys):
    assert main(["schedule", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "batch,level,exam_start,exam_end,registration_open,registration_close,fee_cny,form,duration_min"
    expected = [",".join(r.values()) for r in notice_table()]
    assert lines[1:] == expected


def test_schedule_json_and_table(capsys):
    import json

    assert main(["schedule", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["batch"] for r in rows] == [f"2023-{i:02d}" for i in range(1, 14)]
    assert main(["schedule"]) == 0
    assert "2023-13" in capsys.readouterr().out


def test_marks_and_fees_come_from_the_notice():
    n = load_notice(2023)
    full = re.search(r"总分 (\d+) 分", NOTICE_TEXT).group(1)
    passing = re.search(r"达到 (\d+) 分（含）以上为合格", NOTICE_TEXT).group(1)
    assert n.full_mark == int(full)
    assert n.pass_mark == int(passing)
    assert n.passes(n.pass_mark) and not n.passes(n.pass_mark - 0.5)
    assert n.levels["senior"].fee_fen == 360 * 100
    assert n.levels["junior"].fee_fen == n.levels["intermediate"].fee_fen == 340 * 100


def test_batch_lookup_by_id_and_chinese_name():
    n = load_notice(2023)
    assert n.batch("2023-13").level == "senior"
    assert n.batch("2023年第十三次统考").id == "2023-13"
    assert n.batch(" 2023-01 ").exam_start == dt.datetime(2023, 4, 15, 9, 0)
    with pytest.raises(NoticeError, match="2023-14"):
        n.batch("2023-14")


def test_registration_window_is_inclusive_and_windows_overlap():
    n = load_notice(2023)
    b = n.batch("2023-01")
    assert b.registration_contains(dt.date(2023, 3, 5))
    assert b.registration_contains(dt.date(2023, 4, 5))
    assert not b.registration_contains(dt.date(2023, 4, 6))
    assert not b.registration_contains(dt.date(2023, 3, 4))
    assert [x.id for x in n.batches_open_on(dt.date(2023, 3, 5))] == ["2023-01", "2023-02"]
    assert [x.id for x in n.batches_open_on(dt.date(2023, 4, 8))] == ["2023-02", "2023-03", "2023-04"]
    assert [x.id for x in n.batches_open_on(dt.date(2023, 4, 8), level="junior")] == ["2023-03"]
    assert n.batches_open_on(dt.date(2023, 7, 1)) == []


def test_provincial_price_overrides_the_notice():
    n = load_notice(2023)
    prices = {"浙江省": {"junior": 32000}}
    assert n.fee_fen("junior", "浙江省", prices) == 32000
    assert n.fee_fen("senior", "浙江省", prices) == n.levels["senior"].fee_fen
    assert n.fee_fen("junior", "广东省", prices) == n.levels["junior"].fee_fen


def test_unknown_year_and_level_are_clear_errors(capsys):
    with pytest.raises(NoticeError, match="2031"):
        load_notice(2031)
    with pytest.raises(NoticeError):
        load_notice(2023).level("expert")
    assert main(["schedule", "--year", "2031"]) == 2
    assert "2031" in capsys.readouterr().err


def test_no_notice_numbers_in_code():
    """The notice's fees live once, as data: no literal 340 or 360 in the package's code."""
    pkg = Path(__file__).resolve().parent.parent / "examkit"
    offenders = [
        f"{p.relative_to(pkg)}:{i}"
        for p in pkg.rglob("*.py")
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<![\d.])(340|360)(?![\d])", line)
    ]
    assert offenders == []
