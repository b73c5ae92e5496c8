"""``examkit scores import|export`` and ``examkit audit export``: score sheets and the audit log without Python.

A thin shell over ``examkit.intake.scoresheet`` (reading and checking a paper score sheet, the final score
sheet for the platform) and ``Gradebook.export_audit``. The gradebook comes from ``--gradebook``,
else the batch's params file (``--params``, default ``params/<batch>.yaml``); a missing gradebook
file is an error, never a new empty gradebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from examkit.cli.publicity import resolve_target
from examkit.core.exceptions import ConfigError, GradebookError, InputError, OverwriteRefused
from examkit.core.findings import Finding
from examkit.core.i18n import t
from examkit.intake.scoresheet import read_scores
from examkit.settings.params import load_batch_params
from examkit.store.gradebook import Gradebook, write_export
from examkit.store.scores import ScoreImport, final_scores


def _target(args: argparse.Namespace) -> tuple[str | None, Path, Path | None]:
    """(batch id or None, existing gradebook file, settings folder) named by the command line."""
    batch = getattr(args, "batch", None)
    if batch is None and getattr(args, "params", None):  # the params file names its batch
        batch_of_file = load_batch_params(args.params).values["batch"]
        target = resolve_target(argparse.Namespace(**{**vars(args), "batch": batch_of_file}))
        return None, target.gradebook, target.params_dir
    if batch is None:
        if not getattr(args, "gradebook", None):
            raise ConfigError(t("gradebook.cli_no_target"))
        path = Path(args.gradebook)
        if not path.is_file():
            raise ConfigError(t("gradebook.missing_file", file=str(path)))
        return None, path, Path(args.params_dir) if getattr(args, "params_dir", None) else None
    target = resolve_target(args)
    return target.batch, target.gradebook, target.params_dir


def _require_batch(gb, batch: str) -> None:
    """A batch the gradebook does not know is an error (an export would otherwise be silently empty)."""
    if batch not in gb.batches():
        raise GradebookError(t("gradebook.unknown_batch", file=str(gb.path), batch=batch))


def finding_lines(findings: list[Finding]) -> str:
    """One line per finding: severity, then the message (which names file, Excel row, column, value, accepted)."""
    return "\n".join(
        t("scoresheet.cli_line", severity=t(f"validate.severity_{f.severity}"), message=f.message) for f in findings
    )


def cli_scores(args: argparse.Namespace) -> int:
    """``examkit scores import SHEET --batch B …`` / ``examkit scores export --batch B --out FILE``."""
    return {"import": scores_import, "export": scores_export}[args.scores_action](args)


def scores_import(args: argparse.Namespace) -> int:
    """Check a paper score sheet and write it to the gradebook in one transaction, or write nothing.

    Exit 1 with every finding when the sheet has an error, or when it would change marks or flags
    already stored and ``--replace`` was not given (each replaced value is audited, with the reason).
    """
    batch, gradebook, params_dir = _target(args)
    sheet_path = Path(args.sheet)
    if not sheet_path.is_file():
        raise InputError(t("scoresheet.no_sheet", file=str(sheet_path)), file=str(sheet_path))
    with Gradebook(gradebook) as gb:
        _require_batch(gb, batch)
        registered = gb.candidates(batch).get_column("candidate_no")
        sheet = read_scores(sheet_path, batch, gb.rubric(batch), registered, params_dir=params_dir)
        applied = None
        if sheet.ok:
            reason = args.reason
            if args.replace:
                reason = t("scoresheet.replace_reason", file=sheet_path.name) + (f": {reason}" if reason else "")
            try:
                applied = gb.apply(
                    batch,
                    sheet.marks,
                    sheet.flags,
                    grader=args.grader or t("scoresheet.actor", file=sheet_path.name),
                    source=f"import:{sheet_path.name}",
                    reason=reason,
                    overwrite=bool(args.replace),
                )
            except OverwriteRefused as exc:
                if sheet.findings:
                    print(finding_lines(sheet.findings))
                print(str(exc), file=sys.stderr)
                print(t("scoresheet.cli_use_replace"), file=sys.stderr)
                return exc.exit_code
    result = ScoreImport(sheet, applied)
    if sheet.findings:
        print(finding_lines(sheet.findings))
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def scores_export(args: argparse.Namespace) -> int:
    """Write the batch's final score sheet (candidate, total, pass, flags) as ``.xlsx`` or ``.csv`` by suffix."""
    batch, gradebook, _ = _target(args)
    with Gradebook(gradebook) as gb:
        _require_batch(gb, batch)
        counts = gb.results(batch).get_column("status").value_counts()
        frame = final_scores(gb, batch)
    out = write_export(frame, args.out, t("scoresheet.sheet"))
    ungraded = counts.filter(pl.col("status") == "ungraded").get_column("count").sum()
    print(t("scoresheet.cli_exported", file=str(out), batch=batch, n=frame.height))
    if ungraded:
        print(t("scoresheet.cli_ungraded", batch=batch, n=ungraded), file=sys.stderr)
    return 0


def cli_audit(args: argparse.Namespace) -> int:
    """``examkit audit export [--batch B] [--params FILE | --gradebook G] --out FILE.csv|.xlsx``."""
    batch, gradebook, _ = _target(args)
    with Gradebook(gradebook) as gb:
        if batch is not None:
            _require_batch(gb, batch)
        out = gb.export_audit(args.out, batch)
        n = gb.audit(batch).height
    print(t("gradebook.cli_audit_exported", file=str(out), n=n, scope=batch or t("gradebook.all_batches")))
    return 0
