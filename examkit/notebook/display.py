"""Display setup for a kernel: altair charts as static SVG, every polars frame shown through ``report.tables.table``."""

from __future__ import annotations

import polars as pl

from examkit.report import charts
from examkit.report.masking import mask_frame
from examkit.report.tables import DEFAULT_MAX_ROWS, chart_html, chart_svg, table, table_html

RENDERER = "examkit_svg"


def _svg_renderer(spec: dict, **_: object) -> dict:
    return {"text/html": chart_html(chart_svg(spec)), "text/plain": "<altair chart>"}


def _setup_altair(lang: str) -> None:
    import altair as alt  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, _svg_renderer)
    alt.renderers.enable(RENDERER)
    charts.enable_theme()


def _setup_formatters() -> None:
    """Every polars frame displayed in a notebook goes through ``table`` (masked, styled)."""
    try:
        from IPython import get_ipython  # noqa: PLC0415  heavy import, only inside a kernel
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
