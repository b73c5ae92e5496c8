"""The notice's facts as a typed API: schedule, levels, fees, marks.

Everything here is read from ``notice_<year>.yaml``: shipped in ``examkit/data/``, or imported
into a project's ``params/notices/`` (``add_notice_dir``); no fact of the notice is written in code.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from examkit.core.exceptions import NoticeError, os_error_text
from examkit.core.i18n import t
from examkit.core.money import format_yuan_plain, yuan_to_fen
from examkit.core.yamltext import parse_yaml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

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


class _Fields:
    """Reads a notice file's values, turning a missing or malformed one into a ``NoticeError`` naming file and key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def get(self, mapping: object, key: str, where: str) -> object:
        if not isinstance(mapping, dict) or mapping.get(key) is None:
            raise NoticeError(t("notice.missing_key", file=self.source, key=where))
        return mapping[key]

    def convert(self, mapping: object, key: str, where: str, kind: Callable[[Any], Any]) -> Any:
        value = self.get(mapping, key, where)
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise NoticeError(t("notice.bad_value", file=self.source, key=where, value=value)) from None


def _date(value: object) -> dt.date:
    """A date as YAML reads it (``2023-03-05`` unquoted) or as text (quoted)."""
    if isinstance(value, dt.datetime):
        raise TypeError(value)
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _datetime(value: object) -> dt.datetime:
    """A date and time as text (``"2023-04-15T09:00"``) or as YAML reads one with seconds."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _parse(raw: dict, source: str | None = None) -> Notice:
    """A ``Notice`` from the mapping of a ``notice_YYYY.yaml``; ``source`` names the file in errors."""
    if not isinstance(raw, dict):
        raise NoticeError(t("notice.not_mapping", file=source or "notice_YYYY.yaml"))
    source = source or f"notice_{raw.get('year', 'YYYY')}.yaml"
    f = _Fields(source)
    year = f.convert(raw, "year", "year", int)
    head = {
        "title": str(f.get(raw, "title", "title")),
        "issuer": str(f.get(raw, "issuer", "issuer")),
        "issued_on": f.convert(raw, "issued_on", "issued_on", _date),
        "timezone": str(f.get(raw, "timezone", "timezone")),
        "full_mark": f.convert(raw, "full_mark", "full_mark", int),
        "pass_mark": f.convert(raw, "pass_mark", "pass_mark", int),
    }
    raw_levels = f.get(raw, "levels", "levels")
    if not isinstance(raw_levels, dict):
        raise NoticeError(t("notice.bad_value", file=source, key="levels", value=raw_levels))
    levels = {}
    for code, v in raw_levels.items():
        where = f"levels.{code}"
        levels[str(code)] = Level(
            code=str(code),
            name_zh=str(f.get(v, "name_zh", f"{where}.name_zh")),
            fee_fen=f.convert(v, "fee_cny", f"{where}.fee_cny", yuan_to_fen),
            form=str(f.get(v, "form", f"{where}.form")),
            duration_min=f.convert(v, "duration_min", f"{where}.duration_min", int),
        )
    raw_batches = f.get(raw, "batches", "batches")
    if not isinstance(raw_batches, list) or not raw_batches:
        raise NoticeError(t("notice.bad_value", file=source, key="batches", value=raw_batches))
    batches = []
    for i, b in enumerate(raw_batches, start=1):
        where = f"batches[{i}]"
        batch = Batch(
            id=str(f.get(b, "batch", f"{where}.batch")),
            name_zh=str(f.get(b, "name_zh", f"{where}.name_zh")),
            level=str(f.get(b, "level", f"{where}.level")),
            exam_start=f.convert(b, "exam_start", f"{where}.exam_start", _datetime),
            exam_end=f.convert(b, "exam_end", f"{where}.exam_end", _datetime),
            registration_open=f.convert(b, "registration_open", f"{where}.registration_open", _date),
            registration_close=f.convert(b, "registration_close", f"{where}.registration_close", _date),
        )
        if not re.fullmatch(rf"{year}-\d{{2}}", batch.id):  # notice_for_batch finds a batch by its id's year
            raise NoticeError(t("notice.bad_value", file=source, key=f"{where}.batch", value=batch.id))
        if batch.level not in levels:
            raise NoticeError(t("notice.bad_value", file=source, key=f"{where}.level", value=batch.level))
        batches.append(batch)
    return Notice(year=year, **head, levels=levels, batches=tuple(batches))


# --------------------------------------------------------------------------- where notices are found

NOTICE_FILE = re.compile(r"notice_(\d{4})\.yaml")
_dirs: list[Path] = []  # extra folders holding notice_YYYY.yaml, the one searched first at the front


def add_notice_dir(path: str | os.PathLike) -> None:
    """Also look for ``notice_YYYY.yaml`` in ``path`` (e.g. ``params/notices``), before the shipped notices.

    The folder added last is searched first; adding one again moves it to the front. The folder
    need not exist yet. The loaded notices are forgotten, so the next ``load_notice`` reads afresh.
    """
    folder = Path(path).resolve()
    if folder in _dirs:
        _dirs.remove(folder)
    _dirs.insert(0, folder)
    _load.cache_clear()


def notice_dirs() -> tuple[Path, ...]:
    """The extra folders searched for notices, the first searched first."""
    return tuple(_dirs)


def clear_notice_dirs() -> None:
    """Forget every folder added with ``add_notice_dir``: only the shipped notices remain."""
    _dirs.clear()
    _load.cache_clear()


def _notice_files() -> dict[int, Traversable]:
    """Year → the file its notice is read from: a folder's copy wins over the shipped one."""
    found: dict[int, Traversable] = {}
    for f in resources.files("examkit.data").iterdir():
        m = NOTICE_FILE.fullmatch(f.name)
        if m:
            found[int(m.group(1))] = f
    for folder in reversed(_dirs):  # the front of the list last, so that it wins
        try:
            names = sorted(folder.iterdir()) if folder.is_dir() else []
        except OSError:  # an unreadable folder holds no notice we could use
            names = []
        for f in names:
            m = NOTICE_FILE.fullmatch(f.name)
            if m and f.is_file():
                found[int(m.group(1))] = f
    return found


def available_years() -> list[int]:
    """Years with a notice: shipped in the package or found in a folder added with ``add_notice_dir``."""
    return sorted(_notice_files())


def latest_year() -> int:
    """The latest year with a notice (the default wherever a year is not given)."""
    return max(_notice_files())


def notice_source(year: int) -> str:
    """The file the notice of ``year`` is read from; ``NoticeError`` when no notice covers that year."""
    return str(_notice_file(year))


def _notice_file(year: int) -> Traversable:
    files = _notice_files()
    if year not in files:
        raise NoticeError(t("notice.unknown_year", value=year, accepted=", ".join(map(str, sorted(files)))))
    return files[year]


def load_notice(year: int | None = None) -> Notice:
    """The notice of ``year`` (default: the latest year available), from a notices folder, else as shipped."""
    return _load(latest_year() if year is None else int(year))


@cache
def _load(year: int) -> Notice:
    path = _notice_file(year)
    source = str(path)
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NoticeError(t("notice.cannot_read", file=source, error=os_error_text(exc))) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise NoticeError(t("notice.bad_yaml", file=source, error=str(exc).splitlines()[0])) from None
    notice = _parse(raw, source)
    if notice.year != year:
        raise NoticeError(t("notice.wrong_year", file=source, found=notice.year, year=year))
    return notice


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
