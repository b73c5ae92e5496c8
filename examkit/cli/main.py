"""``examkit`` command line: a thin shell over the Python API.

Each subcommand's handler lives beside the code it drives (``<module>.cli_<name>(args) -> int``);
this module only parses arguments, sets the language and turns examkit errors into messages.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from examkit.cli.parser import build_parser
from examkit.core.exceptions import ExamkitError
from examkit.core.i18n import LANGS, set_lang
from examkit.settings.notices import use_project_notices

# subcommand → "module:function" handling it
HANDLERS = {
    "schedule": "examkit.cli.schedule:cli_schedule",
    "notice": "examkit.cli.notice:cli_notice",
    "run": "examkit.cli.run:cli_run",
    "ingest": "examkit.cli.ingest:cli_ingest",
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


_LANG_FIRST = argparse.ArgumentParser(prog="examkit", add_help=False, allow_abbrev=False)  # --lan is not --lang
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
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        return 0


if __name__ == "__main__":
    sys.exit(main())
