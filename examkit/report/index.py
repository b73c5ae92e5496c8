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
from examkit.report.render import FONT_STACK
from examkit.report.run_records import run_records
from examkit.session.batch import BatchSession
from examkit.settings.params import BatchParams, load_batch_params
from examkit.settings.resources import NOTEBOOKS

if TYPE_CHECKING:
    from examkit.session.batch import BatchSession

DASH = "—"
NUM = ' class="num"'


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

CSS = (
    "*{box-sizing:border-box}html{-webkit-text-size-adjust:100%;text-size-adjust:100%}"
    "body{margin:0;font-family:FONTS;font-size:16px;line-height:1.55;color:#1f2328;background:#fff}"
    "main{max-width:1100px;margin:0 auto;padding:12px 14px 32px}h1{font-size:1.4em;line-height:1.3;margin:.4em 0}"
    ".meta,.note{color:#57606a;font-size:13px}.wrap{max-width:100%;overflow-x:auto}"
    "table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums;width:100%}"
    "th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f5f7;font-weight:600;white-space:nowrap}.num{text-align:right;white-space:nowrap}"
    "td.links a{display:inline-block;margin:0 .6em .2em 0}a{color:#0b5cad}s{color:#8c959f}"
    "tfoot td{font-weight:600;border-top:2px solid #d0d7de}.ci{color:#57606a;font-size:12px;display:block}"
    "@media (max-width:640px){table,thead,tbody,tfoot,th,td{display:block;width:auto}thead{display:none}"
    "tr{display:grid;grid-template-columns:1fr 1fr;gap:2px 12px;border:1px solid #d0d7de;border-radius:6px;"
    "margin:0 0 10px;padding:6px 10px}"
    "td,tfoot td{border:0;padding:2px 0;text-align:left}td.num{text-align:left;white-space:normal}"
    "td.batch,td.links{grid-column:1/-1}td:empty{display:none}"
    "td[data-label]::before{content:attr(data-label);display:block;color:#57606a;font-size:12px;font-weight:400}"
    "td.links::before{display:none}td.batch{font-weight:600;font-size:1.05em}}"
    "@media print{.wrap{overflow:visible}a{color:inherit;text-decoration:none}tr{break-inside:avoid}}"
)


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
            links.append(f'<a href="{batch}/{nb}.html">{name}</a>')
        else:
            links.append(f'<s title="{html.escape(t("index.missing"))}">{name}</s>')
        if (out_dir / batch / f"{nb}.pdf").exists():
            links.append(f'<a href="{batch}/{nb}.pdf">{name} PDF</a>')
    return " ".join(links)


def _row(h: Headline, out_dir: Path) -> str:
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
    tds = "".join(
        f'<td class="{cls}" data-label="{html.escape(lab)}">{value}</td>'
        if cls != "batch"
        else f'<td class="batch">{value}</td>'
        for cls, lab, value in cells
    )
    return f"<tr>{tds}</tr>"


def _total_row(heads: list[Headline]) -> str:
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
    tds = "".join(
        f'<td class="{c}" data-label="{html.escape(lab)}">{v}</td>' if lab else f'<td class="{c}">{v}</td>'
        for c, lab, v in cells
    )
    return f"<tr>{tds}</tr>"


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
    head = "".join(f"<th{NUM if c in num else ''}>{html.escape(t('index.' + c))}</th>" for c in cols)
    rows = "".join(_row(h, out_dir) for h in heads)
    title = html.escape(t("index.title"))
    lang = "zh-CN" if get_lang() == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="generator" content="examkit">
<title>{title}</title><style>{CSS.replace("FONTS", FONT_STACK)}</style></head>
<body><main><h1>{title}</h1>
<p class="meta">{html.escape(t("index.generated", when=f"{generated:%Y-%m-%d %H:%M}", version=__version__))}</p>
<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody><tfoot>{_total_row(heads)}</tfoot></table></div>
<p class="note">{html.escape(t("index.definitions"))}</p>
</main></body></html>
"""


def write_index(out_dir: Path, batches: list[BatchParams] | None = None) -> Path:
    """Write ``out_dir/index.html`` for ``batches`` (default: every batch the runner recorded there)."""
    out_dir = Path(out_dir)
    failures: dict[str, list[str]] = {}
    if batches is None:
        batches, failures = recorded_batches(out_dir)
    target = out_dir / "index.html"
    atomic_write_text(target, index_html(out_dir, headlines(batches, failures)))
    return target
