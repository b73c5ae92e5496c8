"""End to end: `examkit grade` serves the form with Voilà; headless Chromium grades through it.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (its own browsers are never
downloaded). Without Chromium the test skips with that reason — except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading

import polars as pl
import pytest
from live import chromium_executable, free_port, grading_project, read_lines

from examkit.core.grading import check_mark
from examkit.core.i18n import t
from examkit.report.render import CHROMIUM_FLAGS
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = list(CHROMIUM_FLAGS)  # the package's own launch flags (quiet, offline)
BATCH = "2023-01"  # junior: items J1..J6
TIMEOUT_MS = 90_000


@pytest.fixture
def project(tmp_path):
    """A project folder with params/2023-01.yaml and a gradebook holding three candidates."""
    names = {"230100001": "张三", "230100002": "李四", "230100003": "王五"}
    _params, gradebook = grading_project(tmp_path, BATCH, names)
    return tmp_path, gradebook


def _wait_for_line(lines: queue.Queue, needle: str, timeout: float = 120.0) -> str:
    seen = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no line containing {needle!r} from examkit grade; got: {''.join(seen)}")
        if line is None:
            pytest.fail(f"examkit grade ended before printing {needle!r}: {''.join(seen)}")
        seen.append(line)
        if needle in line:
            return line


def test_grade_page_in_headless_chromium(project):
    chromium = chromium_executable()
    from playwright.sync_api import expect, sync_playwright

    root, gradebook = project
    port = free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "EXAMKIT_LANG": "zh"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "examkit",
            "grade",
            "--batch",
            BATCH,
            "--grader",
            "王老师",
            "--port",
            str(port),
            "--params-dir",
            str(root / "params"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env=env,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True).start()
    rubric = load_rubric("junior")
    j1, j2 = rubric.item("J1"), rubric.item("J2")
    try:
        url = f"http://127.0.0.1:{port}/"
        assert url in _wait_for_line(lines, url)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            # no code and no notebook interface: only the form
            search = page.get_by_placeholder(t("grading.search_placeholder", "zh"))
            expect(search).to_be_visible()
            body = page.inner_text("body")
            assert "import" not in body
            assert "params_file" not in body
            assert page.locator(".jp-Notebook-toolbar, .jp-MenuBar, .cm-editor").count() == 0

            # find a candidate by number
            search.fill("230100002")
            search.press("Enter")
            expect(page.locator(".widget-dropdown select option:checked")).to_contain_text("230100002")

            # type marks and save (Enter commits a field)
            box1 = page.locator(".widget-text", has_text=j1.name_zh).locator("input")
            box1.fill("18.5")
            box1.press("Enter")
            expect(page.get_by_text(t("grading.saved", "zh", time="").strip()).first).to_be_visible()
            box2 = page.locator(".widget-text", has_text=j2.name_zh).locator("input")
            box2.fill("１２")  # full-width digits, as typed with a Chinese IME
            box2.press("Enter")

            # an over-maximum mark shows its error in the page and is not saved
            box3 = page.locator(".widget-text", has_text=rubric.item("J3").name_zh).locator("input")
            box3.fill(str(rubric.item("J3").max + 5))
            box3.press("Enter")
            error = check_mark(str(rubric.item("J3").max + 5), rubric.item("J3"), "zh").error
            expect(page.get_by_text(error).first).to_be_visible()
            browser.close()

        # read the marks back from the gradebook, as another process would
        with Gradebook(gradebook) as gb:
            assert gb.mark(BATCH, "230100002", "J1").value == 18.5
            assert gb.mark(BATCH, "230100002", "J2").value == 12.0
            assert gb.mark(BATCH, "230100002", "J3").version == 0  # the over-maximum mark never landed
            assert gb.mark(BATCH, "230100001", "J1").version == 0  # other candidates untouched
            audit = gb.audit(BATCH, "230100002").filter(pl.col("kind") == "mark")
            assert sorted(audit.get_column("item_id").to_list()) == ["J1", "J2"]
            assert set(audit.get_column("actor").to_list()) == {"王老师"}
    finally:
        # Ctrl-C: the command stops the server and exits cleanly
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert rc == 0
    _wait_for_line(lines, t("grade_app.stopped", "zh"), timeout=10)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more
