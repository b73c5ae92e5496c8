"""Who owes what and who paid: payers, billable person-times, expected fees, why a row billed nothing, receipts
matched to payers and batches, lump sums allocated."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from examkit.core import text as normalize
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.notice import Notice
from examkit.io.tables import ROW
from examkit.settings.prices import Prices


def unit_prices(keys: pl.DataFrame, notice: Notice, prices: Prices | None) -> pl.DataFrame:
    """``keys`` (``province``, ``level``) with ``unit_price_fen``: provincial price if listed, else the notice's."""
    combos = keys.select("province", "level").unique()
    fen = (prices.fen if prices else {}) or {}
    values = [notice.fee_fen(lv, prov, fen) for prov, lv in combos.iter_rows()]  # one per (province, level)
    return combos.with_columns(pl.Series("unit_price_fen", values, dtype=pl.Int64))


def _name_key(expr: pl.Expr) -> pl.Expr:
    """Names compared loosely: half-width, no spaces, case-folded."""
    return normalize.compact(expr).str.to_lowercase()


def payers_frame(registrations: pl.DataFrame, schools: pl.DataFrame | None = None) -> pl.DataFrame:
    """Everyone who may pay: ``payer_code``, ``payer_name``, ``province``, ``aliases`` (List(String)).

    The schools file when given; exam sites missing from it are named from registrations (their own students).
    """
    regs = registrations.lazy()
    from_regs = (
        regs.group_by(pl.col("site_code").alias("payer_code"))
        .agg(
            pl.col("school_name").filter(pl.col("school_code") == pl.col("site_code")).drop_nulls().first(),
            pl.col("province").drop_nulls().sort().first(),
        )
        .rename({"school_name": "payer_name"})
        .with_columns(pl.lit([], pl.List(pl.String)).alias("aliases"))
    )
    if schools is None or schools.height == 0:
        out = from_regs
    else:
        aliases = pl.col("aliases") if "aliases" in schools.columns else pl.lit(None, pl.List(pl.String))
        if "aliases" in schools.columns and schools.schema["aliases"] == pl.String:  # raw text: split it here
            aliases = normalize.split_list(pl.col("aliases"))
        known = schools.lazy().select(
            pl.col("school_code").alias("payer_code"),
            pl.col("school_name").alias("payer_name"),
            pl.col("province"),
            aliases.cast(pl.List(pl.String))
            .list.eval(pl.element().str.strip_chars().replace("", None))
            .list.drop_nulls()
            .fill_null([])
            .alias("aliases"),
        )
        out = pl.concat([known, from_regs.join(known.select("payer_code"), on="payer_code", how="anti")])
    return out.unique("payer_code", keep="first").sort("payer_code").collect()


