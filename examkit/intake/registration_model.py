"""What a validated registrations file is: its schema, the ``Registrations`` result, and the context rows are checked against."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from examkit.core.findings import ERROR, WARNING, Finding, findings_frame
from examkit.core.i18n import label
from examkit.core.notice import Batch, Notice, available_years, load_notice
from examkit.intake.schools import load_schools
from examkit.io.tables import ROW
from examkit.settings.columns import required_columns
from examkit.settings.policy import DEFAULT_AGES, age_range
from examkit.settings.resources import settings_file

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


# Which candidates need a value in each column; the rule that needs it is the catalog's
# ``validate.needs_<column>`` (README: "Which columns a registration needs"). A column not listed is
# used by no rule (school name, phone) and is never required unless a site's columns.yaml says so.
NEEDED_BY = {
    "candidate_no": CANDIDATE_TYPES,
    "name": CANDIDATE_TYPES,
    "id_number": CANDIDATE_TYPES,
    "candidate_type": CANDIDATE_TYPES,
    "school_code": ("pilot_student",),
    "province": CANDIDATE_TYPES,
    "site_code": CANDIDATE_TYPES,
    "batch": CANDIDATE_TYPES,
    "level": CANDIDATE_TYPES,
    "registered_on": CANDIDATE_TYPES,
}
# Needed, but filled in when blank (with a warning): the province from the schools list (a pilot
# student's school, else the exam site: social and non-pilot candidates sit at a host site), the batch
# from the file's batch (a file named after a batch, or ``--batch``), the level from the batch (R1).
DERIVABLE = ("province", "batch", "level")


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


@dataclass(frozen=True)
class Check:
    """One rule over the whole frame: rows where ``when`` holds get a finding on ``column``."""

    rule: str
    column: str
    when: pl.Expr
    fields: dict = field(default_factory=dict)
    severity: str = ERROR
    key: str | None = None  # message key (default ``validate.msg_<rule>``)


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


@dataclass(frozen=True)
class Context:
    """The notice's batches, the expected batch, the schools list, earlier passes, and labelled defaults."""

    batches: tuple[Batch, ...]
    expected: Batch | None = None
    schools: pl.DataFrame | None = None
    prior_passes: pl.DataFrame | None = None
    age_min: int = DEFAULT_AGES[0]
    age_max: int = DEFAULT_AGES[1]
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
    notices = [notice] if notice is not None else [load_notice(y) for y in available_years()]
    batches = tuple(b for n in notices for b in n.batches)
    expected = None
    if batch is not None:
        expected = (notice or _notice_of(str(batch), notices)).batch(str(batch))
    if schools is not None and not isinstance(schools, pl.DataFrame):
        schools = load_schools(schools, columns)
    age_min, age_max = age_range(params_dir)
    levels: dict[str, str] = {}
    for n in notices:
        for code, lv in n.levels.items():
            levels.update({code: code, lv.name_zh: code, label(code, "en"): code, label(code, "zh"): code})
    return Context(
        batches=batches,
        expected=expected,
        schools=schools,
        prior_passes=prior_passes,
        age_min=age_min,
        age_max=age_max,
        levels=levels,
    )


def _notice_of(batch: str, notices: list[Notice]) -> Notice:
    for n in notices:
        if any(batch.strip() in (b.id, b.name_zh) for b in n.batches):
            return n
    return notices[-1]  # its .batch() raises the NoticeError naming what is accepted


def _required(params_dir: str | os.PathLike | None, mapping: dict) -> tuple[str, ...]:
    cols = required_columns(KIND, settings_file("columns.yaml", params_dir))
    return tuple(c for c in cols if c in mapping[KIND])
