"""One computed sentence per chart, worded from the message catalog.

Sentences read the frames a shared report may show (``analytics.ranked``): a suppressed group
(small, or withheld so that the total cannot give a small one away) gets registered and sat only,
never a passed count or a rate, and is never ranked. A provisional rate says how many are not
graded yet; a group nobody is graded in yet has no rate.
"""

from __future__ import annotations

import polars as pl

from examkit.analysis.stats import Reliability
from examkit.core.i18n import label, t
from examkit.core.policy import Policy
from examkit.core.rounding import fixed


class Sentence(str):
    """A sentence that a notebook shows as a paragraph."""

    def _repr_markdown_(self) -> str:
        return str(self)


class Heading(str):
    """A section heading that a notebook shows as a level-2 title."""

    def _repr_markdown_(self) -> str:
        return f"## {self}"


def pct(x: float | None) -> str:
    """A share as a percentage with one decimal (``72.5%``); ``—`` when undefined."""
    return "—" if x is None else f"{fixed(x, 1, scale=2)}%"


def num(x: float | None) -> str:
    """A score with at most one decimal (``63.5``, ``60``)."""
    return "—" if x is None else fixed(x, 1).removesuffix(".0")


def _row(frame: pl.DataFrame, i: int = 0) -> dict:
    return frame.row(i, named=True)


def _suppressed(r: dict) -> bool:
    """Whether a group shows registered and sat only (frames without ``suppressed``: small groups)."""
    return bool(r["small_group"] or r.get("suppressed"))


def rate_text(r: dict, lang: str | None = None) -> str:
    """A group's rate as a percentage, with how many are not graded yet beside a provisional one."""
    if r.get("provisional") and r.get("ungraded"):
        return t("analytics.rate_provisional", lang, rate=pct(r["pass_rate"]), count=r["ungraded"])
    return pct(r["pass_rate"])


def headline(overall: pl.DataFrame, batch_name: str, policy: Policy, lang: str | None = None) -> Sentence:
    """Registered, absent and sat of the whole batch; void, passed and the rate unless it is a small batch.

    ``overall`` is ``analytics.ranked(...)`` of the one overall row.
    """
    r = _row(overall)
    counts = {k: r[k] for k in ("registered", "absent", "sat")}
    if _suppressed(r):
        return Sentence(
            t("analytics.headline_small", lang, batch=batch_name, min_sat=policy.small_group_min_sat, **counts)
        )
    if r["pass_rate"] is None:
        return Sentence(t("analytics.headline_no_results", lang, batch=batch_name, count=r["ungraded"], **counts))
    text = t(
        "analytics.headline",
        lang,
        batch=batch_name,
        void=r["void"],
        passed=r["passed"],
        rate=pct(r["pass_rate"]),
        low=pct(r["ci_low"]),
        high=pct(r["ci_high"]),
        **counts,
    )
    if r.get("provisional"):
        note = t("analytics.headline_provisional", lang, count=r["ungraded"], assessed=r["sat"] - r["ungraded"])
        text = _join([text, note], lang)
    return Sentence(text)


def _flag(frame: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column).fill_null(False) if column in frame.columns else pl.lit(False)


def groups(ranked_rates: pl.DataFrame, dim: str, policy: Policy, lang: str | None = None) -> Sentence:
    """Highest and lowest ranked group with intervals, plus how many groups show registered and sat
    only (small, or withheld to protect the small ones) and how many have no results yet.

    ``ranked_rates`` is ``analytics.ranked(...)`` with a ``label`` column.
    """
    dim_name = t(f"analytics.dim_{dim}", lang)
    min_sat = policy.small_group_min_sat
    sat_any = ranked_rates.filter(pl.col("sat") > 0)
    if sat_any.is_empty():
        return Sentence(t("analytics.group_none", lang, dim=dim_name))
    hidden = pl.col("small_group") | _flag(sat_any, "suppressed")
    big = sat_any.filter(~hidden & pl.col("pass_rate").is_not_null()).sort("rank")
    n_small = sat_any.filter(pl.col("small_group")).height
    n_withheld = sat_any.filter(~pl.col("small_group") & _flag(sat_any, "withheld")).height
    n_none = sat_any.filter(~hidden & pl.col("pass_rate").is_null()).height
    if big.is_empty() and n_small == sat_any.height:
        return Sentence(t("analytics.group_all_small", lang, dim=dim_name, count=n_small, min_sat=min_sat))
    if big.is_empty():
        text = t("analytics.group_unranked", lang, dim=dim_name)
    elif big.height == 1:
        top = _row(big, 0)
        text = t(
            "analytics.group_one",
            lang,
            label=top["label"],
            sat=top["sat"],
            rate=rate_text(top, lang),
            low=pct(top["ci_low"]),
            high=pct(top["ci_high"]),
        )
    else:
        top, bottom = _row(big, 0), _row(big, big.height - 1)
        text = t(
            "analytics.group_range",
            lang,
            dim=dim_name,
            count=big.height,
            min_sat=min_sat,
            **{f"top_{k}": v for k, v in _fields(top, lang).items()},
            **{f"bottom_{k}": v for k, v in _fields(bottom, lang).items()},
            top=top["label"],
            bottom=bottom["label"],
        )
        overlap = top["ci_low"] <= bottom["ci_high"]
        text = _join([text, t("analytics.group_overlap" if overlap else "analytics.group_apart", lang)], lang)
    extra = [
        t("analytics.group_small", lang, count=n_small, min_sat=min_sat) if n_small else "",
        t("analytics.group_withheld", lang, count=n_withheld) if n_withheld else "",
        t("analytics.group_no_results", lang, count=n_none) if n_none else "",
    ]
    return Sentence(_join([text, *extra], lang))


