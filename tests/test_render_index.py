"""``outputs/index.html``: the self-contained dashboard with each batch's headline figures."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from examkit.core.i18n import set_lang
from examkit.report.check import scan_text
from examkit.report.index import Headline, headline, index_html, write_index
from examkit.settings.params import load_batch_params

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "data" / "fixture"


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _heads() -> list[Headline]:
    return [
        Headline("2023-01", "junior", dt.date(2023, 4, 15), 120, 100, 70, 0, 0.7, 0.61, 0.78, False, 12345),
        Headline("2023-02", "intermediate", dt.date(2023, 4, 20), 9, 8, 5, 0, None, None, None, True, 0),
        Headline("2023-03", "junior", dt.date(2023, 5, 15), notes=["无法计算通过率：文件缺失"]),
    ]


def _page(tmp_path: Path) -> str:
    (tmp_path / "2023-01").mkdir()
    for nb in ("grading", "pass_rates", "fees"):
        (tmp_path / "2023-01" / f"{nb}.html").write_text("<p></p>", encoding="utf-8")
    (tmp_path / "2023-01" / "pass_rates.pdf").write_bytes(b"%PDF-1.4")
    return index_html(tmp_path, _heads(), generated=dt.datetime(2026, 11, 29, 9, 0))


def test_index_rows_show_headline_figures(tmp_path):
    page = _page(tmp_path)
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    first = rows[1]
    assert "2023-01 初级" in first and "2023-04-15" in first
    assert ">120<" in first and ">100<" in first and ">70<" in first
    assert "70.0%" in first and "95% 置信区间 61.0%–78.0%" in first
    assert "¥123.45" in first


def test_small_batches_show_counts_and_no_rate(tmp_path):
    second = re.findall(r"<tr>(.*?)</tr>", _page(tmp_path), re.S)[2]
    assert "实考 8 人，人数过少，不列合格人数和通过率" in second
    assert "%" not in second
    assert ">9<" in second and ">8<" in second
    assert ">5<" not in second  # passers of a small group are not shown either


def test_missing_figures_are_dashes_with_the_reason(tmp_path):
    third = re.findall(r"<tr>(.*?)</tr>", _page(tmp_path), re.S)[3]
    assert "无法计算通过率：文件缺失" in third
    assert third.count(">—<") == 5  # registered, sat, passed, rate, fees


def test_total_row_adds_up_and_has_its_own_interval(tmp_path):
    page = _page(tmp_path)
    total = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    # 2023-03 has no figures, so totals that need it are unknown; fees need every batch too
    assert total.count(">—<") == 5
    heads = _heads()[:2]
    page = index_html(tmp_path, heads, generated=dt.datetime(2026, 11, 29, 9, 0))
    total = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    low, high = _wilson(75, 108)
    assert ">129<" in total and ">108<" in total and ">75<" in total
    assert f"{75 / 108 * 100:.1f}%" in total and f"{low * 100:.1f}%–{high * 100:.1f}%" in total
    assert "¥123.45" in total


def test_links_only_to_reports_that_exist(tmp_path):
    page = _page(tmp_path)
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs == [
        "2023-01/grading.html",
        "2023-01/pass_rates.html",
        "2023-01/pass_rates.pdf",
        "2023-01/fees.html",
    ]
    assert page.count("<s ") == 6  # 2023-02 and 2023-03: three reports each, not produced


def test_index_is_self_contained_and_phone_ready(tmp_path):
    page = _page(tmp_path)
    assert "<script" not in page and "<link" not in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width:640px)" in page and "@media print" in page
    assert scan_text(page) == []


def test_index_in_english(tmp_path):
    set_lang("en")
    page = _page(tmp_path)
    assert '<html lang="en">' in page and "Pass rate" in page and "95% interval 61.0%–78.0%" in page


def test_headline_agrees_with_the_passrates_command(tmp_path):
    params = tmp_path / "params" / "2023-01.yaml"
    params.parent.mkdir()
    params.write_text(
        "batch: '2023-01'\n"
        f"registrations: {FIXTURE / 'registrations' / '2023-01.xlsx'}\n"
        f"schools: {FIXTURE / 'schools.xlsx'}\n"
        f"scores: {FIXTURE / 'scores' / '2023-01.xlsx'}\n"
        f"payments: {FIXTURE / 'payments.csv'}\n"
        f"gradebook: {tmp_path / 'none.sqlite'}\n"
        f"settings_dir: {ROOT / 'params'}\n",
        encoding="utf-8",
    )
    head = headline(load_batch_params(params))
    assert head.notes == []
    cli = subprocess.run(
        [sys.executable, "-m", "examkit", "passrates", "--registrations", str(FIXTURE / "registrations" / "2023-01.xlsx"),
         "--scores", str(FIXTURE / "scores" / "2023-01.xlsx"), "--schools", str(FIXTURE / "schools.xlsx"),
         "--by", "batch", "--format", "csv"],
        capture_output=True, text=True, encoding="utf-8", check=True,
    )  # fmt: skip
    values = dict(zip(*[line.split(",") for line in cli.stdout.strip().splitlines()], strict=True))
    assert (head.registered, head.sat, head.passed) == (
        int(values["registered"]),
        int(values["sat"]),
        int(values["passed"]),
    )
    assert head.pass_rate == pytest.approx(float(values["pass_rate"]))
    assert head.ci_low == pytest.approx(float(values["ci_low"]))
    assert head.outstanding_fen is not None and head.outstanding_fen >= 0
    assert not (tmp_path / "none.sqlite").exists()  # the dashboard never creates a gradebook
    target = write_index(tmp_path / "out", [load_batch_params(params)])
    assert target.name == "index.html" and "2023-01" in target.read_text(encoding="utf-8")
