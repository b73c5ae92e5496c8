"""One batch as a notebook sees it: its parameters, the notice, and its data, loaded once.

Notebooks call ``open_batch(**parameters)`` and display what it offers; no logic in notebooks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from examkit.core.notice import Batch, Notice, notice_for_batch


@dataclass
class BatchSession:
    """Lazily loaded data of one batch; each property reads its input once."""

    batch_id: str
    params: dict = field(default_factory=dict)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())

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
        from examkit.session.loaders import session_registrations

        return session_registrations(self)

    @cached_property
    def year_registrations(self):
        """Every batch file of ``registrations_dir`` up to and including this batch, validated (``Registrations``)."""
        from examkit.session.loaders import session_year_registrations

        return session_year_registrations(self)

    @cached_property
    def fees(self):
        """Fee reconciliation of the year so far (this batch and earlier ones): ``examkit.analysis.fees.Reconciliation``."""
        from examkit.session.loaders import session_fees

        return session_fees(self)

    @cached_property
    def _gradebook_setup(self):
        from examkit.core.exceptions import ConfigError
        from examkit.core.i18n import t
        from examkit.store.scores import prepare_gradebook

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
        from examkit.session.year import session_inputs

        return session_inputs(
            self.batch_id,
            registrations=self.path("registrations"),
            registrations_dir=self.path("registrations_dir"),
            schools=self.path("schools"),
            gradebook=self.path("gradebook"),
            scores=self.path("scores"),
            params_dir=self.settings_dir,
        )

    @property
    def year_results(self):
        """Candidates of this batch and earlier ones with ``status``, ``total``, ``sat``, ``passed``… (polars frame)."""
        return self.passrates_inputs.cands

    @cached_property
    def batch_results(self):
        """``year_results`` of this batch only."""
        import polars as pl

        return self.year_results.filter(pl.col("batch") == self.batch_id)

    @property
    def batch_item_marks(self):
        """This batch's item marks (long) for the item analysis, or None."""
        return self.passrates_inputs.item_marks.get(self.batch_id)

    @cached_property
    def batch_theory_correct(self):
        """Per-question theory correctness (``candidate_no, question_id, correct``) for KR-20, or None."""
        from examkit.session.year import theory_correctness

        return theory_correctness(self.path("theory_key"), self.path("theory_responses"), self.settings_dir)

    @property
    def analytics_policy(self):
        """Pass mark and full mark from the notice, labelled defaults from ``policy.yaml``."""
        return self.passrates_inputs.policy

    @cached_property
    def rubric(self):
        """The rubric of this batch's level (from ``settings_dir``)."""
        from examkit.settings.rubrics import load_rubric

        return load_rubric(self.batch.level, self.settings_dir)

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
