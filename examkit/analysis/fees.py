"""Fee reconciliation (rule R3): what each paying school owes per batch, what arrived, what is left.

Pure functions over the typed frames (registrations, schools, receipts, results):

* one person-time per registration row that passed validation, billed to the exam site where the
  candidate sits (``site_code``: a borrowed sitting is billed to the host site);
* unit price = the host site's province's published price (``params/prices.yaml``) if listed, else the
  notice's fee for the level; absent candidates are billed unless ``bill_absent`` is false;
* receipts are matched by school code (column, then memo), else by the registered name or an alias;
  a receipt naming one batch goes to it; one naming several batches, or none, is allocated to the
  payer's oldest outstanding batches first (and marked as allocated); copies with the same payer,
  amount, date and memo are held as possible duplicates; receipts naming only batches outside the
  reconciled scope are set aside (``other_batches``), not counted as unmatched.

Every receipt ends up exactly once: allocated (parts summing to its amount, possibly with a part set
aside for batches outside the scope), or listed unmatched with a reason, or set aside whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from examkit.analysis.fee_matching import duplicate_groups, expected_fees, match_receipts, payers_frame, unit_prices
from examkit.core.notice import Notice
from examkit.io.tables import ROW
from examkit.settings.prices import Prices

STATUSES = ("paid", "underpaid", "overpaid", "unpaid")
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


# --------------------------------------------------------------------------- rules (prices, policy)


# --------------------------------------------------------------------------- who owes what


# --------------------------------------------------------------------------- matching receipts


# --------------------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class Reconciliation:
    """The statement and everything it rests on, for one scope of batches."""

    statement: pl.DataFrame  # one row per paying site and batch (CSV_COLUMNS + payer_name, allocated, receipts)
    allocations: pl.DataFrame  # one row per receipt part: file, _row, payer_code, batch, paid_fen, allocated
    unmatched: pl.DataFrame  # receipts that matched nothing, with reason and detail
    duplicates: pl.DataFrame  # every receipt of a possible-duplicate group (the first is counted, copies held)
    other_batches: pl.DataFrame  # receipts (or parts) naming only batches outside the scope
    receipts: pl.DataFrame  # every receipt, with payer_code, match_by, named and outcome
    scope: tuple[str, ...]
    bill_absent: bool
    prices: Prices | None = None
    findings: list = field(default_factory=list)

    def batch(self, batch_id: str) -> pl.DataFrame:
        """The statement rows of one batch."""
        return self.statement.filter(pl.col("batch") == batch_id)

    def by_batch(self) -> pl.DataFrame:
        """Totals per batch: person-times, expected, paid, balance, and how many sites in each status."""
        return _totals(self.statement, "batch")

    def by_school(self) -> pl.DataFrame:
        """Totals per paying site over the scope (the year so far)."""
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

    def unmatched_frame(self) -> pl.DataFrame:
        """Unmatched receipts with the columns of ``--unmatched``."""
        return self.unmatched.rename({ROW: "row"}).select(UNMATCHED_COLUMNS)


def _totals(statement: pl.DataFrame, *keys: str) -> pl.DataFrame:
    return (
        statement.group_by(*keys)
        .agg(
            pl.col("person_times").sum(),
            pl.col("expected_fen").sum(),
            pl.col("paid_fen").sum(),
            pl.col("balance_fen").sum(),
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
) -> Reconciliation:
    """Reconcile ``receipts`` (``examkit.intake.payments.RECEIPT_SCHEMA``) against the registrations' fees.

    ``scope``: the batches reconciled (default: those in ``registrations``).
    """
    scope_t = tuple(sorted(set(scope or ()) | set(registrations["batch"].unique().to_list())))
    regs = registrations.filter(pl.col("batch").is_in(list(scope_t)))
    expected = expected_fees(
        regs, notice=notice, prices=prices, schools=schools, bill_absent=bill_absent, results=results
    )
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
    lump_parts, lump_aside = _allocate_lumps(classified.filter(pl.col("outcome") == "lump"), expected, direct)
    parts = pl.concat([direct, lump_parts])
    whole_aside = classified.filter(pl.col("outcome") == "other_batches").select(
        "receipt", pl.col("amount_fen").alias("aside_fen")
    )
    aside = pl.concat([whole_aside, lump_aside])
    statement = _statement(expected, parts, payers, notice, prices)
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
    )


def _allocate_lumps(
    lumps: pl.DataFrame, expected: pl.DataFrame, direct: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Allocate receipts covering several batches (or none named) to the oldest outstanding batches first.

    Sequential by nature (each receipt sees what earlier ones left), so it walks the few lump-sum
    receipts in date order; what is left after every target is settled is an overpayment of the
    newest target, or, when the receipt also names batches outside the scope, set aside for them.
    """
    part_schema = {
        "receipt": pl.Int64,
        "payer_code": pl.String,
        "batch": pl.String,
        "paid_fen": pl.Int64,
        "allocated": pl.Boolean,
    }
    aside_schema = {"receipt": pl.Int64, "aside_fen": pl.Int64}
    if lumps.height == 0:
        return pl.DataFrame(schema=part_schema), pl.DataFrame(schema=aside_schema)
    outstanding_frame = (
        expected.select("payer_code", "batch", "expected_fen")
        .join(
            direct.group_by("payer_code", "batch").agg(pl.col("paid_fen").sum()),
            on=["payer_code", "batch"],
            how="left",
        )
        .with_columns((pl.col("expected_fen") - pl.col("paid_fen").fill_null(0)).alias("left"))
    )
    outstanding = {(p, b): v for p, b, v in outstanding_frame.select("payer_code", "batch", "left").iter_rows()}
    billed: dict[str, list[str]] = {}
    for p, b in sorted(outstanding):
        billed.setdefault(p, []).append(b)
    parts: list[tuple] = []
    aside: list[tuple] = []
    ordered = lumps.sort("paid_on", "file", ROW).select("receipt", "payer_code", "amount_fen", "named", "targets")
    for receipt, payer, amount, named, targets in ordered.iter_rows():
        batches = list(targets) if named else billed.get(payer, [])
        left = amount
        for b in batches:
            take = min(left, max(outstanding.get((payer, b), 0), 0))
            if take > 0:
                parts.append((receipt, payer, b, take, True))
                outstanding[(payer, b)] = outstanding.get((payer, b), 0) - take
                left -= take
        if left > 0 and len(named) > len(targets):
            aside.append((receipt, left))
        elif left > 0:
            parts.append((receipt, payer, batches[-1], left, True))
            outstanding[(payer, batches[-1])] = outstanding.get((payer, batches[-1]), 0) - left
    return (
        pl.DataFrame(parts, schema=part_schema, orient="row"),
        pl.DataFrame(aside, schema=aside_schema, orient="row"),
    )


def _statement(
    expected: pl.DataFrame, parts: pl.DataFrame, payers: pl.DataFrame, notice: Notice, prices: Prices | None
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
    balance = pl.col("expected_fen") - pl.col("paid_fen")
    return (
        rows.with_columns(balance.alias("balance_fen"))
        .with_columns(
            status=pl.when((pl.col("paid_fen") == 0) & (pl.col("expected_fen") > 0))
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


# --------------------------------------------------------------------------- loading inputs


# --------------------------------------------------------------------------- command line
