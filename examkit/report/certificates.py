"""Certificate numbers (证书编号) from a configurable layout, province codes, and the issue list.

The notice says certificates carry a unique national number (R12) but not how it is built.
The layout lives in ``params/policy.yaml`` → ``certificate_number`` and the shipped one is a
LABELLED EXAMPLE, not the national coding rule. A layout is a ``str.format`` template over
these parts:

- ``{year}``: the exam year of the batch (four digits);
- ``{level_code}``: the level's code from ``level_codes``;
- ``{province_code}``: the GB/T 2260 two-digit code of the site's province;
- ``{site_code}``: the exam site code (letters and digits);
- ``{serial:0Nd}``: a serial of exactly N digits, counted within the other parts (its *scope*).

Numbers are allocated and kept unique by the gradebook's certificate register.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit.core import privacy
from examkit.core.certificates import IssueResult
from examkit.core.i18n import label, t
from examkit.io.write import write_csv, write_xlsx
from examkit.settings.policy import load_layout

if TYPE_CHECKING:
    from examkit.store.gradebook import Gradebook


# --------------------------------------------------------------------------- provinces


# --------------------------------------------------------------------------- layout


# --------------------------------------------------------------------------- issue list


ISSUE_COLUMNS = (
    "certificate_no",
    "candidate_no",
    "name",
    "id_number",
    "level",
    "batch",
    "province",
    "site_code",
    "total",
    "issued_on",
)


def issue_list(register: pl.DataFrame, *, masked: bool, lang: str | None = None) -> pl.DataFrame:
    """The issue list with catalogued headers; ``masked`` hides names and ID numbers (for leadership)."""
    return _shown(register, ISSUE_COLUMNS, "certificate_no", masked, lang)


def _shown(frame: pl.DataFrame, columns: tuple[str, ...], by: str, masked: bool, lang: str | None) -> pl.DataFrame:
    """``columns`` of ``frame`` sorted by ``by``, masked if asked, levels labelled, headers from the catalog."""
    out = frame.select([c for c in columns if c in frame.columns]).sort(by)
    if masked:
        out = _mask(out)
    if "level" in out.columns:
        levels = out.get_column("level").unique().to_list()
        out = out.with_columns(pl.col("level").replace_strict({lv: label(lv, lang) for lv in levels}))
    return out.rename({c: t(f"certificates.col_{c}", lang) for c in out.columns})


def _mask(frame: pl.DataFrame) -> pl.DataFrame:
    # column by column: privacy.mask_frame would also scrub 18-digit certificate numbers as if they were IDs
    maskers = {"name": privacy.mask_name, "id_number": privacy.mask_id}
    exprs = [mask(pl.col(c)).alias(c) for c, mask in maskers.items() if c in frame.columns]
    return frame.with_columns(exprs) if exprs else frame


def write_issue_list(
    register: pl.DataFrame,
    out_dir: str | os.PathLike,
    batch: str,
    *,
    held: pl.DataFrame | None = None,
    lang: str | None = None,
) -> dict[str, Path]:
    """The platform's issue list (full data, xlsx + csv) and the leadership copy (masked xlsx); returns the paths."""
    out = Path(out_dir)
    full = issue_list(register, masked=False, lang=lang)
    sheets = {t("certificates.sheet_issued", lang): full}
    if held is not None and held.height:
        sheets[t("certificates.sheet_held", lang)] = held_list(held, masked=False, lang=lang)
    paths = {
        "xlsx": out / f"certificates_{batch}.xlsx",
        "csv": out / f"certificates_{batch}.csv",
        "masked": out / f"certificates_{batch}_masked.xlsx",
    }
    write_xlsx(sheets, paths["xlsx"], title=batch)
    write_csv(full, paths["csv"])
    masked = {t("certificates.sheet_issued", lang): issue_list(register, masked=True, lang=lang)}
    if held is not None and held.height:
        masked[t("certificates.sheet_held", lang)] = held_list(held, masked=True, lang=lang)
    write_xlsx(masked, paths["masked"], title=batch)
    return paths


HELD_COLUMNS = ("candidate_no", "name", "id_number", "level", "held_certificate_no", "held_batch")


def held_list(held: pl.DataFrame, *, masked: bool, lang: str | None = None) -> pl.DataFrame:
    """Passers who got no certificate because they already hold this level, with the certificate they hold."""
    return _shown(held, HELD_COLUMNS, "candidate_no", masked, lang)


# --------------------------------------------------------------------------- issuing (through the gradebook)


def issue_batch(
    gradebook: Gradebook,
    batch: str,
    on: dt.date,
    *,
    by: str,
    out_dir: str | os.PathLike | None = None,
    params_dir: str | os.PathLike | None = None,
    lang: str | None = None,
) -> tuple[IssueResult, dict[str, Path]]:
    """Issue ``batch``'s certificates in ``gradebook`` on ``on`` and write the issue lists (whole batch)."""
    result = gradebook.issue_certificates(batch, on, layout=load_layout(params_dir), by=by)
    out = Path(out_dir) if out_dir else gradebook.path.parent / "certificates"
    paths = write_issue_list(gradebook.certificate_register(batch), out, batch, held=result.held, lang=lang)
    return result, paths
