"""Rendering an executed notebook into a self-contained HTML report with no code, and printing it to PDF.

A report is one file that loads nothing: no script at all, no external stylesheet or font, charts as
inline SVG. It has a viewport for phones, tables that scroll sideways, and print styles: the page
template (``templates/report.html.j2``) and the one stylesheet come from ``examkit.report.style``.
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
from examkit.report import style
from examkit.report.tables import chart_html, chart_svg

TEMPLATE = style.REPORT  # templates/report.html.j2, for nbconvert
# Outputs a report never shows: live widgets (nothing to drive them) and JavaScript (reports run no scripts).
_DROPPED_MIMETYPES = ("application/vnd.jupyter.widget-view+json", "application/javascript")
_VEGALITE = re.compile(r"^application/vnd\.vegalite\.v\d+\+json$")
_VEGA = re.compile(r"^application/vnd\.vega\.v\d+\+json$")
# Cells with one of these tags are left out of the report (e.g. an interactive-only cell).
REMOVE_TAGS = ("remove-cell", "report-hide")

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


class ReportRenderer:
    """Renders executed notebooks to report HTML with one nbconvert exporter, built once and reused
    (its templates stay compiled: a runner's worker renders many reports with one renderer)."""

    def __init__(self) -> None:
        self._exporter = None

    def _html_exporter(self):
        if self._exporter is None:
            import jinja2  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)
            from nbconvert import HTMLExporter  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

            self._exporter = HTMLExporter(
                template_name="lab",
                template_file=TEMPLATE,
                extra_loaders=[jinja2.DictLoader(style.report_templates())],
                exclude_input=True,
                exclude_input_prompt=True,
                exclude_output_prompt=True,
            )
        return self._exporter

    def render_text(self, nb) -> str:
        """A notebook node as the report's HTML text."""
        lang = report_lang(nb)
        prepare(nb, lang)
        resources = {
            "ek_lang": style.html_lang(lang),
            "ek_title": report_title(nb),
            "ek_css": style.stylesheet(),
        }
        body, _ = self._html_exporter().from_notebook_node(nb, resources=resources)
        return body

    def render_file(self, executed: str | os.PathLike, target: str | os.PathLike) -> Path:
        """Render ``executed`` (an .ipynb) to ``target`` (html): no code, self-contained, phone- and print-ready."""
        import nbformat  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

        nb = nbformat.read(str(executed), as_version=4)
        atomic_write_text(target, self.render_text(nb))
        return Path(target)


def render_html_text(nb) -> str:
    """A notebook node as the report's HTML text."""
    return ReportRenderer().render_text(nb)


def render_html(executed: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Render ``executed`` (an .ipynb) to ``target`` (html): no code, self-contained, phone- and print-ready."""
    return ReportRenderer().render_file(executed, target)


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
