"""Paper score sheets: import one into the gradebook (validated, all or nothing) and export final scores.

A score sheet has ``考生号``, one column per rubric item headed by the item's Chinese name (English
name or item id also accepted), and optionally ``状态`` with ``缺考`` (absent) or ``违纪`` (void).
Every bad cell becomes a ``Finding`` naming file, Excel row, the user's column, the value and what
is accepted; one error anywhere and nothing is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from examkit.core.findings import ERROR, WARNING, Finding, findings_frame, from_frame, has_errors, message_expr
from examkit.core.grading import EPS, accepted
from examkit.core.rubric import Rubric
from examkit.io.tables import ROW, read_table
from examkit.settings.columns import columns_for

KIND = "scores"
ITEM_PREFIX = "item:"
# Status words accepted in the 状态 column (NFKC, case-folded); anything else is a finding.
STATUS_WORDS = {"缺考": "absent", "absent": "absent", "违纪": "void", "void": "void", "正常": None, "normal": None}
_STATUS_HEADERS = ["状态", "status"]  # used when params/columns.yaml names none


@dataclass
class ScoreSheet:
    """A score sheet as read and checked: valid marks (long), flags, and every finding."""

    file: Path
    batch: str
    marks: pl.DataFrame  # candidate_no, item_id, mark
    flags: pl.DataFrame  # candidate_no, flag
    findings: list[Finding] = field(default_factory=list)
    # per sheet row naming a candidate: candidate_no, _sum (of the marks that are numbers; null if none), _n (how many)
    totals: pl.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


def _norm(expr: pl.Expr) -> pl.Expr:
    """Cell text as compared: NFKC (full-width → ASCII), no surrounding spaces."""
    return expr.str.normalize("NFKC").str.strip_chars()


def _blank(expr: pl.Expr) -> pl.Expr:
    return expr.is_null() | (expr.str.strip_chars() == "")


def _finding_frame(frame: pl.DataFrame, file: str, rule: str, severity: str, message: pl.Expr) -> pl.DataFrame:
    """Findings as a frame, from rows holding ``_row``, ``_column`` and ``_value``."""
    return frame.select(
        pl.lit(file).alias("file"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.col("_column").cast(pl.String).alias("column"),
        pl.col("_value").cast(pl.String).alias("value"),
        pl.lit(rule).alias("rule"),
        pl.lit(severity).alias("severity"),
        message.alias("message"),
    )


_mark = ((pl.col("_num") / pl.col("_step")).round() * pl.col("_step")).round(6)  # on the item's step


def _with_first(rows: pl.DataFrame, dups: pl.DataFrame) -> pl.DataFrame:
    """``dups`` (repeated candidate rows) with ``_first``: the row where each candidate number first appears."""
    repeated = pl.col("_cand").is_in(dups.get_column("_cand").implode())
    first = rows.filter(repeated & ~pl.col("_dup")).select("_cand", pl.col(ROW).alias("_first"))
    return dups.join(first, on="_cand", how="left", maintain_order="left")


def _at(file: str, lang: str | None) -> pl.Expr:
    return message_expr("scoresheet.at", lang, file=file, row=pl.col(ROW), column=pl.col("_column"))


def read_scores(
    path: str | os.PathLike,
    batch: str,
    rubric: Rubric,
    registered: pl.Series | list[str],
    *,
    params_dir: str | os.PathLike | None = None,
    lang: str | None = None,
) -> ScoreSheet:
    """Read and check a score sheet for ``batch`` against its rubric and registered candidate numbers."""
    p = Path(path)
    file = str(p)
    columns = columns_for(params_dir)
    spec = dict(columns.get(KIND, {}))
    spec.setdefault("status", _STATUS_HEADERS)
    spec.update({f"{ITEM_PREFIX}{i.id}": [i.name_zh, i.name_en, i.id] for i in rubric.items})
    table = read_table(p, KIND, {**columns, KIND: spec})
    empty_marks = pl.DataFrame(schema={"candidate_no": pl.String, "item_id": pl.String, "mark": pl.Float64})
    empty_flags = pl.DataFrame(schema={"candidate_no": pl.String, "flag": pl.String})
    expected = "、".join([spec["candidate_no"][0], *[i.name_zh for i in rubric.items], spec["status"][0]])
    head = pl.DataFrame({ROW: [table.header_row]})
    found: list[pl.DataFrame] = []

    if "candidate_no" not in table.headers:
        msg = message_expr("scoresheet.no_candidate_column", lang, file=file, row=table.header_row, expected=expected)
        found.append(
            _finding_frame(
                head.with_columns(_column=pl.lit(None, pl.String), _value=pl.lit(None, pl.String)),
                file,
                "scores.missing_column",
                ERROR,
                msg,
            )
        )
        return ScoreSheet(p, batch, empty_marks, empty_flags, from_frame(pl.concat(found)))

    items = pl.DataFrame(
        {
            "_col": [f"{ITEM_PREFIX}{i.id}" for i in rubric.items],
            "item_id": [i.id for i in rubric.items],
            "_name": [i.name(lang) for i in rubric.items],
            "_max": [i.max for i in rubric.items],
            "_step": [i.step for i in rubric.items],
            "_accepted": [accepted(i, lang) for i in rubric.items],
            "_column": [table.header(f"{ITEM_PREFIX}{i.id}") for i in rubric.items],
        },
        schema_overrides={"_max": pl.Float64, "_step": pl.Float64},
    )
    present = items.filter(pl.col("_col").is_in(list(table.headers)))
    missing = items.filter(~pl.col("_col").is_in(list(table.headers)))
    found.append(
        _finding_frame(
            missing.with_columns(pl.lit(table.header_row).alias(ROW), pl.col("_name").alias("_value")),
            file,
            "scores.missing_column",
            ERROR,
            message_expr(
                "scoresheet.missing_item_column",
                lang,
                file=file,
                row=table.header_row,
                item=pl.col("_name"),
                expected=expected,
            ),
        ).with_columns(pl.lit(None, pl.String).alias("column"))
    )
    unknown = pl.DataFrame({"_column": table.unknown}, schema={"_column": pl.String}).with_columns(
        pl.lit(table.header_row).alias(ROW), pl.col("_column").alias("_value")
    )
    found.append(
        _finding_frame(
            unknown,
            file,
            "scores.unknown_column",
            WARNING,
            message_expr(
                "scoresheet.unknown_column",
                lang,
                file=file,
                row=table.header_row,
                column=pl.col("_column"),
                expected=expected,
            ),
        )
    )

    registered_s = (registered if isinstance(registered, pl.Series) else pl.Series(list(registered))).cast(pl.String)
    item_cols = present.get_column("_col").to_list()
    has_status = "status" in table.headers
    frame = table.frame.with_columns(
        _norm(pl.col("candidate_no")).alias("_cand"),
        (_norm(pl.col("status")) if has_status else pl.lit(None, pl.String)).alias("_status"),
    )
    data_cols = [c for c in ["candidate_no", "status", *item_cols] if c in frame.columns]
    frame = frame.filter(~pl.all_horizontal([_blank(pl.col(c)) for c in data_cols]))  # blank rows are no rows
    cand_header = table.header("candidate_no")
    status_header = table.header("status")

    # --- candidates: missing, unknown, duplicate
    rows = frame.with_columns(
        pl.lit(cand_header).alias("_column"),
        pl.col("candidate_no").alias("_value"),
        (~pl.col("_cand").is_first_distinct()).alias("_dup"),
        (~_blank(pl.col("_cand"))).alias("_named"),
        pl.col("_cand").is_in(registered_s.implode()).alias("_known"),
    )
    at = _at(file, lang)
    no_cand = rows.filter(~pl.col("_named"))
    found.append(
        _finding_frame(
            no_cand,
            file,
            "scores.missing_candidate",
            ERROR,
            pl.concat_str([at, message_expr("scoresheet.missing_candidate", lang, batch=batch)]),
        )
    )
    named = rows.filter(pl.col("_named"))
    found.append(
        _finding_frame(
            named.filter(~pl.col("_known")),
            file,
            "scores.unknown_candidate",
            ERROR,
            pl.concat_str([at, message_expr("scoresheet.unknown_candidate", lang, value=pl.col("_cand"), batch=batch)]),
        )
    )
    found.append(
        _finding_frame(
            _with_first(rows, named.filter(pl.col("_dup"))),
            file,
            "scores.duplicate",
            ERROR,
            pl.concat_str(
                [at, message_expr("scoresheet.duplicate", lang, value=pl.col("_cand"), first=pl.col("_first"))]
            ),
        )
    )

    # --- status column
    words = pl.DataFrame(
        {"_key": list(STATUS_WORDS), "_flag": list(STATUS_WORDS.values())},
        schema={"_key": pl.String, "_flag": pl.String},
    )
    rows = rows.with_columns(pl.col("_status").str.to_lowercase().alias("_key")).join(words, on="_key", how="left")
    bad_status = rows.filter(~_blank(pl.col("_status")) & ~pl.col("_key").is_in(words.get_column("_key").implode()))
    found.append(
        _finding_frame(
            bad_status.with_columns(pl.lit(status_header).alias("_column"), pl.col("status").alias("_value")),
            file,
            "scores.bad_status",
            ERROR,
            pl.concat_str([at, message_expr("scoresheet.bad_status", lang, value=pl.col("_value"))]),
        )
    )

    # --- marks, long: one row per candidate row and item
    long = (
        rows.select(ROW, "_cand", "_named", "_flag", *item_cols)
        .unpivot(index=[ROW, "_cand", "_named", "_flag"], variable_name="_col", value_name="_raw")
        .join(present, on="_col", how="left", maintain_order="left")
    )
    # a cell is read once per distinct spelling (a sheet holds a few dozen among all its marks)
    spellings = long.select(pl.col("_raw").unique()).with_columns(
        _blank(pl.col("_raw")).alias("_empty"),
        pl.col("_raw").str.normalize("NFKC").str.replace_all(r"\s", "").alias("_value"),
    )
    long = long.join(
        spellings.with_columns(pl.col("_value").cast(pl.Float64, strict=False).alias("_num")),
        on="_raw",
        how="left",
        nulls_equal=True,
        maintain_order="left",
    ).with_columns((pl.col("_num") / pl.col("_step")).alias("_k"))
    checks = [
        (
            "scores.not_number",
            "grading.not_number",
            ~pl.col("_empty") & (pl.col("_num").is_null() | ~pl.col("_num").is_finite()),
        ),
        ("scores.negative", "grading.negative", pl.col("_num") < -EPS),
        ("scores.over_max", "grading.over_max", pl.col("_num") > pl.col("_max") + EPS),
        ("scores.off_step", "grading.off_step", (pl.col("_k") - pl.col("_k").round()).abs() > EPS),
    ]
    long = long.with_columns(cond.fill_null(False).alias(f"_bad{i}") for i, (_, _, cond) in enumerate(checks))
    bad_any = pl.lit(False)
    for i, (rule, key, _cond) in enumerate(checks):
        hit = pl.col(f"_bad{i}") & ~bad_any
        fields = {"item": pl.col("_name"), "value": pl.col("_value"), "accepted": pl.col("_accepted")}
        fields |= {"max": pl.col("_max").cast(pl.String).str.replace(r"\.0$", "")}
        fields |= {"step": pl.col("_step").cast(pl.String).str.replace(r"\.0$", "")}
        found.append(
            _finding_frame(long.filter(hit), file, rule, ERROR, pl.concat_str([at, message_expr(key, lang, **fields)]))
        )
        bad_any = bad_any | pl.col(f"_bad{i}")

    # --- consistency per row: absent with marks (error), blank items (warning)
    long = long.with_columns(_mark.alias("_mark"))
    marked = pl.col("_mark").filter(~pl.col("_empty"))
    per_row = (
        long.group_by(ROW, maintain_order=True)
        .agg(
            pl.col("_cand").first(),
            pl.col("_named").first(),
            pl.col("_flag").first(),
            (~pl.col("_empty")).sum().alias("_filled"),
            pl.col("_empty").sum().alias("_blanks"),
            marked.sum().alias("_sum"),
            marked.count().alias("_n"),  # marks that are numbers
        )
        .with_columns(pl.lit(cand_header).alias("_column"), pl.col("_cand").alias("_value"))
    )
    found.append(
        _finding_frame(
            per_row.filter((pl.col("_flag") == "absent") & (pl.col("_filled") > 0)),
            file,
            "scores.absent_with_marks",
            ERROR,
            pl.concat_str([at, message_expr("scoresheet.absent_with_marks", lang, value=pl.col("_cand"))]),
        )
    )
    found.append(
        _finding_frame(
            per_row.filter(pl.col("_flag").is_null() & (pl.col("_blanks") > 0) & ~_blank(pl.col("_cand"))),
            file,
            "scores.missing_mark",
            WARNING,
            pl.concat_str(
                [at, message_expr("scoresheet.missing_mark", lang, value=pl.col("_cand"), n=pl.col("_blanks"))]
            ),
        )
    )

    # --- registered candidates the sheet does not mention
    listed = rows.get_column("_cand").drop_nulls().implode()
    absent_from_sheet = registered_s.alias("_value").to_frame().filter(~pl.col("_value").is_in(listed))
    found.append(
        _finding_frame(
            absent_from_sheet.with_columns(pl.lit(None, pl.Int64).alias(ROW), pl.lit(cand_header).alias("_column")),
            file,
            "scores.not_in_sheet",
            WARNING,
            message_expr("scoresheet.not_in_sheet", lang, file=file, value=pl.col("_value"), batch=batch),
        )
    )

    findings_df = pl.concat([f.cast(findings_frame([]).schema) for f in found]).sort("row", "column", nulls_last=True)
    marks = (
        long.lazy()
        .filter(~pl.col("_empty") & pl.col("_named"))
        .select(pl.col("_cand").alias("candidate_no"), pl.col("item_id"), pl.col("_mark").alias("mark"))
        .collect()
    )
    totals = per_row.filter(pl.col("_named")).select(
        pl.col("_cand").alias("candidate_no"), pl.when(pl.col("_n") > 0).then(pl.col("_sum")).alias("_sum"), "_n"
    )
    flags = rows.filter(pl.col("_named")).select(pl.col("_cand").alias("candidate_no"), pl.col("_flag").alias("flag"))
    return ScoreSheet(p, batch, marks, flags, from_frame(findings_df), totals)
