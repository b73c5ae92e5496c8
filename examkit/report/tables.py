"""How reports look: display setup for notebooks, tables, and the reproducibility footer.

``setup`` makes every altair chart a static SVG (vl-convert, no JavaScript, nothing fetched) and
routes every displayed polars frame through ``table`` (masked, formatted, scrollable).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from examkit.core.i18n import get_lang, label, t
from examkit.core.rounding import scaled_half_up
from examkit.report.masking import mask_frame

if TYPE_CHECKING:
    pass

# Frames displayed without ``table`` (a bare frame as a cell's last line) show at most this many rows.
DEFAULT_MAX_ROWS = 200
_LOCALES = {"zh": "zh-CN", "en": "en-US"}
_NUM = ' class="num"'


@dataclass(frozen=True)
class HTMLBlock:
    """A piece of report HTML (displays as itself in Jupyter, ``str()`` gives the markup)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


# --------------------------------------------------------------------------- charts


def chart_svg(spec: dict, lang: str | None = None) -> str:
    """A vega-lite spec as a static SVG string (no network: external data URLs are refused)."""
    import vl_convert as vlc  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    try:
        from altair.utils._importers import vl_version_for_vl_convert  # noqa: PLC0415  heavy, only for charts

        vl_version: str | None = vl_version_for_vl_convert()
    except ImportError:  # pragma: no cover - altair moved it
        vl_version = None
    locale = _LOCALES.get(lang or get_lang(), "zh-CN")
    svg = vlc.vegalite_to_svg(
        spec, vl_version=vl_version, format_locale=locale, time_format_locale=locale, allowed_base_urls=[]
    )
    return stable_svg_ids(svg)


# Vega numbers gradients and clip paths from a counter that lives as long as the process, so the same
# chart drawn after others gets other ids: a report would depend on what the kernel drew before it.
_SVG_REF = re.compile(r'(id="|url\(#)((?:gradient|clip|pattern|mask)_?\d+)')


def stable_svg_ids(svg: str) -> str:
    """``svg`` with Vega's counter-numbered ids renamed after the chart itself (still unique on a page)."""
    digest = hashlib.sha1(_SVG_REF.sub(r"\1", svg).encode("utf-8")).hexdigest()[:8]
    order: dict[str, int] = {}

    def rename(m: re.Match) -> str:
        number = order.setdefault(m.group(2), len(order))
        return f"{m.group(1)}ek{digest}_{number}"

    return _SVG_REF.sub(rename, svg)


def chart_html(svg: str) -> str:
    """An SVG chart wrapped for a report: scales down to the screen width, never overflows."""
    return f'<div class="ek-chart" style="max-width:100%;overflow-x:auto">{svg}</div>'


# --------------------------------------------------------------------------- tables


def _escape(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
        .str.replace_all('"', "&quot;", literal=True)
    )


def _thousands(digits: pl.Expr) -> pl.Expr:
    """'1234567' → '1,234,567' (non-negative integer text)."""
    return digits.str.reverse().str.extract_all(r"\d{1,3}").list.join(",").str.reverse()


def _format_number(expr: pl.Expr, dtype: pl.DataType, decimals: int, separators: bool) -> pl.Expr:
    sign = pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    if dtype.is_integer():
        digits = expr.abs().cast(pl.String)
        return pl.concat_str([sign, _thousands(digits) if separators else digits])
    value = expr.cast(pl.Float64)
    scale = 10**decimals
    scaled = scaled_half_up(value, decimals)  # a half rounds up (75.25 → 75.3), not to even
    whole = (scaled // scale).cast(pl.String)
    text = _thousands(whole) if separators else whole
    if decimals > 0:
        text = pl.concat_str([text, pl.lit("."), (scaled % scale).cast(pl.String).str.zfill(decimals)])
    sign = pl.when((value < 0) & (scaled > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.when(value.is_nan() | value.is_infinite()).then(pl.lit("—")).otherwise(pl.concat_str([sign, text]))


def number_text(expr: pl.Expr, decimals: int = 1) -> pl.Expr:
    """Numbers as display text with ``decimals`` places, a half rounded up (``75.25`` → ``75.3``); null stays null."""
    return _format_number(expr, pl.Float64, decimals, separators=False)


def _cell_text(frame: pl.DataFrame, column: str, dtype: pl.DataType, decimals: int) -> tuple[pl.Expr, bool]:
    """The display text of one column as an expression, and whether it is numeric (right-aligned)."""
    col = pl.col(column)
    if dtype.is_numeric():
        biggest = frame.select(col.cast(pl.Float64).abs().max()).item()
        separators = biggest is not None and biggest >= 10_000
        return _format_number(col, dtype, decimals, separators), True
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit(t("report.yes"))).when(~col).then(pl.lit(t("report.no"))), False
    if dtype == pl.Date:
        return col.dt.strftime("%Y-%m-%d"), False
    if isinstance(dtype, pl.Datetime):
        return col.dt.strftime("%Y-%m-%d %H:%M"), False
    if isinstance(dtype, (pl.List, pl.Array)):
        return col.cast(pl.List(pl.String)).list.join("、"), False
    return col.cast(pl.String), False


def table_html(
    frame: pl.DataFrame | pl.LazyFrame,
    caption: str | None = None,
    *,
    mask: bool = True,
    max_rows: int | None = None,
    decimals: int = 2,
) -> str:
    """The markup of ``table``."""
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    total = df.height
    if max_rows is not None and total > max_rows:
        df = df.head(max_rows)
    if mask:
        df = mask_frame(df)
    cells, numeric = [], []
    for i, (name, dtype) in enumerate(df.schema.items()):
        text, is_num = _cell_text(df, name, dtype, decimals)
        cells.extend([pl.lit(f"<td{_NUM if is_num else ''}>"), _escape(text).fill_null(""), pl.lit("</td>")])
        numeric.append(is_num)
        if i == 0:
            cells.insert(0, pl.lit("<tr>"))
    if df.width and df.height:
        cells.append(pl.lit("</tr>"))
        body = df.select(pl.concat_str(cells).str.join("").alias("rows")).item()
    else:
        body = ""
    head = "".join(
        f"<th{_NUM if is_num else ''}>{html.escape(label(str(c)))}</th>"
        for c, is_num in zip(df.columns, numeric, strict=True)
    )
    parts = ['<div class="ek-table" style="max-width:100%;overflow-x:auto">', "<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append(f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if total == 0:
        parts.append(f'<p class="ek-note">{html.escape(t("report.no_rows"))}</p>')
    elif df.height < total:
        parts.append(f'<p class="ek-note">{html.escape(t("report.rows_shown", shown=df.height, total=total))}</p>')
    parts.append("</div>")
    return "".join(parts)


def table(
    frame: pl.DataFrame | pl.LazyFrame,
    caption: str | None = None,
    *,
    mask: bool = True,
    max_rows: int | None = None,
    decimals: int = 2,
) -> HTMLBlock:
    """A frame for display in a report: personal columns masked (unless ``mask=False``), numbers formatted,
    headers given their display names, scrolling sideways on a narrow screen."""
    return HTMLBlock(table_html(frame, caption, mask=mask, max_rows=max_rows, decimals=decimals))


# --------------------------------------------------------------------------- footer
