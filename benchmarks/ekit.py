"""The examkit side: the same aggregations through examkit's public API, as its CLI and notebooks call it.

Every input goes through one ``examkit.store.inputs.InputStore`` (``store``: its folder; None keeps nothing).
Cold = an empty store folder (every row validated, entries written); warm = the store a cold run just filled.

Stages (timed separately):
  registrations  read + validate every batch file with the schools list
                 (``examkit.session.fee_inputs.read_fee_inputs``, as ``examkit fees`` / ``passrates`` load them);
  scores         each batch's paper score sheet → results (``examkit.session.year.results_for``);
  pass_rates     outcomes + group pass rates with Wilson intervals (``examkit.analysis.passrates``);
  fees           bank statement → receipts (``InputStore.payments``) + ``examkit.analysis.fees.reconcile``.
The registrations are read once and shared by both halves, as a batch report session does.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks.synth import Year
from examkit.settings.policy import load_policy

GROUPINGS = (("batch", "level"), ("batch", "school_code"), ("batch", "site_code"), ("level",))


def warm_imports() -> None:
    """Import what the pipeline uses, so that import time is not counted as work (as for pandas)."""
    import examkit.analysis.fees
    import examkit.analysis.passrates
    import examkit.session.fee_inputs
    import examkit.session.year
    import examkit.store.inputs  # noqa: F401


@contextmanager
def stage(name: str, stages: dict[str, float]):
    start = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - start


def load_registrations_frame(paths: list[Path], schools: Path | None = None):
    """Validated, typed registrations (files or folders) as ``examkit fees`` loads them (no store)."""
    from examkit.session.fee_inputs import read_fee_inputs

    return read_fee_inputs(paths, schools).registrations


def digest(frame) -> str:
    """Rows and an order-independent hash of ``frame``'s rows (text columns compared as text): equal frames,
    equal digests. Works on the frame in place, so it adds little memory."""
    import numpy as np
    import polars as pl

    cols = [
        pl.col(c).cast(pl.String) if frame.schema[c] in (pl.Categorical, pl.Enum) else pl.col(c) for c in frame.columns
    ]
    hashes = frame.select(pl.struct(cols).hash(seed=0).alias("h")).get_column("h").to_numpy()
    return f"{frame.height}:{int(np.sum(hashes, dtype=np.uint64)):016x}"


def chart_sizes(cands, rates: dict, policy) -> dict:
    """Rows and JSON bytes the report's charts embed (histogram of the year, pass rates per batch)."""
    import json

    from examkit.analysis import passrates as an
    from examkit.report import charts

    hist = charts.score_histogram(an.score_distribution(cands, policy), policy.pass_mark)
    by = list(GROUPINGS[0])
    bars = charts.pass_rate_bars(an.label_column(rates[GROUPINGS[0]], by, cands))
    out = {}
    for name, chart in (("histogram", hist), ("pass_rate_bars", bars)):
        spec = chart.to_dict()  # raises MaxRowsError if a chart carried too many rows
        out[name] = {"rows": charts.chart_data_rows(chart), "bytes": len(json.dumps(spec, ensure_ascii=False))}
    return out


def run(year: Year, stages: dict[str, float], store: Path | None = None, check: bool = True) -> dict:
    """The pipeline over ``year`` with its inputs through an input store in ``store`` (None: no store).

    ``check``: also the untimed chart sizes and result digests (the cross-check); off under the profiler."""
    import polars as pl

    from examkit.analysis import passrates as an
    from examkit.analysis.fees import reconcile
    from examkit.core.notice import notice_for_batch
    from examkit.session.fee_inputs import read_fee_inputs
    from examkit.session.year import results_for
    from examkit.settings.policy import load_bill_absent
    from examkit.settings.prices import load_prices
    from examkit.store.inputs import InputStore

    inputs = InputStore(store)
    with stage("registrations", stages):
        got = read_fee_inputs([year.dir / "registrations"], year.schools_file, store=inputs)
        regs, schools, excluded = got.registrations, got.schools, got.excluded
    batches = sorted(regs.get_column("batch").unique().to_list())
    notice = notice_for_batch(batches[0])
    with stage("scores", stages):
        parts = []
        for b in batches:
            registered = regs.filter(pl.col("batch") == b).get_column("candidate_no")
            got = results_for(b, registered, scores=year.dir / "scores" / f"{b}.csv", store=inputs)
            parts.append(got.results.select("candidate_no", pl.lit(b).alias("batch"), "status", "total"))
        results = pl.concat(parts, how="vertical_relaxed")
    with stage("pass_rates", stages):
        policy = load_policy(notice)
        cands = an.outcomes(regs, results, policy.pass_mark).collect()
        rates = {by: an.pass_rates(cands, list(by), policy) for by in GROUPINGS}
    with stage("fees", stages):
        pay = inputs.payments(year.payments_file)
        recon = reconcile(
            regs,
            pay.frame,
            notice=notice,
            schools=schools,
            prices=load_prices(None),
            bill_absent=load_bill_absent(),
            findings=pay.findings,
        )
    stages["_end"] = time.perf_counter()  # what follows is a size check and a cross-check, not timed work
    first = rates[GROUPINGS[0]]
    st = recon.statement
    if not check:
        return {"registered": int(first["registered"].sum()), "store": dataclasses.asdict(inputs.stats)}
    return {
        "charts": chart_sizes(cands, rates, policy),
        "registered": int(first["registered"].sum()),
        "sat": int(first["sat"].sum()),
        "passed": int(first["passed"].sum()),
        "excluded": int(excluded),
        "expected_fen": int(st["expected_fen"].sum()),
        "paid_fen": int(st["paid_fen"].sum()),
        "statement_rows": st.height,
        "unmatched": recon.unmatched.height,
        "groups": {"+".join(by): g.height for by, g in rates.items()},
        "digests": {
            "registrations": digest(regs),
            "outcomes": digest(cands),
            "statement": digest(st),
            "unmatched": digest(recon.unmatched),
            **{"rates " + "+".join(by): digest(g) for by, g in rates.items()},
        },
        "store": dataclasses.asdict(inputs.stats),
    }
