"""Store entries: values kept as Parquet frames plus a manifest, keyed by content, written atomically.

``EntryStore(root).fetch(kind, files, context, build)`` returns what ``build()`` returns (a typed frame,
or an intake result such as ``Registrations``) from the entry keyed by the files' content and
``context`` (a ``fingerprint``), building and keeping it on a miss. An entry is a folder holding one
Parquet file per frame and a manifest with each part's size and hash, written beside the store and
renamed into place in one step: two processes filling one entry both succeed and one copy stays. An
entry that fails its check (a killed writer, a truncated or edited file) is removed and rebuilt, never
trusted. ``EntryStore(None)`` keeps nothing: it just builds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import polars as pl

from examkit.core.findings import SCHEMA as FINDING_SCHEMA
from examkit.core.findings import Finding, findings_frame, from_frame
from examkit.store.fingerprint import file_digest, new_hash

T = TypeVar("T")
MANIFEST = "manifest.json"
FORMAT = 1  # bump when the entry layout changes: older entries are then simply not found
_TMP = ".tmp"
STALE_TMP_S = 3600.0  # a half-written entry older than this is from a killed writer
# content hashes of this process, by path, size, mtime and inode: a file is hashed once
_DIGESTS: dict[tuple, str] = {}
RACY_S = 2.0  # FAT's mtime resolution, the coarsest a school's USB stick may have


@dataclasses.dataclass
class StoreStats:
    """What a store did in this process: entries read, entries built, broken entries rebuilt."""

    hits: int = 0
    builds: int = 0
    rebuilt: int = 0


class EntryStore:
    """A folder of entries keyed by content; ``root=None`` keeps nothing."""

    def __init__(self, root: str | os.PathLike | None) -> None:
        self.root = Path(root) if root else None
        self.stats = StoreStats()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    def digest(self, path: Path) -> str:
        """The content hash of ``path``, remembered while its size, mtime and inode are unchanged (in this
        process, and in the store's ``digests/`` as git's index does, so a large file is not re-read)."""
        st = path.stat()
        ident = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
        if ident not in _DIGESTS:
            _DIGESTS[ident] = self._known_digest(ident) or self._new_digest(path, ident)
        return _DIGESTS[ident]

    def _digest_note(self, ident: tuple) -> Path | None:
        return self.root / "digests" / f"{new_hash(ident[0].encode()).hexdigest()}.json" if self.root else None

    def _known_digest(self, ident: tuple) -> str | None:
        note = self._digest_note(ident)
        try:
            known = json.loads(note.read_text(encoding="utf-8")) if note else None
        except (OSError, ValueError):
            return None
        # a note written within RACY_S of the file's mtime may predate a change in the same clock tick
        if not known or known.get("ident") != list(ident) or known["noted_ns"] - ident[2] < RACY_S * 1e9:
            return None
        return str(known["digest"])

    def _new_digest(self, path: Path, ident: tuple) -> str:
        digest = file_digest(path)
        note = self._digest_note(ident)
        if note is not None:
            with contextlib.suppress(OSError):
                note.parent.mkdir(parents=True, exist_ok=True)
                tmp = note.with_name(f"{note.name}.{uuid.uuid4().hex}.part")
                tmp.write_text(json.dumps({"ident": list(ident), "digest": digest, "noted_ns": time.time_ns()}))
                os.replace(tmp, note)
        return digest

    def key(self, kind: str, files: Sequence[Path], context: str) -> str:
        h = new_hash()
        h.update(f"{FORMAT}:{kind}:{context}".encode())
        for f in files:  # the path too: findings and frames name the file they came from
            h.update(f"{Path(f).resolve()}\0{self.digest(Path(f))}".encode())
        return h.hexdigest()

    def fetch(self, kind: str, files: Sequence[str | os.PathLike], context: str, build: Callable[[], T]) -> T:
        """The entry for ``files`` under ``context``, built by ``build()`` and kept when missing or broken.

        Without a root, or when a file cannot be hashed (e.g. it does not exist), ``build()`` runs and is
        returned as it is, so its own error reaches the user.
        """
        if self.root is None:
            return build()
        try:
            where = self._entry(self.key(kind, [Path(f) for f in files], context), kind)
        except OSError:
            return build()
        if where.is_dir():
            try:
                value = _read_entry(where)
            except Exception:  # any damage at all: the entry is not trusted
                self._discard(where)
                self.stats.rebuilt += 1
            else:
                self.stats.hits += 1
                return value  # type: ignore[return-value]
        value = build()
        self.stats.builds += 1
        with contextlib.suppress(OSError):  # a full or read-only disk costs speed, never a result
            self._write(where, value)
        return value

    def clean(self) -> int:
        """Remove half-written entries of killed writers (older than ``STALE_TMP_S``); how many were removed."""
        tmp = self.root / _TMP if self.root else None
        if tmp is None or not tmp.is_dir():
            return 0
        removed = 0
        for d in tmp.iterdir():
            with contextlib.suppress(OSError):
                if time.time() - d.stat().st_mtime > STALE_TMP_S:
                    shutil.rmtree(d, ignore_errors=True)
                    removed += 1
        return removed

    # ------------------------------------------------------------------ entries on disk

    def _entry(self, key: str, kind: str) -> Path:
        assert self.root is not None
        return self.root / kind / key[:2] / key

    def _write(self, where: Path, value: object) -> None:
        assert self.root is not None
        staging = self.root / _TMP / uuid.uuid4().hex
        staging.mkdir(parents=True)
        try:
            manifest = {"format": FORMAT, "value": _encode(value, staging, "v"), "parts": {}}
            for part in sorted(staging.iterdir()):
                manifest["parts"][part.name] = {"size": part.stat().st_size, "hash": file_digest(part)}
            (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
            where.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(staging, where)  # one step; fails if another process put the entry there first
            except OSError:
                if not where.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _discard(self, where: Path) -> None:
        """Move a broken entry out of the way first, so no reader sees it half-deleted."""
        assert self.root is not None
        trash = self.root / _TMP / f"broken-{uuid.uuid4().hex}"
        with contextlib.suppress(OSError):
            trash.parent.mkdir(parents=True, exist_ok=True)
            os.rename(where, trash)
        shutil.rmtree(trash, ignore_errors=True)


def _read_entry(where: Path) -> object:
    manifest = json.loads((where / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError("entry format")
    for name, meta in manifest["parts"].items():
        part = where / name
        if part.stat().st_size != meta["size"] or file_digest(part) != meta["hash"]:
            raise ValueError(f"{name} changed")
    return _decode(manifest["value"], where)


# --------------------------------------------------------------------------- values ↔ parquet + json


def _frame_of(value: object) -> tuple[str, pl.DataFrame] | None:
    """The tag and frame a value is kept as in Parquet, or None when it is kept in the manifest."""
    if isinstance(value, pl.DataFrame):
        return "frame", value
    if isinstance(value, pl.Series):
        return "series", value.to_frame()
    if isinstance(value, list) and value and all(isinstance(f, Finding) for f in value):
        return "findings", findings_frame(value)
    return None


def _encode(value: object, folder: Path, name: str) -> object:
    """``value`` as JSON, its frames written to ``folder`` as ``<name>.parquet``."""
    if (kept := _frame_of(value)) is not None:
        kept[1].write_parquet(folder / f"{name}.parquet", statistics=False)
        return {kept[0]: name}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = {
            f.name: _encode(getattr(value, f.name), folder, f"{name}.{f.name}") for f in dataclasses.fields(value)
        }
        return {"dataclass": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [_encode(v, folder, f"{name}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"dict": [[k, _encode(v, folder, f"{name}.{i}")] for i, (k, v) in enumerate(value.items())]}
    if isinstance(value, Path):
        return {"path": str(value)}
    if value is None or isinstance(value, (str, int, float, bool)):
        return {"plain": value}
    raise TypeError(f"cannot store {type(value).__name__}")


_DECODERS: dict[str, Callable[[object, Path, dict], object]] = {
    "frame": lambda v, folder, _: pl.read_parquet(folder / f"{v}.parquet"),
    "series": lambda v, folder, _: pl.read_parquet(folder / f"{v}.parquet").to_series(),
    "findings": lambda v, folder, _: from_frame(pl.read_parquet(folder / f"{v}.parquet").cast(FINDING_SCHEMA)),
    "dataclass": lambda v, folder, data: _class(str(v))(**{k: _decode(f, folder) for k, f in data["fields"].items()}),
    "tuple": lambda v, folder, _: tuple(_decode(x, folder) for x in v),  # type: ignore[attr-defined]
    "list": lambda v, folder, _: [_decode(x, folder) for x in v],  # type: ignore[attr-defined]
    "dict": lambda v, folder, _: {k: _decode(x, folder) for k, x in v},  # type: ignore[attr-defined]
    "path": lambda v, folder, _: Path(str(v)),
    "plain": lambda v, folder, _: v,
}


def _decode(data: dict, folder: Path) -> object:
    (tag, v), *_ = data.items()
    return _DECODERS[tag](v, folder, data)


def _class(name: str) -> type:
    """A dataclass of examkit's own, by ``module:qualname`` (nothing outside the package is imported)."""
    module, _, qualname = name.partition(":")
    if module != "examkit" and not module.startswith("examkit."):
        raise ValueError(f"not an examkit class: {name}")
    obj: object = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
        raise ValueError(f"not a dataclass: {name}")
    return obj
