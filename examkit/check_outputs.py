"""``examkit check-outputs DIR``: rendered reports must load nothing from the network and show no personal numbers.

Fails when a rendered file (html, svg, css, js) references an external URL for a script, stylesheet,
font, image or frame, or holds an 18-character ID number or an 11-digit mobile number unmasked.
Each finding names the file and line; personal numbers are shown masked in the finding itself.
"""

from __future__ import annotations

import argparse
import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from examkit.exceptions import InputError
from examkit.i18n import t

RENDERED_SUFFIXES = (".html", ".htm", ".xhtml", ".svg", ".css", ".js", ".mjs")

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
ID_NUMBER = re.compile(
    _NOT_BEFORE
    + r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    + _NOT_AFTER
)
MOBILE = re.compile(_NOT_BEFORE + r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}" + _NOT_AFTER)

RULE_EXTERNAL, RULE_ID, RULE_MOBILE = "external", "id_number", "mobile"
_RULE_KEYS = {
    RULE_EXTERNAL: "report.rule_external",
    RULE_ID: "report.rule_id_number",
    RULE_MOBILE: "report.rule_mobile",
}


@dataclass(frozen=True)
class OutputFinding:
    """One problem in one rendered file: where (file, line), which rule, and the offending text (masked)."""

    file: str
    line: int
    rule: str
    value: str

    def message(self) -> str:
        return t(
            "report.check_finding", file=self.file, line=self.line, what=t(_RULE_KEYS[self.rule]), value=self.value
        )


def _masked(rule: str, text: str) -> str:
    digits = re.sub(r"[^0-9Xx]", "", text)
    if rule == RULE_ID:
        return digits[:6] + "********" + digits[-4:]
    return digits[-11:][:3] + "****" + digits[-4:]


def scan_text(text: str, file: str = "") -> list[OutputFinding]:
    """Every finding in one file's text, in order of position."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(newlines, pos - 1) + 1

    hits: dict[tuple[int, str, str], None] = {}
    for pattern in (_TAG_LOAD, _CSS_LOAD, _SCRIPT_LOAD, _REQUIRE_PATHS):
        for m in pattern.finditer(text):
            hits[(m.start(1), RULE_EXTERNAL, m.group(1))] = None
    for rule, pattern in ((RULE_ID, ID_NUMBER), (RULE_MOBILE, MOBILE)):
        for m in pattern.finditer(text):
            hits[(m.start(), rule, _masked(rule, m.group()))] = None
    return [OutputFinding(file, line_of(pos), rule, value) for pos, rule, value in sorted(hits)]


def rendered_files(folder: Path) -> Iterator[Path]:
    """The rendered files under ``folder`` (recursively), sorted."""
    yield from sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in RENDERED_SUFFIXES)


def scan_file(path: str | Path, shown_as: str | None = None) -> list[OutputFinding]:
    p = Path(path)
    return scan_text(p.read_text(encoding="utf-8", errors="replace"), shown_as or str(p))


def scan_dir(folder: str | Path) -> tuple[list[Path], list[OutputFinding]]:
    """(files scanned, findings) for every rendered file under ``folder``."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(t("report.check_no_dir", dir=str(root)), file=str(root))
    files = list(rendered_files(root))
    findings = [f for p in files for f in scan_file(p, p.relative_to(root).as_posix())]
    return files, findings


def cli_check_outputs(args: argparse.Namespace) -> int:
    files, findings = scan_dir(args.dir)
    for f in findings:
        print(f.message())
    if findings:
        print(t("report.check_failed", count=len(findings), files=len({f.file for f in findings})))
        return 1
    print(t("report.check_ok", files=len(files)))
    return 0
