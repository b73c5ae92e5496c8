"""Results publicity (公示, R11): the period, a batch's stage, and the published list.

The notice says results are published for a publicity period and certificates are issued
after it ends, but not how long it lasts. The length is ``publicity_days`` in
``params/policy.yaml``, a LABELLED DEFAULT, not an official rule.

Decision (documented, tested): the period INCLUDES the publish date as its first day and
lasts ``publicity_days`` calendar days, so its last day is ``published_on + days - 1``.
Review requests are accepted on every day from the first to the last day inclusive; the
day after the last day the period has ended and certificates may be issued. Dates are
calendar dates in the notice's time zone (Beijing time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit.exceptions import ConfigError
from examkit.i18n import label, t

if TYPE_CHECKING:
    from examkit.display import HTMLBlock
    from examkit.gradebook import Gradebook
    from examkit.session import BatchSession

STAGES = ("grading", "scheduled", "publicity", "ended", "certified")


# --------------------------------------------------------------------------- the period


def publicity_days(params_dir: str | os.PathLike | None = None) -> int:
    """``publicity_days`` from ``policy.yaml`` (a labelled default), validated as a whole number of days ≥ 1."""
    from examkit.config import read_yaml
    from examkit.resources import settings_file

    path = settings_file("policy.yaml", params_dir)
    value = read_yaml(path).get("publicity_days")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(t("publicity.bad_days", file=str(path), value=value))
    return value


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
    from examkit.notice import load_notice, notice_for_batch

    notice = notice_for_batch(batch_id) if batch_id else load_notice()
    try:
        from zoneinfo import ZoneInfo

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


# --------------------------------------------------------------------------- the stage


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


# --------------------------------------------------------------------------- the list


def result_expr(lang: str | None = None) -> pl.Expr:
    """The result shown per candidate: pass / fail / absent / void / ungraded, as catalogued labels."""
    return (
        pl.when(pl.col("status") == "graded")
        .then(pl.when(pl.col("passed")).then(pl.lit(label("pass", lang))).otherwise(pl.lit(label("fail", lang))))
        .otherwise(
            pl.col("status").replace_strict({s: label(s, lang) for s in ("graded", "absent", "void", "ungraded")})
        )
    )


def publicity_list(results: pl.DataFrame, candidates: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """The list to publish: candidate number, masked name and ID, school, total, result (catalogued headers).

    ``results`` is the gradebook's results frame; ``candidates`` has ``candidate_no``, ``name``,
    ``id_number`` and optionally ``school_name``. Totals are shown only for graded candidates.
    """
    from examkit import privacy

    info = [c for c in ("candidate_no", "name", "id_number", "school_name") if c in candidates.columns]
    frame = (
        results.lazy()
        .join(candidates.lazy().select(info), on="candidate_no", how="left")
        .sort("candidate_no")
        .with_columns(
            pl.when(pl.col("status") == "graded").then(pl.col("total").round(2)).otherwise(None).alias("total"),
            result_expr(lang).alias("result"),
        )
        .collect()
    )
    maskers = {"name": privacy.mask_name, "id_number": privacy.mask_id}
    frame = frame.with_columns(mask(pl.col(c)).alias(c) for c, mask in maskers.items() if c in frame.columns)
    cols = [c for c in ("candidate_no", "name", "id_number", "school_name", "total", "result") if c in frame.columns]
    return frame.select(cols).rename({c: t(f"publicity.col_{c}", lang) for c in cols})


def publicity_html(frame: pl.DataFrame, *, title: str, lines: list[str], lang: str | None = None) -> str:
    """A self-contained HTML page (inline style, no network) showing ``frame`` under ``title``."""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{'' if v is None else esc(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    paras = "\n".join(f"<p>{esc(x)}</p>" for x in lines)
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if (lang or _lang()) == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
       margin: 1rem; color: #222; }}
h1 {{ font-size: 1.3rem; }}
p {{ margin: .3rem 0; }}
table {{ border-collapse: collapse; margin-top: .8rem; font-size: .9rem; }}
th, td {{ border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }}
th {{ background: #f2f2f2; position: sticky; top: 0; }}
tr:nth-child(even) td {{ background: #fafafa; }}
</style>
</head>
<body>
<h1>{esc(title)}</h1>
{paras}
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""


def _lang() -> str:
    from examkit.i18n import get_lang

    return get_lang()


def write_publicity_list(
    frame: pl.DataFrame, out_dir: str | os.PathLike, batch_id: str, period: PublicityPeriod, lang: str | None = None
) -> dict[str, Path]:
    """Write the publicity list as xlsx and self-contained HTML (both atomic); returns their paths."""
    from examkit.iorw import atomic_write_text, write_xlsx
    from examkit.notice import notice_for_batch

    b = notice_for_batch(batch_id).batch(batch_id)
    title = t("publicity.list_title", lang, batch=b.name_zh, level=label(b.level, lang))
    lines = [
        t("publicity.list_period", lang, first=period.first_day.isoformat(), last=period.last_day.isoformat()),
        t("publicity.list_review", lang, last=period.last_day.isoformat()),
        t("publicity.list_default_note", lang, days=period.days),
    ]
    out = Path(out_dir)
    paths = {"xlsx": out / f"publicity_{batch_id}.xlsx", "html": out / f"publicity_{batch_id}.html"}
    write_xlsx({t("publicity.sheet", lang): frame}, paths["xlsx"])
    atomic_write_text(paths["html"], publicity_html(frame, title=title, lines=lines, lang=lang))
    return paths


# --------------------------------------------------------------------------- review requests (records)


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


# --------------------------------------------------------------------------- command-line target


@dataclass(frozen=True)
class Target:
    """What a publish / review / certificates command works on."""

    batch: str
    gradebook: Path
    params_dir: Path | None
    lang: str | None = None


def resolve_target(args: argparse.Namespace) -> Target:
    """The batch id and gradebook from ``--gradebook G`` or the batch's params file (``--params``, default ``params/<batch>.yaml``)."""
    from examkit.config import load_batch_params
    from examkit.notice import notice_for_batch

    batch = notice_for_batch(args.batch).batch(args.batch).id
    params_dir = Path(args.params_dir) if getattr(args, "params_dir", None) else None
    if getattr(args, "gradebook", None):
        return Target(batch, _existing_gradebook(Path(args.gradebook), "--gradebook"), params_dir)
    pfile = Path(getattr(args, "params", None) or Path("params") / f"{batch}.yaml")
    if not pfile.is_file():
        raise ConfigError(t("publicity.no_target", file=str(pfile), batch=batch))
    values = load_batch_params(pfile).values
    if not values.get("gradebook"):
        raise ConfigError(t("config.missing_key", file=str(pfile), key="gradebook"))
    settings = values.get("settings_dir")
    gradebook = _existing_gradebook(Path(values["gradebook"]), str(pfile))
    return Target(batch, gradebook, params_dir or (Path(settings) if settings else None))


