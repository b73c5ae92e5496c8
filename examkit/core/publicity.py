"""Results publicity (公示, R11): the period, a batch's stage, dates a user types, and review requests as records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.notice import load_notice, notice_for_batch

STAGES = ("grading", "scheduled", "publicity", "ended", "certified")


@dataclass(frozen=True)
class PublicityPeriod:
    """A publicity period: ``days`` calendar days starting on (and including) the publish date."""

    published_on: dt.date
    days: int

    @property
    def first_day(self) -> dt.date:
        return self.published_on

    @property
    def last_day(self) -> dt.date:
        return self.published_on + dt.timedelta(days=self.days - 1)

    @property
    def certificates_from(self) -> dt.date:
        """The first day on which certificates may be issued (the day after the last day)."""
        return self.last_day + dt.timedelta(days=1)

    def contains(self, day: dt.date) -> bool:
        """True when ``day`` lies in the period, both ends inclusive."""
        return self.first_day <= day <= self.last_day

    def has_ended(self, day: dt.date) -> bool:
        """True from the day after the last day on."""
        return day > self.last_day


def days_text(days: int, lang: str | None = None) -> str:
    """``days`` with its unit ("1 day", "7 days"; "7 天")."""
    return t("publicity.n_days_one" if days == 1 else "publicity.n_days", lang, n=days)


def today(batch_id: str | None = None) -> dt.date:
    """Today's date in the notice's time zone (Beijing time), falling back to the local date."""
    notice = notice_for_batch(batch_id) if batch_id else load_notice()
    try:
        return dt.datetime.now(ZoneInfo(notice.timezone)).date()
    except Exception:  # no time-zone database on this machine
        return dt.date.today()


def parse_date(value: str | dt.date, what: str = "--on") -> dt.date:
    """A date from ``YYYY-MM-DD`` (also ``YYYY/MM/DD``); ``ConfigError`` naming what is accepted."""
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(t("publicity.bad_date", what=what, value=value)) from None


def refuse_future(on: dt.date, now: dt.date, what: str = "--on") -> None:
    """A date typed for something that has happened (a request, an issue) cannot be later than today."""
    if on > now:
        raise ConfigError(t("publicity.future_date", what=what, on=on.isoformat(), today=now.isoformat()))


def check_request_date(
    on: dt.date, now: dt.date, period: PublicityPeriod | None, reason: str | None, batch: str
) -> str | None:
    """Check a review request's date against today; returns the reason to record.

    Refused: a date later than today; and, once the period has ended, a back-dated request
    (``on`` before today) without a reason. A back-dated request with a reason is recorded with
    the reason marked as a late entry. Whether ``on`` lies in the period is the gradebook's check.
    """
    refuse_future(on, now)
    reason = (reason or "").strip() or None
    if on < now and period is not None and period.has_ended(now):
        if reason is None:
            raise ConfigError(
                t("publicity.backdated_no_reason", batch=batch, on=on.isoformat(), last=period.last_day.isoformat())
            )
        return t("publicity.backdated_reason", recorded_on=now.isoformat(), reason=reason)
    return reason


@dataclass(frozen=True)
class Stage:
    """Where a batch is: grading → publicity until DATE → certificates issued."""

    code: str
    period: PublicityPeriod | None = None
    issued_on: dt.date | None = None
    issued: int = 0

    def label(self, lang: str | None = None) -> str:
        p = self.period
        fields: dict[str, object] = {}
        if p is not None:
            fields = {"first": p.first_day.isoformat(), "last": p.last_day.isoformat(), "days": days_text(p.days, lang)}
        if self.issued_on is not None:
            fields |= {"issued_on": self.issued_on.isoformat(), "count": self.issued}
        return t(f"publicity.stage_{self.code}", lang, **fields)


def stage_of(
    period: PublicityPeriod | None, day: dt.date, *, issued_on: dt.date | None = None, issued: int = 0
) -> Stage:
    """The stage on ``day`` of a batch published with ``period`` (None: not published) and certificates issued on ``issued_on``."""
    if period is None:
        return Stage("grading")
    if issued_on is not None:
        return Stage("certified", period, issued_on, issued)
    if day < period.first_day:
        return Stage("scheduled", period)
    if period.contains(day):
        return Stage("publicity", period)
    return Stage("ended", period)


@dataclass(frozen=True)
class Review:
    """One review request (复核) and, once decided, its outcome."""

    id: int
    batch: str
    candidate_no: str
    requested_by: str
    requested_on: dt.date
    old_status: str
    old_total: float | None
    old_passed: bool | None
    outcome: str | None = None  # None while open; "unchanged" | "changed"
    new_status: str | None = None
    new_total: float | None = None
    new_passed: bool | None = None

    @property
    def flip(self) -> str | None:
        """``fail_to_pass`` / ``pass_to_fail`` when the decision changed the pass status, else None."""
        if self.outcome is None or bool(self.old_passed) == bool(self.new_passed):
            return None
        return "fail_to_pass" if self.new_passed else "pass_to_fail"
