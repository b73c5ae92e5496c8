"""Numbers as people read them: a half rounds up, away from zero (75.25 → 75.3, −0.5 → −1), as Excel's ROUND does.

Python's ``round``/``format`` and polars' ``round`` round a half to even, and they round the binary
value: 75.25 shows as 75.2, and 2.675 (stored as 2.67499999…) as 2.67. Displays use these helpers
instead; stored values stay exact. A scalar is rounded as the shortest decimal that reads back as the
same float (``repr``), so 2.675 is the 2.675 someone typed. Polars expressions cannot do that per
row, so they nudge the scaled value up by a few units in the last place before rounding: a product
such as 2.675 × 100 = 267.49999999999997 is a binary half and rounds up; a value truly below a half
by more than that (any value written with fewer than 15 significant digits) is unaffected.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import polars as pl

_NUDGE = 2.0**-50  # relative: 4 units in the last place of a float64, above a product's rounding error


def round_half_up(x: float, decimals: int = 0) -> Decimal:
    """``x`` rounded to ``decimals`` places, a half away from zero, exactly (as a ``Decimal``)."""
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fixed(x: float, decimals: int = 1, *, scale: int = 0, trim: bool = False) -> str:
    """``x`` × 10^``scale`` as text with ``decimals`` places, a half rounded up (``75.25`` → ``"75.3"``).

    ``scale=2`` shows a share as a percentage number without the binary error of ``x * 100``;
    ``trim`` drops a trailing ``.0…`` (``"60"``, not ``"60.0"``). Not a number → ``"—"``; never ``"-0.0"``.
    """
    if x is None or not math.isfinite(x):
        return "—"
    try:
        d = (Decimal(repr(float(x))).scaleb(scale)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # beyond Decimal's precision: no half to worry about at this size
        return f"{x * 10**scale:.{decimals}f}"
    if d.is_zero():
        d = abs(d)
    text = f"{d:f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def scaled_half_up(expr: pl.Expr, decimals: int) -> pl.Expr:
    """``|expr|`` × 10^``decimals`` rounded to a whole number (Int64), a half up: the digits a display shows."""
    v = expr.cast(pl.Float64).abs() * float(10**decimals)
    return (v + v * _NUDGE + 0.5).floor().cast(pl.Int64, strict=False)  # NaN, ±inf → null


def round_half_up_expr(expr: pl.Expr, decimals: int) -> pl.Expr:
    """``expr`` rounded to ``decimals`` places, a half away from zero (Float64; null stays null)."""
    value = expr.cast(pl.Float64)
    # the division is exact up to float representation; round() only cleans 933 × 0.1 = 93.30000000000001
    magnitude = (scaled_half_up(value, decimals).cast(pl.Float64) / float(10**decimals)).round(decimals)
    return pl.when((value < 0) & (magnitude > 0)).then(-magnitude).otherwise(magnitude)
