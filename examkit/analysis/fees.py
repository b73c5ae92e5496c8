"""Fee reconciliation (rule R3): what each paying school owes per batch, what arrived, what is left.

Pure functions over the typed frames (registrations, schools, receipts, results):

* one person-time per registration row that passed validation, billed to the exam site where the
  candidate sits (``site_code``: a borrowed sitting is billed to the host site);
* unit price = the host site's province's published price (``params/prices.yaml``) if listed, else the
  notice's fee for the level; absent candidates are billed unless ``bill_absent`` is false;
* receipts are matched by school code (column, then memo), else by the registered name or an alias;
  a receipt naming one batch goes to it (nothing billed there: a statement row, expected 0, overpaid,
  with a note saying why nothing was billed); one naming several batches, or none, is allocated to the
  payer's oldest outstanding batches first (and marked as allocated); copies with the same payer,
  amount, date and memo are held as possible duplicates;
* the scope is the year (every batch of the notice) unless the caller narrows it (the year so far up to
  a batch); only then are receipts naming only batches outside it set aside (``other_batches``);
* a batch whose registrations file could not be read (``unreadable``) is unknown, not absent: its
  receipts are statement rows with status ``unknown`` and no expected fee or balance.

Every receipt ends up exactly once: allocated (parts summing to its amount, possibly with a part set
aside for batches outside a narrowed scope), or listed unmatched with a reason, or set aside whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from examkit.analysis.fee_matching import (
    allocate_lumps,
    duplicate_groups,
    expected_fees,
    match_receipts,
    payers_frame,
    unit_prices,
    why_nothing_billed,
)
from examkit.core.notice import Notice
from examkit.intake.registrations import UnreadableFile
from examkit.io.tables import ROW
from examkit.settings.prices import Prices

STATUSES = ("paid", "underpaid", "overpaid", "unpaid", "unknown")
KNOWN_STATUSES = STATUSES[:-1]  # ``unknown``: the batch's registrations file could not be read
REASONS = ("unknown_payer", "ambiguous_payer", "possible_duplicate", "nothing_billed")
CSV_COLUMNS = (
    "payer_code",
    "batch",
    "level",
    "person_times",
    "unit_price_fen",
    "expected_fen",
    "paid_fen",
    "balance_fen",
    "status",
)
UNMATCHED_COLUMNS = ("file", "row", "payer_name", "school_code", "amount_fen", "paid_on", "memo", "reason", "detail")


# --------------------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class Reconciliation:
    """The statement and everything it rests on, for one scope of batches."""

    # one row per paying site and batch: CSV_COLUMNS, payer_name, province, allocated, receipts, note, note_detail
    statement: pl.DataFrame
    allocations: pl.DataFrame  # one row per receipt part: file, _row, payer_code, batch, paid_fen, allocated
    unmatched: pl.DataFrame  # receipts that matched nothing, with reason and detail
    duplicates: pl.DataFrame  # every receipt of a possible-duplicate group (the first is counted, copies held)
    other_batches: pl.DataFrame  # receipts (or parts) naming only batches outside a narrowed scope
    receipts: pl.DataFrame  # every receipt, with payer_code, match_by, named and outcome
    scope: tuple[str, ...]
    bill_absent: bool
    prices: Prices | None = None
    findings: list = field(default_factory=list)
    narrowed: bool = False  # the caller narrowed the scope to less than the year
    unreadable: tuple[UnreadableFile, ...] = ()  # registrations files that could not be read

    @property
    def unknown(self) -> tuple[str, ...]:
        """Batches of the scope whose registrations file could not be read: their fees are unknown."""
        return tuple(sorted({u.batch for u in self.unreadable if u.batch in self.scope}))

    def batch(self, batch_id: str) -> pl.DataFrame:
        """The statement rows of one batch."""
        return self.statement.filter(pl.col("batch") == batch_id)

    def by_batch(self) -> pl.DataFrame:
        """Totals per batch: person-times, expected, paid, balance, and how many sites in each status.

        An unknown batch has a row even when nobody paid for it, its expected fee and balance null."""
        totals = _totals(self.statement, "batch")
        missing = [b for b in self.unknown if b not in totals["batch"].to_list()]
        if not missing:
            return totals
        blank = pl.DataFrame({"batch": missing}).with_columns(
            pl.lit(None, pl.Int64).alias(c) for c in ("person_times", "expected_fen", "balance_fen")
        )
        blank = blank.with_columns(pl.lit(0, pl.Int64).alias(c) for c in ("paid_fen", *STATUSES))
        return pl.concat([totals, blank.select(totals.columns)]).sort("batch")

    def by_school(self) -> pl.DataFrame:
        """Totals per paying site over the scope (the year so far): paid counts every receipt, expected and
        balance only the batches whose fees are known (``unknown`` counts the rows of unknown batches)."""
        return _totals(self.statement, "payer_code", "payer_name")

    def receipts_for(self, batch_id: str) -> pl.DataFrame:
        """Receipt parts applied to one batch (what arrived for it)."""
        return self.allocations.filter(pl.col("batch") == batch_id)

    def outstanding(self) -> pl.DataFrame:
        """Statement rows not settled: underpaid, unpaid or overpaid."""
        return self.statement.filter(pl.col("status") != "paid")

    def lump_sums(self) -> pl.DataFrame:
        """Parts of receipts that were allocated across batches (oldest outstanding first)."""
        return self.allocations.filter(pl.col("allocated"))

    def csv_frame(self) -> pl.DataFrame:
        """The statement with exactly the csv columns of ``examkit fees``."""
        return self.statement.select(CSV_COLUMNS)

    def notes(self) -> pl.DataFrame:
        """Statement rows with a note (why nothing was billed, or why the fee is unknown)."""
        return self.statement.filter(pl.col("note").is_not_null()).select(
            "payer_code", "batch", "status", "note", "note_detail"
        )

    def unmatched_frame(self) -> pl.DataFrame:
        """Unmatched receipts with the columns of ``--unmatched``."""
        return self.unmatched.rename({ROW: "row"}).select(UNMATCHED_COLUMNS)


def _known_sum(name: str) -> pl.Expr:
    """The sum over the rows where it is known; null when it is known for none (an unknown batch)."""
    return pl.when(pl.col(name).is_not_null().any()).then(pl.col(name).sum()).alias(name)


def _totals(statement: pl.DataFrame, *keys: str) -> pl.DataFrame:
    return (
        statement.group_by(*keys)
        .agg(
            _known_sum("person_times"),
            _known_sum("expected_fen"),
            pl.col("paid_fen").sum(),
            _known_sum("balance_fen"),
            *[(pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in STATUSES],
        )
        .sort(keys[0])
    )


def reconcile(
    registrations: pl.DataFrame,
    receipts: pl.DataFrame,
    *,
    notice: Notice,
    schools: pl.DataFrame | None = None,
    prices: Prices | None = None,
    bill_absent: bool = True,
    results: pl.DataFrame | None = None,
    scope: tuple[str, ...] | list[str] | None = None,
    findings: list | None = None,
    excluded: Mapping[str, int] | None = None,
    unreadable: Sequence[UnreadableFile] = (),
) -> Reconciliation:
    """Reconcile ``receipts`` (``examkit.intake.payments.RECEIPT_SCHEMA``) against the registrations' fees.

    ``scope``: the batches reconciled (default: the year, every batch of the notice); narrowing it sets
    aside receipts naming only batches outside it. ``excluded``: rows validation left out, per batch (for
    the notes on rows with nothing billed). ``unreadable``: registrations files that could not be read;
    the batches they are named after are unknown.
    """
    year = {b.id for b in notice.batches}
    if scope is None:
        scope_t = tuple(sorted(year | set(registrations["batch"].unique().to_list())))
    else:
        scope_t = tuple(sorted(set(scope)))
    unknown = sorted({u.batch for u in unreadable if u.batch in scope_t})
    regs = registrations.filter(pl.col("batch").is_in(list(scope_t)))
    expected = expected_fees(
        regs, notice=notice, prices=prices, schools=schools, bill_absent=bill_absent, results=results
    ).filter(~pl.col("batch").is_in(unknown))
    payers = payers_frame(regs, schools)
    numbered = receipts.sort("file", ROW).with_row_index("receipt").with_columns(pl.col("receipt").cast(pl.Int64))
    matched = match_receipts(numbered, payers, notice)
    dups = duplicate_groups(matched)
    billed_payers = expected.select("payer_code").unique()
    scope_list = pl.lit(list(scope_t), pl.List(pl.String))
    classified = (
        matched.join(dups, on="receipt", how="left")
        .join(billed_payers.with_columns(pl.lit(True).alias("_billed")), on="payer_code", how="left")
        .with_columns(pl.col("named").list.set_intersection(scope_list).list.sort().alias("targets"))
        .with_columns(
            outcome=pl.when((pl.col("named").list.len() > 0) & (pl.col("targets").list.len() == 0))
            .then(pl.lit("other_batches"))
            .when(pl.col("duplicate_of").is_not_null())
            .then(pl.lit("unmatched"))
            .when(pl.col("payer_code").is_null())
            .then(pl.lit("unmatched"))
            .when((pl.col("named").list.len() == 1) & (pl.col("targets").list.len() == 1))
            .then(pl.lit("direct"))
            .when((pl.col("named").list.len() == 0) & pl.col("_billed").is_null())
            .then(pl.lit("unmatched"))
            .otherwise(pl.lit("lump")),
        )
        .with_columns(
            reason=pl.when(pl.col("outcome") != "unmatched")
            .then(pl.lit(None, pl.String))
            .when(pl.col("duplicate_of").is_not_null())
            .then(pl.lit("possible_duplicate"))
            .when(pl.col("payer_code").is_null())
            .then(pl.col("reason"))
            .otherwise(pl.lit("nothing_billed"))
        )
        .drop("_billed")
    )
    direct = classified.filter(pl.col("outcome") == "direct").select(
        "receipt",
        "payer_code",
        pl.col("targets").list.first().alias("batch"),
        pl.col("amount_fen").alias("paid_fen"),
        pl.lit(False).alias("allocated"),
    )
    lump_parts, lump_aside = allocate_lumps(classified.filter(pl.col("outcome") == "lump"), expected, direct)
    parts = pl.concat([direct, lump_parts])
    whole_aside = classified.filter(pl.col("outcome") == "other_batches").select(
        "receipt", pl.col("amount_fen").alias("aside_fen")
    )
    aside = pl.concat([whole_aside, lump_aside])
    files: dict[str, list[str]] = {}
    for u in unreadable:
        if u.batch in unknown:
            files.setdefault(u.batch, []).append(u.name)
    statement = why_nothing_billed(
        _statement(expected, parts, payers, notice, prices, unknown),
        regs,
        excluded or {},
        {b: "、".join(names) for b, names in files.items()},
    )
    info = classified.select("receipt", "file", ROW, "payer_name", "school_code", "paid_on", "memo", "amount_fen")
    allocations = (
        parts.join(info, on="receipt", how="left")
        .select("file", ROW, "payer_code", "batch", "paid_fen", "allocated", "amount_fen", "paid_on", "memo", "receipt")
        .sort("receipt", "batch")
    )
    unmatched = (
        classified.filter(pl.col("outcome") == "unmatched")
        .with_columns(
            detail=pl.when(pl.col("reason") == "possible_duplicate")
            .then(pl.col("duplicate_of").cast(pl.String))
            .when(pl.col("reason") == "nothing_billed")
            .then(pl.col("payer_code"))
        )
        .select("file", ROW, "payer_name", "school_code", "amount_fen", "paid_on", "memo", "reason", "detail")
        .sort("file", ROW)
    )
    duplicates = (
        classified.join(dups.select("receipt"), on="receipt", how="semi")
        .select("group", "file", ROW, "payer_code", "payer_name", "amount_fen", "paid_on", "memo", "duplicate_of")
        .sort("group", ROW)
    )
    other = (
        aside.group_by("receipt")
        .agg(pl.col("aside_fen").sum())
        .join(
            classified.select(
                "receipt", "file", ROW, "payer_code", "payer_name", "amount_fen", "paid_on", "memo", "named"
            ),
            on="receipt",
            how="left",
        )
        .select("file", ROW, "payer_code", "payer_name", "amount_fen", "aside_fen", "paid_on", "memo", "named")
        .sort("file", ROW)
    )
    return Reconciliation(
        statement=statement,
        allocations=allocations,
        unmatched=unmatched,
        duplicates=duplicates,
        other_batches=other,
        receipts=classified.drop("receipt").sort("file", ROW),
        scope=scope_t,
        bill_absent=bill_absent,
        prices=prices,
        findings=list(findings or []),
        narrowed=not year <= set(scope_t),
        unreadable=tuple(unreadable),
    )


def _statement(
    expected: pl.DataFrame,
    parts: pl.DataFrame,
    payers: pl.DataFrame,
    notice: Notice,
    prices: Prices | None,
    unknown: list[str],
) -> pl.DataFrame:
    paid = parts.group_by("payer_code", "batch").agg(
        pl.col("paid_fen").sum(),
        pl.col("allocated").any(),
        pl.col("receipt").n_unique().cast(pl.Int64).alias("receipts"),
    )
    levels = pl.DataFrame({"batch": [b.id for b in notice.batches], "_level": [b.level for b in notice.batches]})
    rows = (
        expected.join(paid, on=["payer_code", "batch"], how="full", coalesce=True)
        .join(levels, on="batch", how="left")
        .join(payers.select("payer_code", "payer_name", pl.col("province").alias("_prov")), on="payer_code", how="left")
        .with_columns(
            pl.coalesce("level", "_level").alias("level"),
            pl.coalesce("province", "_prov").alias("province"),
            pl.col("person_times").fill_null(0),
            pl.col("expected_fen").fill_null(0),
            pl.col("paid_fen").fill_null(0),
            pl.col("allocated").fill_null(False),
            pl.col("receipts").fill_null(0),
        )
    )
    missing = rows.filter(pl.col("unit_price_fen").is_null())
    if missing.height:
        priced = unit_prices(missing, notice, prices).rename({"unit_price_fen": "_price"})
        rows = rows.join(priced, on=["province", "level"], how="left", nulls_equal=True).with_columns(
            pl.coalesce("unit_price_fen", "_price").alias("unit_price_fen")
        )
    is_unknown = pl.col("batch").is_in(unknown)
    rows = rows.with_columns(  # an unknown batch: what was billed is not known, only what arrived
        pl.when(~is_unknown).then(pl.col(c)).alias(c) for c in ("person_times", "expected_fen")
    )
    balance = pl.col("expected_fen") - pl.col("paid_fen")
    return (
        rows.with_columns(balance.alias("balance_fen"))
        .with_columns(
            status=pl.when(is_unknown)
            .then(pl.lit("unknown"))
            .when((pl.col("paid_fen") == 0) & (pl.col("expected_fen") > 0))
            .then(pl.lit("unpaid"))
            .when(pl.col("balance_fen") == 0)
            .then(pl.lit("paid"))
            .when(pl.col("balance_fen") > 0)
            .then(pl.lit("underpaid"))
            .otherwise(pl.lit("overpaid"))
        )
        .select(*CSV_COLUMNS, "payer_name", "province", "allocated", "receipts")
        .sort("payer_code", "batch")
    )
