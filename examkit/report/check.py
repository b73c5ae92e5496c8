"""``examkit check-outputs DIR``: rendered reports must load nothing from the network and show no personal numbers.

Fails when a rendered file (html, svg, css, js) references an external URL for a script, stylesheet,
font, image or frame, or holds an 18-character ID number or an 11-digit mobile number unmasked.
The executed notebooks (``*.ipynb``) the reports are rendered from are checked for personal numbers
in their cell OUTPUTS only (their sources, e.g. the injected parameters' paths, are code, not data).
Each finding names the file and line (for a notebook: the cell, and the line within that output);
personal numbers are shown masked in the finding itself. A folder with nothing to check is an error.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

from examkit.core import idcard
from examkit.core.exceptions import InputError
from examkit.core.i18n import t

RENDERED_SUFFIXES = (".html", ".htm", ".xhtml", ".svg", ".css", ".js", ".mjs")
NOTEBOOK_SUFFIX = ".ipynb"
_BINARY_MIME = ("image/png", "image/jpeg", "image/gif", "application/pdf")  # base64 data, not text

EXTERNAL = r"(?:https?:)?//[^\s\"'<>()`]+"
# Attributes that make a browser fetch something (plain <a href> links fetch nothing until tapped).
_LOADING_TAGS = "script|img|iframe|frame|source|video|audio|embed|track|input|object|image|use|link|feimage"
_TAG_LOAD = re.compile(
    rf"<(?:{_LOADING_TAGS})\b[^>]*?\s(?:src|href|xlink:href|data|poster|srcset|background)\s*=\s*[\"']?\s*({EXTERNAL})",
    re.IGNORECASE,
)
_CSS_LOAD = re.compile(rf"(?:url\(\s*[\"']?\s*|@import\s+[\"']?)({EXTERNAL})", re.IGNORECASE)
_SCRIPT_LOAD = re.compile(
    rf"(?:\bimport\s*\(|\bfrom\s+|\bfetch\s*\(|\bimportScripts\s*\(|\brequire\s*\(\s*\[?)\s*[\"'`]({EXTERNAL})"
)
_REQUIRE_PATHS = re.compile(rf"\bpaths\s*:\s*\{{[^}}]*?[\"']({EXTERNAL})", re.DOTALL)

_NOT_BEFORE = r"(?<![0-9A-Za-z.])"
_NOT_AFTER = r"(?![0-9A-Za-z]|\.[0-9])"
ID_NUMBER = re.compile(_NOT_BEFORE + idcard.AREA + idcard.BIRTH + idcard.TAIL + _NOT_AFTER)
MOBILE = re.compile(_NOT_BEFORE + r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}" + _NOT_AFTER)

RULE_EXTERNAL, RULE_ID, RULE_MOBILE = "external", "id_number", "mobile"
_RULE_KEYS = {
    RULE_EXTERNAL: "report.rule_external",
    RULE_ID: "report.rule_id_number",
    RULE_MOBILE: "report.rule_mobile",
}


@dataclasses.dataclass(frozen=True)
class OutputFinding:
    """One problem in one rendered file: where (file, line), which rule, and the offending text (masked)."""

    file: str
    line: int
    rule: str
    value: str
    cell: int | None = None  # an executed notebook's cell (counted from 1); ``line`` is then within its output

    def message(self) -> str:
        what = t(_RULE_KEYS[self.rule])
        if self.cell is not None:
            return t(
                "report.check_finding_cell", file=self.file, cell=self.cell, line=self.line, what=what, value=self.value
            )
        return t("report.check_finding", file=self.file, line=self.line, what=what, value=self.value)


def _masked(rule: str, text: str) -> str:
    digits = re.sub(r"[^0-9Xx]", "", text)
    if rule == RULE_ID:
        return digits[:6] + "********" + digits[-4:]
    return digits[-11:][:3] + "****" + digits[-4:]


def scan_text(text: str, file: str = "", *, external: bool = True) -> list[OutputFinding]:
    """Every finding in one file's text, in order of position (``external=False``: personal numbers only)."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(newlines, pos - 1) + 1

    hits: dict[tuple[int, str, str], None] = {}
    for pattern in (_TAG_LOAD, _CSS_LOAD, _SCRIPT_LOAD, _REQUIRE_PATHS) if external else ():
        for m in pattern.finditer(text):
            hits[(m.start(1), RULE_EXTERNAL, m.group(1))] = None
    for rule, pattern in ((RULE_ID, ID_NUMBER), (RULE_MOBILE, MOBILE)):
        for m in pattern.finditer(text):
            hits[(m.start(), rule, _masked(rule, m.group()))] = None
    return [OutputFinding(file, line_of(pos), rule, value) for pos, rule, value in sorted(hits)]


def rendered_files(folder: Path) -> Iterator[Path]:
    """The rendered files and executed notebooks under ``folder`` (recursively), sorted."""
    suffixes = (*RENDERED_SUFFIXES, NOTEBOOK_SUFFIX)
    yield from sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def _output_texts(output: dict) -> Iterator[str]:
    """The text an output cell shows or carries: stream text, every textual mime bundle, an error's text."""
    texts: list[object] = [output.get("text"), output.get("ename"), output.get("evalue"), output.get("traceback")]
    texts += [v for mime, v in (output.get("data") or {}).items() if mime not in _BINARY_MIME]
    for value in texts:
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            yield "".join(value) if output.get("output_type") != "error" else "\n".join(value)
        elif isinstance(value, str):
            yield value
        elif value is not None:  # json mime bundles (vega-lite specs, widget views)
            yield json.dumps(value, ensure_ascii=False, indent=1)


def scan_notebook(text: str, file: str = "") -> list[OutputFinding]:
    """Personal numbers in an executed notebook's cell outputs (not in its sources or metadata).

    Each finding names the cell (counted from 1) and the line within that output.
    """
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):  # not a notebook after all: check every character of it
        return scan_text(text, file, external=False)
    out: list[OutputFinding] = []
    for n, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            if isinstance(output, dict):
                found = [f for part in _output_texts(output) for f in scan_text(part, file, external=False)]
                out += [dataclasses.replace(f, cell=n) for f in found]
    return out


def scan_file(path: str | Path, shown_as: str | None = None) -> list[OutputFinding]:
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    if p.suffix.lower() == NOTEBOOK_SUFFIX:
        return scan_notebook(text, shown_as or str(p))
    return scan_text(text, shown_as or str(p))


def scan_dir(folder: str | Path) -> tuple[list[Path], list[OutputFinding]]:
    """(files scanned, findings) for every rendered file and executed notebook under ``folder``.

    ``InputError`` when ``folder`` is missing or holds nothing to check (a wrong folder must not pass).
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(t("report.check_no_dir", dir=str(root)), file=str(root))
    files = list(rendered_files(root))
    if not files:
        raise InputError(t("report.check_empty", dir=str(root)), file=str(root))
    findings = [f for p in files for f in scan_file(p, p.relative_to(root).as_posix())]
    return files, findings
