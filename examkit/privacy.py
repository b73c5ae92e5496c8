"""Masking personal data before anything is displayed in a report.

Names become ``张*明`` / ``张*``, ID numbers keep their first 6 and last 4 characters around
``********``, phone numbers keep their first 3 and last 4 digits. Everything is a polars
expression, so masking a frame of any size is one vectorised pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TypeVar

import polars as pl

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

NAME, ID_NUMBER, PHONE = "name", "id_number", "phone"
_STARS = "*" * 64
ID_STARS = "********"
_NULL = pl.lit(None, dtype=pl.String)

# Column headers (besides the canonical ones and those in params/columns.yaml) that hold personal data.
_KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    NAME: ("name", "candidate_name", "full_name", "姓名", "考生姓名", "name_masked"),
    ID_NUMBER: ("id_number", "id_no", "idcard", "id_card", "身份证", "身份证号", "身份证号码", "证件号码", "证件号"),
    PHONE: ("phone", "mobile", "phone_number", "mobile_phone", "手机", "手机号", "手机号码", "联系电话", "电话"),
}

# Personal numbers inside free text. The regex engine has no look-around, so the characters on
# either side are captured and put back; a number is "whole" when no letter or digit touches it.
_LEFT = r"(^|[^0-9A-Za-z.])"
_RIGHT = r"($|[^0-9A-Za-z])"
ID_IN_TEXT = _LEFT + r"([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])" + _RIGHT
MOBILE_IN_TEXT = _LEFT + r"((?:\+?86[- ]?)?1[3-9][0-9])[- ]?[0-9]{4}[- ]?([0-9]{4})" + _RIGHT


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-()（）]", "", str(header)).lower()


@lru_cache(maxsize=8)
def _headers(params_dir: str | None = None) -> dict[str, str]:
    """Normalised header → personal kind, from the built-in list and the column mapping."""
    from examkit.config import load_settings
    from examkit.exceptions import ConfigError

    out = {_norm(h): kind for kind, heads in _KNOWN_HEADERS.items() for h in heads}
    try:
        kinds = (load_settings("columns.yaml", params_dir).get("kinds") or {}).values()
    except ConfigError:
        kinds = []
    for columns in kinds:
        for canonical, spec in (columns or {}).items():
            if canonical in _KNOWN_HEADERS:
                for h in (spec or {}).get("headers") or []:
                    out[_norm(h)] = canonical
    return out


def personal_kind(header: str, params_dir: str | None = None) -> str | None:
    """``name``, ``id_number`` or ``phone`` when a column with this header holds personal data, else None."""
    return _headers(params_dir).get(_norm(header))


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


def personal_columns(columns: list[str], params_dir: str | None = None) -> dict[str, str]:
    """The personal columns among ``columns``: header → kind."""
    found = {c: personal_kind(c, params_dir) for c in columns}
    return {c: k for c, k in found.items() if k}


def mask_frame(frame: Frame, extra: Mapping[str, str] | None = None, params_dir: str | None = None) -> Frame:
    """Mask every personal column (by its header) and scrub ID/mobile numbers out of every other text column.

    ``extra`` maps further headers to a kind (``name``, ``id_number``, ``phone``).
    """
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    kinds = personal_columns(list(schema.names()), params_dir)
    kinds.update({c: k for c, k in (extra or {}).items() if c in schema})
    exprs = [MASKERS[kind](pl.col(c)).alias(c) for c, kind in kinds.items()]
    exprs += [scrub_text(pl.col(c)).alias(c) for c, dtype in schema.items() if c not in kinds and dtype == pl.String]
    return frame.with_columns(exprs) if exprs else frame
