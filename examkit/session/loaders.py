"""examkit.session.loaders"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from examkit.analysis.fees import Reconciliation, reconcile
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.intake.registration_model import Registrations, empty_registrations
from examkit.intake.registrations import load_registrations, load_registrations_dir
from examkit.session.fee_inputs import _columns, load_results, load_schools_frame
from examkit.settings.columns import load_columns
from examkit.settings.policy import load_bill_absent
from examkit.settings.prices import load_prices
from examkit.settings.resources import settings_file

if TYPE_CHECKING:
    from examkit.session.batch import BatchSession
if TYPE_CHECKING:
    from examkit.session.batch import BatchSession


def session_fees(session: BatchSession) -> Reconciliation:
    """The reconciliation a batch report shows: the year so far (this batch and the ones before it).

    Registrations: every batch file of ``registrations_dir`` up to this batch (else this batch's file),
    as validated for the session; receipts: the ``payments`` file (none → nothing received).
    """
    from examkit.intake.payments import RECEIPT_SCHEMA, load_payments

    folder = session.path("registrations_dir")
    if folder is not None and folder.is_dir():
        regs = session.year_registrations.frame
    elif session.path("registrations") is not None:
        regs = session.registrations.frame
    else:
        raise ConfigError(t("fees.no_registrations"))
    batch = session.batch_id
    year_so_far = regs.filter((pl.col("batch") <= batch) & (pl.col("batch").str.slice(0, 4) == batch[:4]))
    scope = tuple(sorted(set(year_so_far["batch"].unique().to_list()) | {batch}))
    payments_path = session.path("payments")
    if payments_path is not None and payments_path.is_file():
        pay = load_payments(payments_path, _columns(session.settings_dir))
        receipts, findings = pay.frame, pay.findings
    else:
        receipts, findings = pl.DataFrame(schema=RECEIPT_SCHEMA), []
    bill_absent = load_bill_absent(session.settings_dir)
    results = None if bill_absent else load_results(session.path("gradebook"), scope)
    schools = session.path("schools")
    return reconcile(
        year_so_far,
        receipts,
        notice=session.notice,
        schools=load_schools_frame(schools, session.settings_dir) if schools is not None else None,
        prices=load_prices(None, session.settings_dir),
        bill_absent=bill_absent,
        results=results,
        scope=scope,
        findings=findings,
    )


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
    from examkit.store.gradebook import Gradebook

    with Gradebook(gradebook) as gb:
        results = pl.concat([gb.results(b).select("candidate_no", "batch", "passed") for b in earlier])
    passed = results.filter(pl.col("passed").fill_null(False)).select("candidate_no", "batch")
    return (
        session.year_registrations.frame.join(passed, on=["candidate_no", "batch"], how="inner")
        .select("id_number", "level", "batch")
        .unique()
    )


def _session_schools(session: BatchSession) -> pl.DataFrame | None:
    from examkit.intake.schools import load_schools

    path = session.path("schools")
    return load_schools(path, _session_columns(session)) if path else None


def _session_columns(session: BatchSession) -> dict:
    return load_columns(settings_file("columns.yaml", session.settings_dir))
