"""A notice's text lines from a ``.txt``, ``.docx`` or saved ``.html`` file (stdlib only, no writes).

Line numbers in the parser's messages are positions in the list returned here: for a
``.txt`` file they are the file's own line numbers; for ``.docx`` and ``.html`` they count
paragraphs and table rows in document order.
"""

from __future__ import annotations

import os
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

from examkit.core.exceptions import NoticeError
from examkit.core.i18n import t

SUFFIXES = (".txt", ".docx", ".html", ".htm")
MAX_XML_BYTES = 64 * 1024 * 1024  # a notice's document.xml is a few hundred KB; refuse zip bombs

_NEWLINE = re.compile(r"\r\n|\r|\n")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_GB_ALIASES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"}


def notice_lines(path: str | os.PathLike) -> list[str]:
    """The notice's text as lines, from a ``.txt`` (UTF-8, BOM or GB18030), ``.docx`` or ``.html``/``.htm``."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise NoticeError(t("notice_import.unknown_suffix", file=str(p), accepted=" ".join(SUFFIXES)))
    if suffix == ".docx":
        return _docx_lines(p)
    data = _read_bytes(p)
    if suffix == ".txt":
        return _NEWLINE.split(_decode(data, p))
    return html_lines(_decode_html(data, p))


def _read_bytes(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError as exc:
        raise NoticeError(t("notice_import.cannot_read", file=str(p), error=exc.strerror or str(exc))) from None


def _decode(data: bytes, p: Path, first: str | None = None) -> str:
    """Text of ``data``: ``first`` (a declared charset) if given, then UTF-8 (with or without BOM), then GB18030."""
    codecs = [c for c in (first, "utf-8-sig", "gb18030") if c]
    for codec in codecs:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    raise NoticeError(t("notice_import.cannot_decode", file=str(p)))


def _decode_html(data: bytes, p: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data, p)
    m = _CHARSET.search(data[:8192])
    declared = m.group(1).decode("ascii").lower() if m else None
    if declared in _GB_ALIASES:
        declared = "gb18030"  # a superset: pages labelled gb2312 often use GBK characters
    return _decode(data, p, declared)


# --- .docx -------------------------------------------------------------------------------------


def _docx_lines(p: Path) -> list[str]:
    try:
        with zipfile.ZipFile(p) as z:
            info = z.getinfo("word/document.xml")
            if info.file_size > MAX_XML_BYTES:
                raise NoticeError(t("notice_import.cannot_read", file=str(p), error="word/document.xml > 64 MB"))
            root = ET.fromstring(z.read(info))
    except KeyError:
        raise NoticeError(t("notice_import.cannot_read", file=str(p), error="word/document.xml")) from None
    except (zipfile.BadZipFile, ET.ParseError, OSError) as exc:
        raise NoticeError(t("notice_import.cannot_read", file=str(p), error=str(exc))) from None
    body = root.find(f"{_W}body")
    lines: list[str] = []
    _docx_block(root if body is None else body, lines)
    return lines


def _docx_block(element: ET.Element, lines: list[str]) -> None:
    """Paragraphs and table rows below ``element``, in document order."""
    for child in element:
        if child.tag == f"{_W}p":
            lines.extend(_docx_paragraph(child).split("\n"))
        elif child.tag == f"{_W}tbl":
            for row in child.iter(f"{_W}tr"):
                cells = [" ".join(_docx_paragraph(q).replace("\n", " ") for q in c.iter(f"{_W}p")) for c in _cells(row)]
                lines.append("\t".join(cell.strip() for cell in cells))
        else:  # content controls, custom XML, tracked insertions: look inside
            _docx_block(child, lines)


def _cells(row: ET.Element) -> list[ET.Element]:
    """The row's cells, also those wrapped in content controls; not the cells of nested tables."""
    out: list[ET.Element] = []
    for child in row:
        if child.tag == f"{_W}tc":
            out.append(child)
        elif child.tag != f"{_W}tbl":
            out.extend(_cells(child))
    return out


def _docx_paragraph(p: ET.Element) -> str:
    parts: list[str] = []
    for el in p.iter():
        tag = el.tag
        if tag == f"{_W}t":
            parts.append(el.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
    return "".join(parts)


# --- .html -------------------------------------------------------------------------------------

_BLOCK = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot thead title "
    "tr ul".split()
)
_DROP = frozenset({"script", "style", "noscript", "template"})
_CELL = frozenset({"td", "th"})


class _TextExtractor(HTMLParser):
    """Collects text; block elements and ``<br>`` end lines, table cells are joined by a tab."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.drop = 0  # depth inside script/style
        self.cells: list[list[str]] | None = None  # cells of the open table row
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _DROP:
            self.drop += 1
        elif tag == "br":
            self._newline()
        elif tag == "tr":
            self._end_row()  # the previous row's </tr> may be omitted
            self._newline()
            self.cells = []
        elif tag in _CELL and self.cells is not None:
            self.cells.append([])
        elif tag in _BLOCK:
            self._newline()
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self._newline()
        elif tag not in _DROP:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop = max(0, self.drop - 1)
        elif tag in ("tr", "table", "tbody", "thead", "tfoot"):
            self._end_row()
            self._newline()
        elif tag in _BLOCK:
            self._newline()
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        if self.cells is not None:
            if not self.cells:  # text before the row's first cell: whitespace between tags, or a stray word
                if not data.strip():
                    return
                self.cells.append([])
            self.cells[-1].append(data if self.pre else re.sub(r"[ \t\r\n\f]+", " ", data))
            return
        if self.pre:
            head, *rest = _NEWLINE.split(data)
            self.current.append(head)
            for piece in rest:
                self._newline()
                self.current.append(piece)
        else:
            self.current.append(re.sub(r"[ \t\r\n\f]+", " ", data))

    def _end_row(self) -> None:
        if self.cells is not None:
            self.lines.append("\t".join(" ".join("".join(c).split()) for c in self.cells))
            self.cells = None

    def _newline(self) -> None:
        if self.cells is not None:  # <br>/<p> inside a cell: keep the cell on its row
            if self.cells:
                self.cells[-1].append(" ")
            return
        text = "".join(self.current)
        self.current = []
        if text.strip():
            self.lines.append(text.strip(" "))

    def close(self) -> None:
        super().close()
        self._end_row()
        self._newline()


def html_lines(text: str) -> list[str]:
    """Text lines of an HTML page: scripts and styles dropped, one line per block, cells joined by tab."""
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return parser.lines
