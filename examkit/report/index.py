"""``outputs/index.html``: the leadership dashboard, one self-contained page.

One row per batch with its headline figures (registered, sat, pass rate with its 95% Wilson
interval, fees outstanding) and links to that batch's reports. The figures are computed with the
package's own analytics and fee reconciliation from the same inputs the reports use; a figure that
cannot be computed shows as "—" with the reason, and never stops the page from being written.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit import __version__
from examkit.analysis.disclosure import suppress
from examkit.analysis.passrates import pass_rates
from examkit.analysis.stats import wilson_interval
from examkit.core.exceptions import ExamkitError
from examkit.core.i18n import get_lang, label, t
from examkit.core.money import format_yuan
from examkit.core.rounding import fixed
from examkit.io.write import atomic_write_text
from examkit.report import style
from examkit.report.run_records import run_records
from examkit.session.batch import BatchSession
from examkit.settings.params import BatchParams, load_batch_params
from examkit.settings.resources import NOTEBOOKS

if TYPE_CHECKING:
    from examkit.session.batch import BatchSession

DASH = "—"
# A cell of the dashboard's table: (class, column label, its HTML, escaped when built).
Cell = tuple[str, str, str]


@dataclass
class Headline:
    """The figures the dashboard shows for one batch (None: not available, see ``notes``)."""

    batch: str
    level: str = ""
    exam_date: dt.date | None = None
    registered: int | None = None
    sat: int | None = None
    passed: int | None = None
    ungraded: int | None = None
    pass_rate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    small_group: bool = False
    outstanding_fen: int | None = None
    notes: list[str] = field(default_factory=list)
    withheld: bool = False  # passed and rate hidden so that the total row cannot give a small batch away
    min_sat: int | None = None  # the policy's small_group_min_sat


def _problem(exc: Exception) -> str:
    """A short reason for a figure that could not be computed."""
    text = str(exc) if isinstance(exc, ExamkitError) else f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def pass_figures(session: BatchSession, head: Headline) -> None:
    """Registered, sat, passed and the pass rate with its interval: the pass-rate report's own inputs."""
    row = pass_rates(session.batch_results, [], session.analytics_policy).row(0, named=True)
    head.registered, head.sat, head.passed = row["registered"], row["sat"], row["passed"]
    head.ungraded = row["ungraded"]
    head.small_group = bool(row["small_group"])
    head.min_sat = session.analytics_policy.small_group_min_sat
    if not head.small_group:
        head.pass_rate, head.ci_low, head.ci_high = row["pass_rate"], row["ci_low"], row["ci_high"]


def withhold(heads: list[Headline]) -> list[Headline]:
    """``heads`` with ``withheld`` set where the total row minus the other rows would give a small
    batch's passed count back (``examkit.analysis.disclosure``); nothing is withheld when the total
    row has no passed count."""
    if not heads or any(h.sat is None or h.passed is None for h in heads):
        return heads
    small = [h.small_group for h in heads]
    known = [h.min_sat for h in heads if h.min_sat is not None]
    # without the policy's threshold (figures built by hand), hide at least one more batch
    min_sat = max(known) if known else sum(h.sat or 0 for h, s in zip(heads, small, strict=True) if s) + 1
    frame = pl.DataFrame(
        {"sat": [h.sat for h in heads], "registered": [h.registered for h in heads], "small_group": small},
        schema={"sat": pl.Int64, "registered": pl.Int64, "small_group": pl.Boolean},
    )
    flags = suppress(frame, min_sat).get_column("withheld").to_list()
    return [replace(h, withheld=w) for h, w in zip(heads, flags, strict=True)]


def outstanding_fen(session: BatchSession) -> int:
    """Fees still owed for the batch (fen): what each paying site still owes it, as the fees report reconciles."""
    statement = session.fees.batch(session.batch_id)
    return int(statement.select(pl.col("balance_fen").clip(lower_bound=0).sum()).item() or 0)


