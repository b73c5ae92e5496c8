"""Reading the files users have (xlsx, csv in UTF-8/GBK) and writing outputs atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from examkit.core.exceptions import InputError, os_error_text
from examkit.core.i18n import t
from examkit.core.text import header_key
from examkit.settings.columns import load_columns

ROW = "_row"  # the row number as the user sees it in Excel (header = row 1)
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
_HEAD_CHARS = 20000  # the separator is guessed from the first lines within this many characters
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (WPS still saves it)
MAX_COLUMNS = 1000  # wider rows are cut: no registration template comes close
HEADER_SEARCH_ROWS = 10  # the header may sit below a title row or two
_FIRST_ROWS = 256  # rows looked at first when only a few (from the start or the end) are needed


# --------------------------------------------------------------------------- writing


# --------------------------------------------------------------------------- column mapping


# --------------------------------------------------------------------------- reading


@dataclass
class Table:
    """A table as read: canonical column names, every cell a string, plus the Excel row number."""

    file: Path
    frame: pl.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # canonical → header as the user wrote it
    unknown: list[str] = field(default_factory=list)  # headers that matched no canonical column
    header_row: int = 1  # the Excel row holding the header (a title row above it is skipped)

    def header(self, column: str) -> str:
        """The user's own name for ``column`` (falls back to the canonical name)."""
        return self.headers.get(column, column)


def read_grid(path: str | os.PathLike) -> pl.DataFrame:
    """Every cell of the first sheet as a string, no header (columns ``c0``, ``c1``…);
    grid row ``i`` is Excel row ``i + 1``. Raises ``InputError``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(t("io.cannot_open", file=str(p), error=os_error_text(exc)), file=str(p)) from None
    if not data.strip(b" \t\r\n\x00"):
        raise InputError(t("io.empty", file=str(p)), file=str(p))
    grid = _read_xlsx(p) if data.startswith((_ZIP_MAGIC, _OLE2_MAGIC)) else _read_csv(p, data)
    return grid.rename({c: f"c{i}" for i, c in enumerate(grid.columns)})


def read_raw(path: str | os.PathLike) -> pl.DataFrame:
    """Every cell as a string, the first non-blank row as header, no rows dropped; raises ``InputError``."""
    p = Path(path)
    grid = read_grid(p)
    rows = _nonblank_rows(grid, 1)
    if not rows:
        raise InputError(t("io.empty", file=str(p)), file=str(p))
    return _body(grid, rows[0])[0]


def _nonblank_rows(grid: pl.DataFrame, limit: int | None = None) -> list[int]:
    """Indices of the grid's rows holding at least one non-blank cell (the first ``limit`` of them)."""
    if grid.width == 0:
        return []
    if limit is not None and grid.height > _FIRST_ROWS:  # the first rows usually hold them: look there first
        found = _nonblank_rows(grid.head(_FIRST_ROWS), limit)
        if len(found) >= limit:
            return found
    filled = pl.any_horizontal([pl.col(c).str.strip_chars().str.len_chars() > 0 for c in grid.columns]).fill_null(False)
    idx = grid.lazy().with_row_index("_i").filter(filled).select("_i")
    if limit is not None:
        idx = idx.head(limit)
    return idx.collect(engine="in-memory")["_i"].to_list()


def _last_filled(frame: pl.DataFrame, columns: list[str]) -> int | None:
    """The largest ``ROW`` of ``frame`` with a non-blank cell in ``columns`` (looked for from the end)."""
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in columns])
    size = _FIRST_ROWS
    while True:
        last = frame.tail(size).filter(~blank).select(pl.col(ROW).max()).item()
        if last is not None or size >= frame.height:
            return last
        size *= 16


def _header_names(cells: tuple) -> list[str]:
    """Header cells as unique names: stripped, blanks named by position, repeats numbered."""
    names: list[str] = []
    for i, cell in enumerate(cells):
        name = " ".join(str(cell).split()) if cell is not None else ""
        name = name or f"__column_{i + 1}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _body(grid: pl.DataFrame, header_index: int) -> tuple[pl.DataFrame, list[str]]:
    """The rows below ``header_index``, columns named by that row's cells (also returned)."""
    names = _header_names(grid.row(header_index))
    body = grid.slice(header_index + 1).rename(dict(zip(grid.columns, names, strict=True)))
    return body, names


def _read_xlsx(p: Path) -> pl.DataFrame:
    import fastexcel  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    try:
        reader = fastexcel.read_excel(str(p))
        if not reader.sheet_names:
            raise InputError(t("io.empty", file=str(p)), file=str(p))
        # no header row and skip_rows=0: the grid starts at Excel row 1 even when the first rows are empty
        frame = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except InputError:
        raise
    except Exception as exc:  # fastexcel raises many unrelated types for corrupt files
        raise InputError(t("io.not_a_table", file=str(p), error=str(exc)[:200]), file=str(p)) from None
    return frame.select(pl.all().cast(pl.String))


_UTF8_BOM = b"\xef\xbb\xbf"
_SEPARATORS = (",", "\t", ";")


def _bad_encoding(p: Path) -> InputError:
    accepted = "UTF-8, UTF-8 BOM, GBK/GB18030, UTF-16 BOM"
    return InputError(t("io.bad_encoding", file=str(p), accepted=accepted), file=str(p))


