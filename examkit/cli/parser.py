"""The ``examkit`` argument parser: every command, every option's help from the message catalog.

One set of habits for every command: ``--lang`` before or after the command, ``--format
table|csv|json`` (``text`` is the old spelling of ``table``), and ``examkit --help`` listing the
commands grouped by who uses them. The parser is built in the language already chosen.
"""

from __future__ import annotations

import argparse

from examkit import __version__
from examkit.core.i18n import LANGS, t

FORMATS = ("table", "csv", "json")
FORMAT_ALIASES = {"text": "table"}
# who uses which command, in the order ``examkit --help`` lists them
GROUPS = {
    "group_staff": (
        "validate",
        "ingest",
        "run",
        "fees",
        "passrates",
        "scores",
        "audit",
        "publish",
        "review",
        "certificates",
        "check-outputs",
        "schedule",
        "notice",
    ),
    "group_teachers": ("grade",),
    "group_setup": ("demo", "kernel"),
}


def _h(key: str) -> str:
    """An option's help text from the catalog (argparse %-formats help, so a literal % is doubled)."""
    return t(key).replace("%", "%%")


def _format(value: str) -> str:
    value = FORMAT_ALIASES.get(value, value)
    if value not in FORMATS:
        raise argparse.ArgumentTypeError(f"{value} ({' | '.join(FORMATS)})")
    return value


