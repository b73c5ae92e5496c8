"""Reports in a real browser with the network cut off: charts draw, nothing is fetched, a phone needs no sideways scroll.

Headless Chromium (Debian's ``chromium``, installed by ``.ci/run``) through the ``playwright`` package,
never a browser that playwright would download. Without a Chromium the tests skip, except under
``CI=true`` where they fail. Screenshots (375 px wide) go to ``EXAMKIT_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from rendered_demo import rendered_demo, rendered_english, report_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 375, "height": 812}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

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


def _chromium() -> str:
    """The Chromium to drive; skips (fails under CI=true) when there is none or no playwright."""
    from examkit.render import find_chromium

    path = os.environ.get("EXAMKIT_CHROMIUM") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    path = path or find_chromium()
    problem = None
    if not path:
        problem = "no Chromium installed (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e .[dev])"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(problem)
    return str(path)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    return rendered_demo(tmp_path_factory)


def _shots_dir(tmp_path_factory) -> Path:
    given = os.environ.get("EXAMKIT_SCREENSHOTS")
    path = Path(given) if given else tmp_path_factory.mktemp("screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_offline(browser, page_file: Path, screenshot: Path) -> dict:
    """Open ``page_file`` on a phone-sized screen with every non-file request aborted; what the page did."""
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
    page.screenshot(path=str(screenshot), full_page=True)
    context.close()
    return result


def _check_page(result: dict, name: str) -> None:
    assert result["blocked"] == [] and result["requests"] == [], f"{name} tried the network: {result}"
    widths = result["widths"]
    assert widths["doc"] <= widths["inner"] and widths["body"] <= widths["inner"], f"{name} overflows: {widths}"
    assert result["broken_images"] == [], name
    for chart in result["charts"]:
        assert chart["width"] > 0 and chart["height"] > 0 and chart["marks"] > 0, f"{name}: empty chart {chart}"
        assert chart["right"] <= widths["inner"] + 0.5, f"{name}: chart wider than the screen {chart}"


def test_reports_render_offline_on_a_phone(browser, outputs, tmp_path_factory):
    shots = _shots_dir(tmp_path_factory)
    reports = report_files(outputs)
    assert reports, f"no reports under {outputs}"
    charts = {}
    for report in reports:
        rel = report.relative_to(outputs).as_posix()
        result = open_offline(browser, report, shots / (rel.replace("/", "_") + ".png"))
        _check_page(result, rel)
        charts[rel] = len(result["charts"])
        if not os.environ.get("EXAMKIT_REPORTS_DIR"):
            assert result["lang"] == "zh-CN", rel
    pass_rate_reports = [r for r in charts if r.endswith("/pass_rates.html")]
    assert pass_rate_reports and all(charts[r] > 0 for r in pass_rate_reports), charts


def test_english_report_renders_offline(browser, tmp_path_factory):
    english = rendered_english(tmp_path_factory)
    if english is None:
        pytest.skip("checking a given outputs folder")
    report = next(english.glob("*/pass_rates.html"))
    result = open_offline(browser, report, _shots_dir(tmp_path_factory) / "en_pass_rates.png")
    _check_page(result, "en/pass_rates.html")
    assert result["lang"] == "en" and result["charts"]


def test_index_renders_offline_and_links_every_report(browser, outputs, tmp_path_factory):
    shots = _shots_dir(tmp_path_factory)
    result = open_offline(browser, outputs / "index.html", shots / "index.png")
    _check_page(result, "index.html")
    local = [h for h in result["links"] if not re.match(r"^[a-z]+:", h) and not h.startswith("#")]
    assert {outputs / h for h in local if h.endswith(".html")} == set(report_files(outputs))
    assert all((outputs / h).is_file() for h in local)
