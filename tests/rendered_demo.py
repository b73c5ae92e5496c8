"""The demo year, its rendered reports and the offline browser checks: built once per test session, shared.

- ``demo_project``: the generated demo year (inputs + gradebook) in a project folder. Read-only: a
  test that changes anything works on ``DemoProject.copy_to(tmp_path)`` (the ``demo_copy`` fixture).
- ``demo_run``: every batch's notebooks of the year through the real runner (on a copy of the
  project), index included; ``rendered_demo`` is its outputs folder. Set ``EXAMKIT_REPORTS_DIR`` to
  an existing outputs folder (e.g. from ``examkit demo``) to check that instead.
- ``rendered_english``: batch 2023-01's pass-rate report again, in English.
- ``open_offline`` / ``check_page``: a page in headless Chromium on a 375-px phone screen with every
  non-file request aborted, and what a self-contained report must look like there.

Nothing under the repository's ``data/`` or ``outputs/`` is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from factories import DemoProject, make_demo_project, tree_digest
from live import chromium_executable

if TYPE_CHECKING:
    from examkit.run.runner import RunReport

ENGLISH_BATCH = "2023-01"
_built: dict[tuple[Path, str], Any] = {}


def _once(tmp_path_factory: pytest.TempPathFactory, key: str, build: Callable[[], Any]) -> Any:
    """``build()`` once per test session (keyed by the session's base temp folder)."""
    k = (tmp_path_factory.getbasetemp(), key)
    if k not in _built:
        _built[k] = build()
    return _built[k]


def demo_project(tmp_path_factory: pytest.TempPathFactory) -> DemoProject:
    """The session's demo year; treat it as read-only."""
    project = _once(tmp_path_factory, "project", lambda: make_demo_project(tmp_path_factory.mktemp("demo-year")))
    _once(tmp_path_factory, "digest", lambda: tree_digest(project.root))
    return project


def demo_digest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The checksums of the session's demo project as generated."""
    demo_project(tmp_path_factory)
    return _built[(tmp_path_factory.getbasetemp(), "digest")]


def _run_project(tmp_path_factory: pytest.TempPathFactory) -> DemoProject:
    """A copy of the demo project that the runner may write to."""
    return _once(
        tmp_path_factory,
        "run-project",
        lambda: demo_project(tmp_path_factory).copy_to(tmp_path_factory.mktemp("demo-run") / "project"),
    )


def demo_run(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    """Every batch's notebooks of the demo year through ``examkit.run.runner.run`` (2 jobs), into ``<copy>/outputs``."""

    def build() -> RunReport:
        from examkit.core.i18n import get_lang, set_lang
        from examkit.run.runner import run

        project = _run_project(tmp_path_factory)
        lang = get_lang()
        set_lang("zh")  # the index follows the session's language, which an earlier test may have changed
        try:
            return run(project.batch_params(), project.root / "outputs", jobs=2, progress=False)
        finally:
            set_lang(lang)

    return _once(tmp_path_factory, "run", build)


def rendered_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs folder holding ``index.html`` and ``<batch>/<notebook>.html`` (Chinese) of the whole year."""
    given = os.environ.get("EXAMKIT_REPORTS_DIR")
    if given:
        return Path(given)
    from examkit.run.runner import summarize

    report = demo_run(tmp_path_factory)
    assert report.ok, summarize(report)
    return report.out_dir


def rendered_english(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """An outputs folder with batch 2023-01's pass-rate report in English (None when checking a given folder)."""
    if os.environ.get("EXAMKIT_REPORTS_DIR"):
        return None

    def build() -> Path:
        from examkit.run.runner import run, summarize
        from examkit.settings.params import load_batch_params

        project = _run_project(tmp_path_factory)
        values = load_batch_params(project.params / f"{ENGLISH_BATCH}.yaml").values  # paths made absolute
        values = {k: v for k, v in values.items() if k != "params_file"} | {"lang": "en"}
        work = tmp_path_factory.mktemp("reports-en")
        (work / "params").mkdir()
        target = work / "params" / f"{ENGLISH_BATCH}.yaml"
        target.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False), encoding="utf-8")
        report = run([target], work / "outputs", jobs=1, notebooks=("pass_rates",), progress=False)
        assert report.ok, summarize(report)
        return report.out_dir

    return _once(tmp_path_factory, "english", build)


