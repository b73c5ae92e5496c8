"""Money as integer fen; yuan only at the edges (parsing input, formatting output)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100
_STRIP = re.compile(r"[\s,，￥¥元]|RMB|CNY", re.IGNORECASE)


def yuan_to_fen(value: object) -> int:
    """Parse an amount in yuan (``6,800.00``, ``￥6800``, 25, ``"12.5"``) to integer fen.

    Raises ``ValueError`` when the text is not an amount or has fractions of a fen.
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    text = _STRIP.sub("", str(value)).translate(_FULLWIDTH)
    try:
        amount = Decimal(text) * FEN_PER_YUAN
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError(value)
    return int(amount)


def format_yuan(fen: int, symbol: str = "¥") -> str:
    """``123456`` → ``¥1,234.56``."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{symbol}{whole:,}.{part:02d}"


def format_yuan_plain(fen: int) -> str:
    """``2500`` → ``25``; ``2550`` → ``25.50`` (no symbol, no grouping)."""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    sign = "-" if fen < 0 else ""
    return f"{sign}{whole}" if part == 0 else f"{sign}{whole}.{part:02d}"


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋", "0123456789.-+")
