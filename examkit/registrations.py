"""Registration intake: read a registrations file, normalise what people typed, check the notice's rules.

``load_registrations(path, ...)`` returns a ``Registrations``: ``frame`` (typed rows that passed,
``REG_SCHEMA``), ``findings`` (every error and warning, each naming file, Excel row, the user's
column, the value and what is accepted), ``excluded`` (rows with errors and why, without personal
data). The rules (DESIGN.md R2, R4, R5, R8, R9, R10) are polars expressions over the whole file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from examkit import normalize as nz
from examkit.config import load_settings
from examkit.exceptions import InputError, NoticeError
from examkit.findings import (
    ERROR,
    RULES,
    SCHEMA,
    VALUE_CHARS,
    WARNING,
    Finding,
    findings_frame,
    from_frame,
    message_expr,
    missing_column,
)
from examkit.i18n import get_lang, label, t
from examkit.iorw import ROW, Table, load_columns, read_table, required_columns
from examkit.notice import Batch, Notice, available_years, load_notice
from examkit.resources import settings_file

if TYPE_CHECKING:
    from examkit.session import BatchSession

KIND = "registrations"
CANDIDATE_TYPES = ("pilot_student", "nonpilot_student", "social")
REG_SCHEMA = {
    ROW: pl.Int64,
    "candidate_no": pl.String,
    "name": pl.String,
    "id_number": pl.String,
    "candidate_type": pl.String,
    "school_code": pl.String,
    "school_name": pl.String,
    "province": pl.String,
    "site_code": pl.String,
    "batch": pl.String,
    "level": pl.String,
    "registered_on": pl.Date,
    "phone": pl.String,
    "file": pl.String,
}
INPUT_COLUMNS = tuple(c for c in REG_SCHEMA if c not in (ROW, "file"))
EXCLUDED_SCHEMA = {"file": pl.String, ROW: pl.Int64, "candidate_no": pl.String, "rule": pl.String, "message": pl.String}
FILE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
# How people write the candidate type (matching ignores case, width and spaces).
TYPE_WORDS = {
    "试点院校学生": "pilot_student",
    "试点学生": "pilot_student",
    "试点院校": "pilot_student",
    "pilot_student": "pilot_student",
    "pilot student": "pilot_student",
    "pilot-school student": "pilot_student",
    "非试点院校学生": "nonpilot_student",
    "非试点学生": "nonpilot_student",
    "非试点院校": "nonpilot_student",
    "nonpilot_student": "nonpilot_student",
    "non-pilot student": "nonpilot_student",
    "non-pilot-school student": "nonpilot_student",
    "社会考生": "social",
    "社会人员": "social",
    "social": "social",
    "social candidate": "social",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999, ISO 7064 MOD 11-2
_ID_CHECK = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)


# --------------------------------------------------------------------------- the result


@dataclass
class Registrations:
    """A validated registrations file (or folder): typed rows that passed, findings, excluded rows."""

    file: Path
    frame: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    excluded: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=EXCLUDED_SCHEMA))
    rows: int = 0  # data rows read (blank rows not counted)
    headers: dict[str, str] = field(default_factory=dict)  # canonical → the user's header

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when no row breaks a rule (warnings allowed)."""
        return not self.errors

    def findings_frame(self) -> pl.DataFrame:
        return findings_frame(self.findings)


def empty_registrations(file: str | os.PathLike = "") -> Registrations:
    """No registrations (e.g. no file given): typed, empty."""
    return Registrations(file=Path(file), frame=pl.DataFrame(schema=REG_SCHEMA))


# --------------------------------------------------------------------------- what rows are checked against


