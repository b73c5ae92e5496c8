"""What frames every batch report: the batch as the notice schedules it (top) and the reproducibility footer (bottom)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit import __version__
from examkit.core.i18n import get_lang, label, t
from examkit.intake.registration_model import make_context
from examkit.intake.registrations import registration_files
from examkit.io.tables import read_table
from examkit.io.write import sha256_file
from examkit.report.tables import HTMLBlock
from examkit.settings.rubrics import load_rubric

if TYPE_CHECKING:
    from examkit.session.batch import BatchSession


# Parameters naming input files, in the order the footer lists them.
INPUT_KEYS = ("registrations", "registrations_dir", "schools", "payments", "scores", "gradebook")


def _shown_path(path: Path, base: Path | None) -> str:
    """A path as the footer shows it: relative to the project folder when inside it, else its name."""
    try:
        return path.resolve().relative_to(base).as_posix() if base else path.name
    except ValueError:
        return path.name


def _year_registration_files(folder: Path, session: BatchSession) -> list[Path]:
    """The registrations files the year so far reads: the same rule as ``session.year_registrations``
    (registration files of batches up to this one, plus files not named after a batch)."""
    words = make_context(notice=session.notice).batch_words()
    return [f for f in registration_files(folder) if (words.get(f.stem.strip()) or "") <= session.batch_id]


def input_files(session: BatchSession) -> list[tuple[str, Path]]:
    """(what, file) for every input file of the batch that exists, folders expanded to their files."""
    out: list[tuple[str, Path]] = []
    for key in INPUT_KEYS:
        p = session.path(key)
        if p is None or not p.exists():
            continue
        if key == "registrations_dir" and p.is_dir():
            out.extend((key, f) for f in _year_registration_files(p, session))
        elif p.is_dir():
            out.extend((key, f) for f in sorted(p.iterdir()) if f.is_file() and not f.name.startswith((".", "~$")))
        else:
            out.append((key, p))
    seen: set[Path] = set()
    unique = []
    for key, f in out:  # this batch's file is also in the year's folder: list it once
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append((key, f))
    return unique


def footer_rows(session: BatchSession) -> list[tuple[str, str, str]]:
    """(what, file, SHA-256) for the parameters file, every input file and the rubric."""
    params_file = session.path("params_file")
    base = params_file.resolve().parent.parent if params_file else None
    rows: list[tuple[str, str, str]] = []
    if params_file and params_file.is_file():
        rows.append((t("report.params_file"), _shown_path(params_file, base), sha256_file(params_file)))
    for key, f in input_files(session):
        rows.append((t(f"report.input_{key}"), _shown_path(f, base), sha256_file(f)))
    try:
        rubric = load_rubric(session.batch.level, session.settings_dir)
        rows.append((t("report.rubric"), _shown_path(rubric.file, base), sha256_file(rubric.file)))
        rows.append((t("report.rubric_items"), "", rubric.sha256))
    except Exception as exc:  # the footer reports a broken rubric, it does not fail the report
        rows.append((t("report.rubric"), t("report.unavailable", error=type(exc).__name__), ""))
    return rows


def footer(session: BatchSession) -> HTMLBlock:
    """The reproducibility footer: batch, parameters file, input hashes, version, run time."""
    now = dt.datetime.now().astimezone()
    seconds = max(0.0, (now - session.started).total_seconds())
    facts = [
        (t("report.batch"), session.batch_id),
        (t("report.lang"), session.lang),
        (t("report.version"), f"examkit {__version__}"),
        (t("report.run_at"), f"{session.started:%Y-%m-%d %H:%M:%S %z}"),
        (t("report.run_seconds"), f"{seconds:.1f}"),
    ]
    items = "".join(f"<li><b>{html.escape(k)}</b>：{html.escape(v)}</li>" for k, v in facts)
    files = "".join(
        f'<li><span class="ek-what">{html.escape(what)}</span> <span class="ek-file">{html.escape(name)}</span>'
        f"<br><code>{digest}</code></li>"
        for what, name, digest in footer_rows(session)
    )
    return HTMLBlock(
        f'<footer class="ek-footer" lang="{html.escape(get_lang())}">'
        f"<h2>{html.escape(t('report.footer_title'))}</h2><ul>{items}</ul>"
        f"<h3>{html.escape(t('report.sha256_title'))}</h3>"
        f'<ul class="ek-hashes" style="list-style:none;padding-left:0">{files}</ul>'
        f'<p class="ek-note">{html.escape(t("report.footer_note"))}</p></footer>'
    )


def batch_summary(session: BatchSession):
    """The batch as the notice schedules it, and how many rows its registrations file holds."""

    b, lv = session.batch, session.notice.level(session.batch.level)
    rows = 0
    reg = session.path("registrations")
    if reg is not None:
        rows = read_table(reg, "registrations").frame.height
    return pl.DataFrame(
        {
            t("session.field"): [
                t("labels.batch"),
                t("labels.level"),
                t("session.exam"),
                t("session.registration"),
                t("session.rows"),
            ],
            t("session.value"): [
                f"{b.id} {b.name_zh}",
                label(b.level),
                f"{b.exam_start:%Y-%m-%d %H:%M}–{b.exam_end:%H:%M}（{lv.duration_min} min, {label(lv.form)}）",
                f"{b.registration_open} ~ {b.registration_close}",
                str(rows),
            ],
        }
    )
