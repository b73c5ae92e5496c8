"""``examkit publish`` and ``examkit review``: publish results, record and decide review requests (复核)."""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from examkit.core import publicity as dates
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.core.publicity import check_request_date, days_text, parse_date
from examkit.report.publicity import publish_batch, review_line, review_table
from examkit.settings.params import load_batch_params
from examkit.store.gradebook import Gradebook


@dataclass(frozen=True)
class Target:
    """What a publish / review / certificates command works on."""

    batch: str
    gradebook: Path
    params_dir: Path | None
    lang: str | None = None


def resolve_target(args: argparse.Namespace) -> Target:
    """The batch id and gradebook from ``--gradebook G`` or the batch's params file (``--params``, default ``params/<batch>.yaml``)."""
    batch = notice_for_batch(args.batch).batch(args.batch).id
    params_dir = Path(args.params_dir) if getattr(args, "params_dir", None) else None
    if getattr(args, "gradebook", None):
        return Target(batch, _existing_gradebook(Path(args.gradebook), "--gradebook"), params_dir)
    pfile = Path(getattr(args, "params", None) or Path("params") / f"{batch}.yaml")
    if not pfile.is_file():
        raise ConfigError(t("publicity.no_target", file=str(pfile), batch=batch))
    values = load_batch_params(pfile).values
    if not values.get("gradebook"):
        raise ConfigError(t("config.missing_key", file=str(pfile), key="gradebook"))
    settings = values.get("settings_dir")
    gradebook = _existing_gradebook(Path(values["gradebook"]), str(pfile))
    return Target(batch, gradebook, params_dir or (Path(settings) if settings else None))


def _existing_gradebook(path: Path, source: str) -> Path:
    """``path`` if it is an existing gradebook file; a mistyped path is a ``ConfigError`` (nothing is created)."""
    if not path.is_file():
        raise ConfigError(t("publicity.no_gradebook", file=str(path), source=source))
    return path


def actor(args: argparse.Namespace) -> str:
    """Who runs the command (``--by``, else the login name)."""
    by = getattr(args, "by", None)
    if by:
        return str(by)
    try:
        return getpass.getuser()
    except Exception:  # no login name on this system
        return "examkit"


def cli_publish(args: argparse.Namespace) -> int:
    """``examkit publish --batch B --on DATE [--gradebook G | --params FILE] [--out DIR] [--by NAME]``."""

    target = resolve_target(args)
    on = parse_date(args.on)
    with Gradebook(target.gradebook) as gb:
        period, paths = publish_batch(
            gb, target.batch, on, by=actor(args), out_dir=args.out, params_dir=target.params_dir
        )
    days = days_text(period.days)
    print(t("publicity.published", batch=target.batch, first=period.first_day, last=period.last_day, days=days))
    for p in paths.values():
        print(f"  {p}")
    print(t("publicity.frozen_note"), file=sys.stderr)
    return 0


def _set_marks(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        item, sep, value = str(pair).partition("=")
        if not sep or not item.strip():
            raise ConfigError(t("publicity.bad_set", value=pair))
        out[item.strip()] = value.strip()
    return out


def cli_review(args: argparse.Namespace) -> int:
    """``examkit review request|decide|list``: record a review request, decide it with a re-mark, list them."""
    target = resolve_target(args)
    with Gradebook(target.gradebook) as gb:
        if args.review_action == "request":
            now = dates.today(target.batch)
            on = parse_date(args.on) if args.on else now
            reason = check_request_date(on, now, gb.publication(target.batch), args.reason, target.batch)
            rid = gb.request_review(
                target.batch,
                args.candidate,
                requested_by=args.requested_by,
                on=on,
                recorded_by=actor(args),
                reason=reason,
            )
            print(t("publicity.review_recorded", id=rid, candidate=args.candidate, batch=target.batch))
            return 0
        if args.review_action == "decide":
            review = gb.decide_review(
                target.batch, int(args.id), marks=_set_marks(args.set), decided_by=actor(args), reason=args.reason
            )
            print(review_line(review))
            return 0
        frame = review_table(gb.reviews(target.batch))
        fmt = getattr(args, "format", "table")
        if fmt == "csv":
            print(frame.write_csv(), end="")
        elif fmt == "json":
            print(frame.write_json())
        else:
            with pl.Config(
                tbl_rows=-1,
                tbl_cols=-1,
                tbl_hide_dataframe_shape=True,
                tbl_hide_column_data_types=True,
                tbl_hide_dtype_separator=True,
                fmt_str_lengths=60,
            ):
                print(frame)
        return 0