def _common() -> argparse.ArgumentParser:
    """Options every command takes, after its name too: ``--lang``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-h", "--help", action="help", help=_h("cli.opt_help"))
    common.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help=_h("cli.opt_lang"))
    return common


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", type=_format, default="table", metavar="{table,csv,json}", help=_h("cli.opt_format")
    )


def _command_help(command: str) -> str:
    key = "cli.cmd_" + command.replace("-", "_")  # one catalog key per command
    return t(key)


def _epilog() -> str:
    lines = []
    for group, commands in GROUPS.items():
        lines.append(t(f"cli.{group}"))
        lines += [f"  {c:<14}{_command_help(c)}" for c in commands]
    lines += [t("cli.group_leadership"), "", t("cli.epilog_more")]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    common = _common()
    p = argparse.ArgumentParser(
        prog="examkit",
        description=t("cli.prog_description"),
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
        allow_abbrev=False,  # ``grade --lan`` must never be read as an abbreviated ``--lang``
    )
    p.add_argument("-h", "--help", action="help", help=_h("cli.opt_help"))
    p.add_argument("--version", action="version", version=f"examkit {__version__}", help=_h("cli.opt_version"))
    p.add_argument("--lang", choices=LANGS, default=None, help=_h("cli.opt_lang"))
    sub = p.add_subparsers(
        dest="command", required=True, metavar="COMMAND", title=t("cli.commands_title"), help=_h("cli.commands_help")
    )

    def command(parent, name: str, key: str, parents: tuple = ()) -> argparse.ArgumentParser:
        # top-level commands are listed by group in the epilog; sub-actions (review request…) by argparse
        listed = {} if parent is sub else {"help": _h(key)}
        return parent.add_parser(name, parents=[common, *parents], description=t(key), add_help=False, **listed)

    s = command(sub, "schedule", "cli.cmd_schedule")
    s.add_argument("--year", type=int, default=None, help=_h("notice.help_year"))
    _format_option(s)
    s.add_argument("--params-dir", default=None, help=_h("notice.help_schedule_params_dir"))

    s = command(sub, "notice", "cli.cmd_notice")
    ns = s.add_subparsers(dest="notice_action", required=True, metavar="ACTION", help=_h("cli.actions_help"))
    r = command(ns, "import", "cli.cmd_notice_import")
    r.add_argument("notice", help=_h("notice.help_notice_file"))
    r.add_argument("--params-dir", default=None, help=_h("notice.help_import_params_dir"))
    r.add_argument("--dry-run", action="store_true", help=_h("notice.help_dry_run"))
    _format_option(r)
    r.add_argument("--issuer", default=None, help=_h("notice.help_issuer"))
    r.add_argument("--issued-on", default=None, metavar="YYYY-MM-DD", help=_h("notice.help_issued_on"))

    s = command(sub, "ingest", "cli.cmd_ingest")
    s.add_argument("params", nargs="*", help=_h("cli.opt_ingest_params"))
    s.add_argument("--params-dir", default=None, help=_h("cli.opt_ingest_params_dir"))
    s.add_argument("--quiet", action="store_true", help=_h("cli.opt_quiet"))

    s = command(sub, "run", "cli.cmd_run")
    s.add_argument("params", nargs="+", help=_h("cli.opt_run_params"))
    s.add_argument("--jobs", type=int, default=2, help=_h("cli.opt_jobs"))
    s.add_argument("--out", default="outputs", help=_h("cli.opt_run_out"))
    s.add_argument("--notebooks", default=None, help=_h("cli.opt_notebooks"))
    s.add_argument("--pdf", action="store_true", help=_h("cli.opt_pdf"))
    s.add_argument("--quiet", action="store_true", help=_h("cli.opt_quiet"))
    s.add_argument("--fresh-kernels", action="store_true", help=_h("cli.opt_fresh_kernels"))

    s = command(sub, "demo", "cli.cmd_demo")
    s.add_argument("--workdir", default=".", help=_h("cli.opt_workdir"))
    s.add_argument("--out", default=None, help=_h("cli.opt_demo_out"))
    s.add_argument("--jobs", type=int, default=2, help=_h("cli.opt_jobs"))
    s.add_argument("--seed", type=int, default=2023, help=_h("cli.opt_seed"))
    s.add_argument("--batches", default=None, help=_h("cli.opt_batches"))
    s.add_argument("--quiet", action="store_true", help=_h("cli.opt_quiet"))
    s.add_argument("--fresh-kernels", action="store_true", help=_h("cli.opt_fresh_kernels"))

    s = command(sub, "validate", "cli.cmd_validate")
    s.add_argument("registrations", help=_h("cli.opt_registrations_file"))
    s.add_argument("--schools", default=None, help=_h("cli.opt_schools"))
    s.add_argument("--gradebook", default=None, help=_h("cli.opt_gradebook_passes"))
    _format_option(s)
    s.add_argument("--params-dir", default=None, help=_h("cli.opt_params_dir"))

    s = command(sub, "passrates", "cli.cmd_passrates")
    s.add_argument("--registrations", required=True, nargs="+", help=_h("cli.opt_registrations"))
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--scores", nargs="+", help=_h("cli.opt_scores"))
    g.add_argument("--gradebook", help=_h("cli.opt_gradebook_ro"))
    s.add_argument("--by", default="batch,level", help=_h("cli.opt_by"))
    _format_option(s)
    s.add_argument("--schools", default=None, help=_h("cli.opt_schools_passrates"))
    s.add_argument("--params-dir", default=None, help=_h("cli.opt_params_dir"))

    s = command(sub, "fees", "cli.cmd_fees")
    s.add_argument("--registrations", required=True, nargs="+", help=_h("cli.opt_registrations"))
    s.add_argument("--payments", required=True, help=_h("cli.opt_payments"))
    s.add_argument("--schools", default=None, help=_h("cli.opt_schools"))
    s.add_argument("--prices", default=None, help=_h("cli.opt_prices"))
    _format_option(s)
    s.add_argument("--xlsx", default=None, help=_h("cli.opt_xlsx"))
    s.add_argument("--unmatched", default=None, help=_h("cli.opt_unmatched"))
    s.add_argument("--params-dir", default=None, help=_h("cli.opt_params_dir"))
    s.add_argument("--gradebook", default=None, help=_h("cli.opt_gradebook_fees"))
    s.add_argument("--batch", default=None, help=_h("cli.opt_fees_batch"))

    s = command(sub, "check-outputs", "cli.cmd_check_outputs")
    s.add_argument("dir", help=_h("cli.opt_check_dir"))

    s = command(sub, "kernel", "cli.cmd_kernel")
    s.add_argument("action", choices=("install",), help=_h("cli.opt_kernel_action"))

    s = command(sub, "grade", "cli.cmd_grade")
    s.add_argument("--batch", required=True, help=_h("cli.opt_batch"))
    s.add_argument("--grader", action="append", default=None, help=_h("cli.opt_grader_page"))
    s.add_argument("--port", type=int, default=None, help=_h("cli.opt_port"))
    s.add_argument("--params-dir", default=None, help=_h("cli.opt_grade_params_dir"))
    s.add_argument("--lan", action="store_true", help=_h("cli.opt_grade_lan"))
    s.add_argument("--graders", default=None, metavar="FILE", help=_h("cli.opt_grade_graders"))
    s.add_argument("--host", default=None, help=_h("cli.opt_grade_host"))
    s.add_argument("--links-page", default=None, metavar="FILE", help=_h("cli.opt_grade_links_page"))
    s.add_argument("--revoke", action="append", default=None, metavar="NAME", help=_h("cli.opt_grade_revoke"))
    s.add_argument("--revoke-file", default=None, metavar="FILE", help=_h("cli.opt_grade_revoke_file"))

    _publicity_commands(sub, command)
    _gradebook_commands(sub, command)
    return p


def _publicity_commands(sub, command) -> None:
    """publish, review, certificates: the gradebook from --gradebook, else the batch's params file."""
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--batch", required=True, help=_h("cli.opt_batch"))
    tg = target.add_mutually_exclusive_group()
    tg.add_argument("--gradebook", default=None, help=_h("cli.opt_gradebook"))
    tg.add_argument("--params", default=None, help=_h("cli.opt_params"))
    target.add_argument("--params-dir", default=None, help=_h("cli.opt_params_dir_policy"))
    target.add_argument("--by", default=None, help=_h("cli.opt_by_person"))

    s = command(sub, "publish", "cli.cmd_publish", (target,))
    s.add_argument("--on", required=True, help=_h("cli.opt_publish_on"))
    s.add_argument("--out", default=None, help=_h("cli.opt_publish_out"))

    s = command(sub, "review", "cli.cmd_review")
    rs = s.add_subparsers(dest="review_action", required=True, metavar="ACTION", help=_h("cli.actions_help"))
    r = command(rs, "request", "cli.cmd_review_request", (target,))
    r.add_argument("--candidate", required=True, help=_h("cli.opt_candidate"))
    r.add_argument("--requested-by", required=True, help=_h("cli.opt_requested_by"))
    r.add_argument("--on", default=None, help=_h("cli.opt_request_on"))
    r.add_argument("--reason", default=None, help=_h("cli.opt_request_reason"))
    r = command(rs, "decide", "cli.cmd_review_decide", (target,))
    r.add_argument("--id", required=True, type=int, help=_h("cli.opt_review_id"))
    r.add_argument("--set", action="append", metavar="ITEM=MARK", help=_h("cli.opt_set"))
    r.add_argument("--reason", default=None, help=_h("cli.opt_decide_reason"))
    r = command(rs, "list", "cli.cmd_review_list", (target,))
    _format_option(r)

    s = command(sub, "certificates", "cli.cmd_certificates", (target,))
    s.add_argument("--on", default=None, help=_h("cli.opt_issue_on"))
    s.add_argument("--out", default=None, help=_h("cli.opt_issue_out"))


