"""Masking personal data before anything is displayed in a report.

Names become ``张*明`` / ``张*``, ID numbers keep their first 6 and last 4 characters around
``********``, phone numbers keep their first 3 and last 4 digits. Everything is a polars
expression, so masking a frame of any size is one vectorised pass.
"""

from __future__ import annotations

import polars as pl

from examkit.core import idcard

NAME, ID_NUMBER, PHONE = "name", "id_number", "phone"
_STARS = "*" * 64
ID_STARS = "********"
_NULL = pl.lit(None, dtype=pl.String)


# Personal numbers inside free text. The regex engine has no look-around, so the characters on
# either side are captured and put back; a number is "whole" when no letter or digit touches it.
_LEFT = r"(^|[^0-9A-Za-z.])"
_RIGHT = r"($|[^0-9A-Za-z])"
ID_IN_TEXT = _LEFT + rf"({idcard.AREA})[0-9]{{8}}({idcard.TAIL})" + _RIGHT
MOBILE_IN_TEXT = _LEFT + r"((?:\+?86[- ]?)?1[3-9][0-9])[- ]?[0-9]{4}[- ]?([0-9]{4})" + _RIGHT


def _stars(n: pl.Expr) -> pl.Expr:
    return pl.lit(_STARS).str.slice(0, n.cast(pl.Int64).clip(0, len(_STARS)))


def mask_name(expr: pl.Expr) -> pl.Expr:
    """张三 → 张*, 张三明 → 张*明, 欧阳娜娜 → 欧**娜; a one-character name → *; null stays null."""
    s = expr.cast(pl.String).str.strip_chars()
    n = s.str.len_chars().cast(pl.Int64)
    return (
        pl.when(s.is_null())
        .then(_NULL)
        .when(n <= 1)
        .then(_stars(n))
        .when(n == 2)
        .then(pl.concat_str([s.str.head(1), pl.lit("*")]))
        .otherwise(pl.concat_str([s.str.head(1), _stars(n - 2), s.str.tail(1)]))
        .name.keep()
    )


def mask_id(expr: pl.Expr) -> pl.Expr:
    """First 6 and last 4 characters around ``********``; shorter numbers (≤ 10 characters) all stars."""
    s = expr.cast(pl.String).str.strip_chars()
    n = s.str.len_chars().cast(pl.Int64)
    return (
        pl.when(s.is_null())
        .then(_NULL)
        .when(n >= 11)
        .then(pl.concat_str([s.str.head(6), pl.lit(ID_STARS), s.str.tail(4)]))
        .otherwise(_stars(n))
        .name.keep()
    )


def mask_phone(expr: pl.Expr) -> pl.Expr:
    """13812345678 → 138****5678 (spaces, hyphens and a +86 prefix dropped); short numbers all stars."""
    digits = expr.cast(pl.String).str.replace_all(r"[\s\-]", "").str.replace(r"^(?:\+86|0086)", "")
    n = digits.str.len_chars().cast(pl.Int64)
    return (
        pl.when(digits.is_null())
        .then(_NULL)
        .when(n >= 8)
        .then(pl.concat_str([digits.str.head(3), _stars(n - 7), digits.str.tail(4)]))
        .otherwise(_stars(n))
        .name.keep()
    )


def scrub_text(expr: pl.Expr) -> pl.Expr:
    """Mask ID numbers and mobile numbers that appear anywhere inside free text."""
    out = expr
    for _ in range(2):  # a second pass catches numbers that share a separator with the previous one
        out = out.str.replace_all(ID_IN_TEXT, "${1}${2}" + ID_STARS + "${3}${4}")
        out = out.str.replace_all(MOBILE_IN_TEXT, "${1}${2}****${3}${4}")
    return out


MASKERS = {NAME: mask_name, ID_NUMBER: mask_id, PHONE: mask_phone}
