"""One look: reports, the index and the publicity list inline one stylesheet, with one font stack and A4 print CSS."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from pathlib import Path

import polars as pl
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from examkit.report import charts, style
from examkit.report.check import scan_text
from examkit.report.index import Headline, index_html
from examkit.report.publicity import publicity_html
from examkit.report.render import render_html_text

PKG = Path(__file__).resolve().parents[1] / "examkit"
STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _report() -> str:
    nb = new_notebook()
    nb.metadata["papermill"] = {"parameters": {"batch": "2023-01", "lang": "zh"}}
    cell = new_code_cell("x")
    cell.outputs = [new_output("execute_result", data={"text/html": "<p>表</p>", "text/plain": "x"})]
    nb.cells = [new_markdown_cell("# 通过率"), cell]
    return render_html_text(nb)


def _index(tmp_path: Path) -> str:
    heads = [Headline("2023-01", "junior", dt.date(2023, 4, 15), 120, 100, 70, 0, 0.7, 0.61, 0.78, False, 12345)]
    return index_html(tmp_path, heads, generated=dt.datetime(2026, 11, 29, 9, 0))


def _publicity() -> str:
    frame = pl.DataFrame({"考生号": ["2301440010001"], "姓名": ["欧**娜"], "结果": ["合格"]})
    return publicity_html(frame, title="公示", lines=["公示期"], lang="zh")


@pytest.fixture(scope="module")
def report() -> str:
    return _report()


def _rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of every innermost rule, at-rule wrappers left out."""
    return [(sel.strip(), body) for sel, body in re.findall(r"(?:^|(?<=[{}]))([^{}]+)\{([^{}]*)\}", css)]


# --------------------------------------------------------------------------- every page, the same stylesheet


def test_report_index_and_publicity_list_embed_exactly_the_stylesheet(report, tmp_path):
    css = style.stylesheet()
    for name, page in (("report", report), ("index", _index(tmp_path)), ("publicity", _publicity())):
        assert STYLE_BLOCK.findall(page) == [css], name  # one style element, exactly the stylesheet


def test_each_page_says_which_rules_it_takes(report, tmp_path):
    assert '<body class="ek-report">' in report
    assert '<body class="ek-index"><main>' in _index(tmp_path)
    assert '<body class="ek-publicity"><main>' in _publicity()


def test_the_index_and_the_publicity_list_share_the_report_head(report, tmp_path):
    def head(page: str) -> str:
        return page[: page.index("<title>")]

    assert head(_index(tmp_path)) == head(_publicity())
    for meta in ('charset="utf-8"', 'name="viewport"', 'name="referrer"', 'name="generator"'):
        assert meta in head(report) and meta in head(_publicity()), meta


# --------------------------------------------------------------------------- the stylesheet


def test_stylesheet_prints_on_a4():
    css = style.stylesheet()
    page = re.search(r"@page\{([^}]*)\}", css)
    assert page and "size:A4" in page.group(1) and "margin:12mm" in page.group(1)
    assert "@media print{" in css


def test_stylesheet_is_minified_and_loads_nothing():
    css = style.stylesheet()
    assert "\n" not in css and "/*" not in css
    for ref in ("@import", "@font-face", "url(", "//"):
        assert ref not in css, ref
    assert scan_text(f"<style>{css}</style>", "examkit.css") == []


def test_index_and_publicity_rules_cannot_touch_a_report():
    """Every rule naming the index or the publicity list is scoped to its body class."""
    for selectors, _ in _rules(style.stylesheet()):
        for sel in selectors.split(","):
            for page in ("ek-index", "ek-publicity"):
                if page in sel:
                    assert sel.strip().startswith(f"body.{page}"), sel
    # and the index's own classes only ever appear under body.ek-index
    for selectors, _ in _rules(style.stylesheet()):
        for sel in selectors.split(","):
            if re.search(r"\.(meta|note|wrap|ci|links|batch)\b", sel):
                assert sel.strip().startswith("body.ek-index"), sel


def test_the_phone_layout_of_the_index_is_in_the_stylesheet():
    css = style.stylesheet()
    phone = css[css.index("@media (max-width:640px){") :]
    assert "body.ek-index tr{display:grid" in phone
    assert "body.ek-index td[data-label]::before{content:attr(data-label)" in phone


# --------------------------------------------------------------------------- one font stack


def test_the_font_stack_is_defined_once_in_the_stylesheet():
    raw = style.template_text(style.STYLESHEET)
    assert raw.count("--ek-font:") == 1
    assert style.FONT_STACK == re.search(r"--ek-font:([^;}]+)", raw).group(1).strip()
    assert "Noto Sans CJK SC" in style.FONT_STACK and style.FONT_STACK.endswith("sans-serif")
    css = style.stylesheet()
    assert css.count(style.FONT_STACK) == 1
    families = [body for _, body in _rules(css) if "font-family:" in body]
    assert families and all(re.search(r"font-family:var\(--ek-\w+\)", body) for body in families)


def test_charts_take_the_font_stack_from_the_stylesheet():
    assert charts.FONT_STACK is style.FONT_STACK
    config = charts.examkit_theme()["config"]
    assert config["font"] == style.FONT_STACK and config["axis"]["labelFont"] == style.FONT_STACK


def test_no_module_carries_its_own_css_or_font_list():
    """Styles live in ``examkit/report/templates/``; no Python module holds a style element or a font list."""
    offenders = []
    for path in sorted(PKG.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in ("<style", "font-family", "sans-serif", "PingFang", "Noto Sans CJK"):
            if needle.lower() in text.lower():
                offenders.append(f"{path.relative_to(PKG.parent)}: {needle}")
    assert offenders == []


# --------------------------------------------------------------------------- templates


def test_templates_ship_as_package_data():
    files = {p.name for p in importlib.resources.files("examkit.report").joinpath("templates").iterdir()}
    assert {"examkit.css", "head.html.j2", "page.html.j2", "index.html.j2", "publicity.html.j2"} <= files
    assert style.REPORT in files


def test_page_templates_escape_values():
    page = style.render_page(
        "publicity.html.j2", lang="en", title="<b>T</b>", lines=["a & b"], columns=["<c>"], rows=[]
    )
    assert "<title>&lt;b&gt;T&lt;/b&gt;</title>" in page and "<p>a &amp; b</p>" in page and "<th>&lt;c&gt;</th>" in page
    assert '<html lang="en">' in page


def test_a_missing_value_is_an_error_not_an_empty_page():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        style.render_page("publicity.html.j2", lang="zh", title="t", lines=[], columns=[])
