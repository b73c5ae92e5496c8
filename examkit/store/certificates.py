"""The certificate register in the gradebook (R12): issuing numbered certificates once publicity has ended.

``CertificateMixin`` is part of ``examkit.store.gradebook.Gradebook`` (the only code that touches the
database); it uses the gradebook's transaction and query helpers and the publicity stage of
``PublicityMixin`` (a batch is certified only after its period, with no open review).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING

import polars as pl

from examkit.core.certificates import IssueResult, province_code_expr
from examkit.core.exceptions import CertificateError, PublicityError
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.store.schema import now, require_actor

if TYPE_CHECKING:
    from examkit.core.certificates import CertificateLayout, IssueResult


class CertificateMixin:
    """Issue and list certificates."""

    def issue_certificates(self, batch: str, on: dt.date, *, layout: CertificateLayout, by: str) -> IssueResult:
        """Issue one certificate per passer of ``batch`` not yet certified for its level, numbered by ``layout``.

        Only after the publicity period and with no open review. Serials count up within each scope
        of the layout across every batch and run; the register's UNIQUE constraints and one write
        transaction keep numbers unique even when several processes issue at once. A passer who
        already holds this level (same ID number, earlier batch) gets none and is listed in ``held``.
        """
        by = require_actor(by)
        level = notice_for_batch(batch).batch(batch).level
        year = notice_for_batch(batch).year
        with self._write() as c:
            period = self.publication(batch)
            if period is None:
                raise PublicityError(
                    t("publicity.not_published", batch=batch, action=t("publicity.action_certificates"))
                )
            if not period.has_ended(on):
                raise PublicityError(
                    t("publicity.too_early", batch=batch, last=period.last_day, on=on, from_=period.certificates_from)
                )
            pending = [
                r[0]
                for r in c.execute(
                    "SELECT id FROM review_requests WHERE batch = ? AND outcome IS NULL ORDER BY id", (batch,)
                )
            ]
            if pending:
                raise PublicityError(
                    t(
                        "publicity.reviews_pending",
                        batch=batch,
                        count=len(pending),
                        ids=", ".join(f"#{i}" for i in pending),
                    )
                )
            register = self._frame(
                "SELECT certificate_no, batch, candidate_no, id_number, level FROM certificates WHERE level = ?",
                (level,),
                {
                    "certificate_no": pl.String,
                    "batch": pl.String,
                    "candidate_no": pl.String,
                    "id_number": pl.String,
                    "level": pl.String,
                },
            )
            passers = (
                self.results(batch)
                .filter(pl.col("passed"))
                .join(self.candidates(batch).drop("level"), on="candidate_no", how="left")
                .join(register.filter(pl.col("batch") == batch).select("candidate_no"), on="candidate_no", how="anti")
            )
            held_in = register.filter(pl.col("batch") != batch).select(
                "id_number", pl.col("certificate_no").alias("held_certificate_no"), pl.col("batch").alias("held_batch")
            )
            held = passers.join(held_in, on="id_number", how="inner").with_columns(pl.lit(level).alias("level"))
            todo = passers.join(held_in, on="id_number", how="anti").with_columns(
                pl.lit(year).alias("year"),
                pl.lit(layout.level_codes[level]).alias("level_code"),
                province_code_expr("province").alias("province_code"),
                pl.lit(level).alias("level"),
            )
            self._check_numberable(batch, todo, layout)
            todo = todo.with_columns(layout.scope_expr().alias("scope")).sort("candidate_no")
            top = self._frame(
                "SELECT scope, max(serial) FROM certificates GROUP BY scope", (), {"scope": pl.String, "top": pl.Int64}
            )
            stamp = now()
            issued = (
                todo.join(top, on="scope", how="left")
                .with_columns(
                    (pl.col("top").fill_null(0) + pl.col("candidate_no").cum_count().over("scope")).alias("serial")
                )
                .with_columns(layout.number_expr().alias("certificate_no"))
                .select(
                    "certificate_no",
                    "scope",
                    "serial",
                    pl.lit(batch).alias("batch"),
                    "candidate_no",
                    "id_number",
                    "level",
                    "total",
                    pl.lit(on.isoformat()).alias("issued_on"),
                    pl.lit(by).alias("issued_by"),
                    pl.lit(stamp).alias("issued_at"),
                )
            )
            if issued.height and int(issued.get_column("serial").max()) > layout.max_serial:
                raise CertificateError(
                    t(
                        "certificates.serial_overflow",
                        serial=issued.get_column("serial").max(),
                        width=layout.serial_width,
                        layout=layout.template,
                    )
                )
            try:
                c.executemany(
                    f"INSERT INTO certificates ({', '.join(issued.columns)}) VALUES ({', '.join('?' * issued.width)})",
                    issued.iter_rows(),
                )
            except sqlite3.IntegrityError as exc:  # e.g. a changed layout producing an existing number
                raise CertificateError(t("certificates.register_conflict", batch=batch, error=str(exc))) from None
            already = (
                c.execute("SELECT count(*) FROM certificates WHERE batch = ?", (batch,)).fetchone()[0] - issued.height
            )
            c.execute(
                "INSERT INTO certificate_runs (batch, issued_on, issued, held, run_by, run_at) VALUES (?, ?, ?, ?, ?, ?)",
                (batch, on.isoformat(), issued.height, held.height, by, stamp),
            )
        return IssueResult(batch, issued, held, int(already))

    def _check_numberable(self, batch: str, todo: pl.DataFrame, layout: CertificateLayout) -> None:
        """Refuse (``CertificateError``) a passer lacking what the layout or the register needs."""
        needs = [("id_number", "id_number", "id_number")]
        if "province_code" in layout.part_names:
            needs.append(("province", "province_code", "province"))
        if "site_code" in layout.part_names:
            needs.append(("site_code", "site_code", "site_code"))
        for shown, checked, part in needs:
            bad = todo.filter(
                pl.col(checked).is_null() | ~pl.col(checked).cast(pl.String).str.contains(r"^[0-9A-Za-z]+$")
            )
            if bad.height:
                raise CertificateError(
                    t(
                        "certificates.missing_parts",
                        batch=batch,
                        candidate=bad.item(0, "candidate_no"),
                        part=t(f"certificates.part_{part}"),
                        value=bad.item(0, shown) or "",
                        layout=layout.template,
                    )
                )

    def certificate_register(self, batch: str | None = None) -> pl.DataFrame:
        """The certificate register (one batch or all): number, candidate, name, ID, level, batch, province, site, total, date."""
        frame = self._frame(
            "SELECT r.certificate_no, r.candidate_no, c.name, r.id_number, r.level, r.batch, c.province, c.site_code, "
            "r.total, r.issued_on FROM certificates r LEFT JOIN candidates c "
            "ON c.batch = r.batch AND c.candidate_no = r.candidate_no "
            "WHERE (:b IS NULL OR r.batch = :b) ORDER BY r.certificate_no",
            {"b": batch},
            {
                "certificate_no": pl.String,
                "candidate_no": pl.String,
                "name": pl.String,
                "id_number": pl.String,
                "level": pl.String,
                "batch": pl.String,
                "province": pl.String,
                "site_code": pl.String,
                "total": pl.Float64,
                "issued_on": pl.String,
            },
        )
        return frame.with_columns(pl.col("issued_on").str.to_date())
