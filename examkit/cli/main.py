"""``examkit`` command line: a thin shell over the Python API.

Each subcommand's handler lives beside the code it drives (``<module>.cli_<name>(args) -> int``);
this module only parses arguments, sets the language and turns examkit errors into messages.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from examkit import __version__
from examkit.core.exceptions import ExamkitError
from examkit.core.i18n import LANGS, set_lang, t
from examkit.settings.notices import use_project_notices

FORMATS = ("table", "csv", "json")

# subcommand → "module:function" handling it
HANDLERS = {
    "schedule": "examkit.cli.schedule:cli_schedule",
    "notice": "examkit.cli.notice:cli_notice",
    "run": "examkit.cli.run:cli_run",
    "demo": "examkit.cli.demo:cli_demo",
    "validate": "examkit.cli.validate:cli_validate",
    "passrates": "examkit.cli.passrates:cli_passrates",
    "fees": "examkit.cli.fees:cli_fees",
    "check-outputs": "examkit.cli.check:cli_check_outputs",
    "kernel": "examkit.cli.run:cli_kernel",
    "grade": "examkit.cli.grade:cli_grade",
    "publish": "examkit.cli.publicity:cli_publish",
    "review": "examkit.cli.publicity:cli_review",
    "certificates": "examkit.cli.certificates:cli_certificates",
    "scores": "examkit.cli.scores:cli_scores",
    "audit": "examkit.cli.scores:cli_audit",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="examkit", description="1+X 呼叫中心客户服务与管理 考务工具 / exam kit")
    p.add_argument("--version", action="version", version=f"examkit {__version__}")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="message language (default zh)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("schedule", help=t("notice.help_schedule"))
    s.add_argument("--year", type=int, default=None, help=t("notice.help_year"))
    s.add_argument("--format", choices=FORMATS, default="table", help=t("notice.help_format"))
    s.add_argument("--params-dir", default=None, help=t("notice.help_schedule_params_dir"))

    s = sub.add_parser("notice", help=t("notice.help_notice"))
    ns = s.add_subparsers(dest="notice_action", required=True)
    r = ns.add_parser("import", help=t("notice.help_notice_import"), description=t("notice.help_notice_import"))
    r.add_argument("notice", help=t("notice.help_notice_file"))
    r.add_argument("--params-dir", default=None, help=t("notice.help_import_params_dir"))
    r.add_argument("--dry-run", action="store_true", help=t("notice.help_dry_run"))
    r.add_argument("--format", choices=FORMATS, default="table", help=t("notice.help_format"))
    r.add_argument("--issuer", default=None, help=t("notice.help_issuer"))
    r.add_argument("--issued-on", default=None, metavar="YYYY-MM-DD", help=t("notice.help_issued_on"))

    s = sub.add_parser("run", help="run every batch's notebooks with papermill")
    s.add_argument("params", nargs="+", help="params/<batch>.yaml files")
    s.add_argument("--jobs", type=int, default=2)
    s.add_argument("--out", default="outputs")
    s.add_argument("--notebooks", default=None, help="comma list (default: grading,pass_rates,fees)")
    s.add_argument("--pdf", action="store_true", help="also print each report to PDF with a local Chromium")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="a new kernel for every notebook (slower; by default each worker keeps one warm kernel)",
    )

    s = sub.add_parser("demo", help="generate the demo year and run every batch")
    s.add_argument("--workdir", default=".", help="project folder (params/, data/demo/, outputs/)")
    s.add_argument("--out", default=None, help="outputs folder (default WORKDIR/outputs)")
    s.add_argument("--jobs", type=int, default=2)
    s.add_argument("--seed", type=int, default=2023)
    s.add_argument("--batches", default=None, help="comma list of batch ids (default: all)")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--fresh-kernels", action="store_true", help="a new kernel for every notebook (slower)")

    s = sub.add_parser("validate", help="check a registrations file against the notice's rules")
    s.add_argument("registrations")
    s.add_argument("--schools", default=None)
    s.add_argument(
        "--gradebook", default=None, help="gradebook file (read only): earlier passes, for the already-passed warning"
    )
    s.add_argument("--format", choices=("text", "csv", "json"), default="text")
    s.add_argument("--params-dir", default=None, help="settings folder (column mapping)")
    s.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help="message language (default zh)")

    s = sub.add_parser("passrates", help="pass rates with Wilson intervals")
    s.add_argument("--registrations", required=True, nargs="+", help="registrations files or folders")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--scores", nargs="+", help="score sheets (final sheet with 总分, or one column per rubric item)")
    g.add_argument("--gradebook", help="gradebook file (read only)")
    s.add_argument(
        "--by", default="batch,level", help="comma list of batch,level,school_code,site_code,province,candidate_type"
    )
    s.add_argument("--format", choices=FORMATS, default="table")
    s.add_argument(
        "--schools",
        default=None,
        help="schools file: the school rules (pilot, filed, trained teacher) exclude rows only when it is given; "
        "the pass_rates notebook always uses the batch's schools file, so give it to get the same numbers",
    )
    s.add_argument("--params-dir", default=None, help="settings folder (policy.yaml, columns.yaml, rubrics/)")

    s = sub.add_parser("fees", help="fee reconciliation per paying school and batch")
    s.add_argument("--registrations", required=True, nargs="+")
    s.add_argument("--payments", required=True)
    s.add_argument("--schools", default=None)
    s.add_argument("--prices", default=None)
    s.add_argument("--format", choices=FORMATS, default="table")
    s.add_argument("--xlsx", default=None, help="write the per-school statement (xlsx)")
    s.add_argument("--unmatched", default=None, help="write the unmatched receipts (csv)")
    s.add_argument("--params-dir", default=None, help="settings folder (policy.yaml, prices.yaml)")
    s.add_argument("--gradebook", default=None, help="absent status, needed when policy bill_absent is false")
    s.add_argument(
        "--batch",
        default=None,
        help="reconcile the year so far up to this batch (id or Chinese name), as its fees report does; receipts "
        "naming only later batches are listed apart (default: every batch of the notice)",
    )

    s = sub.add_parser("check-outputs", help="scan rendered reports for network references and personal data")
    s.add_argument("dir")

    s = sub.add_parser("kernel", help="register this Python as the 'examkit' Jupyter kernel")
    s.add_argument("action", choices=("install",))

    s = sub.add_parser("grade", help="serve the grading form as a local web page (Voila)")
    s.add_argument("--batch", required=True, help="batch id (2023-08) or its Chinese name")
    s.add_argument("--grader", default=None, help="your name as recorded with each mark (else typed in the page)")
    s.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    s.add_argument("--params-dir", default=None, help="folder with <batch>.yaml (default ./params)")
    # publicity, review requests, certificates: the gradebook from --gradebook, else the batch's params file
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--batch", required=True, help="batch id (2023-01) or its Chinese name")
    tg = target.add_mutually_exclusive_group()
    tg.add_argument("--gradebook", default=None, help="gradebook file")
    tg.add_argument("--params", default=None, help="the batch's params file (default params/<batch>.yaml)")
    target.add_argument("--params-dir", default=None, help="settings folder (policy.yaml) when using --gradebook")
    target.add_argument("--by", default=None, help="your name, recorded in the gradebook (default: login name)")

    s = sub.add_parser("publish", parents=[target], help="publish results: freeze, start publicity, write the list")
    s.add_argument("--on", required=True, help="publish date YYYY-MM-DD (first day of the publicity period)")
    s.add_argument("--out", default=None, help="folder for the publicity list (default: beside the gradebook)")

    s = sub.add_parser("review", help="score review requests (复核) during the publicity period")
    rs = s.add_subparsers(dest="review_action", required=True)
    r = rs.add_parser("request", parents=[target], help="record a review request")
    r.add_argument("--candidate", required=True, help="candidate number (考生号)")
    r.add_argument("--requested-by", required=True, help="who asked (the candidate, a parent, the school…)")
    r.add_argument(
        "--on",
        default=None,
        help="date of the request YYYY-MM-DD (default today, Beijing time; never later than today)",
    )
    r.add_argument(
        "--reason", default=None, help="needed to record a request after the period has ended (kept in the audit log)"
    )
    r = rs.add_parser("decide", parents=[target], help="decide a request: re-mark items, or confirm the marks")
    r.add_argument("--id", required=True, type=int, help="request number")
    r.add_argument("--set", action="append", metavar="ITEM=MARK", help="re-marked item (id or name); repeat")
    r.add_argument("--reason", default=None)
    r = rs.add_parser("list", parents=[target], help="the batch's requests and outcomes")
    r.add_argument("--format", choices=FORMATS, default="table")

    s = sub.add_parser("certificates", parents=[target], help="issue certificates after the publicity period")
    s.add_argument("--on", default=None, help="issue date YYYY-MM-DD (default today, Beijing time; never later)")
    s.add_argument("--out", default=None, help="folder for the issue lists (default: beside the gradebook)")

    # score sheets and the audit log (examkit.cli.scores): the gradebook from --gradebook, else the params file
    book = argparse.ArgumentParser(add_help=False)
    bg = book.add_mutually_exclusive_group()
    bg.add_argument("--gradebook", default=None, help="gradebook file (must exist)")
    bg.add_argument("--params", default=None, help="the batch's params file (default params/<batch>.yaml)")
    book.add_argument("--params-dir", default=None, help="settings folder (columns.yaml) when using --gradebook")
    s = sub.add_parser("scores", help="import a paper score sheet, or export the final score sheet")
    ss = s.add_subparsers(dest="scores_action", required=True)
    r = ss.add_parser("import", parents=[book], help="check a score sheet and write it all or nothing")
    r.add_argument("sheet", help="score sheet (xlsx/csv): 考生号, one column per rubric item, optional 状态")
    r.add_argument("--batch", required=True, help="batch id (2023-01) or its Chinese name")
    r.add_argument("--grader", default=None, help="recorded as who entered the marks (default: the sheet's name)")
    r.add_argument("--replace", action="store_true", help="allow changing marks already stored (audited)")
    r.add_argument("--reason", default=None, help="why, recorded with every change in the audit log")
    r = ss.add_parser("export", parents=[book], help="final score sheet for the platform (candidate, total, pass)")
    r.add_argument("--batch", required=True, help="batch id (2023-01) or its Chinese name")
    r.add_argument("--out", required=True, help="FILE.xlsx or FILE.csv")
    s = sub.add_parser("audit", help="export the gradebook's audit log")
    ss = s.add_subparsers(dest="audit_action", required=True)
    r = ss.add_parser("export", parents=[book], help="audit log as csv or xlsx (one batch, or all)")
    r.add_argument("--batch", default=None, help="only this batch (default: every batch in the gradebook)")
    r.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")
    return p


_LANG_FIRST = argparse.ArgumentParser(prog="examkit", add_help=False)
_LANG_FIRST.add_argument("--lang", default=None)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")  # Chinese output on a Windows console
    early, _ = _LANG_FIRST.parse_known_args(argv)  # the help text is built in the language asked for
    if early.lang in LANGS:
        set_lang(early.lang)
    args = build_parser().parse_args(argv)
    if args.lang:
        set_lang(args.lang)
    use_project_notices(getattr(args, "params_dir", None) or "params")  # notices imported into the project
    module, func = HANDLERS[args.command].split(":")
    try:
        handler = getattr(importlib.import_module(module), func)
        return int(handler(args) or 0)
    except ExamkitError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
