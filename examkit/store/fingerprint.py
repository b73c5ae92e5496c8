"""Fingerprints: what an input store entry depends on, as a short hex digest.

An entry is keyed by the content of its input files plus everything that shaped the typed frame and
its findings: the rule code (the source of the layers below the store), the settings files, the
message language and the context the caller names (the notice, the schools list, the batch…).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from functools import cache
from pathlib import Path

import polars as pl

from examkit.core.i18n import get_lang
from examkit.settings.params import batch_params_files
from examkit.settings.resources import default_params_dir

_PKG = Path(__file__).resolve().parent.parent  # examkit/
# the code and data that shape what is kept: the readers and checks, and the session's results from a score sheet
_RULE_CODE = ("core", "settings", "io", "intake", "session", "data", "messages")
_CHUNK = 1 << 20


def new_hash(data: bytes = b"") -> hashlib.blake2b:
    """The hash every fingerprint uses (BLAKE2b, 128 bits)."""
    return hashlib.blake2b(data, digest_size=16)


def file_digest(path: str | os.PathLike) -> str:
    """The content hash of a file (BLAKE2b, 128 bits), read in chunks."""
    h = new_hash()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@cache
def rule_code() -> str:
    """The source of every module that reads, normalises or checks an input, plus the polars version."""
    h = new_hash()
    h.update(pl.__version__.encode())
    for layer in _RULE_CODE:
        for f in sorted((_PKG / layer).rglob("*")):
            if f.suffix in (".py", ".yaml") and f.is_file():
                h.update(f.relative_to(_PKG).as_posix().encode())
                h.update(f.read_bytes())
    return h.hexdigest()


def settings_files(params_dir: str | os.PathLike | None) -> list[Path]:
    """The shared settings (yaml under the shipped params and ``params_dir``), not the batches' own files."""
    found: list[Path] = []
    for root in {default_params_dir().resolve(), *([Path(params_dir).resolve()] if params_dir else [])}:
        if root.is_dir():
            batches = set(batch_params_files(root))  # a batch's paths, not a setting
            found += [f for f in root.rglob("*.yaml") if f not in batches]
    return sorted(found)


def settings_digest(params_dir: str | os.PathLike | None) -> str:
    """One digest over the settings files' names and contents."""
    h = new_hash()
    for f in settings_files(params_dir):
        h.update(f.as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _part(value: object) -> bytes:
    """A stable byte form of one context value."""
    if value is None:
        return b"<none>"
    if isinstance(value, pl.DataFrame):
        # order-insensitive: a frame from ``unique()`` may come in any order
        rows = value.hash_rows(seed=0).sort() if value.height else pl.Series([], dtype=pl.UInt64)
        return f"frame{dict(value.schema)}{value.height}:".encode() + rows.to_numpy().tobytes()
    if isinstance(value, (pl.Series, Path)):
        return _part(value.to_frame()) if isinstance(value, pl.Series) else value.as_posix().encode()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return b"|".join(_part(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (dict, list, tuple, str, int, float, bool)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr).encode()
    return repr(value).encode()


def fingerprint(*parts: object) -> str:
    """The digest of the rule code, the language and ``parts`` (frames hashed by content)."""
    h = new_hash()
    h.update(rule_code().encode())
    h.update(get_lang().encode())
    for p in parts:
        h.update(_part(p))
        h.update(b"\x00")
    return h.hexdigest()