def _utf8_head(data: bytes, start: int) -> str | None:
    """The first characters of UTF-8 ``data`` from ``start`` (a character cut at the end dropped), None if not UTF-8."""
    head = data[start : start + 4 * _HEAD_CHARS]
    try:
        return head.decode("utf-8")[:_HEAD_CHARS]
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data" or start + len(head) >= len(data):
            return None
        return head[: exc.start].decode("utf-8")[:_HEAD_CHARS]  # a character cut in two at the end


def _transcode(p: Path, data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes (no BOM) of a file in one of the accepted encodings, and its first characters.

    Raises ``InputError`` for an encoding that is none of them, or a NUL character."""
    encodings = ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else CSV_ENCODINGS
    for enc in encodings:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _bad_encoding(p)
    if "\x00" in text:
        raise InputError(t("io.not_a_table", file=str(p), error="NUL"), file=str(p))
    return text.encode("utf-8"), text[:_HEAD_CHARS]


def _separator(head: str) -> str:
    """The separator of a delimited text: the most frequent of , tab ; in its first lines (``head``: its start)."""
    lines = head.split("\n")[:12]
    counts = {sep: sum(line.count(sep) for line in lines) for sep in _SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _width(data: bytes, sep: str) -> int:
    """1 + the most separators on one line of UTF-8 ``data`` (quotes not considered), at most ``MAX_COLUMNS``."""
    import numpy as np  # noqa: PLC0415  only for csv files

    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    seps = np.flatnonzero(raw == ord(sep))
    if seps.size == 0:
        return 1
    per_line = np.diff(np.searchsorted(seps, np.concatenate(([0], ends, [raw.size]))))
    return min(int(per_line.max()) + 1, MAX_COLUMNS)


def _read_csv(p: Path, data: bytes) -> pl.DataFrame:
    """A delimited text as a string grid. UTF-8 (with or without BOM) goes to polars as it is (polars checks
    that it is UTF-8 and drops the BOM); only a UTF-16 or GB18030 file is transcoded, once."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    head = None if utf16 else _utf8_head(data, len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0)
    if head is None or b"\x00" in data:
        data, head = _transcode(p, data)
    try:
        return _parse_csv(p, data, head)
    except _NotUtf8 as exc:
        error = exc.input_error
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:  # UTF-8 at the start only: GB18030 after all
        data, head = _transcode(p, data)
        return _parse_csv(p, data, head)
    raise error


class _NotUtf8(Exception):
    """polars complained about UTF-8 (``input_error``: what to say if the file is UTF-8 all the same)."""

    def __init__(self, input_error: InputError) -> None:
        super().__init__(str(input_error))
        self.input_error = input_error


def _parse_csv(p: Path, data: bytes, head: str) -> pl.DataFrame:
    if b"\n" not in data:
        data, head = data.replace(b"\r", b"\n"), head.replace("\r", "\n")  # classic Mac line ends
    sep = _separator(head)
    width = _width(data, sep)
    try:
        return pl.read_csv(
            data,
            has_header=False,
            separator=sep,
            schema={f"c{i}": pl.String for i in range(width)},
            missing_columns="insert",
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except Exception as exc:  # polars raises ComputeError/NoDataError/… for junk
        error = InputError(t("io.not_a_table", file=str(p), error=str(exc).splitlines()[0][:200]), file=str(p))
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            raise _NotUtf8(error) from None
        raise error from None


def read_table(path: str | os.PathLike, kind: str, columns: dict | None = None, *, keep_unknown: bool = False) -> Table:
    """Read ``path`` and map its headers to the canonical columns of ``kind``.

    The header is the first row (of the first few non-blank ones) holding a known header, so a
    title row above it is fine. Raises ``InputError`` when the file is unusable or no header is
    recognisable. Blank trailing rows are dropped; interior rows keep their Excel row numbers.
    ``keep_unknown`` also keeps the unrecognised columns, under their header text.
    """
    p = Path(path)
    mapping = (columns or load_columns())[kind]
    grid = read_grid(p)
    candidates = _nonblank_rows(grid, HEADER_SEARCH_ROWS)
    if not candidates:
        raise InputError(t("io.empty", file=str(p)), file=str(p))
    lookup = {header_key(h): col for col, hs in mapping.items() for h in [col, *hs]}
    header_index = next(
        (i for i in candidates if any(header_key(c) in lookup for c in grid.row(i) if c is not None)), None
    )
    if header_index is None:
        cells = [" ".join(str(c).split()) for c in grid.row(candidates[0]) if c is not None and str(c).strip()]
        expected = ", ".join(hs[0] for hs in mapping.values())
        raise InputError(
            t(
                "io.no_header_at",
                file=str(p),
                row=candidates[0] + 1,
                found=", ".join(cells[:6])[:200],
                expected=expected,
            ),
            file=str(p),
        )
    body, names = _body(grid, header_index)
    renames: dict[str, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for h in names:
        col = lookup.get(header_key(h))
        if col and col not in headers:
            renames[h] = col
            headers[col] = h
        elif not h.startswith("__column_"):
            unknown.append(h)
    header_row = header_index + 1
    extra = [pl.col(h) for h in unknown] if keep_unknown else []
    frame = (
        body.with_row_index(ROW, offset=header_row + 1)
        .with_columns(pl.col(ROW).cast(pl.Int64))
        .select(ROW, *[pl.col(h).alias(c) for h, c in renames.items()], *extra)
    )
    # drop blank rows at the end only: an interior blank row is still a row the user sees
    last = _last_filled(frame, list(renames.values()))
    frame = frame.head(last - header_row if last is not None else 0)  # rows are numbered header_row + 1, + 2, …
    return Table(file=p, frame=frame, headers=headers, unknown=unknown, header_row=header_row)
