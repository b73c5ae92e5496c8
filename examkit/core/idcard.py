"""Mainland resident ID numbers (GB 11643-1999): structure, date of birth, ISO 7064 MOD 11-2 check."""

from __future__ import annotations

import datetime as dt

import polars as pl

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
EARLIEST_BIRTH = dt.date(1900, 1, 1)  # an earlier birth date is a typing mistake
SHAPE = r"^[0-9]{17}[0-9X]$"  # a normalised number: 17 digits, then a digit or X
# Parts of a number as it may stand in free text (reports are scanned and masked with these).
AREA = r"[1-9][0-9]{5}"
BIRTH = r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
TAIL = r"[0-9]{3}[0-9Xx]"


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def birth_date(number: str) -> dt.date | None:
    """The date of birth encoded in an 18-character number, or None when it is not a real date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid(number: str) -> bool:
    """18 characters, 17 digits then a digit or X, a real birth date, and the right check character."""
    return (
        len(number) == 18
        and number[:17].isdigit()
        and number[:17].isascii()
        and (number[17].isdigit() or number[17] == "X")
        and birth_date(number) is not None
        and check_char(number[:17]) == number[17]
    )


def make(area: str, born: dt.date, seq: int) -> str:
    """A well-formed number (for demo data): 6-digit area code, birth date, 3-digit sequence."""
    first17 = f"{area}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_char(first17)


# --------------------------------------------------------------------------- the same rules over a column


def shape_expr(number: pl.Expr) -> pl.Expr:
    """True where a normalised number has the shape of ``SHAPE`` (null → False)."""
    return number.str.contains(SHAPE).fill_null(False)


def birth_expr(number: pl.Expr) -> pl.Expr:
    """The encoded birth date of well-shaped numbers (null when not a real date)."""
    return pl.when(shape_expr(number)).then(number.str.slice(6, 8).str.to_date("%Y%m%d", strict=False))


def check_char_expr(number: pl.Expr) -> pl.Expr:
    """The check character the first 17 digits call for (null for a number of the wrong shape)."""
    first17 = number.str.slice(0, 17).cast(pl.Int64, strict=False)  # 17 digits fit in an Int64
    weighted = pl.sum_horizontal([(first17 // 10 ** (16 - i)) % 10 * w for i, w in enumerate(_WEIGHTS)])
    return pl.when(shape_expr(number)).then(
        (weighted % 11).replace_strict(dict(enumerate(_CHECK)), default=None, return_dtype=pl.String)
    )
