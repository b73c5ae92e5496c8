"""``examkit certificates``: issue numbered certificates once the publicity period has ended."""

from __future__ import annotations

import argparse

from examkit.cli.publicity import actor, resolve_target
from examkit.core import publicity as dates
from examkit.core.i18n import t
from examkit.core.publicity import parse_date, refuse_future
from examkit.report.certificates import issue_batch
from examkit.store.gradebook import Gradebook


def cli_certificates(args: argparse.Namespace) -> int:
    """``examkit certificates --batch B [--on DATE] [--gradebook G | --params FILE] [--out DIR] [--by NAME]``."""
    target = resolve_target(args)
    now = dates.today(target.batch)
    on = parse_date(args.on) if args.on else now
    refuse_future(on, now)
    with Gradebook(target.gradebook) as gb:
        result, paths = issue_batch(
            gb, target.batch, on, by=actor(args), out_dir=args.out, params_dir=target.params_dir
        )
    print(
        t(
            "certificates.issued",
            batch=target.batch,
            issued=result.issued.height,
            already=result.already,
            held=result.held.height,
        )
    )
    if result.held.height:
        print(t("certificates.held_listed", count=result.held.height))
    for p in paths.values():
        print(f"  {p}")
    return 0
