"""``examkit fees``: the fee statement as a table, csv or json; ``--xlsx`` and ``--unmatched`` write files."""

from __future__ import annotations

import argparse
import sys

from examkit.analysis.fees import reconcile
from examkit.cli.output import emit
from examkit.core.exceptions import ConfigError
from examkit.core.findings import findings_frame
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.intake.payments import load_payments
from examkit.io.write import write_csv
from examkit.report.fee_statement import summary_text, write_statement_xlsx
from examkit.session.fee_inputs import load_inputs, load_results
from examkit.settings.columns import columns_for
from examkit.settings.policy import load_bill_absent
from examkit.settings.prices import load_prices


def cli_fees(args: argparse.Namespace) -> int:
    """``examkit fees``: the statement as table/csv/json; ``--xlsx`` and ``--unmatched`` write files."""
    params_dir = getattr(args, "params_dir", None)
    regs, schools, excluded = load_inputs(args.registrations, args.schools, params_dir)
    if regs.height == 0:
        raise ConfigError(t("fees.no_registrations"))
    pay = load_payments(args.payments, columns_for(params_dir))
    bill_absent = load_bill_absent(params_dir)
    scope = tuple(sorted(regs["batch"].unique().to_list()))
    results = None if bill_absent else load_results(getattr(args, "gradebook", None), scope)
    recon = reconcile(
        regs,
        pay.frame,
        notice=notice_for_batch(scope[0]),
        schools=schools,
        prices=load_prices(args.prices, params_dir),
        bill_absent=bill_absent,
        results=results,
        findings=pay.findings,
    )
    for finding in pay.findings:
        print(finding.message, file=sys.stderr)
    if excluded:
        print(t("fees.excluded_note", n=excluded), file=sys.stderr)
    if args.xlsx:
        write_statement_xlsx(recon, args.xlsx, notice=notice_for_batch(scope[0]))
        print(t("fees.cli_wrote", file=args.xlsx), file=sys.stderr)
    if args.unmatched:
        write_csv(recon.unmatched_frame(), args.unmatched)
        print(t("fees.cli_wrote", file=args.unmatched), file=sys.stderr)
    extra = None
    if args.format == "json":
        extra = {
            "unmatched": recon.unmatched_frame().to_dicts(),
            "duplicates": recon.duplicates.to_dicts(),
            "other_batches": recon.other_batches.to_dicts(),
            "findings": findings_frame(pay.findings).to_dicts(),
            "bill_absent": bill_absent,
        }
    emit(recon.csv_frame(), args.format, extra)
    if args.format == "table":
        print(summary_text(recon.statement))
        if recon.unmatched.height:
            print(t("fees.xlsx_unmatched"))
            emit(recon.unmatched_frame().drop("file"), "table")
    return 0