def billable(
    registrations: pl.DataFrame, *, bill_absent: bool = True, results: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The registration rows billed: all of them, or without the absent ones when ``bill_absent`` is false."""
    if bill_absent:
        return registrations
    if results is None:
        raise ConfigError(t("fees.absent_needs_results"))
    absent = results.filter(pl.col("status") == "absent").select("candidate_no", "batch").unique()
    return registrations.join(absent, on=["candidate_no", "batch"], how="anti")


def expected_fees(
    registrations: pl.DataFrame,
    *,
    notice: Notice,
    prices: Prices | None = None,
    schools: pl.DataFrame | None = None,
    bill_absent: bool = True,
    results: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per paying site and batch: ``person_times``, ``unit_price_fen``, ``expected_fen`` (integer fen)."""
    rows = billable(registrations, bill_absent=bill_absent, results=results)
    payers = payers_frame(registrations, schools).select("payer_code", pl.col("province").alias("payer_province"))
    counts = (
        rows.lazy()
        .group_by(pl.col("site_code").alias("payer_code"), "batch", "level")
        .agg(pl.len().cast(pl.Int64).alias("person_times"), pl.col("province").drop_nulls().sort().first())
        .join(payers.lazy(), on="payer_code", how="left")
        .with_columns(pl.coalesce("payer_province", "province").alias("province"))
        .drop("payer_province")
        .collect()
    )
    return (
        counts.join(unit_prices(counts, notice, prices), on=["province", "level"], how="left", nulls_equal=True)
        .with_columns((pl.col("person_times") * pl.col("unit_price_fen")).alias("expected_fen"))
        .select("payer_code", "batch", "level", "province", "person_times", "unit_price_fen", "expected_fen")
        .sort("payer_code", "batch")
    )


NOTES = ("unknown_batch", "all_absent", "all_excluded", "no_registrations", "none_here_excluded", "none_here")


def why_nothing_billed(
    statement: pl.DataFrame, registrations: pl.DataFrame, excluded: Mapping[str, int], unknown: Mapping[str, str]
) -> pl.DataFrame:
    """``statement`` with ``note`` (one of ``NOTES``) and ``note_detail`` on rows billed nothing or of an unknown batch.

    ``registrations``: the rows that passed validation (in scope); ``excluded``: rows left out per batch;
    ``unknown``: batch → the name of its registrations file that could not be read. The detail is that
    file, or the count the note states (absent candidates at the site, rows of the batch excluded).
    """
    at_site = registrations.group_by(pl.col("site_code").alias("payer_code"), "batch").agg(
        pl.len().cast(pl.Int64).alias("_site_rows")
    )
    in_batch = registrations.group_by("batch").agg(pl.len().cast(pl.Int64).alias("_batch_rows"))
    left_out = pl.DataFrame(
        {"batch": list(excluded), "_excluded": list(excluded.values())},
        schema={"batch": pl.String, "_excluded": pl.Int64},
    )
    files = pl.DataFrame(
        {"batch": list(unknown), "_file": list(unknown.values())}, schema={"batch": pl.String, "_file": pl.String}
    )
    counts = ("_site_rows", "_batch_rows", "_excluded")
    rows = (
        statement.join(at_site, on=["payer_code", "batch"], how="left")
        .join(in_batch, on="batch", how="left")
        .join(left_out, on="batch", how="left")
        .join(files, on="batch", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in counts)
    )
    note = (
        pl.when(pl.col("_file").is_not_null())
        .then(pl.lit("unknown_batch"))
        .when(pl.col("person_times") > 0)
        .then(pl.lit(None, pl.String))
        .when(pl.col("_site_rows") > 0)  # registered here, all absent, and absent candidates are not billed
        .then(pl.lit("all_absent"))
        .when((pl.col("_batch_rows") == 0) & (pl.col("_excluded") > 0))
        .then(pl.lit("all_excluded"))
        .when(pl.col("_batch_rows") == 0)
        .then(pl.lit("no_registrations"))
        .when(pl.col("_excluded") > 0)
        .then(pl.lit("none_here_excluded"))
        .otherwise(pl.lit("none_here"))
    )
    detail = (
        pl.when(pl.col("note") == "unknown_batch")
        .then(pl.col("_file"))
        .when(pl.col("note") == "all_absent")
        .then(pl.col("_site_rows").cast(pl.String))
        .when(pl.col("note").is_in(["all_excluded", "none_here_excluded"]))
        .then(pl.col("_excluded").cast(pl.String))
    )
    return rows.with_columns(note.alias("note")).with_columns(detail.alias("note_detail")).drop(*counts, "_file")


def batches_named(memo: pl.Expr, notice: Notice) -> pl.Expr:
    """The batches a memo names, by id (``2023-01``) or the notice's name (``2023年第一次统考``)."""
    hits = [
        pl.when(memo.str.contains(b.id, literal=True) | memo.str.contains(b.name_zh, literal=True)).then(pl.lit(b.id))
        for b in notice.batches
    ]
    return pl.concat_list(hits).list.drop_nulls()


def match_receipts(receipts: pl.DataFrame, payers: pl.DataFrame, notice: Notice) -> pl.DataFrame:
    """Receipts with ``payer_code`` (null when unmatched), ``match_by`` and ``named`` (batches in the memo).

    ``match_by``: ``code`` (the school-code column), ``memo_code``, ``name`` (registered name), ``alias``;
    ``reason`` says why an unmatched receipt matched nothing.
    """
    known = payers.select(pl.col("payer_code").alias("token"))
    memo_codes = (
        receipts.lazy()
        .select("receipt", pl.col("memo").str.extract_all(r"[0-9A-Za-z]+").alias("token"))
        .explode("token")
        .join(known.lazy(), on="token", how="semi")
        .group_by("receipt")
        .agg(pl.col("token").n_unique().alias("memo_codes"), pl.col("token").first().alias("memo_code"))
    )
    names = pl.concat(
        [
            payers.select(_name_key(pl.col("payer_name")).alias("key"), "payer_code", pl.lit(0).alias("via")),
            payers.select(pl.col("aliases").alias("key"), "payer_code", pl.lit(1).alias("via"))
            .explode("key")
            .with_columns(_name_key(pl.col("key")).alias("key")),
        ]
    ).drop_nulls("key")
    by_name = names.group_by("key").agg(
        pl.col("payer_code").n_unique().alias("name_codes"),
        pl.col("payer_code").sort_by("via").first().alias("name_code"),
        pl.col("via").min(),
    )
    code_known = pl.col("school_code").is_in(payers["payer_code"].implode())
    return (
        receipts.lazy()
        .join(memo_codes, on="receipt", how="left")
        .with_columns(_name_key(pl.col("payer_name")).alias("key"))
        .join(by_name.lazy(), on="key", how="left")
        .with_columns(
            col_code=pl.when(code_known).then(pl.col("school_code")),
            memo_code=pl.when(pl.col("memo_codes") == 1).then(pl.col("memo_code")),
            name_code=pl.when(pl.col("name_codes") == 1).then(pl.col("name_code")),
        )
        .with_columns(
            payer_code=pl.coalesce("col_code", "memo_code", "name_code"),
            match_by=pl.when(pl.col("col_code").is_not_null())
            .then(pl.lit("code"))
            .when(pl.col("memo_code").is_not_null())
            .then(pl.lit("memo_code"))
            .when(pl.col("name_code").is_not_null())
            .then(pl.when(pl.col("via") == 0).then(pl.lit("name")).otherwise(pl.lit("alias"))),
            reason=pl.when(
                pl.col("col_code").is_null() & pl.col("memo_code").is_null() & pl.col("name_code").is_null()
            ).then(
                pl.when((pl.col("memo_codes") > 1) | (pl.col("name_codes") > 1))
                .then(pl.lit("ambiguous_payer"))
                .otherwise(pl.lit("unknown_payer"))
            ),
            named=batches_named(pl.col("memo"), notice),
        )
        .drop("col_code", "memo_codes", "name_code", "name_codes", "via", "key")
        .drop("memo_code")
        .collect()
    )


def duplicate_groups(receipts: pl.DataFrame) -> pl.DataFrame:
    """Receipts sharing payer, amount, date and memo: ``group`` and ``duplicate_of`` (the first row, else null)."""
    payer = pl.coalesce(pl.col("payer_code"), _name_key(pl.col("payer_name")), pl.col("school_code"))
    keyed = receipts.with_columns(
        payer.fill_null("").alias("_payer"), pl.col("memo").fill_null("").alias("_memo")
    ).with_columns(
        pl.len().over("_payer", "amount_fen", "paid_on", "_memo").alias("_n"),
        pl.col("receipt").min().over("_payer", "amount_fen", "paid_on", "_memo").alias("group"),
    )
    first_row = keyed.select(pl.col("receipt").alias("group"), pl.col(ROW).alias("first_row"))
    return (
        keyed.filter(pl.col("_n") > 1)
        .join(first_row, on="group", how="left")
        .with_columns(
            pl.when(pl.col("receipt") != pl.col("group")).then(pl.col("first_row")).alias("duplicate_of"),
        )
        .select("receipt", "group", "duplicate_of")
    )


def allocate_lumps(
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