def _existing_gradebook(path: Path, source: str) -> Path:
    """``path`` if it is an existing gradebook file; a mistyped path is a ``ConfigError`` (nothing is created)."""
    if not path.is_file():
        raise ConfigError(t("publicity.no_gradebook", file=str(path), source=source))
    return path


def actor(args: argparse.Namespace) -> str:
    """Who runs the command (``--by``, else the login name)."""
    import getpass

    by = getattr(args, "by", None)
    if by:
        return str(by)
    try:
        return getpass.getuser()
    except Exception:  # no login name on this system
        return "examkit"


def publish_batch(
    gradebook: Gradebook,
    batch: str,
    on: dt.date,
    *,
    by: str,
    out_dir: str | os.PathLike | None = None,
    params_dir: str | os.PathLike | None = None,
    lang: str | None = None,
) -> tuple[PublicityPeriod, dict[str, Path]]:
    """Publish ``batch`` in ``gradebook`` on ``on`` (freezing its scores) and write the publicity list."""
    period = gradebook.publish(batch, on, days=publicity_days(params_dir), by=by)
    frame = publicity_list(gradebook.results(batch), gradebook.candidates(batch), lang)
    out = Path(out_dir) if out_dir else gradebook.path.parent / "publicity"
    return period, write_publicity_list(frame, out, batch, period, lang)


def cli_publish(args: argparse.Namespace) -> int:
    """``examkit publish --batch B --on DATE [--gradebook G | --params FILE] [--out DIR] [--by NAME]``."""
    import sys

    from examkit.gradebook import Gradebook

    target = resolve_target(args)
    on = parse_date(args.on)
    with Gradebook(target.gradebook) as gb:
        period, paths = publish_batch(
            gb, target.batch, on, by=actor(args), out_dir=args.out, params_dir=target.params_dir
        )
    days = days_text(period.days)
    print(t("publicity.published", batch=target.batch, first=period.first_day, last=period.last_day, days=days))
    for p in paths.values():
        print(f"  {p}")
    print(t("publicity.frozen_note"), file=sys.stderr)
    return 0


