"""How reports look: display setup for notebooks, tables, and the reproducibility footer.

``setup`` makes every altair chart a static SVG (vl-convert, no JavaScript, nothing fetched) and
routes every displayed polars frame through ``table`` (masked, formatted, scrollable).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit.i18n import get_lang, label, t
from examkit.privacy import mask_frame

if TYPE_CHECKING:
    from examkit.session import BatchSession

RENDERER = "examkit_svg"
# Frames displayed without ``table`` (a bare frame as a cell's last line) show at most this many rows.
DEFAULT_MAX_ROWS = 200
_LOCALES = {"zh": "zh-CN", "en": "en-US"}
_lang_for_charts = "zh"
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
    import vl_convert as vlc

    try:
        from altair.utils._importers import vl_version_for_vl_convert

        vl_version: str | None = vl_version_for_vl_convert()
    except ImportError:  # pragma: no cover - altair moved it
        vl_version = None
    locale = _LOCALES.get(lang or _lang_for_charts, "zh-CN")
    return vlc.vegalite_to_svg(
        spec, vl_version=vl_version, format_locale=locale, time_format_locale=locale, allowed_base_urls=[]
    )


def chart_html(svg: str) -> str:
    """An SVG chart wrapped for a report: scales down to the screen width, never overflows."""
    return f'<div class="ek-chart" style="max-width:100%;overflow-x:auto">{svg}</div>'


def _svg_renderer(spec: dict, **_: object) -> dict:
    return {"text/html": chart_html(chart_svg(spec)), "text/plain": "<altair chart>"}


def _setup_altair(lang: str) -> None:
    import altair as alt

    global _lang_for_charts
    _lang_for_charts = lang
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, _svg_renderer)
    alt.renderers.enable(RENDERER)
    try:  # the shared chart theme, once examkit.charts provides one
        from examkit import charts
    except ImportError:
        return
    enable = getattr(charts, "enable_theme", None)
    if callable(enable):
        enable()


def _setup_formatters() -> None:
    """Every polars frame displayed in a notebook goes through ``table`` (masked, styled)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    ip = get_ipython()
    if ip is None:
        return
    formatters = ip.display_formatter.formatters
    formatters["text/html"].for_type(pl.DataFrame, lambda df: table(df, max_rows=DEFAULT_MAX_ROWS).html)
    formatters["text/plain"].for_type(pl.DataFrame, lambda df, p, cycle: p.text(repr(mask_frame(df))))
    # a pandas frame (none of examkit's own) is shown the same way, without importing pandas here
    for module in ("pandas", "pandas.core.frame"):  # pandas 3 reports "pandas", earlier ones the submodule
        formatters["text/html"].for_type_by_name(module, "DataFrame", _pandas_html)


def _pandas_html(frame: object) -> str | None:
    try:
        columns = frame.columns  # type: ignore[attr-defined]
        converted = pl.DataFrame({str(c): frame[c].tolist() for c in columns}, strict=False)  # type: ignore[index]
        html_text = table_html(converted, max_rows=DEFAULT_MAX_ROWS)
    except Exception:  # a frame polars cannot take: shown as plain text instead
        return None
    return html_text


