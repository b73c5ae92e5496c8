"""Rendering reports: no code, self-contained, charts as inline SVG, masked tables, footer, PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re

import nbformat
import polars as pl
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from examkit.notebook.display import setup
from examkit.report.batch_info import footer
from examkit.report.check import scan_text
from examkit.report.render import find_chromium, pdf_note, render_html, render_html_text, write_pdf
from examkit.report.tables import HTMLBlock, chart_svg, table
from examkit.session.batch import BatchSession

SECRET_CODE = "do_not_show_this_code = 42"
VEGALITE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"学校": "甲校", "通过率": 0.7}, {"学校": "乙校", "通过率": 0.5}]},
    "mark": "bar",
    "encoding": {"x": {"field": "学校", "type": "nominal"}, "y": {"field": "通过率", "type": "quantitative"}},
}


def _executed_notebook(lang: str = "zh") -> nbformat.NotebookNode:
    """An executed notebook as papermill leaves it, with every kind of output a report meets."""
    nb = new_notebook()
    nb.metadata["papermill"] = {"parameters": {"batch": "2023-01", "lang": lang}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    chart = new_code_cell(SECRET_CODE)
    chart.outputs = [new_output("display_data", data={"application/vnd.vegalite.v5+json": VEGALITE})]
    html_cell = new_code_cell("table(x)")
    html_cell.outputs = [new_output("execute_result", data={"text/html": "<p>表格</p>", "text/plain": "x"})]
    widget = new_code_cell("form")
    widget.outputs = [
        new_output(
            "display_data",
            data={"application/vnd.jupyter.widget-view+json": {"model_id": "abc"}, "text/plain": "VBox()"},
        )
    ]
    js = new_code_cell("js")
    js.outputs = [new_output("display_data", data={"application/javascript": "alert(1)"})]
    noisy = new_code_cell("warn")
    noisy.outputs = [
        new_output("stream", name="stderr", text="DeprecationWarning: noise\n"),
        new_output("stream", name="stdout", text="正文输出\n"),
    ]
    hidden = new_code_cell("interactive only", metadata={"tags": ["remove-cell"]})
    hidden.outputs = [new_output("stream", name="stdout", text="HIDDEN-CELL\n")]
    svg = new_code_cell("svg")
    svg.outputs = [new_output("display_data", data={"image/svg+xml": '<svg class="marks"><text>图</text></svg>'})]
    nb.cells = [
        new_markdown_cell("# 通过率 / Pass rates\n\n说明文字。"),
        chart,
        html_cell,
        widget,
        js,
        noisy,
        hidden,
        svg,
    ]
    return nb


def test_report_has_no_code_no_scripts_and_loads_nothing():
    page = render_html_text(_executed_notebook())
    assert SECRET_CODE not in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "HIDDEN-CELL" not in page and "DeprecationWarning" not in page and "alert(1)" not in page
    assert "VBox()" not in page
    assert "正文输出" in page and "<p>表格</p>" in page and "说明文字。" in page
    assert scan_text(page) == []


def test_report_is_phone_and_print_ready():
    page = render_html_text(_executed_notebook())
    assert '<meta charset="utf-8"' in page
    assert re.search(r'<meta content="width=device-width, initial-scale=1" name="viewport"/?>', page)
    assert '<html lang="zh-CN">' in page
    assert "<title>通过率 / Pass rates · 2023-01</title>" in page
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert "overflow-x:auto" in css
    assert "@media print" in css
    assert "PingFang SC" in css and "Noto Sans CJK SC" in css  # Chinese glyphs on every platform


def test_english_report_says_so():
    assert '<html lang="en">' in render_html_text(_executed_notebook("en"))


def test_vegalite_output_becomes_inline_svg_with_chinese_text():
    page = render_html_text(_executed_notebook())
    charts = re.findall(r'<div class="ek-chart"[^>]*>(<svg.*?</svg>)</div>', page, re.S)
    assert len(charts) == 1
    assert "甲校" in charts[0] and "乙校" in charts[0]
    assert re.search(r'<g [^>]*class="mark-rect role-mark', charts[0])
    assert '<svg class="marks"><text>图</text></svg>' in page  # an SVG output is inlined, not an <img>


def test_render_html_writes_the_file(tmp_path):
    src = tmp_path / "x.ipynb"
    nbformat.write(_executed_notebook(), src)
    target = render_html(src, tmp_path / "out" / "x.html")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["x.html"]  # no temp file left behind


def test_setup_makes_altair_charts_static_svg():
    import altair as alt

    setup("zh")
    data = pl.DataFrame({"学校": ["甲校", "乙校"], "通过率": [0.7, 0.5]})
    bundle = alt.Chart(data).mark_bar().encode(x="学校:N", y="通过率:Q")._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert set(bundle) == {"text/html", "text/plain"}
    html = bundle["text/html"]
    assert html.startswith('<div class="ek-chart"') and "<svg" in html and "甲校" in html
    assert "<script" not in html


def test_chart_svg_uses_the_locale():
    spec = {
        "data": {"values": [{"d": "2023-04-15", "n": 1}, {"d": "2023-06-15", "n": 2}]},
        "mark": "point",
        "encoding": {
            "x": {"field": "d", "type": "temporal", "timeUnit": "month"},
            "y": {"field": "n", "type": "quantitative"},
        },
    }
    assert "四月" in chart_svg(spec, "zh")
    assert "April" in chart_svg(spec, "en")


# --------------------------------------------------------------------------- tables


def test_table_masks_formats_and_scrolls():
    frame = pl.DataFrame(
        {
            "姓名": ["张三明", "李四"],
            "id_number": ["11010519491231002X", None],
            "registered": [12345, 7],
            "rate": [0.6667, -0.004],
            "passed": [True, None],
            "day": [dt.date(2023, 4, 15), None],
            "school_name": ["<甲>&乙", "丙"],
        }
    )
    html = table(frame, "按学校 <统计>").html
    assert html.startswith('<div class="ek-table" style="max-width:100%;overflow-x:auto">')
    assert "<caption>按学校 &lt;统计&gt;</caption>" in html
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == [
        "张*明", "110105********002X", "12,345", "0.67", "是", "2023-04-15", "&lt;甲&gt;&amp;乙",
        "李*", "", "7", "0.00", "", "", "丙",
    ]  # fmt: skip
    assert '<td class="num">12,345</td>' in html
    assert "11010519491231002X" not in html and "张三明" not in html


def test_table_unmasked_only_when_asked():
    frame = pl.DataFrame({"name": ["张三明"], "id_number": ["11010519491231002X"]})
    assert "张三明" in table(frame, mask=False).html
    assert "张三明" not in table(frame).html


def test_table_row_limit_and_empty_frames():
    frame = pl.DataFrame({"n": list(range(5))})
    limited = table(frame, max_rows=2).html
    assert len(re.findall(r"<tr><td", limited)) == 2
    assert "显示前 2 行，共 5 行" in limited
    assert "（无数据）" in table(frame.head(0)).html


def test_small_numbers_have_no_separators_and_large_ones_do():
    assert '<td class="num">2023</td>' in table(pl.DataFrame({"year": [2023, 2022]})).html
    html = table(pl.DataFrame({"fen": [1234567.891, 12.0]})).html
    assert "1,234,567.89" in html and ">12.00<" in html


def test_frames_displayed_in_a_notebook_go_through_table():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    setup("zh")
    frame = pl.DataFrame({"姓名": ["张三明"], "phone": ["13812345678"]})
    data, _ = shell.display_formatter.format(frame)
    assert "ek-table" in data["text/html"] and "张*明" in data["text/html"]
    assert "138****5678" in data["text/plain"] and "13812345678" not in data["text/plain"]


# --------------------------------------------------------------------------- footer


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_footer_lists_batch_version_and_every_input_hash(tmp_path):
    from examkit import __version__
    from examkit.settings.resources import default_params_dir

    project = tmp_path / "proj"
    (project / "params" / "rubrics").mkdir(parents=True)
    params = project / "params" / "2023-01.yaml"
    params.write_text("batch: '2023-01'\n", encoding="utf-8")
    for name in ("columns.yaml", "policy.yaml", "rubrics/junior.yaml"):
        (project / "params" / name).write_bytes((default_params_dir() / name).read_bytes())
    regdir = project / "data" / "registrations"
    regdir.mkdir(parents=True)
    (regdir / "2023-01.csv").write_text("考生号\n1\n", encoding="utf-8")
    (regdir / "2023-02.csv").write_text("考生号\n2\n", encoding="utf-8")
    payments = project / "data" / "payments.csv"
    payments.write_text("金额\n100\n", encoding="utf-8")
    session = BatchSession(
        "2023-01",
        params={
            "params_file": str(params),
            "registrations": str(regdir / "2023-01.csv"),
            "registrations_dir": str(regdir),
            "payments": str(payments),
            "schools": str(project / "data" / "missing.xlsx"),  # absent files are left out
            "settings_dir": str(project / "params"),
            "lang": "zh",
        },
        started=dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.timezone.utc),
    )
    html = str(footer(session))
    assert isinstance(footer(session), HTMLBlock)
    assert "2023-01" in html and f"examkit {__version__}" in html and "2026-11-29 09:30:00 +0000" in html
    expected = {
        "params/2023-01.yaml": _sha(params),
        "data/registrations/2023-01.csv": _sha(regdir / "2023-01.csv"),
        "data/payments.csv": _sha(payments),
        "params/rubrics/junior.yaml": _sha(project / "params" / "rubrics" / "junior.yaml"),
    }
    for shown, digest in expected.items():
        assert re.search(rf'<span class="ek-file">{re.escape(shown)}</span><br><code>{digest}</code>', html), shown
    assert html.count("data/registrations/2023-01.csv") == 1  # this batch's file is also in the folder: once
    assert "2023-02.csv" not in html  # a later batch's file is no input of this report
    assert "missing.xlsx" not in html
    assert str(tmp_path) not in html  # paths are shown relative to the project folder
    assert scan_text(html) == []


def test_footer_lists_the_year_so_far_up_to_this_batch(tmp_path):
    """The year's folder contributes what ``session.year_registrations`` reads: batches up to this one."""
    from examkit.report.batch_info import footer_rows

    regdir = tmp_path / "registrations"
    regdir.mkdir()
    for name in ("2023-01.csv", "2023年第二次统考.csv", "2023-03.xlsx", "2023-13.csv", "extra.csv"):
        (regdir / name).write_text(f"考生号\n{name}\n", encoding="utf-8")
    (regdir / "README.txt").write_text("not a registrations file", encoding="utf-8")
    (regdir / "~$2023-01.xlsx").write_text("Excel's lock file", encoding="utf-8")

    def listed(batch: str) -> list[str]:
        session = BatchSession(batch, params={"registrations_dir": str(regdir), "lang": "zh"})
        return [name for _, name, _ in footer_rows(session) if not name.endswith(".yaml") and name]

    # batch 2023-02 is named in Chinese; extra.csv names no batch, so every batch reads it
    assert listed("2023-01") == ["2023-01.csv", "extra.csv"]
    assert listed("2023-02") == ["2023-01.csv", "2023年第二次统考.csv", "extra.csv"]
    assert listed("2023-03") == ["2023-01.csv", "2023-03.xlsx", "2023年第二次统考.csv", "extra.csv"]
    assert listed("2023-13") == ["2023-01.csv", "2023-03.xlsx", "2023-13.csv", "2023年第二次统考.csv", "extra.csv"]


# --------------------------------------------------------------------------- PDF


def test_write_pdf_without_chromium_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMKIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    (tmp_path / "r.html").write_text("<p>x</p>", encoding="utf-8")
    assert find_chromium() is None
    assert write_pdf(tmp_path / "r.html", tmp_path / "r.pdf") is None
    assert not (tmp_path / "r.pdf").exists()
    err = pdf_note()  # the runner shows this once (library code prints nothing)
    assert "Chromium" in err and "EXAMKIT_CHROMIUM" in err


@pytest.mark.browser
def test_write_pdf_prints_a_report(tmp_path):
    if find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must have a Chromium (.ci/run installs Debian's chromium)")
        pytest.skip("no Chromium installed")
    src = tmp_path / "r.html"
    src.write_text(render_html_text(_executed_notebook()), encoding="utf-8")
    pdf = write_pdf(src, tmp_path / "r.pdf")
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]


def test_pandas_frames_are_masked_too():
    pd = pytest.importorskip("pandas")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    setup("zh")
    data, _ = shell.display_formatter.format(pd.DataFrame({"姓名": ["张三明"], "n": [1]}))
    assert "张*明" in data["text/html"] and "张三明" not in data["text/html"]
