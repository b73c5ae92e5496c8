"""The input store: every input file read and validated once, kept typed (Parquet) with its findings.

``InputStore`` is the one class callers go through for registrations, the schools list, payments,
score sheets (as the results they give: ``context`` and ``fetch``) and theory papers. Each method returns exactly what the intake function it wraps returns;
the entry is keyed by the file's content plus what shaped the result (rule code, settings, language,
and the context the rows were checked against), so a changed file or setting re-validates that file
alone and an unchanged year validates nothing.

Where it lives: ``store/`` in the project folder (beside ``params/``), or the ``store`` parameter, or
``$EXAMKIT_STORE`` (``off`` keeps nothing). Deleting it only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from examkit.core.rubric import Item
from examkit.intake.payments import Payments, load_payments
from examkit.intake.registration_model import Context, Registrations
from examkit.intake.registrations import FileCheck, check_file
from examkit.intake.schools import load_schools
from examkit.intake.theory import TheoryScores, score_responses
from examkit.intake.theory_key import load_key
from examkit.settings.columns import columns_for
from examkit.store.entries import EntryStore
from examkit.store.fingerprint import fingerprint, settings_digest

ENV_STORE = "EXAMKIT_STORE"
STORE_DIR = "store"  # in the project folder, beside params/


def store_dir(project: str | os.PathLike | None) -> Path | None:
    """Where the project's store is: ``$EXAMKIT_STORE`` (``off``: nowhere), else ``<project>/store``."""
    env = os.environ.get(ENV_STORE, "").strip()
    if env:
        return None if env.lower() in ("off", "0", "none") else Path(env)
    return Path(project) / STORE_DIR if project else None


def project_store(params_dir: str | os.PathLike | None = None) -> InputStore:
    """The store of the project a command runs in: the parent of ``params_dir``, else the current folder
    when it holds a ``params/`` folder; outside a project, a store that keeps nothing."""
    if params_dir:
        return InputStore.for_project(Path(params_dir).resolve().parent, params_dir)
    here = Path.cwd()
    return InputStore.for_project(here if (here / "params").is_dir() else None, None)


class InputStore(EntryStore):
    """Typed inputs of one project, each read and checked once (``InputStore(None)``: checked every time)."""

    def __init__(self, root: str | os.PathLike | None, params_dir: str | os.PathLike | None = None) -> None:
        super().__init__(root)
        self.params_dir = Path(params_dir) if params_dir else None
        self._settings = settings_digest(self.params_dir) if self.root else ""

    @classmethod
    def for_project(cls, project: str | os.PathLike | None, params_dir: str | os.PathLike | None = None):
        """The store of the project folder ``project`` (see ``store_dir``)."""
        return cls(store_dir(project), params_dir)

    def context(self, *parts: object) -> str:
        """The fingerprint of ``parts`` (frames by content) with the settings, language and rule code."""
        return fingerprint(self._settings, *parts)

    def registrations_check(self) -> FileCheck:
        """``check_file`` through the store: what ``load_registrations(_dir)`` take as ``check``."""

        def check(path: Path, ctx: Context, mapping: dict, required: tuple[str, ...]) -> Registrations:
            context = self.context(ctx, mapping, required)
            return self.fetch("registrations", [path], context, lambda: check_file(path, ctx, mapping, required))

        return check

    def schools(self, path: str | os.PathLike) -> pl.DataFrame:
        """The typed schools list (``load_schools`` with the project's column mapping)."""
        columns = columns_for(self.params_dir)
        return self.fetch("schools", [path], self.context(columns), lambda: load_schools(path, columns))

    def payments(self, path: str | os.PathLike) -> Payments:
        """The bank statement's receipts and findings (``load_payments``)."""
        columns = columns_for(self.params_dir)
        return self.fetch("payments", [path], self.context(columns), lambda: load_payments(path, columns))

    def theory(
        self, key: str | os.PathLike, responses: str | os.PathLike, partial_credit: str, item: Item | None = None
    ) -> TheoryScores:
        """The theory responses scored against the answer key (``score_responses`` over ``load_key``)."""
        return self.fetch(
            "theory",
            [key, responses],
            self.context(partial_credit, item),
            lambda: score_responses(responses, load_key(key), partial_credit=partial_credit, item=item),
        )