def setup(lang: str = "zh") -> None:
    """Configure rendering for this kernel: static SVG charts in ``lang``, the chart theme, masked styled tables."""
    _setup_altair(lang)
    _setup_formatters()


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
    scaled = (value.abs() * scale).round(0).cast(pl.Int64)
    whole = (scaled // scale).cast(pl.String)
    text = _thousands(whole) if separators else whole
    if decimals > 0:
        text = pl.concat_str([text, pl.lit("."), (scaled % scale).cast(pl.String).str.zfill(decimals)])
    sign = pl.when((value < 0) & (scaled > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.when(value.is_nan() | value.is_infinite()).then(pl.lit("—")).otherwise(pl.concat_str([sign, text]))


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

# Parameters naming input files, in the order the footer lists them.
INPUT_KEYS = ("registrations", "registrations_dir", "schools", "payments", "scores", "gradebook")


def _shown_path(path: Path, base: Path | None) -> str:
    """A path as the footer shows it: relative to the project folder when inside it, else its name."""
    try:
        return path.resolve().relative_to(base).as_posix() if base else path.name
    except ValueError:
        return path.name


def _year_registration_files(folder: Path, session: BatchSession) -> list[Path]:
    """The registrations files the year so far reads: the same rule as ``session.year_registrations``
    (registration files of batches up to this one, plus files not named after a batch)."""
    from examkit.registrations import make_context, registration_files

    words = make_context(notice=session.notice).batch_words()
    return [f for f in registration_files(folder) if (words.get(f.stem.strip()) or "") <= session.batch_id]


def input_files(session: BatchSession) -> list[tuple[str, Path]]:
    """(what, file) for every input file of the batch that exists, folders expanded to their files."""
    out: list[tuple[str, Path]] = []
    for key in INPUT_KEYS:
        p = session.path(key)
        if p is None or not p.exists():
            continue
        if key == "registrations_dir" and p.is_dir():
            out.extend((key, f) for f in _year_registration_files(p, session))
        elif p.is_dir():
            out.extend((key, f) for f in sorted(p.iterdir()) if f.is_file() and not f.name.startswith((".", "~$")))
        else:
            out.append((key, p))
    seen: set[Path] = set()
    unique = []
    for key, f in out:  # this batch's file is also in the year's folder: list it once
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append((key, f))
    return unique


def footer_rows(session: BatchSession) -> list[tuple[str, str, str]]:
    """(what, file, SHA-256) for the parameters file, every input file and the rubric."""
    from examkit.iorw import sha256_file

    params_file = session.path("params_file")
    base = params_file.resolve().parent.parent if params_file else None
    rows: list[tuple[str, str, str]] = []
    if params_file and params_file.is_file():
        rows.append((t("report.params_file"), _shown_path(params_file, base), sha256_file(params_file)))
    for key, f in input_files(session):
        rows.append((t(f"report.input_{key}"), _shown_path(f, base), sha256_file(f)))
    try:
        from examkit.rubric import load_rubric

        rubric = load_rubric(session.batch.level, session.settings_dir)
        rows.append((t("report.rubric"), _shown_path(rubric.file, base), sha256_file(rubric.file)))
        rows.append((t("report.rubric_items"), "", rubric.sha256))
    except Exception as exc:  # the footer reports a broken rubric, it does not fail the report
        rows.append((t("report.rubric"), t("report.unavailable", error=type(exc).__name__), ""))
    return rows


def footer(session: BatchSession) -> HTMLBlock:
    """The reproducibility footer: batch, parameters file, input hashes, version, run time."""
    from examkit import __version__

    now = dt.datetime.now().astimezone()
    seconds = max(0.0, (now - session.started).total_seconds())
    facts = [
        (t("report.batch"), session.batch_id),
        (t("report.lang"), session.lang),
        (t("report.version"), f"examkit {__version__}"),
        (t("report.run_at"), f"{session.started:%Y-%m-%d %H:%M:%S %z}"),
        (t("report.run_seconds"), f"{seconds:.1f}"),
    ]
    items = "".join(f"<li><b>{html.escape(k)}</b>：{html.escape(v)}</li>" for k, v in facts)
    files = "".join(
        f'<li><span class="ek-what">{html.escape(what)}</span> <span class="ek-file">{html.escape(name)}</span>'
        f"<br><code>{digest}</code></li>"
        for what, name, digest in footer_rows(session)
    )
    return HTMLBlock(
        f'<footer class="ek-footer" lang="{html.escape(get_lang())}">'
        f"<h2>{html.escape(t('report.footer_title'))}</h2><ul>{items}</ul>"
        f"<h3>{html.escape(t('report.sha256_title'))}</h3>"
        f'<ul class="ek-hashes" style="list-style:none;padding-left:0">{files}</ul>'
        f'<p class="ek-note">{html.escape(t("report.footer_note"))}</p></footer>'
    )
