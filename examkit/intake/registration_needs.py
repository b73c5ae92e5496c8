"""Which columns a registration needs, per candidate type and by which rule, and the blanks the kit fills in.

A row is excluded for a blank only when a rule needs that column for its candidate type
(``NEEDED_BY``; the rule is the catalog's ``validate.needs_<column>``) and the kit cannot derive it:
a blank province is the schools list's (a pilot student's school, else the exam site where a social
or non-pilot candidate sits), a blank batch is the file's own batch, a blank level is the batch's
(R1). Each derived cell is a ``derived_value`` warning naming its row.
"""

from __future__ import annotations

import polars as pl

from examkit.core.findings import WARNING, message_expr
from examkit.core.i18n import t
from examkit.intake.registration_model import DERIVABLE, INPUT_COLUMNS, NEEDED_BY, Check, Context


def needed_by(column: str) -> str:
    """The rule that needs ``column`` (catalog ``validate.needs_<column>``), or the site's own columns.yaml."""
    return t(f"validate.needs_{column}") if column in NEEDED_BY else t("validate.needs_config")


def reason(check: Check, column: str, *, present: bool = True) -> str:
    """A finding in a few words, without its value (excluded rows, reports); ``column``: the header shown,
    ``present``: whether the file has that column."""
    if check.rule == "missing_value":
        key = "validate.reason_missing_value_for" if present else "validate.reason_missing_column_for"
        return t(key, column=column, needed_by=needed_by(check.column))
    if check.rule == "derived_value":
        return t("validate.reason_derived_value_for", column=column)
    return t(f"validate.reason_{check.rule}")


def derived_batch(ctx: Context, parsed: pl.Expr) -> pl.Expr:
    """The batch: as written, else (blank) the batch the file is for, when it is for one."""
    own = ctx.expected.id if ctx.expected is not None else None
    return pl.when(pl.col("t_batch").is_null()).then(pl.lit(own, pl.String)).otherwise(parsed)


def derived_level() -> pl.Expr:
    """The level: as written, else (blank) the level the batch examines (``b_level``)."""
    return pl.when(pl.col("t_level").is_null()).then(pl.col("b_level")).otherwise(pl.col("n_level"))


def derived_province() -> tuple[pl.Expr, pl.Expr]:
    """The province (after the schools join) and whether it came from the candidate's own school.

    A blank province is a pilot student's school's, else the exam site's: social and non-pilot
    candidates register and sit at a host site (R5), whose province sets the price (R3).
    """
    pilot = pl.col("n_candidate_type") == "pilot_student"
    from_school = (pilot & pl.col("s_province").is_not_null()).fill_null(False)
    derived = pl.when(from_school).then(pl.col("s_province")).otherwise(pl.col("site_province"))
    province = pl.when(pl.col("t_province").is_null()).then(derived).otherwise(pl.col("n_province"))
    return province, from_school


def need_checks(
    ctx: Context, *, required: set[str], file: str, accepted: dict[str, str], level_names: dict[str, str]
) -> list[Check]:
    """``missing_value`` where a rule needs a blank cell it cannot derive; ``derived_value`` where it derived one.

    ``required``: the columns the site's columns.yaml requires; for a column no rule uses, it alone
    makes a blank an error.
    """
    typ = pl.col("n_candidate_type")

    def missing(column: str) -> pl.Expr:
        types = NEEDED_BY.get(column)
        if types is None:
            need = pl.lit(column in required)
        elif column == "candidate_type":  # needed to know which rules apply at all
            need = pl.lit(True)
        else:
            need = typ.is_in(list(types))
        if column in DERIVABLE:
            need = need & pl.col(f"n_{column}").is_null()
        return pl.col(f"t_{column}").is_null() & need

    checks = [
        Check(
            "missing_value",
            c,
            missing(c),
            {"accepted": accepted.get(c, t("validate.accepted_required")), "needed_by": needed_by(c)},
            key="validate.msg_missing_value_needed",
        )
        for c in INPUT_COLUMNS
    ]
    source = {
        "province": pl.when(pl.col("province_from_school"))
        .then(message_expr("validate.from_school_province", school=pl.col("n_school_code")))
        .otherwise(message_expr("validate.from_site_province", site=pl.col("n_site_code"))),
        "batch": pl.lit(t("validate.from_file_batch", file=file)),
        "level": message_expr("validate.from_batch_level", batch=pl.col("n_batch")),
    }
    value = {
        "province": pl.col("n_province"),
        "batch": pl.col("n_batch"),
        "level": pl.col("n_level").replace_strict(level_names, default=pl.col("n_level")),
    }
    checks += [
        Check(
            "derived_value",
            c,
            pl.col(f"t_{c}").is_null() & pl.col(f"n_{c}").is_not_null(),
            {"derived": value[c], "source": source[c]},
            severity=WARNING,
        )
        for c in DERIVABLE
    ]
    return checks