def _gradebook_commands(sub, command) -> None:
    """scores and audit: the gradebook from --gradebook, else the batch's params file."""
    book = argparse.ArgumentParser(add_help=False)
    bg = book.add_mutually_exclusive_group()
    bg.add_argument("--gradebook", default=None, help=_h("cli.opt_gradebook_exists"))
    bg.add_argument("--params", default=None, help=_h("cli.opt_params"))
    book.add_argument("--params-dir", default=None, help=_h("cli.opt_params_dir_columns"))

    s = command(sub, "scores", "cli.cmd_scores")
    ss = s.add_subparsers(dest="scores_action", required=True, metavar="ACTION", help=_h("cli.actions_help"))
    r = command(ss, "import", "cli.cmd_scores_import", (book,))
    r.add_argument("sheet", help=_h("cli.opt_sheet"))
    r.add_argument("--batch", required=True, help=_h("cli.opt_batch"))
    r.add_argument("--grader", default=None, help=_h("cli.opt_grader_import"))
    r.add_argument("--replace", action="store_true", help=_h("cli.opt_replace"))
    r.add_argument("--reason", default=None, help=_h("cli.opt_import_reason"))
    r = command(ss, "export", "cli.cmd_scores_export", (book,))
    r.add_argument("--batch", required=True, help=_h("cli.opt_batch"))
    r.add_argument("--out", required=True, help=_h("cli.opt_export_out"))

    s = command(sub, "audit", "cli.cmd_audit")
    ss = s.add_subparsers(dest="audit_action", required=True, metavar="ACTION", help=_h("cli.actions_help"))
    r = command(ss, "export", "cli.cmd_audit_export", (book,))
    r.add_argument("--batch", default=None, help=_h("cli.opt_audit_batch"))
    r.add_argument("--out", required=True, help=_h("cli.opt_export_out"))
