"""The registration rules (R2, R4, R5, R8, R9, R10) as polars expressions over a whole file, and the excluded rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl

from examkit.core import idcard
from examkit.core import text as nz
from examkit.core.findings import ERROR, SCHEMA, VALUE_CHARS, WARNING, from_frame, message_expr, missing_column
from examkit.core.i18n import label, t
from examkit.intake.registration_joins import _join_passes, _join_schools
from examkit.intake.registration_model import (
    CANDIDATE_TYPES,
    EXCLUDED_SCHEMA,
    INPUT_COLUMNS,
    KIND,
    REG_SCHEMA,
    TYPE_WORDS,
    Check,
    Context,
    Registrations,
    _required,
)
from examkit.intake.registration_needs import (
    derived_batch,
    derived_level,
    derived_province,
    need_checks,
    needed_by,
    reason,
)
from examkit.io.tables import ROW, Table

ENGINE = "in-memory"  # one file's rows fit in memory; the streaming engine's start-up costs more than it saves


def check_table(
    table: Table, ctx: Context, mapping: dict[str, list[str]], required: Iterable[str] | None = None
) -> Registrations:
    """Normalise and check an already read registrations ``Table`` against ``ctx``.

    ``mapping``: the registrations' column mapping; ``required``: the columns a file must have (default:
    those marked ``required`` in ``columns.yaml``). Which rows need a value is the rules' business
    (``registration_needs``): a blank the kit can derive is filled in, with a warning.
    """
    required = tuple(required) if required is not None else _required(None, {KIND: mapping})
    frame = table.frame
    for col in INPUT_COLUMNS:
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(col))
    cleaned = _clean(frame, ctx)
    blank = pl.all_horizontal([pl.col(f"t_{c}").is_null() for c in INPUT_COLUMNS])  # a blank row is no registration
    base = _enrich(cleaned.filter(~blank), ctx).sort(ROW).collect(engine=ENGINE)  # joins do not keep order
    # the user's header; for a column the file does not have, the name the column mapping shows first
    shown = {c: table.headers.get(c) or mapping.get(c, [c])[0] for c in INPUT_COLUMNS}
    lacking = [c for c in required if c not in table.headers]
    missing = [missing_column(str(table.file), table.header_row, mapping.get(c, [c])) for c in lacking]
    checks = _checks(ctx, required=set(required), file=table.file.name)
    order = {c: i for i, c in enumerate(table.headers)}
    # every condition once over all rows; the findings are built from the few rows that hold one (none: no plan)
    flagged = base.filter(pl.any_horizontal([c.when.fill_null(False) for c in checks])) if checks else base.clear()
    parts = [
        flagged.lazy()
        .filter(c.when.fill_null(False))
        .select(
            pl.lit(str(table.file)).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(shown[c.column]).alias("column"),
            pl.col(c.column).str.slice(0, VALUE_CHARS).alias("value"),
            pl.lit(c.rule).alias("rule"),
            pl.lit(c.severity).alias("severity"),
            message_expr(
                (c.key or f"validate.msg_{c.rule}") + ("" if c.column in table.headers else "_absent"),
                column=shown[c.column],
                value=pl.col(c.column).str.slice(0, VALUE_CHARS),
                **c.fields,
            ).alias("message"),
            pl.lit(reason(c, shown[c.column], present=c.column in table.headers)).alias("_reason"),
            pl.lit(order.get(c.column, len(order))).alias("_order"),
        )
        for c in checks
        # a column the file lacks: only its blanks, and only when it is optional (a required one is missing_column)
        if flagged.height
        and (c.column in table.headers or (c.column not in required and c.rule in ("missing_value", "derived_value")))
    ]
    found = (
        pl.concat(parts).sort(["row", "_order"], maintain_order=True).collect(engine=ENGINE)
        if parts
        else pl.DataFrame(schema={**SCHEMA, "_reason": pl.String, "_order": pl.Int32})
    )
    findings = missing + from_frame(found)
    whole_file = [t("validate.reason_missing_column_for", column=shown[c], needed_by=needed_by(c)) for c in lacking]
    excluded = _excluded(base, found, table.file.name, whole_file)
    typed = (
        base.lazy()
        .join(excluded.lazy().select(ROW), on=ROW, how="anti", maintain_order="left")
        .select(
            pl.col(ROW),
            pl.col("n_candidate_no").alias("candidate_no"),
            pl.col("n_name").alias("name"),
            pl.col("n_id_number").alias("id_number"),
            pl.col("n_candidate_type").alias("candidate_type"),
            pl.when(pl.col("n_candidate_type") != "social").then(pl.col("n_school_code")).alias("school_code"),
            pl.when(pl.col("n_candidate_type") != "social")
            .then(pl.coalesce("n_school_name", "s_name"))
            .alias("school_name"),
            pl.col("n_province").alias("province"),
            pl.col("n_site_code").alias("site_code"),
            pl.col("n_batch").alias("batch"),
            pl.col("n_level").alias("level"),
            pl.col("n_registered_on").alias("registered_on"),
            pl.col("n_phone").alias("phone"),
            pl.lit(table.file.name).alias("file"),
        )
        .cast(REG_SCHEMA)
        .collect(engine=ENGINE)
    )
    return Registrations(
        file=table.file, frame=typed, findings=findings, excluded=excluded, rows=base.height, headers=table.headers
    )


# Columns nearly every row spells differently: cleaned cell by cell (without NFKC when pure ASCII).
_PER_CELL = {"candidate_no": nz.code, "id_number": nz.id_number, "phone": nz.compact}


def _clean(frame: pl.DataFrame, ctx: Context) -> pl.LazyFrame:
    """The rows plus ``t_<column>`` (the cleaned text) and ``n_<column>`` (the value read from it) of every input column.

    A column with few distinct values (type, school, date…) is cleaned once per distinct value and
    joined back; the identifying numbers, different on every row, are cleaned per cell.
    """
    ascii_cols = frame.select(nz.is_ascii(pl.col(c)).alias(c) for c in _PER_CELL).row(0, named=True)
    lf = (
        frame.lazy()
        .with_columns(nz.text(pl.col(c), ascii=ascii_cols[c]).alias(f"t_{c}") for c in _PER_CELL)
        .with_columns(read(pl.col(f"t_{c}"), ascii=ascii_cols[c]).alias(f"n_{c}") for c, read in _PER_CELL.items())
    )
    readers = {
        "name": None,
        "candidate_type": lambda t: nz.vocabulary(t, TYPE_WORDS),
        "school_code": nz.code,
        "school_name": None,
        "province": None,
        "site_code": nz.code,
        "batch": lambda t: nz.vocabulary(t, ctx.batch_words()),
        "level": lambda t: nz.vocabulary(t, ctx.levels),
        "registered_on": nz.date,
    }
    looked_up = []
    for c, read in readers.items():
        t = nz.text(pl.col(c))
        values = [t.alias(f"t_{c}"), (read(t) if read else t).alias(f"n_{c}")]
        table = frame.lazy().select(pl.col(c).unique()).select(pl.col(c), *values)
        column = frame.lazy().select(c).join(table, on=c, how="left", nulls_equal=True, maintain_order="left")
        looked_up.append(column.drop(c))
    return pl.concat(pl.collect_all([lf, *looked_up], engine=ENGINE), how="horizontal").lazy()


def _enrich(lf: pl.LazyFrame, ctx: Context) -> pl.LazyFrame:
    """The rows (with their ``t_*`` cleaned texts and ``n_*`` values) plus the derived columns the checks read."""
    by_id = {b.id: b for b in ctx.batches}
    lf = lf.with_columns(derived_batch(ctx, pl.col("n_batch")).alias("n_batch"))

    def per_batch(values: dict, dtype: pl.DataType) -> pl.Expr:
        return pl.col("n_batch").replace_strict(values, default=None, return_dtype=dtype)

    idn = pl.col("n_id_number")
    lf = lf.with_columns(
        per_batch({k: b.registration_open for k, b in by_id.items()}, pl.Date).alias("b_open"),
        per_batch({k: b.registration_close for k, b in by_id.items()}, pl.Date).alias("b_close"),
        per_batch({k: b.level for k, b in by_id.items()}, pl.String).alias("b_level"),
        per_batch({k: b.exam_date for k, b in by_id.items()}, pl.Date).alias("b_exam"),
        idcard.shape_expr(idn).alias("id_shape"),
        idcard.birth_expr(idn).alias("birth"),
        idcard.check_char_expr(idn).alias("id_check"),
        pl.coalesce("n_batch", "t_batch", pl.lit("")).alias("_batch_key"),
    )
    lf = lf.with_columns(derived_level().alias("n_level"))

    def month_day(col: str) -> pl.Expr:
        return pl.col(col).dt.month().cast(pl.Int32) * 100 + pl.col(col).dt.day().cast(pl.Int32)

    born_later = month_day("b_exam") < month_day("birth")  # birthday not yet reached on the exam day
    lf = lf.with_columns(
        (
            pl.col("id_shape")
            & pl.col("birth").is_between(idcard.EARLIEST_BIRTH, pl.coalesce("b_exam", pl.lit(dt.date.today())))
        )
        .fill_null(False)
        .alias("id_date_ok"),
        (pl.col("b_exam").dt.year() - pl.col("birth").dt.year() - born_later.cast(pl.Int32)).alias("age"),
        pl.col(ROW).min().over("_batch_key", "n_id_number").alias("first_id_row"),
        pl.col(ROW).min().over("_batch_key", "n_candidate_no").alias("first_no_row"),
    )
    lf = _join_schools(lf, ctx.schools)
    province, from_school = derived_province()
    lf = lf.with_columns(province.alias("n_province"), from_school.alias("province_from_school"))
    return _join_passes(lf, ctx.prior_passes)


def _accepted_words(codes: Iterable[str]) -> str:
    codes = list(codes)
    return " / ".join(label(c, "zh") for c in codes) + " (" + " / ".join(codes) + ")"


def _checks(ctx: Context, *, required: set[str], file: str) -> list[Check]:
    """Every rule as a ``Check``; later checks only run where earlier ones left a usable value."""
    b0, b1 = ctx.batches[0], ctx.batches[-1]
    accepted_batch = t("validate.accepted_batch", first=b0.id, last=b1.id, first_name=b0.name_zh)
    levels = list(dict.fromkeys(ctx.levels.values()))  # in the notice's order
    accepted = {
        "id_number": t("validate.accepted_id_number"),
        "candidate_type": _accepted_words(CANDIDATE_TYPES),
        "school_code": t("validate.accepted_school_code"),
        "province": t("validate.accepted_province"),
        "site_code": t("validate.accepted_site_code"),
        "batch": accepted_batch,
        "level": _accepted_words(levels),
        "registered_on": nz.ACCEPTED_DATES,
    }
    typ, school, site = pl.col("n_candidate_type"), pl.col("n_school_code"), pl.col("n_site_code")
    level_names = {c: label(c) for c in levels}
    checks = need_checks(ctx, required=required, file=file, accepted=accepted, level_names=level_names)
    checks += [
        Check(
            "bad_date",
            "registered_on",
            pl.col("t_registered_on").is_not_null() & pl.col("n_registered_on").is_null(),
            {"accepted": accepted["registered_on"]},
        ),
        Check(
            "bad_type",
            "candidate_type",
            pl.col("t_candidate_type").is_not_null() & typ.is_null(),
            {"accepted": accepted["candidate_type"]},
        ),
        Check(
            "bad_level",
            "level",
            pl.col("t_level").is_not_null() & pl.col("n_level").is_null(),
            {"accepted": accepted["level"]},
        ),
        Check(
            "unknown_batch",
            "batch",
            pl.col("t_batch").is_not_null() & pl.col("n_batch").is_null(),
            {"accepted": accepted_batch},
        ),
        Check(
            "window",
            "registered_on",
            ~pl.col("n_registered_on").is_between(pl.col("b_open"), pl.col("b_close")),
            {"batch": pl.col("n_batch"), "open": pl.col("b_open"), "close": pl.col("b_close")},
        ),
        Check(
            "level_mismatch",
            "level",
            pl.col("n_level") != pl.col("b_level"),
            {"batch": pl.col("n_batch"), "expected": pl.col("b_level").replace_strict(level_names, default=None)},
        ),
        Check("id_format", "id_number", pl.col("n_id_number").is_not_null() & ~pl.col("id_date_ok")),
        Check(
            "id_checksum",
            "id_number",
            pl.col("id_date_ok") & (pl.col("id_check") != pl.col("n_id_number").str.slice(17, 1)),
            {"expected": pl.col("id_check")},
        ),
        Check(
            "duplicate",
            "id_number",
            pl.col("n_id_number").is_not_null() & (pl.col(ROW) > pl.col("first_id_row")),
            {"first_row": pl.col("first_id_row")},
            key="validate.msg_duplicate_person",
        ),
        Check(
            "duplicate",
            "candidate_no",
            pl.col("n_candidate_no").is_not_null() & (pl.col(ROW) > pl.col("first_no_row")),
            {"first_row": pl.col("first_no_row")},
            key="validate.msg_duplicate_number",
        ),
    ]
    if ctx.expected is not None:
        checks.append(
            Check("wrong_batch", "batch", pl.col("n_batch") != ctx.expected.id, {"expected": ctx.expected.id})
        )
    if ctx.schools is not None:
        pilot_student = (typ == "pilot_student") & school.is_not_null()
        named = {"school": pl.col("s_name")}
        checks += [
            Check("unknown_school", "school_code", pilot_student & ~pl.col("s_known")),
            Check("school_not_pilot", "school_code", pilot_student & pl.col("s_known") & ~pl.col("s_pilot"), named),
            Check("school_not_filed", "school_code", pilot_student & pl.col("s_pilot") & ~pl.col("s_filed"), named),
            Check(
                "teacher_not_trained",
                "school_code",
                pilot_student & pl.col("s_pilot") & pl.col("s_filed") & ~pl.col("s_trained"),
                named,
            ),
            # borrowed sitting (借考): everyone sits at a filed pilot school; a pilot student at home is checked above
            Check(
                "site_not_pilot",
                "site_code",
                site.is_not_null()
                & typ.is_not_null()
                & ((typ != "pilot_student") | (site != school.fill_null("")))
                & ~(pl.col("site_pilot").fill_null(False) & pl.col("site_filed").fill_null(False)),
            ),
        ]
    valid_id = pl.col("id_date_ok") & (pl.col("id_check") == pl.col("n_id_number").str.slice(17, 1))
    checks += [
        Check(
            "age_unusual",
            "id_number",
            valid_id & ~pl.col("age").is_between(ctx.age_min, ctx.age_max),
            {"exam": pl.col("b_exam"), "age": pl.col("age"), "min": ctx.age_min, "max": ctx.age_max},
            severity=WARNING,
        ),
        Check(
            "already_passed",
            "id_number",
            valid_id & pl.col("passed_batch").is_not_null(),
            {
                "passed_batch": pl.col("passed_batch"),
                "level": pl.col("n_level").replace_strict(level_names, default=None),
            },
            severity=WARNING,
        ),
    ]
    return checks


def _excluded(base: pl.DataFrame, found: pl.DataFrame, file: str, whole_file: list[str]) -> pl.DataFrame:
    """Rows with errors: file, Excel row, candidate number, rule codes and reasons (no personal values).

    ``whole_file``: why every row is out (required columns the file lacks), each naming the rule.
    """
    errors = found.lazy().filter(pl.col("severity") == ERROR).select(pl.col("row").alias(ROW), "rule", "_reason")
    if whole_file:
        every = base.lazy().select(
            ROW, pl.lit("missing_column").alias("rule"), pl.lit("；".join(whole_file)).alias("_reason")
        )
        errors = pl.concat([every, errors])
    per_row = (
        errors.unique(maintain_order=True)
        .group_by(ROW, maintain_order=True)
        .agg(
            pl.col("rule").unique(maintain_order=True).str.join(", "),
            pl.col("_reason").str.join("；").alias("message"),
        )
    )
    return (
        per_row.join(base.lazy().select(ROW, pl.col("n_candidate_no").alias("candidate_no")), on=ROW, how="left")
        .select(pl.lit(file).alias("file"), ROW, "candidate_no", "rule", "message")
        .sort(ROW)
        .cast(EXCLUDED_SCHEMA)
        .collect(engine=ENGINE)
    )
