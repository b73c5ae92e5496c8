"""``examkit check-outputs DIR``: scan rendered reports and say what loads from the network or shows personal data."""

from __future__ import annotations

import argparse

from examkit.core.i18n import t
from examkit.report.check import scan_dir


def _n(key: str, n: int) -> str:
    """``n`` with its noun: ``<key>_one`` for exactly one, else ``<key>``."""
    return t(f"{key}_one" if n == 1 else key, n=n)


def cli_check_outputs(args: argparse.Namespace) -> int:
    files, findings = scan_dir(args.dir)
    for f in findings:
        print(f.message())
    if findings:
        files_hit = len({f.file for f in findings})
        print(
            t(
                "report.check_failed",
                count=_n("report.n_problems", len(findings)),
                files=_n("report.n_files", files_hit),
            )
        )
        return 1
    print(t("report.check_ok", files=_n("report.n_files", len(files))))
    return 0
