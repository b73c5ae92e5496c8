"""The registration check as a report table (the findings of this batch's file, without personal data)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from examkit.core.findings import ERROR, RULES, findings_frame, message_expr
from examkit.core.i18n import t
from examkit.intake.registration_model import Registrations
from examkit.intake.validate import WHERE_MAX

if TYPE_CHECKING:
    from examkit.session.batch import BatchSession


def validation_report(session: BatchSession) -> pl.DataFrame:
    """What this batch's validation kept, excluded and why, and its warnings — no personal data.

    A small display frame for the top of every batch notebook (``session.registrations``).
    """
    if session.path("registrations") is None:
        return pl.DataFrame({t("validate.report_item"): [t("validate.report_none")]})
    return report_frame(session.registrations)


def report_frame(reg: Registrations) -> pl.DataFrame:
    """Rows read, kept and warned about, then one line per problem (errors first): how many rows and which.

    Only rule descriptions and Excel row numbers appear: no names, ID or phone numbers, values.
    """
    item, rows_col, where_col = t("validate.report_item"), t("validate.report_rows"), t("validate.report_where")
    head = pl.DataFrame(
        {
            item: [t("validate.report_read"), t("validate.report_kept"), t("validate.report_warned")],
            rows_col: [reg.rows, reg.frame.height, len({(f.file, f.row) for f in reg.warnings})],
            where_col: ["", "", ""],
        },
        schema={item: pl.String, rows_col: pl.Int64, where_col: pl.String},
    )
    found = findings_frame(reg.findings)
    if found.height == 0:
        return head
    several_files = found["file"].n_unique() > 1
    name = pl.col("file").str.replace(r"^.*[\\/]", "")  # the file name without its folder
    place = (
        pl.concat_str(name, pl.lit(":"), pl.col("row").cast(pl.String))
        if several_files
        else pl.col("row").cast(pl.String)
    )
    whole_column = pl.col("rule") == "missing_column"  # every row is out: name the column instead
    place = pl.when(whole_column).then(pl.col("column")).otherwise(place)
    labels = {
        (sev, rule): t(
            "validate.report_excluded" if sev == ERROR else "validate.report_warning",
            reason=t(f"validate.reason_{rule}"),
        )
        for sev in (ERROR, "warning")
        for rule in RULES
    }
    # a blank is out because of the rule that needs its column, and that message names it (it holds no value)
    by_column = pl.col("rule").is_in(["missing_value", "derived_value"])
    lines = (
        found.lazy()
        .with_columns(
            place.fill_null("—").alias("place"),
            (pl.col("severity") != ERROR).alias("_warn"),
            pl.when(by_column).then(pl.col("column")).alias("_column"),
        )
        .group_by("_warn", "severity", "rule", "_column")
        .agg(
            pl.col("place").unique(maintain_order=True).alias("places"),
            pl.col("place").n_unique().alias("n"),
            pl.col("message").first(),
        )
        .sort("_warn", "rule", "_column", nulls_last=True)
        .collect()
    )
    keys = pl.concat_str("severity", pl.lit("\x1f"), "rule")
    mapping = {f"{s}\x1f{r}": v for (s, r), v in labels.items()}
    blank = {
        "missing_value": message_expr("validate.report_excluded", reason=pl.col("message")),
        "derived_value": message_expr(
            "validate.report_warning",
            reason=message_expr("validate.reason_derived_value_for", column=pl.col("_column")),
        ),
    }
    label_expr = (
        pl.when((pl.col("rule") == "missing_value") & (pl.col("severity") == ERROR))
        .then(blank["missing_value"])
        .when(pl.col("rule") == "derived_value")
        .then(blank["derived_value"])
        .otherwise(keys.replace_strict(mapping, default=pl.col("rule")))
    )
    body = lines.select(
        label_expr.alias(item),
        pl.when(whole_column).then(pl.lit(reg.rows)).otherwise(pl.col("n")).cast(pl.Int64).alias(rows_col),
        pl.when(pl.col("n") > WHERE_MAX)
        .then(pl.concat_str(pl.col("places").list.head(WHERE_MAX).list.join("、"), pl.lit("…")))
        .otherwise(pl.col("places").list.join("、"))
        .alias(where_col),
    )
    return pl.concat([head, body])
