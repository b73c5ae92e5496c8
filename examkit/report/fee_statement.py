"""The fee reconciliation as people read it: report tables and the xlsx statement (the words: ``fee_notes``).

Amounts stay integer fen in every frame; they become yuan text (``¥6,800.00``) only in the display
frames built here, and yuan numbers with a currency format only inside the xlsx cells.
"""

from __future__ import annotations

import datetime as dt
import os

import polars as pl

from examkit.analysis.fees import KNOWN_STATUSES, STATUSES, Reconciliation
from examkit.core.findings import findings_frame, message_expr
from examkit.core.i18n import label, t
from examkit.core.money import FEN_PER_YUAN, format_yuan
from examkit.core.notice import Notice
from examkit.io.tables import ROW
from examkit.io.write import atomic_path
from examkit.io.xlsx_print import PrintSetup, apply_print_setup, sign_off_lines, write_across
from examkit.report.fee_notes import note_expr, notes_markdown, rules_markdown, summary_text, unreadable_notice

__all__ = [  # the words (``fee_notes``) too: notebooks and the CLI read them from here
    "RECEIPT_COLUMNS",
    "duplicates_view",
    "findings_view",
    "notes_markdown",
    "other_batches_view",
    "receipts_view",
    "rules_markdown",
    "sheet_names",
    "shown_statuses",
    "statement_view",
    "summary_text",
    "totals_view",
    "unmatched_view",
    "unreadable_notice",
    "write_statement_xlsx",
    "yuan",
]

# A bank receipt's columns and the catalog keys of their headings.
RECEIPT_COLUMNS = {
    ROW: "col_row",
    "payer_name": "col_payer",
    "school_code": "col_school_code",
    "amount_fen": "col_amount",
    "paid_on": "col_date",
    "memo": "col_memo",
}


def yuan(values: pl.Series) -> pl.Series:
    """Integer fen → ``¥1,234.56`` text via ``examkit.core.money`` (one format per distinct amount)."""
    mapping = {v: format_yuan(v) for v in values.drop_nulls().unique().to_list()}
    return values.replace_strict(mapping, default=None, return_dtype=pl.String)


def _money(frame: pl.DataFrame, cols: dict[str, str]) -> pl.DataFrame:
    return frame.with_columns(yuan(frame[c]).alias(c) for c in cols)


def _texts(prefix: str, codes: tuple[str, ...], lang: str | None) -> dict[str, str]:
    return {c: t(f"fees.{prefix}_{c}", lang) for c in codes}