@dataclass(frozen=True)
class Context:
    """The notice's batches, the expected batch, the schools list, earlier passes, and labelled defaults."""

    batches: tuple[Batch, ...]
    expected: Batch | None = None
    schools: pl.DataFrame | None = None
    prior_passes: pl.DataFrame | None = None
    age_min: int = 16
    age_max: int = 70
    levels: dict[str, str] = field(default_factory=dict)  # spelling → level code

    def batch_words(self) -> dict[str, str]:
        """Spellings of each batch: ``2023-01``, ``2023-1``, ``2023年第一次统考``, ``2023年第1次统考``."""
        words: dict[str, str] = {}
        for b in self.batches:
            year, n = b.id.split("-")
            words.update({b.id: b.id, f"{year}-{int(n)}": b.id, b.name_zh: b.id, f"{year}年第{int(n)}次统考": b.id})
        return words


def make_context(
    *,
    notice: Notice | None = None,
    batch: str | None = None,
    schools: pl.DataFrame | str | os.PathLike | None = None,
    prior_passes: pl.DataFrame | None = None,
    params_dir: str | os.PathLike | None = None,
    columns: dict | None = None,
) -> Context:
    """The context for checking rows: ``notice`` (default: every notice shipped), the file's batch if known."""
    from examkit.schools import load_schools

    notices = [notice] if notice is not None else [load_notice(y) for y in available_years()]
    batches = tuple(b for n in notices for b in n.batches)
    expected = None
    if batch is not None:
        expected = (notice or _notice_of(str(batch), notices)).batch(str(batch))
    if schools is not None and not isinstance(schools, pl.DataFrame):
        schools = load_schools(schools, columns)
    policy = load_settings("validation.yaml", params_dir)
    levels: dict[str, str] = {}
    for n in notices:
        for code, lv in n.levels.items():
            levels.update({code: code, lv.name_zh: code, label(code, "en"): code, label(code, "zh"): code})
    return Context(
        batches=batches,
        expected=expected,
        schools=schools,
        prior_passes=prior_passes,
        age_min=int(policy.get("age_min", 16)),
        age_max=int(policy.get("age_max", 70)),
        levels=levels,
    )


def _notice_of(batch: str, notices: list[Notice]) -> Notice:
    for n in notices:
        if any(batch.strip() in (b.id, b.name_zh) for b in n.batches):
            return n
    return notices[-1]  # its .batch() raises the NoticeError naming what is accepted


# --------------------------------------------------------------------------- loading


def load_registrations(
    path: str | os.PathLike,
    *,
    schools: pl.DataFrame | str | os.PathLike | None = None,
    notice: Notice | None = None,
    batch: str | None = None,
    prior_passes: pl.DataFrame | None = None,
    columns: dict | None = None,
    params_dir: str | os.PathLike | None = None,
) -> Registrations:
    """Read and validate one registrations file (xlsx, or csv in UTF-8/BOM/GBK).

    ``schools``: the schools list (frame from ``load_schools`` or its path) — enables the pilot,
    filing, teacher-training and exam-site rules. ``batch``: the batch this file is for (rows of
    another batch are errors). ``prior_passes``: earlier passes (``id_number``, ``level``, optional
    ``batch``) for the "already passed" warning. ``columns``: the column mapping (default
    ``columns.yaml`` of ``params_dir``). Raises ``InputError`` when the file is unusable.
    """
    mapping = columns or load_columns(settings_file("columns.yaml", params_dir))
    table = read_table(Path(path), KIND, mapping)
    ctx = make_context(
        notice=notice, batch=batch, schools=schools, prior_passes=prior_passes, params_dir=params_dir, columns=mapping
    )
    required = _required(params_dir, mapping)
    return check_table(table, ctx, mapping[KIND], required)