def fresh_rerun(tmp_path_factory: pytest.TempPathFactory, reports: tuple[tuple[str, str], ...]) -> Path:
    """``reports`` (batch, notebook) of the whole-year run again, each in a fresh kernel, on the same project copy.

    The whole-year run (warm kernels) already made every write the reports make to the gradebook, so
    the inputs are the same and the reports must be too.
    """

    def build() -> Path:
        from examkit.core.i18n import get_lang, set_lang
        from examkit.run.runner import run, summarize

        rendered_demo(tmp_path_factory)  # the warm run first: it owns the writes
        project = _run_project(tmp_path_factory)
        lang = get_lang()
        set_lang("zh")
        try:
            out = tmp_path_factory.mktemp("reports-fresh")
            for batch in dict.fromkeys(b for b, _ in reports):
                notebooks = tuple(nb for b, nb in reports if b == batch)
                params = [project.params / f"{batch}.yaml"]
                report = run(params, out, jobs=2, notebooks=notebooks, progress=False, fresh_kernels=True, index=False)
                assert report.ok, summarize(report)
        finally:
            set_lang(lang)
        return out

    return _once(tmp_path_factory, "fresh-" + "-".join(f"{b}.{nb}" for b, nb in reports), build)


def report_files(out: Path) -> list[Path]:
    """Every rendered report under ``out`` (not the index)."""
    return sorted(p for p in out.glob("*/*.html"))


# --------------------------------------------------------------------------- the offline browser

PHONE = {"width": 375, "height": 812}

# Per chart: its drawn size and how many marks (children of vega's role-mark groups) it holds.
CHARTS_JS = """() => [...document.querySelectorAll('.ek-chart svg, .ek-chart canvas, svg.marks')]
  .filter((el, i, all) => all.indexOf(el) === i)
  .map(el => {
    const box = el.getBoundingClientRect();
    let marks = 0;
    if (el.tagName.toLowerCase() === 'svg') {
      marks = el.querySelectorAll('[class*="role-mark"] > *').length;
    } else {
      const data = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) marks++;
    }
    return {width: box.width, height: box.height, right: box.right, marks: marks};
  })"""
WIDTHS_JS = (
    """() => ({inner: window.innerWidth, doc: document.documentElement.scrollWidth, body: document.body.scrollWidth})"""
)
IMAGES_JS = (
    """() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"""
)


@contextmanager
def offline_browser() -> Iterator[Any]:
    """One headless Chromium (the package's own launch flags) for as many pages as the caller opens."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    from examkit.report.render import CHROMIUM_FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def shots_dir() -> Path | None:
    """Where screenshots go: ``EXAMKIT_SCREENSHOTS`` when set (for a person to look at), else nowhere:
    the checks read the page itself, and a full-page picture of 40 long pages costs half a minute."""
    given = os.environ.get("EXAMKIT_SCREENSHOTS")
    if not given:
        return None
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_offline(browser, page_file: Path, screenshot: Path | None = None) -> dict:
    """Open ``page_file`` on a phone-sized screen with every non-file request aborted; what the page did.

    A full-page screenshot (JPEG, 375 CSS px wide at device scale 2) goes to ``screenshot`` when given.
    """
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, service_workers="block")
    left: list[str] = []

    def guard(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(page_file.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(100)  # let anything deferred start (it must not)
    result = {
        "blocked": left,
        "requests": [u for u in seen if not u.startswith(("file:", "data:"))],
        "charts": page.evaluate(CHARTS_JS),
        "widths": page.evaluate(WIDTHS_JS),
        "broken_images": page.evaluate(IMAGES_JS),
        "links": page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))"),
        "lang": page.evaluate("document.documentElement.lang"),
    }
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True, type="jpeg", quality=80)  # ~2x faster than PNG
    context.close()
    return result


def check_page(result: dict, name: str) -> None:
    """No request left the machine, no sideways scroll at 375 px, no broken image, every chart drawn with marks."""
    assert result["blocked"] == [] and result["requests"] == [], f"{name} tried the network: {result}"
    widths = result["widths"]
    assert widths["doc"] <= widths["inner"] and widths["body"] <= widths["inner"], f"{name} overflows: {widths}"
    assert result["broken_images"] == [], name
    for chart in result["charts"]:
        assert chart["width"] > 0 and chart["height"] > 0 and chart["marks"] > 0, f"{name}: empty chart {chart}"
        assert chart["right"] <= widths["inner"] + 0.5, f"{name}: chart wider than the screen {chart}"
