"""Reading the files users have (xlsx, csv in UTF-8/GBK) and writing outputs atomically."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from examkit.exceptions import ConfigError, InputError
from examkit.i18n import t

ROW = "_row"  # the row number as the user sees it in Excel (header = row 1)
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
_ZIP_MAGIC = b"PK\x03\x04"


# --------------------------------------------------------------------------- writing


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def write_csv(frame: pl.DataFrame, path: str | os.PathLike, *, bom: bool = True) -> None:
    """CSV that Excel in China opens correctly (UTF-8 with BOM by default)."""
    text = frame.write_csv()
    atomic_write_bytes(path, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def write_xlsx(sheets: dict[str, pl.DataFrame], path: str | os.PathLike) -> None:
    """One xlsx with a sheet per entry, written atomically."""
    import xlsxwriter

    with atomic_path(path) as tmp:
        with xlsxwriter.Workbook(str(tmp)) as wb:
            for name, frame in sheets.items():
                frame.write_excel(wb, worksheet=_sheet_name(name), autofit=True)


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31] or "Sheet"


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- column mapping


def load_columns(path: str | os.PathLike | None = None) -> dict[str, dict[str, list[str]]]:
    """The column mapping: kind → canonical column → accepted headers (first one is the display name)."""
    from examkit.resources import settings_file

    p = Path(path) if path else settings_file("columns.yaml")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(t("io.bad_settings", file=str(p), error=str(exc))) from None
    return {
        kind: {col: [str(h) for h in spec["headers"]] for col, spec in cols.items()}
        for kind, cols in raw["kinds"].items()
    }


def required_columns(kind: str, path: str | os.PathLike | None = None) -> list[str]:
    from examkit.resources import settings_file

    p = Path(path) if path else settings_file("columns.yaml")
    raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    return [c for c, spec in raw["kinds"][kind].items() if spec.get("required")]


def _header_key(text: str) -> str:
    return "".join(str(text).split()).replace("（", "(").replace("）", ")").casefold()


# --------------------------------------------------------------------------- reading


@dataclass
class Table:
    """A table as read: canonical column names, every cell a string, plus the Excel row number."""

    file: Path
    frame: pl.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # canonical → header as the user wrote it
    unknown: list[str] = field(default_factory=list)  # headers that matched no canonical column

    def header(self, column: str) -> str:
        """The user's own name for ``column`` (falls back to the canonical name)."""
        return self.headers.get(column, column)


def read_raw(path: str | os.PathLike) -> pl.DataFrame:
    """Every cell as a string, the first row as header, no rows dropped; raises ``InputError``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(t("io.cannot_open", file=str(p), error=exc.strerror or str(exc)), file=str(p)) from None
    if not data.strip():
        raise InputError(t("io.empty", file=str(p)), file=str(p))
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(p)
    return _read_csv(p, data)


def _read_xlsx(p: Path) -> pl.DataFrame:
    import fastexcel

    try:
        sheet = fastexcel.read_excel(str(p)).load_sheet(0, dtypes="string")
        frame = sheet.to_polars()
    except Exception as exc:  # fastexcel raises many unrelated types for corrupt files
        raise InputError(t("io.not_a_table", file=str(p), error=str(exc)[:200]), file=str(p)) from None
    return frame.select(pl.all().cast(pl.String))


def _read_csv(p: Path, data: bytes) -> pl.DataFrame:
    for enc in CSV_ENCODINGS:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(t("io.bad_encoding", file=str(p), accepted="UTF-8, UTF-8 BOM, GBK/GB18030"), file=str(p))
    if "\x00" in text:
        raise InputError(t("io.not_a_table", file=str(p), error="NUL"), file=str(p))
    try:
        return pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except Exception as exc:  # polars raises ComputeError/NoDataError/… for junk
        raise InputError(t("io.not_a_table", file=str(p), error=str(exc).splitlines()[0][:200]), file=str(p)) from None


def read_table(path: str | os.PathLike, kind: str, columns: dict | None = None) -> Table:
    """Read ``path`` and map its headers to the canonical columns of ``kind``.

    Raises ``InputError`` when the file is unusable or no header is recognisable.
    Blank trailing rows are dropped; interior rows keep their Excel row numbers.
    """
    p = Path(path)
    mapping = (columns or load_columns())[kind]
    raw = read_raw(p)
    lookup = {_header_key(h): col for col, hs in mapping.items() for h in [col, *hs]}
    renames: dict[str, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for h in raw.columns:
        col = lookup.get(_header_key(h))
        if col and col not in headers:
            renames[h] = col
            headers[col] = h
        else:
            unknown.append(h)
    if not headers:
        shown = ", ".join(raw.columns[:6])
        expected = ", ".join(hs[0] for hs in mapping.values())
        raise InputError(t("io.no_header", file=str(p), found=shown, expected=expected), file=str(p))
    frame = (
        raw.with_row_index(ROW, offset=2)
        .with_columns(pl.col(ROW).cast(pl.Int64))
        .select(ROW, *[pl.col(h).alias(c) for h, c in renames.items()])
    )
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in renames.values()])
    # drop blank rows at the end only: an interior blank row is still a row the user sees
    last = frame.filter(~blank).select(pl.col(ROW).max()).item()
    frame = frame.filter(pl.col(ROW) <= (last if last is not None else 0))
    return Table(file=p, frame=frame, headers=headers, unknown=unknown)
