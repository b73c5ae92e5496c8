"""Filling the input store: every input of the given batches read and checked once, ahead of the reports.

``ingest(params_files)`` opens each batch as its notebooks do and reads what they read (the schools
list, the batch's registrations and the year's so far, payments, score sheets, the theory paper), so
that the notebooks then find every input in the store. Nothing is written but the store: the
gradebook is only read. A batch whose inputs cannot be read is noted and skipped; its notebooks will
show the same error in the report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from examkit.core.exceptions import ExamkitError
from examkit.core.i18n import get_lang, set_lang, t
from examkit.session.batch import BatchSession
from examkit.session.year import graded_in, sheet_for
from examkit.settings.params import load_batch_params
from examkit.store.entries import StoreStats


@dataclass
class IngestReport:
    """What filling the store did: entries found and built, broken entries rebuilt, batches that failed."""

    stats: StoreStats = field(default_factory=StoreStats)
    stores: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line per batch: its params file and why


def ingest_batch(session: BatchSession) -> None:
    """Read every input of one batch through its session's store (raises what reading raises).

    The score sheet is read only when the gradebook has no marks for the batch: the reports use it then only.
    """
    session.schools  # noqa: B018  each property reads its input through the store
    session.registrations  # noqa: B018  (this batch; the year so far too, for earlier passes)
    session.year_registrations  # noqa: B018
    payments = session.path("payments")
    if payments is not None and payments.is_file():
        session.store.payments(payments)
    gradebook = session.path("gradebook")
    graded = gradebook is not None and graded_in(gradebook, session.batch_id)
    if not graded and sheet_for(session.path("scores"), session.batch_id) is not None:
        session.passrates_inputs  # noqa: B018
    session.batch_theory_correct  # noqa: B018


def ingest(
    params_files: Sequence[str | os.PathLike],
    *,
    progress: Callable[[str, int], None] | None = None,
) -> IngestReport:
    """Fill the store for each batch's params file; ``progress(batch, total)`` after each one."""
    report = IngestReport()
    lang = get_lang()
    for path in params_files:
        try:
            params = load_batch_params(path)
            set_lang(str(params.values.get("lang") or lang))  # findings are kept in the language of the reports
            session = BatchSession(params.batch, {**params.values, "report_mode": True})
            store = session.store
            if store.root is not None and str(store.root) not in report.stores:
                report.stores.append(str(store.root))
                store.clean()
            ingest_batch(session)
            report.stats.hits += store.stats.hits
            report.stats.builds += store.stats.builds
            report.stats.rebuilt += store.stats.rebuilt
            name = params.batch
        except ExamkitError as exc:
            report.failed.append(t("ingest.failed_line", file=str(path), error=str(exc)))
            name = str(path)
        finally:
            set_lang(lang)
        if progress:
            progress(name, len(params_files))
    return report
