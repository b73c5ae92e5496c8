"""Rendering an executed notebook into a self-contained HTML report with no code, and printing it to PDF.

A report is one file that loads nothing: no script at all, no external stylesheet or font, charts as
inline SVG. It has a viewport for phones, tables that scroll sideways, and print styles.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from examkit.core.exceptions import RunError
from examkit.core.i18n import t
from examkit.io.write import atomic_path, atomic_write_text
from examkit.report.tables import chart_html, chart_svg

TEMPLATE = "examkit_report.html.j2"
# Outputs a report never shows: live widgets (nothing to drive them) and JavaScript (reports run no scripts).
_DROPPED_MIMETYPES = ("application/vnd.jupyter.widget-view+json", "application/javascript")
_VEGALITE = re.compile(r"^application/vnd\.vegalite\.v\d+\+json$")
_VEGA = re.compile(r"^application/vnd\.vega\.v\d+\+json$")
# Cells with one of these tags are left out of the report (e.g. an interactive-only cell).
REMOVE_TAGS = ("remove-cell", "report-hide")

FONT_STACK = (
    '-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",'
    '"Noto Sans SC","Source Han Sans SC","WenQuanYi Micro Hei","Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif'
)
CSS = (
    """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:FONTS;font-size:16px;line-height:1.6;color:#1f2328;background:#fff;overflow-wrap:anywhere}
