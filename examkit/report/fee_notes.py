"""The fee reconciliation in words: the rules, the summary line, the notes on statement rows, what the
tables leave out, and the files that could not be read (named at the top of the report)."""

from __future__ import annotations

import os

import polars as pl

from examkit.analysis.fee_matching import NOTES
from examkit.analysis.fees import KNOWN_STATUSES, Reconciliation
from examkit.core.findings import message_expr
from examkit.core.i18n import label, t
from examkit.core.money import format_yuan
from examkit.core.notice import Notice
from examkit.report.narrative import Sentence
from examkit.report.unreadable import unreadable_markdown
from examkit.settings.prices import Prices


def rules_markdown(
    notice: Notice, prices: Prices | None, bill_absent: bool, scope: tuple[str, ...] = (), lang: str | None = None
) -> str:
    """The fee rules as a report states them, numbers read from the notice and ``params/``."""
    notice_prices = "、".join(f"{label(code, lang)} {format_yuan(lv.fee_fen)}" for code, lv in notice.levels.items())
    lines = [
        f"### {t('fees.rules_title', lang)}",
        "",
        f"- {t('fees.rule_person_time', lang)}",
        f"- {t('fees.rule_notice_price', lang, prices=notice_prices)}",
    ]
    if prices and prices.fen:
        listed = "；".join(
            f"{prov}：" + "、".join(f"{label(lv, lang)} {format_yuan(fen)}" for lv, fen in levels.items())
            for prov, levels in prices.fen.items()
        )
        lines.append(f"- {t('fees.rule_province_price', lang, prices=listed, file=os.path.basename(prices.file))}")
    else:
        lines.append(f"- {t('fees.rule_no_province_price', lang)}")
    lines.append(f"- {t('fees.rule_bill_absent_yes' if bill_absent else 'fees.rule_bill_absent_no', lang)}")
    lines.append(f"- {t('fees.rule_matching', lang)}")
    lines.append(f"- {t('fees.rule_nothing_billed', lang)}")
    if scope:
        lines.append(f"- {t('fees.rule_scope', lang, first=scope[0], last=scope[-1], n=len(scope))}")
    if prices and prices.fen and prices.is_example:
        lines += ["", f"> **{t('fees.rule_example_warning', lang, source=prices.source or prices.status)}**"]
    return "\n".join(lines)


def summary_text(statement: pl.DataFrame, lang: str | None = None) -> str:
    """One sentence: expected, paid, balance and how many school-batches in each status (and any unknown fee)."""
    counts = {s: statement.filter(pl.col("status") == s).height for s in KNOWN_STATUSES}
    text = t(
        "fees.summary_line",
        lang,
        expected=format_yuan(int(statement["expected_fen"].sum())),
        paid=format_yuan(int(statement["paid_fen"].sum())),
        balance=format_yuan(int(statement["balance_fen"].sum())),
        **{f"{s}_n": n for s, n in counts.items()},
    )
    unknown = statement.filter(pl.col("status") == "unknown")
    if unknown.height:
        paid = format_yuan(int(unknown["paid_fen"].sum()))
        text += t("fees.summary_unknown", lang, n=unknown.height, paid=paid)  # the English text leads with a space
    return text


def note_expr(lang: str | None = None) -> pl.Expr:
    """A statement row's ``note`` (with ``note_detail``) in words; null for a row without one."""
    out = pl.lit(None, pl.String)
    for code in NOTES:
        words = message_expr(f"fees.note_{code}", lang, detail=pl.col("note_detail"))
        out = pl.when(pl.col("note") == code).then(words).otherwise(out)
    return out


def notes_markdown(recon: Reconciliation, lang: str | None = None) -> str:
    """What the tables leave out: unknown batches, unreadable bank rows, receipts for batches outside the scope
    (each listed)."""
    lines = []
    if recon.unknown:
        lines.append(t("fees.unknown_note", lang, batches="、".join(recon.unknown)))
    if recon.findings:
        lines.append(t("fees.findings_note", lang, n=len(recon.findings)))
    other = recon.other_batches
    if other.height:
        amount = format_yuan(int(other["aside_fen"].sum()))
        listed = [t("fees.other_batches_note", lang, n=other.height, amount=amount), ""]
        for r in other.sort("paid_on", "_row").to_dicts():
            fields = {
                "row": r["_row"],
                "payer": r["payer_code"] or "—",  # the code only: a payer name may be a person's
                "date": r["paid_on"],
                "amount": format_yuan(r["amount_fen"]),
                "aside": format_yuan(r["aside_fen"]),
                "named": "、".join(r["named"]),
            }
            listed.append(f"- {t('fees.other_batches_item', lang, **fields)}")
        lines.append("\n".join(listed))
    return "\n\n".join(lines)


def unreadable_notice(recon: Reconciliation, lang: str | None = None) -> Sentence | None:
    """The fee report's notice of registrations files it could not read (None when there are none)."""
    text = unreadable_markdown(recon.unreadable, "fees", lang)
    return Sentence(text) if text else None