def load_registrations_dir(
    folder: str | os.PathLike,
    *,
    schools: pl.DataFrame | str | os.PathLike | None = None,
    notice: Notice | None = None,
    upto: str | None = None,
    prior_passes: pl.DataFrame | None = None,
    columns: dict | None = None,
    params_dir: str | os.PathLike | None = None,
) -> Registrations:
    """Every registrations file in ``folder`` (the year so far), validated and concatenated.

    A file named after a batch (``2023-01.xlsx``) is checked as that batch's file. ``upto``: keep
    only batches up to and including this one (files of later batches are not read). A file that
    cannot be read at all becomes an ``unusable_file`` finding; the other files are still used.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(t("validate.not_found", file=str(root)), file=str(root))
    mapping = columns or load_columns(settings_file("columns.yaml", params_dir))
    base = make_context(
        notice=notice, schools=schools, prior_passes=prior_passes, params_dir=params_dir, columns=mapping
    )
    words = base.batch_words()
    last = words.get(str(upto).strip()) if upto else None
    if upto and last is None:
        b0, b1 = base.batches[0], base.batches[-1]
        raise NoticeError(t("notice.unknown_batch", value=upto, accepted=f"{b0.id} … {b1.id}"))
    by_id = {b.id: b for b in base.batches}
    required = _required(params_dir, mapping)
    parts: list[Registrations] = []
    unusable: list[Finding] = []
    for f in registration_files(root):
        stem_batch = words.get(f.stem.strip())
        if last and stem_batch and stem_batch > last:
            continue
        ctx = dataclasses.replace(base, expected=by_id.get(stem_batch) if stem_batch else None)
        try:
            parts.append(check_table(read_table(f, KIND, mapping), ctx, mapping[KIND], required))
        except InputError as exc:
            unusable.append(Finding(str(f), None, None, None, "unusable_file", ERROR, str(exc)))
    frame = pl.concat([p.frame for p in parts]) if parts else pl.DataFrame(schema=REG_SCHEMA)
    excluded = pl.concat([p.excluded for p in parts]) if parts else pl.DataFrame(schema=EXCLUDED_SCHEMA)
    if last:
        frame = frame.filter(pl.col("batch") <= last)
    return Registrations(
        file=root,
        frame=frame,
        findings=[f for p in parts for f in p.findings] + unusable,
        excluded=excluded,
        rows=sum(p.rows for p in parts),
    )


def registration_files(folder: Path) -> list[Path]:
    """The registrations files of a folder (xlsx/xls/csv; Excel's ``~$`` lock files and hidden files skipped)."""
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and f.suffix.lower() in FILE_SUFFIXES and not f.name.startswith(("~$", "."))
    )


def _required(params_dir: str | os.PathLike | None, mapping: dict) -> tuple[str, ...]:
    cols = required_columns(KIND, settings_file("columns.yaml", params_dir))
    return tuple(c for c in cols if c in mapping[KIND])


# --------------------------------------------------------------------------- the checks


@dataclass(frozen=True)
class Check:
    """One rule over the whole frame: rows where ``when`` holds get a finding on ``column``."""

    rule: str
    column: str
    when: pl.Expr
    fields: dict = field(default_factory=dict)
    severity: str = ERROR
    key: str | None = None  # message key (default ``validate.msg_<rule>``)


def check_table(
    table: Table, ctx: Context, mapping: dict[str, list[str]], required: Iterable[str] | None = None
) -> Registrations:
    """Normalise and check an already read registrations ``Table`` against ``ctx``.

    ``mapping``: the registrations' column mapping; ``required``: the columns that must be present
    and filled (default: those marked ``required`` in ``columns.yaml``).
    """
    required = tuple(required) if required is not None else _required(None, {KIND: mapping})
    frame = table.frame
    for col in INPUT_COLUMNS:
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(col))
    cleaned = frame.lazy().with_columns(nz.text(pl.col(c)).alias(f"t_{c}") for c in INPUT_COLUMNS)
    blank = pl.all_horizontal([pl.col(f"t_{c}").is_null() for c in INPUT_COLUMNS])  # a blank row is no registration
    base = _enrich(cleaned.filter(~blank), ctx).sort(ROW).collect()  # joins do not keep order
    missing = [
        missing_column(str(table.file), table.header_row, mapping.get(c, [c]))
        for c in required
        if c not in table.headers
    ]
    checks = _checks(ctx, present=set(table.headers), required=set(required))
    order = {c: i for i, c in enumerate(table.headers)}
    parts = [
        base.lazy()
        .filter(c.when.fill_null(False))
        .select(
            pl.lit(str(table.file)).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(table.header(c.column)).alias("column"),
            pl.col(c.column).str.slice(0, VALUE_CHARS).alias("value"),
            pl.lit(c.rule).alias("rule"),
            pl.lit(c.severity).alias("severity"),
            message_expr(
                c.key or f"validate.msg_{c.rule}",
                column=table.header(c.column),
                value=pl.col(c.column).str.slice(0, VALUE_CHARS),
                **c.fields,
            ).alias("message"),
            pl.lit(order.get(c.column, len(order))).alias("_order"),
        )
        for c in checks
        if c.column in table.headers
    ]
    found = (
        pl.concat(parts).sort(["row", "_order"], maintain_order=True).collect()
        if parts
        else pl.DataFrame(schema={**SCHEMA, "_order": pl.Int32})
    )
    findings = missing + from_frame(found)
    excluded = _excluded(base, found, table.file.name, all_rows=bool(missing))
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
        .collect()
    )
    return Registrations(
        file=table.file, frame=typed, findings=findings, excluded=excluded, rows=base.height, headers=table.headers
    )