main{max-width:960px;margin:0 auto;padding:12px 14px 32px}
h1{font-size:1.5em;line-height:1.3;margin:.5em 0 .4em}
h2{font-size:1.25em;line-height:1.35;margin:1.2em 0 .4em;padding-bottom:.2em;border-bottom:1px solid #d0d7de}
h3{font-size:1.1em;margin:1em 0 .3em}
p,ul,ol{margin:.4em 0}
a.anchor-link{display:none}
.jp-mod-noOutputs,.jp-Cell-inputWrapper:empty,.jp-InputArea:empty{display:none}
.jp-OutputArea-output,.jp-RenderedMarkdown,.ek-table,.ek-chart{max-width:100%;overflow-x:auto;-webkit-overflow-scrolling:touch}
.jp-OutputArea-output{margin:.5em 0}
table{border-collapse:collapse;font-size:14px;margin:.3em 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#f3f5f7;font-weight:600}
tbody tr:nth-child(even){background:#f9fafb}
.num{text-align:right}
caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0;white-space:normal}
.jp-RenderedMarkdown td,.jp-RenderedMarkdown th{white-space:normal}
.ek-chart svg,img,svg.marks{max-width:100%;height:auto}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:13px;background:#f6f8fa;padding:8px;border-radius:4px;margin:.4em 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Noto Sans Mono CJK SC",monospace;font-size:.9em}
.ek-note{color:#57606a;font-size:13px}
.ek-footer{margin-top:2em;padding-top:.5em;border-top:2px solid #d0d7de;font-size:13px;color:#57606a}
.ek-footer h2{font-size:1.1em;border:0}
.ek-footer td{white-space:normal}
.ek-footer h3{font-size:1em;margin:.8em 0 .2em}
.ek-hashes li{margin:.35em 0}
.ek-file{color:#1f2328}
.ek-footer code{word-break:break-all;font-size:12px}
@page{margin:12mm}
@media print{
body{font-size:11pt}
main{max-width:none;padding:0}
.jp-OutputArea-output,.jp-RenderedMarkdown,.ek-table,.ek-chart{overflow:visible}
th,td{white-space:normal}
table,svg,img,figure{break-inside:avoid}
h1,h2,h3{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
""".replace("FONTS", FONT_STACK)
    .strip()
    .replace("\n", "")
)

_TEMPLATE_SOURCE = """{%- extends 'base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="{{ resources.ek_lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="examkit">
<title>{{ resources.ek_title | e }}</title>
<style>{{ resources.ek_css }}</style>
</head>
{%- endblock header -%}
{%- block body_header -%}
<body class="ek-report"><main>
{%- endblock body_header -%}
{%- block body_footer -%}
</main></body>
{%- endblock body_footer -%}
{%- block footer -%}
</html>
{%- endblock footer -%}
{%- block data_svg scoped -%}
<div class="ek-chart jp-OutputArea-output">{{ output.data['image/svg+xml'] }}</div>
{%- endblock data_svg -%}
{%- block data_javascript scoped -%}{%- endblock -%}
{%- block data_widget_view scoped -%}{%- endblock -%}
{%- block data_mermaid scoped -%}<pre>{{ output.data['text/vnd.mermaid'] | e }}</pre>{%- endblock data_mermaid -%}
"""


# --------------------------------------------------------------------------- preparing the notebook


def _vega_to_html(mimetype: str, spec: dict, lang: str) -> str:
    """A vega / vega-lite output (a chart displayed without examkit's renderer) as inline SVG."""
    if _VEGALITE.match(mimetype):
        return chart_html(chart_svg(spec, lang))
    import vl_convert as vlc  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    return chart_html(vlc.vega_to_svg(spec, allowed_base_urls=[]))


def prepare(nb, lang: str = "zh"):
    """Make a notebook's outputs report-ready, in place: charts to SVG, no widgets/scripts/stderr."""
    nb.metadata.pop("widgets", None)
    keep_cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags.intersection(REMOVE_TAGS):
            continue
        keep_cells.append(cell)
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue  # warnings are for the operator's log, not for the reader
            data = out.get("data")
            if data is not None:
                for mimetype in list(data):
                    if _VEGALITE.match(mimetype) or _VEGA.match(mimetype):
                        data["text/html"] = _vega_to_html(mimetype, data.pop(mimetype), lang)
                if any(m in data for m in _DROPPED_MIMETYPES):
                    continue
            outputs.append(out)
        cell["outputs"] = outputs
    nb.cells = keep_cells
    return nb


def report_lang(nb) -> str:
    """The report's language: the papermill ``lang`` parameter, else Chinese."""
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    lang = str(params.get("lang") or "zh")
    return lang if lang in ("zh", "en") else "zh"


def report_title(nb) -> str:
    """The first markdown heading, with the batch when papermill recorded one."""
    title = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^\s*#+\s*(.+?)\s*#*\s*$", cell.source, flags=re.MULTILINE)
            if m:
                title = m.group(1)
                break
    batch = (nb.metadata.get("papermill", {}).get("parameters", {}) or {}).get("batch")
    return " · ".join(str(x) for x in (title or "examkit", batch) if x)


# --------------------------------------------------------------------------- HTML


def render_html_text(nb) -> str:
    """A notebook node as the report's HTML text."""
    import jinja2  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)
    from nbconvert import HTMLExporter  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    lang = report_lang(nb)
    prepare(nb, lang)
    exporter = HTMLExporter(
        template_name="lab",
        template_file=TEMPLATE,
        extra_loaders=[jinja2.DictLoader({TEMPLATE: _TEMPLATE_SOURCE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "ek_lang": "zh-CN" if lang == "zh" else "en",
        "ek_title": report_title(nb),
        "ek_css": CSS,
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def render_html(executed: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Render ``executed`` (an .ipynb) to ``target`` (html): no code, self-contained, phone- and print-ready."""
    import nbformat  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    nb = nbformat.read(str(executed), as_version=4)
    atomic_write_text(target, render_html_text(nb))
    return Path(target)


# --------------------------------------------------------------------------- PDF

CHROMIUM_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
    "microsoft-edge",
)
_CHROMIUM_PATHS = (
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
# Flags for a quiet, offline, one-shot headless browser.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str | None:
    """A locally installed Chromium/Chrome/Edge (``EXAMKIT_CHROMIUM`` wins), or None."""
    env = os.environ.get("EXAMKIT_CHROMIUM")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _CHROMIUM_PATHS if Path(p).is_file()), None)


def pdf_note() -> str | None:
    """Why reports cannot be printed to PDF here (no Chromium found), or None when they can."""
    return t("report.no_chromium") if find_chromium() is None else None


def write_pdf(html_file: str | os.PathLike, target: str | os.PathLike, *, timeout: int = 120) -> Path | None:
    """Print ``html_file`` to PDF with a local Chromium; None when none is installed (the runner says so once)."""
    exe = find_chromium()
    if exe is None:
        return None
    source = Path(html_file).resolve()
    with tempfile.TemporaryDirectory(prefix="examkit-chromium-") as profile, atomic_path(target) as tmp:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}",
            source.as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
            error = (
                "" if tmp.stat().st_size > 0 else (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            error = str(exc)
        if error:
            raise RunError(t("report.pdf_failed", file=str(target), error=error))
    return Path(target)
