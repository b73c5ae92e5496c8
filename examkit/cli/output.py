"""Printing frames for the CLI: a readable table, csv or json, on stdout."""

from __future__ import annotations

import json
import sys

import polars as pl


def emit(frame: pl.DataFrame, fmt: str, extra: dict | None = None) -> None:
    """Write ``frame`` to stdout as ``table``, ``csv`` or ``json`` (``extra`` adds keys to the json)."""
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
    elif fmt == "json":
        payload: object = frame.to_dicts()
        if extra:
            payload = {"rows": payload, **extra}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        with pl.Config(
            tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=60, tbl_hide_dataframe_shape=True
        ):
            print(frame)
