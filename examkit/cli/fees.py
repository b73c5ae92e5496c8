"""``examkit fees``: the fee statement as a table, csv or json; ``--xlsx`` and ``--unmatched`` write files."""

from __future__ import annotations

import argparse
import sys

from examkit.analysis.fees import Reconciliation, reconcile
from examkit.cli.output import emit
from examkit.core.exceptions import ConfigError
from examkit.core.findings import findings_frame
from examkit.core.i18n import t
from examkit.core.notice import Notice, notice_for_batch
from examkit.io.write import write_csv
from examkit.report.fee_notes import note_expr, summary_text
from examkit.report.fee_statement import write_statement_xlsx
from examkit.session.fee_inputs import FeeInputs, load_results, read_fee_inputs
from examkit.settings.policy import load_bill_absent
from examkit.settings.prices import load_prices
from examkit.store.inputs import project_store


def cli_fees(args: argparse.Namespace) -> int:
    """``examkit fees``: the statement as table/csv/json; ``--xlsx`` and ``--unmatched`` write files.

    The scope is the year (every batch of the notice), or the year so far up to ``--batch``. A folder's
    file that cannot be read is named first (its batch is unknown, not empty) and the exit code is 1.
    """
    params_dir = getattr(args, "params_dir", None)
    wanted = getattr(args, "batch", None)
    notice = notice_for_batch(wanted) if wanted else None
    upto = notice.batch(wanted).id if notice and wanted else None
    store = project_store(params_dir)
    inputs = read_fee_inputs(args.registrations, args.schools, params_dir, notice=notice, upto=upto, store=store)
    for u in inputs.unreadable:  # first, before any figure: the statement is incomplete
        batch = u.batch or t("fees.unreadable_no_batch")
        print(t("fees.unreadable_line", file=u.file, batch=batch, reason=u.reason), file=sys.stderr)
    regs = inputs.registrations
    if regs.height == 0 and not inputs.unreadable:
        raise ConfigError(t("fees.no_registrations"))
    notice = notice or _year_notice(inputs)
    scope = tuple(b.id for b in notice.batches if b.id <= upto) if upto else None
    pay = store.payments(args.payments)
    bill_absent = load_bill_absent(params_dir)
    billed = tuple(sorted(regs["batch"].unique().to_list())) if regs.height else ()
    results = None if bill_absent else load_results(getattr(args, "gradebook", None), billed)
    recon = reconcile(
        regs,
        pay.frame,
        notice=notice,
        schools=inputs.schools,
        prices=load_prices(args.prices, params_dir),
        bill_absent=bill_absent,
        results=results,
        scope=scope,
        findings=pay.findings,
        excluded=inputs.excluded_by_batch,
        unreadable=inputs.unreadable,
    )
    for finding in pay.findings:
        print(finding.message, file=sys.stderr)
    if inputs.excluded:
        print(t("fees.excluded_note", n=inputs.excluded), file=sys.stderr)
    if args.xlsx:
        write_statement_xlsx(recon, args.xlsx, notice=notice)
        print(t("fees.cli_wrote", file=args.xlsx), file=sys.stderr)
    if args.unmatched:
        write_csv(recon.unmatched_frame(), args.unmatched)
        print(t("fees.cli_wrote", file=args.unmatched), file=sys.stderr)
    _print(recon, args.format, bill_absent)
    return 1 if inputs.unreadable else 0


def _year_notice(inputs: FeeInputs) -> Notice:
    """The notice of the year the registrations are for (their earliest batch, else an unreadable file's)."""
    batches = sorted(inputs.registrations["batch"].unique().to_list()) if inputs.registrations.height else []
    batches = batches or sorted(u.batch for u in inputs.unreadable if u.batch)
    if not batches:
        raise ConfigError(t("fees.no_registrations"))
    return notice_for_batch(batches[0])


def _print(recon: Reconciliation, fmt: str, bill_absent: bool) -> None:
    """The statement on stdout; the table also lists the notes, unmatched receipts and those set apart."""
    if fmt == "csv":
        emit(recon.csv_frame(), fmt)
        return
    notes = recon.statement.select(note_expr().alias("note"))
    if fmt == "json":
        extra = {
            "scope": list(recon.scope),
            "unknown": list(recon.unknown),
            "unreadable": [{"file": u.file, "batch": u.batch, "reason": u.reason} for u in recon.unreadable],
            "unmatched": recon.unmatched_frame().to_dicts(),
            "duplicates": recon.duplicates.to_dicts(),
            "other_batches": recon.other_batches.to_dicts(),
            "findings": findings_frame(recon.findings).to_dicts(),
            "bill_absent": bill_absent,
        }
        emit(recon.csv_frame().with_columns(notes), fmt, extra)
        return
    frame = recon.csv_frame()
    emit(frame.with_columns(notes) if notes["note"].is_not_null().any() else frame, "table")
    print(summary_text(recon.statement))
    if recon.unmatched.height:
        print(t("fees.xlsx_unmatched"))
        emit(recon.unmatched_frame().drop("file"), "table")
    if recon.other_batches.height:
        print(t("fees.xlsx_other_batches"))
        emit(recon.other_batches.drop("file", "payer_name").rename({"_row": "row"}), "table")