def _fields(r: dict, lang: str | None) -> dict:
    return {"sat": r["sat"], "rate": rate_text(r, lang), "low": pct(r["ci_low"]), "high": pct(r["ci_high"])}


def distribution(summary: pl.DataFrame, near: pl.DataFrame, policy: Policy, lang: str | None = None) -> Sentence:
    """Median and mean of valid totals, and how many sit just under / just over the pass mark."""
    s, n = _row(summary), _row(near)
    if not s["graded"]:
        return Sentence(t("analytics.distribution_none", lang))
    p, band = policy.pass_mark, policy.near_line_band
    return Sentence(
        t(
            "analytics.distribution",
            lang,
            graded=s["graded"],
            median=num(s["median"]),
            mean=num(s["mean"]),
            near_below=n["near_below"],
            near_above=n["near_above"],
            band=num(band),
            low=num(p - band),
            pass_mark=num(p),
            high=num(p + band),
        )
    )


def items(analysis: pl.DataFrame, lang: str | None = None) -> Sentence:
    """The item candidates lose most points on, and the easiest one (``analysis`` has ``item``, ``facility``)."""
    rows = analysis.filter(pl.col("facility").is_not_null()).sort("facility")
    if rows.is_empty():
        return Sentence(t("analytics.items_none", lang))
    worst, best = _row(rows, 0), _row(rows, rows.height - 1)
    return Sentence(
        t(
            "analytics.items",
            lang,
            worst=worst["item"],
            worst_facility=pct(worst["facility"]),
            best=best["item"],
            best_facility=pct(best["facility"]),
        )
    )


def reliability(coefs: list[Reliability], policy: Policy, lang: str | None = None) -> Sentence:
    """Each coefficient with its n and k, and why it is missing or only indicative."""
    parts = []
    for c in coefs:
        name = t(f"analytics.{c.method if c.method == 'kr20' else 'alpha'}_name", lang)
        if c.value is None:
            reason = t(f"analytics.undefined_{c.warning}", lang)
            parts.append(t("analytics.reliability_none", lang, name=name, reason=reason, n=c.n, k=c.k))
            continue
        note = ""
        if c.warning:
            text = t(f"analytics.warn_{c.warning}", lang, min_n=policy.reliability_min_n)
            note = t("analytics.reliability_note", lang, text=text)
        parts.append(t("analytics.reliability", lang, name=name, value=fixed(c.value, 2), n=c.n, k=c.k, note=note))
    return Sentence(_join(parts, lang))


def _join(parts: list[str], lang: str | None) -> str:
    return t("analytics.sep", lang).join(p for p in parts if p)


def trend(trend_rates: pl.DataFrame, batch_id: str, level: str, policy: Policy, lang: str | None = None) -> Sentence:
    """This batch's pass rate against the previous batch of the same level (sat only for suppressed batches)."""
    rows = trend_rates.filter(pl.col("batch") <= batch_id).sort("batch")
    level_name = label(level, lang)
    if rows.height <= 1:
        return Sentence(t("analytics.trend_first", lang, batch=batch_id, level=level_name))
    cur, prev = _row(rows, rows.height - 1), _row(rows, rows.height - 2)
    return Sentence(
        t(
            "analytics.trend",
            lang,
            count=rows.height,
            level=level_name,
            batch=cur["batch"],
            rate=_rate_or_counts(cur, lang),
            prev_batch=prev["batch"],
            prev_rate=_rate_or_counts(prev, lang),
        )
    )


def _hidden_text(r: dict, lang: str | None) -> str | None:
    """What a group without a rate shows instead (sat only, or no results yet); None when it has a rate."""
    if r["small_group"]:
        return t("analytics.rate_or_counts_small", lang, sat=r["sat"])
    if r.get("suppressed"):
        return t("analytics.rate_or_counts_withheld", lang, sat=r["sat"])
    if r["pass_rate"] is None:
        return t("analytics.rate_no_results", lang, count=r.get("ungraded") or 0)
    return None


def _rate_or_counts(r: dict, lang: str | None) -> str:
    hidden = _hidden_text(r, lang)
    if hidden is not None:
        return hidden
    return t("analytics.rate_ci", lang, rate=rate_text(r, lang), low=pct(r["ci_low"]), high=pct(r["ci_high"]))


def retakes(retake: pl.DataFrame, lang: str | None = None) -> Sentence:
    """First attempts versus retakes: sat and pass rate of each (sat only for a suppressed group)."""
    by_kind = {r["attempt"]: r for r in retake.iter_rows(named=True)}
    rt = by_kind.get("retake")
    if rt is None or not rt["sat"]:
        return Sentence(t("analytics.retakes_none", lang))
    first = by_kind.get("first")
    return Sentence(t("analytics.retakes", lang, first=_part(first, lang), retake=_part(rt, lang)))


def _part(r: dict | None, lang: str | None) -> str:
    if r is None:
        return t("analytics.rate_or_counts_small", lang, sat=0)
    hidden = _hidden_text(r, lang)
    if hidden is not None:
        return hidden
    return t(
        "analytics.retake_part",
        lang,
        sat=r["sat"],
        rate=rate_text(r, lang),
        low=pct(r["ci_low"]),
        high=pct(r["ci_high"]),
    )
