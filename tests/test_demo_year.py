"""The whole demo year through the runner: 39 reports and the index, all private, all self-contained offline.

Issue 8's "done when": the demo year's index and all 39 reports pass the offline browser test
(headless Chromium, network cut off, 375-px screen) and the scan (``examkit check-outputs``).
The year is generated and rendered once per test session (see ``rendered_demo``); the browser
checks skip without a Chromium, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rendered_demo import check_page, demo_run, offline_browser, open_offline, report_files, shots_dir

from examkit.cli import main
from examkit.report.check import scan_dir

pytestmark = pytest.mark.slow

# The notice's 13 batches of 2023 and the kit's three reports per batch: 13 × 3 = 39, by hand.
BATCHES = [f"2023-{n:02d}" for n in range(1, 14)]
NOTEBOOKS = ("grading", "pass_rates", "fees")
GIVEN = bool(os.environ.get("EXAMKIT_REPORTS_DIR"))  # checking an existing outputs folder, not rendering


@pytest.fixture(scope="module")
def browser():
    with offline_browser() as b:
        yield b


def test_every_batch_renders_all_three_reports_and_the_index(tmp_path_factory):
    if GIVEN:
        pytest.skip("checking a given outputs folder (EXAMKIT_REPORTS_DIR)")
    from examkit.run.runner import summarize

    report = demo_run(tmp_path_factory)
    assert report.failed == [], summarize(report)
    assert sorted((r.batch, r.notebook) for r in report.results) == sorted((b, nb) for b in BATCHES for nb in NOTEBOOKS)
    out = report.out_dir
    rendered = {p.relative_to(out).as_posix() for p in report_files(out)}
    assert len(rendered) == 39
    assert rendered == {f"{b}/{nb}.html" for b in BATCHES for nb in NOTEBOOKS}
    assert (out / "index.html").is_file()


def test_scan_passes_on_the_whole_year(demo_outputs: Path, capsys):
    assert main(["check-outputs", str(demo_outputs)]) == 0, capsys.readouterr().out
    files, findings = scan_dir(demo_outputs)
    assert findings == []
    scanned = {p.relative_to(demo_outputs).as_posix() for p in files}
    pages = {"index.html", *(p.relative_to(demo_outputs).as_posix() for p in report_files(demo_outputs))}
    assert pages <= scanned


@pytest.mark.browser
def test_index_and_every_report_render_offline_on_a_phone(browser, demo_outputs: Path, tmp_path_factory):
    shots = shots_dir()
    reports = report_files(demo_outputs)
    if not GIVEN:
        assert len(reports) == 39
    problems: list[str] = []
    charts: dict[str, int] = {}
    for page in [demo_outputs / "index.html", *reports]:
        rel = page.relative_to(demo_outputs).as_posix()
        result = open_offline(browser, page, shots / (rel.replace("/", "_") + ".jpg") if shots else None)
        try:
            check_page(result, rel)
            if not GIVEN:
                assert result["lang"] == "zh-CN", f"{rel}: lang {result['lang']!r}"
        except AssertionError as exc:
            problems.append(str(exc))
        charts[rel] = len(result["charts"])
        if rel == "index.html":
            local = [h for h in result["links"] if not re.match(r"^[a-z]+:", h) and not h.startswith("#")]
            assert {demo_outputs / h for h in local if h.endswith(".html")} == set(reports)
            assert all((demo_outputs / h).is_file() for h in local)
    assert problems == []
    pass_rate_reports = [r for r in charts if r.endswith("/pass_rates.html")]
    assert pass_rate_reports and all(charts[r] > 0 for r in pass_rate_reports), charts


class _Tables(HTMLParser):
    """Every table of a page as (header texts, body rows of cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(("th" if tag == "th" else "td", "".join(self._cell).strip()))
            self._cell = None
        elif tag == "tr" and self.tables and self._row:
            kinds = {k for k, _ in self._row}
            texts = [v for _, v in self._row]
            if kinds == {"th"}:
                self.tables[-1][0].extend(texts)
            else:
                self.tables[-1][1].append(texts)


def _rate_tables(page: Path) -> list[list[dict[str, str]]]:
    parser = _Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return [[dict(zip(h, r, strict=False)) for r in rows] for h, rows in parser.tables if {"实考", "通过"} <= set(h)]


def _pinned_down(total_passed: int, rows: list[dict[str, str]]) -> list[str]:
    """Hidden groups whose passed count the total minus the shown groups pins down (see test_passrates_truths)."""
    residual = total_passed - sum(int(r["通过"]) for r in rows if r["通过"])
    hidden = [r for r in rows if not r["通过"] and int(r["实考"]) > 0]
    out = []
    for r in hidden:
        others = sum(int(o["实考"]) for o in hidden if o is not r)
        if len([a for a in range(int(r["实考"]) + 1) if 0 <= residual - a <= others]) <= 1:
            out.append(r["组别"])
    return out


def test_rendered_pass_rate_reports_never_show_a_small_groups_passed_count(demo_outputs: Path):
    """Issue 17 §5: below 10 sat (the demo's policy) a row shows registered and sat only, and no hidden row
    of a batch's breakdown can be recovered from the headline's total. In 2023-13 a school has 1 sat."""
    min_sat = 10
    one_sat_rows = []
    for page in sorted(demo_outputs.glob("*/pass_rates.html")):
        tables = _rate_tables(page)
        overall = [t for t in tables if len(t) == 1 and t[0]["组别"] == "全体考生"]
        assert overall, page
        total = overall[0][0]
        for table in tables:
            for row in table:
                if int(row["实考"].replace(",", "")) < min_sat:
                    assert row["通过"] == "" and row["违纪"] == "" and "%" not in row["通过率"], (page, row)
            is_breakdown = len(table) > 1 and sum(int(r["实考"]) for r in table) == int(total["实考"])
            if is_breakdown and total["通过"]:
                assert _pinned_down(int(total["通过"]), table) == [], (page, table)
        if page.parent.name == "2023-13":
            one_sat_rows = [r for t in tables for r in t if r["实考"] == "1"]
    assert one_sat_rows and all(r["通过"] == "" and r["通过率"] == "—（人数少）" for r in one_sat_rows)
