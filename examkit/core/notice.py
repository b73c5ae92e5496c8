"""The notice's facts as a typed API: schedule, levels, fees, marks.

Everything here is read from ``examkit/data/notice_<year>.yaml``; no fact of the
notice is written in code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from examkit.core.exceptions import NoticeError
from examkit.core.i18n import t
from examkit.core.money import format_yuan_plain, yuan_to_fen

LEVELS = ("junior", "intermediate", "senior")


@dataclass(frozen=True)
class Level:
    """One certificate level as the notice defines it."""

    code: str
    name_zh: str
    fee_fen: int
    form: str
    duration_min: int

    @property
    def has_theory(self) -> bool:
        return "theory" in self.form.split("+")


@dataclass(frozen=True)
class Batch:
    """One unified exam batch (统考批次)."""

    id: str
    name_zh: str
    level: str
    exam_start: dt.datetime
    exam_end: dt.datetime
    registration_open: dt.date
    registration_close: dt.date

    @property
    def exam_date(self) -> dt.date:
        return self.exam_start.date()

    @property
    def ordinal(self) -> int:
        return int(self.id.split("-")[1])

    def registration_contains(self, day: dt.date) -> bool:
        """True when ``day`` lies in the registration window, both ends inclusive."""
        return self.registration_open <= day <= self.registration_close


@dataclass(frozen=True)
class Notice:
    """The notice of one year: levels, batches, marks."""

    year: int
    title: str
    issuer: str
    issued_on: dt.date
    timezone: str
    full_mark: int
    pass_mark: int
    levels: dict[str, Level]
    batches: tuple[Batch, ...]

    def batch(self, batch_id: str) -> Batch:
        """The batch with this id (``2023-01``) or Chinese name (``2023年第一次统考``)."""
        key = str(batch_id).strip()
        for b in self.batches:
            if key in (b.id, b.name_zh):
                return b
        raise NoticeError(
            t("notice.unknown_batch", value=key, accepted=f"{self.batches[0].id} … {self.batches[-1].id}")
        )

    def batches_open_on(self, day: dt.date, level: str | None = None) -> list[Batch]:
        """Batches whose registration window contains ``day`` (windows overlap)."""
        return [b for b in self.batches if b.registration_contains(day) and level in (None, b.level)]

    def level(self, code: str) -> Level:
        try:
            return self.levels[code]
        except KeyError:
            raise NoticeError(t("notice.unknown_level", value=code, accepted="|".join(self.levels))) from None

    def passes(self, total: float) -> bool:
        """Pass rule: total at or above the pass mark (60 passes)."""
        return total >= self.pass_mark

    def fee_fen(self, level: str, province: str | None = None, prices: dict | None = None) -> int:
        """Fee per person-time in fen: the province's published price if given, else the notice's."""
        if prices and province and province in prices and level in prices[province]:
            return int(prices[province][level])
        return self.level(level).fee_fen


def _parse(raw: dict) -> Notice:
    levels = {
        code: Level(
            code=code,
            name_zh=v["name_zh"],
            fee_fen=yuan_to_fen(v["fee_cny"]),
            form=v["form"],
            duration_min=int(v["duration_min"]),
        )
        for code, v in raw["levels"].items()
    }
    batches = tuple(
        Batch(
            id=str(b["batch"]),
            name_zh=b["name_zh"],
            level=b["level"],
            exam_start=dt.datetime.fromisoformat(b["exam_start"]),
            exam_end=dt.datetime.fromisoformat(b["exam_end"]),
            registration_open=b["registration_open"],
            registration_close=b["registration_close"],
        )
        for b in raw["batches"]
    )
    return Notice(
        year=int(raw["year"]),
        title=raw["title"],
        issuer=raw["issuer"],
        issued_on=raw["issued_on"],
        timezone=raw["timezone"],
        full_mark=int(raw["full_mark"]),
        pass_mark=int(raw["pass_mark"]),
        levels=levels,
        batches=batches,
    )


def available_years() -> list[int]:
    """Years for which the package carries a notice."""
    files = resources.files("examkit.data").iterdir()
    return sorted(int(f.name[7:11]) for f in files if f.name.startswith("notice_") and f.name.endswith(".yaml"))


@cache
def load_notice(year: int = 2023) -> Notice:
    """The notice of ``year`` as shipped in the package."""
    if year not in available_years():
        raise NoticeError(t("notice.unknown_year", value=year, accepted=", ".join(map(str, available_years()))))
    text = resources.files("examkit.data").joinpath(f"notice_{year}.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text))


def notice_for_batch(batch_id: str) -> Notice:
    """The notice that schedules ``batch_id`` (its year is the id's prefix)."""
    year = str(batch_id).strip()[:4]
    if not year.isdigit():
        raise NoticeError(t("notice.unknown_batch", value=batch_id, accepted="YYYY-NN"))
    return load_notice(int(year))


SCHEDULE_COLUMNS = (
    "batch",
    "level",
    "exam_start",
    "exam_end",
    "registration_open",
    "registration_close",
    "fee_cny",
    "form",
    "duration_min",
)


def schedule_rows(notice: Notice) -> list[dict]:
    """One dict per batch with the columns of ``examkit schedule``."""
    return [
        {
            "batch": b.id,
            "level": b.level,
            "exam_start": b.exam_start.isoformat(timespec="minutes"),
            "exam_end": b.exam_end.isoformat(timespec="minutes"),
            "registration_open": b.registration_open.isoformat(),
            "registration_close": b.registration_close.isoformat(),
            "fee_cny": format_yuan_plain(notice.levels[b.level].fee_fen),
            "form": notice.levels[b.level].form,
            "duration_min": notice.levels[b.level].duration_min,
        }
        for b in notice.batches
    ]
