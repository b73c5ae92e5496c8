"""Writing outputs atomically (a temporary file beside the target, then one rename): text, csv, xlsx, findings."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from examkit.core.findings import Finding, findings_frame, findings_json
from examkit.io.xlsx_print import PrintSetup, apply_print_setup, column_widths


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


def write_xlsx(sheets: dict[str, pl.DataFrame], path: str | os.PathLike, *, title: str | None = None) -> None:
    """One xlsx with a sheet per entry, written atomically; each prints one page wide with its
    header row on every page and ``title`` (then the sheet's name) in the page header."""
    import xlsxwriter  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    with atomic_path(path) as tmp:
        with xlsxwriter.Workbook(str(tmp)) as wb:
            for name, frame in sheets.items():
                frame.write_excel(wb, worksheet=_sheet_name(name), autofit=False)
                setup = PrintSetup(" ".join(filter(None, (title, name))), widths=column_widths(frame))
                apply_print_setup(wb.get_worksheet_by_name(_sheet_name(name)), setup, last_col=frame.width - 1)


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


def write_findings(findings: Iterable[Finding], path: str | os.PathLike) -> None:
    """Write findings atomically: ``.json`` as JSON, anything else as CSV that Excel opens (UTF-8 BOM)."""
    items = list(findings)
    if str(path).lower().endswith(".json"):
        atomic_write_text(path, findings_json(items))
    else:
        write_csv(findings_frame(items), path)
