"""``examkit validate``: every problem of a registrations file at once, as text, csv or json (exit 0/1/2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from examkit.core.findings import findings_csv, findings_json
from examkit.core.i18n import set_lang, t
from examkit.intake.registrations import registration_files
from examkit.intake.schools import read_schools
from examkit.intake.validate import count, format_text, summary, validate_path
from examkit.settings.columns import columns_for
from examkit.store.inputs import project_store
from examkit.store.passes import gradebook_passes


def cli_validate(args: argparse.Namespace) -> int:
    """``examkit validate REGISTRATIONS [--schools S] [--gradebook G] [--format text|csv|json] [--lang en]``."""
    if getattr(args, "lang", None):
        set_lang(args.lang)
    params_dir = getattr(args, "params_dir", None)
    schools = None
    if args.schools:
        schools, problems = read_schools(args.schools, columns_for(params_dir))
        if problems:
            print(
                t("validate.schools_invalid", file=args.schools, n=count("validate.n_errors", len(problems))),
                file=sys.stderr,
            )
            print(format_text(problems), file=sys.stderr)
            return 2
    passes = gradebook_passes(args.gradebook) if getattr(args, "gradebook", None) else None
    target = Path(args.registrations)
    if target.is_dir() and not registration_files(target):
        print(t("validate.no_files", dir=str(target)), file=sys.stderr)
        return 2
    check = project_store(params_dir).registrations_check()
    reg = validate_path(target, schools=schools, prior_passes=passes, params_dir=params_dir, check=check)
    if reg.rows == 0 and not reg.findings:
        print(t("validate.no_rows", file=str(target)), file=sys.stderr)
        return 2
    if args.format == "csv":
        sys.stdout.write(findings_csv(reg.findings))
        print(summary(reg), file=sys.stderr)
    elif args.format == "json":
        print(findings_json(reg.findings))
        print(summary(reg), file=sys.stderr)
    else:
        if reg.findings:
            print(format_text(reg.findings))
        print(summary(reg))
    return 1 if reg.errors else 0