def headline(params: BatchParams) -> Headline:
    """The dashboard's figures for one batch; a figure that cannot be computed is None with a note why."""
    session = BatchSession(params.batch, params=dict(params.values))
    head = Headline(batch=params.batch)
    try:
        head.level, head.exam_date = session.batch.level, session.batch.exam_date
    except Exception as exc:
        head.notes.append(_problem(exc))
        return head
    try:
        pass_figures(session, head)
    except Exception as exc:
        head.notes.append(t("index.no_pass_figures", error=_problem(exc)))
    try:
        head.outstanding_fen = outstanding_fen(session)
    except Exception as exc:
        head.notes.append(t("index.no_fee_figures", error=_problem(exc)))
    return head


def headlines(batches: list[BatchParams], failures: dict[str, list[str]] | None = None) -> list[Headline]:
    """The dashboard's figures for each batch, in batch order.

    A batch whose last run failed shows no figures (they could mislead), only what failed.
    """
    heads = []
    for b in sorted(batches, key=lambda b: b.batch):
        failed = (failures or {}).get(b.batch)
        if failed:
            heads.append(Headline(batch=b.batch, notes=failed))
        else:
            heads.append(headline(b))
    return heads


def recorded_batches(out_dir: Path) -> tuple[list[BatchParams], dict[str, list[str]]]:
    """The batches whose reports are under ``out_dir`` (from the runner's records) and their failures."""
    batches, failures = [], {}
    for rec in run_records(out_dir):
        failed = [
            t("run.failed_line", batch=rec["batch"], notebook=nb, error=r.get("error"))
            for nb, r in rec.get("notebooks", {}).items()
            if not r.get("ok")
        ]
        if failed:
            failures[rec["batch"]] = failed
        try:
            batches.append(load_batch_params(rec["params_file"]))
        except ExamkitError as exc:
            failures.setdefault(rec["batch"], []).append(_problem(exc))
    return batches, failures


# --------------------------------------------------------------------------- page


def _pct(x: float | None) -> str:
    return DASH if x is None else f"{fixed(x, 1, scale=2)}%"


def _count(x: int | None) -> str:
    return DASH if x is None else f"{x:,}"


def _rate_html(rate: float | None, low: float | None, high: float | None, ungraded: int | None) -> str:
    """The rate over those with a result and its interval ("暂无成绩" when nobody has one), and how many
    are not graded yet beside a provisional one."""
    if rate is None:
        text = html.escape(t("index.no_results"))
    else:
        ci = t("index.ci", low=_pct(low), high=_pct(high))
        text = f'{_pct(rate)}<span class="ci">{html.escape(ci)}</span>'
    if ungraded:
        text += f'<span class="ci">{html.escape(t("index.provisional", n=ungraded))}</span>'
    return text


def _hidden(h: Headline) -> bool:
    return h.small_group or h.withheld


def _rate_cell(h: Headline) -> str:
    if h.small_group and h.sat is not None:
        return html.escape(t("index.small_group", n=h.sat))
    if h.withheld:
        return html.escape(t("index.withheld"))
    nobody_graded = h.sat is not None and h.ungraded is not None and h.sat - h.ungraded <= 0
    if h.pass_rate is None and not nobody_graded:
        return DASH
    return _rate_html(h.pass_rate, h.ci_low, h.ci_high, h.ungraded)


def _money(fen: int | None) -> str:
    return DASH if fen is None else format_yuan(fen)


def _links(out_dir: Path, batch: str) -> str:
    links = []
    for nb in NOTEBOOKS:
        name = html.escape(t(f"index.nb_{nb}"))
        if (out_dir / batch / f"{nb}.html").exists():
            links.append(f'<a href="{html.escape(batch)}/{nb}.html">{name}</a>')
        else:
            links.append(f'<s title="{html.escape(t("index.missing"))}">{name}</s>')
        if (out_dir / batch / f"{nb}.pdf").exists():
            links.append(f'<a href="{html.escape(batch)}/{nb}.pdf">{name} PDF</a>')
    return " ".join(links)