def _enrich(lf: pl.LazyFrame, ctx: Context) -> pl.LazyFrame:
    """The rows (with their ``t_*`` cleaned texts) plus the normalised ``n_*`` and derived columns the checks read."""
    by_id = {b.id: b for b in ctx.batches}
    lf = lf.with_columns(
        nz.code(pl.col("t_candidate_no")).alias("n_candidate_no"),
        pl.col("t_name").alias("n_name"),
        nz.id_number(pl.col("t_id_number")).alias("n_id_number"),
        nz.vocabulary(pl.col("t_candidate_type"), TYPE_WORDS).alias("n_candidate_type"),
        nz.code(pl.col("t_school_code")).alias("n_school_code"),
        pl.col("t_school_name").alias("n_school_name"),
        pl.col("t_province").alias("n_province"),
        nz.code(pl.col("t_site_code")).alias("n_site_code"),
        nz.vocabulary(pl.col("t_batch"), ctx.batch_words()).alias("n_batch"),
        nz.vocabulary(pl.col("t_level"), ctx.levels).alias("n_level"),
        nz.date(pl.col("t_registered_on")).alias("n_registered_on"),
        nz.compact(pl.col("t_phone")).alias("n_phone"),
    )

    def per_batch(values: dict, dtype: pl.DataType) -> pl.Expr:
        return pl.col("n_batch").replace_strict(values, default=None, return_dtype=dtype)

    idn = pl.col("n_id_number")
    shape = idn.str.contains(r"^[0-9]{17}[0-9X]$").fill_null(False)
    birth = pl.when(shape).then(idn.str.slice(6, 8).str.to_date("%Y%m%d", strict=False))
    weighted = pl.sum_horizontal(
        [idn.str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(_ID_WEIGHTS)]
    )
    lf = lf.with_columns(
        per_batch({k: b.registration_open for k, b in by_id.items()}, pl.Date).alias("b_open"),
        per_batch({k: b.registration_close for k, b in by_id.items()}, pl.Date).alias("b_close"),
        per_batch({k: b.level for k, b in by_id.items()}, pl.String).alias("b_level"),
        per_batch({k: b.exam_date for k, b in by_id.items()}, pl.Date).alias("b_exam"),
        shape.alias("id_shape"),
        birth.alias("birth"),
        pl.when(shape)
        .then((weighted % 11).replace_strict(dict(enumerate(_ID_CHECK)), default=None, return_dtype=pl.String))
        .alias("id_check"),
        pl.coalesce("n_batch", "t_batch", pl.lit("")).alias("_batch_key"),
    )

    def month_day(col: str) -> pl.Expr:
        return pl.col(col).dt.month().cast(pl.Int32) * 100 + pl.col(col).dt.day().cast(pl.Int32)

    born_later = month_day("b_exam") < month_day("birth")  # birthday not yet reached on the exam day
    lf = lf.with_columns(
        (
            pl.col("id_shape")
            & pl.col("birth").is_between(_EARLIEST_BIRTH, pl.coalesce("b_exam", pl.lit(dt.date.today())))
        )
        .fill_null(False)
        .alias("id_date_ok"),
        (pl.col("b_exam").dt.year() - pl.col("birth").dt.year() - born_later.cast(pl.Int32)).alias("age"),
        pl.col(ROW).min().over("_batch_key", "n_id_number").alias("first_id_row"),
        pl.col(ROW).min().over("_batch_key", "n_candidate_no").alias("first_no_row"),
    )
    lf = _join_schools(lf, ctx.schools)
    return _join_passes(lf, ctx.prior_passes)


