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

import datetime as dt
import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit.core import privacy
from examkit.core import publicity as dates
from examkit.core.i18n import get_lang, label, t
from examkit.core.notice import notice_for_batch
from examkit.core.publicity import PublicityPeriod, Review, Stage
from examkit.io.write import atomic_write_text, write_xlsx
from examkit.report import style
from examkit.report.tables import HTMLBlock, table_html
from examkit.settings.policy import publicity_days

if TYPE_CHECKING:
    from examkit.report.tables import HTMLBlock
    from examkit.session.batch import BatchSession
    from examkit.store.gradebook import Gradebook


# --------------------------------------------------------------------------- the period


# --------------------------------------------------------------------------- the stage


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
    """A self-contained HTML page (the one stylesheet inlined, no network) showing ``frame`` under ``title``."""
    return style.render_page(
        "publicity.html.j2",
        lang=style.html_lang(lang or _lang()),
        title=title,
        lines=lines,
        columns=frame.columns,
        rows=[["" if v is None else str(v) for v in row] for row in frame.iter_rows()],
    )


def _lang() -> str:
    return get_lang()


def write_publicity_list(
    frame: pl.DataFrame, out_dir: str | os.PathLike, batch_id: str, period: PublicityPeriod, lang: str | None = None
) -> dict[str, Path]:
    """Write the publicity list as xlsx and self-contained HTML (both atomic); returns their paths."""
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


# --------------------------------------------------------------------------- command-line target


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
    return gradebook.stage(batch, day or dates.today(batch))


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
    reviews = reviews_frame(session)
    parts = [table_html(status_frame(session))]
    if reviews.height:
        parts.append(table_html(reviews, t("publicity.reviews_caption")))
    else:
        parts.append(f"<p>{html.escape(t('publicity.no_reviews'))}</p>")
    return HTMLBlock("\n".join(parts))