def _set_marks(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        item, sep, value = str(pair).partition("=")
        if not sep or not item.strip():
            raise ConfigError(t("publicity.bad_set", value=pair))
        out[item.strip()] = value.strip()
    return out


def cli_review(args: argparse.Namespace) -> int:
    """``examkit review request|decide|list``: record a review request, decide it with a re-mark, list them."""
    from examkit.gradebook import Gradebook

    target = resolve_target(args)
    with Gradebook(target.gradebook) as gb:
        if args.review_action == "request":
            now = today(target.batch)
            on = parse_date(args.on) if args.on else now
            reason = check_request_date(on, now, gb.publication(target.batch), args.reason, target.batch)
            rid = gb.request_review(
                target.batch,
                args.candidate,
                requested_by=args.requested_by,
                on=on,
                recorded_by=actor(args),
                reason=reason,
            )
            print(t("publicity.review_recorded", id=rid, candidate=args.candidate, batch=target.batch))
            return 0
        if args.review_action == "decide":
            review = gb.decide_review(
                target.batch, int(args.id), marks=_set_marks(args.set), decided_by=actor(args), reason=args.reason
            )
            print(review_line(review))
            return 0
        frame = review_table(gb.reviews(target.batch))
        fmt = getattr(args, "format", "table")
        if fmt == "csv":
            print(frame.write_csv(), end="")
        elif fmt == "json":
            print(frame.write_json())
        else:
            with pl.Config(
                tbl_rows=-1,
                tbl_cols=-1,
                tbl_hide_dataframe_shape=True,
                tbl_hide_column_data_types=True,
                tbl_hide_dtype_separator=True,
                fmt_str_lengths=60,
            ):
                print(frame)
        return 0


def _fmt_total(status: str | None, total: float | None, lang: str | None = None) -> str:
    if status == "graded" and total is not None:
        return f"{total:g}"
    return label(status, lang) if status else "—"


def review_line(review: Review, lang: str | None = None) -> str:
    """One line saying how a review was decided (old → new, pass flip)."""
    old = _fmt_total(review.old_status, review.old_total, lang)
    new = _fmt_total(review.new_status, review.new_total, lang)
    key = "publicity.review_unchanged" if review.outcome == "unchanged" else "publicity.review_changed"
    text = t(key, lang, id=review.id, candidate=review.candidate_no, old=old, new=new)
    if review.flip:
        text += t("publicity.flip_note", lang, flip=t(f"publicity.flip_{review.flip}", lang))
    return text


def review_table(reviews: list[Review], lang: str | None = None) -> pl.DataFrame:
    """The review requests and their outcomes, for reports (candidate numbers only, no names)."""
    rows = [
        {
            "id": r.id,
            "candidate_no": r.candidate_no,
            "requested_on": r.requested_on,
            "old": _fmt_total(r.old_status, r.old_total, lang),
            "new": _fmt_total(r.new_status, r.new_total, lang) if r.outcome else "",
            "outcome": t(f"publicity.outcome_{r.outcome or 'open'}", lang),
            "flip": t(f"publicity.flip_{r.flip}", lang) if r.flip else "",
        }
        for r in reviews
    ]
    schema = {
        "id": pl.Int64,
        "candidate_no": pl.String,
        "requested_on": pl.Date,
        "old": pl.String,
        "new": pl.String,
        "outcome": pl.String,
        "flip": pl.String,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    return frame.rename({c: t(f"publicity.col_review_{c}", lang) for c in schema})


# --------------------------------------------------------------------------- reports


def batch_stage(gradebook: Gradebook, batch: str, day: dt.date | None = None) -> Stage:
    """The stage of ``batch`` in ``gradebook`` on ``day`` (default: today, Beijing time)."""
    return gradebook.stage(batch, day or today(batch))


def status_frame(session: BatchSession) -> pl.DataFrame:
    """The batch's publicity stage and review outcomes as a two-column table for its grading report."""
    gb = session.gradebook
    stage = batch_stage(gb, session.batch_id)
    reviews = gb.reviews(session.batch_id)
    decided = [r for r in reviews if r.outcome]
    fields = [
        (t("publicity.field_stage"), stage.label()),
        (
            t("publicity.field_reviews"),
            t("publicity.reviews_count", total=len(reviews), open=len(reviews) - len(decided)),
        ),
        (
            t("publicity.field_changed"),
            t(
                "publicity.changed_count",
                changed=sum(r.outcome == "changed" for r in decided),
                flipped=sum(r.flip is not None for r in decided),
            ),
        ),
    ]
    if stage.code == "certified":
        fields.append((t("publicity.field_certificates"), str(stage.issued)))
    return pl.DataFrame({t("session.field"): [f for f, _ in fields], t("session.value"): [v for _, v in fields]})


def reviews_frame(session: BatchSession) -> pl.DataFrame:
    """The batch's review requests and their outcomes (old → new, pass flips), candidate numbers only."""
    return review_table(session.gradebook.reviews(session.batch_id))


def publicity_report(session: BatchSession) -> HTMLBlock:
    """The report section: the batch's stage and its review requests with their outcomes (one HTML block)."""
    from examkit.display import HTMLBlock, table_html

    reviews = reviews_frame(session)
    parts = [table_html(status_frame(session))]
    if reviews.height:
        parts.append(table_html(reviews, t("publicity.reviews_caption")))
    else:
        parts.append(f"<p>{html.escape(t('publicity.no_reviews'))}</p>")
    return HTMLBlock("\n".join(parts))