def _join_schools(lf: pl.LazyFrame, schools: pl.DataFrame | None) -> pl.LazyFrame:
    if schools is None:
        return lf.with_columns(
            pl.lit(None, pl.String).alias("s_name"),
            *[pl.lit(None, pl.Boolean).alias(c) for c in ("s_known", "s_pilot", "s_filed", "s_trained")],
            *[pl.lit(None, pl.Boolean).alias(c) for c in ("site_pilot", "site_filed")],
        )
    s = schools.lazy().unique("school_code", keep="first")
    school = s.select(
        pl.col("school_code").alias("n_school_code"),
        pl.col("school_name").alias("s_name"),
        pl.lit(True).alias("s_known"),
        pl.col("is_pilot").alias("s_pilot"),
        pl.col("filed").alias("s_filed"),
        pl.col("teacher_cert").is_not_null().alias("s_trained"),
    )
    site = s.select(
        pl.col("school_code").alias("n_site_code"),
        pl.col("is_pilot").alias("site_pilot"),
        pl.col("filed").alias("site_filed"),
    )
    return (
        lf.join(school, on="n_school_code", how="left", nulls_equal=False)
        .join(site, on="n_site_code", how="left", nulls_equal=False)
        .with_columns(pl.col("s_known").fill_null(False))
    )


def _join_passes(lf: pl.LazyFrame, passes: pl.DataFrame | None) -> pl.LazyFrame:
    if passes is None or passes.height == 0:
        return lf.with_columns(pl.lit(None, pl.String).alias("passed_batch"))
    p = passes.lazy().select(
        nz.id_number(pl.col("id_number")).alias("n_id_number"),
        pl.col("level").alias("n_level"),
        (pl.col("batch") if "batch" in passes.columns else pl.lit("")).cast(pl.String).alias("passed_batch"),
    )
    earlier = (
        lf.select(ROW, "n_id_number", "n_level", "n_batch")
        .join(p, on=["n_id_number", "n_level"], how="inner")
        .filter((pl.col("passed_batch") < pl.col("n_batch")) | (pl.col("passed_batch") == ""))
        .group_by(ROW)
        .agg(pl.col("passed_batch").min())
    )
    return lf.join(earlier, on=ROW, how="left")


def _accepted_words(codes: Iterable[str]) -> str:
    codes = list(codes)
    return " / ".join(label(c, "zh") for c in codes) + " (" + " / ".join(codes) + ")"


