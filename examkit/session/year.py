"""The edge of the pass-rate analytics: registrations and results read from files into contract frames.

Results come from the gradebook (``Gradebook(path).results(batch)``) when it holds the batch's
marks, else from a score sheet: either the final score sheet the gradebook exports
(考生号, 总分, 是否合格, 标记) or a paper sheet with one column per rubric item. Nothing here
writes to any input: a missing gradebook is never created.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from examkit.analysis import passrates as an
from examkit.core.exceptions import InputError, ValidationFailed
from examkit.core.findings import ERROR, MAX_LISTED, Finding
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.core.policy import Policy
from examkit.intake.final_sheet import _final_columns, final_sheet_results, is_final_sheet, stray_finding
from examkit.intake.registrations import (
    UnreadableFile,
    load_registrations,
    load_registrations_dir,
    unreadable_files,
)
from examkit.intake.scoresheet import read_scores
from examkit.io.tables import read_table
from examkit.settings.policy import load_partial_credit, load_policy
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook
from examkit.store.inputs import InputStore

RESULTS_SCHEMA = {"candidate_no": pl.String, "batch": pl.String, "status": pl.String, "total": pl.Float64}


@dataclass
class BatchResults:
    """One batch's results (contract frame), its item marks (long), where they came from, and the score
    sheet's rows left out (``findings``: rows for candidates who are not validated registrations)."""

    results: pl.DataFrame
    item_marks: pl.DataFrame | None
    source: str  # "gradebook" | "scores" | "none"
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Loaded:
    """Candidates with outcomes, the policy they were judged by, notes for the user, and the registrations
    files that could not be read (their batches are unknown, not empty: a report names them at its top)."""

    cands: pl.DataFrame
    policy: Policy
    item_marks: dict[str, pl.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unreadable: list[UnreadableFile] = field(default_factory=list)
    # score-sheet rows left out of the rates, each naming file, Excel row and why (the rates are still computed)
    findings: list[Finding] = field(default_factory=list)


# --------------------------------------------------------------------------- registrations


def load_registration_files(
    paths: Sequence[Path], schools: Path | None = None, params_dir: Path | None = None, upto: str | None = None
) -> tuple[pl.DataFrame, list[str]]:
    """Validated registrations of every file or folder (folders: every batch file in them, up to ``upto``),
    and notes on the rows left out. A file inside a folder that is also given is read once."""
    frame, notes, _, _ = read_registration_files(paths, schools, params_dir, upto)
    return frame, notes


def read_registration_files(
    paths: Sequence[Path],
    schools: Path | None = None,
    params_dir: Path | None = None,
    upto: str | None = None,
    store: InputStore | None = None,
) -> tuple[pl.DataFrame, list[str], list[UnreadableFile], pl.DataFrame]:
    """``load_registration_files``, the files of its folders that could not be read, and the rows validation
    left out (``candidate_no``, ``message``: why; a score sheet's row for one of them is named with it).
    ``store``: where each file's checked rows are kept (default: checked every time)."""
    store = store or InputStore(None, params_dir)
    check = store.registrations_check()
    school_frame = store.schools(schools) if schools is not None else None
    dirs = [p.resolve() for p in paths if p.is_dir()]
    frames, notes, unreadable, left_out = [], [], [], []
    seen: set[Path] = set()
    for p in paths:
        key = p.resolve()
        if key in seen or (not p.is_dir() and key.parent in dirs):
            continue
        seen.add(key)
        if p.is_dir():
            loaded = load_registrations_dir(p, schools=school_frame, upto=upto, params_dir=params_dir, check=check)
        else:
            loaded = load_registrations(p, schools=school_frame, params_dir=params_dir, check=check)
        frames.append(loaded.frame)
        left_out.append(loaded.excluded.select("candidate_no", "message"))
        excluded = _count(getattr(loaded, "excluded", None))
        if excluded:
            notes.append(t("analytics.excluded_rows", file=p.name, count=excluded))
        notes.extend(f.message for f in loaded.findings if f.rule == "unusable_file")
        unreadable += unreadable_files(loaded)
    frame = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    if frame.is_empty():
        raise InputError(t("analytics.no_input_rows", files=", ".join(str(p) for p in paths)))
    if upto is not None:
        frame = frame.filter(pl.col("batch") <= upto)
    out = pl.concat(left_out) if left_out else pl.DataFrame(schema={"candidate_no": pl.String, "message": pl.String})
    return frame, notes, unreadable, out


def _params_kw(params_dir: Path | None) -> dict:
    return {"params_dir": params_dir} if params_dir is not None else {}


def _count(excluded: object) -> int:
    if excluded is None:
        return 0
    if isinstance(excluded, pl.DataFrame):
        return excluded.height
    try:
        return len(excluded)  # type: ignore[arg-type]
    except TypeError:
        return int(excluded)  # type: ignore[call-overload]


# --------------------------------------------------------------------------- results


def from_gradebook(path: Path, batch: str) -> BatchResults | None:
    """The batch's results and item marks from an existing gradebook, or None when it has no marks for it."""
    if not graded_in(path, batch):
        return None
    with Gradebook(path) as gb:
        return BatchResults(gb.results(batch), gb.item_marks(batch), "gradebook")


def graded_in(path: Path, batch: str) -> bool:
    """Whether the gradebook at ``path`` exists and holds marks for ``batch`` (nothing else is read)."""
    if not path.is_file():
        return False
    with Gradebook(path) as gb:
        return batch in gb.batches() and gb.has_marks(batch)


def from_item_sheet(
    path: Path,
    batch: str,
    registered: pl.Series,
    params_dir: Path | None = None,
    excluded: pl.DataFrame | None = None,
) -> BatchResults:
    """Results and item marks from a paper score sheet (one column per rubric item), read only.

    Every item marked → graded (total = their sum); 缺考 → absent; 违纪 → void; otherwise ungraded.
    A row for someone not ``registered`` (e.g. whose registration did not pass validation: ``excluded``
    says why) is left out and becomes a finding; any other error in the sheet raises ``ValidationFailed``.
    """
    rubric = load_rubric(notice_for_batch(batch).batch(batch).level, params_dir)
    sheet = read_scores(path, batch, rubric, registered, params_dir=params_dir)
    errors = [f for f in sheet.findings if f.severity == ERROR and f.rule != "scores.unknown_candidate"]
    if errors:
        raise ValidationFailed("\n".join(f.message for f in errors[:MAX_LISTED]), errors)
    strays = [
        stray_finding(str(path), f.row, f.column, f.value or "", batch, excluded)
        for f in sheet.findings
        if f.rule == "scores.unknown_candidate"
    ]
    items = pl.DataFrame(
        {
            "item_id": [i.id for i in rubric.items],
            "section": [i.section for i in rubric.items],
            "max": [i.max for i in rubric.items],
        }
    )
    marks = sheet.marks.filter(pl.col("mark").is_not_null()).join(items, on="item_id")
    if sheet.totals is not None:  # one row per candidate: duplicates are errors and raised above
        sums = sheet.totals.filter(pl.col("_n") > 0)
    else:
        sums = marks.group_by("candidate_no").agg(pl.col("mark").sum().alias("_sum"), pl.len().alias("_n"))
    status = (
        pl.when(pl.col("flag") == "absent")
        .then(pl.lit("absent"))
        .when(pl.col("flag") == "void")
        .then(pl.lit("void"))
        .when(pl.col("_n") == len(rubric.items))
        .then(pl.lit("graded"))
        .otherwise(pl.lit("ungraded"))
    )
    results = (
        pl.DataFrame({"candidate_no": registered.cast(pl.String)})
        .join(sheet.flags, on="candidate_no", how="left")
        .join(sums, on="candidate_no", how="left")
        .with_columns(status.alias("status"))
        .select(
            "candidate_no",
            pl.lit(batch).alias("batch"),
            "status",
            pl.when(pl.col("status").is_in(["graded", "void"]))
            .then(pl.col("_sum").round(2))
            .otherwise(None)
            .alias("total"),
        )
    )
    counted = results.filter(pl.col("status").is_in(["graded", "void"])).select("candidate_no")
    item_marks = marks.join(counted, on="candidate_no", how="semi").select(
        "candidate_no", "item_id", "section", "mark", "max"
    )
    return BatchResults(results, item_marks, "scores", strays)


def results_for(
    batch: str,
    registered: pl.Series,
    *,
    gradebook: Path | None = None,
    scores: Path | None = None,
    params_dir: Path | None = None,
    excluded: pl.DataFrame | None = None,
    store: InputStore | None = None,
) -> BatchResults:
    """The batch's results: the gradebook when it has marks for it, else the score sheet, else none yet.

    A score sheet's rows for anyone not ``registered`` are left out, each a finding (``excluded``: the
    rows validation left out, ``candidate_no`` and ``message``, to say why).
    """
    if gradebook is not None:
        got = from_gradebook(gradebook, batch)
        if got is not None:
            return got
    if scores is not None and scores.is_file():
        store = store or InputStore(None, params_dir)
        results, marks, strays = store.fetch(
            "results",
            [scores],
            store.context(batch, registered, excluded),
            lambda: _sheet_results(scores, batch, registered, params_dir, excluded),
        )
        return BatchResults(results, marks, "scores", strays)
    return BatchResults(pl.DataFrame(schema=RESULTS_SCHEMA), None, "none")


def _sheet_results(
    scores: Path, batch: str, registered: pl.Series, params_dir: Path | None, excluded: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame | None, list[Finding]]:
    """A score sheet's results, item marks and stray rows (what the input store keeps for it)."""
    if is_final_sheet(scores, params_dir):
        full = notice_for_batch(batch).full_mark
        final, strays = final_sheet_results(scores, full, batch, registered, params_dir, excluded)
        return final.with_columns(pl.lit(batch).alias("batch")), None, strays
    got = from_item_sheet(scores, batch, registered, params_dir, excluded)
    return got.results, got.item_marks, got.findings


def sheet_for(scores: Path | None, batch: str) -> Path | None:
    """The score sheet of ``batch`` beside ``scores`` (``<folder>/<batch>.xlsx|.csv``), or ``scores`` itself."""
    if scores is None:
        return None
    folder = scores if scores.is_dir() else scores.parent
    for suffix in (".xlsx", ".csv"):
        p = folder / f"{batch}{suffix}"
        if p.is_file():
            return p
    return scores if scores.is_file() and scores.stem == batch else None


# --------------------------------------------------------------------------- whole inputs


def _assemble(
    regs: pl.DataFrame, policy: Policy, notes: list[str], fetch: Callable[[str, pl.Series], BatchResults]
) -> Loaded:
    """Each batch's results fetched, joined to the registrations; a note when some who sat have no score."""
    parts, marks, findings = [], {}, []
    for b in sorted(regs.get_column("batch").unique().to_list()):
        got = fetch(b, regs.filter(pl.col("batch") == b).get_column("candidate_no"))
        parts.append(got.results.select("candidate_no", pl.lit(b).alias("batch"), "status", "total"))
        findings.extend(got.findings)
        if got.item_marks is not None:
            marks[b] = got.item_marks
    results = pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame(schema=RESULTS_SCHEMA)
    cands = an.outcomes(regs, results, policy.pass_mark).collect()
    ungraded = int(cands.get_column("ungraded").sum())
    if ungraded:
        notes.append(t("analytics.ungraded_note", count=ungraded))
    return Loaded(cands, policy, marks, notes, findings=findings)


def load_outcomes(
    registrations: Sequence[Path],
    *,
    scores: Sequence[Path] = (),
    gradebook: Path | None = None,
    schools: Path | None = None,
    params_dir: Path | None = None,
    upto: str | None = None,
    store: InputStore | None = None,
) -> Loaded:
    """Candidates of every registrations file or folder with their outcomes (batches up to ``upto``).

    ``scores``: score sheets, each matched to the batch whose candidates it lists; ``gradebook``:
    results of every batch in it (read only). Raises ``InputError`` for a gradebook that does not exist.
    """
    if gradebook is not None and not gradebook.is_file():
        raise InputError(t("analytics.no_gradebook", file=str(gradebook)), file=str(gradebook))
    regs, notes, unreadable, excluded = read_registration_files(list(registrations), schools, params_dir, upto, store)
    by_batch = {b: regs.filter(pl.col("batch") == b).get_column("candidate_no") for b in regs["batch"].unique()}
    sheets = {_batch_of_sheet(s, by_batch, params_dir): s for s in scores}
    policy = load_policy(notice_for_batch(min(by_batch)), params_dir)

    def fetch(b: str, registered: pl.Series) -> BatchResults:
        sheet = sheets.get(b)
        return results_for(
            b, registered, gradebook=gradebook, scores=sheet, params_dir=params_dir, excluded=excluded, store=store
        )

    loaded = _assemble(regs, policy, notes, fetch)
    loaded.unreadable = unreadable
    return loaded


def _batch_of_sheet(sheet: Path, by_batch: dict[str, pl.Series], params_dir: Path | None) -> str:
    """The batch whose registered candidates the sheet lists most (the file name wins when it is a batch id)."""
    if sheet.stem in by_batch:
        return sheet.stem
    table = read_table(sheet, "final_scores", _final_columns(params_dir))
    listed = table.frame.get_column("candidate_no").str.strip_chars().drop_nulls()
    counts = {b: int(listed.is_in(ids.implode()).sum()) for b, ids in by_batch.items()}
    best = max(counts, key=lambda b: counts[b])
    if counts[best] == 0:
        raise InputError(t("analytics.sheet_no_batch", file=str(sheet), batches=", ".join(by_batch)), file=str(sheet))
    return best


def session_inputs(
    batch: str,
    *,
    registrations: str | os.PathLike | None,
    registrations_dir: str | os.PathLike | None,
    schools: str | os.PathLike | None,
    gradebook: str | os.PathLike | None,
    scores: str | os.PathLike | None,
    params_dir: str | os.PathLike | None,
    store: InputStore | None = None,
) -> Loaded:
    """What the pass-rate report needs: the year so far (batches up to ``batch``) with outcomes and item marks.

    Each batch's results come from the gradebook when it has them, else from its score sheet
    (``<scores folder>/<batch>.xlsx``); a batch with neither counts as not graded yet.
    """
    paths = [Path(p) for p in (registrations_dir, registrations) if p and Path(p).exists()]
    pdir = Path(params_dir) if params_dir else None
    school_file = Path(schools) if schools and Path(schools).exists() else None
    regs, notes, unreadable, excluded = read_registration_files(paths, school_file, pdir, batch, store)
    gb = Path(gradebook) if gradebook else None
    sc = Path(scores) if scores else None

    def fetch(b: str, registered: pl.Series) -> BatchResults:
        return results_for(
            b, registered, gradebook=gb, scores=sheet_for(sc, b), params_dir=pdir, excluded=excluded, store=store
        )

    loaded = _assemble(regs, load_policy(notice_for_batch(batch), pdir), notes, fetch)
    loaded.unreadable = unreadable  # named at the top of the report: those batches are unknown, not empty
    return loaded


def theory_correctness(
    key: str | os.PathLike | None,
    responses: str | os.PathLike | None,
    params_dir: str | os.PathLike | None = None,
    store: InputStore | None = None,
) -> pl.DataFrame | None:
    """Per-question right/wrong of the theory paper (``candidate_no, question_id, correct``) for KR-20,
    scored read-only from the answer key and the responses export; None when either file is missing."""
    if not key or not responses or not Path(key).is_file() or not Path(responses).is_file():
        return None

    scored = (store or InputStore(None, params_dir)).theory(key, responses, load_partial_credit(params_dir))
    return scored.correctness()
