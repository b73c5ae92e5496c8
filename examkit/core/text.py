"""What people type by hand, made uniform: polars expressions over string columns.

Full-width digits and letters, non-breaking and ideographic spaces, zero-width marks, stray
spaces, lowercase ``x`` in ID numbers, numbers that Excel turned into ``3107.0``, and dates
written as ``2023-03-05``, ``2023/3/5``, ``2023.3.5``, ``2023年3月5日``, ``20230305``,
``2023-03-05 00:00:00`` (an xlsx date cell) or a five-digit Excel serial number (``44990``, 1927–2173).
Every function takes and returns an expression, so a whole column is cleaned in one pass.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping

import polars as pl

_INVISIBLE = r"[\u200b-\u200d\u2060\ufeff]"  # zero-width marks that NFKC keeps

_INVISIBLE_CHARS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (its 1900 leap-day quirk folded in)
ACCEPTED_DATES = "2023-03-05, 2023/3/5, 2023.3.5, 2023年3月5日, 20230305"


def text(expr: pl.Expr, *, ascii: bool = False) -> pl.Expr:
    """Half-width, ordinary spaces only, collapsed and stripped; empty → null.

    Unicode NFKC turns full-width letters, digits and punctuation into ASCII and the ideographic
    and non-breaking spaces into ordinary ones; zero-width marks are dropped. ``ascii``: the column
    is known to be pure ASCII (see ``is_ascii``), which NFKC leaves as it is and holds no such mark.
    """
    s = expr.cast(pl.String)
    if not ascii:
        s = s.str.normalize("NFKC").str.replace_all(_INVISIBLE, "")
    return s.str.replace_all(r"\s+", " ").str.strip_chars().replace("", None)  # the input is read once


def is_ascii(expr: pl.Expr) -> pl.Expr:
    """True when no cell of the column holds a non-ASCII character (an aggregate: one value per column)."""
    return ~expr.cast(pl.String).str.contains(r"[^\x00-\x7f]").any()


def compact(expr: pl.Expr, *, ascii: bool = False) -> pl.Expr:
    """Like ``text`` but without any space at all (codes, ID and phone numbers)."""
    return text(expr, ascii=ascii).str.replace_all(" ", "", literal=True).replace("", None)


def code(expr: pl.Expr, *, ascii: bool = False) -> pl.Expr:
    """A code kept as text: compact, and ``3107.0`` (a number cell) back to ``3107``."""
    return compact(expr, ascii=ascii).str.replace(r"^(\d+)\.0+$", "${1}")


def id_number(expr: pl.Expr, *, ascii: bool = False) -> pl.Expr:
    """A resident ID number: compact and upper case (a typed ``x`` is the check character ``X``)."""
    return compact(expr, ascii=ascii).str.to_uppercase()


def date(expr: pl.Expr) -> pl.Expr:
    """A date from any of the accepted spellings (see module doc); null when it is none of them."""
    s = text(expr).str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "").str.replace_all(" ", "", literal=True)
    ymd = s.str.extract_groups(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
    padded = pl.concat_str(
        ymd.struct.field("1"),
        ymd.struct.field("2").str.zfill(2),
        ymd.struct.field("3").str.zfill(2),
        separator="-",
    )
    serial = s.str.extract(r"^(\d{5})(?:\.\d+)?$", 1).cast(pl.Int64, strict=False)
    return pl.coalesce(
        padded.str.to_date("%Y-%m-%d", strict=False),
        pl.when(s.str.contains(r"^\d{8}$")).then(s.str.to_date("%Y%m%d", strict=False)),
        pl.lit(EXCEL_EPOCH) + pl.duration(days=serial),
    )


def vocabulary(expr: pl.Expr, accepted: Mapping[str, str]) -> pl.Expr:
    """Map spellings to codes: ``accepted`` maps a spelling (any case and width) to its code; else null."""
    keys = {k.casefold().replace(" ", ""): v for k, v in accepted.items()}
    return compact(expr).str.to_lowercase().replace_strict(keys, default=None, return_dtype=pl.String)


TRUE_WORDS = ("是", "yes", "y", "true", "t", "1", "√", "✓", "✔", "对", "有", "已备案", "试点")
FALSE_WORDS = ("否", "no", "n", "false", "f", "0", "×", "✗", "✘", "不是", "无", "未备案", "非试点")


def boolean(expr: pl.Expr) -> pl.Expr:
    """是/否, yes/no, true/false, 1/0, √/× → Boolean; anything else → null."""
    words = {**dict.fromkeys(TRUE_WORDS, "1"), **dict.fromkeys(FALSE_WORDS, "0")}
    return vocabulary(expr, words) == "1"


def split_list(expr: pl.Expr) -> pl.Expr:
    """A cell listing names separated by 、 ; , (or full-width ；，) → List(String), blanks dropped."""
    return (
        text(expr)
        .fill_null("")
        .str.replace_all(r"[、;,]", "\n")
        .str.split("\n")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    )


def header_key(text: object) -> str:
    """How typed labels are compared (headers, item names, status words, searches): NFKC (full-width → ASCII,
    （）→ ()), no whitespace or invisible marks, case-folded."""
    s = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE_CHARS)
    return "".join(s.split()).casefold()


def header_key_expr(expr: pl.Expr) -> pl.Expr:
    """``header_key`` over a column (lower-cased where ``header_key`` case-folds: the same for the labels in use)."""
    return (
        expr.cast(pl.String)
        .str.normalize("NFKC")
        .str.replace_all(_INVISIBLE, "")
        .str.replace_all(r"\s+", "")
        .str.to_lowercase()
    )
