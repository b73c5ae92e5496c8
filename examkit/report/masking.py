"""Masking whole frames for display: which columns hold personal data (by header), masked with ``core.privacy``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TypeVar

import polars as pl

from examkit.core.exceptions import ConfigError
from examkit.core.privacy import ID_NUMBER, MASKERS, NAME, PHONE, scrub_text
from examkit.settings.columns import column_kinds

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


# Column headers (besides the canonical ones and those in params/columns.yaml) that hold personal data.
_KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    NAME: ("name", "candidate_name", "full_name", "姓名", "考生姓名", "name_masked"),
    ID_NUMBER: ("id_number", "id_no", "idcard", "id_card", "身份证", "身份证号", "身份证号码", "证件号码", "证件号"),
    PHONE: ("phone", "mobile", "phone_number", "mobile_phone", "手机", "手机号", "手机号码", "联系电话", "电话"),
}


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-()（）]", "", str(header)).lower()


@lru_cache(maxsize=8)
def _headers(params_dir: str | None = None) -> dict[str, str]:
    """Normalised header → personal kind, from the built-in list and the column mapping."""
    out = {_norm(h): kind for kind, heads in _KNOWN_HEADERS.items() for h in heads}
    try:
        kinds = column_kinds(params_dir).values()
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
