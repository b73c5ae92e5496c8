"""One batch as a notebook sees it: its parameters, the notice, and its data, loaded once.

Notebooks call ``open_batch(**parameters)`` and display what it offers; no logic in notebooks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from examkit.i18n import set_lang
from examkit.notice import Batch, Notice, notice_for_batch


@dataclass
class BatchSession:
    """Lazily loaded data of one batch; each property reads its input once."""

    batch_id: str
    params: dict = field(default_factory=dict)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())

    @cached_property
    def notice(self) -> Notice:
        return notice_for_batch(self.batch_id)

    @cached_property
    def batch(self) -> Batch:
        return self.notice.batch(self.batch_id)

    @property
    def lang(self) -> str:
        return str(self.params.get("lang") or "zh")

    @property
    def settings_dir(self) -> Path | None:
        s = self.params.get("settings_dir")
        return Path(s) if s else None

    def path(self, key: str) -> Path | None:
        v = self.params.get(key)
        return Path(v) if v else None


def open_batch(batch: str, **params: object) -> BatchSession:
    """Start a batch report: set the language and return the session."""
    from examkit.display import setup

    lang = str(params.get("lang") or "zh")
    set_lang(lang)
    setup(lang)
    return BatchSession(batch_id=str(batch), params={"batch": batch, **params})


def batch_summary(session: BatchSession):
    """The batch as the notice schedules it, and how many rows its registrations file holds."""
    import polars as pl

    from examkit.i18n import label, t
    from examkit.iorw import read_table

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