def _row(h: Headline, out_dir: Path) -> list[Cell]:
    level = html.escape(label(h.level)) if h.level else ""
    date = f"{h.exam_date:%Y-%m-%d}" if h.exam_date else ""
    notes = "".join(f'<span class="note">{html.escape(n)}</span><br>' for n in h.notes)
    cells = [
        ("batch", t("index.col_batch"), f"{html.escape(h.batch)} {level}"),
        ("", t("index.col_exam"), date),
        ("num", t("index.col_registered"), _count(h.registered)),
        ("num", t("index.col_sat"), _count(h.sat)),
        ("num", t("index.col_passed"), _count(h.passed) if not _hidden(h) else DASH),
        ("num", t("index.col_rate"), _rate_cell(h)),
        ("num", t("index.col_outstanding"), _money(h.outstanding_fen)),
        ("links", t("index.col_reports"), _links(out_dir, h.batch) + (f"<br>{notes}" if notes else "")),
    ]
    return cells


def _total_row(heads: list[Headline]) -> list[Cell]:
    def total(attr: str) -> int | None:
        vals = [getattr(h, attr) for h in heads]
        return None if any(v is None for v in vals) or not vals else sum(vals)

    sat, passed, ungraded = total("sat"), total("passed"), total("ungraded")
    rate = DASH
    min_sat = max((h.min_sat for h in heads if h.min_sat is not None), default=0)
    if sat is not None and sat < min_sat:  # the whole year so far is a small group
        rate, passed = html.escape(t("index.small_group", n=sat)), None
    elif sat and passed is not None and ungraded is not None:
        assessed = sat - ungraded
        low, high = wilson_interval(passed, assessed) or (None, None)
        rate = _rate_html(passed / assessed if assessed > 0 else None, low, high, ungraded)
    cells = [
        ("batch", "", html.escape(t("index.total"))),
        ("", "", ""),
        ("num", t("index.col_registered"), _count(total("registered"))),
        ("num", t("index.col_sat"), _count(sat)),
        ("num", t("index.col_passed"), _count(passed)),
        ("num", t("index.col_rate"), rate),
        ("num", t("index.col_outstanding"), _money(total("outstanding_fen"))),
        ("links", "", ""),
    ]
    return cells


def index_html(out_dir: Path, heads: list[Headline], generated: dt.datetime | None = None) -> str:
    """The dashboard page for ``heads``, linking reports found under ``out_dir``."""
    generated = generated or dt.datetime.now().astimezone()
    heads = withhold(heads)
    cols = (
        "col_batch",
        "col_exam",
        "col_registered",
        "col_sat",
        "col_passed",
        "col_rate",
        "col_outstanding",
        "col_reports",
    )
    num = {"col_registered", "col_sat", "col_passed", "col_rate", "col_outstanding"}
    return style.render_page(
        "index.html.j2",
        lang=style.html_lang(get_lang()),
        title=t("index.title"),
        generated=t("index.generated", when=f"{generated:%Y-%m-%d %H:%M}", version=__version__),
        columns=[(t("index." + c), c in num) for c in cols],
        rows=[_row(h, out_dir) for h in heads],
        total=_total_row(heads),
        definitions=t("index.definitions"),
    )


def write_index(out_dir: Path, batches: list[BatchParams] | None = None) -> Path:
    """Write ``out_dir/index.html`` for ``batches`` (default: every batch the runner recorded there)."""
    out_dir = Path(out_dir)
    failures: dict[str, list[str]] = {}
    if batches is None:
        batches, failures = recorded_batches(out_dir)
    target = out_dir / "index.html"
    atomic_write_text(target, index_html(out_dir, headlines(batches, failures)))
    return target
