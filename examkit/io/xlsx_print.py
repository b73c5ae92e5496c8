"""How examkit's xlsx sheets print: A4, one page wide, a title in the page header, page numbers below.

Every xlsx writer calls ``apply_print_setup`` once per worksheet (an xlsxwriter worksheet) with a
``PrintSetup``; the orientation follows the sheet's width unless the setup fixes it. Column widths
are in Excel's character units (the width of "0" in the default font); a Chinese character takes
about two of them, which xlsxwriter's own autofit does not count (``column_widths`` does).

``sign_off_lines`` writes the closing lines of a statement: issuing site, handler's signature, seal, date.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from examkit.core.i18n import t

A4 = 9  # xlsxwriter's paper index for A4
MARGIN_SIDE_IN = 0.5  # left and right margins, inches
MARGIN_TOP_IN = 0.75  # top and bottom margins (the page header and footer sit in them), inches
_A4_SHORT_IN = 8.27  # A4 is 8.27 x 11.69 inches
_PX_PER_IN = 96
_PORTRAIT_PX = (_A4_SHORT_IN - 2 * MARGIN_SIDE_IN) * _PX_PER_IN
# Landscape once portrait would shrink the sheet below this scale (a long list reads better upright).
_MIN_PORTRAIT_SCALE = 0.85
DEFAULT_WIDTH = 8.43  # Excel's default column width
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
_HEADER_MAX = 255  # Excel's limit for a page header or footer string
# East Asian wide and full-width characters (CJK, kana, hangul, full-width forms): two units each.
_WIDE = r"[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]"
_LINE_PT = 15  # height of one line of 11 pt text
_SEAL_ROW_PT = 72  # height of the row left empty for the seal (about 2.5 cm)


@dataclass(frozen=True)
class PrintSetup:
    """How one sheet prints.

    ``title``: the page header (every page); ``landscape``: None chooses by the sheet's width;
    ``repeat_rows``: first and last row (0-based) printed again at the top of every page, or None;
    ``widths``: column widths (characters) from column 0, set on the sheet; the orientation is chosen
    from them (columns not listed count as the default width).
    """

    title: str = ""
    landscape: bool | None = None
    repeat_rows: tuple[int, int] | None = (0, 0)
    widths: Sequence[float] = ()


def column_px(width: float) -> int:
    """A column's width in pixels at 96 dpi, as Excel converts it for the default font."""
    return int(width * 7 + 5) if width > 0 else 0


def is_wide(widths: Sequence[float], last_col: int) -> bool:
    """True when columns ``0..last_col`` would print below ``_MIN_PORTRAIT_SCALE`` on portrait A4."""
    listed = list(widths[: last_col + 1])
    listed += [DEFAULT_WIDTH] * (last_col + 1 - len(listed))
    return sum(column_px(w) for w in listed) > _PORTRAIT_PX / _MIN_PORTRAIT_SCALE


def header_text(text: str) -> str:
    """``text`` for a page header or footer: ``&`` is a control character there, so it is doubled."""
    return text.replace("&", "&&")


def apply_print_setup(worksheet, setup: PrintSetup, *, last_col: int, lang: str | None = None) -> None:
    """A4, one page wide (any number of pages tall), margins, centred, repeated rows, title and page numbers.

    ``last_col``: the sheet's last used column (0-based), for choosing the orientation.
    """
    for col, width in enumerate(setup.widths):
        worksheet.set_column(col, col, width)
    worksheet.set_paper(A4)
    landscape = setup.landscape if setup.landscape is not None else is_wide(setup.widths, last_col)
    if landscape:
        worksheet.set_landscape()
    else:
        worksheet.set_portrait()
    worksheet.fit_to_pages(1, 0)
    worksheet.set_margins(left=MARGIN_SIDE_IN, right=MARGIN_SIDE_IN, top=MARGIN_TOP_IN, bottom=MARGIN_TOP_IN)
    worksheet.center_horizontally()
    if setup.repeat_rows is not None:
        worksheet.repeat_rows(*setup.repeat_rows)
    if setup.title:
        prefix = '&C&"-,Bold"'
        title = header_text(" ".join(setup.title.split()))
        if len(title) > _HEADER_MAX - len(prefix):
            title = title[: _HEADER_MAX - len(prefix)]
            if (len(title) - len(title.rstrip("&"))) % 2:  # never end on half of an escaped "&&"
                title = title[:-1]
        worksheet.set_header(prefix + title)
    worksheet.set_footer("&C" + t("xlsx_print.page_footer", lang))


def column_widths(frame: pl.DataFrame) -> list[float]:
    """Widths (characters) that show each column's header and values: wide characters count two,
    the header gets room for a table's filter button; between ``MIN_WIDTH`` and ``MAX_WIDTH``."""
    out = []
    for name, dtype in frame.schema.items():
        header = text_width(name) + 3
        if dtype.is_nested() or frame.height == 0:
            values = 0
        else:
            text = pl.col(name).cast(pl.String).fill_null("")
            longest = frame.select((text.str.len_chars() + text.str.count_matches(_WIDE)).max()).item()
            values = int(longest or 0) + 1.5
        out.append(min(MAX_WIDTH, max(MIN_WIDTH, header, values)))
    return out


def text_width(text: str) -> int:
    """Display width of ``text`` in characters: East Asian wide characters count two."""
    return len(text) + len(re.findall(_WIDE, text))


def write_across(worksheet, row: int, text: str, fmt, widths: Sequence[float]) -> None:
    """Write a long line at ``(row, 0)`` merged across the columns of ``widths`` and wrapped there (``fmt``
    must wrap), the row made tall enough for its lines: Excel never fits a merged cell's row height itself."""
    lines = max(1, math.ceil(text_width(text) / max(1.0, sum(widths) - 2)))
    if len(widths) > 1:
        worksheet.merge_range(row, 0, row, len(widths) - 1, text, fmt)
    else:
        worksheet.write(row, 0, text, fmt)
    worksheet.set_row(row, _LINE_PT * lines)


def sign_off_lines(
    worksheet, row: int, fmt, lang: str | None = None, *, issuer: str | None = None, on: dt.date | None = None
) -> int:
    """The closing lines of a statement from ``row`` down: issuing site, handler (signature), seal, date.

    An unknown ``issuer`` or date ``on`` is left as a blank line to fill in by hand. Returns the next free row.
    """
    blank = "_" * 24
    date = t("xlsx_print.date_value", lang, year=on.year, month=on.month, day=on.day) if on else None
    lines = [
        t("xlsx_print.issuer", lang, name=issuer or blank),
        t("xlsx_print.handler", lang, blank=blank),
        t("xlsx_print.seal", lang),
        t("xlsx_print.date", lang, date=date or t("xlsx_print.date_blank", lang)),
    ]
    for i, text in enumerate(lines):
        worksheet.write(row + i, 0, text, fmt)
    worksheet.set_row(row + 2, _SEAL_ROW_PT)  # room for the seal
    return row + len(lines)