def _checks(ctx: Context, *, present: set[str], required: set[str]) -> list[Check]:
    """Every rule as a ``Check``; later checks only run where earlier ones left a usable value."""
    b0, b1 = ctx.batches[0], ctx.batches[-1]
    accepted_batch = t("validate.accepted_batch", first=b0.id, last=b1.id, first_name=b0.name_zh)
    levels = list(dict.fromkeys(ctx.levels.values()))  # in the notice's order
    accepted = {
        "id_number": t("validate.accepted_id_number"),
        "candidate_type": _accepted_words(CANDIDATE_TYPES),
        "school_code": t("validate.accepted_school_code"),
        "site_code": t("validate.accepted_site_code"),
        "batch": accepted_batch,
        "level": _accepted_words(levels),
        "registered_on": nz.ACCEPTED_DATES,
    }
    typ, school, site = pl.col("n_candidate_type"), pl.col("n_school_code"), pl.col("n_site_code")
    level_names = {c: label(c) for c in levels}
    checks = [
        Check(
            "missing_value",
            c,
            pl.col(f"t_{c}").is_null(),
            {"accepted": accepted.get(c, t("validate.accepted_required"))},
        )
        for c in INPUT_COLUMNS
        if c in required and c != "school_code" and c in present
    ]
    checks += [
        Check(
            "missing_value",
            "school_code",
            typ.is_in(["pilot_student", "nonpilot_student"]) & school.is_null(),
            {"accepted": accepted["school_code"]},
        ),
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


def _reasons(lang: str | None = None) -> dict[str, str]:
    return {r: t(f"validate.reason_{r}", lang or get_lang()) for r in RULES}


def _excluded(base: pl.DataFrame, found: pl.DataFrame, file: str, *, all_rows: bool) -> pl.DataFrame:
    """Rows with errors: file, Excel row, candidate number, rule codes and reasons (no personal values)."""
    errors = found.lazy().filter(pl.col("severity") == ERROR).select(pl.col("row").alias(ROW), "rule")
    if all_rows:
        errors = pl.concat([base.lazy().select(ROW, pl.lit("missing_column").alias("rule")), errors])
    reasons = _reasons()
    per_row = (
        errors.unique(maintain_order=True)
        .group_by(ROW, maintain_order=True)
        .agg(
            pl.col("rule").str.join(", "),
            pl.col("rule").replace_strict(reasons, default=pl.col("rule")).str.join("；").alias("message"),
        )
    )
    return (
        per_row.join(base.lazy().select(ROW, pl.col("n_candidate_no").alias("candidate_no")), on=ROW, how="left")
        .select(pl.lit(file).alias("file"), ROW, "candidate_no", "rule", "message")
        .sort(ROW)
        .cast(EXCLUDED_SCHEMA)
        .collect()
    )


# --------------------------------------------------------------------------- notebooks


def session_registrations(session: BatchSession) -> Registrations:
    """This batch's file, validated against the schools list (if given) and earlier passes (if any)."""
    path = session.path("registrations")
    if path is None:
        return empty_registrations()
    return load_registrations(
        path,
        schools=_session_schools(session),
        notice=session.notice,
        batch=session.batch_id,
        prior_passes=prior_passes(session),
        columns=_session_columns(session),
        params_dir=session.settings_dir,
    )


def session_year_registrations(session: BatchSession) -> Registrations:
    """Every batch file of ``registrations_dir`` up to and including this batch, validated."""
    folder = session.path("registrations_dir")
    if folder is None:
        return empty_registrations()
    return load_registrations_dir(
        folder,
        schools=_session_schools(session),
        notice=session.notice,
        upto=session.batch_id,
        columns=_session_columns(session),
        params_dir=session.settings_dir,
    )


def prior_passes(session: BatchSession) -> pl.DataFrame | None:
    """Passes at this batch's level in earlier batches (``id_number, level, batch``), from the gradebook."""
    gradebook = session.path("gradebook")
    earlier = [
        b.id for b in session.notice.batches if b.level == session.batch.level and b.ordinal < session.batch.ordinal
    ]
    if gradebook is None or not gradebook.is_file() or not earlier or session.path("registrations_dir") is None:
        return None
    from examkit.gradebook import Gradebook

    with Gradebook(gradebook) as gb:
        results = pl.concat([gb.results(b).select("candidate_no", "batch", "passed") for b in earlier])
    passed = results.filter(pl.col("passed").fill_null(False)).select("candidate_no", "batch")
    return (
        session.year_registrations.frame.join(passed, on=["candidate_no", "batch"], how="inner")
        .select("id_number", "level", "batch")
        .unique()
    )


def _session_schools(session: BatchSession) -> pl.DataFrame | None:
    from examkit.schools import load_schools

    path = session.path("schools")
    return load_schools(path, _session_columns(session)) if path else None


def _session_columns(session: BatchSession) -> dict:
    return load_columns(settings_file("columns.yaml", session.settings_dir))
