"""The whole demo year through the runner: 39 reports and the index, all private, all self-contained offline.

Issue 8's "done when": the demo year's index and all 39 reports pass the offline browser test
(headless Chromium, network cut off, 375-px screen) and the scan (``examkit check-outputs``).
The year is generated and rendered once per test session (see ``rendered_demo``); the browser
checks skip without a Chromium, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import os
import re
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
    shots = shots_dir(tmp_path_factory)
    reports = report_files(demo_outputs)
    if not GIVEN:
        assert len(reports) == 39
    problems: list[str] = []
    charts: dict[str, int] = {}
    for page in [demo_outputs / "index.html", *reports]:
        rel = page.relative_to(demo_outputs).as_posix()
        result = open_offline(browser, page, shots / (rel.replace("/", "_") + ".jpg"))
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
