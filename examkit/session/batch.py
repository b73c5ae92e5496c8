"""One batch as a notebook sees it: its parameters, the notice, and its data, loaded once.

Notebooks call ``open_batch(**parameters)`` and display what it offers; no logic in notebooks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from examkit.analysis.fees import Reconciliation, reconcile
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.notice import Batch, Notice, notice_for_batch
from examkit.intake.payments import RECEIPT_SCHEMA
from examkit.intake.registration_model import Registrations, empty_registrations
from examkit.intake.registrations import (
    excluded_per_batch,
    load_registrations,
    load_registrations_dir,
    unreadable_files,
)
from examkit.session.fee_inputs import load_results
from examkit.session.year import session_inputs, theory_correctness
from examkit.settings.columns import columns_for
from examkit.settings.notices import use_project_notices
from examkit.settings.policy import load_bill_absent
from examkit.settings.prices import load_prices
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook
from examkit.store.inputs import InputStore
from examkit.store.scores import prepare_gradebook


@dataclass
class BatchSession:
    """Lazily loaded data of one batch; each property reads its input once."""

    batch_id: str
    params: dict = field(default_factory=dict)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())

    def __post_init__(self) -> None:
        use_project_notices(self.settings_dir)  # notices imported into the params folder (params/notices/)

    @cached_property
    def store(self) -> InputStore:
        """Where this project's inputs are kept once checked (``store/`` beside ``params/``; the ``store``
        parameter or ``$EXAMKIT_STORE`` override it)."""
        root = self.path("store")
        if root is not None:
            return InputStore(root, self.settings_dir)
        project = self.settings_dir.parent if self.settings_dir else None
        return InputStore.for_project(project, self.settings_dir)

    @cached_property
    def notice(self) -> Notice:
        return notice_for_batch(self.batch_id)

    @cached_property
    def batch(self) -> Batch:
        return self.notice.batch(self.batch_id)

    @cached_property
    def registrations(self):
        """This batch's registrations, validated (``examkit.intake.registrations.Registrations``): ``.frame`` holds
        the rows that passed, ``.excluded`` what was left out and why; see ``validate.validation_report``."""
        return self._load_registrations()

    @cached_property
    def year_registrations(self):
        """Every batch file of ``registrations_dir`` up to and including this batch, validated (``Registrations``)."""
        return self._load_year_registrations()

    @cached_property
    def fees(self):
        """Fee reconciliation of the year so far (this batch and earlier ones): ``examkit.analysis.fees.Reconciliation``."""
        return self._load_fees()

    @cached_property
    def _gradebook_setup(self):
        path = self.path("gradebook")
        if path is None:
            raise ConfigError(t("config.missing_key", file=str(self.params.get("params_file") or ""), key="gradebook"))
        return prepare_gradebook(
            path,
            self.batch_id,
            registrations=self.registrations.frame if self.path("registrations") else None,
            schools=self.path("schools"),
            scores=self.path("scores"),
            params_dir=self.settings_dir,
        )

    @cached_property
    def gradebook(self):
        """The batch's ``examkit.store.gradebook.Gradebook`` (parameter ``gradebook``; never cleared): rubric recorded,
        candidates registered, and the ``scores`` sheet imported if the batch has no marks yet."""
        return self._gradebook_setup[0]

    @property
    def score_import(self):
        """What importing the ``scores`` sheet did on opening (``examkit.intake.scoresheet.ScoreImport``), or None."""
        return self._gradebook_setup[1]

    @cached_property
    def results(self):
        """The batch's results frame from the gradebook (candidate_no, batch, status, total, passed)."""
        return self.gradebook.results(self.batch_id)

    @cached_property
    def item_marks(self):
        """The batch's item marks from the gradebook (candidate_no, item_id, section, mark, max)."""
        return self.gradebook.item_marks(self.batch_id)

    @cached_property
    def passrates_inputs(self):
        """Registrations of the year so far with their outcomes, read only (``examkit.session.year.Loaded``)."""
        return session_inputs(
            self.batch_id,
            registrations=self.path("registrations"),
            registrations_dir=self.path("registrations_dir"),
            schools=self.path("schools"),
            gradebook=self.path("gradebook"),
            scores=self.path("scores"),
            params_dir=self.settings_dir,
            store=self.store,
        )

    @property
    def year_results(self):
        """Candidates of this batch and earlier ones with ``status``, ``total``, ``sat``, ``passed``… (polars frame)."""
        return self.passrates_inputs.cands

    @cached_property
    def batch_results(self):
        """``year_results`` of this batch only."""
        return self.year_results.filter(pl.col("batch") == self.batch_id)

    @property
    def batch_item_marks(self):
        """This batch's item marks (long) for the item analysis, or None."""
        return self.passrates_inputs.item_marks.get(self.batch_id)

    @cached_property
    def batch_theory_correct(self):
        """Per-question theory correctness (``candidate_no, question_id, correct``) for KR-20, or None."""
        return theory_correctness(self.path("theory_key"), self.path("theory_responses"), self.settings_dir, self.store)

    @property
    def analytics_policy(self):
        """Pass mark and full mark from the notice, labelled defaults from ``policy.yaml``."""
        return self.passrates_inputs.policy

    @cached_property
    def rubric(self):
        """The rubric of this batch's level (from ``settings_dir``)."""
        return load_rubric(self.batch.level, self.settings_dir)

    # ------------------------------------------------------------------ loading (each runs once, cached above)

    def _load_fees(self) -> Reconciliation:
        """The reconciliation a batch report shows: the year so far (this batch and the ones before it).

        Registrations: every batch file of ``registrations_dir`` up to this batch, as validated for the
        session; a file there that could not be read makes its batch unknown, not empty. Without the folder,
        this batch's file alone (the scope is then the batches it holds). Receipts: the ``payments`` file
        (none → nothing received).
        """
        folder = self.path("registrations_dir")
        if folder is not None and folder.is_dir():
            loaded = self.year_registrations
            scope = tuple(b.id for b in self.notice.batches if b.ordinal <= self.batch.ordinal)
            excluded = excluded_per_batch(loaded, self.notice)
        elif self.path("registrations") is not None:
            loaded = self.registrations
            held = loaded.frame.filter(pl.col("batch") <= self.batch_id)["batch"].unique().to_list()
            scope = tuple(sorted({*held, self.batch_id} & {b.id for b in self.notice.batches}))
            excluded = excluded_per_batch(loaded, self.notice, batch=self.batch_id)
        else:
            raise ConfigError(t("fees.no_registrations"))
        payments_path = self.path("payments")
        if payments_path is not None and payments_path.is_file():
            pay = self.store.payments(payments_path)
            receipts, findings = pay.frame, pay.findings
        else:
            receipts, findings = pl.DataFrame(schema=RECEIPT_SCHEMA), []
        bill_absent = load_bill_absent(self.settings_dir)
        billed = tuple(sorted(set(loaded.frame["batch"].unique().to_list()) & set(scope)))
        results = None if bill_absent else load_results(self.path("gradebook"), billed)
        return reconcile(
            loaded.frame,
            receipts,
            notice=self.notice,
            schools=self.schools,
            prices=load_prices(None, self.settings_dir),
            bill_absent=bill_absent,
            results=results,
            scope=scope,
            findings=findings,
            excluded=excluded,
            unreadable=unreadable_files(loaded, self.notice),
        )

    def _load_registrations(self) -> Registrations:
        """This batch's file, validated against the schools list (if given) and earlier passes (if any)."""
        path = self.path("registrations")
        if path is None:
            return empty_registrations()
        return load_registrations(
            path,
            schools=self.schools,
            notice=self.notice,
            batch=self.batch_id,
            prior_passes=self._prior_passes(),
            columns=columns_for(self.settings_dir),
            params_dir=self.settings_dir,
            check=self.store.registrations_check(),
        )

    def _load_year_registrations(self) -> Registrations:
        """Every batch file of ``registrations_dir`` up to and including this batch, validated."""
        folder = self.path("registrations_dir")
        if folder is None:
            return empty_registrations()
        return load_registrations_dir(
            folder,
            schools=self.schools,
            notice=self.notice,
            upto=self.batch_id,
            columns=columns_for(self.settings_dir),
            params_dir=self.settings_dir,
            check=self.store.registrations_check(),
        )

    def _prior_passes(self) -> pl.DataFrame | None:
        """Passes at this batch's level in earlier batches (``id_number, level, batch``), from the gradebook."""
        gradebook = self.path("gradebook")
        earlier = [b.id for b in self.notice.batches if b.level == self.batch.level and b.ordinal < self.batch.ordinal]
        if gradebook is None or not gradebook.is_file() or not earlier or self.path("registrations_dir") is None:
            return None

        with Gradebook(gradebook) as gb:
            results = pl.concat([gb.results(b).select("candidate_no", "batch", "passed") for b in earlier])
        passed = results.filter(pl.col("passed").fill_null(False)).select("candidate_no", "batch")
        return (
            self.year_registrations.frame.join(passed, on=["candidate_no", "batch"], how="inner")
            .select("id_number", "level", "batch")
            .unique()
        )

    @cached_property
    def schools(self) -> pl.DataFrame | None:
        """The schools list (parameter ``schools``), read once for the registrations and the fees; None without one."""
        path = self.path("schools")
        return self.store.schools(path) if path else None

    @property
    def lang(self) -> str:
        return str(self.params.get("lang") or "zh")

    @property
    def settings_dir(self) -> Path | None:
        s = self.params.get("settings_dir")
        return Path(s) if s else None

    def path(self, key: str) -> Path | None:
        v = self.params.get(key)
        return Path(v) if v else None