def statement_view(statement: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """Statement rows for a report: school, batch, level, person-times, yuan amounts, status in words, and
    the note in words when a row has one (why nothing was billed, or why the fee is unknown)."""
    money = {
        "unit_price_fen": "col_unit_price",
        "expected_fen": "col_expected",
        "paid_fen": "col_paid",
        "balance_fen": "col_balance",
    }
    names = {
        "payer_code": "col_payer_code",
        "payer_name": "col_payer_name",
        "batch": "col_batch",
        "level": "col_level",
        "person_times": "col_person_times",
        **money,
        "status": "col_status",
        "allocated": "col_allocated",
    }
    if "note" in statement.columns and statement["note"].is_not_null().any():
        statement = statement.with_columns(note_expr(lang).alias("note_text"))
        names["note_text"] = "col_note"
    levels = {lv: label(lv, lang) for lv in statement["level"].unique().drop_nulls().to_list()}
    view = _money(statement.select(list(names)), money).with_columns(
        pl.col("level").replace_strict(levels, default=pl.col("level")),
        pl.col("status").replace_strict(_texts("status", STATUSES, lang), default=pl.col("status")),
    )
    return view.rename({k: t(f"fees.{v}", lang) for k, v in names.items()})


def totals_view(totals: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """Totals (``Reconciliation.by_batch`` / ``by_school``) with yuan amounts and status counts in words; an
    unknown batch's expected fee and balance are left blank, and its status counted as unknown."""
    money = {"expected_fen": "col_expected", "paid_fen": "col_paid", "balance_fen": "col_balance"}
    keys = {"batch": "col_batch", "payer_code": "col_payer_code", "payer_name": "col_payer_name"}
    names = {k: v for k, v in keys.items() if k in totals.columns}
    names |= {"person_times": "col_person_times", **money}
    statuses = shown_statuses(totals)
    view = _money(totals.select(*names, *statuses), money)
    return view.rename({**{k: t(f"fees.{v}", lang) for k, v in names.items()}, **_texts("status", statuses, lang)})


def shown_statuses(totals: pl.DataFrame) -> tuple[str, ...]:
    """The status counts a totals table shows: ``unknown`` only when some batch is unknown."""
    unknown = totals["unknown"].sum() > 0 or totals["expected_fen"].null_count() > 0
    return STATUSES if unknown else KNOWN_STATUSES


def receipts_view(allocations: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """Receipt parts (``Reconciliation.allocations``): statement row, date, school, batch, amount, part applied."""
    money = {"amount_fen": "col_amount", "paid_fen": "col_part"}
    names = {
        ROW: "col_row",
        "paid_on": "col_date",
        "payer_code": "col_payer_code",
        "batch": "col_batch",
        **money,
        "allocated": "col_allocated",
        "memo": "col_memo",
    }
    view = _money(allocations.sort("paid_on", ROW, "batch").select(list(names)), money)
    return view.rename({k: t(f"fees.{v}", lang) for k, v in names.items()})


def unmatched_view(unmatched: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """Receipts that matched nothing, with the reason in words."""
    reason = pl.lit(None, pl.String)
    for code in ("unknown_payer", "ambiguous_payer", "possible_duplicate", "nothing_billed"):
        reason = (
            pl.when(pl.col("reason") == code)
            .then(message_expr(f"fees.reason_{code}", lang, detail=pl.col("detail")))
            .otherwise(reason)
        )
    names = {**RECEIPT_COLUMNS, "reason": "col_reason"}
    view = _money(unmatched.with_columns(reason.alias("reason")).select(list(names)), {"amount_fen": ""})
    return view.rename({k: t(f"fees.{v}", lang) for k, v in names.items()})


def duplicates_view(duplicates: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """Possible duplicates, group by group: which copy is counted and which is held."""
    names = {
        "group": "col_group",
        ROW: "col_row",
        "payer_name": "col_payer",
        "amount_fen": "col_amount",
        "paid_on": "col_date",
        "memo": "col_memo",
        "duplicate_of": "col_duplicate_of",
        "counted": "col_counted",
    }
    frame = duplicates.with_columns(
        pl.col("group").rank("dense").cast(pl.Int64),
        pl.col("duplicate_of").is_null().alias("counted"),
    )
    view = _money(frame.select(list(names)), {"amount_fen": ""})
    return view.rename({k: t(f"fees.{v}", lang) for k, v in names.items()})


def other_batches_view(other: pl.DataFrame, lang: str | None = None) -> pl.DataFrame:
    """Receipts (or their remainders) naming only batches outside the scope."""
    names = {
        ROW: "col_row",
        "payer_code": "col_payer_code",
        "paid_on": "col_date",
        "amount_fen": "col_amount",
        "aside_fen": "col_aside",
        "named": "col_named",
        "memo": "col_memo",
    }
    view = _money(other.select(list(names)), {"amount_fen": "", "aside_fen": ""})
    return view.rename({k: t(f"fees.{v}", lang) for k, v in names.items()})


def findings_view(findings: list, lang: str | None = None) -> pl.DataFrame:
    """Bank statement rows that could not be read: row, column, value, message."""
    names = {"row": "col_row", "column": "col_column", "value": "col_value", "message": "col_message"}
    return findings_frame(findings).select(list(names)).rename({k: t(f"fees.{v}", lang) for k, v in names.items()})


# --------------------------------------------------------------------------- xlsx statement


def sheet_names(statement: pl.DataFrame) -> dict[str, str]:
    """Paying site → its sheet name (code and name, at most 31 characters; the code keeps it unique)."""
    out = {}
    for code, name in statement.select("payer_code", "payer_name").unique().sort("payer_code").iter_rows():
        text = f"{code} {name or ''}".strip()
        for ch in "[]:*?/\\":
            text = text.replace(ch, "_")
        out[code] = text[:31]
    return out


def write_statement_xlsx(
    recon: Reconciliation, path: str | os.PathLike, lang: str | None = None, notice: Notice | None = None
) -> None:
    """One xlsx: a summary sheet, then one sheet per paying school; written atomically."""
    import xlsxwriter  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    with atomic_path(path) as tmp:
        with xlsxwriter.Workbook(str(tmp)) as wb:
            wb.set_properties({"created": dt.datetime(2000, 1, 1)})  # same inputs → same workbook
            fmt = _Formats(wb)
            summary = wb.add_worksheet(t("fees.sheet_summary", lang)[:31])
            _write_summary(summary, fmt, recon, lang, notice)
            for code, name in sheet_names(recon.statement).items():
                _write_school(wb.add_worksheet(name), fmt, recon, code, lang)


class _Formats:
    def __init__(self, wb) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 13})
        self.head = wb.add_format({"bold": True, "bg_color": "#DDE7F3", "border": 1, "text_wrap": True})
        self.yuan = wb.add_format({"num_format": "#,##0.00", "border": 1})
        self.cell = wb.add_format({"border": 1})
        self.warn = wb.add_format({"bold": True, "font_color": "#9C2A00", "text_wrap": True, "valign": "top"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.note = wb.add_format({"italic": True, "font_color": "#555555"})


def _block(ws, fmt: _Formats, row: int, title: str, frame: pl.DataFrame, money: set[str], lang: str | None) -> int:
    """Write a titled table at ``row``; amounts (``*_fen`` columns in ``money``) as yuan numbers. Next free row."""
    ws.write(row, 0, title, fmt.title)
    row += 1
    if frame.height == 0:
        ws.write(row, 0, t("fees.none", lang), fmt.note)
        return row + 2
    for c, name in enumerate(frame.columns):
        ws.write(row, c, name, fmt.head)
        ws.set_column(c, c, 14)
    for r, values in enumerate(frame.iter_rows(), start=row + 1):
        for c, (name, v) in enumerate(zip(frame.columns, values, strict=True)):
            if name in money and v is not None:
                ws.write_number(r, c, v / FEN_PER_YUAN, fmt.yuan)
            elif isinstance(v, bool):
                ws.write(r, c, t("fees.answer_yes" if v else "fees.answer_no", lang), fmt.cell)
            elif isinstance(v, (list, tuple)):
                ws.write(r, c, "、".join(map(str, v)), fmt.cell)
            elif isinstance(v, (dt.date,)):
                ws.write(r, c, v.isoformat(), fmt.cell)
            elif v is None:
                ws.write_blank(r, c, None, fmt.cell)
            else:
                ws.write(r, c, v, fmt.cell)
    return row + frame.height + 2


def _heads(frame: pl.DataFrame, names: dict[str, str], lang: str | None) -> tuple[pl.DataFrame, set[str]]:
    """Select and rename columns to their catalog headings; the headings of money columns."""
    out = frame.select(list(names)).rename({k: t(f"fees.{v}", lang) for k, v in names.items()})
    return out, {t(f"fees.{v}", lang) for k, v in names.items() if k.endswith("_fen")}


def _localise(frame: pl.DataFrame, lang: str | None) -> pl.DataFrame:
    exprs = []
    if "status" in frame.columns:
        exprs.append(pl.col("status").replace_strict(_texts("status", STATUSES, lang), default=pl.col("status")))
    if "level" in frame.columns:
        levels = {lv: label(lv, lang) for lv in frame["level"].unique().drop_nulls().to_list()}
        exprs.append(pl.col("level").replace_strict(levels, default=pl.col("level")))
    return frame.with_columns(exprs) if exprs else frame


_STATEMENT_COLS = {
    "batch": "col_batch",
    "level": "col_level",
    "person_times": "col_person_times",
    "unit_price_fen": "col_unit_price",
    "expected_fen": "col_expected",
    "paid_fen": "col_paid",
    "balance_fen": "col_balance",
    "status": "col_status",
    "allocated": "col_allocated",
}


def _write_summary(ws, fmt: _Formats, recon: Reconciliation, lang: str | None, notice: Notice | None) -> None:
    # the title names the narrowed scope, else the batches the year's statement covers so far
    covered = sorted(set(recon.statement["batch"].to_list()) | set(recon.unknown))
    span = recon.scope if recon.narrowed or not covered else covered
    scope = f"{span[0]}–{span[-1]}" if span else ""
    title = t("fees.xlsx_title", lang, scope=scope, when=f"{dt.date.today():%Y-%m-%d}")
    ws.write(0, 0, title, fmt.title)
    by_school = recon.by_school()
    statuses = shown_statuses(by_school)
    widths = (16,) + (14,) * (5 + len(statuses))  # as wide as the widest table, the totals per school
    row = 1
    for u in recon.unreadable:  # at the top: the files that could not be read, and why
        batch = u.batch or t("fees.unreadable_no_batch", lang)
        text = t("fees.unreadable_line", lang, file=u.name, batch=batch, reason=u.reason)
        write_across(ws, row, text, fmt.warn, widths)
        row += 1
    write_across(ws, row, summary_text(recon.statement, lang), fmt.wrap, widths)
    row += 1
    if recon.prices and recon.prices.fen and recon.prices.is_example:
        write_across(ws, row, t("fees.rule_example_warning", lang, source=recon.prices.source), fmt.warn, widths)
        row += 1
    bill_absent = t("fees.rule_bill_absent_yes" if recon.bill_absent else "fees.rule_bill_absent_no", lang)
    write_across(ws, row, bill_absent, fmt.wrap, widths)
    row += 2
    names = {
        "payer_code": "col_payer_code",
        "payer_name": "col_payer_name",
        "person_times": "col_person_times",
        "expected_fen": "col_expected",
        "paid_fen": "col_paid",
        "balance_fen": "col_balance",
    }
    frame, money = _heads(by_school, names, lang)
    frame = frame.with_columns(by_school.select(pl.col(s).alias(t(f"fees.status_{s}", lang)) for s in statuses))
    row = _block(ws, fmt, row, t("fees.xlsx_by_school", lang), frame, money, lang)
    names = {
        "batch": "col_batch",
        "person_times": "col_person_times",
        "expected_fen": "col_expected",
        "paid_fen": "col_paid",
        "balance_fen": "col_balance",
    }
    frame, money = _heads(recon.by_batch(), names, lang)
    row = _block(ws, fmt, row, t("fees.xlsx_by_batch", lang), frame, money, lang)
    notes = recon.notes()
    if notes.height:  # rows that billed nothing, or whose fee is unknown, and why
        names = {"payer_code": "col_payer_code", "batch": "col_batch", "status": "col_status", "text": "col_note"}
        frame, money = _heads(_localise(notes.with_columns(note_expr(lang).alias("text")), lang), names, lang)
        row = _block(ws, fmt, row, t("fees.xlsx_notes", lang), frame, money, lang)
    names = RECEIPT_COLUMNS
    unmatched = unmatched_view(recon.unmatched, lang).select(t("fees.col_reason", lang))
    frame, money = _heads(recon.unmatched, names, lang)
    row = _block(ws, fmt, row, t("fees.xlsx_unmatched", lang), frame.with_columns(unmatched), money, lang)
    names = {
        ROW: "col_row",
        "payer_name": "col_payer",
        "amount_fen": "col_amount",
        "paid_on": "col_date",
        "memo": "col_memo",
        "duplicate_of": "col_duplicate_of",
    }
    frame, money = _heads(recon.duplicates, names, lang)
    row = _block(ws, fmt, row, t("fees.xlsx_duplicates", lang), frame, money, lang)
    names = {
        ROW: "col_row",
        "payer_code": "col_payer_code",
        "amount_fen": "col_amount",
        "aside_fen": "col_aside",
        "paid_on": "col_date",
        "named": "col_named",
        "memo": "col_memo",
    }
    frame, money = _heads(recon.other_batches, names, lang)
    row = _block(ws, fmt, row, t("fees.xlsx_other_batches", lang), frame, money, lang)
    _block(ws, fmt, row, t("fees.xlsx_findings", lang), findings_view(recon.findings, lang), set(), lang)
    apply_print_setup(ws, PrintSetup(title, widths=widths), last_col=len(widths) - 1, lang=lang)


def _write_school(ws, fmt: _Formats, recon: Reconciliation, code: str, lang: str | None) -> None:
    rows = recon.statement.filter(pl.col("payer_code") == code)
    name = rows["payer_name"][0] or ""
    title = t("fees.xlsx_school_title", lang, code=code, name=name)
    ws.write(0, 0, title, fmt.title)
    ws.write(1, 0, summary_text(rows, lang))
    frame, money = _heads(_localise(rows, lang), _STATEMENT_COLS, lang)
    row = _block(ws, fmt, 3, t("fees.xlsx_statement", lang), frame, money, lang)
    widths = (14,) * 6 + (40,) + (14,) * 2  # as many as _STATEMENT_COLS; column 6 holds the receipts' memo
    noted = rows.filter(pl.col("note").is_not_null()).with_columns(note_expr(lang).alias("text"))
    for batch, text in noted.select("batch", "text").iter_rows():  # why a row billed nothing, under the table
        write_across(ws, row - 1, t("fees.note_line", lang, batch=batch, note=text), fmt.wrap, widths)
        row += 1
    names = {
        ROW: "col_row",
        "paid_on": "col_date",
        "batch": "col_batch",
        "amount_fen": "col_amount",
        "paid_fen": "col_part",
        "allocated": "col_allocated",
        "memo": "col_memo",
    }
    parts = recon.allocations.filter(pl.col("payer_code") == code).sort("paid_on", ROW, "batch")
    frame, money = _heads(parts, names, lang)
    row = _block(ws, fmt, row, t("fees.xlsx_receipts", lang), frame, money, lang)
    sign_off_lines(ws, row, None, lang, on=dt.date.today())
    apply_print_setup(ws, PrintSetup(title, widths=widths), last_col=len(widths) - 1, lang=lang)
